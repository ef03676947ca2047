"""Draws from a PyMC model's prior predictive: the true parameters and simulated data of one SBC simulation,
and the helpers that name a model's scalar parameters and its observed pm.Data."""
from __future__ import annotations

import contextlib
import logging

import numpy as np

from forecast.core.errors import RunError

MAX_ELEMENTS = 25  # elements of a vector parameter ranked one by one (beyond that only scalars are ranked)
def observed_data_names(model) -> dict[str, str]:
    """Map observed RV name → name of the pm.Data holding its values (models whose observations are pm.Data)."""
    from pytensor.graph.traversal import ancestors

    data_names = {d.name for d in model.data_vars}
    out = {}
    for rv in model.observed_RVs:
        # the value may be the pm.Data itself or a cast of it
        hits = [v.name for v in ancestors([model.rvs_to_values[rv]]) if getattr(v, "name", None) in data_names]
        if len(hits) == 1:
            out[rv.name] = hits[0]
    return out

def scalar_parameters(model, idata) -> list[str]:
    """Free parameters on their natural scale that SBC ranks: scalars by name, and each element of a small
    vector parameter as ``name[i]`` (flat index)."""
    out = []
    for rv in model.free_RVs:
        if rv.name not in idata.prior:
            continue
        x = idata.prior[rv.name]
        if x.ndim == 2:
            out.append(rv.name)
        elif 0 < x[0, 0].size <= MAX_ELEMENTS:
            out += [f"{rv.name}[{i}]" for i in range(x[0, 0].size)]
    return out

def parameter_values(dataset, name: str) -> np.ndarray:
    """Values of a ranked parameter (``name`` or ``name[i]``) over chains × draws, flattened."""
    base, _, idx = name.partition("[")
    x = np.asarray(dataset[base].values)
    x = x.reshape(x.shape[0] * x.shape[1], -1)
    return x[:, int(idx.rstrip("]"))] if idx else x[:, 0]

@contextlib.contextmanager

def quiet_logger(name: str):
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)

def prior_predictive_draw(model, seed: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Default SBC simulation: true scalar parameters and simulated pm.Data values from PyMC's prior predictive.

    Needs every likelihood term to be an observed variable whose values are a pm.Data: a Potential is neither
    simulated by the prior predictive nor swappable data (ranks would be biased), so it is refused."""
    import pymc as pm

    obs_map = observed_data_names(model)
    if model.potentials:
        raise RunError(f"SBC needs every likelihood term as an observed variable (or a model-specific "
                       f"`sbc_draw`); the model has potentials {[p.name for p in model.potentials]}")
    if len(obs_map) != len(model.observed_RVs):
        raise RunError("SBC needs every observation in pm.Data; missing for "
                       f"{[rv.name for rv in model.observed_RVs if rv.name not in obs_map]}")
    # PyMC logs the sampled variable list at INFO once per call: one line per simulation, noise in SBC logs
    with quiet_logger("pymc"):
        prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=seed)
    truth = {p: float(parameter_values(prior.prior, p)[0]) for p in scalar_parameters(model, prior)}
    data = {d.name: d.get_value() for d in model.data_vars}
    for obs_name, data_name in obs_map.items():
        data[data_name] = np.asarray(prior.prior_predictive[obs_name].values[0, 0]).astype(np.asarray(data[data_name]).dtype)
    return truth, data
