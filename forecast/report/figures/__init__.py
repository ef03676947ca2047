"""Figures: one module per model (reading its InferenceData through the model's public accessors), plus run-level
and calibration figures. Every plot function takes an optional `ax` and returns the Figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported by any figure module: reports are drawn without a display

from forecast.report.figures import (adoption, compute_trend, convergence, densing, hardware, market,  # noqa: E402
                                     scaling_law)

SECTION_FIGURES = {m.__name__.rsplit(".", 1)[1]: m.figures
                   for m in (scaling_law, compute_trend, hardware, market, adoption, convergence, densing)}


def model_figures(model) -> dict:
    """The figures of one fitted model's report section: name → Figure."""
    return SECTION_FIGURES[model.name](model)
