"""Re-runnable builders of the curated tables in data/ from the fetched datasets in ../shared/data.

Each builder module exposes `BUILDER = Builder(...)` (see `base`); `build_all` runs them, validates every output
against its schema (forecast.data.tables), writes the CSVs atomically and regenerates data/SOURCES.md
with input sha256s, licenses, rules and row counts. Nothing is written if any builder fails.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.core.errors import DataValidationError
from forecast.core.io import atomic_write_csv, atomic_write_text, sha256_file
from forecast.data.schema import describe, format_frame, validate
from forecast.data.build import adoption, benchmark_spread, benchmarks, epoch_models, hardware, scaling_runs, variant_counts
from forecast.data.build.base import Builder, BuildResult
from forecast.data.tables import TABLES

# in build order: later builders may read earlier outputs from `built`
BUILDERS: tuple[Builder, ...] = (scaling_runs.BUILDER, epoch_models.BUILDER, benchmarks.BUILDER, benchmark_spread.BUILDER,
                                 adoption.BUILDER, variant_counts.BUILDER, hardware.BUILDER)
from forecast.data.build import market_vintages  # noqa: E402
BUILDERS += (market_vintages.BUILDER,)




def build_all(shared_data: str | Path, out_dir: str | Path | None = None, only: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Build every curated table; validate all before writing any."""
    shared_data = Path(shared_data)
    # the current workspace's tables (in the checkout: the package's embedded ones); never an installed package's
    out_dir = Path(out_dir or config.writable_data_dir("forecast data build"))
    if not shared_data.is_dir():
        raise DataValidationError("shared data directory not found", file=str(shared_data))
    built: dict[str, pd.DataFrame] = {}
    results: dict[str, tuple[Builder, BuildResult, dict]] = {}
    for b in BUILDERS:
        if only and b.table not in only:
            continue
        hashes = {}
        for inp in b.inputs:
            p = shared_data / inp.relpath
            if not p.exists():
                raise DataValidationError("input file missing", file=str(p))
            hashes[inp.relpath] = sha256_file(p)
        res = b.build(shared_data, built)
        schema = TABLES[b.table]
        frame = res.frame[schema.column_names]
        validate(frame.astype(object).where(frame.notna(), None), schema, f"<built {schema.filename}>")
        built[b.table] = frame
        results[b.table] = (b, res, hashes)
    for table, frame in built.items():
        atomic_write_csv(out_dir / TABLES[table].filename, format_frame(frame))
    _write_sources(out_dir, results)
    return built


def _write_sources(out_dir: Path, results: dict) -> None:
    path = out_dir / "SOURCES.md"
    # keep sections of tables not rebuilt this time
    sections: dict[str, str] = {}
    if path.exists():
        text = path.read_text()
        for chunk in text.split("\n## ")[1:]:
            name = chunk.split("\n", 1)[0].strip().strip("`").removesuffix(".csv")
            sections[name] = "## " + chunk.rstrip() + "\n"
    for table, (b, res, hashes) in results.items():
        schema = TABLES[table]
        lines = [f"## `{schema.filename}`", "", schema.description, "",
                 f"Rows: {len(res.frame)}. Built by `forecast data build` (module `forecast/data/build/{_module_of(b)}.py`).", "",
                 "Inputs:", ""]
        for inp in b.inputs:
            lines.append(f"- `../shared/data/{inp.relpath}` — {inp.origin}; license: {inp.license}; sha256 `{hashes[inp.relpath]}`")
        lines += ["", "Rules:", ""] + [f"- {r}" for r in res.rules]
        if res.notes:
            lines += ["", "Notes:", ""] + [f"- {n}" for n in res.notes]
        lines += ["", "Columns:", ""] + list(describe(schema)) + [""]
        sections[table] = "\n".join(lines)
    order = [t for t in TABLES if t in sections] + [t for t in sections if t not in TABLES]
    head = ("# Data sources\n\nCurated tables in `data/`, each rebuilt from the fetched public datasets in "
            "`../shared/data` by `forecast data build --from ../shared/data`. Facts and figures only; no source file is copied.\n")
    atomic_write_text(path, head + "\n" + "\n".join(sections[t] for t in order))


def _module_of(b: Builder) -> str:
    return b.build.__module__.rsplit(".", 1)[-1]
