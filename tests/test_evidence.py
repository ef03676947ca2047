"""Evidence log validation, crash safety, merging into model inputs; resolution scoring by hand values."""
import datetime as dt
import hashlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from forecast.data import evidence as ev
from forecast.core.errors import EvidenceError
from forecast.evaluation.milestones import brier, log_score

TODAY = dt.date(2026, 11, 26)


def _count(**kw):
    args = dict(observed_date="2026-09-30", source="HF hub scan", technology="moe", k=12, n=20, today=TODAY)
    args.update(kw)
    return ev.make_row("count", **args)


@pytest.mark.parametrize("kind, kw, column", [
    ("count", dict(technology="warp_drive", k=1, n=2), "technology"),
    ("count", dict(technology="moe", k=5, n=4), "k"),
    ("count", dict(technology="moe", k=1, n=None), "n"),
    ("share", dict(technology="moe", share=1.2, share_lo=0.5, share_hi=1.0), "share"),
    ("share", dict(technology="moe", share=0.5, share_lo=-0.1, share_hi=0.6), "share_lo"),
    ("judgement", dict(technology="moe", share=0.5, share_lo=0.4, share_hi=0.6), "attribute"),
    ("release", dict(model="X", training_compute=None), "training_compute"),
    ("rumour", dict(), "kind"),
])
def test_invalid_rows_name_the_field(kind, kw, column):
    with pytest.raises(EvidenceError) as e:
        ev.make_row(kind, observed_date="2026-09-30", source="s", today=TODAY, **kw)
    assert e.value.column == column and "evidence.csv" in str(e.value)


def test_future_date_and_missing_source():
    with pytest.raises(EvidenceError) as e:
        _count(observed_date="2026-12-31")
    assert e.value.column == "observed_date" and "future" in str(e.value)
    with pytest.raises(EvidenceError) as e:
        _count(source="  ")
    assert e.value.column == "source"


def test_count_defaults_to_its_quarter():
    assert _count()["period_start"] == "2026-07-01"


def test_append_and_duplicate_leaves_file_untouched(tmp_path):
    row = _count()
    stored = ev.append(row, tmp_path)
    path = ev.evidence_path(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(EvidenceError, match="duplicate"):
        ev.append(_count(), tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    log = ev.load_evidence(tmp_path)
    assert log["id"].tolist() == [stored["id"]] and int(log["k"].iloc[0]) == 12
    ev.append(_count(k=13), tmp_path)
    assert len(ev.load_evidence(tmp_path)) == 2


def test_killed_writer_cannot_corrupt_the_log(tmp_path):
    ev.append(_count(), tmp_path)
    path = ev.evidence_path(tmp_path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, time, datetime as dt
        from pathlib import Path
        from forecast.data import evidence as ev
        real = os.replace
        def slow(src, dst):
            Path(r"{tmp_path}/writing").write_text("1")
            time.sleep(60)  # killed here: temp file written, rename not done
            real(src, dst)
        os.replace = slow
        ev.append(ev.make_row("count", observed_date="2026-06-30", source="s", technology="moe", k=1, n=9,
                              today=dt.date(2026, 11, 26)), Path(r"{tmp_path}"))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while not (tmp_path / "writing").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "writing").exists(), "writer never reached the rename"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    assert len(ev.load_evidence(tmp_path)) == 1


def test_concurrent_appends_keep_every_row(tmp_path):
    script = textwrap.dedent(f"""
        import sys, datetime as dt
        from pathlib import Path
        from forecast.data import evidence as ev
        k = int(sys.argv[1])
        for i in range(5):
            ev.append(ev.make_row("count", observed_date="2026-06-30", source=f"s{{k}}-{{i}}", technology="moe", k=k, n=50,
                                  today=dt.date(2026, 11, 26)), Path(r"{tmp_path}"))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(k)]) for k in (1, 2)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    log = ev.load_evidence(tmp_path)
    assert len(log) == 10 and log["id"].is_unique


def test_apply_to_frames_merges_counts_and_releases():
    from forecast.data.tables import load_table
    rows = pd.DataFrame([_count(), ev.make_row("release", observed_date="2026-10-01", source="press release",
                                               model="Hypothetical-1", organization="Lab", training_compute=2e27, today=TODAY)])
    rows["id"] = ["ev-1", "ev-2"]
    log = ev.validate(ev._as_text(rows), ev.EVIDENCE)
    frames = {"adoption_observations": load_table("adoption_observations"), "models": load_table("models")}
    out = ev.apply_to_frames(frames, log)
    a = out["adoption_observations"]
    added = a[a["series"] == ev.DEFAULT_COUNT_SERIES]
    assert len(added) == 1 and added["kind"].iloc[0] == "count" and int(added["k"].iloc[0]) == 12
    m = out["models"]
    assert m.loc[m["model"] == "Hypothetical-1", "training_compute"].iloc[0] == 2e27
    assert len(m) == len(frames["models"]) + 1
    assert ev.affected_models(log) == ["adoption", "compute_trend"]


def test_scores_by_hand():
    assert brier(0.7, 1) == pytest.approx(0.09)
    assert brier(0.7, 0) == pytest.approx(0.49)
    assert log_score(0.7, 1) == pytest.approx(-np.log(0.7))
    assert log_score(0.7, 0) == pytest.approx(-np.log(0.3))
    assert np.isfinite(log_score(1.0, 0))  # clipped, not infinite


def test_count_series_joins_a_known_frame_and_old_logs_still_load(tmp_path):
    """A count names the list it was made on (that frame, no new offset) or joins one 'evidence' frame per
    technology; a log written before the column existed loads, and its rows keep their content hash."""
    from forecast.data.tables import load_table
    named = _count(series="hf_open_llm_architectures", observed_date="2026-06-30")
    plain = _count()
    assert named["series"] == "hf_open_llm_architectures" and plain["series"] is None
    old_style = {k: v for k, v in plain.items() if k != "series"}
    assert ev.content_hash(old_style) == plain["content_hash"]  # an empty series leaves the hash as before
    rows = pd.DataFrame([named, plain]).assign(id=["ev-1", "ev-2"])
    log = ev.validate(ev._as_text(rows), ev.EVIDENCE)
    a = ev.apply_to_frames({"adoption_observations": load_table("adoption_observations")}, log)["adoption_observations"]
    added = a[a["source"] == "HF hub scan"]
    assert sorted(added["series"]) == sorted(["hf_open_llm_architectures", ev.DEFAULT_COUNT_SERIES])
    # a log file without the series column
    p = tmp_path / "evidence" / "evidence.csv"
    p.parent.mkdir()
    ev._as_text(rows).drop(columns="series").to_csv(p, index=False)
    back = ev.load_evidence(tmp_path)
    assert list(back["id"]) == ["ev-1", "ev-2"] and back["series"].isna().all()
