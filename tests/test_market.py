"""Market: provider definition, per-organization panel and its entries/re-releases by hand, the graph, a small fit,
joint paths, backtest rows and the report figure."""
import numpy as np
import pandas as pd
import pytest

from forecast.core.config import RunConfig
from forecast.core.timeutil import month_grid
from forecast.models.market import Market, normalize_org, provider_counts, release_panel, states, transitions
from forecast.models.market.definition import eligible_models
from forecast.models.market.process import simulate_observed
from forecast.report.figures import model_figures

SETTINGS = {"domains": ["Language"], "window_months": 12, "rule": "relative", "oom": 1.0, "reference": "max",
            "absolute_flop": 1e25, "org_aliases": [["^(google|deepmind)", "Google"]]}


def _frame():
    rows = [  # model, organization, date, compute, domain
        ("A", "OpenAI", "2020-01-15", 1e23, "Language"),
        ("B", "Google Brain,Stanford University", "2020-03-01", 2e22, "Language"),   # within 1 OOM of 1e23
        ("C", "DeepMind", "2020-06-01", 5e21, "Language"),                          # 1.3 OOM below: no
        ("D", "Meta AI", "2020-06-01", 1e24, "Games"),                              # wrong domain: ignored
        ("E", "Anthropic", "2020-09-01", 1e24, "Language"),                         # new frontier
        ("F", "Google DeepMind", "2020-10-01", 2e23, "Language"),                   # within 1 OOM of 1e24
        ("G", "Tiny Lab", "2020-11-01", None, "Language"),                          # no compute: ignored
        ("H", "OpenAI", "2021-02-01", 3e23, "Language"),                            # within 1 OOM of 1e24
    ]
    f = pd.DataFrame(rows, columns=["model", "organization", "publication_date", "training_compute", "domain"])
    f["publication_date"] = pd.to_datetime(f["publication_date"])
    return f


def test_normalize_org():
    assert normalize_org("  Google   DeepMind ", SETTINGS["org_aliases"]) == "Google"
    assert normalize_org("OpenAI", SETTINGS["org_aliases"]) == "OpenAI"


def test_provider_counts_by_hand():
    q = pd.DatetimeIndex(["2020-03-31", "2020-06-30", "2020-12-31", "2021-09-30"])
    c = provider_counts(_frame(), q, SETTINGS)
    # Q1: A (OpenAI), B (Google + Stanford) -> 3; Q2: C is >1 OOM below -> still 3
    # Q4: + E (Anthropic), F (Google) -> OpenAI, Google, Stanford, Anthropic = 4
    # 2021-09-30: window from 2020-09-30 -> F (Google), H (OpenAI); E (2020-09-01) dropped out
    assert c["count"].tolist() == [3, 3, 4, 2]
    assert c.loc[2, "providers"] == "Anthropic; Google; OpenAI; Stanford University"
    # half an order of magnitude: B and F (0.7 below) and H (0.52 below) drop out; A and E set the frontier
    assert provider_counts(_frame(), q, {**SETTINGS, "oom": 0.5})["count"].tolist() == [1, 1, 2, 0]
    # absolute rule
    assert provider_counts(_frame(), q, {**SETTINGS, "rule": "absolute", "absolute_flop": 1e23})["count"].tolist() == [1, 1, 3, 2]


def test_robust_reference_by_hand():
    # the 2nd-largest organization's best model as the reference: until E (2020-09) the best models are OpenAI 1e23
    # and Google 2e22, so the bar is 2e21 and C (5e21, DeepMind -> Google) qualifies; F's own 2e23 makes Google
    # second when it is released (same-day releases compete)
    e = eligible_models(_frame(), {**SETTINGS, "reference": "org_rank", "reference_rank": 2})
    got = dict(zip(e["model"], e["qualifies"]))
    assert got == {"A": True, "B": True, "C": True, "E": True, "F": True, "H": True}
    ref = dict(zip(e["model"], e["reference_log10"].round(3)))
    assert ref["C"] == pytest.approx(np.log10(2e22), abs=1e-3) and ref["F"] == pytest.approx(np.log10(2e23), abs=1e-3)


def test_panel_entries_and_re_releases_by_hand():
    quarters = pd.period_range("2019Q4", "2021Q1", freq="Q")
    e = eligible_models(_frame(), SETTINGS)
    orgs, panel = release_panel(e, quarters, SETTINGS)
    assert orgs == ["Anthropic", "Google", "OpenAI", "Stanford University"]
    #                         19Q4 20Q1 20Q2 20Q3 20Q4 21Q1
    assert panel.astype(int).tolist() == [[0, 0, 0, 1, 0, 0],   # Anthropic: E
                                          [0, 1, 0, 0, 1, 0],   # Google: B, F (C does not qualify)
                                          [0, 1, 0, 0, 0, 1],   # OpenAI: A, H
                                          [0, 1, 0, 0, 0, 0]]   # Stanford: B
    s = states(panel, 4)
    assert s[1].tolist() == [4, 0, 1, 2, 0, 1] and s[2].tolist() == [4, 0, 1, 2, 3, 0]
    tr = transitions(panel, 4, first=1)
    # 20Q1: three enter; 20Q3: Anthropic enters; 20Q4: Google re-releases two quarters after B; 21Q1: OpenAI three after A
    assert tr["entries"].tolist() == [3, 0, 1, 0, 0]
    assert tr["released"].tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert tr["at_risk"][3].tolist() == [1, 0, 3, 0] and tr["at_risk"][4].tolist() == [1, 1, 0, 2]
    ends = quarters[1:].end_time.normalize()
    assert tr["count"].tolist() == provider_counts(_frame(), ends, SETTINGS)["count"].tolist()


def test_graph_logp_finite_and_simulator_data(fitted_inputs):
    m = fitted_inputs
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    truth, data = m.sbc_draw(model, seed=5)
    assert set(truth) == {"log_level", "trend", "overdispersion", "release_logit", "release_decay", "delay_shape",
                          "delay_scale", "backfill_rate"}
    for k in ("entries", "at_risk", "released", "delay_hits"):
        assert data[k].shape == np.asarray(m.inputs[k]).shape
    assert (data["released"] <= data["at_risk"]).all() and (data["delay_hits"] <= m.inputs["delay_n"]).all()
    # the simulated chain is consistent: the next quarter's fresh state holds every entrant and re-release
    assert (data["at_risk"][1:, 0] == data["entries"][:-1] + data["released"][:-1].sum(axis=1)).all()
    for name, v in data.items():
        model.set_data(name, v)
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_simulate_observed_is_the_likelihood_process(fitted_inputs):
    x = fitted_inputs.inputs
    p = {"log_level": 1.0, "trend": 0.0, "overdispersion": 1e-3, "release_logit": 0.0, "release_decay": 0.0,
         "delay_shape": 1.0, "delay_scale": 1e-4, "backfill_rate": 0.1}
    sims = [simulate_observed(p, x, np.random.default_rng(i)) for i in range(300)]
    # complete quarters, constant rate e^1, re-release probability 1/2
    assert np.mean([s["entries"][:-2].mean() for s in sims]) == pytest.approx(np.e, rel=0.05)
    rel = sum(s["released"][:-2].sum() for s in sims) / sum(s["at_risk"][:-2].sum() for s in sims)
    assert rel == pytest.approx(0.5, abs=0.02)


def test_small_fit_paths_and_summary(fitted):
    m = fitted("market")
    dates = month_grid(m.forecast_start, "2030-12-31")
    hit = m.paths("providers_between", {"lo": 3, "hi": 5}, dates, np.random.default_rng(0))
    assert hit.dtype == bool and hit.shape == (m.draws("trend").shape[0], len(dates))
    again = m.paths("providers_between", {"lo": 3, "hi": 5}, dates, np.random.default_rng(0))
    assert (hit == again).all()  # deterministic given the rng
    wide = m.paths("providers_between", {"lo": 0, "hi": 10_000}, dates, np.random.default_rng(0))
    assert wide.mean() > 0.99
    rows = m.summary()
    names = [r["quantity"] for r in rows]
    assert any(n.startswith("P(3-5 providers on 2027-12-31)") for n in names)
    assert any("nowcast" in n for n in names) and any(n.startswith("reporting delay") for n in names)
    assert any("robust" in n for n in names)
    assert 0.0 <= m.p_between(3, 5, "2027-12-31", np.random.default_rng(1)) <= 1.0
    assert set(model_figures(m)) == {"market_providers"}


def test_predictive_rows_are_joint_paths(fitted):
    m = fitted("market")
    c = m.inputs["counts"]
    ends = pd.DatetimeIndex([c["quarter_end"].iloc[-1] + pd.offsets.QuarterEnd(k) for k in (1, 2, 6)])
    targets = pd.DataFrame({"series": "providers", "date": ends, "t": 0.0, "y": 5.0, "discrete": True})
    draws = m.predictive(targets, np.random.default_rng(2), n_draws=400)
    assert draws.shape == (400, 3) and (draws == np.round(draws)).all()
    # one path per row: neighbouring quarters share three of their four window quarters, far ones share none
    near = np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]
    assert near > 0.5 and near > np.corrcoef(draws[:, 0], draws[:, 2])[0, 1]


def test_observed_and_nowcast_quarters(fitted):
    m = fitted("market")
    c = m.inputs["counts"]
    assert c["complete"].iloc[0] and not c["complete"].iloc[-1]  # the snapshot's last quarter is incomplete
    done = c[c["complete"]].iloc[-1]
    assert m.forecast_start == done["quarter_end"] + pd.Timedelta(days=1)
    st = m.observed_state("providers_between", {"lo": 0, "hi": 100}, done["quarter_end"])
    assert st["outcome"] == "yes" and st["date"] == done["quarter_end"].date().isoformat()
    assert "reason" in m.observed_state("providers_between", {"lo": 0, "hi": 100}, c["quarter_end"].iloc[-1])


def test_backtest_targets_and_history():
    full = _market(RunConfig(seed=1))
    cut = _market(RunConfig(seed=1, as_of="2024-07-01"))
    assert cut.data_end == pd.Timestamp("2024-06-30") and "cut at 2024-07-01" in cut.inputs["snapshot"]
    tg = cut.backtest_targets(full, 2.0)
    fc = full.inputs["counts"].set_index("quarter_end")
    assert (tg["date"] >= pd.Timestamp("2024-07-01")).all() and fc.loc[pd.DatetimeIndex(tg["date"]), "complete"].all()
    assert tg["y"].tolist() == fc.loc[pd.DatetimeIndex(tg["date"]), "count"].astype(float).tolist()
    hist = cut.backtest_history()
    assert decimal_max(hist) < 2024.5 and len(hist) >= 8


def decimal_max(h):
    return float(h["t"].max())


def _market(cfg) -> Market:
    from forecast.models.registry import build_models
    return build_models(["market"], cfg, evidence=False)["market"]


@pytest.mark.slow
def test_parameter_recovery(fitted_inputs):
    """Data simulated at known parameters (the SBC simulator) and refitted: each truth inside its 95% interval."""
    import nutpie

    from forecast.inference.sampling import nutpie_compiled
    m = fitted_inputs
    model = m.build_model()
    truth = {"log_level": 0.6, "trend": 0.05, "overdispersion": 0.4, "release_logit": -1.2, "release_decay": -0.5,
             "delay_shape": 1.0, "delay_scale": 0.15, "backfill_rate": 0.1}
    data = {dv.name: np.asarray(dv.get_value()) for dv in model.data_vars}
    data.update({k: v.astype(data[k].dtype) for k, v in simulate_observed(truth, m.inputs, np.random.default_rng(11)).items()})
    compiled, _ = nutpie_compiled(model, "test:market-recovery")
    post = nutpie.sample(compiled.with_data(**data), draws=300, tune=300, chains=2, cores=2, seed=11, progress_bar=False)
    for name, v in truth.items():
        lo, hi = np.quantile(post.posterior[name].values.ravel(), [0.025, 0.975])
        assert lo <= v <= hi, (name, v, lo, hi)


@pytest.mark.slow
def test_sensitivity_table(fitted):
    m = fitted("market")
    df = m.sensitivity()
    assert len(df) == len(m.priors.settings["definitions"])
    assert df["P(3-5) on 2027-12-31"].between(0, 1).all()


@pytest.fixture(scope="module")
def fitted_inputs():
    return _market(RunConfig(seed=3))
