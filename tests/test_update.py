"""`forecast update` end to end on a copy of the project: new evidence → refit → diff; resolve → score."""
import dataclasses
import json
import shutil

import pandas as pd
import pytest

from forecast.app import cli
from forecast.core import config

SMALL = ["--chains", "2", "--draws", "300", "--tune", "300", "--seed", "1234", "--quiet"]


@pytest.fixture(scope="module")
def home(tmp_path_factory, fitted):
    fitted("compute_trend"), fitted("scaling_law")  # compiled once per session
    root = tmp_path_factory.mktemp("home")
    shutil.copytree(config.project_root() / "data", root / "data")
    shutil.copytree(config.project_root() / "priors", root / "priors")
    (root / "data" / "evidence" / "evidence.csv").unlink(missing_ok=True)
    (root / "data" / "resolutions.csv").unlink(missing_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("FORECAST_HOME", str(root))
    assert cli.main(["run", "--models", "scaling_law", "compute_trend", *SMALL]) == 0
    yield root
    mp.undo()


def test_update_refits_touched_models_and_prints_diff(home, capsys):
    assert cli.main(["evidence", "add", "--kind", "release", "--model", "Hypothetical-2", "--organization", "Lab",
                     "--compute", "2e27", "--date", "2026-10-01", "--source", "lab announcement"]) == 0
    capsys.readouterr()
    assert cli.main(["update", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "update: compute_trend" in out and "reuse: scaling_law" in out
    before = (home / "reports" / "latest").resolve()
    assert cli.main(["update", "--quiet"]) == 0
    out = capsys.readouterr().out
    after = (home / "reports" / "latest").resolve()
    assert after != before and (after / "diff.csv").exists()
    diff = pd.read_csv(after / "diff.csv")
    man = json.loads((after / "manifest.json").read_text())
    assert man["refit"] == ["compute_trend"] and man["reused"] == ["scaling_law"] and len(man["new_evidence"]) == 1
    assert man["milestones_reused"] == []  # scaling_law has no milestones (kept rows: test below)
    # the 1e27 milestone is now observed in the data (the release crossed it), so it left the forecast
    ms = pd.read_json(after / "milestones.json").set_index("id")
    assert ms.loc["compute-1e27", "status"] == "observed" and ms.loc["compute-1e27", "outcome"] == "yes"
    assert "compute-1e27" in diff["id"].tolist() and "P before" in out
    # the reused posterior is byte-identical in content
    import arviz as az
    a = az.from_netcdf(before / "scaling_law.nc").posterior["alpha"].values
    b = az.from_netcdf(after / "scaling_law.nc").posterior["alpha"].values
    assert (a == b).all()
    # the reused model's report section (summary + figures) is copied from the run that fitted it, not redrawn
    secs = {s["name"]: s for s in json.loads((after / "figures" / "sections.json").read_text())["sections"]}
    old = {s["name"]: s for s in json.loads((before / "figures" / "sections.json").read_text())["sections"]}
    assert secs["scaling_law"] == old["scaling_law"] and secs["compute_trend"]["key"] != old["compute_trend"]["key"]
    for f in secs["scaling_law"]["figures"]:
        assert (after / f["png"]).read_bytes() == (before / f["png"]).read_bytes()
    assert man["timings"]["scaling_law"]["reused_from"] == before.name
    assert cli.main(["history", "compute-1e28"]) == 0
    assert capsys.readouterr().out.count("compute-1e28") >= 2


def test_nothing_to_update(home, capsys):
    assert cli.main(["update"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_reused_milestone_rows_equal_a_fresh_evaluation(home):
    """An update keeps the parent's rows of milestones whose model it reuses; they must be what evaluating
    them again gives (after the round trip through milestones.json)."""
    from forecast.evaluation import milestones as ms
    from forecast.pipeline import store, update as upd
    from forecast.pipeline.store import load_run
    latest = (home / "reports" / "latest").resolve()
    run_ = load_run(latest)
    cfg = store.before_cfg(run_.manifest)
    fresh = ms.evaluate(ms.load_milestones(), run_.models, cfg.horizon, cfg.seed)
    reuse = upd.reusable_milestone_rows(run_.manifest, store.read_milestone_table(latest), ["compute_trend"], cfg, None)
    # rows of milestones resolved by hand are not kept (`evaluate` applies the current resolutions)
    assert set(reuse) == {m.id for m in ms.load_milestones() if m.model == "compute_trend" and m.resolution is None}
    assert len(reuse) == 2
    # prior-only columns are filled after `evaluate` (prior_only.add_prior_columns); the posterior rows must agree
    cols = [c for c in ms.RESULT_COLUMNS if c not in ms.PRIOR_COLUMNS]
    pd.testing.assert_frame_equal(ms.evaluate(ms.load_milestones(), run_.models, cfg.horizon, cfg.seed, reuse=reuse)[cols], fresh[cols])
    # the rows are really taken, not recomputed
    marked = {k: dict(v, note="from the parent") for k, v in reuse.items()}
    got = ms.evaluate(ms.load_milestones(), run_.models, cfg.horizon, cfg.seed, reuse=marked).set_index("id")
    assert (got.loc[list(reuse), "note"] == "from the parent").all()
    # another seed, horizon or milestone file: nothing is kept
    assert upd.reusable_milestone_rows(run_.manifest, store.read_milestone_table(latest), ["compute_trend"],
                                        dataclasses.replace(cfg, seed=cfg.seed + 1), None) == {}
    assert upd.reusable_milestone_rows(run_.manifest, store.read_milestone_table(latest), ["compute_trend"],
                                        dataclasses.replace(cfg, horizon="2040-12-31"), None) == {}


def test_resolve_scores_with_last_prior_forecast(home, capsys):
    hist = pd.read_csv(home / "reports" / "history.csv")
    p = float(hist[hist["milestone"] == "compute-1e28"]["p_by_target"].iloc[-1])
    assert cli.main(["resolve", "compute-1e28", "--outcome", "no", "--date", "2026-11-01", "--source", "test"]) == 0
    out = capsys.readouterr().out
    assert "compute-1e28" in out and "mean Brier" in out
    from forecast.evaluation.milestones import load_milestones, score_resolutions
    from forecast.pipeline.history import load_history
    s = score_resolutions(load_history()).set_index("id")
    assert s.loc["compute-1e28", "p"] == pytest.approx(p)
    assert s.loc["compute-1e28", "brier"] == pytest.approx(p ** 2)
    m = {x.id: x for x in load_milestones()}["compute-1e28"]
    assert m.status == "resolved" and m.resolution.outcome == "no"
    assert cli.main(["resolve", "compute-1e99", "--outcome", "no", "--date", "2026-11-01", "--source", "x"]) != 0
    assert cli.main(["resolve", "compute-1e28", "--outcome", "no", "--date", "2027-11-01", "--source", "x"]) != 0
    assert "unknown milestone" in capsys.readouterr().err
