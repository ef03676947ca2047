"""Paths and run settings. Everything a run depends on is in `RunConfig` and is hashed into its manifest."""
from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """The directory holding data/, priors/ and reports/ (override with FORECAST_HOME)."""
    env = os.environ.get("FORECAST_HOME")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def code_fingerprint() -> str:
    """Hash of the package's source and templates: cached figures and summaries are valid only for the code that
    made them, and a `forecast serve` process answers only callers running the same code."""
    h = hashlib.sha256()
    for f in sorted([*PACKAGE_DIR.rglob("*.py"), *PACKAGE_DIR.glob("report/templates/*")]):
        h.update(f.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def data_dir() -> Path:
    return project_root() / "data"


def priors_dir() -> Path:
    return project_root() / "priors"


def reports_dir() -> Path:
    return project_root() / "reports"


@dataclasses.dataclass(frozen=True)
class GateThresholds:
    """Diagnostics gate: a fit passes when every monitored parameter meets all three."""

    max_rhat: float = 1.01
    min_ess: float = 400.0
    max_divergences: int = 0


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Sampler settings shared by every model of a run."""

    seed: int = 20261126
    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    sampler: str = "nutpie"  # or "pymc"
    target_accept: float = 0.9
    gate: GateThresholds = dataclasses.field(default_factory=GateThresholds)
    # Forecast horizon (dates beyond are reported as "after horizon").
    horizon: str = "2032-12-31"
    as_of: str | None = None  # truncate observations to before this date (backtests)
    quiet: bool = False

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **kw) -> "RunConfig":
        return dataclasses.replace(self, **kw)


SAMPLERS = ("nutpie", "pymc")
