"""Densing law: curve maths by hand, graph check, small real fit, milestone shapes, slow parameter recovery."""
import math

import numpy as np
import pandas as pd
import pytest

from forecast.core.config import RunConfig
from forecast.core.timeutil import month_grid
from forecast.models.densing import Densing
from forecast.models.densing.curves import al_unit_b, capability_curve, doubling_months, inverse_curve, log_density
from forecast.data.tables import load_table
from forecast.report.figures import model_figures


def test_curve_by_hand():
    # floor 0.25, ceiling 0.25 + 0.75·0.8 = 0.85, midpoint at ln N = 23: halfway score 0.55
    assert capability_curve(23.0, 0.25, 0.8, 0.7, 23.0) == pytest.approx(0.55)
    # one unit of k(x − m) above the midpoint: 0.25 + 0.6·logistic(1)
    assert capability_curve(23.0 + 1 / 0.7, 0.25, 0.8, 0.7, 23.0) == pytest.approx(0.25 + 0.6 / (1 + math.exp(-1)))
    assert capability_curve(-1e3, 0.5, 1.0, 1.0, 0.0) == pytest.approx(0.5)


def test_inverse_and_density_by_hand():
    s = capability_curve(21.5, 0.1, 0.9, 0.6, 22.0)
    assert inverse_curve(s, 0.1, 0.9, 0.6, 22.0) == pytest.approx(21.5)
    # score 0.55 on the curve above is reached at ln N_eff = 23; a model with ln N = 22 has ln ρ = 1
    assert log_density(0.55, 22.0, 0.25, 0.8, 0.7, 23.0) == pytest.approx(1.0)
    assert inverse_curve(0.86, 0.25, 0.8, 0.7, 23.0) == np.inf  # above the ceiling 0.85: unreachable
    assert inverse_curve(0.2, 0.25, 0.8, 0.7, 23.0) == -np.inf  # below chance
    assert doubling_months(12 * math.log(2) / 3.5) == pytest.approx(3.5)


def test_unit_sd_asymmetric_laplace():
    import pymc as pm
    for q in (0.5, 0.9):
        x = pm.draw(pm.AsymmetricLaplace.dist(mu=0.0, b=al_unit_b(q), q=q), draws=200_000, random_seed=1)
        assert np.std(x) == pytest.approx(1.0, rel=0.02)
        assert (x < 0).mean() == pytest.approx(q, abs=0.01)


def test_prepare_groups_and_as_of():
    m = Densing({"benchmarks": load_table("benchmarks")}, cfg=RunConfig(as_of="2024-01-01"))
    x = m.inputs
    assert x["obs"]["date"].max() < pd.Timestamp("2024-01-01")
    assert not x["obs"].duplicated(["model", "group"]).any()
    assert set(x["obs"]["source"]) <= {"epoch_open_models", "obsscaling", "open_llm_leaderboard_v2"}
    assert len(x["floor"]) == len(x["groups"]) and x["floor"].min() >= 0


def test_graph_logp_finite():
    m = Densing({"benchmarks": load_table("benchmarks")})
    for q in (0.9, 0.5):
        model = m.build_model(quantile=q)
        assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_small_fit_static_and_paths(fitted):
    m = fitted("densing")
    T = m.draws("T_months")
    assert np.all(np.isfinite(T)) and np.all(T > 0)
    assert np.all(np.isfinite(m.draws("T_months_typ")))
    hit = m.static("doubling_time_at_most", {"months": 3.5})
    assert hit.dtype == bool and hit.shape == T.shape
    dates = month_grid(m.data_end, "2030-12-31")
    p = {"benchmark": "mmlu", "score": 0.86, "max_active_params": 1e10}
    path = m.paths("open_model_score", p, dates, np.random.default_rng(0))
    assert path.shape == (T.size, len(dates)) and path.dtype == bool
    small = m.smallest_model_for("mmlu", 0.7, "2025-01-01")
    assert small.shape == T.shape and np.nanmedian(small) > 0
    assert m.observed_passage("open_model_score", {"benchmark": "mmlu", "score": 0.5, "max_active_params": 1e10}) is not None
    rows = m.summary()
    assert rows[0]["seed_claim"].startswith("3.5 months")
    assert set(model_figures(m)) == {"densing_density", "densing_doubling"}


@pytest.mark.slow
def test_parameter_recovery():
    """Simulate scores from known curves and a known frontier doubling time; the fit recovers T."""
    rng = np.random.default_rng(7)
    base = load_table("benchmarks")
    m0 = Densing({"benchmarks": base})
    x = m0.inputs
    T_true, q = 6.0, 0.9
    r = 12 * math.log(2) / T_true
    c, k = 0.9, 0.7
    mid = x["log_n_mid"][x["g"]] + 0.5 / k
    sd = 1.0
    noise = rng.normal(size=len(x["obs"])) * sd
    u = r * x["t"] + noise - sd * 1.2816  # normal noise shifted so the 0.9-quantile line is r·t
    y = capability_curve(x["log_n"] + u, x["floor"][x["g"]], c, k, mid) + rng.normal(0, 0.01, len(u))
    sim = x["obs"].assign(score=np.clip(y, 0, 1))[base.columns]
    m = Densing({"benchmarks": sim}, cfg=RunConfig(chains=2, draws=500, tune=500, seed=3))
    res = m._sample(q)
    Ts = res.idata.posterior["T_months"].to_numpy().ravel()
    lo, hi = np.quantile(Ts, [0.02, 0.98])
    assert lo < T_true < hi
