"""Milestones as data (data/milestones.yaml) and the model-independent engine that scores them.

The engine never knows which model produced a trajectory. A model answers a predicate in one of
three modes:

* ``first_passage`` — boolean paths (draws × dates): is the predicate true at each grid date?
  The first True is the draw's passage date; P(by target) = share of draws passing by the target.
* ``state`` — the same paths, but the claim is about the state *on* the target date.
* ``static`` — one boolean per draw (e.g. doubling time ≤ 3.5 months); no date.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from forecast.core.timeutil import first_passage_index, month_grid
from forecast.core import config
from forecast.core.io import read_yaml_file
from forecast.core.errors import MilestoneSpecError

MODES = ("first_passage", "state", "static", "none")
LEVELS = ("L0", "L1", "L2", "L3", "L4")

# predicate kind -> (model, mode, {param: type})
PREDICATES: dict[str, tuple[str, str, dict[str, type]]] = {
    "compute_at_least": ("compute_trend", "first_passage", {"flop": float}),
    "share_at_least": ("adoption", "first_passage", {"tech": str, "value": float}),
    "share_at_least_on": ("adoption", "state", {"tech": str, "value": float}),
    "level_at_least": ("convergence", "first_passage", {"tech": str, "level": str}),
    "level_is": ("convergence", "state", {"tech": str, "level": str}),
    "level_below": ("convergence", "state", {"tech": str, "level": str}),
    "providers_between": ("market", "state", {"lo": int, "hi": int}),
    "doubling_time_at_most": ("densing", "static", {"months": float}),
    "open_model_score": ("densing", "first_passage", {"benchmark": str, "score": float, "max_active_params": float}),
    "growth_at_least": ("hardware", "static", {"series": str, "per_year": float}),
    "none": ("none", "none", {}),
}
MODELS = ("scaling_law", "compute_trend", "densing", "adoption", "convergence", "market", "hardware", "none")


@dataclasses.dataclass(frozen=True)
class Resolution:
    outcome: str  # "yes" | "no"
    date: str
    source: str


@dataclasses.dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    claim: str
    source: str
    target_date: pd.Timestamp
    model: str
    predicate: Mapping[str, Any]
    status: str
    resolution: Resolution | None = None

    @property
    def kind(self) -> str:
        return self.predicate["kind"]

    @property
    def mode(self) -> str:
        return PREDICATES[self.kind][1]

    @property
    def params(self) -> dict:
        return {k: v for k, v in self.predicate.items() if k != "kind"}


def _need(rec: Mapping, key: str, file: str, mid: str):
    if key not in rec or rec[key] in (None, ""):
        raise MilestoneSpecError(f"missing '{key}'", file=file, key=f"{mid}.{key}")
    return rec[key]


def parse_milestone(rec: Mapping, file: str, index: int) -> Milestone:
    if not isinstance(rec, Mapping):
        raise MilestoneSpecError("each milestone must be a mapping", file=file, key=f"milestones[{index}]")
    mid = str(rec.get("id") or f"milestones[{index}]")
    for k in ("id", "title", "claim", "source", "target_date", "model", "predicate", "status"):
        _need(rec, k, file, mid)
    try:
        target = pd.Timestamp(str(rec["target_date"]))
    except (ValueError, TypeError):
        raise MilestoneSpecError(f"target_date {rec['target_date']!r} is not an ISO date", file=file, key=f"{mid}.target_date") from None
    model = rec["model"]
    if model not in MODELS:
        raise MilestoneSpecError(f"unknown model {model!r}; valid: {', '.join(MODELS)}", file=file, key=f"{mid}.model")
    pred = rec["predicate"]
    if not isinstance(pred, Mapping) or pred.get("kind") not in PREDICATES:
        raise MilestoneSpecError(f"predicate.kind must be one of {', '.join(PREDICATES)}", file=file, key=f"{mid}.predicate")
    pmodel, _mode, ptypes = PREDICATES[pred["kind"]]
    if pmodel != model:
        raise MilestoneSpecError(f"predicate {pred['kind']} is answered by model {pmodel!r}, not {model!r}", file=file, key=f"{mid}.model")
    clean: dict[str, Any] = {"kind": pred["kind"]}
    for pname, ptype in ptypes.items():
        if pname not in pred:
            raise MilestoneSpecError(f"predicate {pred['kind']} needs '{pname}'", file=file, key=f"{mid}.predicate.{pname}")
        v = pred[pname]
        if ptype is str:
            if not isinstance(v, str):
                raise MilestoneSpecError(f"'{pname}' must be a string", file=file, key=f"{mid}.predicate.{pname}")
        else:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise MilestoneSpecError(f"'{pname}' must be a number", file=file, key=f"{mid}.predicate.{pname}")
            v = ptype(v)
        clean[pname] = v
    extra = set(pred) - set(ptypes) - {"kind"}
    if extra:
        raise MilestoneSpecError(f"unknown predicate field(s) {sorted(extra)}; valid: {sorted(ptypes)}", file=file, key=f"{mid}.predicate")
    if "level" in clean and clean["level"] not in LEVELS:
        raise MilestoneSpecError(f"level must be one of {', '.join(LEVELS)}", file=file, key=f"{mid}.predicate.level")
    if pred["kind"] == "providers_between" and clean["lo"] > clean["hi"]:
        raise MilestoneSpecError("lo must not exceed hi", file=file, key=f"{mid}.predicate")
    status = rec["status"]
    resolution = None
    if status == "resolved":
        r = _need(rec, "resolution", file, mid)
        if not isinstance(r, Mapping) or r.get("outcome") not in ("yes", "no") or not r.get("date") or not r.get("source"):
            raise MilestoneSpecError("resolution needs outcome (yes|no), date and source", file=file, key=f"{mid}.resolution")
        resolution = Resolution(r["outcome"], str(r["date"]), str(r["source"]))
    elif status != "open":
        raise MilestoneSpecError(f"status must be open or resolved, got {status!r}", file=file, key=f"{mid}.status")
    return Milestone(str(rec["id"]), str(rec["title"]), str(rec["claim"]), str(rec["source"]), target, model, clean, status, resolution)


def milestones_path() -> Path:
    return config.data_dir() / "milestones.yaml"


def load_milestones(path: str | Path | None = None) -> list[Milestone]:
    """Load and validate the milestone registry."""
    path = Path(path or milestones_path())
    file = str(path)
    doc = read_yaml_file(path, MilestoneSpecError, "milestones file")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("milestones"), list):
        raise MilestoneSpecError("top level needs a 'milestones:' list", file=file)
    out = [parse_milestone(r, file, i) for i, r in enumerate(doc["milestones"])]
    seen = set()
    for m in out:
        if m.id in seen:
            raise MilestoneSpecError("duplicate id", file=file, key=m.id)
        seen.add(m.id)
    latest = load_resolutions(path.parent).groupby("id").tail(1).set_index("id")
    return [dataclasses.replace(m, status="resolved", resolution=Resolution(r["outcome"], r["date"], r["source"]))
            if (r := latest.loc[m.id] if m.id in latest.index else None) is not None else m for m in out]


# ---------------------------------------------------------------- resolutions (append-only log, history kept)

RESOLUTION_COLUMNS = ["id", "outcome", "date", "source", "recorded_at"]


def resolutions_path(data_dir: Path | None = None) -> Path:
    return Path(data_dir or config.data_dir()) / "resolutions.csv"


def load_resolutions(data_dir: Path | None = None) -> pd.DataFrame:
    p = resolutions_path(data_dir)
    if not p.exists():
        return pd.DataFrame(columns=RESOLUTION_COLUMNS)
    return pd.read_csv(p, dtype=str, keep_default_na=False)


def resolve(milestone_id: str, outcome: str, date: str, source: str, data_dir: Path | None = None, today=None) -> dict:
    """Record a milestone's outcome (appended; earlier resolutions stay in the log as history)."""
    import datetime as dt

    from forecast.core.errors import DataValidationError
    from forecast.core.io import atomic_write_csv

    p = resolutions_path(data_dir)
    ids = {m.id for m in load_milestones(Path(data_dir or config.data_dir()) / "milestones.yaml")}
    if milestone_id not in ids:
        raise DataValidationError(f"unknown milestone {milestone_id!r}", file=str(p), column="id")
    if outcome not in ("yes", "no"):
        raise DataValidationError(f"outcome must be yes or no, got {outcome!r}", file=str(p), column="outcome")
    try:
        d = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise DataValidationError(f"date {date!r} is not an ISO date", file=str(p), column="date") from None
    if d.date() > (today or dt.date.today()):
        raise DataValidationError(f"date {d.date()} is in the future", file=str(p), column="date")
    if not source or not source.strip():
        raise DataValidationError("missing source", file=str(p), column="source")
    row = {"id": milestone_id, "outcome": outcome, "date": d.date().isoformat(), "source": source.strip(),
           "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    log = load_resolutions(data_dir)
    atomic_write_csv(p, pd.concat([log, pd.DataFrame([row])], ignore_index=True)[RESOLUTION_COLUMNS])
    return row


def brier(p: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Brier score (lower is better): (p − o)²."""
    return (np.asarray(p, float) - np.asarray(outcome, float)) ** 2


def log_score(p: np.ndarray, outcome: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Negative log probability given to what happened (lower is better); p clipped to [eps, 1 − eps]."""
    p = np.clip(np.asarray(p, float), eps, 1 - eps)
    o = np.asarray(outcome, float)
    return -(o * np.log(p) + (1 - o) * np.log1p(-p))


def score_resolutions(history: pd.DataFrame, data_dir: Path | None = None) -> pd.DataFrame:
    """Score each resolved milestone with the P the last run before its resolution gave it."""
    res = load_resolutions(data_dir).groupby("id").tail(1)
    rows = []
    for _, r in res.iterrows():
        h = history[(history["milestone"] == r["id"]) & (pd.to_datetime(history["created"], utc=True) < pd.Timestamp(r["recorded_at"]))]
        if h.empty:
            rows.append({"id": r["id"], "outcome": r["outcome"], "p": float("nan"), "run_id": None, "brier": float("nan"), "log_score": float("nan")})
            continue
        last = h.iloc[-1]
        o = 1.0 if r["outcome"] == "yes" else 0.0
        p = float(last["p_by_target"])
        rows.append({"id": r["id"], "outcome": r["outcome"], "p": p, "run_id": last["run_id"],
                     "brier": float(brier(p, o)), "log_score": float(log_score(p, o))})
    return pd.DataFrame(rows, columns=["id", "outcome", "p", "run_id", "brier", "log_score"])


# ---------------------------------------------------------------- numpy kernels (no models here)



def _date_quantile(idx: np.ndarray, dates: pd.DatetimeIndex, q: float) -> pd.Timestamp | None:
    """q-quantile of passage dates where never-passing draws count as +infinity; None if beyond the grid."""
    n = idx.size
    vals = np.sort(np.where(idx < 0, np.iinfo(np.int64).max, idx))
    k = min(n - 1, max(0, int(math.ceil(q * n)) - 1))  # inverse-CDF (lower) quantile, no interpolation
    v = vals[k]
    return None if v == np.iinfo(np.int64).max else dates[int(v)]


@dataclasses.dataclass
class PassageSummary:
    p_by_target: float
    median: pd.Timestamp | None
    q10: pd.Timestamp | None
    q90: pd.Timestamp | None
    p_by_horizon: float


def summarize_passage(hit: np.ndarray, dates: pd.DatetimeIndex, target) -> PassageSummary:
    """P(first passage ≤ target), median and 80% interval of the passage date, P(by end of grid)."""
    idx = first_passage_index(hit)
    target = pd.Timestamp(target)
    by_target = (idx >= 0) & (idx <= np.searchsorted(dates, target, side="right") - 1)
    return PassageSummary(
        p_by_target=float(by_target.mean()),
        median=_date_quantile(idx, dates, 0.5),
        q10=_date_quantile(idx, dates, 0.1),
        q90=_date_quantile(idx, dates, 0.9),
        p_by_horizon=float((idx >= 0).mean()),
    )


def state_probability(hit: np.ndarray, dates: pd.DatetimeIndex, target) -> float:
    """P(predicate true on the grid date closest to and not after `target`)."""
    j = np.searchsorted(dates, pd.Timestamp(target), side="right") - 1
    if j < 0:
        return float("nan")
    return float(np.asarray(hit, dtype=bool)[:, j].mean())


# ---------------------------------------------------------------- engine: milestones × fitted models

# filled by `prior_only.add_prior_columns`: the prior-only probability beside the posterior one
PRIOR_COLUMNS = ["p_prior", "prior_median_date", "data_label", "mcse", "data_moved"]
RESULT_COLUMNS = ["id", "title", "model", "kind", "mode", "target_date", "status", "forecast", "p_by_target",
                  "median_date", "q10_date", "q90_date", "p_by_horizon", *PRIOR_COLUMNS, "outcome", "resolved_date",
                  "resolution_source", "diagnostics", "note", "claim", "source"]


def _iso(d) -> str | None:
    return None if d is None or (isinstance(d, float) and math.isnan(d)) else pd.Timestamp(d).date().isoformat()


def evaluate(milestones: list[Milestone], models: dict, horizon, seed: int, reuse: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per milestone: P(by target), median date, 80% interval, P(by horizon), or why not forecast.

    `models` maps model name → fitted ForecastModel (with posterior attached). Each milestone gets its
    own RNG stream derived from `seed` and its id, so results do not depend on milestone order — and a row
    depends only on the milestone, its model's posterior and data, `horizon` and `seed`. `reuse` (id → row)
    holds rows computed earlier with all of those equal (an update's reused models); they are taken as they are.
    """
    rows = []
    for m in milestones:
        row = {"id": m.id, "title": m.title, "model": m.model, "kind": m.kind, "mode": m.mode,
               "target_date": _iso(m.target_date), "status": m.status, "forecast": False,
               "p_by_target": None, "median_date": None, "q10_date": None, "q90_date": None,
               "p_by_horizon": None, **dict.fromkeys(PRIOR_COLUMNS), "outcome": None, "resolved_date": None, "resolution_source": None,
               "diagnostics": None, "note": "", "claim": m.claim, "source": m.source}
        if m.resolution is not None:
            row.update(outcome=m.resolution.outcome, resolved_date=m.resolution.date,
                       p_by_target=1.0 if m.resolution.outcome == "yes" else 0.0,
                       resolution_source=m.resolution.source, note="resolved; not re-forecast")
            rows.append(row)
            continue
        if reuse and m.id in reuse:
            rows.append({c: reuse[m.id].get(c) for c in RESULT_COLUMNS})
            continue
        if m.model == "none":
            row["note"] = "not forecast: no model speaks to this claim"
            rows.append(row)
            continue
        model = models.get(m.model)
        if model is None:
            row["note"] = f"not forecast: model {m.model} is not part of this run"
            rows.append(row)
            continue
        diags = model.all_diagnostics
        failures = [f for d in diags for f in d.failures]
        row["diagnostics"] = ("FAIL" if failures else "pass") if diags else None
        obs = model.observed_passage(m.kind, m.params)
        if obs is not None and m.mode == "first_passage":
            hit_by_target = pd.Timestamp(obs["date"]) <= m.target_date
            row.update(outcome="yes" if hit_by_target else "no", resolved_date=obs["date"],
                       p_by_target=1.0 if hit_by_target else 0.0, median_date=obs["date"],
                       resolution_source=obs["source"], status="observed",
                       note="already true in the data (observed, not forecast)")
            rows.append(row)
            continue
        if m.mode == "state" and m.target_date < model.forecast_start:
            st = model.observed_state(m.kind, m.params, m.target_date) or {"reason": "the target date is inside the data period and the model has no observation for it"}
            if "outcome" in st:
                row.update(outcome=st["outcome"], resolved_date=st["date"], resolution_source=st["source"], status="observed",
                           p_by_target=1.0 if st["outcome"] == "yes" else 0.0, note="dated inside the data: observed, not forecast")
            else:
                row["note"] = f"not forecast: {st['reason']}"
            rows.append(row)
            continue
        rng = np.random.default_rng([int(seed), *m.id.encode()])
        try:
            forecast_into(row, m, model, horizon, rng)
        except (KeyError, NotImplementedError) as exc:
            # the model exists but cannot speak to this subject (e.g. a technology it does not track)
            row["note"] = f"not forecast: {exc.args[0] if exc.args else exc}"
            rows.append(row)
            continue
        if failures:
            row["note"] = (row["note"] + "; " if row["note"] else "") + "DIAGNOSTICS FAILED: " + "; ".join(failures)
        rows.append(row)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def forecast_into(row: dict, m: Milestone, model, horizon, rng) -> None:
    if m.mode == "static":
        hit = np.asarray(model.static(m.kind, m.params), dtype=bool)
        row.update(forecast=True, p_by_target=float(hit.mean()))
        return
    start = model.forecast_start
    end = max(pd.Timestamp(horizon), m.target_date)
    dates = month_grid(start, end)
    hit = model.paths(m.kind, m.params, dates, rng)
    if m.mode == "first_passage":
        s = summarize_passage(hit, dates, m.target_date)
        row.update(forecast=True, p_by_target=s.p_by_target, median_date=_iso(s.median),
                   q10_date=_iso(s.q10), q90_date=_iso(s.q90), p_by_horizon=s.p_by_horizon)
        if m.target_date < dates[0]:
            row["note"] = f"target date is before the forecast start ({_iso(start)}): P(by target) counts only passages already in the data"
    else:
        row.update(forecast=True, p_by_target=state_probability(hit, dates, m.target_date))
