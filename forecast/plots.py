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


def _figure_legend(fig, axes, ncols: int, fontsize: float) -> None:
    """One legend below small multiples: every distinct label of the panels, once."""
    labels = {}
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels()):
            labels.setdefault(lab, h)
    if labels:
        fig.legend(list(labels.values()), list(labels.keys()), loc="outside lower center", ncols=ncols, fontsize=fontsize, frameon=False)


def _year_ticks(ax, dates, max_ticks: int = 5) -> None:
    """Year ticks on a date axis of a small panel. The automatic date locator re-derives its ticks at every
    layout pass; on the 20-panel grids that was 60% of the time to save a figure."""
    import matplotlib.dates as mdates
    years = max(1, pd.Timestamp(dates[-1]).year - pd.Timestamp(dates[0]).year)
    ax.xaxis.set_major_locator(mdates.YearLocator(max(1, int(np.ceil(years / max_ticks)))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


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
    ax.legend(fontsize=8, frameon=True, framealpha=0.9, loc="lower right")
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width)[:2])


def gantt(table: pd.DataFrame, ax=None):
    """Probabilistic Gantt: per forecast milestone the 80% interval of its date, the median, and the seed's date."""
    rows = table[(table["mode"] == "first_passage") & table["forecast"].astype(bool)].copy()
    rows = rows.sort_values(["target_date", "id"], ascending=False)  # earliest target at the top
    h = max(2.8, 0.42 * len(rows) + 1.6)
    fig, ax = _ax(ax, (11.0, h))
    if rows.empty:
        ax.text(0.5, 0.5, "no dated milestones forecast in this run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig

    def when(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else pd.Timestamp(v)

    y = np.arange(len(rows))
    right_edge = max(pd.to_datetime(rows["target_date"]).max(), pd.to_datetime(rows["q90_date"]).max()
                     if rows["q90_date"].notna().any() else pd.Timestamp.min) + pd.DateOffset(months=6)
    for yi, (_, r) in zip(y, rows.iterrows()):
        r = {k: when(r[k]) if k.endswith("_date") else r[k] for k in r.index}
        lo, hi = r["q10_date"], r["q90_date"] or right_edge
        if lo is not None:
            ax.plot([lo, hi], [yi, yi], color="#4c72b0", lw=7, alpha=0.45, solid_capstyle="butt")
            if r["q90_date"] is None:
                ax.plot(hi, yi, marker=">", color="#4c72b0", alpha=0.8, ms=6)
        if r["median_date"] is not None:
            ax.plot(r["median_date"], yi, "o", color="#1f3a66", ms=5)
        ax.plot(r["target_date"], yi, marker="x", color="#c44e52", ms=8, mew=2)
        ax.annotate(f"P={r['p_by_target']:.2f}", (1.005, yi), xycoords=("axes fraction", "data"), va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(r["title"], 46) for _, r in rows.iterrows()], fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.plot([], [], color="#4c72b0", lw=7, alpha=0.45, label="80% interval of the first-passage date (▶ = beyond horizon)")
    ax.plot([], [], "o", color="#1f3a66", label="median date")
    ax.plot([], [], "x", color="#c44e52", mew=2, label="seed's date (target); P = probability by then")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(h, 1)), ncol=3)
    ax.set_title("When does each milestone first become true?", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return fig


def history(h: pd.DataFrame, top: int = 12, ax=None):
    """P(by target) per milestone across runs; the milestones that moved most are labelled."""
    fig, ax = _ax(ax, (9.0, 4.5))
    h = h.copy()
    h["created"] = pd.to_datetime(h["created"], utc=True)
    runs = h.drop_duplicates("run_id").sort_values("created")["run_id"].tolist()
    x = {r: i for i, r in enumerate(runs)}
    moved = h.groupby("milestone")["p_by_target"].agg(lambda v: v.max() - v.min()).sort_values(ascending=False)
    for mid in moved.index[:top]:
        g = h[h["milestone"] == mid].sort_values("created")
        ax.plot([x[r] for r in g["run_id"]], g["p_by_target"], marker="o", ms=3, lw=1.2, label=f"{mid} (Δ {moved[mid]:.2f})")
    ax.set_xticks(range(len(runs)), [r.split("-")[0] for r in runs], rotation=30, ha="right", fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("P(by target date)")
    ax.set_title(f"How milestone probabilities moved across {len(runs)} runs (the {min(top, len(moved))} that moved most)")
    ax.legend(fontsize=7, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


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


def save(fig, path_stem, svg: bool = False) -> list[str]:
    """Write the figure as PNG (and SVG beside it if `svg`); return the file names, PNG first."""
    from pathlib import Path
    p = Path(path_stem)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p.with_suffix(".png"), dpi=110)
    names = [p.with_suffix(".png").name]
    if svg:
        fig.savefig(p.with_suffix(".svg"))
        names.append(p.with_suffix(".svg").name)
    plt.close(fig)
    return names


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
    lr = model.model_log_density()  # draws × obs
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
    shift = np.median(lr - rate_t[:, None] * t_obs[None, :]
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


# ---------------------------------------------------------------- adoption and convergence

_LEVEL_COLORS = {"L0": "#f2e6e6", "L1": "#f6efdd", "L2": "#e8f0dc", "L3": "#dcebf2", "L4": "#e4e0f2"}
_LEVEL_CMAP = ["#d9a6a6", "#e6cf94", "#b7d39a", "#92c2dd", "#a89cd6"]


def _grid(n: int, ncols: int = 3, panel=(3.6, 2.6)):
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


def _outer_labels(fig, axes, ylabel: str) -> None:
    """One y label per row (first column) for shared small multiples."""
    for a in axes:
        if a.get_subplotspec() is not None and a.get_subplotspec().is_first_col():
            a.set_ylabel(ylabel, fontsize=8)
        else:
            a.set_ylabel("")


def adoption_fan(model, tech: str, dates: pd.DatetimeIndex, ax=None, legend: bool = True):
    """One technology's share s(t): posterior median and 80% band, observed k/n (size ∝ n) and elicited intervals."""
    fig, ax = _ax(ax, (6.0, 3.6))
    x = model.inputs
    s = model.share_paths(tech, dates)
    lo, med, hi = np.quantile(s, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#4c72b0", alpha=0.25, lw=0, label="share, 80% interval")
    _year_ticks(ax, dates)
    ax.plot(dates, med, color="#4c72b0", lw=1.8, label="share, median")
    cnt = x["count"]["rows"]
    cnt = cnt[cnt["technology"] == tech]
    ref = model.priors.settings["reference_series"]
    for ser, g in cnt.groupby("series"):
        mid = g["period_start"] + (g["period_end"] - g["period_start"]) / 2
        filled = ser == ref
        ax.scatter(mid, g["k"] / g["n"], s=6 + 4 * g["n"].astype(float), facecolors="#1f3a66" if filled else "none",
                   edgecolors="#1f3a66", lw=1, alpha=0.8, label=f"k/n, {ser}" + (" (reference)" if filled else ""), zorder=3)
    for rows, color, lab in ((x["elicited"]["rows"], "#c44e52", "elicited share, 80% interval"),
                             (x["held_out"], "#dd8452", "seed claim (held out, tested)")):
        e = rows[rows["technology"] == tech]
        if len(e):
            mid = e["period_start"] + (e["period_end"] - e["period_start"]) / 2
            ax.errorbar(mid, e["share"], yerr=[e["share"] - e["share_lo"], e["share_hi"] - e["share"]], fmt="D", ms=5,
                        color=color, capsize=3, lw=1.5, label=lab, zorder=4)
    kind = ("counted" if tech in x["counted_techs"] else "growth series (timing only)" if tech in x["growth_techs"]
            else "elicited only" if tech in x["elicited_only_techs"] else "no data: layer prior")
    ax.axvline(model.data_end, color="0.5", lw=0.8, ls=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{tech} ({kind})", fontsize=9)
    ax.set_ylabel("share of new models", fontsize=8)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


def adoption_grid(model, techs, dates: pd.DatetimeIndex, title: str = "", ax=None):
    """Small multiples of `adoption_fan`, one panel per technology; `ax` may be a sequence of axes."""
    if ax is None:
        fig, axes = _grid(len(techs))
    else:
        axes = np.ravel(ax)
        fig = axes[0].figure
    for a, tech in zip(axes, techs):
        adoption_fan(model, tech, dates, ax=a, legend=False)
    _outer_labels(fig, axes[:len(techs)], "share of new models")
    _figure_legend(fig, axes[:len(techs)], ncols=3, fontsize=7)
    if title:
        fig.suptitle(f"{title}: median and 80% band; dotted line = data end", fontsize=10)
    return fig


def convergence_fan(model, tech: str, dates: pd.DatetimeIndex, ax=None, legend: bool = True, level_labels: bool = True):
    """C(t) for one technology: median and 80% band over the level bands; the seed's point claim as a star.

    Without `legend` the seed's claim goes into the title (small multiples share one figure legend)."""
    fig, ax = _ax(ax, (6.0, 3.6))
    lv = model.levels
    for lid, lo_, hi_ in zip(lv.ids, lv.lower, lv.upper):
        ax.axhspan(lo_, hi_, color=_LEVEL_COLORS[lid], lw=0, zorder=0)
        if level_labels:
            ax.annotate(lid, (1.0, (lo_ + hi_) / 2), xycoords=("axes fraction", "data"), xytext=(2, 0), textcoords="offset points",
                        fontsize=7, va="center", color="0.35")
    c = model.c_paths(tech, dates)
    lo, med, hi = np.quantile(c, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#4c72b0", alpha=0.3, lw=0, label="C, 80% interval")
    _year_ticks(ax, dates)
    ax.plot(dates, med, color="#1f3a66", lw=1.8, label="C, median")
    t = model.registry[tech]
    snap = model.inputs["snapshot"]
    claim = ""
    if t.seed_convergence is not None:
        claim = f"seed: {t.seed_level} ({t.seed_convergence:g})"
        ax.plot(snap, t.seed_convergence, marker="*", ms=11, color="#c44e52", zorder=5, label=claim if legend else "seed's claim (value)")
    elif t.seed_level:
        claim = f"seed: {t.seed_level} (no %)"
        j = lv.index(t.seed_level)
        ax.plot([snap, snap], [lv.lower[j], lv.upper[j]], color="#c44e52", lw=3, zorder=5, label=claim if legend else "seed's claim (level only)")
    ax.set_ylim(0, 1)
    ax.set_title(tech if legend or not claim else f"{tech} ({claim})", fontsize=9)
    ax.set_ylabel("convergence C", fontsize=8)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=6.5, frameon=False, loc="lower right")
    return fig


def convergence_grid(model, techs, dates: pd.DatetimeIndex, ax=None):
    """Small multiples of `convergence_fan`, one panel per technology; `ax` may be a sequence of axes."""
    if ax is None:
        fig, axes = _grid(len(techs), ncols=4, panel=(3.3, 2.4))
    else:
        axes = np.ravel(ax)
        fig = axes[0].figure
    ncols = axes[0].get_gridspec().ncols if axes[0].get_gridspec() is not None else 1
    for i, (a, tech) in enumerate(zip(axes, techs)):
        # one figure legend and level labels on the right-hand column only: 20 panel legends and 100 labels
        # were most of the time to draw this figure
        convergence_fan(model, tech, dates, ax=a, legend=False, level_labels=(i % ncols == ncols - 1 or i == len(techs) - 1))
    _outer_labels(fig, axes[:len(techs)], "convergence C")
    _figure_legend(fig, axes[:len(techs)], ncols=4, fontsize=8)
    fig.suptitle(f"Convergence degree C(t) ({model.inputs['formula']} formula) with level bands; star/bar = seed's claim on "
                 f"{model.inputs['snapshot'].date()}", fontsize=10)
    return fig


def level_heatmap(model, techs, years, ax=None):
    """Technology × year: the most probable level on 31 December, annotated with its probability."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    fig, ax = _ax(ax, (1.0 + 0.95 * len(years), 0.9 + 0.34 * len(techs)))
    dates = pd.DatetimeIndex([f"{y}-12-31" for y in years])
    best = np.zeros((len(techs), len(years)), dtype=int)
    prob = np.zeros_like(best, dtype=float)
    for i, tech in enumerate(techs):
        lv = model.level_paths(tech, dates)
        p = np.stack([(lv == j).mean(axis=0) for j in range(len(model.levels.ids))])  # (levels, years)
        best[i] = p.argmax(axis=0)
        prob[i] = p.max(axis=0)
    cmap = ListedColormap(_LEVEL_CMAP)
    ax.imshow(best, cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, 5.5), cmap.N), aspect="auto")
    for i in range(len(techs)):
        for j in range(len(years)):
            ax.text(j, i, f"{model.levels.ids[best[i, j]]}\n{prob[i, j]:.2f}", ha="center", va="center", fontsize=6.5)
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
    ax.set_yticks(range(len(techs)), [f"{t} (seed {model.registry[t].seed_level or '–'})" for t in techs], fontsize=7.5)
    ax.set_title("Most probable level on 31 December (with its probability)", fontsize=10)
    return fig


def hardware_trends(model, ax=None):
    """Peak FLOP/s of ML accelerators by precision (FP32, 16-bit tensor) with posterior trend bands (90%)."""
    fig, ax = _ax(ax, (8.0, 4.5))
    perf = model.inputs["perf"]
    span = pd.date_range(perf["release_date"].min(), model.data_end + pd.DateOffset(months=6), freq="QE")
    for k, (series, label, color) in enumerate((("flops_fp32", "FP32", "#4c72b0"), ("flops", "16-bit tensor", "#dd8452"))):
        p = perf[perf["group"] == k]
        ax.scatter(p["release_date"], p["y"], s=12, color=color, alpha=0.7, label=f"{label} ({len(p)} chips)")
        first = p["release_date"].min()
        d = span[span >= first]
        q = model.trend_quantiles(series, d)
        g = np.quantile(model.growth(series), [0.5, 0.05, 0.95])
        ax.fill_between(d, q[0], q[2], color=color, alpha=0.2)
        ax.plot(d, q[1], color=color, lw=1.8, label=f"{label} trend: {g[0]:+.0%}/yr (90% {g[1]:+.0%} to {g[2]:+.0%})")
    ax.set_ylabel("log10 peak FLOP/s")
    ax.set_title("ML hardware performance (Epoch AI): observed chips and robust trends, 90% bands")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def hardware_price_performance(model, ax=None):
    """FLOP/s per launch-price dollar with the posterior trend band (90%, at 16-bit tensor pricing)."""
    fig, ax = _ax(ax, (8.0, 4.5))
    pr = model.inputs["priced"]
    for prec, color, label in (("fp32", "#4c72b0", "priced at FP32"), ("tensor16", "#dd8452", "priced at 16-bit tensor")):
        p = pr[pr["precision"] == prec]
        ax.scatter(p["release_date"], p["y"], s=14, color=color, alpha=0.75, label=f"{label} ({len(p)})")
    d = pd.date_range(pr["release_date"].min(), model.data_end + pd.DateOffset(months=6), freq="QE")
    q = model.trend_quantiles("flops_per_dollar", d)
    g = np.quantile(model.growth("flops_per_dollar"), [0.5, 0.05, 0.95])
    ax.fill_between(d, q[0], q[2], color="#dd8452", alpha=0.2)
    ax.plot(d, q[1], color="#dd8452", lw=1.8, label=f"trend (16-bit pricing): {g[0]:+.0%}/yr (90% {g[1]:+.0%} to {g[2]:+.0%})")
    ax.set_ylabel("log10 FLOP/s per USD (launch price)")
    ax.set_title("ML hardware price-performance (Epoch AI)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def market_fan(model, dates: pd.DatetimeIndex, counts: np.ndarray, band=(3, 5), ax=None):
    """Providers per quarter (lag-excluded quarters hollow) with the posterior predictive fan and the seed's band."""
    fig, ax = _ax(ax, (8.0, 4.5))
    c = model.inputs["counts"]
    inc = c[~c["lagged"]]
    lag = c[c["lagged"]]
    ax.axhspan(band[0] - 0.5, band[1] + 0.5, color="#55a868", alpha=0.15, label=f"seed: {band[0]}-{band[1]} providers")
    ax.plot(inc["quarter_end"], inc["count"], "o-", color="#4c72b0", ms=4, lw=1, label="providers per quarter (fitted)")
    ax.plot(lag["quarter_end"], lag["count"], "o", mfc="none", color="#4c72b0", ms=6,
            label="within reporting lag: under-counted, not fitted")
    for lo, hi, a in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.3)):
        ql, qh = np.quantile(counts, [lo, hi], axis=0)
        ax.fill_between(dates, ql, qh, color="#dd8452", alpha=a, step="mid", lw=0,
                        label=f"posterior predictive {int(round((hi - lo) * 100))}%")
    ax.plot(dates, np.median(counts, axis=0), color="#dd8452", lw=1.5, ls="--", label="posterior predictive median")
    ax.axvline(model.inputs["lag_cut"], color="0.5", lw=0.8, ls=":")
    ax.annotate("lag cut", (model.inputs["lag_cut"], ax.get_ylim()[1]), xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("foundation-model providers")
    ax.set_title("Foundation-model providers per quarter\n(" + model.definition_text() + ")", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig
