"""Figure helpers shared by every model's figures: axes, date ticks, small-multiple grids, the posterior-vs-claim plot, saving."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd



def new_axes(ax, figsize=(7.5, 4.2)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def figure_legend(fig, axes, ncols: int, fontsize: float) -> None:
    """One legend below small multiples: every distinct label of the panels, once."""
    labels = {}
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels()):
            labels.setdefault(lab, h)
    if labels:
        fig.legend(list(labels.values()), list(labels.keys()), loc="outside lower center", ncols=ncols, fontsize=fontsize, frameon=False)


def year_ticks(ax, dates, max_ticks: int = 5) -> None:
    """Year ticks on a date axis of a small panel. The automatic date locator re-derives its ticks at every
    layout pass; on the 20-panel grids that was 60% of the time to save a figure."""
    import matplotlib.dates as mdates
    years = max(1, pd.Timestamp(dates[-1]).year - pd.Timestamp(dates[0]).year)
    ax.xaxis.set_major_locator(mdates.YearLocator(max(1, int(np.ceil(years / max_ticks)))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def posterior_vs_claim(draws: np.ndarray, label: str, claims: dict[str, float] | None = None, ax=None, prior=None):
    """Histogram of posterior draws with the seed's/paper's point claims as labelled vertical lines."""
    fig, ax = new_axes(ax, (5.0, 3.2))
    ax.hist(draws, bins=60, density=True, color="#4c72b0", alpha=0.75, label="posterior")
    if prior is not None:
        lo, hi = np.quantile(draws, [0.001, 0.999])
        span = hi - lo
        xs = np.linspace(lo - span, hi + span, 400)
        ax.plot(xs, prior.pdf(xs), color="0.4", ls=":", lw=1.2, label="prior")
    styles = ["--", "-.", (0, (1, 1)), (0, (5, 2, 1, 2))]
    for i, (name, v) in enumerate((claims or {}).items()):
        ax.axvline(v, color="#c44e52", ls=styles[i % len(styles)], lw=1.5, label=f"{name}: {v:g}")
    q5, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
    ax.set_title(f"{label}: median {q50:.3g} (90% {q5:.3g}–{q95:.3g})", fontsize=10)
    ax.set_xlabel(label)
    ax.set_yticks([])
    lo, hi = np.quantile(draws, [0.0005, 0.9995])
    pts = [lo, hi] + list((claims or {}).values())
    pad = 0.05 * (max(pts) - min(pts))
    ax.set_xlim(min(pts) - pad, max(pts) + pad)
    ax.legend(fontsize=8, frameon=False)
    return fig


def wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width)[:2])


def save(fig, path_stem, svg: bool = False, dpi: int = 110, palette: bool = True) -> list[str]:
    """Write the figure as PNG (and SVG beside it if `svg`); return the file names, PNG first.

    `palette` stores the PNG with a 256-colour palette: the report embeds every PNG, and flat-coloured plots lose
    nothing visible while taking a third to a half of the bytes."""
    from pathlib import Path
    p = Path(path_stem)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p.with_suffix(".png"), dpi=dpi)
    if palette:
        _to_palette(p.with_suffix(".png"))
    names = [p.with_suffix(".png").name]
    if svg:
        fig.savefig(p.with_suffix(".svg"))
        names.append(p.with_suffix(".svg").name)
    plt.close(fig)
    return names


def grid_axes(n: int, ncols: int = 3, panel=(3.6, 2.6)):
    """Small multiples on one date axis and one 0–1 axis (shared): tick labels only on the outer panels, which
    also saves most of the layout engine's text measuring."""
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows + 0.6), layout="constrained",
                             squeeze=False, sharex=True, sharey=True)
    flat = axes.ravel()
    for a in flat[n:]:
        a.set_axis_off()
    for i in range(max(0, n - ncols), n):  # panels above an empty slot of the last row keep their date labels
        flat[i].xaxis.set_tick_params(labelbottom=True)
    return fig, flat


def outer_labels(fig, axes, ylabel: str) -> None:
    """One y label per row (first column) for shared small multiples."""
    for a in axes:
        if a.get_subplotspec() is not None and a.get_subplotspec().is_first_col():
            a.set_ylabel(ylabel, fontsize=8)
        else:
            a.set_ylabel("")


def _to_palette(png) -> None:
    from PIL import Image
    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(png, optimize=True)
