"""Fast checks of data/adoption_observations.csv and the priors registry (priors/technologies.yaml, priors/levels.yaml)."""
from __future__ import annotations

import io

import pandas as pd
import pytest
import yaml

from forecast.core import config
from forecast.core.errors import DataValidationError
from forecast.data.schema import read_csv, validate
from forecast.data.tables import ADOPTION_OBSERVATIONS, load_table


@pytest.fixture(scope="module")
def technologies() -> dict:
    doc = yaml.safe_load((config.priors_dir() / "technologies.yaml").read_text())
    return {t["id"]: t for t in doc["technologies"]}


@pytest.fixture(scope="module")
def levels_doc() -> dict:
    return yaml.safe_load((config.priors_dir() / "levels.yaml").read_text())


@pytest.fixture(scope="module")
def adoption() -> pd.DataFrame:
    return load_table("adoption_observations")


def test_committed_table_validates(adoption):
    assert len(adoption) > 0
    assert set(adoption["kind"]) == {"count", "elicited", "ecosystem_count"}
    counts = adoption[adoption["kind"] == "count"]
    assert (counts["n"] >= 3).all()  # quarters with n < 3 are dropped
    assert (counts["k"] <= counts["n"]).all()


def test_every_technology_is_registered(adoption, technologies):
    missing = sorted(set(adoption["technology"]) - set(technologies))
    assert not missing, f"technologies in adoption_observations.csv but not in priors/technologies.yaml: {missing}"


def test_counted_technologies_match_the_registry(adoption, technologies):
    counts = adoption[adoption["kind"] == "count"]
    series = {t: set(g["series"]) for t, g in counts.groupby("technology")}
    for tid, t in technologies.items():  # the forecast share is defined on the reference frame: it must be measured
        assert tid not in series or t["reference_series"] in series[tid], (tid, t["reference_series"], series[tid])


def test_every_technology_is_sourced_and_measured(technologies, levels_doc):
    level_ids = {lv["id"] for lv in levels_doc["levels"]}
    layers = set(yaml.safe_load((config.priors_dir() / "technologies.yaml").read_text())["layers"])
    for tid, t in technologies.items():
        assert t["layer"] in layers, tid
        assert t["seed_level"] is None or t["seed_level"] in level_ids, tid
        assert t.get("seed_level") or t.get("prior_level"), f"{tid}: needs seed_level or prior_level"
        assert str(t.get("source", "")).strip(), f"{tid}: missing source"
        assert set(t["seed_values"]) == {"adoption", "standardization", "controversy", "maturity"}, tid
        assert str(t.get("adoption_measure", "")).strip(), f"{tid}: missing adoption_measure"
        assert str(t.get("variant_measure", "")).strip(), f"{tid}: missing variant_measure"


def test_level_bands_cover_unit_interval(levels_doc):
    lv = sorted(levels_doc["levels"], key=lambda x: x["lower"])
    assert lv[0]["lower"] == 0.0 and lv[-1]["upper"] == 1.0
    for a, b in zip(lv, lv[1:]):
        assert a["upper"] == b["lower"], f"gap or overlap between {a['id']} and {b['id']}"
    for x in lv:
        assert x["lower"] < x["upper"]
        assert str(x.get("source", "")).strip() and str(x.get("rationale", "")).strip()
    l2 = next(x for x in lv if x["id"] == "L2")
    assert (l2["lower"], l2["upper"]) == (0.60, 0.80)
    weights = {f["id"]: f["weights"] for f in levels_doc["formula"]}
    assert weights["three_term"] == {"adoption": 0.4, "standardization": 0.3, "controversy": 0.3}
    for w in weights.values():
        assert sum(w.values()) == pytest.approx(1.0)


GOOD = {
    "technology": "moe", "kind": "count", "period_start": "2025-01-01", "period_end": "2025-03-31",
    "k": "2", "n": "10", "share": "", "share_lo": "", "share_hi": "", "series": "test", "source": "test",
}


def _frame(**overrides) -> pd.DataFrame:
    ok = dict(GOOD)
    bad = dict(GOOD, period_start="2025-04-01", period_end="2025-06-30")
    bad.update(overrides)
    buf = io.StringIO(pd.DataFrame([ok, bad]).to_csv(index=False))
    return pd.read_csv(buf, dtype=str, keep_default_na=False, na_values=[""])


def test_good_rows_validate():
    validate(_frame(), ADOPTION_OBSERVATIONS, "t.csv")


@pytest.mark.parametrize("overrides, column", [
    ({"k": "11"}, "k"),  # k > n
    ({"kind": "elicited", "k": "", "n": "", "share": "1.2", "share_lo": "0.5", "share_hi": "1.0"}, "share"),
    ({"kind": "elicited", "k": "", "n": "", "share": "0.5", "share_lo": "-0.1", "share_hi": "0.6"}, "share_lo"),
    ({"period_end": "2025-03-01"}, "period_end"),  # end before start
])
def test_bad_rows_raise_with_row_and_column(overrides, column, tmp_path):
    path = tmp_path / "adoption_observations.csv"
    _frame(**overrides).to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        read_csv(path, ADOPTION_OBSERVATIONS)
    assert exc.value.row == 3  # header is row 1, the bad row is the second data row
    assert exc.value.column == column
    assert "row 3" in str(exc.value) and repr(column) in str(exc.value)
