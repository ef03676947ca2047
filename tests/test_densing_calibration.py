"""Densing backtest hooks, predictive and SBC simulator: target/history frames, the predictive against the typical
fit's likelihood by hand (scale, joint rows), the simulator against each fit's own likelihood graph (no sampling);
slow: the predictive's coverage of held-out synthetic scores, one backtest origin and a few SBC runs."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from forecast.core.config import RunConfig
from forecast.core.errors import RunError
from forecast.core.timeutil import decimal_year
from forecast.data.tables import load_table
from forecast.evaluation import scoring as ev
from forecast.models.densing import Densing
from forecast.models.densing.curves import LN2, TYP, al_unit_b, capability_curve, smoothed_al_noise

ORIGIN = "2024-01-01"


@pytest.fixture(scope="module")
def frames():
    return {"benchmarks": load_table("benchmarks")}


@pytest.fixture(scope="module")
def cut_and_full(frames):
    return Densing(frames, cfg=RunConfig(as_of=ORIGIN)), Densing(frames)


def _loss_density(q, eps):
    """The frontier fit's per-score density in u = b·(y − μ)/scale, unnormalised, and its normaliser."""
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
    assert {"series", "date", "t", "y", "discrete", "group", "log_n", "model"} <= set(tg.columns)
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


def _attach_truth(m, th, draws=40):
    """A hand-made typical posterior: every draw equal to the parameters `th` (as from `prior_draw(fit='typical')`)."""
    import arviz as az
    G = len(m.inputs["groups"])
    post = {v + TYP: np.array(np.broadcast_to(np.asarray(th[v], float), (1, draws) + np.shape(th[v])))
            for v in ("r", "ceil_frac", "k", "sigma_rho", "sigma_score", "sigma_period", "nu", "period_effect", "delta_break")}
    post["m" + TYP] = np.array(np.broadcast_to(m.inputs["log_n_mid"] - th["h"] / th["k"], (1, draws, G)))
    post["T_months" + TYP] = np.full((1, draws), math.exp(float(th["log_T"])))
    m.attach(az.from_dict(posterior=post))


def test_predictive_is_the_typical_likelihood(frames, cut_and_full):
    """Given the parameters, a target's predictive is the curve plus Student-t scatter of the fit's scale, its cohort
    effect (fitted cohorts) included."""
    cut = Densing(frames, cfg=RunConfig(as_of=ORIGIN))
    rng = np.random.default_rng(5)
    th = cut.prior_draw(rng, fit="typical")
    th.update(nu=np.asarray(7.0), sigma_period=np.asarray(0.0))  # no new cohort effects: one distribution per target
    _attach_truth(cut, th)
    full = cut_and_full[1]
    x = full.inputs
    rows = np.flatnonzero(x["obs"]["date"] < pd.Timestamp(ORIGIN))[::25]  # dates inside the fitted cohorts
    label = [x["groups"][g]["label"] for g in x["g"][rows]]
    tg = pd.DataFrame({"group": label, "date": x["obs"]["date"].iloc[rows].to_numpy(), "log_n": x["log_n"][rows],
                       "model": x["obs"]["model"].iloc[rows].to_numpy()})
    draws = cut.predictive(tg, np.random.default_rng(0), n_draws=40_000)
    assert draws.shape == (40_000, len(tg))
    index = {g["label"]: i for i, g in enumerate(cut.inputs["groups"])}
    t_dist = stats.t(7.0)
    for j, row in tg.iterrows():
        gi = index[row["group"]]
        fl, c, k = cut.inputs["floor"][gi], th["ceil_frac"][gi], th["k"][gi]
        mm = cut.inputs["log_n_mid"][gi] - th["h"][gi] / k
        coh = (pd.Timestamp(row["date"]).year - 2019) * 2 + (pd.Timestamp(row["date"]).month > 6)
        xx = row["log_n"] + cut.line(gi, pd.DatetimeIndex([row["date"]]), TYP)[0, 0] + th["period_effect"][coh]
        centre = capability_curve(xx, fl, c, k, mm)
        slope = (centre - fl) * (1 - (centre - fl) / ((1 - fl) * c)) * k  # f'(x) of the logistic curve
        scale = math.hypot(slope * th["sigma_rho"][gi], th["sigma_score"][gi])
        lo, med, hi = np.quantile(draws[:, j], [0.1, 0.5, 0.9])
        assert med == pytest.approx(centre, abs=0.03 * scale)
        assert hi - lo == pytest.approx(2 * t_dist.ppf(0.9) * scale, rel=0.05)


def test_predictive_rows_are_joint_draws(frames):
    """A cohort after the data gets one new effect per row, shared by its targets: with large cohort effects and
    little scatter, two targets of that cohort move together row by row, and targets of different cohorts do not."""
    m = Densing(frames, cfg=RunConfig(as_of=ORIGIN))
    th = m.prior_draw(np.random.default_rng(1), fit="typical")
    G = len(m.inputs["groups"])
    th.update(sigma_period=np.asarray(1.5), sigma_rho=np.full(G, 0.05), sigma_score=np.full(G, 0.002), nu=np.asarray(30.0),
              ceil_frac=np.full(G, 0.9), k=np.full(G, 0.7), h=np.zeros(G))
    _attach_truth(m, th)
    lab = m.inputs["groups"][0]["label"]
    tg = pd.DataFrame({"group": [lab] * 3, "date": pd.to_datetime(["2024-02-01", "2024-05-01", "2024-09-01"]),
                       "log_n": np.log([7e9, 8e9, 7e9]), "model": ["a", "b", "c"]})
    d = m.predictive(tg, np.random.default_rng(2), n_draws=4000)
    same, other = np.corrcoef(d[:, 0], d[:, 1])[0, 1], np.corrcoef(d[:, 0], d[:, 2])[0, 1]
    assert same > 0.9 and abs(other) < 0.1


def test_sbc_draw_shapes(frames):
    m = Densing(frames)
    n = len(m.inputs["obs"])
    for fit, ranked in (("typical", {"log_T", "tau_r", "delta_break", "sigma_period", "nu"}),
                        ("frontier", {"log_T", "tau_r", "delta_break"})):
        model = m.build_model(fit=fit)
        truth, data = m.sbc_draw(model, seed=11)
        assert set(truth) == ranked and all(np.isfinite(list(truth.values())))
        assert truth["tau_r"] > 0
        assert set(data) == {d.name for d in model.data_vars}
        assert data["score"].shape == (n,) and np.isfinite(data["score"]).all()
        assert not np.allclose(data["score"], m.inputs["score"])  # simulated, not the observed scores
        for name in set(data) - {"score"}:
            assert np.array_equal(data[name], model[name].get_value())
        again = m.sbc_draw(model, seed=11)
        assert again[0] == truth and np.array_equal(again[1]["score"], data["score"])
    with pytest.raises(RunError):
        m.sbc_draw(m.build_model(fit="frontier", weight=np.full(n, 2.0)), seed=1)


def _value_point(m, th, fit):
    """Unconstrained sampler point for parameters drawn on the natural scale (inverts the curve and scale coordinates)."""
    x = m.inputs
    shift = th["r"] * x["t_mid"] - th["delta_break"] * x["t_pre_mid"]
    pc = 1.0 / (1.0 + np.exp(-(th["h"] + th["k"] * shift)))  # a / ceil_frac at the data centre
    a = th["ceil_frac"] * pc
    se = (th["ceil_frac"] - a) / (1.0 - a)
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    slope = np.log(th["k"] * th["ceil_frac"] * pc * (1 - pc))
    f_mid = (1 - x["floor"]) * np.exp(slope)
    var_rho, var_score = (th["sigma_rho"] * f_mid) ** 2, th["sigma_score"] ** 2
    # partially non-centred coordinates: z = w·mu + (value − mu) / sd^(1 − w)
    mu_r = 12 * LN2 * np.exp(-th["log_T"])
    z_r = x["centring_r"] * mu_r + (th["r"] - mu_r) / th["tau_r"] ** (1 - x["centring_r"])
    pt = {"log_T": th["log_T"], "tau_r_log__": np.log(th["tau_r"]), "z_r": z_r, "delta_break": th["delta_break"],
          "curve_level": logit(a), "curve_head": logit(se), "curve_slope": slope,
          "scale_total": 0.5 * np.log(var_rho + var_score), "scale_split": np.log(var_score) - np.log(var_rho)}
    if fit == "typical":
        pt |= {"sigma_period_log__": np.log(th["sigma_period"]), "nu_log__": np.log(th["nu"]),
               "z_period_effect": th["period_effect"] / th["sigma_period"] ** (1 - x["centring_cohort"])}
    return pt


def _fd_log_jacobian(fn, z, h=1e-6):
    J = np.column_stack([(fn(z + e) - fn(z - e)) / (2 * h) for e in np.eye(z.size) * h])
    return np.log(abs(np.linalg.det(J)))


@pytest.mark.parametrize("fit", ["typical", "frontier"])
def test_prior_draw_is_the_graph_prior(frames, fit):
    """The graph's log density without `lik` (natural scale) equals the stated priors of the simulator's draws plus
    the log Jacobians of the curve and scale coordinates (here by finite differences): the Potentials are exactly
    independent ceil_frac, k, h, sigma_rho, sigma_score priors, so drawing those is drawing from the fit's prior."""
    m = Densing(frames)
    model = m.build_model(fit=fit)
    x, P = m.inputs, m.priors
    logp = model.compile_logp(jacobian=False)
    lik = model.compile_fn(model.replace_rvs_by_values([model["lik"]])[0], inputs=model.value_vars, on_unused_input="ignore")
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731

    def curve(z, shift):  # (curve_level, curve_head, curve_slope) -> (ceil_frac, k, h), written out from the docs
        a, se = sig(z[0]), sig(z[1])
        c = a + (1 - a) * se
        k = np.exp(z[2]) / (c * (a / c) * (1 - a / c))
        return np.array([c, k, z[0] - np.log(se) - k * shift])

    def scales(z, f_mid):  # (scale_total, scale_split) -> (sigma_rho, sigma_score) for fixed curve
        phi = sig(z[1])
        return np.array([np.exp(z[0]) * np.sqrt(1 - phi) / f_mid, np.exp(z[0]) * np.sqrt(phi)])

    names = ["log_T", "tau_r", "delta_break", "ceil_frac", "k", "h", "sigma_score", "sigma_rho"]
    names += ["sigma_period", "nu"] if fit == "typical" else []
    for seed in (0, 1):
        th = m.prior_draw(np.random.default_rng(seed), fit=fit)
        pt = _value_point(m, th, fit)
        mu_r = 12 * LN2 * np.exp(-th["log_T"])
        shift = th["r"] * x["t_mid"] - th["delta_break"] * x["t_pre_mid"]
        log_jac = 0.0
        for gi in range(len(x["groups"])):
            zc = np.array([pt["curve_level"][gi], pt["curve_head"][gi], pt["curve_slope"][gi]])
            log_jac += _fd_log_jacobian(lambda z: curve(z, shift[gi]), zc)
            f_mid = (1 - x["floor"][gi]) * np.exp(pt["curve_slope"][gi])
            log_jac += _fd_log_jacobian(lambda z: scales(z, f_mid), np.array([pt["scale_total"][gi], pt["scale_split"][gi]]))
        stated = sum(P[v].to_scipy().logpdf(th[v]).sum() for v in names)
        # the graph's density is of z, whose map to the value has slope sd^(1 − w)
        stated += stats.norm(mu_r, th["tau_r"]).logpdf(th["r"]).sum() + np.sum((1 - x["centring_r"]) * np.log(th["tau_r"]))
        if fit == "typical":
            stated += stats.norm(0, th["sigma_period"]).logpdf(th["period_effect"]).sum()
            stated += np.sum((1 - x["centring_cohort"]) * np.log(th["sigma_period"]))
        assert logp(pt) - lik(pt) == pytest.approx(stated + log_jac, abs=1e-4)


@pytest.mark.parametrize("fit", ["typical", "frontier"])
def test_simulator_matches_likelihood_graph(frames, fit):
    """The simulator's location/scale are the graph's: at simulated scores the `lik` Potential equals the log density
    the simulator draws from (Student-t exactly; the rounded asymmetric Laplace up to the constant n·log(Z/(κ + 1/κ)))."""
    import pymc as pm
    m = Densing(frames)
    model = m.build_model(fit=fit)
    eps, q = float(m.priors.settings["al_smoothing"]), 0.9
    f, Z = _loss_density(q, eps)
    kap, b = math.sqrt(q / (1 - q)), al_unit_b(q)
    outs = model.replace_rvs_by_values([model["lik"], model["ceil_frac"], model["k"], model["h"]])
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    for seed in (1, 2):
        truth, data = m.sbc_draw(model, seed)
        th = m.prior_draw(np.random.default_rng(seed), fit=fit)  # the same draw sbc_draw made first
        assert th["log_T"] == pytest.approx(truth["log_T"])
        y = data["score"]
        pm.set_data({"score": y}, model=model)
        lik, c, k, h = fn(_value_point(m, th, fit))
        assert np.allclose(c, th["ceil_frac"]) and np.allclose(k, th["k"]) and np.allclose(h, th["h"])
        mu, scale = m.likelihood_location_scale(th, data)
        if fit == "typical":
            assert lik == pytest.approx((stats.t(float(th["nu"])).logpdf((y - mu) / scale) - np.log(scale)).sum(), rel=1e-9)
        else:
            u = b * (y - mu) / scale
            logpdf = np.log(f(u) / Z * b / scale).sum()
            assert lik - logpdf == pytest.approx(len(y) * math.log(Z / (kap + 1 / kap)), rel=1e-6, abs=1e-6)


@pytest.mark.slow
def test_predictive_covers_held_out_synthetic_scores(frames):
    """Scores simulated from the typical fit's model at one prior draw; a random quarter held out, the rest fitted
    (2 chains × 300 draws): the predictive's 50/80/95% intervals hold the held-out scores at those rates within
    binomial error (three standard errors)."""
    from forecast.models.densing.model import Densing as D
    m0 = D(frames)
    rng = np.random.default_rng(8)
    th = m0.prior_draw(rng, fit="typical")
    G = len(m0.inputs["groups"])
    th.update(log_T=np.asarray(math.log(5.0)), tau_r=np.asarray(0.3), r=np.full(G, 12 * math.log(2) / 5.0), delta_break=np.asarray(0.8))
    model = m0.build_model(fit="typical")
    _, data = m0.sbc_draw(model, 0)  # the data layout; scores replaced below at the fixed parameters
    mu, scale = m0.likelihood_location_scale(th, data)
    y = mu + scale * rng.standard_t(float(th["nu"]), size=mu.shape)
    obs = m0.inputs["obs"].assign(score=y)
    held = rng.random(len(obs)) < 0.25
    base = frames["benchmarks"]
    m = D({"benchmarks": obs.loc[~held, base.columns]}, cfg=RunConfig(chains=2, draws=300, tune=300, seed=5, quiet=True))
    res = m._sample("typical")
    post = res.idata.posterior
    post = post.drop_vars([v for v in post.data_vars if v.startswith(("curve_", "scale_")) or v.endswith("__")])
    import arviz as az
    m.attach(az.InferenceData(posterior=post.rename({v: v + TYP for v in post.data_vars})))
    lab = obs["group"].map(dict(enumerate(g["label"] for g in m0.inputs["groups"])))
    tg = pd.DataFrame({"group": lab[held].to_numpy(), "date": obs.loc[held, "date"].to_numpy(),
                       "log_n": m0.inputs["log_n"][held], "model": obs.loc[held, "model"].to_numpy()})
    draws = m.predictive(tg, np.random.default_rng(1), n_draws=2000)
    n = int(held.sum())
    for level in (0.5, 0.8, 0.95):
        cov = ev.covered(draws, y[held], level).mean()
        assert abs(cov - level) < 3 * math.sqrt(level * (1 - level) / n), (level, cov)


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
    assert set(summary["parameter"]) == {"log_T", "tau_r", "delta_break", "sigma_period", "nu"} and (summary["sims"] == 8).all()
    ranks = pd.read_csv(path / "ranks.csv")
    assert ranks["rank"].between(0, 99).all()
    # 8 sims cannot show uniformity; all ranks at one end (a wrong simulator or prior) must not happen
    assert summary["mean_rank_fraction"].between(0.15, 0.85).all()
