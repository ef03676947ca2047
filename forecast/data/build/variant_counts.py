"""Builder of data/variant_counts.csv: per technology, frame and period, how the adopting models split over the
technology's variants (the distributions standardization and controversy are measured on).

The variant rules live with their frames: hf_releases (hf_open_llm_releases), epoch_language
(epoch_notable_language_models, epoch_all_language_models) and gallery (llm_architecture_gallery).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data.build import epoch_language, gallery, hf_releases
from forecast.data.build.base import BuildResult, Builder
from forecast.data.build.periods import MIN_N, series_summary
from forecast.data.tables import VARIANT_COUNTS

FRAME_MODULES = (hf_releases, epoch_language, gallery)


def build(shared: Path, built: dict) -> BuildResult:
    parts, rules, notes = [], [], []
    for module in FRAME_MODULES:
        rows, r, n = module.variant_frame(Path(shared))
        parts.append(rows)
        rules += r
        notes += n
    out = pd.concat(parts, ignore_index=True)[VARIANT_COUNTS.column_names]
    out["k"] = out["k"].astype(int)
    out = out.sort_values(["technology", "series", "period_start", "variant"]).reset_index(drop=True)
    rules.append(f"One row per (technology, series, period, variant); a period's k sum to its adopters with a variant "
                 f"label, at least {MIN_N}.")
    return BuildResult(frame=out, rules=rules, notes=notes + series_summary(out, ["technology", "series"]))


BUILDER = Builder(
    table="variant_counts",
    inputs=hf_releases.INPUTS + epoch_language.INPUTS + gallery.INPUTS,
    build=build,
)
