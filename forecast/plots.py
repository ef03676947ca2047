"""Matplotlib figures. Every function takes an optional `ax` and returns the Figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _ax(ax, figsize=(7.5, 4.2)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def posterior_vs_claim(draws: np.ndarray, label: str, claims: dict[str, float] | None = None, ax=None, prior=None):
    """Histogram of posterior draws with the seed's/paper's point claims as labelled vertical lines."""
    fig, ax = _ax(ax, (5.0, 3.2))
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


def scaling_fit(model, ax=None):
    """Observed loss vs compute with the posterior compute-optimal loss curve (median and 80% band)."""
    fig, ax = _ax(ax)
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


def compute_fan(model, dates: pd.DatetimeIndex, sim_max: np.ndarray, thresholds=(1e26, 1e27, 1e28), ax=None):
    """Frontier compute: observed models, the trend band and the simulated running maximum (fan)."""
    fig, ax = _ax(ax, (8.0, 4.5))
    allm = model.inputs["all"]
    fr = model.inputs["frontier"]
    ax.scatter(allm["publication_date"], allm["log10_compute"], s=6, color="0.75", label="all models with compute")
    ax.scatter(fr["publication_date"], fr["log10_compute"], s=14, color="#4c72b0", marker="D", label="frontier (top-k at release)")
    hist = pd.date_range(fr["publication_date"].min(), dates[-1], freq="QE")
    q = model.trend_quantiles(hist)
    ax.fill_between(hist, q[0], q[2], color="#4c72b0", alpha=0.2, label="trend, 80% interval")
    ax.plot(hist, q[1], color="#4c72b0", lw=1.5)
    lo, med, hi = np.quantile(sim_max, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#dd8452", alpha=0.3, label="largest run so far, 80% interval")
    ax.plot(dates, med, color="#dd8452", lw=2, ls="--", label="largest run so far, median")
    for t in thresholds:
        ax.axhline(np.log10(t), color="0.3", lw=0.8, ls=":")
        ax.annotate(f"1e{int(np.log10(t))} FLOP", (dates[-1], np.log10(t)), xytext=(-4, 3), textcoords="offset points",
                    ha="right", fontsize=8)
    ax.axvline(model.data_end, color="0.5", lw=0.8)
    ax.annotate("data end", (model.data_end, ax.get_ylim()[0]), xytext=(3, 3), textcoords="offset points", fontsize=8)
    ax.set_ylabel("log10 training compute (FLOP)")
    ax.set_title("Frontier training compute: observed and forecast")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def gantt(table: pd.DataFrame, ax=None):
    """Probabilistic Gantt: per forecast milestone the 80% interval of its date, the median, and the seed's date."""
    rows = table[(table["mode"] == "first_passage") & table["forecast"].astype(bool)].copy()
    rows = rows.sort_values("target_date", ascending=False)
    h = max(2.5, 0.32 * len(rows) + 1.2)
    fig, ax = _ax(ax, (9.0, h))
    if rows.empty:
        ax.text(0.5, 0.5, "no dated milestones forecast in this run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(rows))
    right_edge = pd.Timestamp(max(pd.to_datetime(rows["target_date"]).max(), pd.to_datetime(rows["q90_date"].dropna()).max()
                                  if rows["q90_date"].notna().any() else pd.to_datetime(rows["target_date"]).max())) + pd.DateOffset(months=6)
    for yi, (_, r) in zip(y, rows.iterrows()):
        lo = pd.Timestamp(r["q10_date"]) if r["q10_date"] else None
        hi = pd.Timestamp(r["q90_date"]) if r["q90_date"] else right_edge
        if lo is not None:
            ax.plot([lo, hi], [yi, yi], color="#4c72b0", lw=6, alpha=0.5, solid_capstyle="butt")
            if not r["q90_date"]:
                ax.annotate("→ beyond horizon", (hi, yi), xytext=(2, -3), textcoords="offset points", fontsize=7)
        if r["median_date"]:
            ax.plot(pd.Timestamp(r["median_date"]), yi, "o", color="#1f3a66", ms=5)
        ax.plot(pd.Timestamp(r["target_date"]), yi, marker="x", color="#c44e52", ms=8, mew=2)
    ax.set_yticks(y, [f"{r['title'][:48]}  (P={r['p_by_target']:.2f})" for _, r in rows.iterrows()], fontsize=8)
    ax.plot([], [], color="#4c72b0", lw=6, alpha=0.5, label="80% interval of first-passage date")
    ax.plot([], [], "o", color="#1f3a66", label="median date")
    ax.plot([], [], "x", color="#c44e52", mew=2, label="seed's date (target)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title("Probabilistic Gantt: when each milestone happens (P = probability by the seed's date)")
    ax.grid(axis="x", alpha=0.3)
    return fig


def save(fig, path_stem) -> list[str]:
    """Write PNG and SVG next to each other; return the file names."""
    from pathlib import Path
    p = Path(path_stem)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p.with_suffix(".png"), dpi=110)
    fig.savefig(p.with_suffix(".svg"))
    plt.close(fig)
    return [p.with_suffix(".png").name, p.with_suffix(".svg").name]


def density_vs_date(model, ax=None):
    """Densing model: posterior-median log2 density of each model (frontier-fit units) by date and group,
    with the pooled frontier (τ-quantile) trend and the typical (median) trend as 80% bands.

    Points and the frontier line share the frontier fit's convention (log ρ = 0 on the frontier line at
    t_ref). The typical fit has its own curves, so only its slope is carried over: its band is drawn
    with the pooled typical growth rate through a per-draw intercept equal to the median of
    (log ρ_i − rate·t_i) over the plotted points.
    """
    from .models.densing import years_between

    fig, ax = _ax(ax, (8.0, 4.6))
    x = model.inputs
    obs = x["obs"]
    lr = model.draws("log_rho")  # draws × obs
    pts = np.median(lr, axis=0) / np.log(2)
    cmap = plt.get_cmap("tab10")
    for i, g in enumerate(x["groups"]):
        sel = x["g"] == i
        ax.scatter(obs["date"][sel], pts[sel], s=9, alpha=0.6, color=cmap(i % 10), label=g["label"])
    dates = pd.date_range(obs["date"].min(), obs["date"].max(), freq="MS")
    t = years_between(dates, x["t_ref"])
    t_obs = x["t"]
    ln2 = np.log(2)

    def pooled(suffix):
        rate = 12 * ln2 / model.draws("T_months" + suffix)
        out = rate[:, None] * t[None, :]
        if x["use_break"]:
            d = model.draws("delta_break" + suffix)
            out = out - d[:, None] * np.minimum(years_between(dates, x["t_break"]), 0.0)[None, :]
        return out, rate

    front, _ = pooled("")
    typ, rate_t = pooled("_typ")
    shift = typ[:, :1] * 0 + np.median(lr - rate_t[:, None] * t_obs[None, :]
                                       + (model.draws("delta_break_typ")[:, None] * x["t_pre"][None, :] if x["use_break"] else 0.0),
                                       axis=1)[:, None]
    typ = typ + shift
    for arr, col, lab in ((front, "#c44e52", "frontier trend (pooled), 80%"), (typ, "0.3", "typical (median) trend, slope only, 80%")):
        lo, med, hi = np.quantile(arr / ln2, [0.1, 0.5, 0.9], axis=0)
        ax.fill_between(dates, lo, hi, color=col, alpha=0.2, lw=0)
        ax.plot(dates, med, color=col, lw=2, label=lab)
    if x["use_break"]:
        ax.axvline(x["t_break"], color="0.5", ls=":", lw=1)
    ax.set_ylabel("log2 capability density (relative)")
    ax.set_xlabel("release / upload date")
    ax.set_title("Capability density of open base models by benchmark group")
    ax.legend(fontsize=6.5, frameon=False, ncol=2, loc="lower right")
    return fig


def doubling_time_posteriors(frontier: np.ndarray, typical: np.ndarray, claims: dict[str, float] | None = None, ax=None):
    """Densing model: posterior of the frontier and typical doubling times (months) beside point claims."""
    fig, ax = _ax(ax, (6.0, 3.4))
    hi_all = np.quantile(np.concatenate([frontier, typical]), 0.995)
    hi = max([hi_all] + list((claims or {}).values())) * 1.05
    bins = np.linspace(0, hi, 70)
    ax.hist(np.clip(frontier, 0, hi), bins=bins, density=True, color="#c44e52", alpha=0.6, label="frontier (τ = 0.9)")
    ax.hist(np.clip(typical, 0, hi), bins=bins, density=True, color="0.45", alpha=0.5, label="typical (median)")
    styles = ["--", "-.", (0, (1, 1))]
    for i, (name, v) in enumerate((claims or {}).items()):
        ax.axvline(v, color="k", ls=styles[i % len(styles)], lw=1.3, label=f"{name}: {v:g} months")
    f5, f50, f95 = np.quantile(frontier, [0.05, 0.5, 0.95])
    t5, t50, t95 = np.quantile(typical, [0.05, 0.5, 0.95])
    ax.set_title(f"doubling time: frontier {f50:.1f} ({f5:.1f}–{f95:.1f}), typical {t50:.1f} ({t5:.1f}–{t95:.1f}) months",
                 fontsize=9)
    ax.set_xlabel("doubling time of capability density (months)")
    ax.set_yticks([])
    ax.legend(fontsize=7.5, frameon=False)
    return fig
