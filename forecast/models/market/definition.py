"""The formal definition of a foundation-model provider, as arrays the count model reads.

A model *qualifies* when its Epoch domain list holds one of `domains`, it has a training compute, and that compute
is within `oom` orders of magnitude of a reference published up to its release date: the running maximum
(`reference: max`), or the `reference_rank`-th largest of the organizations' best models (`reference: org_rank`,
robust to one organization's outsized runs); `rule: absolute` replaces the reference by `absolute_flop`. An
organization is a *provider* at a quarter end when it has a qualifying model published in the `window_months`
(12) up to it, i.e. in that quarter or one of the three before it.

The count model reads the same definition as a per-organization panel: which organizations released a qualifying
model in each calendar quarter, and from it each organization's state at a quarter end (quarters since its last
qualifying release, or inactive). Entries (inactive → releasing) and re-releases by state are counted per quarter;
the provider count is the number of organizations not inactive.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd


def normalize_org(name: str, aliases) -> str:
    """One organization name → canonical provider name (first matching alias pattern, case-insensitive)."""
    n = " ".join(str(name).split())
    for pattern, canon in aliases:
        if re.search(pattern, n, flags=re.IGNORECASE):
            return canon
    return n


def orgs_of(field, aliases) -> set[str]:
    """Epoch's comma-separated organization field → canonical provider names."""
    if not isinstance(field, str) or not field.strip():
        return set()
    return {normalize_org(x, aliases) for x in field.split(",") if x.strip()}


def aliases_of(settings) -> list[tuple[str, str]]:
    return [tuple(a) for a in settings.get("org_aliases", [])]


def ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def window_quarters(settings) -> int:
    months = int(settings.get("window_months", 12))
    if months % 3:
        raise ValueError(f"window_months must be a whole number of quarters, got {months}")
    return months // 3


def _reference(f: pd.DataFrame, settings) -> pd.Series:
    """log10 reference compute at each model's release date (same-day releases compete)."""
    if settings.get("reference", "max") == "max":
        daily = f.groupby("publication_date")["log10_compute"].max().cummax()
        return f["publication_date"].map(daily)
    k = int(settings.get("reference_rank", 3))
    aliases = aliases_of(settings)
    best: dict[str, float] = {}
    ref = {}
    for date, g in f.groupby("publication_date", sort=True):
        for orgs, c in zip(g["organization"], g["log10_compute"]):
            for o in orgs_of(orgs, aliases) or {f"(unnamed {c})"}:
                best[o] = max(best.get(o, -np.inf), c)
        top = np.sort(np.fromiter(best.values(), float))[::-1]
        ref[date] = top[min(k, top.size) - 1]
    return f["publication_date"].map(ref)


def eligible_models(frame: pd.DataFrame, settings) -> pd.DataFrame:
    """Models with compute in the foundation-model domains: log10 compute, the reference at release, qualifies."""
    doms = {d.lower() for d in settings["domains"]}
    f = frame.dropna(subset=["training_compute"])
    keep = f["domain"].fillna("").map(lambda d: bool(doms & {x.strip().lower() for x in d.split(",")}))
    f = f[keep].sort_values(["publication_date", "model"], kind="mergesort").copy()
    f["log10_compute"] = np.log10(f["training_compute"].astype(float))
    f["reference_log10"] = _reference(f, settings) if len(f) else pd.Series(dtype=float)
    tol = 1e-9
    if settings.get("rule", "relative") == "absolute":
        f["qualifies"] = f["log10_compute"] >= np.log10(float(settings["absolute_flop"])) - tol
    else:
        f["qualifies"] = f["log10_compute"] >= f["reference_log10"] - float(settings.get("oom", 1.0)) - tol
    return f.reset_index(drop=True)


def quarter_index(dates, first: pd.Period) -> np.ndarray:
    """Quarter number of each date counted from `first` (0 = first)."""
    p = pd.PeriodIndex(pd.DatetimeIndex(dates), freq="Q")
    return np.asarray((p - first).map(lambda x: x.n), dtype=int) if len(p) else np.zeros(0, int)


def release_panel(eligible: pd.DataFrame, quarters: pd.PeriodIndex, settings) -> tuple[list[str], np.ndarray]:
    """Organizations (sorted) × quarters: True where the organization released a qualifying model that quarter."""
    aliases = aliases_of(settings)
    q = eligible[eligible["qualifies"] & (eligible["publication_date"] >= quarters[0].start_time)
                 & (eligible["publication_date"] <= quarters[-1].end_time)]
    cells: dict[str, set[int]] = {}
    for org_field, j in zip(q["organization"], quarter_index(q["publication_date"], quarters[0])):
        for o in orgs_of(org_field, aliases):
            cells.setdefault(o, set()).add(int(j))
    orgs = sorted(cells)
    panel = np.zeros((len(orgs), len(quarters)), bool)
    for i, o in enumerate(orgs):
        panel[i, sorted(cells[o])] = True
    return orgs, panel


def states(panel: np.ndarray, window: int) -> np.ndarray:
    """State at each quarter end: quarters since the last qualifying release (0..window-1) or `window` (inactive).
    Quarters before the panel are taken as without release."""
    n, t = panel.shape
    out = np.full((n, t), window, dtype=int)
    last = np.full(n, -10**6)
    for j in range(t):
        last = np.where(panel[:, j], j, last)
        out[:, j] = np.minimum(j - last, window)
    return out


def transitions(panel: np.ndarray, window: int, first: int) -> dict[str, np.ndarray]:
    """Per quarter from column `first` on: entries (inactive at the previous quarter end, releasing now), organizations
    in each active state at the previous quarter end (`at_risk`, quarters × window) and how many of them released
    (`released`), and the provider count at the quarter end."""
    s = states(panel, window)
    prev, now, rel = s[:, first - 1:-1], s[:, first:], panel[:, first:]
    at_risk = np.stack([(prev == k).sum(axis=0) for k in range(window)], axis=1)
    released = np.stack([((prev == k) & rel).sum(axis=0) for k in range(window)], axis=1)
    return {"entries": ((prev == window) & rel).sum(axis=0), "at_risk": at_risk, "released": released,
            "count": (now < window).sum(axis=0), "state_end": s[:, -1]}


def provider_counts(frame: pd.DataFrame, quarter_ends, settings) -> pd.DataFrame:
    """Providers at each quarter end under the definition: quarter_end, count, providers, reference, n_models."""
    f = eligible_models(frame, settings)
    aliases = aliases_of(settings)
    months = int(settings.get("window_months", 12))
    rows = []
    for q in pd.DatetimeIndex(quarter_ends):
        upto = f[f["publication_date"] <= q]
        sel = upto[upto["qualifies"] & (upto["publication_date"] > q - pd.DateOffset(months=months))]
        provs = set().union(*[orgs_of(o, aliases) for o in sel["organization"]]) if len(sel) else set()
        rows.append({"quarter_end": q, "count": len(provs), "providers": "; ".join(sorted(provs)),
                     "reference_log10": float(upto["reference_log10"].iloc[-1]) if len(upto) else np.nan,
                     "n_models": len(sel)})
    return pd.DataFrame(rows)


def language_orgs_per_year(frame: pd.DataFrame, aliases) -> pd.Series:
    """Distinct (normalized) organizations with at least one Language-domain model published in each year."""
    f = frame[frame["domain"].fillna("").map(lambda d: "language" in {x.strip().lower() for x in d.split(",")})]
    out = {}
    for y, g in f.groupby(f["publication_date"].dt.year):
        out[int(y)] = len(set().union(*[orgs_of(o, aliases) for o in g["organization"]]))
    return pd.Series(out, name="language_orgs", dtype=int)
