"""Rolling-origin backtests: the summary table by hand, the origin grid, and small real backtests at one origin."""
import numpy as np
import pandas as pd
import pytest

from forecast.calibration import backtest as bt
from forecast.core.config import RunConfig

SMALL = RunConfig(seed=1, chains=2, draws=300, tune=300, quiet=True)


def _results():
    rows = []
    #            model, series, method, cover50, cover80, cover95, crps, log_score
    for spec in [("m", "a", "model", 1, 1, 1, 0.2, 1.0), ("m", "a", "model", 0, 1, 1, 0.4, 2.0),
                 ("m", "a", "persistence", 0, 0, 1, 1.0, 3.0), ("m", "a", "persistence", 0, 0, 0, 2.0, 5.0),
                 ("m", "b", "model", 1, 1, 1, 0.6, 0.0)]:
        model, series, method, c50, c80, c95, crps, ls = spec
        rows.append({"origin": "2024-01-01", "model": model, "series": series, "method": method, "target": 0, "date": "2024-06-30",
                     "horizon_years": 0.5, "y": 1.0, "crps": crps, "log_score": ls, "pit": 0.5,
                     "cover50": float(c50), "cover80": float(c80), "cover95": float(c95)})
    return pd.DataFrame(rows)


def test_summarize_by_hand():
    s = bt.summarize(_results())
    row = s[(s["series"] == "a") & (s["method"] == "model")].iloc[0]
    assert row["n"] == 2 and row["cover50"] == pytest.approx(0.5) and row["cover80"] == pytest.approx(1.0)
    assert row["crps"] == pytest.approx(0.3) and row["log_score"] == pytest.approx(1.5) and row["pit_mean"] == pytest.approx(0.5)
    per = s[(s["series"] == "a") & (s["method"] == "persistence")].iloc[0]
    assert per["cover95"] == pytest.approx(0.5) and per["crps"] == pytest.approx(1.5)
    pooled = s[s["series"] == "(pooled)"].set_index("method")
    assert set(pooled["model"]) == {"m"}
    assert pooled.loc["model", "n"] == 3 and pooled.loc["model", "cover50"] == pytest.approx(2 / 3)
    assert pooled["crps"].isna().all()  # CRPS in different units is not averaged
    assert len(s) == 3 + 2  # three per-series rows, two pooled
    assert bt.summarize(pd.DataFrame()).empty


class _Stub:
    def __init__(self, end):
        self.data_end = pd.Timestamp(end)


def test_default_origins_six_monthly():
    models = {"a": _Stub("2025-12-31"), "b": _Stub("2025-03-31")}
    # the latest data end (2025-12-31) minus six months = 2025-06-30
    assert bt.default_origins(models) == ["2023-01-01", "2023-07-01", "2024-01-01", "2024-07-01", "2025-01-01"]
    # b has less than six months after 2025-01-01: only a is fitted at that origin
    assert bt.models_at("2025-01-01", models) == ["a"] and bt.models_at("2024-07-01", models) == ["a", "b"]
    assert bt.default_origins({"a": _Stub("2025-07-01")}) == ["2023-01-01", "2023-07-01", "2024-01-01", "2024-07-01", "2025-01-01"]


def _check(res: dict, origin: str, model: str):
    r = res["scores"][res["scores"]["model"] == model]
    assert len(r), f"no backtest rows for {model}"
    assert (pd.to_datetime(r["date"]) >= pd.Timestamp(origin)).all()
    assert (r["horizon_years"] >= 0).all()
    for series, g in r.groupby("series"):
        assert set(g["method"]) == {"model", "persistence", "linear_trend"}, series
        # paired: every method scores the identical targets
        keys = {m: set(zip(x["date"], x["target"])) for m, x in g.groupby("method")}
        assert keys["model"] == keys["persistence"] == keys["linear_trend"], series
    for c in ("cover50", "cover80", "cover95", "pit"):
        assert r[c].between(0, 1).all(), c
    assert np.isfinite(r["crps"]).all() and (r["crps"] >= 0).all()
    assert np.isfinite(r["log_score"]).all()  # the baselines' spreads are never degenerate
    m = r[r["method"] == "model"]
    # nested central intervals: covered at 50% ⇒ covered at 80% ⇒ covered at 95%
    assert (m["cover50"] <= m["cover80"]).all() and (m["cover80"] <= m["cover95"]).all()
    assert set(m["diagnostics"]) <= {"pass", "FAIL"}
    e = res["events"][res["events"]["model"] == model]
    assert len(e) and set(e["outcome"]) <= {0, 1}
    for c in ("p_model", "p_persistence", "p_linear_trend"):
        assert e[c].between(0, 1).all(), c
    assert set(e["horizon_years"]) <= {0.5, 1.0, 2.0} and set(e["step"]) <= {-1.0, 0.5, 1.0, 2.0}


def test_backtest_one_origin_compute_trend_market_hardware():
    # 2024-01-01: later than most of each series, early enough that market has quarters outside the lag window
    origin = "2024-01-01"
    res = bt.backtest_origin(origin, ["compute_trend", "market", "hardware"], SMALL)
    for name in ("compute_trend", "market", "hardware"):
        _check(res, origin, name)
    hw = res["scores"][res["scores"]["model"] == "hardware"]
    assert {"log10_flops_fp32", "log10_flops_tensor16"} <= set(hw["series"])
    mk = res["scores"][(res["scores"]["model"] == "market")]
    assert (mk["y"] == np.round(mk["y"])).all()  # counts
    s = bt.summarize(res["scores"])
    assert {"model", "persistence", "linear_trend"} <= set(s["method"])


@pytest.mark.slow
def test_backtest_one_origin_adoption():
    origin = "2024-07-01"
    res = bt.backtest_origin(origin, ["adoption"], SMALL)
    _check(res, origin, "adoption")
    m = res["scores"][res["scores"]["method"] == "model"]
    assert m["series"].str.startswith("adoption_share:").all()
    assert m["y"].between(0, 1).all()
    assert {"adoption_share:moe:hf_open_llm_architectures", "adoption_share:long_context:hf_open_llm_architectures"} <= set(m["series"])


def test_run_backtest_end_to_end_records(tmp_path):
    # a reduced backtest (one origin, one small model) through the command's path: run folder, then the record
    from forecast.pipeline import calibration_record as rec
    path, summary = bt.run_backtest(["2024-01-01"], ["compute_trend"], SMALL, out_dir=tmp_path / "bt",
                                    record=tmp_path / "calibration", command="forecast backtest --as-of 2024-01-01")
    for f in ("results.csv", "events.csv", "summary.csv", "skill.csv", "event_scores.csv", "reliability.csv", "manifest.json"):
        assert (path / f).exists(), f
    man = rec.read_manifest(tmp_path / "calibration")
    entry = man["backtest"]["compute_trend"]
    assert entry["origins"] == ["2024-01-01"] and entry["command"].startswith("forecast backtest")
    assert any(k.startswith("code/models/compute_trend.py") for k in entry["files"])
    assert (tmp_path / "calibration" / "reliability.png").exists()
    assert set(rec.read_table(tmp_path / "calibration", "backtest_summary")["model"]) >= {"compute_trend"}
