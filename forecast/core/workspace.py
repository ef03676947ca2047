"""Where a command reads its tables, priors and evidence and writes its reports: the workspace.

A workspace is a folder with a `forecast.toml` marker (created by `forecast init`); the source checkout is one too.
The current workspace is, in this order:

1. `--workspace DIR` (set for one command with `override`),
2. the `FORECAST_HOME` environment variable,
3. the nearest folder holding `forecast.toml`, walking up from the current folder (as git and pytest find theirs),
4. none: the package's embedded defaults (package data, read with `importlib.resources`), read-only, and
   reports in `./reports`.

An explicit folder (1, 2) without `forecast.toml` is accepted when it holds `data/` (the layout of a workspace),
with the default settings. Everything is resolved on each call, so a long-lived `forecast serve` process follows
each command's working folder and environment.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import importlib.resources
import os
import tomllib
from pathlib import Path
from typing import Iterator

from forecast.core.errors import ForecastError

MARKER = "forecast.toml"
ENV_HOME = "FORECAST_HOME"
DISTRIBUTION = "convergence-forecast"
PATH_KEYS = ("data", "priors", "reports", "vintages")
DEFAULT_PATHS = {"data": "data", "priors": "priors", "reports": "reports", "vintages": "vintages"}
DEFAULT_BUILD_FROM = "../shared/data"

_override: contextvars.ContextVar[Path | None] = contextvars.ContextVar("forecast_workspace", default=None)


class WorkspaceError(ForecastError):
    """No usable workspace for a command that needs one, or an invalid `forecast.toml`."""


@dataclasses.dataclass(frozen=True)
class Workspace:
    root: Path | None  # None: no workspace, the embedded defaults
    data: Path
    priors: Path
    reports: Path
    vintages: Path | None
    found_by: str  # "--workspace", "FORECAST_HOME", "forecast.toml above the current folder", "embedded defaults"
    settings: dict = dataclasses.field(default_factory=dict, compare=False)

    @property
    def writable(self) -> bool:
        return self.root is not None

    @property
    def marker(self) -> Path | None:
        return self.root / MARKER if self.root is not None else None

    @property
    def build_from(self) -> Path:
        """Default source folder of `forecast data build` (setting `[data] build_from`, relative to the root)."""
        rel = self.settings.get("data", {}).get("build_from", DEFAULT_BUILD_FROM)
        return ((self.root or Path.cwd()) / rel).resolve()

    @property
    def sources(self) -> dict[str, str]:
        """URL of each input file of the curated tables (`[sources]`, keyed by its path under the shared data folder)."""
        return dict(self.settings.get("sources", {}))

    def describe(self) -> str:
        """One line: which workspace and data a command uses."""
        ver = f"{DISTRIBUTION} {package_version()}, data {data_version(self.data, self.priors)}"
        if self.root is None:
            return (f"workspace: none, the embedded defaults of {ver} (read-only, {self.data.parent}); "
                    f"reports in {self.reports}")
        return f"workspace: {self.root} ({self.found_by}); {ver}"

    def to_dict(self) -> dict:
        return {"root": str(self.root) if self.root else None, "found_by": self.found_by, "data_dir": str(self.data),
                "priors_dir": str(self.priors), "reports_dir": str(self.reports)}


# ---------------------------------------------------------------- embedded defaults


def defaults_dirs() -> tuple[Path, Path]:
    """(data, priors) folders of the defaults shipped in the package (`forecast.defaults`).

    In a wheel they are package data; in the source checkout `forecast/defaults/data` and `priors` link to the
    repository's own `data/` and `priors/`, so an editable install reads (and `forecast data build` writes) those."""
    pkg = Path(str(importlib.resources.files("forecast.defaults")))
    data, priors = pkg / "data", pkg / "priors"
    if not data.is_dir():  # a checkout whose links were not created (e.g. symlinks disabled in git): its own folders
        data, priors = pkg.parents[1] / "data", pkg.parents[1] / "priors"
    return data.resolve(), priors.resolve()


@functools.lru_cache(maxsize=1)
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree on sys.path without installing it
        return "0+unknown"


def data_files(data: Path, priors: Path) -> list[Path]:
    """The files a data version covers: curated tables, milestone definitions, priors (not logs or vintages)."""
    data, priors = Path(data), Path(priors)
    tables = [p for p in data.glob("*.csv") if p.name != "resolutions.csv"]
    return sorted(tables + [data / "milestones.yaml"]) + sorted(priors.glob("*.yaml"))


def data_version(data: Path, priors: Path) -> str:
    """12 hex digits of sha256 over the tables, milestones and priors (names and contents)."""
    files = [p for p in data_files(data, priors) if p.exists()]
    stamp = tuple((str(p), st.st_size, st.st_mtime_ns, st.st_ino) for p in files for st in [p.stat()])
    return _data_version(stamp)


@functools.lru_cache(maxsize=64)
def _data_version(stamp: tuple) -> str:
    h = hashlib.sha256()
    for path, *_ in stamp:
        p = Path(path)
        h.update(f"{p.parent.name}/{p.name}".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:12]


# ---------------------------------------------------------------- discovery


@contextlib.contextmanager
def override(path: str | Path | None) -> Iterator[None]:
    """Use the workspace at `path` (if given) for the duration of one command (`--workspace`)."""
    token = _override.set(Path(path).expanduser().resolve() if path else None)
    try:
        yield
    finally:
        _override.reset(token)


def find_marker(start: Path) -> Path | None:
    """The nearest folder holding `forecast.toml`, from `start` up to the file-system root."""
    start = Path(start).resolve()
    for d in (start, *start.parents):
        if (d / MARKER).is_file():
            return d
    return None


def current() -> Workspace:
    """The workspace of the command being run (see the module docstring)."""
    if (explicit := _override.get()) is not None:
        return _open(explicit, "--workspace")
    if env := os.environ.get(ENV_HOME):
        return _open(Path(env).expanduser().resolve(), ENV_HOME)
    root = find_marker(Path.cwd())
    if root is not None:
        return _open(root, "forecast.toml above the current folder" if root != Path.cwd().resolve() else "forecast.toml in the current folder")
    data, priors = defaults_dirs()
    return Workspace(None, data, priors, Path.cwd().resolve() / "reports", None, "embedded defaults")


def _open(root: Path, found_by: str) -> Workspace:
    if not root.is_dir():
        raise WorkspaceError(f"workspace {root} ({found_by}): not a folder")
    marker = root / MARKER
    if marker.is_file():
        settings = read_settings(marker)
    elif (root / "data").is_dir():
        settings = {}
    else:
        raise WorkspaceError(f"workspace {root} ({found_by}): no {MARKER} in it; run `forecast init {root}` to create one")
    paths = {k: (root / settings.get("paths", {}).get(k, DEFAULT_PATHS[k])).resolve() for k in PATH_KEYS}
    return Workspace(root, paths["data"], paths["priors"], paths["reports"], paths["vintages"], found_by, settings)


def read_settings(marker: Path) -> dict:
    """Parse and check `forecast.toml`; an error names the file and the key."""
    try:
        doc = tomllib.loads(marker.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"file {marker}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"file {marker}: invalid TOML ({exc})") from None
    for section in ("workspace", "paths", "data", "sources"):
        if not isinstance(doc.get(section, {}), dict):
            raise WorkspaceError(f"file {marker}, key {section!r}: must be a table ([{section}])")
    for k, v in doc.get("paths", {}).items():
        if k not in PATH_KEYS or not isinstance(v, str) or not v.strip():
            raise WorkspaceError(f"file {marker}, key 'paths.{k}': valid keys are {', '.join(PATH_KEYS)}, each a folder name")
    for k, v in doc.get("sources", {}).items():
        if not isinstance(v, str) or not v.startswith(("https://", "http://", "file://")):
            raise WorkspaceError(f"file {marker}, key 'sources.{k}': must be an http(s):// or file:// URL")
    if not isinstance(doc.get("data", {}).get("build_from", ""), str):
        raise WorkspaceError(f"file {marker}, key 'data.build_from': must be a folder path")
    return doc


def require(what: str) -> Workspace:
    """The current workspace; outside any, a one-line error saying to run `forecast init`."""
    ws = current()
    if ws.root is None:
        raise WorkspaceError(f"{what} needs a workspace, and {Path.cwd()} is not in one (no {MARKER} here or above); "
                             f"run `forecast init` to create one here, or pass --workspace DIR")
    return ws


def provenance(data_dir: Path | None = None) -> dict:
    """What a run's manifest records about where its inputs came from (`data_dir`: the run's explicit data folder)."""
    ws = current()
    data = Path(data_dir).resolve() if data_dir else ws.data
    priors = data.parent / "priors" if data_dir else ws.priors
    where = ws.to_dict() | {"data_dir": str(data), "priors_dir": str(priors)}
    return {"workspace": where, "package_version": package_version(), "data_version": data_version(data, priors)}
