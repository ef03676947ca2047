"""Model registry: name → class. One model per module."""
from __future__ import annotations

from .compute_trend import ComputeTrend
from .scaling_law import ScalingLaw

REGISTRY = {cls.name: cls for cls in (ScalingLaw, ComputeTrend)}

__all__ = ["REGISTRY", "ScalingLaw", "ComputeTrend"]
