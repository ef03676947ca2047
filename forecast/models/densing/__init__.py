"""The Densing law: capability density of open models and its doubling time (see `model`)."""
from forecast.models.densing.model import Densing

__all__ = ["Densing"]
