"""Build data/scaling_runs.csv from Epoch's digitized Chinchilla runs (Hoffmann et al. 2022, Fig. 4)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data.build.base import BuildResult, Builder, Input

RELPATH = "chinchilla/svg_extracted_data.csv"


def build(shared_data: Path, built: dict) -> BuildResult:
    raw = pd.read_csv(Path(shared_data) / RELPATH)
    for col in ("Model Size", "Training FLOP", "loss"):
        if col not in raw.columns:
            raise ValueError(f"{RELPATH}: expected column {col!r}")
    n = pd.to_numeric(raw["Model Size"], errors="raise").astype(float)
    c = pd.to_numeric(raw["Training FLOP"], errors="raise").astype(float)
    loss = pd.to_numeric(raw["loss"], errors="raise").astype(float)
    frame = pd.DataFrame({
        "run_id": range(len(raw)),
        "params": n,
        "tokens": c / (6.0 * n),
        "compute": c,
        "loss": loss,
    })
    rules = [
        "run_id is the 0-based data-row number in the source file (header excluded), so rows can be traced back.",
        "params is the source column `Model Size` (N, parameters); compute is `Training FLOP` (C); loss is `loss` (final training loss decoded by Epoch from the figure's colour bar).",
        "tokens is derived as D = C / (6 N), following Epoch's analysis; the source has no token column.",
        "All 245 digitized runs are kept (no outlier removal); downstream fits use a robust likelihood instead of dropping points.",
        "The SVG-extraction artefacts (`x`, `y`, `color`, `hex_color`) are not carried over.",
        "Numbers are written with 6 significant digits.",
    ]
    return BuildResult(frame=frame, rules=rules, notes=[f"{len(frame)} rows read, {len(frame)} kept."])


BUILDER = Builder(
    table="scaling_runs",
    inputs=(
        Input(
            relpath=RELPATH,
            license="no license stated in the source repository (facts digitized from a published figure; cite Hoffmann et al. 2022 and Besiroglu et al. 2024)",
            origin="Epoch AI, GitHub `epoch-research/analyzing-chinchilla`, `data/svg_extracted_data.csv` at commit "
                   "92258837425e1b5f2851d624287f0120583a3d0e (Besiroglu, Erdil, Barnett, You 2024, arXiv:2404.10102; "
                   "digitized from Hoffmann et al. 2022, arXiv:2203.15556, Fig. 4)",
        ),
    ),
    build=build,
)
