"""Run-level figures: the probabilistic Gantt chart of the milestones and their history across runs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import new_axes, wrap


def gantt(table: pd.DataFrame, ax=None):
    """Probabilistic Gantt: per forecast milestone the 80% interval of its date, the median, and the seed's date."""
    rows = table[(table["mode"] == "first_passage") & table["forecast"].astype(bool)].copy()
    rows = rows.sort_values(["target_date", "id"], ascending=False)  # earliest target at the top
    h = max(2.8, 0.42 * len(rows) + 1.6)
    fig, ax = new_axes(ax, (11.0, h))
    if rows.empty:
        ax.text(0.5, 0.5, "no dated milestones forecast in this run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig

    def when(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else pd.Timestamp(v)

    y = np.arange(len(rows))
    right_edge = max(pd.to_datetime(rows["target_date"]).max(), pd.to_datetime(rows["q90_date"]).max()
                     if rows["q90_date"].notna().any() else pd.Timestamp.min) + pd.DateOffset(months=6)
    for yi, (_, r) in zip(y, rows.iterrows()):
        r = {k: when(r[k]) if k.endswith("_date") else r[k] for k in r.index}
        lo, hi = r["q10_date"], r["q90_date"] or right_edge
        if lo is not None:
            ax.plot([lo, hi], [yi, yi], color="#4c72b0", lw=7, alpha=0.45, solid_capstyle="butt")
            if r["q90_date"] is None:
                ax.plot(hi, yi, marker=">", color="#4c72b0", alpha=0.8, ms=6)
        if r["median_date"] is not None:
            ax.plot(r["median_date"], yi, "o", color="#1f3a66", ms=5)
        ax.plot(r["target_date"], yi, marker="x", color="#c44e52", ms=8, mew=2)
        ax.annotate(f"P={r['p_by_target']:.2f}", (1.005, yi), xycoords=("axes fraction", "data"), va="center", fontsize=8)
    ax.set_yticks(y, [wrap(r["title"], 46) for _, r in rows.iterrows()], fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.plot([], [], color="#4c72b0", lw=7, alpha=0.45, label="80% interval of the first-passage date (▶ = beyond horizon)")
    ax.plot([], [], "o", color="#1f3a66", label="median date")
    ax.plot([], [], "x", color="#c44e52", mew=2, label="seed's date (target); P = probability by then")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(h, 1)), ncol=3)
    ax.set_title("When does each milestone first become true?", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return fig


def history(h: pd.DataFrame, top: int = 12, ax=None):
    """P(by target) per milestone across runs; the milestones that moved most are labelled."""
    fig, ax = new_axes(ax, (9.0, 4.5))
    h = h.copy()
    h["created"] = pd.to_datetime(h["created"], utc=True)
    runs = h.drop_duplicates("run_id").sort_values("created")["run_id"].tolist()
    x = {r: i for i, r in enumerate(runs)}
    moved = h.groupby("milestone")["p_by_target"].agg(lambda v: v.max() - v.min()).sort_values(ascending=False)
    for mid in moved.index[:top]:
        g = h[h["milestone"] == mid].sort_values("created")
        ax.plot([x[r] for r in g["run_id"]], g["p_by_target"], marker="o", ms=3, lw=1.2, label=f"{mid} (Δ {moved[mid]:.2f})")
    ax.set_xticks(range(len(runs)), [r.split("-")[0] for r in runs], rotation=30, ha="right", fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("P(by target date)")
    ax.set_title(f"How milestone probabilities moved across {len(runs)} runs (the {min(top, len(moved))} that moved most)")
    ax.legend(fontsize=7, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig
