"""Declarative table schemas and the validator every curated table passes through on load.

A schema lists columns with a kind (str, float, int, date, bool), whether missing values are
allowed, an allowed range or set, and which columns form a unique key. `validate` returns a typed
frame or raises `DataValidationError` naming file, row (1-based, header = row 1) and column.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from forecast.core.errors import DataValidationError

KINDS = ("str", "float", "int", "date", "bool")


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True  # False: missing values allowed
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    unit: str = ""
    description: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: kind must be one of {KINDS}")


@dataclasses.dataclass(frozen=True)
class TableSchema:
    name: str
    filename: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    # extra row-level checks: (description, function(frame) -> boolean Series of bad rows, column)
    checks: tuple = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _row(idx) -> int:
    # frame index is 0-based data rows; file row numbers count the header as row 1
    return int(idx) + 2


def _coerce(series: pd.Series, col: Column, file: str) -> pd.Series:
    s = series
    if col.kind == "str":
        out = s.astype("string").str.strip()
        return out.mask(out == "", pd.NA)
    if col.kind in ("float", "int"):
        out = pd.to_numeric(s, errors="coerce")
        bad = out.isna() & s.notna() & (s.astype("string").str.strip() != "")
        if bad.any():
            i = bad.idxmax()
            raise DataValidationError(f"expected a number, got {s[i]!r}", file=file, row=_row(i), column=col.name)
        if col.kind == "int":
            nonint = out.notna() & (out != np.round(out))
            if nonint.any():
                i = nonint.idxmax()
                raise DataValidationError(f"expected an integer, got {s[i]!r}", file=file, row=_row(i), column=col.name)
            return out.astype("Int64")
        return out.astype("float64")
    if col.kind == "date":
        out = pd.to_datetime(s, errors="coerce", format="ISO8601")
        bad = out.isna() & s.notna() & (s.astype("string").str.strip() != "")
        if bad.any():
            i = bad.idxmax()
            raise DataValidationError(f"expected an ISO date (YYYY-MM-DD), got {s[i]!r}", file=file, row=_row(i), column=col.name)
        return out
    if col.kind == "bool":
        m = s.astype("string").str.strip().str.lower()
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
        bad = m.notna() & ~m.isin(list(mapping))
        if bad.any():
            i = bad.idxmax()
            raise DataValidationError(f"expected true/false, got {s[i]!r}", file=file, row=_row(i), column=col.name)
        return m.map(mapping).astype("boolean")
    raise AssertionError(col.kind)


def validate(frame: pd.DataFrame, schema: TableSchema, file: str | Path | None = None) -> pd.DataFrame:
    """Check and type a raw frame against `schema`; raise DataValidationError on the first problem."""
    fname = str(file if file is not None else schema.filename)
    frame = frame.reset_index(drop=True)
    missing = [c for c in schema.column_names if c not in frame.columns]
    if missing:
        raise DataValidationError(f"missing column(s) {missing}; expected {schema.column_names}", file=fname, column=missing[0])
    extra = [c for c in frame.columns if c not in schema.column_names]
    if extra:
        raise DataValidationError(f"unexpected column(s) {extra}; expected {schema.column_names}", file=fname, column=extra[0])
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        s = _coerce(frame[col.name], col, fname)
        na = s.isna()
        if col.required and na.any():
            i = na.idxmax()
            raise DataValidationError("missing value", file=fname, row=_row(i), column=col.name)
        vals = s[~na]
        if col.kind in ("float", "int"):
            v = vals.astype(float)
            if not np.isfinite(v).all():
                i = v.index[~np.isfinite(v)][0]
                raise DataValidationError(f"non-finite value {s[i]!r}", file=fname, row=_row(i), column=col.name)
            if col.min is not None and (v < col.min).any():
                i = v.index[(v < col.min).to_numpy()][0]
                raise DataValidationError(f"value {s[i]} below minimum {col.min}{' ' + col.unit if col.unit else ''}",
                                          file=fname, row=_row(i), column=col.name)
            if col.max is not None and (v > col.max).any():
                i = v.index[(v > col.max).to_numpy()][0]
                raise DataValidationError(f"value {s[i]} above maximum {col.max}{' ' + col.unit if col.unit else ''}",
                                          file=fname, row=_row(i), column=col.name)
        if col.kind == "date":
            for bound, op in ((col.min, "before"), (col.max, "after")):
                if bound is None:
                    continue
                b = pd.Timestamp(bound) if not isinstance(bound, (int, float)) else None
                if b is None:
                    continue
                bad = vals < b if op == "before" else vals > b
                if bad.any():
                    i = bad.idxmax()
                    raise DataValidationError(f"date {s[i].date()} is {op} {b.date()}", file=fname, row=_row(i), column=col.name)
        if col.choices is not None:
            bad = ~vals.astype(str).isin(col.choices)
            if bad.any():
                i = bad.idxmax()
                raise DataValidationError(f"invalid value {s[i]!r}; valid choices: {', '.join(col.choices)}",
                                          file=fname, row=_row(i), column=col.name)
        out[col.name] = s
    if schema.key:
        dup = out.duplicated(list(schema.key), keep="first")
        if dup.any():
            i = dup.idxmax()
            first = out.index[(out[list(schema.key)] == out.loc[i, list(schema.key)]).all(axis=1)][0]
            raise DataValidationError(f"duplicate key {tuple(out.loc[i, list(schema.key)])} (first at row {_row(first)})",
                                      file=fname, row=_row(i), column=schema.key[0])
    for desc, fn, colname in schema.checks:
        bad = fn(out)
        if bad.any():
            i = bad.idxmax()
            raise DataValidationError(desc, file=fname, row=_row(i), column=colname)
    return out


def read_csv(path: str | Path, schema: TableSchema) -> pd.DataFrame:
    """Read a CSV as strings and validate it."""
    path = Path(path)
    if not path.exists():
        raise DataValidationError("file not found (run `forecast data build` to create it)", file=str(path))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"cannot parse CSV: {exc}", file=str(path)) from exc
    return validate(raw, schema, path)


def describe(schema: TableSchema) -> Iterable[str]:
    """Markdown lines documenting a schema (used in data/SOURCES.md)."""
    yield "| column | type | required | range / choices | unit | meaning |"
    yield "|---|---|---|---|---|---|"
    for c in schema.columns:
        rng = ", ".join(c.choices) if c.choices else (
            f"[{'' if c.min is None else c.min}, {'' if c.max is None else c.max}]" if (c.min is not None or c.max is not None) else "")
        yield f"| {c.name} | {c.kind} | {'yes' if c.required else 'no'} | {rng} | {c.unit} | {c.description} |"



def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame → CSV-ready text columns (ISO dates, 6 significant digits), the inverse of `validate`."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.6g}")
    return out
