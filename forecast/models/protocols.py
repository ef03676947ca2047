"""Capabilities a model may have beyond the base lifecycle, as typed protocols (checked with isinstance)."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Reweightable(Protocol):
    """Can be updated without MCMC by importance reweighting of an earlier fit (`forecast.pipeline.reweight`)."""

    def structure(self) -> dict:
        """What fixes the parameters and their priors: equal structures → posteriors over the same parameters."""

    def data_loglik(self, p: dict) -> np.ndarray:
        """Log-likelihood of all the model's data at each draw of the natural parameters `p`."""

    def natural_draws(self, idata) -> dict:
        """The natural parameters of every draw of `idata`, as `data_loglik` takes them."""

    def reweighted_posterior(self, base, idata, rng) -> tuple[object | None, dict]:
        """`base`'s posterior moved to this model's data; (None, info with a reason) when the weights fail."""


@runtime_checkable
class SBCSimulator(Protocol):
    """Simulates one SBC data set for its own graph (true scalar parameters and pm.Data values)."""

    def sbc_draw(self, model, seed: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        ...
