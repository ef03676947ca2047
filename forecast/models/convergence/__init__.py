"""Convergence degree and pyramid level of each technology (see `model`; S and K measurements in `measurements`)."""
from forecast.models.convergence.model import Convergence

__all__ = ["Convergence"]
