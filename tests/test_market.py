"""Market: provider definition by hand, graph check, small fit, paths and sensitivity shapes."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.core.timeutil import month_grid
from forecast.models.market import Market, _log_mean, normalize_org, provider_counts
from forecast.data.priors import load_priors
from forecast.data.tables import load_table
from forecast.report.figures import model_figures

SETTINGS = {"domains": ["Language"], "window_months": 12, "rule": "relative", "oom": 1.0, "frontier_at": "release",
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
    # 2021-09-30: window from 2020-09-30 -> F only (E published 2020-09-01 drops out) -> Google
    assert c["count"].tolist() == [3, 3, 4, 1]
    assert c.loc[2, "providers"] == "Anthropic; Google; OpenAI; Stanford University"
    # half an order of magnitude: B (0.7 below) and F (0.7 below) drop out
    assert provider_counts(_frame(), q, {**SETTINGS, "oom": 0.5})["count"].tolist() == [1, 1, 2, 0]
    # frontier at the quarter end instead of at release: in Q4 the frontier is 1e24, so B (2e22) no longer counts
    # (Stanford drops out) while A (1e23, exactly 1 OOM below) still does -> OpenAI, Anthropic, Google
    assert provider_counts(_frame(), q, {**SETTINGS, "frontier_at": "quarter_end"})["count"].tolist() == [3, 3, 3, 1]
    # absolute rule
    assert provider_counts(_frame(), q, {**SETTINGS, "rule": "absolute", "absolute_flop": 1e23})["count"].tolist() == [1, 1, 3, 1]


def test_lagged_quarters_carry_no_weight():
    m = Market({"models": load_table("models")})
    c, w = m.inputs["counts"], m.inputs["w"]
    assert c["lagged"].any() and (w[c["lagged"].to_numpy()] == 0).all() and (w[~c["lagged"].to_numpy()] > 0).all()
    lag = int(load_priors("market").settings["lag_months"])
    assert c.loc[~c["lagged"], "quarter_end"].max() <= m.data_end - pd.DateOffset(months=lag)


def test_graph_logp_finite():
    m = Market({"models": load_table("models")})
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))


@pytest.mark.parametrize("change_point", [False, True])
def test_sbc_simulator_matches_the_weighted_likelihood(change_point):
    """The SBC simulator's μ(t) and α are the ones the fitted Potential weights: Σ w·log NB(y* | μ, α) at θ*."""
    frames = {"models": load_table("models")}
    priors = load_priors("market")
    m = Market(frames, dataclasses.replace(priors, settings={**priors.settings, "change_point": change_point}))
    model = m.build_model()
    truth, data = m.sbc_draw(model, seed=5)
    assert set(truth) == {*m.trend_parameters, "overdispersion"}
    model.set_data("y", data["y"])
    got = float(model.potentials[0].eval({model[k]: v for k, v in truth.items()}))
    mu = np.exp(_log_mean(data["t"], m.priors.settings, **{k: truth[k] for k in m.trend_parameters}))
    alpha = 1.0 / truth["overdispersion"] ** 2
    assert got == pytest.approx(float((data["w"] * stats.nbinom.logpmf(data["y"], alpha, alpha / (alpha + mu))).sum()), rel=1e-9)


def test_small_fit_paths_and_summary(fitted):
    m = fitted("market")
    dates = month_grid(m.data_end, "2030-12-31")
    hit = m.paths("providers_between", {"lo": 3, "hi": 5}, dates, np.random.default_rng(0))
    assert hit.dtype == bool and hit.shape == (m.draws("trend").shape[0], len(dates))
    again = m.paths("providers_between", {"lo": 3, "hi": 5}, dates, np.random.default_rng(0))
    assert (hit == again).all()  # deterministic given the rng
    wide = m.paths("providers_between", {"lo": 0, "hi": 10_000}, dates, np.random.default_rng(0))
    assert wide.mean() > 0.99
    rows = m.summary()
    assert any(r["quantity"].startswith("P(3-5 providers on 2027-12-31)") for r in rows)
    assert 0.0 <= m.p_between(3, 5, "2027-12-31", np.random.default_rng(1)) <= 1.0
    assert set(model_figures(m)) == {"market_providers"}


def test_sensitivity_table(fitted):
    m = fitted("market")
    df = m.sensitivity()
    assert len(df) == len(m.priors.settings["definitions"])
    assert df["P(3-5) on 2027-12-31"].between(0, 1).all()
