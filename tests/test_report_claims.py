"""The claim check on hand-made milestone tables: verdict words and bands, the order, the generated sentences, the
filters of `forecast milestones`, the words of a detail block, the update diff with Monte Carlo errors, and the claim
and pyramid figures on synthetic draws (no fitting)."""
import types

import numpy as np
import pandas as pd
import pytest

from forecast.report import claims as cl
from forecast.report.claim_text import notes, predicate_words, probability_line


def _row(id_, p=None, *, status="open", forecast=True, label="observed", moved=True, prior=0.5, outcome=None,
         mode="first_passage", target="2027-12-31", model="compute_trend", median=None, mcse=0.01):
    return {"id": id_, "title": f"title {id_}", "model": model, "kind": "compute_at_least", "mode": mode,
            "target_date": target, "status": status, "forecast": forecast, "p_by_target": p, "median_date": median,
            "q10_date": None, "q90_date": None, "p_by_horizon": p, "p_prior": prior, "prior_median_date": None,
            "data_label": label, "mcse": mcse, "data_moved": moved, "outcome": outcome, "resolved_date": None,
            "resolution_source": None, "diagnostics": "pass", "note": "", "claim": "c", "source": "s"}


def _run(tmp_path, rows, models=None):
    return types.SimpleNamespace(path=tmp_path, milestones=pd.DataFrame(rows), models=models or {},
                                 manifest={"config": {"horizon": "2032-12-31", "seed": 1}, "created": "2026-12-07T10:00:00+00:00"})


@pytest.mark.parametrize("row,key", [
    (_row("a", 0.80), "likely"), (_row("a", 0.7999), "uncertain"), (_row("a", 0.5), "uncertain"),
    (_row("a", 0.2), "unlikely"), (_row("a", 0.0), "unlikely"),
    (_row("a", 0.95, label="prior only"), "prior-only"),  # no data: never a forecast, whatever P says
    (_row("a", 0.95, label="prior only", moved=False), "prior-only"),
    (_row("a", 0.05, moved=False), "not-moved"), (_row("a", 0.5, label="partly observed"), "uncertain"),
    (_row("a", 0.5, moved=None), "uncertain"),  # no error estimate: the band stands
    (_row("a", 1.0, status="observed", outcome="yes", forecast=False), "observed-yes"),
    (_row("a", 0.0, status="resolved", outcome="no", forecast=False), "resolved-no"),
    (_row("a", None, forecast=False, label=None), "not-forecast"),
])
def test_verdict_bands_and_words(row, key):
    assert cl.verdict_key(row) == key and cl.verdict(row) == cl.VERDICTS[key]


def test_claims_the_data_contradict_most_come_first(tmp_path):
    rows = [_row("likely", 0.9), _row("unlikely", 0.05, prior=0.5), _row("unlikely-prior-low", 0.05, prior=0.04),
            _row("prior-only", 0.01, label="prior only"), _row("not-moved", 0.02, moved=False),
            _row("seen-no", 0.0, status="observed", outcome="no", forecast=False), _row("none", None, forecast=False, label=None),
            _row("uncertain", 0.5)]
    got = [r["id"] for r in cl.claim_rows(_run(tmp_path, rows))]
    # data-driven by P (ties: moved furthest below the prior first), then not moved, prior only, not forecast
    assert got == ["seen-no", "unlikely", "unlikely-prior-low", "uncertain", "likely", "not-moved", "prior-only", "none"]
    by_id = {r["id"]: r for r in cl.claim_rows(_run(tmp_path, rows))}
    assert by_id["seen-no"]["p_text"] == "0%" and by_id["seen-no"]["data_label"] == "observed"
    assert by_id["none"]["data_label"] == "—" and by_id["none"]["layer"] == "other"
    assert by_id["likely"]["median_text"] == "after 2032-12-31"  # no median: most draws never pass by the horizon


def test_summary_sentences_are_generated_from_the_rows(tmp_path):
    rows = [_row("a", 0.9), _row("b", 0.1, prior=0.6), _row("c", 0.5), _row("d", 0.3, label="prior only"),
            _row("e", 1.0, status="resolved", outcome="yes", forecast=False), _row("f", None, forecast=False, label=None)]
    s = cl.summary_sentences(cl.claim_rows(_run(tmp_path, rows)))
    assert s[0].startswith("Of 6 seed claims, 4 are forecast: 1 likely") and "1 uncertain, 1 unlikely" in s[0]
    assert "1 with no data (prior only) and 0 not moved" in s[0]
    assert s[1] == "1 is settled by observation or resolution (1 true, 0 false); 1 is not forecast (no model speaks to it)."
    assert s[2] == "The data contradict most: “title b” (P 10%; prior only 60%); “title c” (P 50%; prior only 50%)."
    assert s[3] == "The data support most: “title a” (P 90%; prior only 50%)."
    # nothing likely, nothing settled: those sentences are left out
    only = cl.summary_sentences(cl.claim_rows(_run(tmp_path, [_row("x", 0.4)])))
    assert len(only) == 2 and only[1].startswith("The data contradict most")


def test_milestones_command_sorts_and_filters(tmp_path):
    rows = [_row("late", 0.9, target="2030-01-01"), _row("early", 0.3, target="2026-01-01", model="market"),
            _row("none", None, forecast=False, label=None, model="none", target="2031-01-01")]
    run = _run(tmp_path, rows)
    cr = cl.claim_rows(run)
    assert [r["id"] for r in cl.select(cr, "p")] == ["early", "late", "none"]  # without a P: last
    assert [r["id"] for r in cl.select(cr, "date")] == ["early", "late", "none"]
    assert [r["id"] for r in cl.select(cr, "verdict")] == ["early", "late", "none"]
    assert [r["id"] for r in cl.select(cr, layer="market")] == ["early"]  # a market model claim is in the market layer
    assert [r["id"] for r in cl.select(cr, model="compute_trend")] == ["late"]
    with pytest.raises(ValueError, match="unknown sort"):
        cl.select(cr, "size")
    text = cl.format_claims(run, sort="date")
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["milestone", "target", "P", "verdict", "data"]
    assert lines[1].startswith("early ") and "unlikely" not in lines[1] and "uncertain" in lines[1]
    assert "(no claim matches the filter)" in cl.format_claims(run, layer="math")


def test_detail_words(tmp_path):
    run = _run(tmp_path, [_row("p", 0.3, label="prior only", target="2026-06-30"),
                          _row("m", 0.5, mode="state", target="2026-11-26", model="market"),
                          _row("h", 0.3, median=None)])
    run.models = {"market": types.SimpleNamespace(data_end=pd.Timestamp("2026-03-31"), forecast_start=pd.Timestamp("2026-03-31"))}
    rows = {r["id"]: r for r in cl.claim_rows(run)}
    assert rows["p"]["past"] and rows["p"]["target_text"] == "2026-06-30 (past)"
    assert any("No data inform the quantity" in n for n in notes(rows["p"]))
    assert rows["m"]["present"] and rows["m"]["target_text"] == "present (data to 2026-03-31)"
    assert any("newest data end on 2026-03-31" in n and "8 months" in n for n in notes(rows["m"]))
    assert any(n.startswith("Median date after 2032-12-31: fewer than half") for n in notes(rows["h"]))
    assert probability_line(rows["h"]) == "P prior only 50% → P posterior 30% (Monte Carlo standard error ±1.0 pp)"
    r = dict(rows["h"], params={"flop": 1e27})
    assert predicate_words(r) == "some training run uses at least 1e27 FLOP by 2027-12-31 (the running maximum of frontier training compute)"
    assert predicate_words(dict(r, kind="providers_between", params={"lo": 3, "hi": 5})).startswith("the number of foundation-model providers is between 3 and 5")
    assert predicate_words(dict(r, kind="none", params={})).startswith("no formal predicate")


def test_update_diff_with_monte_carlo_errors():
    from forecast.pipeline.history import milestone_diff
    from forecast.report.diff import diff_rows, format_diff
    base = pd.DataFrame([_row("moved", 0.50, mcse=0.01), _row("noise", 0.50, mcse=0.01), _row("never", 0.10, mcse=0.01),
                         _row("old", 0.30, mcse=None), _row("state", 0.4, mode="state", mcse=0.01)])
    after = base.copy()
    after.loc[0, "p_by_target"] = 0.60  # 10 pp ≫ 2 × √2 × 1 pp
    after.loc[1, "p_by_target"] = 0.52  # 2 pp < 2.8 pp: Monte Carlo noise
    after.loc[2, "median_date"] = None
    after.loc[3, ["p_by_target", "mcse"]] = [0.40, 0.02]  # the earlier run has no error column value
    d = milestone_diff(base, after).set_index("id")
    assert d.loc["moved", "delta_se"] == pytest.approx(np.sqrt(2) * 0.01) and not d.loc["moved", "within_mc_error"]
    assert d.loc["noise", "within_mc_error"]
    assert d.loc["old", "delta_se"] == pytest.approx(np.sqrt(2) * 0.02)
    rows = {r["id"]: r for r in diff_rows(d.reset_index())}
    assert rows["moved"]["change"] == "changed" and rows["moved"]["delta"] == "+10.0 pp" and rows["moved"]["se"] == "±1.4 pp"
    assert rows["noise"]["change"] == "no change"
    assert rows["never"]["median_after"] == "after horizon" and rows["state"]["median_after"] == "—"
    # read back from diff.csv, the flag is a string
    rows = {r["id"]: r for r in diff_rows(d.reset_index().astype({"within_mc_error": str}))}
    assert rows["noise"]["change"] == "no change" and rows["moved"]["change"] == "changed"
    text = format_diff(d.reset_index(), "2032-12-31")
    assert "no change" in text and "after horizon" in text and "(2032-12-31)" in text and "nan" not in text
    # a run made before the mcse column: no error, no verdict on the change
    legacy = milestone_diff(base.drop(columns=["mcse", "mode", "status"]), after.drop(columns=["mcse"])).set_index("id")
    assert legacy["delta_se"].isna().all() and {r["change"] for r in diff_rows(legacy.reset_index())} == {"—"}


def test_claim_and_pyramid_figures_on_synthetic_draws(tmp_path):
    from forecast.report.figures import claim as cf
    from forecast.report.figures.common import save
    from forecast.report.figures.pyramid import level_table, pyramid
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-31", "2030-12-31", freq="ME")
    draws = np.clip(np.linspace(0, 1, len(dates))[None, :] + rng.normal(0, 0.1, (200, 1)), 0, 1)
    q = {"label": "share of new models (x)", "draws": draws, "lo": 0.5, "hi": None, "log": False,
         "observed": pd.DataFrame({"date": pd.to_datetime(["2024-06-30", "2025-06-30"]), "y": [0.1, 0.2]})}
    row = {"target_date": "2027-12-31", "mode": "first_passage"}
    fig = cf.claim_figure(row, "2030-12-31", pd.Timestamp("2025-12-31"), q=q, dates=dates, hit=draws >= 0.5)
    assert save(fig, tmp_path / "claim-x", dpi=90) == ["claim-x.png"]
    assert (tmp_path / "claim-x.png").stat().st_size > 3000
    state = cf.claim_figure(dict(row, mode="state"), "2030-12-31", pd.Timestamp("2025-12-31"), q=q, dates=dates, hit=draws >= 0.5)
    rate = cf.claim_figure(row, "2030-12-31", None, r={"label": "growth", "draws": rng.normal(0.4, 0.05, 500), "value": 0.43, "side": "at least"})
    assert len(state.axes) == 2 and len(rate.axes) == 1
    recs = [{"id": f"t{i}", "layer": layer, "seed_level": "L2" if i % 2 else None, "label": "prior only" if i == 3 else "observed",
             "now": ("L1", 0.6), "later": ("L2", 0.55), "p_now": {"L1": 0.6, "L2": 0.4}}
            for i, layer in enumerate(["math", "architecture", "architecture", "hardware", "new_layer"] + ["architecture"] * 6)]
    fig = pyramid(recs, "on 2026-11-26", "on 2027-12-31")
    assert save(fig, tmp_path / "pyramid", dpi=90) == ["pyramid.png"]
    table = {t["id"]: t for t in level_table(recs)}
    assert table["t1"]["p_seed_now"] == pytest.approx(0.4) and table["t0"]["seed_level"] == "—" and table["t3"]["label"] == "prior only"


def test_update_copies_the_parents_claim_figures(tmp_path):
    import json

    from forecast.report import detail
    parent, child = tmp_path / "parent", tmp_path / "child"
    (parent / "figures").mkdir(parents=True)
    child.mkdir()
    row = dict(cl.claim_rows(_run(tmp_path, [_row("a", 0.5)]))[0], params={"flop": 1e27})
    run = types.SimpleNamespace(path=child, models={"compute_trend": object()},
                                manifest={"config": {"horizon": "2032-12-31", "seed": 1}, "parent_run": "parent"})
    key = detail._key(detail._code_key(), "a", "compute_trend@parent", json.dumps(row["params"], sort_keys=True),
                      row["target_date"], row["mode"], row["kind"], "2032-12-31", 1)
    (parent / "figures" / "claim-a.png").write_bytes(b"png")
    (parent / detail.CACHE).write_text(json.dumps({"claims": {"a": {"key": key, "png": "figures/claim-a.png", "alt": "x"}}}))
    plan = detail.plan_claims(run, [row], child, {"compute_trend": "compute_trend@parent"}, [parent])
    claims, pyr = detail.finish_claims(plan, [], None)  # nothing left to draw: the parent's figure is reused
    assert claims["a"]["key"] == key and (child / "figures" / "claim-a.png").read_bytes() == b"png" and pyr is None
    assert json.loads((child / detail.CACHE).read_text())["claims"]["a"]["key"] == key
