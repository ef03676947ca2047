"""Adoption at scale: the fused count likelihood against PyMC's per-count beta-binomial, the re-parameterised
t0, and SBC support (the one-sided share claims as a censored observation, no Potential)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from forecast.core.config import RunConfig
from forecast.core.timeutil import years_since
from forecast.models.adoption import curves, likelihood
from forecast.models.registry import build_models
from forecast.inference.prior_predictive import observed_data_names, scalar_parameters


def _per_count_logp(lc, r, t0, off, phi, tech, frame, t, n, k):
    """The pre-grid likelihood: PyMC's BetaBinomial on per-count gathers of the curve parameters."""
    import pymc as pm
    import pytensor.tensor as pt
    log_s = -pt.softplus(-lc[tech]) - pt.softplus(-r[tech] * (t - t0[tech]))
    p = pm.math.sigmoid(log_s - pt.log1mexp(log_s) + off[frame])
    return pm.logp(pm.BetaBinomial.dist(n=n, alpha=p * phi, beta=(1 - p) * phi), k).sum()


@pytest.mark.parametrize("mode", ["FAST_RUN", "NUMBA"])
def test_grid_likelihood_equals_per_count_beta_binomial(mode):
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(4)
    K, T, n_frames = 4, 7, 2
    # rows = (technology, frame), each with its own cell times; a cell with n = 0 holds no count (padding)
    row_tech, row_frame = np.array([0, 1, 1, 2, 3]), np.array([0, 0, 1, 0, 1])
    t = np.sort(rng.uniform(-3.0, 1.5, (len(row_tech), T)), axis=1)
    n = rng.integers(1, 40, (len(row_tech), T))
    n[rng.random(n.shape) < 0.3] = 0
    k = rng.binomial(n, rng.uniform(0.02, 0.98, n.shape))
    ri, ti = np.nonzero(n)

    lc, r, t0, off = pt.dvector("lc"), pt.dvector("r"), pt.dvector("t0"), pt.dvector("off")
    phi = pt.dscalar("phi")
    params = [lc, r, t0, off, phi]
    grid = likelihood.count_logp(pt.as_tensor(k), lc[row_tech], r[row_tech], t0[row_tech], off[row_frame], phi, pt.as_tensor(t), pt.as_tensor(n))
    per_count = _per_count_logp(lc, r, t0, off, phi, row_tech[ri], row_frame[ri], t[ri, ti], n[ri, ti], k[ri, ti])
    f = pytensor.function(params, [grid, *pt.grad(grid, params)], mode=mode)
    g = pytensor.function(params, [per_count, *pt.grad(per_count, params)])
    regimes = set()
    for _ in range(5):
        x = [rng.normal(1.0, 1.5, K), np.exp(rng.normal(0.3, 0.6, K)), rng.normal(0.0, 2.0, K), rng.normal(0.0, 1.0, n_frames),
             np.exp(rng.normal(3.0, 1.0))]
        got, want = f(*x), g(*x)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
        # and the absolute value against scipy (PyMC's binomial coefficient included)
        c = special.expit(x[0])[row_tech[ri]] * special.expit(x[1][row_tech[ri]] * (t[ri, ti] - x[2][row_tech[ri]]))
        p = special.expit(special.logit(c) + x[3][row_frame[ri]])
        regimes |= {"low" if q <= likelihood.SERIES_SHARE else "high" if q >= 1 - likelihood.SERIES_SHARE else "mid" for q in p}
        assert float(got[0]) == pytest.approx(stats.betabinom.logpmf(k[ri, ti], n[ri, ti], x[4] * p, x[4] * (1 - p)).sum(), rel=1e-10)
    assert regimes == {"low", "mid", "high"}  # every branch of the kernel was compared


def test_rising_factorial_matches_log_gamma():
    for a in np.concatenate([np.logspace(-8, 4, 60), [9.999, 10.0, 10.001]]):
        for m in [0, 1, 2, 7, 8, 9, 15, 60, 500]:
            lg, dg = likelihood._rising(a, m)
            assert lg == pytest.approx(special.gammaln(a + m) - special.gammaln(a), rel=1e-11, abs=1e-11)
            assert dg == pytest.approx(special.digamma(a + m) - special.digamma(a), rel=1e-12, abs=1e-12)


@pytest.fixture(scope="module")
def real():
    """The project's data plus two stated shares from evidence (never from seeds): a one-sided one ("90% or more")
    and a two-sided one, for technologies without public series, so every likelihood term is present."""
    from forecast.data import evidence as ev
    from forecast.models.registry import REGISTRY
    from forecast.data.priors import load_priors
    from forecast.data.tables import load_table

    today = dt.date(2026, 11, 26)
    rows = [ev.make_row("share", observed_date="2025-12-31", source="a", technology="rlhf", share=0.95, share_lo=0.9,
                        share_hi=1.0, today=today),
            ev.make_row("share", observed_date="2025-12-31", source="b", technology="tokenization", share=0.6,
                        share_lo=0.4, share_hi=0.8, today=today)]
    log = ev.validate(ev._as_text(pd.DataFrame(rows).assign(id=["ev-1", "ev-2"])), ev.EVIDENCE)
    frames = ev.apply_to_frames({"adoption_observations": load_table("adoption_observations")}, log)
    m = REGISTRY["adoption"](frames, load_priors("adoption"), RunConfig(seed=3))
    return m, m.build_model()


def test_grid_holds_every_count_once(real):
    m, _ = real
    rows, g = m.inputs["count"]["rows"], m.inputs["grid"]
    assert (g["n"] > 0).sum() == len(rows) and g["n"].sum() == rows["n"].sum() and g["k"].sum() == rows["k"].sum()
    assert (g["k"] <= g["n"]).all()
    used = g["n"].sum(axis=1) > 0
    for (tech, frame), c in rows.groupby(["technology", "series"]):
        i = np.flatnonzero(used & (g["row_tech"] == m.inputs["techs"].index(tech)) & (g["row_frame"] == (0 if frame == m.inputs["reference_frames"][tech]
                                                                                                      else m.inputs["frame_pairs"].index(f"{tech}|{frame}") + 1)))
        assert len(i) == 1
        cells = g["n"][i[0]] > 0
        mid = c["period_start"] + (c["period_end"] - c["period_start"]) / 2
        assert list(g["k"][i[0]][cells]) == list(c.assign(_m=mid).sort_values("_m")["k"])  # in time order
        np.testing.assert_allclose(g["t"][i[0]][cells], np.sort(years_since(mid, m.inputs["ref_date"])))
        assert not cells[cells.sum():].any()  # counts fill the row's first cells
    # spare room: one more row, one more cell per row and one more frame fit in the same shapes
    assert g["n"].shape[0] > used.sum() and g["n"].shape[1] > (g["n"] > 0).sum(axis=1).max()
    assert len(m.inputs["frame_slots"]) > len(m.inputs["frame_pairs"])


def test_level_ref_is_the_t0_prior(real):
    """u = r (τ − t0) + log c with u | r, c ~ Normal(r (τ − μ) + log c, r σ) must leave t0 ~ Normal(μ, σ)
    (counted technologies, and elicited-only ones whose claims are one-sided)."""
    import pymc as pm
    m, model = real
    prior = pm.sample_prior_predictive(draws=4000, model=model, random_seed=1, var_names=["t0"]).prior["t0"]
    assert len(m.inputs["one_sided_idx"]) > 0
    high = set(m.inputs["plateau_start_idx"].tolist())
    ix = [i for i in np.concatenate([m.inputs["counted_idx"], m.inputs["one_sided_idx"]]) if i not in high]
    flat = prior.values.reshape(-1, prior.shape[-1])
    spec = m.priors["t0_layer_mean"].params
    for col in flat[:, ix].T:
        assert stats.kstest(col, "norm", args=(spec["mu"], spec["sigma"])).pvalue > 1e-3
    # counts that start on their plateau: the midpoint lies before the first count, by a log-normal lag
    lag = m.priors["t0_plateau_log_lag"].params
    for j, i in enumerate(m.inputs["plateau_start_idx"]):
        gap = m.inputs["t_start"][j] - flat[:, i]
        assert (gap > 0).all() and stats.kstest(np.log(gap), "norm", args=(lag["mu"], lag["sigma"])).pvalue > 1e-3


def test_sbc_draw_uses_the_generative_path(real):
    m, model = real
    assert not model.potentials  # the one-sided claims are a censored observation now
    obs = observed_data_names(model)
    assert obs["count_obs"] == "count_k" and obs["elicited_lower"] == "elicited_lower_y"
    truth, data = m.sbc_draw(model, seed=11)
    import pymc as pm
    prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=0)
    assert set(truth) == set(scalar_parameters(model, prior)) and all(np.isfinite(v) for v in truth.values())
    current = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
    assert set(data) == set(current)
    for name in ("count_k", "elicited_lower_y", "eco_log_count", "elicited_y"):
        assert data[name].shape == current[name].shape and data[name].dtype == current[name].dtype and np.isfinite(data[name]).all()
    n = current["count_n"]
    assert ((data["count_k"] >= 0) & (data["count_k"] <= n)).all() and (data["count_k"][n == 0] == 0).all()
    lo = m.inputs["elicited"]["lo"][m.inputs["elicited"]["lower_only"]]
    assert (data["elicited_lower_y"] <= lo).all()  # censored above at the stated lower bound
    again, _ = m.sbc_draw(model, seed=11)
    assert again == truth


@pytest.mark.slow
def test_sbc_small_run(tmp_path):
    from forecast.calibration.sbc import run_sbc
    _, summary = run_sbc("adoption", 8, RunConfig(seed=3, chains=2, draws=300, tune=300), out_dir=tmp_path)
    ranked = set(summary["parameter"])
    assert {"logr_tech_sd", "t0_tech_sd", "logitc_tech_sd", "concentration", "eco_sigma"} <= ranked
    assert {"logr_mean[0]", "level_ref[0]"} <= ranked  # small vector parameters are ranked per element
    # 8 sims cannot prove uniformity, but ranks piled at one end (a wrong simulator or likelihood) must not happen
    assert summary["mean_rank_fraction"].between(0.15, 0.85, inclusive="neither").all()


def _graph_key(model) -> str:
    """The numba disk-cache key of the model's logp+gradient function (what `compile_cache` stores it under)."""
    from nutpie.compile_pymc import _make_functions
    from pymc.initial_point import make_initial_point_fn
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    from forecast.inference.kernels import register
    register()
    ipf = make_initial_point_fn(model=model, return_transformed=True)
    fn = _make_functions(model, mode="NUMBA", compute_grad=True, join_expanded=True, pymc_initial_point_fn=ipf)[2]
    return CACHED_SRC_FUNCTIONS.get(fn.vm.jit_fn.py_func)


def test_one_more_count_keeps_the_compiled_graph():
    """`forecast update` after a count row reuses adoption's compiled graph: a new quarter in a known frame, a first
    count in a technology's evidence frame, and a count on a named list all keep every shape (data change only)."""
    import datetime as dt

    from forecast.data import evidence as ev
    from forecast.models.registry import REGISTRY
    from forecast.data.priors import load_priors
    from forecast.data.tables import load_table

    base = {"adoption_observations": load_table("adoption_observations")}
    today = dt.date(2026, 11, 26)
    # a new quarter in existing frames (a first count in a new frame keeps the shape only while its capacity
    # bucket has a spare slot)
    rows = [ev.make_row("count", observed_date="2026-09-30", source="a", technology="moe", k=11, n=18, today=today,
                        series="hf_open_llm_architectures"),
            ev.make_row("count", observed_date="2026-06-30", source="b", technology="ssm_hybrid", k=2, n=18, today=today,
                        series="hf_open_llm_architectures")]
    log = pd.DataFrame(rows).assign(id=["ev-1", "ev-2"])
    log = ev.validate(ev._as_text(log), ev.EVIDENCE)
    keys, shapes = [], []
    for n_rows in (0, 1, 2):
        frames = ev.apply_to_frames(dict(base), log.iloc[:n_rows]) if n_rows else base
        m = REGISTRY["adoption"](frames, load_priors("adoption"), RunConfig(seed=3))
        model = m.build_model()
        shapes.append({d.name: np.shape(d.get_value()) for d in model.data_vars} | {"frame_offset": len(m.inputs["frame_slots"])})
        keys.append(_graph_key(model))
        assert m.inputs["grid"]["n"].sum() == base["adoption_observations"].query("kind == 'count'")["n"].sum() + sum(int(r["n"]) for r in rows[:n_rows])
    assert shapes[0] == shapes[1] == shapes[2]
    assert keys[0] is not None and keys[0] == keys[1] == keys[2]


def test_a_second_count_for_the_same_frame_and_period_is_rejected():
    from forecast.core.errors import DataValidationError
    from forecast.models.registry import REGISTRY
    from forecast.data.priors import load_priors
    from forecast.data.tables import load_table
    f = load_table("adoption_observations")
    # the table's key (technology, kind, series, period_start) differs, the period's midpoint does not
    dup = f[f["kind"] == "count"].iloc[[0]].copy()
    dup["period_start"] -= pd.Timedelta(days=1)
    dup["period_end"] += pd.Timedelta(days=1)
    with pytest.raises(DataValidationError, match="second count") as e:
        REGISTRY["adoption"]({"adoption_observations": pd.concat([f, dup], ignore_index=True)}, load_priors("adoption"), RunConfig())
    assert e.value.row == len(f) + 2 and e.value.column == "period_start"


def test_kernel_returns_non_finite_instead_of_raising_at_extreme_parameters():
    """A ceiling of exactly 1 in floating point on a saturated curve makes 1 − P = 0: the samplers need a
    non-finite value (a rejected point), not ZeroDivisionError (which stopped PyMC's sampler in tuning)."""
    likelihood.count_loglik_op()  # compiles the kernels with numba
    one = np.ones(1)
    t, n, k = np.array([[200.0]]), np.array([[10]]), np.array([[3]])  # r (t − t0) = 1000: logistic(−1000) underflows to 0
    out = likelihood._count_loglik(one * 800.0, one * 5.0, one * 0.0, one * 0.0, np.asarray(20.0), t, n, k)
    assert not np.isfinite(out[0]) or not all(np.isfinite(g).all() for g in out[1:])


def test_reaches_plateau():
    n = np.full(12, 40)
    t = np.arange(12) / 4.0
    level = lambda r, t0: np.round(n * 0.8 * special.expit(r * (t - t0))).astype(int)  # noqa: E731
    assert curves.reaches_plateau(level(3.0, 0.5), n)        # past its midpoint for two years: levelled off
    assert not curves.reaches_plateau(level(1.5, 3.0), n)    # still in its exponential phase
    assert not curves.reaches_plateau(level(3.0, 0.5)[:7], n[:7])  # fewer than two years of counts
    assert not curves.reaches_plateau(np.r_[np.zeros(8, int), [5, 5, 5, 5]], n)  # no adopters the year before
    # the boundary: a last-year share 1.3 times the year before's is not a plateau, just below it is
    k = np.r_[np.zeros(4, int), [10] * 4, [13] * 4]
    assert not curves.reaches_plateau(k, n) and curves.reaches_plateau(k - np.r_[np.zeros(8, int), [1, 0, 0, 0]], n)


def test_counted_technologies_without_adopters_sample_t0_directly():
    """At a backtest origin where two counted technologies have fewer than LEVEL_MIN_ADOPTERS adopters, their t0 is
    sampled directly (no level to pin down) and the others' through the level; both leave t0 ~ its prior."""
    import pymc as pm
    m = build_models(["adoption"], RunConfig(seed=3, as_of="2025-01-01"), evidence=False)["adoption"]
    rows = m.inputs["count"]["rows"]
    adopters = rows.groupby("technology")["k"].sum()
    level = [m.inputs["techs"][i] for i in m.inputs["level_idx"]]
    high = set(m.inputs["plateau_start_techs"])
    expect = [t for t in m.counted_techs if adopters[t] >= curves.LEVEL_MIN_ADOPTERS and t not in high]
    assert level == expect and "moe" in level and any(adopters[t] < curves.LEVEL_MIN_ADOPTERS for t in m.counted_techs)
    assert len(m.inputs["t_ref"]) == len(level)
    model = m.build_model()
    assert model["level_ref"].type.shape == (len(level),)
    prior = pm.sample_prior_predictive(draws=4000, model=model, random_seed=1, var_names=["t0"]).prior["t0"]
    spec = m.priors["t0_layer_mean"].params
    for t in [t for t in m.counted_techs if t not in high]:
        col = prior.sel(tech=t).values.ravel()
        assert stats.kstest(col, "norm", args=(spec["mu"], spec["sigma"])).pvalue > 1e-3
    assert m.structure()["level"] != build_models(["adoption"], RunConfig(seed=3), evidence=False)["adoption"].structure()["level"]


def test_ceilings_are_centred_only_where_counts_level_off(tmp_path, monkeypatch):
    """Many well-measured technologies (synthetic, 60): r is centred for those whose counts see the rise, the ceiling
    for those whose counts reach their plateau."""
    from forecast.core import config
    monkeypatch.syspath_prepend(str(config.project_root() / "benchmarks"))
    import scale
    scale.synthetic_world(60, tmp_path, seed=5)
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    m = build_models(["adoption"], RunConfig(seed=3), tmp_path / "data", evidence=False)["adoption"]
    rows = m.inputs["count"]["rows"].sort_values("period_start")
    plateau = {t for t, g in rows.groupby("technology") if curves.reaches_plateau(g["k"].to_numpy(), g["n"].to_numpy())}
    centred, ceil = m.centred_techs, m.centred_ceiling_techs
    ev = rows.groupby("technology")[["k", "n"]].sum()
    well = {t for t in m.counted_techs
            if ev.loc[t, "k"] >= curves.CENTRE_MIN_EVENTS and ev.loc[t, "n"] - ev.loc[t, "k"] >= curves.CENTRE_MIN_EVENTS}
    # r centred where the counts see the rise, the ceiling where they level off
    assert len(well) >= curves.CENTRE_MIN_TECHS and set(ceil) == well & plateau
    assert set(centred) == well - set(m.inputs["plateau_start_techs"])
    assert 0 < len(ceil) < len(well)
    model = m.build_model()
    assert model["logr_centred"].type.shape == (len(centred),) and model["logitc_centred"].type.shape == (len(ceil),)
    # 60 technologies with data: past LOW_RANK_MAX_TECHS, the diagonal mass matrix (low rank costs more per step there)
    assert m.nutpie_options == {}


def test_small_registries_sample_with_a_low_rank_mass_matrix(real):
    m, _ = real
    assert len(m.inputs["techs"]) - len(m.inputs["no_data_techs"]) <= curves.LOW_RANK_MAX_TECHS
    assert m.nutpie_options == {"low_rank_modified_mass_matrix": True}
