"""Each milestone's probability and median date across runs (reports/history.csv), and the diff between two runs."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.core.io import atomic_write_csv


HISTORY_COLUMNS = ["run_id", "created", "milestone", "p_by_target", "median_date", "n_evidence", "last_evidence"]


def history_rows(manifest: dict, table: pd.DataFrame) -> pd.DataFrame:
    """One history row per milestone with a probability in this run (forecast, observed or resolved)."""
    rows = table[table["p_by_target"].notna()]
    return pd.DataFrame({"run_id": manifest["run_id"], "created": manifest["created"], "milestone": rows["id"],
                         "p_by_target": rows["p_by_target"], "median_date": rows["median_date"],
                         "n_evidence": len(manifest["evidence_ids"]),
                         "last_evidence": manifest["evidence_ids"][-1] if manifest["evidence_ids"] else ""})[HISTORY_COLUMNS]


def append_history(out_dir: Path, manifest: dict, table: pd.DataFrame) -> None:
    """Append each milestone's P and median date to reports/history.csv."""
    path = Path(out_dir) / "history.csv"
    old = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame(columns=HISTORY_COLUMNS)
    atomic_write_csv(path, pd.concat([old, history_rows(manifest, table).astype(str)], ignore_index=True)[HISTORY_COLUMNS])


def load_history(out_dir: Path | None = None) -> pd.DataFrame:
    path = Path(out_dir or config.reports_dir()) / "history.csv"
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    h = pd.read_csv(path)
    return h


DIFF_COLUMNS = ["id", "title", "mode", "status_before", "status_after", "p_by_target_before", "p_by_target_after", "delta",
                "mcse_before", "mcse_after", "delta_se", "within_mc_error", "median_date_before", "median_date_after"]


def milestone_diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per milestone: P before, P after, Δ with its Monte Carlo standard error (the two runs' `mcse` combined), whether
    Δ is within two such errors (`within_mc_error`: no change a reader can tell from Monte Carlo noise), and the median
    date before → after; sorted by |Δ|. When only one run has an error estimate (a run made before the `mcse` column),
    the other is taken to be as precise (same sampler settings), so the combined error is √2 times the known one."""
    cols = ["p_by_target", "median_date", "mcse", "status"]
    b = before.reindex(columns=["id", *cols]).set_index("id")
    a = after.reindex(columns=["id", "title", "mode", *cols]).set_index("id")
    d = a.join(b, lsuffix="_after", rsuffix="_before", how="left")
    d = d[d["p_by_target_after"].notna() | d["p_by_target_before"].notna()].copy()
    d["delta"] = d["p_by_target_after"].astype(float) - d["p_by_target_before"].astype(float)
    sb, sa = d["mcse_before"].astype(float), d["mcse_after"].astype(float)
    se = (sb.fillna(sa) ** 2 + sa.fillna(sb) ** 2) ** 0.5
    d["delta_se"] = se
    d["within_mc_error"] = (d["delta"].abs() <= 2.0 * se).where(d["delta"].notna() & se.notna())
    d = d.reindex(d["delta"].abs().sort_values(ascending=False, na_position="last").index)
    return d.reset_index()[DIFF_COLUMNS]
