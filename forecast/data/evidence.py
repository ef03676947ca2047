"""The evidence log (data/evidence/evidence.csv): validated, append-only observations that update models.

Kinds and the fields they use:

* ``count``     — technology, period_start, observed_date (period end), k of n new models with the feature, and
  optionally the list (sampling frame) counted: a series already in the data joins that frame; without one,
  a technology's counts share one frame, ``evidence`` (one logit offset for all of them, not one per row)
* ``share``     — technology, observed_date, share with an 80% interval [share_lo, share_hi]
* ``judgement`` — technology, attribute (standardization | controversy | maturity), share + 80% interval
* ``release``   — a model release: model, organization, observed_date, training_compute [, parameters]

Each row carries a source citation and a content hash (sha256 of its defining fields); an exact duplicate
is rejected. Appends are atomic (write-then-rename under a lock), so a killed writer leaves the old file.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import math
from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.core.errors import EvidenceError
from forecast.core.io import atomic_write_csv
from forecast.data.schema import Column, TableSchema, validate

KINDS = ("count", "share", "judgement", "release")
ATTRIBUTES = ("standardization", "controversy", "maturity")
# which models read which kind of evidence (dependents such as convergence ← adoption are added by the run)
AFFECTS: dict[str, tuple[str, ...]] = {
    "count": ("adoption",),
    "share": ("adoption",),
    "judgement": ("convergence",),
    "release": ("compute_trend",),  # market reads Epoch's dated snapshots (market_vintages), not the release log
}

EVIDENCE = TableSchema(
    name="evidence",
    filename="evidence/evidence.csv",
    description="Append-only evidence log.",
    columns=(
        Column("id", "str"),
        Column("observed_date", "date", min="2015-01-01"),
        Column("recorded_at", "str"),
        Column("kind", "str", choices=KINDS),
        Column("technology", "str", required=False),
        Column("attribute", "str", required=False, choices=ATTRIBUTES),
        Column("period_start", "date", required=False, min="2015-01-01"),
        Column("series", "str", required=False),
        Column("k", "int", required=False, min=0),
        Column("n", "int", required=False, min=1),
        Column("share", "float", required=False, min=0.0, max=1.0),
        Column("share_lo", "float", required=False, min=0.0, max=1.0),
        Column("share_hi", "float", required=False, min=0.0, max=1.0),
        Column("model", "str", required=False),
        Column("organization", "str", required=False),
        Column("training_compute", "float", required=False, min=1.0, max=1e32, unit="FLOP"),
        Column("parameters", "float", required=False, min=1.0, max=1e16),
        Column("source", "str"),
        Column("content_hash", "str"),
    ),
    key=("id",),
)
COLUMNS = EVIDENCE.column_names
HASHED = [c for c in COLUMNS if c not in ("id", "recorded_at", "content_hash")]
ADDED_LATER = ("series",)  # columns newer than some logs: absent or empty, they leave the content hash unchanged
DEFAULT_COUNT_SERIES = "evidence"


def evidence_path(data_dir: Path | None = None) -> Path:
    return Path(data_dir or config.data_dir()) / EVIDENCE.filename


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def load_evidence(data_dir: Path | None = None, path: Path | None = None) -> pd.DataFrame:
    """Read and validate the log (empty frame if it does not exist yet)."""
    p = Path(path) if path else evidence_path(data_dir)
    if not p.exists():
        return validate(_empty(), EVIDENCE, p)
    raw = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    for c in ADDED_LATER:
        if c not in raw.columns:
            raw[c] = pd.Series([None] * len(raw), dtype=object)
    return validate(raw, EVIDENCE, p)


def content_hash(row: dict) -> str:
    parts = []
    for c in HASHED:
        v = row.get(c)
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            if c in ADDED_LATER:
                continue
            v = ""
        elif isinstance(v, float):
            v = repr(float(v))
        parts.append(f"{c}={v}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _fail(msg: str, column: str, path: Path) -> EvidenceError:
    return EvidenceError(msg, file=str(path), column=column)


def make_row(kind: str, *, observed_date: str, source: str, technology: str | None = None, attribute: str | None = None,
             period_start: str | None = None, series: str | None = None, k: int | None = None, n: int | None = None, share: float | None = None,
             share_lo: float | None = None, share_hi: float | None = None, model: str | None = None,
             organization: str | None = None, training_compute: float | None = None, parameters: float | None = None,
             today: dt.date | None = None, data_dir: Path | None = None, technologies=None) -> dict:
    """Validate one observation's fields; return the row (without id). Raises EvidenceError naming the field."""
    path = evidence_path(data_dir)
    today = today or dt.date.today()
    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}", "kind", path)
    if not source or not str(source).strip():
        raise _fail("missing source: cite where the observation comes from", "source", path)
    try:
        obs = pd.Timestamp(observed_date)
    except (ValueError, TypeError):
        raise _fail(f"observed_date {observed_date!r} is not an ISO date", "observed_date", path) from None
    if obs.date() > today:
        raise _fail(f"observed_date {obs.date()} is in the future (today is {today})", "observed_date", path)
    if kind in ("count", "share", "judgement"):
        if not technology:
            raise _fail(f"{kind} evidence needs --technology", "technology", path)
        if technologies is None:
            from forecast.data.technologies import load_technologies
            technologies = load_technologies()
        if technology not in technologies:
            raise _fail(f"unknown technology {technology!r}; valid: {', '.join(technologies.ids)}", "technology", path)
    if kind == "count":
        if k is None or n is None:
            raise _fail("count evidence needs k and n", "k" if k is None else "n", path)
        if n < 1 or k < 0:
            raise _fail("k must be ≥ 0 and n ≥ 1", "k" if k < 0 else "n", path)
        if k > n:
            raise _fail(f"k ({k}) is greater than n ({n})", "k", path)
        start = pd.Timestamp(period_start) if period_start else obs.to_period("Q").start_time  # default: the quarter
        if start > obs:
            raise _fail("period_start is after observed_date", "period_start", path)
        period_start = start.date().isoformat()
    if kind in ("share", "judgement"):
        for name, v in (("share", share), ("share_lo", share_lo), ("share_hi", share_hi)):
            if v is None:
                raise _fail(f"{kind} evidence needs {name}", name, path)
            if not (0.0 <= v <= 1.0):
                raise _fail(f"{name} {v} is outside [0, 1]", name, path)
        if not (share_lo <= share <= share_hi):
            raise _fail("need share_lo ≤ share ≤ share_hi", "share_lo", path)
    if kind == "judgement" and attribute not in ATTRIBUTES:
        raise _fail(f"judgement needs attribute in {', '.join(ATTRIBUTES)}", "attribute", path)
    if kind == "release":
        if not model:
            raise _fail("release evidence needs --model", "model", path)
        if training_compute is None or not (training_compute > 0):
            raise _fail("release evidence needs a positive training_compute (FLOP)", "training_compute", path)
    row = {"observed_date": obs.date().isoformat(), "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "kind": kind, "technology": technology, "attribute": attribute if kind == "judgement" else None,
           "period_start": period_start if kind == "count" else None,
           "series": (str(series).strip() or None) if (kind == "count" and series) else None, "k": k, "n": n,
           "share": share, "share_lo": share_lo, "share_hi": share_hi, "model": model, "organization": organization,
           "training_compute": training_compute, "parameters": parameters, "source": str(source).strip()}
    row["content_hash"] = content_hash(row)
    return row


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append(row: dict, data_dir: Path | None = None) -> dict:
    """Append a validated row atomically; reject exact duplicates. Returns the stored row with its id."""
    path = evidence_path(data_dir)
    with _locked(path):
        log = load_evidence(data_dir)
        if (log["content_hash"] == row["content_hash"]).any():
            dup = log.loc[log["content_hash"] == row["content_hash"], "id"].iloc[0]
            raise _fail(f"exact duplicate of evidence {dup}; nothing written", "content_hash", path)
        row = dict(row, id=f"ev-{len(log) + 1:04d}-{row['content_hash'][:8]}")
        new = pd.concat([_as_text(log), pd.DataFrame([row])[COLUMNS]], ignore_index=True)
        validate(new.astype(object).where(new.notna(), None), EVIDENCE, path)
        atomic_write_csv(path, _as_text(new))
    return row


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COLUMNS].copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        out[c] = out[c].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else
                            (repr(float(v)) if isinstance(v, float) else str(v)))
    return out


def affected_models(evidence: pd.DataFrame) -> list[str]:
    """Models whose inputs these evidence rows touch (before adding dependents)."""
    return sorted({m for k in evidence["kind"].dropna().unique() for m in AFFECTS[k]})


def apply_to_frames(frames: dict[str, pd.DataFrame], evidence: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Merge evidence into the curated frames the models read (data + all evidence). Returns new frames."""
    out = dict(frames)
    out["judgements"] = evidence[evidence["kind"] == "judgement"].reset_index(drop=True)
    if evidence.empty:
        return out
    if "adoption_observations" in out:
        ev = evidence[evidence["kind"].isin(["count", "share"])]
        if not ev.empty:
            add = pd.DataFrame({
                "technology": ev["technology"].astype("string"),
                "kind": ev["kind"].map({"count": "count", "share": "elicited"}).astype("string"),
                "period_start": ev["period_start"].where(ev["kind"] == "count", ev["observed_date"]),
                "period_end": ev["observed_date"],
                "k": ev["k"], "n": ev["n"], "share": ev["share"], "share_lo": ev["share_lo"], "share_hi": ev["share_hi"],
                "series": ev["series"].where(ev["series"].notna(), DEFAULT_COUNT_SERIES).astype("string"),
                "source": ev["source"].astype("string"),
            })
            out["adoption_observations"] = pd.concat([out["adoption_observations"], add], ignore_index=True)
    if "models" in out:
        ev = evidence[evidence["kind"] == "release"]
        if not ev.empty:
            add = pd.DataFrame({
                "model": ev["model"].astype("string"), "organization": ev["organization"].astype("string"),
                "publication_date": ev["observed_date"], "parameters": ev["parameters"],
                "active_parameters": pd.Series([float("nan")] * len(ev), index=ev.index),
                "training_compute": ev["training_compute"], "training_tokens": pd.Series([float("nan")] * len(ev), index=ev.index),
                "accessibility": pd.Series(["unknown"] * len(ev), index=ev.index, dtype="string"),
                "domain": pd.Series([pd.NA] * len(ev), index=ev.index, dtype="string"),
                "source": ("evidence:" + ev["id"]).astype("string"),
            })
            base = out["models"]
            keep = ~base["model"].str.lower().isin(set(add["model"].str.lower()))  # evidence supersedes a same-name row
            out["models"] = pd.concat([base[keep], add], ignore_index=True)
    return out
