"""The milestone diff of an update (`forecast.pipeline.history.milestone_diff`) in words: medians as dates or "after
horizon", each change with its Monte Carlo standard error, and changes within two such errors marked "no change"."""
from __future__ import annotations

import pandas as pd

from forecast.report.claims import blank, pct


def _flag(v):
    if isinstance(v, str):
        return {"true": True, "false": False}.get(v.strip().lower())
    return None if blank(v) else bool(v)


def median_text(r, side: str) -> str:
    """A median first-passage date, "after horizon" for a forecast whose draws mostly never pass, "—" when the claim
    has no passage date (a state, a rate, resolved or not forecast)."""
    d = r.get(f"median_date_{side}")
    if not blank(d):
        return str(d)
    status = r.get(f"status_{side}")
    if r.get("mode") == "first_passage" and not blank(r.get(f"p_by_target_{side}")) and status == "open":
        return "after horizon"
    return "—"


def diff_rows(diff: pd.DataFrame) -> list[dict]:
    """Display rows of a milestone diff (as saved in diff.csv or returned by `milestone_diff`)."""
    out = []
    for r in diff.to_dict("records"):
        d, se = r.get("delta"), r.get("delta_se")
        within = _flag(r.get("within_mc_error"))
        out.append({
            "id": r["id"], "title": r.get("title", ""),
            "before": pct(r.get("p_by_target_before")), "after": pct(r.get("p_by_target_after")),
            "delta": "—" if blank(d) else f"{100 * d:+.1f} pp",
            "se": "—" if blank(se) else f"±{100 * se:.1f} pp",
            "change": "—" if within is None else "no change" if within else "changed",
            "median_before": median_text(r, "before"), "median_after": median_text(r, "after"),
        })
    return out


def format_diff(diff: pd.DataFrame, horizon=None) -> str:
    """The diff as fixed-width text for `forecast update`."""
    head = f"{'milestone':34}  {'P before':>8}  {'P after':>8}  {'Δ':>9}  {'MC s.e.':>9}  {'':9}  median before → after"
    lines = [head]
    for r in diff_rows(diff):
        lines.append(f"{r['id'][:34]:34}  {r['before']:>8}  {r['after']:>8}  {r['delta']:>9}  {r['se']:>9}  "
                     f"{r['change']:9}  {r['median_before']} → {r['median_after']}")
    h = f" ({horizon})" if horizon else ""
    lines.append(f"\nMC s.e. = Monte Carlo standard error of Δ (both runs' errors combined); \"no change\" = |Δ| within two "
                 f"standard errors. \"after horizon\"{h} = fewer than half the draws pass by the forecast horizon.")
    return "\n".join(lines)
