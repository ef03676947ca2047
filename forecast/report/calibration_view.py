"""The report's calibration section, read from the calibration record (forecast/pipeline/calibration_record.py).

Per model: which backtest origins' fits failed the diagnostics gate. Per model and series: coverage of the 50/80/95%
intervals, PIT, CRPS beside both baselines and the skill scores with their bootstrap intervals; every series where
the model does not beat a baseline is listed with a reason read off its own scores (bias, over- or under-confidence,
or a closer baseline point forecast) and the origins the loss comes from. Then the crossing-event scores and the
reliability diagram, the SBC verdicts, and for each model whether its record is stale (which data,
prior or code files changed since it was computed).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from forecast.core.io import atomic_write_text, copy_relative
from forecast.pipeline import calibration_record as rec

BASELINE_WORDS = {"persistence": "persistence", "linear_trend": "linear trend"}


def series_label(series: str) -> str:
    """A backtest series as a reader names it: adoption shares as technology · frame."""
    return series.removeprefix("adoption_share:").replace(":", " · ")


def _f(v, fmt="{:.2f}") -> str:
    return "—" if v is None or pd.isna(v) else fmt.format(v)


def loss_reason(row: pd.Series | None, skill_lo: float, skill_hi: float) -> str:
    """Why the model does not beat a baseline on a series, from the model's own scores there."""
    if pd.notna(skill_lo) and skill_lo < 0 < skill_hi:
        return "not distinguishable from the baseline (the skill's 90% interval spans 0)"
    if row is None:
        return "no model scores"
    if row["pit_mean"] < 0.35:
        return f"over-predicts: outcomes fall low in the predictive (mean PIT {row['pit_mean']:.2f})"
    if row["pit_mean"] > 0.65:
        return f"under-predicts: outcomes fall high in the predictive (mean PIT {row['pit_mean']:.2f})"
    if row["cover80"] < 0.7:
        return f"over-confident: 80% intervals hold {row['cover80']:.0%} of outcomes"
    if row["cover80"] > 0.9:
        return f"too wide: 80% intervals hold {row['cover80']:.0%} of outcomes"
    return "calibrated, but the baseline's point forecast was closer"


def losing_origins(scores: pd.DataFrame, model: str, series: str, baseline: str) -> str:
    """Where a loss comes from: the backtest origins at which the model's mean CRPS over the held-out points exceeds
    the baseline's on the same points, with both means, and how many origins it wins."""
    if scores.empty:
        return ""
    s = scores[(scores["model"] == model) & (scores["series"] == series) & scores["method"].isin(["model", baseline])]
    by = s.pivot_table(index="origin", columns="method", values="crps", aggfunc="mean")
    if "model" not in by or baseline not in by:
        return ""
    worse = by[by["model"] > by[baseline]]
    if worse.empty:
        return ""
    shown = ", ".join(f"{str(o)[:7]} ({r['model']:#.3g} vs {r[baseline]:#.3g})" for o, r in worse.iterrows())
    return f"mean CRPS above the baseline's at origin{'s' if len(worse) > 1 else ''} {shown}; below it at {len(by) - len(worse)} of {len(by)}"


def _series_rows(summary: pd.DataFrame, skill: pd.DataFrame, scores: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    rows, losses = [], []
    model_rows = summary[summary["method"] == "model"]
    crps = summary.pivot_table(index=["model", "series"], columns="method", values="crps", aggfunc="first")
    overall = skill[skill["band"] == "all"].set_index(["model", "series", "baseline"])
    for _, r in model_rows.iterrows():
        key = (r["model"], r["series"])
        rec_ = {"model": r["model"], "series": series_label(r["series"]), "n": int(r["n"]), "cover50": _f(r["cover50"]),
                "cover80": _f(r["cover80"]), "cover95": _f(r["cover95"]), "pit_p": _f(r["pit_p"], "{:.3f}"),
                "crps": {m: _f(crps.loc[key, m], "{:.3g}") if key in crps.index and m in crps.columns else "—"
                         for m in ("model", "persistence", "linear_trend")}, "skill": {}, "beats": True}
        for base, word in BASELINE_WORDS.items():
            k = (*key, base)
            if k not in overall.index:
                continue
            s = overall.loc[k]
            rec_["skill"][base] = f"{s['skill']:+.2f} [{_f(s['skill_lo'], '{:+.2f}')}, {_f(s['skill_hi'], '{:+.2f}')}]"
            rec_["beats"] = rec_["beats"] and bool(s["skill"] > 0)
            if not s["skill"] > 0 and r["series"] != "(pooled)":
                losses.append({"model": r["model"], "series": series_label(r["series"]), "baseline": word, "skill": f"{s['skill']:+.2f}",
                               "reason": loss_reason(r, s["skill_lo"], s["skill_hi"]),
                               "where": losing_origins(scores, r["model"], r["series"], base)})
        rows.append(rec_)
    return rows, losses


def failed_origins(scores: pd.DataFrame) -> dict[str, list[str]]:
    """Per model, the backtest origins whose fit failed the diagnostics gate (their held-out scores are still in the
    record, so a reader must know which calibration figures rest on unconverged posteriors)."""
    if scores.empty or "diagnostics" not in scores:
        return {}
    fits = scores[scores["method"] == "model"].groupby(["model", "origin"])["diagnostics"].agg(lambda s: (s == "pass").all())
    return {m: [str(o) for (_, o), ok in g.items() if not ok] for m, g in fits.groupby(level="model")}


def _stamped(figdir: Path, name: str, key: str) -> bool:
    stamp, png = figdir / f"{name}.key", figdir / f"{name}.png"
    return stamp.exists() and stamp.read_text() == key and png.exists()


def _reliability_figure(table: pd.DataFrame, figdir: Path, sources: list[Path] = ()) -> dict | None:
    """The reliability diagram, drawn once per table: reused from this run's figures or another run's (`sources`)."""
    if table.empty:
        return None
    key = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    stamp, png = figdir / "reliability.key", figdir / "reliability.png"
    if not _stamped(figdir, "reliability", key) and (src := next((d for d in sources if _stamped(d, "reliability", key)), None)):
        copy_relative(src, figdir, png.name)
        atomic_write_text(stamp, key)
    if not _stamped(figdir, "reliability", key):
        from forecast.report.figures.calibration import reliability_diagram
        from forecast.report.figures.common import save
        save(reliability_diagram(table), figdir / "reliability", svg=False)
        atomic_write_text(stamp, key)
    return {"png": "figures/reliability.png",
            "alt": "Reliability diagram: binned forecast probability of the backtest's crossing events against how often they happened."}


def _sbc_models(sbc: pd.DataFrame) -> list[dict]:
    """One line per model: simulations, parameters ranked, how many pass, the smallest p-value, the failing ones."""
    out = []
    for m, g in (sbc.groupby("model", sort=False) if len(sbc) else []):
        ok = g["uniform"].isin([True, "True"])
        out.append({"model": m, "sims": int(g["sims"].max()), "parameters": len(g), "uniform": int(ok.sum()),
                    "min_p": _f(g["p_value"].min(), "{:.3f}"), "failing": ", ".join(g.loc[~ok, "parameter"].astype(str)),
                    "verdict": "uniform" if ok.all() else "not uniform"})
    return out


def _stale_words(changed: list[str]) -> str:
    if not changed:
        return ""
    shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
    return f"stale: changed since — {shown}"


def calibration_context(figdir: Path, data_dir: Path | None = None, priors_dir: Path | None = None,
                        sources: list[Path] = ()) -> dict | None:
    """Everything the calibration section shows, or None when no record exists (`sources`: other runs' figure
    folders whose reliability diagram may be reused)."""
    d = rec.read_dir(data_dir)
    if d is None:
        return None
    man = rec.read_manifest(d)
    summary, skill = rec.read_table(d, "backtest_summary"), rec.read_table(d, "backtest_skill")
    scores = rec.read_table(d, "backtest_scores")
    rows, losses = _series_rows(summary, skill, scores) if len(summary) else ([], [])
    stale_bt, stale_sbc = rec.staleness("backtest", data_dir, priors_dir, d), rec.staleness("sbc", data_dir, priors_dir, d)
    from forecast.models.registry import REGISTRY
    failed = failed_origins(scores)
    models = []
    for m in [*REGISTRY, *sorted((set(man.get("backtest", {})) | set(man.get("sbc", {}))) - set(REGISTRY))]:
        bt, sb = man.get("backtest", {}).get(m), man.get("sbc", {}).get(m)
        models.append({"model": m, "note": getattr(REGISTRY.get(m), "backtest_note", ""), "backtest": bt and {"id": bt["id"], "recorded": bt["recorded"], "origins": bt.get("origins", []),
                                                       "wall_s": bt.get("wall_s"), "stale": _stale_words(stale_bt.get(m, [])),
                                                       "failed_fits": failed.get(m, [])},
                       "sbc": sb and {"id": sb["id"], "recorded": sb["recorded"], "sims": sb.get("sims"), "wall_s": sb.get("wall_s"),
                                      "stale": _stale_words(stale_sbc.get(m, []))}})
    ev = rec.read_table(d, "backtest_event_scores")
    sbc = rec.read_table(d, "sbc_summary")
    pooled = skill[(skill["series"] == "(pooled)")] if len(skill) else skill
    return {
        "source": str(d), "models": models, "rows": rows, "losses": losses,
        "pooled": [{"model": r["model"], "baseline": BASELINE_WORDS.get(r["baseline"], r["baseline"]), "band": r["band"],
                    "n": int(r["n"]), "skill": f"{r['skill']:+.2f}", "interval": f"[{_f(r['skill_lo'], '{:+.2f}')}, {_f(r['skill_hi'], '{:+.2f}')}]"}
                   for _, r in pooled.iterrows()],
        "events": [{"method": r["method"], "horizon": r["horizon"], "events": int(r["events"]), "base_rate": _f(r["base_rate"]),
                    "brier": _f(r["brier"], "{:.3f}"), "log_score": _f(r["log_score"], "{:.3f}"),
                    "bss": _f(r["brier_skill_vs_climatology"], "{:+.2f}")} for _, r in ev.iterrows()],
        "reliability": _reliability_figure(rec.read_table(d, "backtest_reliability"), Path(figdir), list(sources)),
        "sbc": [{"model": r["model"], "parameter": r["parameter"], "sims": int(r["sims"]), "p_value": _f(r["p_value"], "{:.3f}"),
                 "uniform": "yes" if r["uniform"] in (True, "True") else ("no" if r["uniform"] in (False, "False") else "—")}
                for _, r in sbc.iterrows()],
        "sbc_models": _sbc_models(sbc),
        "any_stale": any(stale_bt.values()) or any(stale_sbc.values()),
        "failed_fits": [{"model": m["model"], "origins": m["backtest"]["failed_fits"], "of": len(m["backtest"]["origins"])}
                        for m in models if m["backtest"] and m["backtest"]["failed_fits"]],
    }


def calibration_json(ctx: dict | None) -> dict | None:
    """The calibration section for report.json (figures left out)."""
    if ctx is None:
        return None
    return {k: v for k, v in ctx.items() if k not in ("reliability",)}
