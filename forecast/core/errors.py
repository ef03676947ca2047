"""Typed errors raised at the edges. Each names the file, row/key and column it is about."""
from __future__ import annotations


class ForecastError(Exception):
    """Base class: the CLI prints these in one line and exits non-zero."""

    exit_code = 2


class DataValidationError(ForecastError):
    """A data table (curated CSV, evidence row) failed validation."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column, self.detail = file, row, column, message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class PriorSpecError(ForecastError):
    """A prior YAML entry is malformed (unknown distribution, bad parameter, missing source)."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.file, self.key, self.detail = file, key, message
        where = ", ".join(x for x in (f"file {file}" if file else "", f"key {key!r}" if key else "") if x)
        super().__init__(f"{where}: {message}" if where else message)


class MilestoneSpecError(PriorSpecError):
    """data/milestones.yaml has an invalid record or predicate."""


class EvidenceError(DataValidationError):
    """An evidence row was rejected; nothing was written."""


class RunError(ForecastError):
    """A run directory is missing, incomplete or inconsistent."""


class SamplingError(ForecastError):
    """The sampler failed to produce draws."""
