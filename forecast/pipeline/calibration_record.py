"""The calibration record: the latest backtest and SBC results kept beside the data, and whether they are stale.

`forecast backtest` and `forecast sbc` write their tables into `<data>/calibration/` (in the source checkout that is
the repository's `data/calibration/`, shipped with the package, so a new workspace's first report already shows
calibration). Per model the manifest records the sha256 of every file the result depended on: the model's code
(its module or sub-package, the shared model base, inference, scoring and calibration code), its data tables and its
prior files. A report marks a model's calibration stale, naming the changed files, when any of them differs now.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.core.io import sha256_file
from forecast.core.workspace import defaults_dirs

FOLDER = "calibration"
MANIFEST = "manifest.json"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# code a model's results depend on besides its own module: sampling and diagnostics, then what each kind adds
SHARED_CODE = {"backtest": ("models/base.py", "inference", "evaluation/scoring.py", "evaluation/baselines.py",
                            "evaluation/events.py", "calibration/backtest.py", "calibration/backtest_tables.py"),
               "sbc": ("models/base.py", "inference", "calibration/sbc.py")}
# how compiled code is stored and loaded across processes, never what it computes (a cached graph samples the same
# draws as a fresh compile, see tests/test_compile_cache.py): editing them does not make a result stale
RESULT_NEUTRAL = ("inference/compile_cache.py", "inference/compile_worker.py")


def store_dir(data_dir: Path | None = None) -> Path:
    """Where this workspace keeps its calibration record."""
    return Path(data_dir or config.data_dir()) / FOLDER


def read_dir(data_dir: Path | None = None) -> Path | None:
    """The record a report shows: the workspace's own, else the one shipped with the package, else None."""
    for d in (store_dir(data_dir), defaults_dirs()[0] / FOLDER):
        if (d / MANIFEST).exists():
            return d
    return None


def _py_files(rel: str) -> list[Path]:
    p = PACKAGE_DIR / rel
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


def code_files(model: str, kind: str) -> list[Path]:
    """The source files a model's `kind` ("backtest" or "sbc") results depend on."""
    from forecast.models.registry import REGISTRY
    src = Path(inspect.getsourcefile(REGISTRY[model])).resolve()
    own = sorted(src.parent.rglob("*.py")) if src.parent.name != "models" else [src]
    neutral = {PACKAGE_DIR / rel for rel in RESULT_NEUTRAL}
    return own + [f for rel in SHARED_CODE[kind] for f in _py_files(rel) if f not in neutral]


def input_files(model: str, data_dir: Path, priors_dir: Path) -> list[Path]:
    """The data tables and prior files a model reads."""
    from forecast.models.registry import REGISTRY
    cls = REGISTRY[model]
    tables = [Path(data_dir) / f"{t}.csv" for t in cls.tables]
    priors = [Path(priors_dir) / f"{model}.yaml", *(Path(priors_dir) / f for f in getattr(cls, "prior_files", ()))]
    return tables + priors


def fingerprints(model: str, kind: str, data_dir: Path | None = None, priors_dir: Path | None = None) -> dict[str, str]:
    """{label: sha256} of every file the model's `kind` results depend on (labels: `code/...`, `data/...`, `priors/...`)."""
    from forecast.models.registry import REGISTRY
    data_dir, priors_dir = Path(data_dir or config.data_dir()), Path(priors_dir or config.priors_dir())
    out = {}
    for up in REGISTRY[model].requires:  # a model fitted on another's posterior depends on that one's files too
        out.update(fingerprints(up, kind, data_dir, priors_dir))
    for f in code_files(model, kind):
        out["code/" + f.relative_to(PACKAGE_DIR).as_posix()] = sha256_file(f)
    for f in input_files(model, data_dir, priors_dir):
        out[f"{f.parent.name}/{f.name}"] = sha256_file(f) if f.exists() else "missing"
    return out


def changed_files(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Files whose hash differs (or that appeared or vanished) between a record and now (result-neutral code aside)."""
    neutral = {f"code/{rel}" for rel in RESULT_NEUTRAL}
    return sorted(k for k in (set(recorded) | set(current)) - neutral if recorded.get(k) != current.get(k))


def read_manifest(d: Path | None) -> dict:
    p = Path(d) / MANIFEST if d else None
    return json.loads(p.read_text()) if p and p.exists() else {}


def read_table(d: Path | None, name: str) -> pd.DataFrame:
    """A table of the record (empty when absent)."""
    if d is None:
        return pd.DataFrame()
    for p in (Path(d) / f"{name}.csv", Path(d) / f"{name}.csv.gz"):
        if p.exists():
            try:
                return pd.read_csv(p)
            except pd.errors.EmptyDataError:  # a table written with no rows (e.g. nothing skipped)
                return pd.DataFrame()
    return pd.DataFrame()


def staleness(kind: str, data_dir: Path | None = None, priors_dir: Path | None = None, d: Path | None = None) -> dict[str, list[str]]:
    """Per model recorded under `kind` ("backtest" or "sbc"): the files changed since (empty list: current)."""
    d = d or read_dir(data_dir)
    man = read_manifest(d).get(kind, {})
    from forecast.models.registry import REGISTRY
    return {m: (changed_files(entry.get("files", {}), fingerprints(m, kind, data_dir, priors_dir)) if m in REGISTRY else ["model removed"])
            for m, entry in man.items()}
