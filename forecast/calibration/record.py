"""Write a backtest's or an SBC run's results into the calibration record (`<data>/calibration/`).

The record holds, per model, the latest results: a new backtest of models A and B replaces A's and B's rows and
keeps the others', and the pooled tables (skill, events, reliability) are recomputed from what the record then
holds. The folder is rewritten as a whole (a staged copy renamed into place), so a failure leaves the old record.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import shutil
from pathlib import Path

import pandas as pd

from forecast.calibration.backtest_tables import events_summary, reliability_tables, skill_table, summarize, with_climatology
from forecast.core.io import atomic_directory, atomic_write_bytes, atomic_write_csv, atomic_write_json
from forecast.pipeline import calibration_record as rec

# per-target rows can run to tens of thousands: compressed, and without timestamps so rebuilding gives the same bytes
LARGE = ("backtest_scores", "backtest_events", "sbc_ranks")


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    if name in LARGE:
        raw = frame.to_csv(index=False, lineterminator="\n").encode()
        atomic_write_bytes(folder / f"{name}.csv.gz", gzip.compress(raw, mtime=0))
    else:
        atomic_write_csv(folder / f"{name}.csv", frame)


def _merge(old: pd.DataFrame, new: pd.DataFrame, models) -> pd.DataFrame:
    keep = old[~old["model"].isin(list(models))] if len(old) and "model" in old else old.iloc[0:0]
    parts = [p for p in (keep, new) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@contextlib.contextmanager
def _staged(store: Path):
    """A copy of the current record to edit; renamed over it on success, discarded on failure. A workspace without a
    record of its own starts from the one shipped with the package, so the models it does not rerun keep theirs."""
    import fcntl
    store.parent.mkdir(parents=True, exist_ok=True)
    # one writer at a time: a backtest and an SBC run finishing together would each start from the old record
    # and the second rename would drop the first one's entries
    with open(store.parent / f".{store.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        src = store if store.is_dir() else rec.read_dir(store.parent)
        with atomic_directory(store) as tmp:
            if src is not None and src.is_dir():
                for f in src.iterdir():
                    if f.is_file():
                        shutil.copy2(f, tmp / f.name)
            yield tmp


def _entry(model: str, run: dict, **extra) -> dict:
    """The manifest entry of one model: the run, and the hashes of the files it ran on (taken when it started)."""
    return {"id": run["id"], "recorded": dt.date.today().isoformat(), "seed": run["seed"], "wall_s": run["wall_s"],
            "command": run["command"], **extra, "files": run["files"][model]}


def record_backtest(store: Path, scores: pd.DataFrame, events: pd.DataFrame, skipped: pd.DataFrame, run: dict,
                    figures: bool = True) -> None:
    """Replace the backtested models' rows in the record and recompute its tables (and the reliability figure)."""
    models = run["models"]
    with _staged(Path(store)) as tmp:
        all_scores = _merge(rec.read_table(tmp, "backtest_scores"), scores, models)
        all_events = _merge(rec.read_table(tmp, "backtest_events").drop(columns=["p_climatology"], errors="ignore"), events, models)
        all_skipped = _merge(rec.read_table(tmp, "backtest_skipped"), skipped, models)
        ev = with_climatology(all_events)
        rel = reliability_tables(ev)
        for name, frame in (("backtest_scores", all_scores), ("backtest_events", ev), ("backtest_skipped", all_skipped),
                            ("backtest_summary", summarize(all_scores)), ("backtest_skill", skill_table(all_scores, seed=run["seed"])),
                            ("backtest_event_scores", events_summary(ev)), ("backtest_reliability", rel)):
            _write(tmp, name, frame)
        man = rec.read_manifest(tmp)
        for m in models:
            man.setdefault("backtest", {})[m] = _entry(m, run, origins=run["origins"])
        atomic_write_json(tmp / rec.MANIFEST, man)
        if figures and len(rel):
            from forecast.report.figures.calibration import reliability_diagram
            from forecast.report.figures.common import save
            save(reliability_diagram(rel), tmp / "reliability", svg=False)


def record_sbc(store: Path, model: str, ranks: pd.DataFrame, summary: pd.DataFrame, run: dict, figures: bool = True) -> None:
    """Replace one model's SBC ranks and verdicts in the record (and its rank-histogram figure)."""
    with _staged(Path(store)) as tmp:
        _write(tmp, "sbc_ranks", _merge(rec.read_table(tmp, "sbc_ranks"), ranks.assign(model=model), [model]))
        _write(tmp, "sbc_summary", _merge(rec.read_table(tmp, "sbc_summary"), summary.assign(model=model), [model]))
        man = rec.read_manifest(tmp)
        man.setdefault("sbc", {})[model] = _entry(model, run, sims=run["sims"])
        atomic_write_json(tmp / rec.MANIFEST, man)
        if figures:
            from forecast.report.figures.calibration import rank_histograms
            from forecast.report.figures.common import save
            save(rank_histograms(ranks), tmp / f"sbc_{model}", svg=False)
