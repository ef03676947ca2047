"""Build data/hardware.csv from Epoch AI's 'Machine Learning Hardware' table.

One row per dated accelerator with at least one of the two precisions the hardware model uses:
dense Tensor-FP16/BF16 FLOP/s (matrix units) and FP32 FLOP/s. Price-performance is recomputed here
(Epoch's own `Price-performance` column divides `Max performance`, which mixes INT8/FP8/sparse
figures across chips, by the price).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.data.build.base import BuildResult, Builder, Input

RELPATH = "epoch_ml_hardware/ml_hardware.csv"

COLS = {
    "hardware": "Hardware name",
    "manufacturer": "Manufacturer",
    "type": "Type",
    "release_date": "Release date",
    "price_usd": "Release price (USD)",
    "flops_16bit": "Tensor-FP16/BF16 performance (FLOP/s)",
    "flops_fp32": "FP32 (single precision) performance (FLOP/s)",
    "tdp_w": "TDP (W)",
}


def _text(s: pd.Series) -> pd.Series:
    out = s.fillna("").astype(str).map(lambda x: " ".join(x.split()))
    return out.mask(out == "", np.nan)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(_text(s), errors="raise").astype(float)


def build(shared_data: Path, built: dict) -> BuildResult:
    raw = pd.read_csv(Path(shared_data) / RELPATH, dtype=str, keep_default_na=False)
    missing = [c for c in COLS.values() if c not in raw.columns]
    if missing:
        raise ValueError(f"{RELPATH}: expected column(s) {missing}")
    notes = [f"Read {len(raw)} rows."]
    f = pd.DataFrame({
        "hardware": _text(raw[COLS["hardware"]]),
        "manufacturer": _text(raw[COLS["manufacturer"]]),
        "type": _text(raw[COLS["type"]]),
        "release_date": pd.to_datetime(_text(raw[COLS["release_date"]]), format="ISO8601", errors="raise"),
        "flops_16bit": _num(raw[COLS["flops_16bit"]]),
        "flops_fp32": _num(raw[COLS["flops_fp32"]]),
        "price_usd": _num(raw[COLS["price_usd"]]),
        "tdp_w": _num(raw[COLS["tdp_w"]]),
    })
    for c in ("flops_16bit", "flops_fp32", "price_usd", "tdp_w"):
        f.loc[f[c] <= 0, c] = np.nan
    nodate = f["release_date"].isna()
    noperf = ~nodate & f["flops_16bit"].isna() & f["flops_fp32"].isna()
    notes.append(f"Dropped {int(nodate.sum())} rows without a release date ({', '.join(f.loc[nodate, 'hardware'])}).")
    notes.append(f"Dropped {int(noperf.sum())} dated rows with neither Tensor-FP16/BF16 nor FP32 FLOP/s "
                 f"({', '.join(f.loc[noperf, 'hardware'])}).")
    f = f[~nodate & ~noperf].copy()
    dup = f["hardware"].duplicated(keep="first")
    if dup.any():
        notes.append(f"Dropped {int(dup.sum())} repeated names (first kept): {', '.join(f.loc[dup, 'hardware'])}.")
        f = f[~dup]
    f["precision"] = np.where(f["flops_16bit"].notna(), "tensor16", "fp32")
    best = f["flops_16bit"].fillna(f["flops_fp32"])
    f["flops_per_dollar"] = best / f["price_usd"]
    f.loc[f["price_usd"].isna(), "precision"] = np.nan
    f = f.sort_values(["release_date", "hardware"], kind="mergesort").reset_index(drop=True)
    f = f[["hardware", "manufacturer", "type", "release_date", "flops_16bit", "flops_fp32", "price_usd",
           "flops_per_dollar", "precision", "tdp_w"]]
    notes.append(f"{len(f)} accelerators written: {int(f['flops_16bit'].notna().sum())} with Tensor-FP16/BF16 FLOP/s, "
                 f"{int(f['flops_fp32'].notna().sum())} with FP32 FLOP/s, {int(f['flops_per_dollar'].notna().sum())} with a "
                 f"release price ({int((f['precision'] == 'tensor16').sum())} of them priced at 16-bit tensor FLOP/s), "
                 f"{int(f['tdp_w'].notna().sum())} with a TDP.")
    rules = [
        "hardware, manufacturer, type, release_date are Epoch's `Hardware name`, `Manufacturer`, `Type`, `Release date` "
        "(whitespace collapsed).",
        "flops_16bit = `Tensor-FP16/BF16 performance (FLOP/s)` (dense matrix-unit peak). Epoch's plain `FP16 (half precision)` "
        "column is not used: on chips without tensor units it is often a 1/64-rate figure, not an ML throughput.",
        "flops_fp32 = `FP32 (single precision) performance (FLOP/s)`; price_usd = `Release price (USD)` (launch price, not inflation-adjusted).",
        "Rows without a release date, or with neither 16-bit tensor nor FP32 FLOP/s, are dropped (listed under Notes). "
        "All manufacturers and types (GPU, TPU, NPU, ASIC, ...) are kept.",
        "flops_per_dollar = the FLOP/s a chip offers at the precision ML training uses (16-bit tensor if known, else FP32) / "
        "price_usd; `precision` records which. Epoch's `Price-performance` column is not used because it divides `Max performance`, "
        "which mixes INT8/FP8/sparse peaks between chips.",
        "tdp_w = `TDP (W)`, the chip's rated power (non-positive values treated as missing): the hardware model reads it as the "
        "chip's market segment (edge, workstation, datacenter) beside its release date.",
        "Rows are sorted by release date then name; numbers are written with 6 significant digits.",
    ]
    return BuildResult(frame=f, rules=rules, notes=notes)


BUILDER = Builder(
    table="hardware",
    inputs=(
        Input(relpath=RELPATH,
              license="CC BY 4.0 — credit Epoch AI, 'Machine Learning Hardware', https://epoch.ai/data/machine-learning-hardware",
              origin="Epoch AI 'Machine Learning Hardware' (https://epoch.ai/data/machine-learning-hardware), via the mirror GitHub "
                     "`joshyou/clod`, `ml_hardware.csv` at commit 2af77743b2cb18e8a9a0dc4efb49eadc43802805 (2025-12-24)"),
    ),
    build=build,
)
