"""Calibration figures: SBC rank histograms."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd



def rank_histograms(ranks: pd.DataFrame, bins: int = 10, axes=None):
    """SBC rank histograms, one panel per parameter, with the 99% band of a uniform histogram."""
    from scipy import stats
    params = sorted(ranks["parameter"].unique())
    ncol = min(4, len(params))
    nrow = int(np.ceil(len(params) / ncol))
    if axes is None:
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.4 * nrow), layout="constrained", squeeze=False)
    else:
        fig = np.atleast_1d(axes).ravel()[0].figure
    axes = np.atleast_1d(axes).ravel()
    for ax, p in zip(axes, params):
        g = ranks[ranks["parameter"] == p]
        n, mx = len(g), int(g["max_rank"].iloc[0])
        lo, hi = stats.binom.ppf([0.005, 0.995], n, 1 / bins)
        ax.axhspan(lo, hi, color="0.85", label="99% band if uniform")
        ax.hist(g["rank"], bins=bins, range=(-0.5, mx + 0.5), color="#4c72b0", edgecolor="white")
        ax.set_title(p, fontsize=9)
        ax.set_xticks([])
    for ax in axes[len(params):]:
        ax.set_axis_off()
    fig.suptitle(f"SBC rank histograms ({ranks['sim'].nunique()} simulations)", fontsize=10)
    return fig
