"""`forecast init`: a new workspace, with editable copies of the embedded defaults.

A workspace holds `forecast.toml` (its settings, and the marker commands find it by), `data/` (the curated
tables, milestones.yaml, SOURCES.md and an empty evidence log), `priors/` and `reports/`. Everything is staged in a
temporary folder inside the target and moved into place, the marker last: a failed init leaves no workspace
behind (and nothing it created).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

from forecast.core.io import atomic_write_text
from forecast.core.workspace import (DEFAULT_BUILD_FROM, DEFAULT_PATHS, MARKER, WorkspaceError, data_version,
                                     defaults_dirs, package_version)
from forecast.data.evidence import EVIDENCE

# user logs that live beside the tables and never ship with the defaults or into a new workspace
LOGS = ("resolutions.csv",)


def default_files() -> tuple[list[Path], list[Path]]:
    """The embedded defaults a workspace gets a copy of: (data files, prior files)."""
    data, priors = defaults_dirs()
    tables = [p for p in sorted(data.glob("*.csv")) if p.name not in LOGS]
    extra = [data / n for n in ("milestones.yaml", "SOURCES.md") if (data / n).exists()]
    return tables + extra, sorted(priors.glob("*.yaml"))


def settings_text(*, checkout: bool = False, now: dt.datetime | None = None) -> str:
    """The text of a new `forecast.toml` (with `checkout=True`: the one at the root of the source checkout)."""
    from forecast.data.refresh import DEFAULT_SOURCES
    if checkout:
        head = ["# The source checkout is a forecast workspace too: `forecast` commands run in it (or below it) read and",
                "# write its data/, priors/ and reports/. Its data/ and priors/ are the package's embedded defaults",
                "# (forecast/defaults links to them and pyproject.toml ships their files in the wheel), so",
                "# `forecast data build` and `forecast data refresh` here rebuild the tables the package ships.",
                "", "[workspace]", 'kind = "checkout"']
    else:
        now = now or dt.datetime.now(dt.timezone.utc)
        data, priors = defaults_dirs()
        head = ["# A forecast workspace: `forecast` commands run in this folder or below it (or given it with",
                "# --workspace DIR or FORECAST_HOME) read the tables, priors and evidence here and write their reports here.",
                "", "[workspace]",
                f"created = {json.dumps(now.isoformat(timespec='seconds'))}",
                f"package_version = {json.dumps(package_version())}  # the package that created it",
                f"defaults_data_version = {json.dumps(data_version(data, priors))}  # the embedded defaults it copied"]
    lines = head + [
        "", "[paths]  # folders, relative to this file",
        f'data = "{DEFAULT_PATHS["data"]}"          # tables (*.csv), milestones.yaml, SOURCES.md, evidence/evidence.csv, resolutions.csv',
        f'priors = "{DEFAULT_PATHS["priors"]}"      # one YAML per model, technologies.yaml, levels.yaml',
        f'reports = "{DEFAULT_PATHS["reports"]}"    # one folder per run, latest -> the newest, history.csv',
        f'vintages = "{DEFAULT_PATHS["vintages"]}"  # `forecast data refresh`: every download, by date, with its sha256',
        "", "[data]",
        f"build_from = {json.dumps(DEFAULT_BUILD_FROM)}  # `forecast data build` without --from (relative to this file)",
        "", "# `forecast data refresh`: the URL each input of the curated tables is downloaded from, keyed by its path",
        "# in the build_from folder. Inputs without a URL (counts derived from git histories) keep their last vintage.",
        "[sources]",
    ] + [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in DEFAULT_SOURCES.items()]
    return "\n".join(lines) + "\n"


def init_workspace(target: str | Path) -> Path:
    """Create a workspace in `target` (created if missing); returns its root. Refuses to overwrite anything."""
    target = Path(target).expanduser().resolve()
    if (target / MARKER).exists():
        raise WorkspaceError(f"{target} is already a workspace ({target / MARKER} exists); nothing written")
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} exists and is not a folder; nothing written")
    for name in (DEFAULT_PATHS["data"], DEFAULT_PATHS["priors"]):
        p = target / name
        if p.exists() and (not p.is_dir() or any(p.iterdir())):
            raise WorkspaceError(f"{p} exists and is not empty; `forecast init` copies the default {name} there, "
                                 f"so move it away first; nothing written")
    data_files, prior_files = default_files()
    created_target = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    moved: list[Path] = []
    stage = Path(tempfile.mkdtemp(prefix=".forecast-init.", dir=target))
    try:
        (stage / "data" / "evidence").mkdir(parents=True)
        (stage / "priors").mkdir()
        for f in data_files:
            shutil.copyfile(f, stage / "data" / f.name)
        for f in prior_files:
            shutil.copyfile(f, stage / "priors" / f.name)
        (stage / "data" / EVIDENCE.filename).write_text(",".join(EVIDENCE.column_names) + "\n")
        for name in (DEFAULT_PATHS["data"], DEFAULT_PATHS["priors"]):
            if (target / name).is_dir():
                (target / name).rmdir()  # empty (checked above)
            os.replace(stage / name, target / name)
            moved.append(target / name)
        reports = target / DEFAULT_PATHS["reports"]
        if not reports.exists():
            reports.mkdir()
            moved.append(reports)
        atomic_write_text(target / MARKER, settings_text())  # the marker last: only a complete workspace has one
    except BaseException:
        for p in moved:
            shutil.rmtree(p, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created_target and not (target / MARKER).exists():
            with contextlib.suppress(OSError):
                target.rmdir()
    return target
