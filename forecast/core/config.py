"""Paths (those of the current workspace: `forecast.core.workspace`) and run settings. Everything a run depends on
is in `RunConfig` and is hashed into its manifest."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from forecast.core import workspace

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """The folder holding data/ and priors/: the current workspace's root (see `forecast.core.workspace`), or
    outside any workspace the folder of the package's embedded defaults."""
    ws = workspace.current()
    return ws.root if ws.root is not None else ws.data.parent


def code_fingerprint() -> str:
    """Hash of the package's source and templates: cached figures and summaries are valid only for the code that
    made them, and a `forecast serve` process answers only callers running the same code."""
    h = hashlib.sha256()
    for f in sorted([*PACKAGE_DIR.rglob("*.py"), *PACKAGE_DIR.glob("report/templates/*")]):
        h.update(f.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def data_dir() -> Path:
    """The current workspace's tables (outside any workspace: the embedded defaults, read-only)."""
    return workspace.current().data


def writable_data_dir(what: str = "writing data tables") -> Path:
    """The current workspace's tables; outside any workspace an error saying to run `forecast init` (the embedded
    defaults are never written)."""
    return workspace.require(what).data


def priors_dir() -> Path:
    return workspace.current().priors


def reports_dir() -> Path:
    """The current workspace's reports/ (outside any workspace: ./reports)."""
    return workspace.current().reports


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
