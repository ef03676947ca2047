"""What a builder of a curated table declares: the input files it reads and the function that builds the table."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import pandas as pd


@dataclasses.dataclass
class Input:
    """One file read from the shared data directory."""

    relpath: str  # relative to the shared data dir, e.g. "chinchilla/svg_extracted_data.csv"
    license: str
    origin: str  # who published it (repository / organization, commit)


@dataclasses.dataclass
class BuildResult:
    frame: pd.DataFrame
    rules: list[str]  # filters, dedup rules, unit conversions, written down for SOURCES.md
    notes: list[str] = dataclasses.field(default_factory=list)  # e.g. unmatched rows listed


@dataclasses.dataclass
class Builder:
    table: str  # key in forecast.data.tables.TABLES
    inputs: tuple[Input, ...]
    build: Callable[[Path, dict], BuildResult]  # (shared_data_dir, already_built frames) -> result


def unique_inputs(*groups: tuple[Input, ...]) -> tuple[Input, ...]:
    """The inputs of several groups, each file once (the first declaration wins)."""
    seen: dict[str, Input] = {}
    for group in groups:
        for inp in group:
            seen.setdefault(inp.relpath, inp)
    return tuple(seen.values())
