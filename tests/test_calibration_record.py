"""The calibration record: written per model, merged, shown by the report, and marked stale when an input changes."""
import shutil

import numpy as np
import pandas as pd
import pytest

from forecast.calibration import record
from forecast.core.workspace import defaults_dirs
from forecast.pipeline import calibration_record as rec
from forecast.report.calibration_view import calibration_context, loss_reason


@pytest.fixture()
def dirs(tmp_path, monkeypatch):
    data, priors = defaults_dirs()
    # a workspace with no record of its own and no shipped record to start from
    monkeypatch.setattr(rec, "defaults_dirs", lambda: (tmp_path / "no-defaults", tmp_path / "no-defaults"))
    (tmp_path / "data").mkdir()
    for f in data.glob("*.csv"):
        shutil.copyfile(f, tmp_path / "data" / f.name)
    shutil.copytree(priors, tmp_path / "priors")
    return tmp_path / "data", tmp_path / "priors"


def _scores(model: str, series: str, model_crps: float):
    rows = []
    for o_i, origin in enumerate(["2023-01-01", "2023-07-01", "2024-01-01"]):
        for j in range(4):
            for method, crps in (("model", model_crps), ("persistence", 1.0), ("linear_trend", 2.0)):
                rows.append({"origin": origin, "model": model, "series": series, "method": method, "target": j,
                             "date": "2024-06-30", "horizon_years": 0.25 * (j + 1), "y": 1.0, "crps": crps * (1 + 0.1 * o_i),
                             "log_score": 1.0, "pit": (j + 0.5) / 4, "cover50": 1.0, "cover80": 1.0, "cover95": 1.0})
    return pd.DataFrame(rows)


def _events(model: str):
    rng = np.random.default_rng(0)
    p = rng.uniform(size=12)
    return pd.DataFrame({"origin": np.repeat(["2023-01-01", "2023-07-01", "2024-01-01"], 4), "model": model, "series": "s",
                         "y0": 0.0, "horizon_years": 1.0, "step": 1.0, "threshold": 1.0, "outcome": (p > 0.5).astype(int),
                         "n_targets": 3, "p_model": p, "p_persistence": 0.5, "p_linear_trend": 0.4})


def _run(model: str, data, priors):
    return {"id": f"bt-{model}", "origins": ["2023-01-01", "2023-07-01", "2024-01-01"], "models": [model], "seed": 1,
            "wall_s": 1.0, "command": "forecast backtest", "files": {model: rec.fingerprints(model, "backtest", data, priors)}}


def test_record_merge_context_and_stale_marker(dirs, tmp_path):
    data, priors = dirs
    store = rec.store_dir(data)
    record.record_backtest(store, _scores("compute_trend", "frontier", 0.5), _events("compute_trend"), pd.DataFrame(),
                           _run("compute_trend", data, priors), figures=False)
    record.record_backtest(store, _scores("hardware", "price", 1.5), _events("hardware"), pd.DataFrame(),
                           _run("hardware", data, priors), figures=False)
    man = rec.read_manifest(store)
    assert set(man["backtest"]) == {"compute_trend", "hardware"}  # the second run kept the first model's entry
    scores = rec.read_table(store, "backtest_scores")
    assert set(scores["model"]) == {"compute_trend", "hardware"}
    assert (store / "backtest_scores.csv.gz").exists() and (store / "backtest_skill.csv").exists()
    assert rec.staleness("backtest", data, priors, store) == {"compute_trend": [], "hardware": []}

    ctx = calibration_context(tmp_path / "figs", data, priors)
    rows = {r["model"]: r for r in ctx["rows"]}
    assert rows["compute_trend"]["beats"] and not rows["hardware"]["beats"]
    assert [(x["model"], x["baseline"]) for x in ctx["losses"]] == [("hardware", "persistence")]
    assert not ctx["any_stale"] and ctx["reliability"]["png"] == "figures/reliability.png"
    assert {e["method"] for e in ctx["events"]} == {"model", "persistence", "linear_trend", "climatology"}

    # a prior changes: that model's record is stale, naming the file; the other model's is not
    y = priors / "compute_trend.yaml"
    y.write_text(y.read_text() + "\n# edited\n")
    st = rec.staleness("backtest", data, priors, store)
    assert st["compute_trend"] == ["priors/compute_trend.yaml"] and st["hardware"] == []
    ctx = calibration_context(tmp_path / "figs", data, priors)
    assert ctx["any_stale"]
    words = {m["model"]: m["backtest"]["stale"] for m in ctx["models"] if m["backtest"]}
    assert "priors/compute_trend.yaml" in words["compute_trend"] and words["hardware"] == ""


def test_record_failure_leaves_the_old_record(dirs, monkeypatch):
    data, priors = dirs
    store = rec.store_dir(data)
    record.record_backtest(store, _scores("compute_trend", "frontier", 0.5), _events("compute_trend"), pd.DataFrame(),
                           _run("compute_trend", data, priors), figures=False)
    before = {f.name: f.read_bytes() for f in store.iterdir()}

    def boom(*a, **k):
        raise RuntimeError("interrupted")
    monkeypatch.setattr(record, "skill_table", boom)
    with pytest.raises(RuntimeError):
        record.record_backtest(store, _scores("hardware", "price", 1.5), _events("hardware"), pd.DataFrame(),
                               _run("hardware", data, priors), figures=False)
    assert {f.name: f.read_bytes() for f in store.iterdir()} == before


def test_loss_reasons():
    row = pd.Series({"pit_mean": 0.2, "cover80": 0.8})
    assert loss_reason(row, -0.3, -0.1).startswith("over-predicts")
    assert loss_reason(row, -0.3, 0.2).startswith("not distinguishable")
    assert loss_reason(pd.Series({"pit_mean": 0.5, "cover80": 0.5}), -0.5, -0.2).startswith("over-confident")
    assert loss_reason(pd.Series({"pit_mean": 0.5, "cover80": 0.97}), -0.5, -0.2).startswith("too wide")


def test_failed_origins_names_each_origin_whose_fit_failed_the_gate():
    import pandas as pd

    from forecast.report.calibration_view import failed_origins
    scores = pd.DataFrame({
        "model": ["a", "a", "a", "a", "b", "b", "b"],
        "origin": ["2023-01-01", "2023-01-01", "2023-07-01", "2023-07-01", "2023-01-01", "2023-07-01", "2023-07-01"],
        "method": ["model", "persistence", "model", "model", "model", "model", "linear_trend"],
        # one failing target row marks the origin's fit; baselines carry no diagnostics of their own
        "diagnostics": ["pass", None, "pass", "FAIL", "FAIL", "pass", None]})
    assert failed_origins(scores) == {"a": ["2023-07-01"], "b": ["2023-01-01"]}
    assert failed_origins(pd.DataFrame()) == {}


def test_losing_origins_names_where_a_loss_comes_from():
    """Paired per origin: the model's mean CRPS against the baseline's on the same held-out points."""
    from forecast.report.calibration_view import losing_origins
    rows = []
    for origin, model_crps, base_crps in (("2024-01-01", [1.0, 3.0], [2.0, 2.0]), ("2025-01-01", [4.0, 2.0], [1.0, 1.0])):
        for m, vals in (("model", model_crps), ("persistence", base_crps), ("linear_trend", [9.0, 9.0])):
            rows += [{"origin": origin, "model": "a", "series": "s", "method": m, "crps": v} for v in vals]
    scores = pd.DataFrame(rows)
    assert losing_origins(scores, "a", "s", "persistence") == "mean CRPS above the baseline's at origin 2025-01 (3.00 vs 1.00); below it at 1 of 2"
    assert losing_origins(scores, "a", "s", "linear_trend") == ""
    assert losing_origins(pd.DataFrame(), "a", "s", "persistence") == ""
