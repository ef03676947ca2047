"""Render a run into report.md, report.html (self-contained) and report.json, plus figures/."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import jinja2
import pandas as pd

from forecast.core.config import code_fingerprint
from forecast.core.io import atomic_write_json, atomic_write_text, copy_relative
from forecast.report.calibration_view import calibration_context, calibration_json
from forecast.report.claim_text import enrich
from forecast.report.claims import LIKELY, UNLIKELY, VERDICTS, blank, claim_rows, pct, summary_sentences
from forecast.report.detail import draw_claim, draw_pyramid, finish_claims, plan_claims
from forecast.report.diff import diff_rows
from forecast.report.forked import forked_map
from forecast.report.method import method

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("forecast.report", "templates"), autoescape=jinja2.select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)




def _date(d) -> str:
    return "after horizon" if blank(d) else str(d)


def milestone_rows(table: pd.DataFrame) -> list[dict]:
    """Display rows for the milestone table (forecast first, by target date)."""
    rows = []
    t = table.copy()
    t["_order"] = t["forecast"].map({True: 0}).fillna(1)
    for _, r in t.sort_values(["_order", "target_date", "id"]).iterrows():
        r = {k: (None if blank(v) else v) for k, v in r.items()}
        if r["forecast"]:
            if r["mode"] == "first_passage":
                when, interval = _date(r["median_date"]), f"{_date(r['q10_date'])} – {_date(r['q90_date'])}"
                p_h = pct(r["p_by_horizon"])
            else:
                when, interval, p_h = "—", "—", "—"
            p = pct(r["p_by_target"])
        else:
            when = interval = p_h = "—"
            p = {"observed": f"observed: {r['outcome']}", "resolved": f"resolved: {r['outcome']}"}.get(r["status"], "not forecast")
        rows.append({"id": r["id"], "title": r["title"], "model": r["model"], "target": r["target_date"], "p": p,
                     "median": when, "interval": interval, "p_horizon": p_h, "diag": r["diagnostics"] or "—",
                     "note": (r["note"] or "") + (f" — {r['resolution_source']} ({r['resolved_date']})" if r["resolution_source"] else ""),
                     "forecast": bool(r["forecast"]), "failed": r["diagnostics"] == "FAIL"})
    return rows


SECTIONS_CACHE = "figures/sections.json"


def _read_cache(run_dir: Path) -> dict:
    p = Path(run_dir) / SECTIONS_CACHE
    return json.loads(p.read_text()) if p.exists() else {}


def _section_key(code: str, name: str, posteriors: str, setting: str = "") -> str:
    return hashlib.sha256(f"{code}|{name}|{posteriors}|{setting}".encode()).hexdigest()


def _setting(run) -> str:
    """What a model's figures depend on besides its posterior and the code: the run's horizon and seed."""
    return f"{run.manifest['config']['horizon']}|{run.manifest['config']['seed']}"


def _source_runs(run) -> list[str]:
    """Other runs in the reports folder whose drawings this run may reuse: an update's parent, and the run that was
    latest when this one started (a repeated run with unchanged posteriors redraws nothing)."""
    return [r for r in dict.fromkeys([run.manifest.get("parent_run"), run.manifest.get("previous_run")]) if r]


def _fitted_in(run, name: str) -> str:
    """The run whose saved posterior of `name` this run uses (itself unless an update reused it)."""
    return run.manifest.get("timings", {}).get(name, {}).get("reused_from", run.manifest["run_id"])


def _section_posteriors(run, name: str) -> list[str]:
    """What a model's section is drawn from: its own posterior and, recursively, those of the models it reads
    ("model@digest", by the posterior's content; "model@run" for a run that recorded no digest), so a kept posterior
    whose upstream changed is redrawn."""
    digest = run.manifest.get("posterior_digests", {}).get(name)
    own = f"{name}@{digest[:20]}" if digest else f"{name}@{_fitted_in(run, name)}"
    return [own] + [p for u in run.models[name].requires if u in run.models for p in _section_posteriors(run, u)]


def _plan_sections(run, out: Path, figdir: Path, svg: bool) -> tuple[object, list, list[tuple[int, str, str]]]:
    """The Gantt figure's drawing function, one section per model (None where it must be drawn) and what to draw
    ((index, model, key)): a section is drawn once per posterior and code version.

    Figures and summaries are functions of a model's posterior and the code alone, so a re-render reads them
    from `figures/sections.json` instead of redrawing ≈ 20 matplotlib figures, and a run made by `forecast update`
    copies the sections of the posteriors it reused from the run that fitted them."""
    code = code_fingerprint()
    own = _read_cache(out)
    fresh = {}
    sources = _source_runs(run)
    gantt_key = _section_key(code, "gantt", hashlib.sha256(run.milestones.to_json().encode()).hexdigest())

    def gantt():
        if not svg:
            for run_dir in (out, *(out.parent / r for r in sources)):
                hit = (own if run_dir == out else fresh.setdefault(run_dir.name, _read_cache(run_dir))).get("gantt", {})
                if hit.get("key") == gantt_key and (run_dir / hit["png"]).exists():
                    if run_dir != out:
                        copy_relative(run_dir, out, hit["png"])
                    return hit
        from forecast.report.figures.common import save  # matplotlib only when something is drawn
        from forecast.report.figures.overview import gantt
        stored = save(gantt(run.milestones), figdir / "gantt", svg=svg)
        return {"key": gantt_key, "png": f"figures/{stored[0]}",
                "alt": "Probabilistic Gantt chart: for each forecast milestone, the 80% interval of the date it first becomes true, its median, and the seed's date."}

    sections, todo = [], []
    for name in run.models:
        fitted_in = _fitted_in(run, name)
        key = _section_key(code, name, ",".join(_section_posteriors(run, name)), _setting(run))
        sections.append(None if svg else _cached_section(key, name, out, [fitted_in, *sources], own, fresh))
        if sections[-1] is None:
            todo.append((len(sections) - 1, name, key))
    return gantt, sections, todo


def _draw_section(run, name: str, key: str, figdir: Path, svg: bool) -> dict:
    """One model's report section: its summary rows and figures (written to `figdir`)."""
    from forecast.report.figures import model_figures  # matplotlib only when something is drawn
    from forecast.report.figures.common import save
    model = run.models[name]
    model_figs = []
    for fname, f in model_figures(model).items():
        files = save(f, figdir / fname, svg=svg)
        model_figs.append({"name": fname, "png": f"figures/{files[0]}", "alt": f"{model.title}: {fname.replace('_', ' ')}"})
    summary = [dict(r, values=list(r["values"])) for r in model.summary()]
    return {"key": key, "name": name, "title": model.title, "summary": summary, "figures": model_figs,
            "doc": (type(model).__doc__ or "").strip().split("\n\n")[0]}


def _draw_jobs(run, jobs: list[tuple], figdir: Path, svg: bool, timeout: float = 600.0,
               meanwhile=None) -> tuple[list[dict], object]:
    """Draw model sections (("section", model, key)) and claim figures (("claim", row)), in two forked workers when
    there are several, running `meanwhile()` here while they draw (see `forked.forked_map`). Returns (what each job
    drew, in order; what `meanwhile` returned)."""
    def draw(job):
        return _draw_section(run, job[1], job[2], figdir, svg) if job[0] == "section" else draw_claim(run, job[1], figdir)
    return forked_map(draw, jobs, timeout=timeout, meanwhile=meanwhile)


def _cached_section(key: str, name: str, out: Path, runs: list, own: dict, fresh: dict) -> dict | None:
    """A model's section from this run's cache, or copied (with its figures) from another run's: the run that
    fitted the posterior, the parent of an update (which drew it with the current code if the code changed), or the
    previous run (same posterior content, code and setting)."""
    for run_dir, cache in ((out, own), *((out.parent / r, None) for r in dict.fromkeys(runs) if r)):
        cache = cache if cache is not None else fresh.setdefault(run_dir.name, _read_cache(run_dir))
        for sec in cache.get("sections", []):
            if sec.get("key") != key or not all((run_dir / f["png"]).exists() for f in sec["figures"]):
                continue
            for f in sec["figures"] if run_dir != out else []:
                copy_relative(run_dir, out, f["png"])
            return sec
    return None


def render_all(run, out: Path, *, svg: bool = False) -> dict:
    """Write figures and all report formats into `out`; return the context used.

    `svg=True` also writes each figure as SVG (for print); the report embeds the PNGs. Model sections and claim
    figures not in the cache are drawn as one job list by two forked workers (`forked.forked_map`), the long
    sections first, while this process draws the Gantt chart, the pyramid and the calibration figure."""
    out = Path(out)
    figdir = out / "figures"
    gantt_fn, sections, todo = _plan_sections(run, out, figdir, svg)
    claims = claim_rows(run)
    plan = plan_claims(run, claims, out, {n: ",".join(_section_posteriors(run, n)) for n in run.models},
                       [out.parent / r for r in _source_runs(run)])
    jobs = [("section", n, k) for _, n, k in todo] + [("claim", row) for row, _ in plan.todo]
    if len(jobs) >= 2:
        for name in {*(n for _, n, _ in todo), *(row["model"] for row, _ in plan.todo)}:
            run.models[name].idata  # read each posterior once, before the fork, not in each worker

    def meanwhile():
        return (gantt_fn(), draw_pyramid(run, claims, figdir) if plan.fresh_pyramid else None,
                calibration_context(figdir, sources=[out.parent / r / "figures" for r in _source_runs(run)]),
                _history_figure(run, out, figdir))

    drawn, (gantt, pyramid_fig, calibration, history_fig) = _draw_jobs(run, jobs, figdir, svg, meanwhile=meanwhile)
    for (i, _, _), sec in zip(todo, drawn):
        sections[i] = sec
    atomic_write_json(out / SECTIONS_CACHE, {"gantt": gantt, "sections": sections})
    figures, pyramid = finish_claims(plan, drawn[len(todo):], pyramid_fig)
    sections = [dict(sec, diag=run.manifest["diagnostics"][sec["name"]]) for sec in sections]
    changed = _what_changed(out)
    techs = technology_records(run)
    ctx = {
        "changed": changed, "calibration": calibration, "history_fig": history_fig,
        "run": run.manifest, "rows": milestone_rows(run.milestones), "sections": sections,
        "gantt": gantt, "claims": enrich(run, claims, figures, techs), "summary": summary_sentences(claims),
        "pyramid": pyramid, "filters": _filters(claims), "bands": (LIKELY, UNLIKELY), "method": method(run),
        "rendered": dt.datetime.now().isoformat(timespec="seconds"),
        "n_forecast": int(run.milestones["forecast"].sum()), "n_total": len(run.milestones),
        "all_passed": run.manifest.get("all_diagnostics_passed", False),
    }
    atomic_write_text(out / "report.md", _ENV.get_template("report.md.j2").render(**ctx))
    ctx_html = dict(ctx, embed=lambda rel: "data:image/png;base64," + base64.b64encode((out / rel).read_bytes()).decode())
    atomic_write_text(out / "report.html", _ENV.get_template("report.html.j2").render(**ctx_html))
    atomic_write_json(out / "report.json", report_json(run, {sec["name"]: sec["summary"] for sec in sections}, claims, techs,
                                                          calibration_json(calibration)))
    return ctx


def _filters(claims: list[dict]) -> list[dict]:
    """The claim table's filters: each row attribute's values, in the order a reader expects."""
    def values(key, order=None):
        got = {str(c[key]) for c in claims}
        return [v for v in order if v in got] if order else sorted(got)
    return [{"key": "layer", "label": "Layer", "values": values("layer")},
            {"key": "model", "label": "Model", "values": values("model")},
            {"key": "verdict", "label": "Verdict", "values": values("verdict_key", list(VERDICTS)), "words": VERDICTS},
            {"key": "label", "label": "Data", "values": values("data_label", ["observed", "partly observed", "prior only", "resolved", "—"])},
            {"key": "year", "label": "Year", "values": values("target_year")}]


def report_json(run, summaries: dict | None = None, claims: list[dict] | None = None, techs: list[dict] | None = None,
                calibration: dict | None = None) -> dict:
    """Machine-readable report: every milestone with its probabilities, model, diagnostics status, data label and
    verdict (the claim check's words), and the pyramid's technologies with the data behind each."""
    claims = claim_rows(run) if claims is None else claims
    verdicts = {c["id"]: c for c in claims}
    milestones = [dict(m, verdict=verdicts[m["id"]]["verdict"], verdict_rank=verdicts[m["id"]]["rank"])
                  for m in json.loads(run.milestones.to_json(orient="records"))]
    return {
        "schema": "convergence-forecast/report/v1",
        "run_id": run.manifest["run_id"], "created": run.manifest["created"], "seed": run.manifest["config"]["seed"],
        "diagnostics": {n: {k: d[k] for k in ("passed", "max_rhat", "min_ess_bulk", "min_ess_tail", "divergences")}
                        for n, d in run.manifest["diagnostics"].items()},
        "milestones": milestones,
        "technologies": technology_records(run) if techs is None else techs,
        "calibration": calibration,
        "summaries": {n: [{k: v for k, v in r.items() if k != "values"} | {"median_value": r["values"][0], "q05_value": r["values"][1], "q95_value": r["values"][2]}
                          for r in rows] for n, rows in (summaries or {n: m.summary() for n, m in run.models.items()}).items()},
    }


def technology_records(run) -> list[dict]:
    """Per pyramid technology: its layer and, for adoption, standardization and controversy, whether the run fitted
    it to data ('observed', with the series used) or took it from the population prior ('prior')."""
    ad, cv = run.models.get("adoption"), run.models.get("convergence")
    if ad is None:
        return []
    x = ad.inputs
    rows = x["count"]["rows"]
    eco = x["eco"]["rows"]
    out = []
    for tech in x["techs"]:
        series = sorted(set(rows.loc[rows["technology"] == tech, "series"]) | (set(eco["series"]) if tech in x["growth_techs"] else set()))
        rec = {"id": tech, "layer": ad.registry[tech].layer, "seed_level": ad.registry[tech].seed_level,
               "adoption": {"source": "observed" if series else "prior", "series": series,
                            "reference_series": x["reference_frames"].get(tech)}}
        if cv is not None:
            for comp, used in cv.component_sources(tech).items():
                rec[comp] = {"source": "observed" if used else "prior", "series": used}
        out.append(rec)
    return out


def _what_changed(out: Path) -> dict | None:
    """The milestone diff when this run came from `forecast update`."""
    p = out / "diff.csv"
    if not p.exists():
        return None
    d = pd.read_csv(p)
    d = d[d["delta"].notna() | d["p_by_target_before"].notna() | d["p_by_target_after"].notna()]
    return {"rows": diff_rows(d.head(25))}


def _history_figure(run, out: Path, figdir: Path) -> dict | None:
    """How each milestone's probability moved across runs (reports/history.csv), if there are at least two runs."""
    from forecast.pipeline.history import history_rows, load_history
    h = load_history(out.parent)
    if run.manifest["run_id"] not in set(h["run_id"].astype(str)):
        h = pd.concat([h, history_rows(run.manifest, run.milestones)], ignore_index=True)
    if h.empty or h["run_id"].nunique() < 2:
        return None
    alt = "Probability of each milestone by its target date across runs (one line per milestone)."
    # redrawn only when the history table (or the code) changed since the last render
    key = hashlib.sha256((code_fingerprint() + h.astype(str).to_csv(index=False)).encode()).hexdigest()
    stamp = figdir / "history.key"
    if stamp.exists() and stamp.read_text() == key and (figdir / "history.png").exists():
        return {"png": "figures/history.png", "alt": alt}
    from forecast.report.figures.common import save
    from forecast.report.figures.overview import history
    files = save(history(h), figdir / "history", svg=False)
    atomic_write_text(stamp, key)
    return {"png": f"figures/{files[0]}", "alt": alt}
