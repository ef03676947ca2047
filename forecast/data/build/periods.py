"""Periods and the row makers every pyramid rule shares: k-of-n count rows, variant rows, and the checks that turn
bad input into a one-line DataValidationError naming file, row and column (a rule matching nothing, a requested
period in which the frame has no models, a date outside the frame).

A rule reads one input column to decide who adopts; `Rule` names it, so an error can point at the file and column
whose content no longer fits the rule. Input frames carry `_file` and `_row` (the record number in the input file:
the header of a CSV is row 1, a JSON list's first entry is row 1) so that a bad date points at its record.
"""
from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from forecast.core.errors import DataValidationError
from forecast.data.tables import ADOPTION_OBSERVATIONS, FRAMES, VARIANT_COUNTS, unknown_technology

MIN_N = 3  # periods with fewer models in the frame are dropped: too thin to inform a share
FREQS = {"Q": "calendar quarter", "H": "half-year", "Y": "calendar year"}
MONTHS = {"Q": 3, "H": 6, "Y": 12}


@dataclasses.dataclass(frozen=True)
class Rule:
    """One operational definition: who adopts `technology` among the models of frame `series`."""

    name: str
    technology: str
    series: str  # the frame: a key of forecast.data.tables.FRAMES
    file: str  # input file the adopter predicate reads, relative to the shared data directory
    column: str  # input column the adopter predicate reads
    date_column: str  # input column that dates a model
    source: str  # citation written to every row


def with_rows(df: pd.DataFrame, file: str, header: bool = True) -> pd.DataFrame:
    """Tag each record with its file and record number (CSV: header = row 1; JSON: first entry = row 1)."""
    return df.assign(_file=file, _row=np.arange(len(df)) + (2 if header else 1))


def file_stamp(shared: Path, files: Iterable[str]) -> tuple:
    """A cache key for frames read from `files`: the folder and each file's size and modification time, so that a
    frame two builders share is read once per build and re-read when a file changes."""
    return (str(shared),) + tuple((f, (shared / f).stat().st_mtime_ns, (shared / f).stat().st_size) for f in files)


def period_bounds(dates: pd.Series, freq: str) -> tuple[pd.Series, pd.Series]:
    """Start and end (both inclusive, midnight) of the quarter, half-year or year holding each (non-missing) date."""
    step = MONTHS[freq]
    months = (dates.dt.year.to_numpy() - 1970) * 12 + (dates.dt.month.to_numpy() - 1) // step * step
    start = months.astype("datetime64[M]").astype("datetime64[ns]")
    end = (months + step).astype("datetime64[M]").astype("datetime64[ns]") - np.timedelta64(1, "D")
    return pd.Series(start, index=dates.index), pd.Series(end, index=dates.index)


def frame_span(series: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    f = FRAMES[series]
    return pd.Timestamp(f.start), pd.Timestamp(f.end)


def check_dates_in_frame(df: pd.DataFrame, series: str, date_column: str) -> None:
    """Every dated record must fall inside its frame's dates: a later date is not an observation of that vintage."""
    start, end = frame_span(series)
    bad = df["date"].notna() & ((df["date"] < start) | (df["date"] > end))
    if bad.any():
        r = df[bad].iloc[0]
        raise DataValidationError(f"date {r['date'].date()} is outside the frame {series} ({start.date()} .. {end.date()})",
                                  file=r["_file"], row=int(r["_row"]), column=date_column)


def check_technologies(frame: pd.DataFrame, file: str) -> None:
    """Every row's technology must be in the registry (priors/technologies.yaml); row numbers count the header as 1."""
    bad = unknown_technology(frame).to_numpy()
    if bad.any():
        i = int(bad.argmax())
        raise DataValidationError(f"unknown technology {frame['technology'].iloc[i]!r}; not in priors/technologies.yaml",
                                  file=file, row=i + 2, column="technology")


def no_rows(rule: Rule, why: str) -> DataValidationError:
    return DataValidationError(f"rule {rule.name!r} ({rule.technology}, {rule.series}) matched no rows: {why}",
                               file=rule.file, column=rule.column)


def _check_requested(counts: pd.DataFrame, periods: Iterable, rule: Rule, freq: str) -> None:
    start, end = frame_span(rule.series)
    asked = pd.Series(pd.to_datetime(list(periods)))
    p_start, p_end = period_bounds(asked, freq)
    have = set(counts["period_start"])
    for s, e in zip(p_start, p_end):
        if e < start or s > end:
            raise DataValidationError(f"rule {rule.name!r} asked for the {FREQS[freq]} from {s.date()}, outside the frame "
                                      f"{rule.series} ({start.date()} .. {end.date()})", file=rule.file, column=rule.date_column)
        if s not in have:
            raise DataValidationError(f"rule {rule.name!r}: the frame {rule.series} has no models in the {FREQS[freq]} "
                                      f"from {s.date()}", file=rule.file, column=rule.date_column)


def count_rows(frame: pd.DataFrame, flag: str, rule: Rule, freq: str = "Q", periods: Iterable | None = None) -> pd.DataFrame:
    """adoption_observations rows (kind=count): per period, k models of the frame with `flag` among n.

    Every row of `frame` counts in n; undated rows are left out. Periods with n < MIN_N are dropped and a period
    without models is never written; `periods` (dates) asks for particular periods, each of which must lie inside
    the frame and hold at least one model. A rule whose frame is empty, whose flag is never set, or which leaves
    no period with n >= MIN_N raises: an all-zero rule cannot be told from one that no longer matches its input."""
    d = frame[frame["date"].notna()]
    if d.empty:
        raise no_rows(rule, "no dated model in the frame")
    flags = d[flag].astype(bool)
    if not flags.any():
        raise no_rows(rule, "no model in the frame has the feature")
    start, end = period_bounds(d["date"], freq)
    g = (pd.DataFrame({"period_start": start, "period_end": end, "flag": flags})
         .groupby(["period_start", "period_end"])["flag"].agg(k="sum", n="size").reset_index())
    if periods is not None:
        _check_requested(g, periods, rule, freq)
    g = g[g["n"] >= MIN_N]
    if g.empty:
        raise no_rows(rule, f"every {FREQS[freq]} has fewer than {MIN_N} models")
    out = g.assign(technology=rule.technology, kind="count", share=np.nan, share_lo=np.nan, share_hi=np.nan,
                   series=rule.series, source=rule.source)
    out["k"] = out["k"].astype(int)
    out["n"] = out["n"].astype(int)
    return out[ADOPTION_OBSERVATIONS.column_names].reset_index(drop=True)


def variant_rows(frame: pd.DataFrame, variant: str, rule: Rule, freq: str = "H") -> pd.DataFrame:
    """variant_counts rows: per period and variant, how many models of `frame` (the adopters) use the variant.
    Models without a variant label are left out; periods with fewer than MIN_N labelled models are dropped."""
    d = frame[frame["date"].notna() & frame[variant].notna()]
    if d.empty:
        raise no_rows(rule, "no dated model with a variant label")
    start, end = period_bounds(d["date"], freq)
    d = pd.DataFrame({"period_start": start, "period_end": end, "variant": d[variant].astype(str)})
    d = d[d.groupby("period_start")["variant"].transform("size") >= MIN_N]
    if d.empty:
        raise no_rows(rule, f"every {FREQS[freq]} has fewer than {MIN_N} labelled models")
    g = d.groupby(["period_start", "period_end", "variant"]).size().rename("k").reset_index()
    out = g.assign(technology=rule.technology, series=rule.series, source=rule.source)
    return out[VARIANT_COUNTS.column_names].reset_index(drop=True)


def bucket(x: float, edges: list[tuple[float, str | None]]) -> str | None:
    """Label of the first (upper bound, exclusive; label) with x below the bound; None for a missing x."""
    if pd.isna(x):
        return None
    for bound, label in edges:
        if x < bound:
            return label
    return None


def series_summary(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """One note per (keys) group: rows and the first and last period."""
    return [f"{' / '.join(map(str, k))}: {len(g)} rows, {g['period_start'].min().date()} .. {g['period_end'].max().date()}"
            for k, g in frame.groupby(keys)]


def doc_rules(module_doc: str | None, *rule_docs: str | None, label: str = "") -> list[str]:
    """The written rules for data/SOURCES.md, one line per docstring paragraph: the module docstring's after its
    summary line, and every paragraph of the rule functions' docstrings; prefixed with `label` (their frame)."""
    def paras(doc):
        return [" ".join(p.split()) for p in inspect.cleandoc(doc or "").split("\n\n") if p.strip()]
    out = paras(module_doc)[1:] + [p for doc in rule_docs for p in paras(doc)]
    return [f"{label}: {p}" if label else p for p in out]
