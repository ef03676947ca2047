"""The claim check: one verdict per seed claim, in fixed words, ordered so the claims the data contradict most come first.

Verdict bands on P (the probability the claim holds by its date): ≥ LIKELY "likely", ≤ UNLIKELY "unlikely", else
"uncertain". A claim whose quantity rests on no data ('prior only') or whose posterior is within Monte Carlo error of its
prior-only probability (`data_moved` False) gets its own wording instead: its P is what the priors say, not a
data-driven forecast. Observed, resolved and unforecast claims say so. Used by the report (HTML, Markdown, JSON) and by
`forecast milestones`.
"""
from __future__ import annotations

import math

import pandas as pd

LIKELY, UNLIKELY = 0.8, 0.2

# verdict key → words; the order is the one `--sort verdict` and the verdict filter use
VERDICTS = {
    "unlikely": "unlikely", "uncertain": "uncertain", "likely": "likely",
    "not-moved": "not moved by the data", "prior-only": "no data — prior only",
    "observed-no": "observed: no", "observed-yes": "observed: yes",
    "resolved-no": "resolved: no", "resolved-yes": "resolved: yes", "not-forecast": "not forecast",
}
# claims without a pyramid technology: the pyramid layer their model speaks to ("other" when none)
MODEL_LAYER = {"market": "market", "hardware": "hardware", "densing": "capability"}
SORTS = ("verdict", "p", "date")


def blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x == "" or x is pd.NaT


def pct(p) -> str:
    if blank(p):
        return "—"
    if p < 0.01:
        return "<1%"
    if p > 0.99:
        return ">99%"
    return f"{100 * p:.0f}%"


def verdict_key(r) -> str:
    """The verdict of one milestone row (a mapping with the milestone table's columns)."""
    status = r.get("status")
    if status in ("observed", "resolved") and r.get("outcome") in ("yes", "no"):
        return f"{status}-{r['outcome']}"
    if not r.get("forecast") or blank(r.get("p_by_target")):
        return "not-forecast"
    if r.get("data_label") == "prior only":
        return "prior-only"
    if r.get("data_moved") is False:
        return "not-moved"
    p = float(r["p_by_target"])
    return "likely" if p >= LIKELY else "unlikely" if p <= UNLIKELY else "uncertain"


def verdict(r) -> str:
    return VERDICTS[verdict_key(r)]


def data_driven(key: str) -> bool:
    """Whether a verdict rests on data: a forecast the data moved, or an observed or resolved outcome."""
    return key in ("likely", "uncertain", "unlikely") or key.startswith(("observed", "resolved"))


def contradiction_order(r, key: str) -> tuple:
    """Sort key: claims the data speak to first, lowest P first (what the data contradict most), ties broken by how far
    the data moved P below the prior; then claims not moved by the data, prior-only claims, unforecast claims."""
    group = 0 if data_driven(key) else {"not-moved": 1, "prior-only": 2}.get(key, 3)
    p = 1.0 if blank(r.get("p_by_target")) else float(r["p_by_target"])
    shift = 0.0 if blank(r.get("p_prior")) or blank(r.get("p_by_target")) else p - float(r["p_prior"])
    return group, p, shift, str(r.get("id"))


def registry_of(run):
    """The technology registry of the run's pyramid models (None when the run has neither)."""
    for name in ("convergence", "adoption"):
        m = run.models.get(name)
        if m is not None and getattr(m, "registry", None) is not None:
            return m.registry
    return None


def layer_of(r, params: dict, registry) -> str:
    tech = params.get("tech")
    if tech and registry is not None and tech in registry:
        return registry[tech].layer
    return MODEL_LAYER.get(r.get("model"), "other")


def predicate_params(run) -> dict[str, dict]:
    """Milestone id → predicate parameters, from the milestone registry the run used (its inputs) or the workspace's."""
    from forecast.evaluation.milestones import load_milestones
    own = run.path / "inputs" / "milestones.yaml"
    try:
        ms = load_milestones(own if own.exists() else None)
    except Exception:  # noqa: BLE001 — an unreadable registry leaves only the layer filter without technologies
        return {}
    return {m.id: m.params for m in ms}


def data_ends(run) -> dict[str, pd.Timestamp]:
    out = {}
    for name, m in run.models.items():
        try:
            out[name] = pd.Timestamp(m.data_end)
        except (NotImplementedError, KeyError, AttributeError):
            continue
    return out


def grid_starts(run) -> dict[str, str]:
    """Each model's first forecast-grid date: a passage there means the claim already held when the grid begins."""
    out = {}
    for name, m in run.models.items():
        try:
            out[name] = (pd.Timestamp(m.forecast_start) + pd.offsets.MonthEnd(0)).date().isoformat()
        except (NotImplementedError, KeyError, AttributeError):
            continue
    return out


def run_date(run) -> pd.Timestamp:
    t = pd.Timestamp(run.manifest["created"])
    return (t.tz_convert(None) if t.tzinfo else t).normalize()


def claim_rows(run, table: pd.DataFrame | None = None) -> list[dict]:
    """One display row per milestone, in contradiction order (see `contradiction_order`)."""
    table = run.milestones if table is None else table
    params = predicate_params(run)
    reg = registry_of(run)
    ends = data_ends(run)
    starts = grid_starts(run)
    horizon = str(run.manifest["config"].get("horizon", ""))
    today = run_date(run)
    rows = []
    for rec in table.to_dict("records"):
        r = {k: (None if blank(v) else v) for k, v in rec.items()}
        key = verdict_key(r)
        target = pd.Timestamp(r["target_date"])
        end = ends.get(r["model"])
        p = params.get(r["id"], {})
        present = r["mode"] == "state" and end is not None and end < target <= today
        row = {
            "id": r["id"], "anchor": f"claim-{r['id']}", "title": r["title"], "claim": r.get("claim") or "",
            "source": r.get("source") or "", "model": r["model"], "kind": r.get("kind"), "mode": r["mode"],
            "layer": layer_of(r, p, reg), "tech": p.get("tech"), "params": p,
            "target_date": r["target_date"], "target_year": target.year, "past": target < today and r["mode"] != "static",
            "present": present, "static": r["mode"] == "static", "data_end": None if end is None else end.date().isoformat(),
            "p": r.get("p_by_target"), "p_text": pct(r.get("p_by_target")), "p_prior": r.get("p_prior"),
            "p_prior_text": pct(r.get("p_prior")), "mcse": r.get("mcse"), "data_moved": r.get("data_moved"),
            "data_label": r.get("data_label") or (key.split("-")[0] if key.startswith(("observed", "resolved")) else "—"),
            "verdict_key": key, "verdict": VERDICTS[key], "data_driven": data_driven(key),
            "median_date": r.get("median_date"), "q10_date": r.get("q10_date"), "q90_date": r.get("q90_date"),
            "p_horizon": r.get("p_by_horizon"), "prior_median_date": r.get("prior_median_date"), "horizon": horizon,
            "outcome": r.get("outcome"), "resolved_date": r.get("resolved_date"), "resolution_source": r.get("resolution_source"),
            "diagnostics": r.get("diagnostics"), "note": r.get("note") or "", "forecast": bool(r.get("forecast")),
            "status": r.get("status"), "grid_start": starts.get(r["model"]),
        }
        if key.startswith(("observed", "resolved")):
            row["p_text"] = "100%" if r.get("outcome") == "yes" else "0%"  # an outcome, not a rounded probability
        row["target_text"] = target_text(row)
        row["median_text"] = median_text(row)
        row["_order"] = contradiction_order(r, key)
        rows.append(row)
    rows.sort(key=lambda x: x["_order"])
    for i, row in enumerate(rows):
        row["rank"] = i
    return rows


def target_text(row: dict) -> str:
    """The claim's date in words: a rate has none; a present-tense state claim is as of the newest data."""
    if row["static"]:
        return "rate (no date)"
    if row["present"]:
        return f"present (data to {row['data_end']})"
    return row["target_date"] + (" (past)" if row["past"] else "")


def median_text(row: dict) -> str:
    """Median first-passage date, "after <horizon>" when fewer than half the draws pass by the horizon, "—" otherwise."""
    if row["mode"] != "first_passage" or row["verdict_key"].startswith("resolved") or row["verdict_key"] == "not-forecast":
        return "—"
    if row["verdict_key"].startswith("observed"):
        return row["median_date"] or "—"  # the date the data show it true
    if row["median_date"] and row["median_date"] == row["grid_start"]:
        return f"by {row['median_date']}"  # already true where the grid begins
    return row["median_date"] or f"after {row['horizon']}"


def _n(k: int, one: str, many: str) -> str:
    return f"{k} {one if k == 1 else many}"


def summary_sentences(rows: list[dict], top: int = 3) -> list[str]:
    """A few sentences generated from the verdicts (counts, the claims the data contradict and support most)."""
    n = {k: sum(r["verdict_key"] == k for r in rows) for k in VERDICTS}
    fc = sum(n[k] for k in ("likely", "uncertain", "unlikely", "not-moved", "prior-only"))
    seen = {k: n[f"observed-{k}"] + n[f"resolved-{k}"] for k in ("yes", "no")}
    out = [f"Of {len(rows)} seed claims, {fc} {'is' if fc == 1 else 'are'} forecast: {n['likely']} likely (P ≥ {LIKELY:.0%} "
           f"by the seed's date), {n['uncertain']} uncertain, {n['unlikely']} unlikely (P ≤ {UNLIKELY:.0%}), "
           f"{n['prior-only']} with no data (prior only) and {n['not-moved']} not moved by the data."]
    extra = []
    if seen["yes"] + seen["no"]:
        extra.append(f"{_n(seen['yes'] + seen['no'], 'is', 'are')} settled by observation or resolution "
                     f"({seen['yes']} true, {seen['no']} false)")
    if n["not-forecast"]:
        extra.append(f"{_n(n['not-forecast'], 'is', 'are')} not forecast (no model speaks to {'it' if n['not-forecast'] == 1 else 'them'})")
    if extra:
        out.append("; ".join(extra) + ".")
    forecast = [r for r in rows if r["verdict_key"] in ("likely", "uncertain", "unlikely")]
    low = [r for r in rows if r["data_driven"] and (r["p"] is not None and r["p"] <= 0.5)][:top]
    if low:
        out.append("The data contradict most: " + "; ".join(_cite(r) for r in low) + ".")
    high = [r for r in sorted(forecast, key=lambda r: (-r["p"], r["rank"])) if r["p"] >= LIKELY][:top]
    if high:
        out.append("The data support most: " + "; ".join(_cite(r) for r in high) + ".")
    return out


def _cite(r: dict) -> str:
    if r["verdict_key"].startswith(("observed", "resolved")):
        return f"“{r['title']}” ({r['verdict']})"
    prior = f"; prior only {r['p_prior_text']}" if r["p_prior"] is not None else ""
    return f"“{r['title']}” (P {r['p_text']}{prior})"


# ---------------------------------------------------------------- `forecast milestones`

def select(rows: list[dict], sort: str = "verdict", layer: str | None = None, model: str | None = None) -> list[dict]:
    """Rows filtered by layer and model, sorted by verdict (contradiction order), P (ascending) or target date."""
    out = [r for r in rows if (layer is None or r["layer"] == layer) and (model is None or r["model"] == model)]
    if sort == "p":
        return sorted(out, key=lambda r: (r["p"] is None, r["p"] if r["p"] is not None else 0.0, r["id"]))
    if sort == "date":
        return sorted(out, key=lambda r: (r["target_date"], r["id"]))
    if sort != "verdict":
        raise ValueError(f"unknown sort {sort!r}; valid: {', '.join(SORTS)}")
    return out


def format_claims(run, sort: str = "verdict", layer: str | None = None, model: str | None = None) -> str:
    """The claim check as fixed-width text (one line per claim)."""
    rows = select(claim_rows(run), sort, layer, model)
    cols = [("id", "milestone", 34), ("target_text", "target", 28), ("p_text", "P", 5), ("verdict", "verdict", 21),
            ("data_label", "data", 15), ("p_prior_text", "prior", 5), ("median_text", "median date", 16), ("layer", "layer", 12)]
    lines = ["  ".join(f"{h:<{w}}" for _, h, w in cols)]
    lines += ["  ".join(f"{str(r[c])[:w]:<{w}}" for c, _, w in cols) for r in rows]
    if not rows:
        lines.append("(no claim matches the filter)")
    horizon = run.manifest["config"].get("horizon")
    lines.append(f"\nP = probability by the seed's date; prior = the same predicate on prior draws alone; "
                 f"\"after {horizon}\" = fewer than half the draws pass by the horizon.")
    return "\n".join(lines)
