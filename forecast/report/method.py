"""The report's method section: how the claim check is computed (general, filled from the run's settings) and what each
model assumes (its own docstrings, so the page says what the code does)."""
from __future__ import annotations

import sys

from forecast.report.claims import LIKELY, UNLIKELY


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def general(run) -> list[str]:
    cfg = run.manifest["config"]
    gate = cfg.get("gate", {})
    return [
        f"Each seed claim is turned into a predicate on a quantity one model forecasts (data/milestones.yaml). The model is "
        f"fitted by MCMC ({cfg['chains']} chains × {cfg['draws']} draws after {cfg['tune']} tuning steps, seed {cfg['seed']}); "
        f"every posterior draw gives a path of the quantity, and P is the share of draws in which the claim holds by its "
        f"date (a claim about a state: on its date; a claim about a rate: the share of draws of the rate on the claimed "
        f"side). The first date a draw makes the claim true is its first-passage date; the median and 80% interval are of "
        f"those dates, and draws never true by the forecast horizon ({cfg['horizon']}) count as later than any date.",
        "The same predicate is evaluated on draws from the priors alone (the same engine, grid and horizon): the "
        "prior-only P. Its difference from P is what the data contributed. A claim is labelled by the data behind its "
        "quantity: observed (fitted to data), partly observed (some parts prior only), prior only (no series measures it). "
        "The Monte Carlo standard error of P comes from the effective sample size of the fit; a claim whose P is within "
        "two standard errors of its prior-only P is 'not moved by the data'.",
        f"Verdicts use fixed bands: P ≥ {LIKELY:.0%} likely, P ≤ {UNLIKELY:.0%} unlikely, otherwise uncertain — only for "
        f"claims the data inform; the others read 'no data — prior only' or 'not moved by the data'. A claim the data "
        f"already show true (or false), or one resolved by an outside source, is 'observed' or 'resolved' and not forecast. "
        f"Every model must pass the diagnostics gate (R-hat ≤ {gate.get('max_rhat')}, bulk and tail ESS ≥ "
        f"{int(gate.get('min_ess', 0))}, divergences ≤ {gate.get('max_divergences')}); a failing model's claims are marked.",
    ]


def models(run) -> list[dict]:
    """Per model: title, data end, its one-line summary (module docstring) and what it assumes (class docstring)."""
    out = []
    for name, m in run.models.items():
        try:
            end = m.data_end.date().isoformat()
        except (NotImplementedError, AttributeError, KeyError):
            end = "—"
        module = sys.modules.get(type(m).__module__)
        out.append({"name": name, "title": m.title, "data_end": end,
                    "summary": _first_paragraph(module.__doc__ if module else "").rstrip(".") + ".",
                    "assumes": _first_paragraph(type(m).__doc__)})
    return out


def definitions(run) -> list[dict]:
    """The pyramid's operational definitions (priors/technologies.yaml `definitions`) as the run used them."""
    from pathlib import Path

    import yaml
    own = Path(run.path) / "inputs" / "priors" / "technologies.yaml"
    if not own.exists() or not any(n in run.models for n in ("adoption", "convergence")):
        return []
    try:
        doc = yaml.safe_load(own.read_text()) or {}
    except yaml.YAMLError:
        return []
    return [{"term": k.replace("_", " "), "text": " ".join(str(v).split())} for k, v in (doc.get("definitions") or {}).items()]


def method(run) -> dict:
    return {"general": general(run), "models": models(run), "definitions": definitions(run)}
