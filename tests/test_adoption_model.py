"""Adoption model: logistic maths on hand values, graph checks, one small fit, bad rows, and (slow) recovery."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.core.config import RunConfig
from forecast.core.errors import DataValidationError, PriorSpecError
from forecast.core.timeutil import logistic, logit, years_since
from forecast.models.adoption import Adoption
from forecast.models.adoption.curves import elicited_sd, share_curve
from forecast.data.priors import load_priors
from forecast.data.tables import load_table
from forecast.data.technologies import load_technologies, parse_technologies
from forecast.report.figures import model_figures


# ---------------------------------------------------------------- maths (no sampling)

def test_share_curve_hand_values():
    assert share_curve(2.0, 0.8, 1.5, 2.0) == pytest.approx(0.4)  # at t0: half the ceiling
    assert share_curve(3.0, 1.0, np.log(3.0), 2.0) == pytest.approx(0.75)  # logistic(log 3) = 3/4
    assert share_curve(-50.0, 0.9, 2.0, 0.0) == pytest.approx(0.0, abs=1e-12)
    assert share_curve(50.0, 0.9, 2.0, 0.0) == pytest.approx(0.9)
    assert logit(logistic(0.3)) == pytest.approx(0.3)


def test_elicited_sd_and_time_axis():
    # 80% interval [0.5, 0.7]: sd = (logit .7 − logit .5) / (2·1.2816)
    assert elicited_sd(0.5, 0.7) == pytest.approx(0.2 / 2.5632, rel=1e-4)
    assert elicited_sd(0.9, 1.0) == pytest.approx(0.1 / 2.5632, rel=1e-4)
    assert years_since(["2025-01-01"], "2024-01-01")[0] == pytest.approx(366 / 365.25)


def test_registry_validation_names_file_and_key():
    doc = {"layers": ["math"], "ceiling_groups": {"standard": "", "option": ""},
           "technologies": [{"id": "x", "layer": "nowhere", "source": "s", "seed_level": "L1", "ceiling_group": "option",
                             "reference_series": "a"}]}
    with pytest.raises(PriorSpecError, match="unknown layer") as e:
        parse_technologies(doc, "technologies.yaml")
    assert "technologies[0]" in e.value.key and e.value.file == "technologies.yaml"
    doc["technologies"][0].update(layer="math", source="")
    with pytest.raises(PriorSpecError, match="source"):
        parse_technologies(doc, "technologies.yaml")
    doc["technologies"][0].update(source="s", ceiling_group="niche")
    with pytest.raises(PriorSpecError, match="unknown ceiling_group.*valid: standard, option"):
        parse_technologies(doc, "technologies.yaml")
    doc["technologies"][0].update(ceiling_group="option", reference_series=None)
    with pytest.raises(PriorSpecError, match="reference_series"):
        parse_technologies(doc, "technologies.yaml")
    assert "moe" in load_technologies()


# ---------------------------------------------------------------- data contract

@pytest.fixture(scope="module")
def frame():
    return load_table("adoption_observations")


def _make(f):
    return Adoption({"adoption_observations": f}, load_priors("adoption"), RunConfig())


@pytest.mark.parametrize("col,value,match", [
    ("k", 99, "k greater than n"),
    ("share", 1.5, "above maximum"),
    ("technology", "warp_drive", "unknown technology"),
    ("period_end", "2099-12-31", "future"),
])
def test_bad_rows_rejected_with_row_and_column(frame, col, value, match):
    f = frame.copy()
    i = int(np.flatnonzero((f["kind"] == ("elicited" if col == "share" else "count")).to_numpy())[0])
    f[col] = f[col].astype(object)
    f.loc[i, col] = pd.Timestamp(value) if col == "period_end" else value
    with pytest.raises(DataValidationError, match=match) as e:
        _make(f)
    assert e.value.row == i + 2 and e.value.column in (col, "k") and "adoption_observations.csv" in str(e.value)


def test_as_of_drops_later_rows(frame):
    m = Adoption({"adoption_observations": frame}, load_priors("adoption"), RunConfig(as_of="2025-01-01"))
    assert m.data_end < pd.Timestamp("2025-01-01")
    assert (m.inputs["count"]["rows"]["period_end"] < pd.Timestamp("2025-01-01")).all()


def test_graph_compiles_and_logp_finite(frame):
    m = _make(frame)
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert {"moe", "long_context", "ssm_hybrid", "attention", "hardware_ecosystem"} <= set(m.counted_techs)
    assert m.growth_techs == ["mcp"]
    # technologies no public table measures stay on the population curve
    assert {"adamw", "rlhf", "dl_framework"} <= set(m.inputs["no_data_techs"])
    # seed shares are claims, never data: all held out of the likelihood
    assert not m.inputs["elicited_only_techs"] and len(m.inputs["held_out"]) > 0


# ---------------------------------------------------------------- one small fit

def test_small_fit(fitted):
    m = fitted("adoption")
    dates = pd.date_range("2024-01-31", "2030-12-31", freq="ME")
    s = m.share_paths("moe", dates)
    assert s.shape == (2 * m.draws_count(), len(dates)) and (s >= 0).all() and (s <= 1).all()
    assert (np.diff(s, axis=1) >= -1e-12).all()  # logistic curves never fall
    hit = m.paths("share_at_least", {"tech": "moe", "value": 0.5}, dates, np.random.default_rng(0))
    assert hit.shape == s.shape and hit.dtype == bool
    with pytest.raises(KeyError, match="not in the registry"):
        m.share_paths("warp_drive", dates)
    rows = m.summary()
    assert any("seed check" in r["quantity"] for r in rows)
    assert any("counted data" in r["note"] for r in rows)
    figs = model_figures(m)
    assert "adoption_architecture" in figs


# ---------------------------------------------------------------- recovery (slow)

@pytest.mark.slow
def test_parameter_recovery(frame):
    """Simulate counts for the counted technologies from known curves, refit, recover t0 and r."""
    rng = np.random.default_rng(5)
    truth = {"moe": (0.9, 1.6, 1.5), "long_context": (0.95, 2.0, 1.0), "ssm_hybrid": (0.6, 1.2, 3.0)}  # c, r, t0 (years since 2024)
    f = frame[(frame["kind"] != "count") | (frame["series"] == "hf_open_llm_architectures")].copy()
    rows = []
    for tech, (c, r, t0) in truth.items():
        for q in pd.date_range("2021-01-01", "2026-01-01", freq="QS"):
            end = q + pd.offsets.QuarterEnd(0)
            t = years_since([q + (end - q) / 2], "2024-01-01")[0]
            n = 60
            rows.append({"technology": tech, "kind": "count", "period_start": q, "period_end": end,
                         "k": rng.binomial(n, share_curve(t, c, r, t0)), "n": n, "series": "hf_open_llm_architectures", "source": "simulated"})
    sim = pd.DataFrame(rows)
    f = pd.concat([f[f["kind"] != "count"], sim], ignore_index=True)
    m = Adoption({"adoption_observations": f}, load_priors("adoption"), RunConfig(chains=2, draws=500, tune=500, seed=3))
    m.fit()
    techs = m.inputs["techs"]
    for tech, (c, r, t0) in truth.items():
        k = techs.index(tech)
        lo, hi = np.quantile(m.draws("t0")[:, k], [0.025, 0.975])
        assert lo <= t0 <= hi, (tech, lo, hi)
        lo, hi = np.quantile(m.draws("r")[:, k], [0.025, 0.975])
        assert lo <= r <= hi, (tech, lo, hi)
