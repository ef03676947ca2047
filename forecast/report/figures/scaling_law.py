"""Scaling-law figures: the fitted loss surface against the training runs, exponents against published values."""
from __future__ import annotations

import numpy as np

from forecast.report.figures.common import new_axes, posterior_vs_claim


def scaling_fit(model, ax=None):
    """Observed loss vs compute with the posterior compute-optimal loss curve (median and 80% band)."""
    fig, ax = new_axes(ax)
    f = model.frames["scaling_runs"]
    sc = ax.scatter(f["compute"], f["loss"], c=np.log10(f["params"]), s=10, cmap="viridis", marker="o", alpha=0.8)
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("log10 parameters N")
    C = np.logspace(np.log10(f["compute"].min()), 26, 60)
    loss = model.compute_optimal(C)["loss"]
    lo, med, hi = np.quantile(loss, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(C, lo, hi, color="#c44e52", alpha=0.25, label="compute-optimal loss, 80% interval")
    ax.plot(C, med, color="#c44e52", lw=2, label="compute-optimal loss, median")
    ax.set_xscale("log")
    ax.set_xlabel("training compute C (FLOP)")
    ax.set_ylabel("final training loss (nats/token)")
    ax.set_title("Chinchilla runs and the fitted compute-optimal frontier")
    ax.legend(fontsize=8, frameon=False)
    return fig


def figures(model) -> dict:
    """The scaling_law section's figures: name → matplotlib Figure."""
    p = model.params()
    return {
        "scaling_fit": scaling_fit(model),
        "scaling_alpha": posterior_vs_claim(p["alpha"], "α", {"Hoffmann 2022": 0.34, "Epoch 2024": 0.348}, prior=model.priors["alpha"].to_scipy()),
        "scaling_beta": posterior_vs_claim(p["beta"], "β", {"Hoffmann 2022": 0.28, "Epoch 2024": 0.366}, prior=model.priors["beta"].to_scipy()),
    }
