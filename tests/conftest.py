"""Shared fixtures. Each model graph is compiled and fitted once per test session (2 chains × 300 draws)."""
from __future__ import annotations

import os

import pytest

from forecast.core.config import GateThresholds, RunConfig

# commands in tests run in the test process, never in a `forecast serve` a developer left running
os.environ["FORECAST_SERVER"] = "off"

TEST_SEED = 1234


@pytest.fixture(scope="session")
def small_cfg() -> RunConfig:
    # small fits check machinery, not convergence: the gate is loosened so tests read real numbers
    return RunConfig(seed=TEST_SEED, chains=2, draws=300, tune=300,
                     gate=GateThresholds(max_rhat=1.1, min_ess=50, max_divergences=10))


@pytest.fixture(scope="session")
def fitted(small_cfg):
    """fitted(name) -> a model fitted on the repo's data, cached for the session."""
    from forecast.models.registry import build_models

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            models = build_models([name], small_cfg)
            for n, m in models.items():
                if n in cache:
                    models[n] = cache[n]
            for n, m in models.items():
                if n not in cache:
                    m.upstream = {r: cache.get(r, models[r]) for r in m.requires}
                    m.fit()
                    cache[n] = m
        return cache[name]

    return get
