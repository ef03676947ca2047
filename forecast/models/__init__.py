"""Model registry: name → class. One model per module."""
from __future__ import annotations

from .adoption import Adoption
from .compute_trend import ComputeTrend
from .convergence import Convergence
from .densing import Densing
from .hardware import Hardware
from .market import Market
from .scaling_law import ScalingLaw

REGISTRY = {cls.name: cls for cls in (ScalingLaw, ComputeTrend, Hardware, Market, Adoption, Convergence, Densing)}

__all__ = ["REGISTRY", "ScalingLaw", "ComputeTrend", "Hardware", "Market", "Adoption", "Convergence", "Densing"]
