"""Per-claim figures and the pyramid picture, drawn once per posterior and figure code (figures/claims.json).

A re-render with unchanged posteriors and figure code reads them from the cache; a template edit does not redraw
them (their key hashes only the figure modules, not the whole package)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.core.io import atomic_write_json, copy_relative

CACHE = "figures/claims.json"
FIGURE_MODULES = ("claim.py", "pyramid.py", "common.py", "convergence.py")
DPI = 90  # one figure per claim: small PNGs keep the self-contained page light


def _code_key() -> str:
    here = Path(__file__).parent / "figures"
    h = hashlib.sha256(Path(__file__).read_bytes())
    for name in FIGURE_MODULES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def _key(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _fmt(label: str, v: float) -> str:
    if not np.isfinite(v):
        return "—"
    return f"{100 * v:.0f}%" if label.startswith("share") else f"{v:.3g}"


def at_target(q: dict, dates: pd.DatetimeIndex, target) -> dict | None:
    """The quantity's median and 80% interval on the claim's date (None if the date is off the grid)."""
    j = int(np.searchsorted(dates, pd.Timestamp(target), side="right")) - 1
    if j < 0:
        return None
    with np.errstate(all="ignore"):
        q10, med, q90 = np.nanquantile(q["draws"][:, j], [0.1, 0.5, 0.9])
    return {"label": q["label"], "median": _fmt(q["label"], med), "q10": _fmt(q["label"], q10), "q90": _fmt(q["label"], q90)}


def draw_claim(run, row: dict, figdir: Path) -> dict:
    """One claim's figure (written to figdir/claim-<id>.png) and its quantity on the claim's date."""
    from forecast.report.figures import claim as cf
    from forecast.report.figures.common import save
    model = run.models[row["model"]]
    horizon, seed = run.manifest["config"]["horizon"], run.manifest["config"]["seed"]
    out = {"png": None, "at_target": None}
    if row["mode"] == "static":
        r = cf.rate(model, row["kind"], row["params"])
        if r is None:
            return out
        fig = cf.claim_figure(row, horizon, model.data_end, r=r)
        alt = f"Posterior of the {r['label']} with the claimed value {r['value']:g} ({r['side']}) marked."
    else:
        rng = np.random.default_rng([int(seed), *row["id"].encode()])
        dates = cf.grid(model, row["target_date"], horizon, row["mode"])
        q = cf.quantity(model, row["kind"], row["params"], dates, rng)
        if q is None:
            return out
        hit = model.paths(row["kind"], row["params"], dates, rng)
        fig = cf.claim_figure(row, horizon, model.data_end, q=q, dates=dates, hit=hit)
        out["at_target"] = at_target(q, q.get("dates", dates), row["target_date"])
        right = ("share of draws first true in each year and after the horizon" if row["mode"] == "first_passage"
                 else "probability the claim holds on each date")
        alt = (f"Left: {q['label']}, median and 80% interval over time, with the band where the claim holds, the claim's "
               f"date {row['target_date']}, the data end and the observed points. Right: {right}.")
    out["png"] = "figures/" + save(fig, figdir / ("claim-" + row["id"].replace(".", "_")), dpi=DPI, palette=True)[0]
    out["alt"] = alt
    return out


def pyramid_dates(run, rows: list[dict]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """'Now' is the date the seeds' level claims describe; 'later' the last date of their first-passage level claims."""
    cv = run.models["convergence"]
    now = pd.Timestamp(cv.inputs["snapshot"])
    later = [pd.Timestamp(r["target_date"]) for r in rows if r["model"] == "convergence" and r["mode"] == "first_passage"]
    return now, max(later) if later else now + pd.DateOffset(years=1)


def draw_pyramid(run, rows: list[dict], figdir: Path) -> dict:
    from forecast.report.figures.common import save
    from forecast.report.figures.pyramid import level_table, pyramid, pyramid_records
    now, later = pyramid_dates(run, rows)
    recs = pyramid_records(run.models["convergence"], now, later)
    fig = pyramid(recs, f"on {now.date()}", f"on {later.date()}")
    png = "figures/" + save(fig, figdir / "pyramid", dpi=100, palette=True)[0]
    return {"png": png, "now": now.date().isoformat(), "later": later.date().isoformat(), "table": level_table(recs),
            "alt": f"The technologies of the convergence pyramid by layer; each box coloured by its most probable level on "
                   f"{now.date()} (left half) and on {later.date()} (right half), with the probability of that level, the "
                   f"seed's level and the data label (table below)."}


def _inherit(sources: list[Path]) -> tuple[dict, dict]:
    """Another run's claim figures whose PNG exists, keyed by (claim, key), and pyramids keyed by key, each with the
    run folder it is in (the first source wins): an update's parent reuses most posteriors, a repeated run all."""
    claims, pyramids = {}, {}
    for src in reversed(sources):
        p = src / CACHE
        if not p.exists():
            continue
        cache = json.loads(p.read_text())
        claims.update({(cid, hit.get("key")): (src, hit) for cid, hit in cache.get("claims", {}).items()
                       if not hit.get("png") or (src / hit["png"]).exists()})
        if (pyr := cache.get("pyramid")) and (src / pyr["png"]).exists():
            pyramids[pyr.get("key")] = (src, pyr)
    return claims, pyramids


@dataclasses.dataclass
class ClaimPlan:
    """What a render still has to draw for the claims: `todo` ((row, key) pairs), and the pyramid when `pyramid_key`
    is set; `claims` and `pyramid` hold what the cache already had."""
    path: Path
    claims: dict
    todo: list
    pyramid: dict | None
    pyramid_key: str | None
    fresh_pyramid: bool


def plan_claims(run, rows: list[dict], out: Path, posteriors: dict[str, str], sources: list[Path] = ()) -> ClaimPlan:
    """Which claim figures (and whether the pyramid) must be drawn: the others come from this run's cache or from
    another run's figures (`sources`: an update's parent, the previous run) of the same posterior and code (copied)."""
    out = Path(out)
    path = out / CACHE
    old = json.loads(path.read_text()) if path.exists() else {}
    inherited, pyramids = _inherit(list(sources))
    code = _code_key()
    horizon, seed = run.manifest["config"]["horizon"], run.manifest["config"]["seed"]
    claims, todo = {}, []
    for row in rows:
        if not row["forecast"] or row["model"] not in run.models:
            continue
        key = _key(code, row["id"], posteriors[row["model"]], json.dumps(row["params"], sort_keys=True),
                   row["target_date"], row["mode"], row["kind"], horizon, seed)
        hit = old.get("claims", {}).get(row["id"])
        if not (hit and hit.get("key") == key and (not hit.get("png") or (out / hit["png"]).exists())):
            src, hit = inherited.get((row["id"], key), (None, None))
            if hit is not None and hit.get("png"):  # drawn by another run from the same posterior and code
                copy_relative(src, out, hit["png"])
        if hit is not None:
            claims[row["id"]] = hit
        else:
            todo.append((row, key))
    pyr, pyr_key = old.get("pyramid"), None
    if "convergence" in run.models:
        pyr_key = _key(code, posteriors["convergence"], *pyramid_dates(run, rows))
    cached = bool(pyr and pyr.get("key") == pyr_key and (out / pyr["png"]).exists())
    if pyr_key is not None and not cached and pyr_key in pyramids:
        src, pyr = pyramids[pyr_key]
        copy_relative(src, out, pyr["png"])
        cached = True
    fresh_pyramid = pyr_key is not None and not cached
    return ClaimPlan(path, claims, todo, pyr, pyr_key, fresh_pyramid)


def finish_claims(plan: ClaimPlan, drawn: list[dict], pyramid: dict | None) -> tuple[dict, dict | None]:
    """Merge the drawn figures (in `plan.todo` order) and the drawn pyramid into the cache; (claims, pyramid)."""
    claims = dict(plan.claims)
    for (row, key), fig in zip(plan.todo, drawn):
        claims[row["id"]] = dict(fig, key=key)
    pyr = plan.pyramid
    if plan.fresh_pyramid:
        pyr = dict(pyramid, key=plan.pyramid_key)
    elif plan.pyramid_key is None:
        pyr = None
    atomic_write_json(plan.path, {"claims": claims, "pyramid": pyr})
    return claims, pyr
