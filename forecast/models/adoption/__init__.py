"""Technology adoption curves (see `model`)."""
from forecast.models.adoption.model import Adoption

__all__ = ["Adoption"]
