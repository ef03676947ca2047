"""Schemas of the curated tables in data/. One entry per table; loaders go through `load_table`."""
from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.data.schema import Column, TableSchema, read_csv
from forecast.data.technologies import load_technologies

@dataclasses.dataclass(frozen=True)
class Frame:
    """A sampling frame of the pyramid series: the population its models are drawn from and the dates it can hold."""

    start: str  # first date a model of the frame can carry (the population's definition starts here)
    end: str  # the vintage: when the source file was fetched; a later date cannot be an observation
    population: str


# One entry per series of the pyramid tables; rows of these series must lie (overlap) within the frame's dates.
FRAMES: dict[str, Frame] = {
    "hf_open_llm_releases": Frame("2022-03-03", "2026-05-12", "open-weight LLM releases in the llmfit Hugging Face lists "
                                  "(2026-03 and 2026-05 vintages joined); Hub dates start after the 2022-03-02 migration"),
    "llm_architecture_gallery": Frame("2018-01-01", "2026-05-29", "notable LLM architectures of the LLM Architecture Gallery"),
    "epoch_notable_language_models": Frame("2018-01-01", "2026-03-30", "Epoch AI notable models whose domain lists Language"),
    "epoch_all_language_models": Frame("2018-01-01", "2026-03-30", "Epoch AI models (all tracked) whose domain lists Language"),
    "epoch_benchmarking_hub": Frame("2018-01-01", "2025-11-21", "model versions scored in Epoch's Benchmarking Hub"),
    "epoch_open_models": Frame("2018-01-01", "2024-11-05", "models of Epoch's open-vs-closed benchmark table"),
    "open_llm_leaderboard_v2": Frame("2022-03-03", "2025-03-21", "models of the HF Open LLM Leaderboard v2"),
}


def _frame_bound(series: pd.Series, attr: str) -> pd.Series:
    return pd.to_datetime(series.map(lambda s: getattr(FRAMES[s], attr) if s in FRAMES else None))


def outside_frame(f: pd.DataFrame) -> pd.Series:
    """Rows of a known frame whose period does not overlap the frame's dates."""
    return ((f["period_end"] < _frame_bound(f["series"], "start"))
            | (f["period_start"] > _frame_bound(f["series"], "end"))).fillna(False).astype(bool)


def unknown_technology(f: pd.DataFrame) -> pd.Series:
    """Rows whose technology is not in the registry (priors/technologies.yaml), read when the table is validated."""
    return ~f["technology"].astype(str).isin(load_technologies().ids)


SCALING_RUNS = TableSchema(
    name="scaling_runs",
    filename="scaling_runs.csv",
    description="Digitized Chinchilla training runs (Hoffmann et al. 2022, Fig. 4) with D = C/(6N).",
    columns=(
        Column("run_id", "int", min=0, description="row number in the digitized source"),
        Column("params", "float", min=1e6, max=1e13, unit="parameters", description="model size N"),
        Column("tokens", "float", min=1e7, max=1e14, unit="tokens", description="training tokens D = C/(6N)"),
        Column("compute", "float", min=1e15, max=1e27, unit="FLOP", description="training compute C"),
        Column("loss", "float", min=1.0, max=10.0, unit="nats/token", description="final training loss"),
    ),
    key=("run_id",),
    checks=(
        ("compute differs from 6·N·D by more than 1%", lambda f: ((f["compute"] / (6 * f["params"] * f["tokens"])) - 1).abs() > 0.01, "compute"),
    ),
)

ACCESSIBILITY = ("open", "closed", "unknown")

MODELS = TableSchema(
    name="models",
    filename="models.csv",
    description="One row per notable AI model (Epoch AI), deduplicated across Epoch tables.",
    columns=(
        Column("model", "str", description="model name as in Epoch"),
        Column("organization", "str", required=False, description="developer organization(s), comma-separated"),
        Column("publication_date", "date", min="1950-01-01", description="publication / release date"),
        Column("parameters", "float", required=False, min=1.0, max=1e15, unit="parameters"),
        Column("active_parameters", "float", required=False, min=1.0, max=1e15, unit="parameters",
               description="parameters active per token (MoE); equals parameters for dense models when known"),
        Column("training_compute", "float", required=False, min=1.0, max=1e30, unit="FLOP"),
        Column("training_tokens", "float", required=False, min=1.0, max=1e16, unit="tokens / datapoints"),
        Column("accessibility", "str", choices=ACCESSIBILITY, description="open weights vs closed"),
        Column("domain", "str", required=False, description="Epoch domain(s), e.g. Language"),
        Column("source", "str", description="which Epoch table(s) the row came from"),
    ),
    key=("model",),
    checks=(
        ("active_parameters exceeds parameters", lambda f: (f["active_parameters"] > f["parameters"] * 1.0001).fillna(False).astype(bool), "active_parameters"),
    ),
)

ADOPTION_KINDS = ("count", "elicited", "ecosystem_count")

ADOPTION_OBSERVATIONS = TableSchema(
    name="adoption_observations",
    filename="adoption_observations.csv",
    description="Per-technology adoption observations: counted (k of n new models), elicited shares, ecosystem counts.",
    columns=(
        Column("technology", "str", description="technology id from priors/technologies.yaml"),
        Column("kind", "str", choices=ADOPTION_KINDS),
        Column("period_start", "date", min="2015-01-01"),
        Column("period_end", "date", min="2015-01-01"),
        Column("k", "int", required=False, min=0, description="count: models with the feature; ecosystem_count: listed items"),
        Column("n", "int", required=False, min=1, description="count: models in the sampling frame"),
        Column("share", "float", required=False, min=0.0, max=1.0, description="elicited share (point)"),
        Column("share_lo", "float", required=False, min=0.0, max=1.0, description="elicited 80% lower bound"),
        Column("share_hi", "float", required=False, min=0.0, max=1.0, description="elicited 80% upper bound"),
        Column("series", "str", description="frame or list the row counts (e.g. hf_open_llm_architectures)"),
        Column("source", "str", description="citation: dataset or seed file + section"),
    ),
    key=("technology", "kind", "series", "period_start"),
    checks=(
        ("k greater than n", lambda f: (f["k"] > f["n"]).fillna(False).astype(bool), "k"),
        ("period_end before period_start", lambda f: f["period_end"] < f["period_start"], "period_end"),
        ("count row needs k and n", lambda f: (f["kind"] == "count") & (f["k"].isna() | f["n"].isna()), "n"),
        ("elicited row needs share, share_lo, share_hi", lambda f: (f["kind"] == "elicited") & (f["share"].isna() | f["share_lo"].isna() | f["share_hi"].isna()), "share"),
        ("elicited interval must satisfy share_lo <= share <= share_hi", lambda f: (f["kind"] == "elicited") & ((f["share_lo"] > f["share"]) | (f["share"] > f["share_hi"])).fillna(False).astype(bool), "share_lo"),
        ("ecosystem_count row needs k", lambda f: (f["kind"] == "ecosystem_count") & f["k"].isna(), "k"),
        ("period outside the frame's dates (FRAMES in forecast/data/tables.py)", outside_frame, "period_start"),
    ),
)

_PERIOD_CHECKS = (
    ("period_end before period_start", lambda f: f["period_end"] < f["period_start"], "period_end"),
    ("series is not a frame of the pyramid tables (FRAMES in forecast/data/tables.py)",
     lambda f: ~f["series"].astype(str).isin(list(FRAMES)), "series"),
    ("period outside the frame's dates (FRAMES in forecast/data/tables.py)", outside_frame, "period_start"),
)

# a period of the pyramid tables: a quarter, half-year or year (period_end inclusive)
_PERIOD_COLUMNS = (Column("period_start", "date", min="2015-01-01"), Column("period_end", "date", min="2015-01-01"))

VARIANT_COUNTS = TableSchema(
    name="variant_counts",
    filename="variant_counts.csv",
    description="Per technology, frame and period: how many adopting models use each variant (for standardization "
                "and controversy).",
    columns=(
        Column("technology", "str", description="technology id from priors/technologies.yaml"),
        Column("series", "str", description="sampling frame (FRAMES in forecast/data/tables.py)"),
        *_PERIOD_COLUMNS,
        Column("variant", "str", description="variant label (e.g. GQA, nvidia, a family or a size bucket)"),
        Column("k", "int", min=0, description="adopting models in the period that use the variant"),
        Column("source", "str", description="citation: dataset and file"),
    ),
    key=("technology", "series", "period_start", "variant"),
    checks=(("technology not in priors/technologies.yaml", unknown_technology, "technology"),) + _PERIOD_CHECKS,
)

BENCHMARK_SPREAD = TableSchema(
    name="benchmark_spread",
    filename="benchmark_spread.csv",
    description="Per benchmark and half-year: the spread of the top-k scores in the pool of models released on or "
                "before period_end, and the best open-weight vs closed score.",
    columns=(
        Column("benchmark", "str", description="benchmark (hub table, Epoch run task, or leaderboard column)"),
        *_PERIOD_COLUMNS,
        Column("k", "int", min=2, description="top-k: the spread is best minus k-th best"),
        Column("spread_pp", "float", min=0.0, max=100.0, unit="percentage points", description="best minus k-th best score"),
        Column("top_score", "float", min=0.0, max=100.0, unit="percent", description="best score in the pool"),
        Column("n_models", "int", min=2, description="distinct models in the pool"),
        Column("n_new", "int", min=0, description="models that entered the pool in this half-year"),
        Column("open_top", "float", required=False, min=0.0, max=100.0, unit="percent", description="best open-weight score"),
        Column("closed_top", "float", required=False, min=0.0, max=100.0, unit="percent", description="best closed score"),
        Column("open_closed_gap_pp", "float", required=False, min=-100.0, max=100.0, unit="percentage points",
               description="closed_top minus open_top"),
        Column("series", "str", description="frame (FRAMES in forecast/data/tables.py)"),
        Column("source", "str"),
    ),
    key=("series", "benchmark", "period_start"),
    checks=_PERIOD_CHECKS + (
        ("n_models below k", lambda f: f["n_models"] < f["k"], "n_models"),
        ("n_new above n_models", lambda f: f["n_new"] > f["n_models"], "n_new"),
        ("spread_pp above top_score", lambda f: f["spread_pp"] > f["top_score"] + 1e-9, "spread_pp"),
        ("open_closed_gap_pp differs from closed_top - open_top",
         lambda f: ((f["open_closed_gap_pp"] - (f["closed_top"] - f["open_top"])).abs() > 1e-3).fillna(False).astype(bool)
         | (f["open_closed_gap_pp"].isna() & f["open_top"].notna() & f["closed_top"].notna()), "open_closed_gap_pp"),
    ),
)


BENCHMARKS = TableSchema(
    name="benchmarks",
    filename="benchmarks.csv",
    description="Long-format benchmark scores of base models with dates and sizes (for the Densing law).",
    columns=(
        Column("model", "str"),
        Column("date", "date", min="2018-01-01"),
        Column("date_kind", "str", choices=("release", "hub_upload", "evaluation")),
        Column("parameters", "float", min=1e6, max=1e13, unit="parameters"),
        Column("active_parameters", "float", min=1e6, max=1e13, unit="parameters"),
        Column("benchmark", "str"),
        Column("score", "float", min=0.0, max=1.0, unit="fraction correct"),
        Column("open_weights", "bool", required=False),
        Column("source", "str"),
    ),
    key=("model", "benchmark", "source"),
)

HARDWARE_PRECISIONS = ("tensor16", "fp32")

HARDWARE = TableSchema(
    name="hardware",
    filename="hardware.csv",
    description="ML accelerators (Epoch AI 'Machine Learning Hardware'): release date, peak FLOP/s by precision, launch price.",
    columns=(
        Column("hardware", "str", description="accelerator name as in Epoch"),
        Column("manufacturer", "str", required=False),
        Column("type", "str", required=False, description="Epoch type (GPU, TPU, NPU, ...)"),
        Column("release_date", "date", min="2000-01-01"),
        Column("flops_16bit", "float", required=False, min=1e9, max=1e18, unit="FLOP/s",
               description="dense Tensor-FP16/BF16 peak (tensor/matrix units)"),
        Column("flops_fp32", "float", required=False, min=1e9, max=1e18, unit="FLOP/s", description="FP32 (single precision) peak"),
        Column("price_usd", "float", required=False, min=10.0, max=1e7, unit="USD", description="release (launch) price"),
        Column("flops_per_dollar", "float", required=False, min=1e5, max=1e14, unit="FLOP/s per USD",
               description="best ML precision FLOP/s (16-bit tensor if known, else FP32) / price_usd"),
        Column("precision", "str", required=False, choices=HARDWARE_PRECISIONS,
               description="which FLOP/s flops_per_dollar uses"),
        Column("tdp_w", "float", required=False, min=0.1, max=1e5, unit="W", description="rated power (TDP)"),
    ),
    key=("hardware",),
    checks=(
        ("neither flops_16bit nor flops_fp32 given", lambda f: f["flops_16bit"].isna() & f["flops_fp32"].isna(), "flops_fp32"),
        ("flops_per_dollar given without price_usd and precision",
         lambda f: f["flops_per_dollar"].notna() & (f["price_usd"].isna() | f["precision"].isna()), "flops_per_dollar"),
        ("flops_per_dollar differs from FLOP/s / price by more than 1%",
         lambda f: (f["flops_per_dollar"].notna() & (
             (f["flops_per_dollar"] * f["price_usd"]
              / f["flops_16bit"].where(f["precision"] == "tensor16", f["flops_fp32"]) - 1).abs() > 0.01)).fillna(False).astype(bool),
         "flops_per_dollar"),
    ),
)

TABLES: dict[str, TableSchema] = {t.name: t for t in (SCALING_RUNS, MODELS, ADOPTION_OBSERVATIONS, BENCHMARKS, HARDWARE,
                                                       VARIANT_COUNTS, BENCHMARK_SPREAD)}


def table_path(name: str, data_dir: Path | None = None) -> Path:
    schema = TABLES[name]
    return Path(data_dir or config.data_dir()) / schema.filename


def load_table(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Load and validate a curated table by name (see TABLES)."""
    if name not in TABLES:
        from forecast.core.errors import DataValidationError
        raise DataValidationError(f"unknown table {name!r}; valid: {', '.join(TABLES)}")
    path = table_path(name, data_dir)
    st = path.stat() if path.exists() else None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino) if st else (0, 0, 0)
    # cached per (path, mtime, size, inode): a rebuilt file is re-read even within one mtime tick
    # (atomic writes replace the inode); callers get a copy they may mutate
    return _load_cached(str(path), stamp, name).copy()


@lru_cache(maxsize=32)
def _load_cached(path: str, stamp: tuple, name: str) -> pd.DataFrame:
    return read_csv(path, TABLES[name])
