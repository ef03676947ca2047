"""Densing backtest hooks and SBC simulator: target/history frames, the predictive against the curve by hand,
the simulator against the fit's own likelihood graph (no sampling); slow: one backtest origin and a few SBC runs."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from forecast.core.config import RunConfig
from forecast.core.errors import RunError
from forecast.core.timeutil import decimal_year
from forecast.models.densing import Densing
from forecast.models.densing.curves import al_unit_b, capability_curve, smoothed_al_noise
from forecast.models.densing.curves import TYP
from forecast.data.tables import load_table

ORIGIN = "2024-01-01"


@pytest.fixture(scope="module")
def frames():
    return {"benchmarks": load_table("benchmarks")}


@pytest.fixture(scope="module")
def cut_and_full(frames):
    return Densing(frames, cfg=RunConfig(as_of=ORIGIN)), Densing(frames)


def _loss_density(q, eps):
    """The fit's per-score density in u = b·(y − μ)/scale, unnormalised, and its normaliser."""
    kap = math.sqrt(q / (1 - q))
    f = lambda u: np.exp(-0.5 * ((kap - 1 / kap) * u + (kap + 1 / kap) * np.sqrt(u * u + eps * eps)))  # noqa: E731
    return f, integrate.quad(f, -np.inf, np.inf)[0]


@pytest.mark.parametrize("q", [0.5, 0.9])
def test_smoothed_noise_has_the_likelihood_density(q):
    eps = 0.3
    f, Z = _loss_density(q, eps)
    z = smoothed_al_noise(q, eps, 200_000, np.random.default_rng(2)) * al_unit_b(q)  # back to u units
    for u in (-2.0, -0.2, 0.0, 0.5, 3.0):
        assert (z < u).mean() == pytest.approx(integrate.quad(f, -np.inf, u)[0] / Z, abs=0.005)


def test_backtest_frames_post_origin(cut_and_full):
    cut, full = cut_and_full
    tg = cut.backtest_targets(full, 2.0)
    assert {"series", "date", "t", "y", "discrete", "group", "log_n"} <= set(tg.columns)
    d = pd.to_datetime(tg["date"])
    assert len(tg) > 50 and (d >= pd.Timestamp(ORIGIN)).all() and (d < pd.Timestamp("2026-01-01")).all()
    assert tg["series"].str.startswith("densing_score:").all() and not tg["discrete"].any()
    assert tg["y"].between(0, 1).all() and np.allclose(tg["t"], decimal_year(d))
    # every later open-model score of the full data is a target (all groups survive this cut)
    assert len(tg) == (full.inputs["obs"]["date"] >= pd.Timestamp(ORIGIN)).sum()
    h = cut.backtest_history()
    assert list(h.columns) == ["series", "t", "y"] and len(h) == len(cut.inputs["obs"])
    assert h["t"].max() < decimal_year([pd.Timestamp(ORIGIN)])[0]
    assert set(tg["series"]) <= set(h["series"])


def test_predictive_is_the_typical_curve_plus_noise(frames, cut_and_full):
    import arviz as az
    cut = Densing(frames, cfg=RunConfig(as_of=ORIGIN))  # gets a hand-made posterior below
    tg = cut.backtest_targets(cut_and_full[1], 2.0).iloc[::10].reset_index(drop=True)
    th = cut.prior_draw(np.random.default_rng(5))
    G, S = len(cut.inputs["groups"]), 40
    post = {v + TYP: np.broadcast_to(th[v], (1, S, G)) for v in ("r", "ceil_frac", "k", "sigma_rho", "sigma_score")}
    post["m" + TYP] = np.broadcast_to(cut.inputs["log_n_mid"] - th["h"] / th["k"], (1, S, G))
    post["delta_break" + TYP] = np.full((1, S), float(th["delta_break"]))
    post["T_months"] = np.full((1, S), 6.0)
    cut.attach(az.from_dict(posterior=post))
    draws = cut.predictive(tg, np.random.default_rng(0), n_draws=20_000)
    assert draws.shape == (20_000, len(tg))
    f, Z = _loss_density(0.5, float(cut.priors.settings["al_smoothing"]))
    noise_sd = math.sqrt(integrate.quad(lambda u: u * u * f(u), -np.inf, np.inf)[0] / Z) / al_unit_b(0.5)
    index = {g["label"]: i for i, g in enumerate(cut.inputs["groups"])}
    for j, row in tg.iterrows():
        gi = index[row["group"]]
        fl, c, k, mm = cut.inputs["floor"][gi], th["ceil_frac"][gi], th["k"][gi], post["m" + TYP][0, 0, gi]
        x = row["log_n"] + cut.line(gi, pd.DatetimeIndex([row["date"]]), TYP)[0, 0]
        centre = capability_curve(x, fl, c, k, mm)
        slope = (centre - fl) * (1 - (centre - fl) / ((1 - fl) * c)) * k  # f'(x) of the logistic curve
        scale = math.hypot(slope * th["sigma_rho"][gi], th["sigma_score"][gi])
        # τ = 0.5: the curve is the predictive median; the spread is the delta-method scale times the noise sd
        assert np.median(draws[:, j]) == pytest.approx(centre, abs=0.03 * scale)
        assert np.std(draws[:, j]) == pytest.approx(noise_sd * scale, rel=0.03)


def test_sbc_draw_shapes(frames):
    m = Densing(frames)
    model = m.build_model()
    truth, data = m.sbc_draw(model, seed=11)
    assert set(truth) == {"log_T", "tau_r", "delta_break"} and all(np.isfinite(list(truth.values())))
    assert truth["tau_r"] > 0
    assert set(data) == {d.name for d in model.data_vars}
    n = len(m.inputs["obs"])
    assert data["score"].shape == (n,) and np.isfinite(data["score"]).all()
    assert not np.allclose(data["score"], m.inputs["score"])  # simulated, not the observed scores
    for name in ("g", "log_n", "t", "weight", "quantile"):
        assert np.array_equal(data[name], model[name].get_value())
    again = m.sbc_draw(model, seed=11)
    assert again[0] == truth and np.array_equal(again[1]["score"], data["score"])
    with pytest.raises(RunError):
        m.sbc_draw(m.build_model(weight=np.full(n, 2.0)), seed=1)


def _value_point(m, th):
    """Unconstrained sampler point for parameters drawn on the natural scale (inverts the curve reparametrisation)."""
    x = m.inputs
    shift = th["r"] * x["t_mid"] - th["delta_break"] * x["t_pre_mid"]
    pc = 1.0 / (1.0 + np.exp(-(th["h"] + th["k"] * shift)))  # a / ceil_frac at the data centre
    a = th["ceil_frac"] * pc
    se = (th["ceil_frac"] - a) / (1.0 - a)
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    return {"log_T": th["log_T"], "tau_r_log__": np.log(th["tau_r"]), "r": th["r"], "delta_break": th["delta_break"],
            "curve_level": logit(a), "curve_head": logit(se), "curve_slope": np.log(th["k"] * th["ceil_frac"] * pc * (1 - pc)),
            "sigma_score_log__": np.log(th["sigma_score"]), "sigma_rho_log__": np.log(th["sigma_rho"])}


def test_prior_draw_is_the_graph_prior(frames):
    """The graph's log density without `lik` (natural scale) equals the stated priors of the simulator's draws plus
    the curve reparametrisation's log Jacobian (here by finite differences): the curve_prior Potential is exactly
    independent ceil_frac, k, h priors, so drawing those is drawing from the fit's prior."""
    from scipy import stats
    from forecast.models.densing.curves import LN2
    m = Densing(frames)
    model = m.build_model()
    x, P = m.inputs, m.priors
    logp = model.compile_logp(jacobian=False)
    lik = model.compile_fn(model.replace_rvs_by_values([model["lik"]])[0], inputs=model.value_vars, on_unused_input="ignore")
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731

    def curve(z, shift):  # (curve_level, curve_head, curve_slope) -> (ceil_frac, k, h), written out from the docs
        a, se = sig(z[0]), sig(z[1])
        c = a + (1 - a) * se
        k = np.exp(z[2]) / (c * (a / c) * (1 - a / c))
        return np.array([c, k, z[0] - np.log(se) - k * shift])

    for seed in (0, 1):
        th = m.prior_draw(np.random.default_rng(seed))
        pt = _value_point(m, th)
        shift = th["r"] * x["t_mid"] - th["delta_break"] * x["t_pre_mid"]
        log_jac = 0.0
        for gi in range(len(x["groups"])):
            z = np.array([pt["curve_level"][gi], pt["curve_head"][gi], pt["curve_slope"][gi]])
            J = np.column_stack([(curve(z + e, shift[gi]) - curve(z - e, shift[gi])) / 2e-6 for e in np.eye(3) * 1e-6])
            log_jac += np.log(abs(np.linalg.det(J)))
        stated = sum(P[v].to_scipy().logpdf(th[v]).sum() for v in ("log_T", "tau_r", "delta_break", "ceil_frac", "k", "h",
                                                                     "sigma_score", "sigma_rho"))
        stated += stats.norm(12 * LN2 * np.exp(-th["log_T"]), th["tau_r"]).logpdf(th["r"]).sum()
        assert logp(pt) - lik(pt) == pytest.approx(stated + log_jac, abs=1e-4)


@pytest.mark.parametrize("q", [0.9, 0.5])
def test_simulator_matches_likelihood_graph(frames, q):
    """The simulator's location/scale are the graph's: at simulated scores the `lik` Potential equals the log
    density the simulator draws from, up to the constant n·log(Z/(κ + 1/κ)) (Z: the smoothed AL normaliser)."""
    import pymc as pm
    m = Densing(frames)
    model = m.build_model(quantile=q)
    eps = float(m.priors.settings["al_smoothing"])
    f, Z = _loss_density(q, eps)
    kap, b = math.sqrt(q / (1 - q)), al_unit_b(q)
    outs = model.replace_rvs_by_values([model["lik"], model["ceil_frac"], model["k"], model["h"]])
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        th = m.prior_draw(rng)
        data = {d.name: d.get_value() for d in model.data_vars}
        mu, scale = m.likelihood_location_scale(th, data)
        y = mu + scale * smoothed_al_noise(q, eps, mu.shape, rng)
        pm.set_data({"score": y}, model=model)
        lik, c, k, h = fn(_value_point(m, th))
        assert np.allclose(c, th["ceil_frac"]) and np.allclose(k, th["k"]) and np.allclose(h, th["h"])
        u = b * (y - mu) / scale
        logpdf = np.log(f(u) / Z * b / scale).sum()
        assert lik - logpdf == pytest.approx(len(y) * math.log(Z / (kap + 1 / kap)), rel=1e-6, abs=1e-6)


@pytest.mark.slow
def test_backtest_one_origin_densing():
    from forecast.calibration import backtest as bt
    origin = "2024-07-01"
    res = bt.backtest_origin(origin, ["densing"], RunConfig(seed=1, chains=2, draws=300, tune=300, quiet=True))
    assert len(res) and (pd.to_datetime(res["date"]) >= pd.Timestamp(origin)).all()
    assert res["series"].str.startswith("densing_score:").all()
    # the leaderboard-v2 groups hold most models released after mid-2024
    assert {"densing_score:bbh (open_llm_leaderboard_v2)", "densing_score:mmlu_pro (open_llm_leaderboard_v2)"} <= set(res["series"])
    for series, g in res.groupby("series"):
        assert set(g["method"]) == {"model", "persistence", "linear_trend"}, series
        assert g.groupby("method").size().nunique() == 1, series  # every method scores the same targets
    assert np.isfinite(res["crps"]).all() and res["pit"].between(0, 1).all()
    mod = res[res["method"] == "model"]
    assert (mod["cover50"] <= mod["cover80"]).all() and (mod["cover80"] <= mod["cover95"]).all()


@pytest.mark.slow
def test_sbc_densing_small(tmp_path):
    from forecast.calibration.sbc import run_sbc
    path, summary = run_sbc("densing", 8, RunConfig(seed=3, chains=2, draws=300, tune=300), out_dir=tmp_path)
    assert (path / "ranks.png").exists()
    assert set(summary["parameter"]) == {"log_T", "tau_r", "delta_break"} and (summary["sims"] == 8).all()
    ranks = pd.read_csv(path / "ranks.csv")
    assert ranks["rank"].between(0, 99).all()
    # 8 sims cannot show uniformity; all ranks at one end (a wrong simulator or prior) must not happen
    assert summary["mean_rank_fraction"].between(0.15, 0.85).all()
