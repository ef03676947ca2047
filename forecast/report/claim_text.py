"""Words for one claim's detail block: its predicate in plain language, the data behind it, and what a reader needs to
read its numbers (a passed date, a present-tense claim, "after horizon", prior only, not moved by the data). Every
sentence is a template filled from the run; none is written about a particular result."""
from __future__ import annotations

import pandas as pd

from forecast.report.claims import blank, pct


def _share(v) -> str:
    return f"{100 * float(v):.0f}%"


def _sci(v) -> str:
    return f"{float(v):.0e}".replace("e+0", "e").replace("e+", "e")


def predicate_words(row: dict, levels=None, registry=None) -> str:
    """The claim's predicate (data/milestones.yaml) in plain words."""
    p, kind, when = row["params"], row["kind"], row["target_date"]
    tech = p.get("tech")
    name = registry[tech].name if tech and registry is not None and tech in registry else tech
    band = ""
    if "level" in p and levels is not None:
        j = levels.index(p["level"])
        band = f" (convergence degree C in ({levels.lower[j]:g}, {levels.upper[j]:g}])"
    words = {
        "compute_at_least": lambda: f"some training run uses at least {_sci(p.get('flop', 0))} FLOP by {when} "
                                    f"(the running maximum of frontier training compute)",
        "share_at_least": lambda: f"the share of new models using {name} reaches {_share(p['value'])} at some date up to {when}",
        "share_at_least_on": lambda: f"the share of new models using {name} is at least {_share(p['value'])} on {when}",
        "level_at_least": lambda: f"{name} reaches level {p['level']} or higher{band} at some date up to {when}",
        "level_is": lambda: f"{name} is at level {p['level']}{band} on {when}",
        "level_below": lambda: f"{name} is below level {p['level']}{band} on {when}",
        "providers_between": lambda: f"the number of foundation-model providers is between {p['lo']} and {p['hi']} on {when}",
        "doubling_time_at_most": lambda: f"the capability density of open models doubles every {p['months']:g} months or faster",
        "open_model_score": lambda: f"an open-weight model with at most {_sci(p['max_active_params'])} active parameters scores "
                                    f"at least {p['score']:g} on {p['benchmark']} at some date up to {when}",
        "growth_at_least": lambda: f"the hardware series '{p['series']}' grows by at least {_share(p['per_year'])} per year",
    }
    f = words.get(kind)
    return f() if f is not None and p else "no formal predicate: no model speaks to this claim"


def data_sources(row: dict, techs: dict, model=None, tech=None) -> list[str]:
    """Where the claim's numbers come from: the series fitted for its technology (`techs`: id → its record in
    report.json, `tech`: its registry entry) — adoption, standardization, controversy — or the model's tables."""
    out = []
    rec = techs.get(row.get("tech") or "")
    if rec is not None:
        for comp in ("adoption", "standardization", "controversy", "maturity"):
            if comp not in rec or (comp != "adoption" and row["model"] == "adoption"):
                continue
            series = rec[comp].get("series") or []
            out.append(f"{comp}: " + (", ".join(series) if series else "prior only (layer population)"))
        if tech is not None and tech.adoption_measure:
            out.append(f"adoption measured as: {' '.join(tech.adoption_measure.split()).rstrip('.')}")
        if tech is not None and row["model"] == "convergence" and tech.variant_measure:
            out.append(f"variants measured as: {' '.join(tech.variant_measure.split()).rstrip('.')}")
    elif model is not None:
        out.append(f"{model.title}: " + ", ".join(f"data/{t}.csv" for t in model.tables))
    if row.get("resolution_source"):
        out.append(f"{row['verdict']}: {row['resolution_source']}" + (f" ({row['resolved_date']})" if row.get("resolved_date") else ""))
    return out


def probability_line(row: dict) -> str:
    if row["verdict_key"] == "not-forecast":
        return ""
    if row["verdict_key"].startswith(("observed", "resolved")):
        return f"{row['verdict']} — P = {row['p_text']}"
    se = "" if blank(row["mcse"]) else f" (Monte Carlo standard error ±{100 * float(row['mcse']):.1f} pp)"
    prior = "not computed" if row["p_prior"] is None else row["p_prior_text"]
    return f"P prior only {prior} → P posterior {row['p_text']}{se}"


def notes(row: dict, at_target: dict | None = None) -> list[str]:
    """Sentences a reader needs beside this claim's numbers (templates filled from the row)."""
    out, key = [], row["verdict_key"]
    if key == "not-forecast":
        return [row["note"] or "not forecast"]
    if key == "prior-only":
        out.append("No data inform the quantity this claim reads: its P is what the priors say, not a forecast from data.")
    elif key == "not-moved":
        out.append(f"The data leave P within two Monte Carlo standard errors of the prior-only P ({row['p_prior_text']}): "
                   f"its P is what the priors say.")
    if row["present"]:
        months = (pd.Timestamp(row["target_date"]).to_period("M") - pd.Timestamp(row["data_end"]).to_period("M")).n
        out.append(f"A present-tense claim, evaluated on the seeds' date {row['target_date']}; the newest data end on "
                   f"{row['data_end']}, so P extrapolates {months} months beyond them.")
    elif row["past"] and not key.startswith(("observed", "resolved")):
        where = (f"the model's data run to {row['data_end']}" if row["data_end"] and row["data_end"] >= row["target_date"]
                 else f"after the newest data ({row['data_end']})")
        s = f"The claim's date {row['target_date']} has passed; {where}."
        if at_target:
            s += (f" What the fit says for that date: {at_target['label']} median {at_target['median']} "
                  f"(80% interval {at_target['q10']} – {at_target['q90']}).")
        out.append(s)
    if row["mode"] == "first_passage" and row["forecast"] and not key.startswith(("observed", "resolved")):
        if blank(row["median_date"]):
            out.append(f"Median date after {row['horizon']}: fewer than half of the draws make the claim true by the "
                       f"forecast horizon ({row['horizon']}); P by the horizon {pct(row['p_horizon'])}.")
        else:
            q90 = row["q90_date"] or f"after {row['horizon']}"
            start = (f" ({row['grid_start']} is where the forecast grid begins: a draw true there already held then)"
                     if row["grid_start"] in (row["median_date"], row["q10_date"]) else "")
            out.append(f"First true (median) {row['median_date']}, 80% interval {row['q10_date']} – {q90}{start}; "
                       f"P by the horizon ({row['horizon']}) {pct(row['p_horizon'])}.")
        if row["prior_median_date"] or row["p_prior"] is not None:
            out.append(f"Prior only, the median first date is {row['prior_median_date'] or 'after ' + row['horizon']}.")
    if row["diagnostics"] == "FAIL" and "DIAGNOSTICS FAILED" not in row["note"]:
        out.append("The model behind this claim failed the sampling diagnostics: treat its numbers with caution.")
    if row["note"] and not row["note"].startswith(("already true", "dated inside", "resolved;")):
        out.append(row["note"][0].upper() + row["note"][1:] + ("" if row["note"].endswith(".") else "."))
    return out


def enrich(run, rows: list[dict], figures: dict, techs: list[dict]) -> list[dict]:
    """The claim rows with their detail block's words and figure (`figures`: id → {png, alt, at_target})."""
    from forecast.report.claims import registry_of
    reg = registry_of(run)
    cv = run.models.get("convergence")
    levels = getattr(cv, "levels", None)
    by_tech = {t["id"]: t for t in techs}
    for r in rows:
        model = run.models.get(r["model"])
        fig = figures.get(r["id"])
        r["model_title"] = model.title if model is not None else ("no model" if r["model"] == "none" else r["model"])
        r["predicate"] = predicate_words(r, levels, reg)
        r["prob_line"] = probability_line(r)
        r["figure"] = fig
        r["notes"] = notes(r, (fig or {}).get("at_target"))
        tech = reg[r["tech"]] if reg is not None and r["tech"] in (reg or {}) else None
        r["sources"] = data_sources(r, by_tech, model, tech)
    return rows
