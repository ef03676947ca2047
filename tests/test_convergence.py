"""Convergence model: C and level maths on hand values, graph check, and one small fit (with adoption upstream)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.core.config import RunConfig
from forecast.models.convergence import Convergence
from forecast.data.priors import load_priors
from forecast.data.tables import load_table
from forecast.data.technologies import convergence_degree, level_index, load_levels
from forecast.report.figures import model_figures


@pytest.fixture(scope="module")
def levels():
    return load_levels()


def test_formula_hand_values(levels):
    w3, w4 = levels.formulas["three_term"], levels.formulas["four_term"]
    # seed 003 §四 3.1 MoE inputs: A .60, S .70, K .30, M .75
    assert convergence_degree(w3, 0.6, 0.7, 0.3) == pytest.approx(0.66)
    assert convergence_degree(w4, 0.6, 0.7, 0.3, 0.75) == pytest.approx(0.68)
    assert convergence_degree(w4, 0.5, 0.7, 0.3, 0.75) == pytest.approx(0.65)  # long context
    with pytest.raises(ValueError):
        convergence_degree(w4, 0.5, 0.7, 0.3)


def test_level_bands_hand_values(levels):
    c = np.array([0.0, 0.2, 0.2001, 0.6, 0.66, 0.8, 0.85, 0.9, 0.95, 1.0])
    assert level_index(c, levels.lower).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert level_index(np.ones((3, 2)) * 0.7, levels.lower).shape == (3, 2)
    # the definition itself (bounds strictly exceeded), on random values and on every bound exactly
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0, 1, 500), levels.lower, levels.upper]).reshape(-1, 2)
    assert (level_index(x, levels.lower) == (x[..., None] > np.asarray(levels.lower)[1:]).sum(axis=-1)).all()


def test_graph_compiles_and_logp_finite():
    m = Convergence({t: load_table(t) for t in Convergence.tables}, load_priors("convergence"), RunConfig())
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert m.inputs["components"] == ["standardization", "controversy"]
    # S and K are measured for the technologies with variant data, and only for them
    measured = set(m.inputs["measurements"]["technology"])
    assert {"attention", "moe", "hardware_ecosystem", "foundation_model_market"} <= measured
    assert not measured & {"adamw", "rlhf", "reasoning"}
    assert m.component_sources("adamw") == {"standardization": [], "controversy": []}


def test_small_fit(fitted):
    m = fitted("convergence")
    dates = pd.date_range("2024-01-31", "2030-12-31", freq="ME")
    c = m.c_paths("moe", dates)
    assert c.shape == (600, len(dates)) and (c >= 0).all() and (c <= 1).all()
    for tech in ("moe", "attention", "mcp", "dl_framework"):
        p = m.level_probabilities(tech, "2026-11-26")
        assert set(p) == {"L0", "L1", "L2", "L3", "L4"} and sum(p.values()) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    at_least = m.paths("level_at_least", {"tech": "moe", "level": "L3"}, dates, rng)
    is_l2 = m.paths("level_is", {"tech": "moe", "level": "L2"}, dates, rng)
    assert at_least.shape == is_l2.shape == c.shape and at_least.dtype == bool
    assert not (at_least & is_l2).any()
    assert ((c > 0.8) == at_least).all()
    td = m.transition_dates("moe", dates)
    assert set(td) == {"L1", "L2", "L3", "L4"} and td["L3"].shape == (600,)
    with pytest.raises(KeyError):
        m.c_paths("warp_drive", dates)
    assert m.pair_index(600, 600).tolist() == list(range(600))
    assert np.array_equal(m.pair_index(100, 600), m.pair_index(100, 600))
    rows = m.summary()
    assert any("most probable level" in r["quantity"] for r in rows)
    figs = model_figures(m)
    assert set(figs) == {"convergence_fans", "convergence_levels"}
