"""Hardware: table validation, graph check, small fit, growth predicate."""
import numpy as np
import pandas as pd
import pytest

from forecast.errors import DataValidationError
from forecast.models.hardware import Hardware
from forecast.schema import read_csv
from forecast.tables import HARDWARE, load_table, table_path


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
    assert set(m.figures()) == {"hardware_flops", "hardware_price_performance", "hardware_growth"}
