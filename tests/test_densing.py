"""Densing law: curve maths and cohorts by hand, the likelihood kernels against SciPy and finite differences, graph
check, small real fit, milestone shapes; slow: parameter recovery of both fits on synthetic data."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.core.config import RunConfig
from forecast.core.timeutil import month_grid
from forecast.data.tables import load_table
from forecast.models.densing import Densing
from forecast.models.densing import likelihood as lik
from forecast.models.densing.curves import (al_unit_b, capability_curve, cohort_index, doubling_months, inverse_curve,
                                            log_density)
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


def test_cohort_index_by_hand():
    dates = ["2019-01-01", "2019-06-30", "2019-07-01", "2023-12-31", "2024-01-15"]
    assert list(cohort_index(dates, "2019-01-01", 6)) == [0, 0, 1, 9, 10]
    assert list(cohort_index(dates, "2019-01-01", 12)) == [0, 0, 0, 4, 5]


def test_unit_sd_asymmetric_laplace():
    import pymc as pm
    for q in (0.5, 0.9):
        x = pm.draw(pm.AsymmetricLaplace.dist(mu=0.0, b=al_unit_b(q), q=q), draws=200_000, random_seed=1)
        assert np.std(x) == pytest.approx(1.0, rel=0.02)
        assert (x < 0).mean() == pytest.approx(q, abs=0.01)


def _kernel_case(seed=0, G=3, P=4, n=40):
    rng = np.random.default_rng(seed)
    par = {"k": rng.uniform(0.3, 1.0, G), "hm": rng.normal(0, 1, G), "span": rng.uniform(0.5, 0.9, G),
           "r": rng.normal(2, 0.5, G), "s": rng.uniform(0.5, 1.5, G), "sig": rng.uniform(0.01, 0.05, G),
           "delta": np.array(1.2), "c": rng.normal(0, 0.3, P), "nu": np.array(5.0)}
    dat = {"floor": rng.uniform(0, 0.3, G), "g": rng.integers(0, G, n), "per": rng.integers(0, P, n),
           "dlogn": rng.normal(0, 2, n), "dt": rng.normal(0, 1, n), "dtp": np.minimum(rng.normal(0, 1, n), 0),
           "y": rng.uniform(0.1, 0.9, n), "w": np.r_[0.0, np.ones(n - 1)]}  # a zero weight drops its row
    p, d = par, dat
    x = d["dlogn"] + p["r"][d["g"]] * d["dt"] - p["delta"] * d["dtp"]
    return par, dat, x


def _location_scale(par, dat, x):
    g = dat["g"]
    pr = 1 / (1 + np.exp(-(par["k"][g] * x + par["hm"][g])))
    f = par["span"][g] * par["k"][g] * pr * (1 - pr)
    return dat["floor"][g] + par["span"][g] * pr, np.sqrt((f * par["s"][g]) ** 2 + par["sig"][g] ** 2)


def _fd_max_error(fn, par, grads, names, h=1e-6):
    """Largest error of the kernel's gradient against central finite differences, relative where it exceeds 1."""
    worst = 0.0
    for name, grad in zip(names, grads):
        base = np.atleast_1d(np.asarray(par[name], float))
        for e in range(base.size):
            hi, lo = dict(par), dict(par)
            up, dn = base.copy(), base.copy()
            up[e] += h
            dn[e] -= h
            hi[name], lo[name] = up.reshape(np.shape(par[name])), dn.reshape(np.shape(par[name]))
            exact = np.atleast_1d(grad)[e]
            worst = max(worst, abs((fn(hi) - fn(lo)) / (2 * h) - exact) / max(1.0, abs(exact)))
    return worst


@pytest.mark.parametrize("compiled", [False, True])
def test_scatter_kernel_is_student_t(compiled):
    par, dat, x = _kernel_case()
    K = lik.kernel("scatter") if compiled else lik._scatter_loglik.py_func if hasattr(lik._scatter_loglik, "py_func") else lik._scatter_loglik
    names = ["k", "hm", "span", "r", "s", "sig", "delta", "c", "nu"]
    args = lambda p: [p[v] for v in names] + [dat[v] for v in ("floor", "g", "per", "dlogn", "dt", "dtp", "y", "w")]  # noqa: E731
    out = K(*args(par))
    mu, S = _location_scale(par, dat, x + par["c"][dat["per"]])
    ref = (dat["w"] * (stats.t(5.0).logpdf((dat["y"] - mu) / S) - np.log(S))).sum()
    assert float(out[0]) == pytest.approx(ref, rel=1e-12)
    assert _fd_max_error(lambda p: float(K(*args(p))[0]), par, out[1:], names) < 1e-5


@pytest.mark.parametrize("compiled", [False, True])
def test_quantile_kernel_is_the_rounded_asymmetric_laplace(compiled):
    par, dat, x = _kernel_case(1)
    K = lik.kernel("quantile") if compiled else lik._quantile_loglik.py_func if hasattr(lik._quantile_loglik, "py_func") else lik._quantile_loglik
    names = ["k", "hm", "span", "r", "s", "sig", "delta"]
    q, eps = 0.9, 0.3
    args = lambda p: [p[v] for v in names] + [np.array(q), np.array(eps)] + [dat[v] for v in ("floor", "g", "dlogn", "dt", "dtp", "y", "w")]  # noqa: E731
    out = K(*args(par))
    mu, S = _location_scale(par, dat, x)
    kap = math.sqrt(q / (1 - q))
    b = al_unit_b(q)
    u = (dat["y"] - mu) * b / S
    ref = (dat["w"] * (np.log(b / ((kap + 1 / kap) * S)) - 0.5 * ((kap - 1 / kap) * u + (kap + 1 / kap) * np.sqrt(u * u + eps * eps)))).sum()
    assert float(out[0]) == pytest.approx(ref, rel=1e-12)
    assert _fd_max_error(lambda p: float(K(*args(p))[0]), par, out[1:], names) < 1e-5


def test_centring_weight_ramp_by_hand():
    from forecast.models.densing.model import centring_weight
    assert centring_weight(np.array([0, 20, 25, 30, 40, 500]), 20, 40).tolist() == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_partially_non_centred_normal_has_the_stated_distribution(weight):
    """Whatever its centring weight, the parameter is Normal(mu, sd): its prior draws have that mean and sd, and the
    graph's density of z is the Normal density of the value plus the log slope (1 − w)·log sd of z ↦ value."""
    import pymc as pm
    from forecast.models.densing.model import mixed_normal
    with pm.Model() as model:
        v = mixed_normal("v", 1.5, 0.4, np.full(3, weight), dims=None)
    draws = pm.draw(v, draws=20000, random_seed=1)
    assert draws.mean() == pytest.approx(1.5, abs=0.01) and draws.std() == pytest.approx(0.4, abs=0.01)
    value = np.array([1.0, 1.5, 2.3])
    z = weight * 1.5 + (value - 1.5) / 0.4 ** (1 - weight)
    logp = model.compile_logp()({"z_v": z})
    assert logp == pytest.approx(stats.norm(1.5, 0.4).logpdf(value).sum() + 3 * (1 - weight) * math.log(0.4), abs=1e-9)


def test_prepare_groups_cohorts_and_as_of():
    m = Densing({"benchmarks": load_table("benchmarks")}, cfg=RunConfig(as_of="2024-01-01"))
    x = m.inputs
    assert x["obs"]["date"].max() < pd.Timestamp("2024-01-01")
    assert not x["obs"].duplicated(["model", "group"]).any()
    assert set(x["obs"]["source"]) <= {"epoch_open_models", "obsscaling", "open_llm_leaderboard_v2"}
    assert len(x["floor"]) == len(x["groups"]) and x["floor"].min() >= 0
    assert x["cohort"].min() >= 0 and x["n_cohorts"] == x["cohort"].max() + 1 == 10  # half-years 2019H1 .. 2023H2
    assert np.allclose(x["dlogn"], x["log_n"] - x["log_n_mid"][x["g"]])


def test_graph_logp_finite():
    m = Densing({"benchmarks": load_table("benchmarks")})
    for fit in ("frontier", "typical"):
        model = m.build_model(fit=fit)
        assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert "nu" in m.build_model().named_vars  # the default graph is the one SBC checks (settings.sbc_fit)
    with pytest.raises(ValueError):
        m.build_model(fit="median")


def test_small_fit_static_and_paths(fitted):
    m = fitted("densing")
    T = m.draws("T_months")
    assert np.all(np.isfinite(T)) and np.all(T > 0)
    assert np.all(np.isfinite(m.draws("T_months_typ")))
    assert m.draws("period_effect_typ").shape == (T.size, m.inputs["n_cohorts"])
    assert not any(v.startswith(("curve_", "scale_")) or v.endswith("__") for v in m.idata.posterior.data_vars)
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
    assert any("Student-t" in r["quantity"] for r in rows)
    assert set(model_figures(m)) == {"densing_density", "densing_doubling"}
    prior = m.prior_model(200, 1)
    assert prior.draws("T_months").shape == (200,) and prior.static("doubling_time_at_most", {"months": 3.5}).shape == (200,)


def _synthetic(m, fit, theta, seed):
    """Scores simulated from `fit`'s likelihood at parameters `theta` on the real data's sizes, dates and groups."""
    model = m.build_model(fit=fit)
    data = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
    mu, scale = m.likelihood_location_scale(theta, data)
    rng = np.random.default_rng(seed)
    if fit == "typical":
        noise = rng.standard_t(float(theta["nu"]), size=mu.shape)
    else:
        from forecast.models.densing.curves import smoothed_al_noise
        noise = smoothed_al_noise(0.9, float(m.priors.settings["al_smoothing"]), mu.shape, rng)
    return mu + scale * noise


def _truth(m, seed, T=6.0, delta=0.8, sigma_period=0.4, nu=6.0):
    """Parameters of both fits: pooled doubling time T (months), curves from the prior, small scales."""
    x = m.inputs
    G = len(x["groups"])
    rng = np.random.default_rng(seed)
    r = 12 * math.log(2) / T
    return {"log_T": math.log(T), "tau_r": 0.1, "r": np.full(G, r) + rng.normal(0, 0.1, G), "delta_break": delta,
            "ceil_frac": np.full(G, 0.9), "k": np.full(G, 0.7), "h": np.zeros(G), "sigma_score": np.full(G, 0.01),
            "sigma_rho": np.full(G, 0.6), "sigma_period": sigma_period, "nu": nu,
            "period_effect": sigma_period * rng.standard_normal(x["n_cohorts"])}


@pytest.mark.slow
def test_parameter_recovery_typical():
    """Scores simulated from the typical fit's generative model at known parameters: the fit recovers T, Δ and the
    cohort effects' scale (2 chains × 300 draws)."""
    base = load_table("benchmarks")
    m0 = Densing({"benchmarks": base})
    truth = _truth(m0, 3)
    sim = m0.inputs["obs"].assign(score=_synthetic(m0, "typical", truth, 4))[base.columns]
    m = Densing({"benchmarks": sim}, cfg=RunConfig(chains=2, draws=300, tune=300, seed=3, quiet=True))
    post = m._sample("typical").idata.posterior
    for var, value in (("T_months", 6.0), ("delta_break", truth["delta_break"]), ("sigma_period", truth["sigma_period"])):
        lo, hi = np.quantile(post[var].to_numpy().ravel(), [0.01, 0.99])
        assert lo < value < hi, var
    effects = post["period_effect"].to_numpy().reshape(-1, m.inputs["n_cohorts"]).mean(0)
    busy = np.bincount(m.inputs["cohort"], minlength=m.inputs["n_cohorts"]) >= 40
    assert np.corrcoef(effects[busy], truth["period_effect"][busy])[0, 1] > 0.5


@pytest.mark.slow
def test_parameter_recovery_frontier():
    """Scores simulated from the frontier fit's quantile likelihood at a known doubling time: the fit recovers T."""
    base = load_table("benchmarks")
    m0 = Densing({"benchmarks": base})
    truth = _truth(m0, 5)
    sim = m0.inputs["obs"].assign(score=_synthetic(m0, "frontier", truth, 6))[base.columns]
    m = Densing({"benchmarks": sim}, cfg=RunConfig(chains=2, draws=300, tune=300, seed=3, quiet=True))
    T = m._sample("frontier").idata.posterior["T_months"].to_numpy().ravel()
    lo, hi = np.quantile(T, [0.01, 0.99])
    assert lo < 6.0 < hi
