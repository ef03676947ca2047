"""Hardware: table validation, graph check, small fit, growth predicate."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.core.errors import DataValidationError, PriorSpecError
from forecast.models.hardware import Hardware
from forecast.data.schema import read_csv
from forecast.data.tables import HARDWARE, load_table, table_path
from forecast.report.figures import model_figures


def test_table_loads():
    f = load_table("hardware")
    assert len(f) > 100 and f["flops_16bit"].notna().sum() > 40
    assert set(f["precision"].dropna()) <= {"tensor16", "fp32"}


def test_bad_value_names_row_and_column(tmp_path):
    raw = pd.read_csv(table_path("hardware"), dtype=str, keep_default_na=False)
    raw.loc[4, "flops_fp32"] = "-3"
    p = tmp_path / "hardware.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(DataValidationError) as e:
        read_csv(p, HARDWARE)
    assert e.value.row == 6 and e.value.column == "flops_fp32"


def test_inconsistent_price_performance_rejected(tmp_path):
    raw = pd.read_csv(table_path("hardware"), dtype=str, keep_default_na=False)
    i = raw.index[raw["flops_per_dollar"] != ""][0]
    raw.loc[i, "flops_per_dollar"] = str(float(raw.loc[i, "flops_per_dollar"]) * 2)
    p = tmp_path / "hardware.csv"
    raw.to_csv(p, index=False)
    with pytest.raises(DataValidationError) as e:
        read_csv(p, HARDWARE)
    assert e.value.row == i + 2 and e.value.column == "flops_per_dollar"


def test_graph_logp_finite():
    m = Hardware({"hardware": load_table("hardware")})
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert set(m.inputs["perf"]["group"]) == {0, 1}


def test_noncentred_mean_prior_is_the_hierarchical_one():
    """The generatively drawn (growth_mean, growth_zbar) have the density of mu_g ~ prior, zbar ~ N(0, 1/√K),
    growth_mean = mu_g + tau·zbar (Jacobian 1): the flat-plus-potential form they replace."""
    m = Hardware({"hardware": load_table("hardware")})
    model = m.build_model()
    logp = model.compile_logp(vars=[model["growth_mean"], model["growth_zbar"]])
    prior = m.priors["growth_mu"].params
    point = model.initial_point()
    rng = np.random.default_rng(0)
    for _ in range(5):
        tau, gbar, zbar = rng.gamma(4.0, 0.01), rng.normal(0.1, 0.2), rng.normal(0.0, 1.0)
        point.update(growth_tau_log__=np.log(tau), growth_mean=gbar, growth_zbar=zbar)
        expect = stats.norm.logpdf(gbar - tau * zbar, prior["mu"], prior["sigma"]) + stats.norm.logpdf(zbar, 0.0, 1 / np.sqrt(2))
        assert float(logp(point)) == pytest.approx(expect, rel=1e-9)


def test_noncentred_mean_needs_normal_growth_mu():
    m = Hardware({"hardware": load_table("hardware")})
    t_prior = dataclasses.replace(m.priors["growth_mu"], distribution="StudentT", params={"nu": 3.0, "mu": 0.12, "sigma": 0.1})
    m.priors = dataclasses.replace(m.priors, parameters={**m.priors.parameters, "growth_mu": t_prior})
    with pytest.raises(PriorSpecError, match="Normal"):
        m.build_model()


def test_small_fit_static_and_summary(fitted):
    m = fitted("hardware")
    n = m.draws("ppd_growth_log10").shape[0]
    for series in ("flops", "flops_fp32", "flops_per_dollar"):
        hit = m.static("growth_at_least", {"series": series, "per_year": 0.43})
        assert hit.shape == (n,) and hit.dtype == bool
        g = m.growth(series)
        assert 0.05 < np.median(g) < 1.0  # tens of percent per year
        # monotone in the threshold
        assert m.static("growth_at_least", {"series": series, "per_year": 0.0}).mean() >= hit.mean()
    with pytest.raises(KeyError):
        m.static("growth_at_least", {"series": "watts", "per_year": 0.1})
    rows = m.summary()
    assert any("43%" in r["seed_claim"] and "P(≥" in r["note"] for r in rows)
    assert set(model_figures(m)) == {"hardware_flops", "hardware_price_performance", "hardware_growth"}


def test_segment_is_power_above_the_period_typical_chip_by_hand():
    from forecast.models.hardware import segment, tdp_reference
    t = np.array([-2.0, 0.0, 2.0, 1.0])
    log_tdp = np.array([2.0, 2.2, 2.4, np.nan])  # on the line 2.2 + 0.1·t, one chip without a TDP
    ref = tdp_reference(t, log_tdp)
    assert ref["intercept"] == pytest.approx(2.2) and ref["slope"] == pytest.approx(0.1) and ref["spread"] == pytest.approx(0.0, abs=1e-9)
    x, miss = segment(np.array([0.0, 1.0, 1.0]), np.array([3.2, 2.3, np.nan]), ref)
    assert x == pytest.approx([1.0, 0.0, 0.0]) and miss.tolist() == [False, False, True]
    assert tdp_reference(t[:2], log_tdp[:2]) == {"intercept": 0.0, "slope": 0.0, "spread": 0.0}


def test_priors_without_segment_groups_fit_without_the_segment_term():
    """A priors file written before the segment term (no `segment_groups`, no `tdp_slope`) still builds: no slope."""
    m = Hardware({"hardware": load_table("hardware")})
    settings = {k: v for k, v in m.priors.settings.items() if k != "segment_groups"}
    params = {k: v for k, v in m.priors.parameters.items() if k != "tdp_slope"}
    m.priors = dataclasses.replace(m.priors, settings=settings, parameters=params)
    m.inputs = m.prepare(m.frames)
    model = m.build_model()
    assert "tdp_slope" not in model.named_vars and "tdp_slope" not in m.monitor
    assert np.isfinite(model.compile_logp()(model.initial_point()))
