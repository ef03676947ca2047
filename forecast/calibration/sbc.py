"""Simulation-based calibration (Talts et al. 2018) for every model.

For each simulation: draw parameters θ* and a data set y* (the model's `sbc_draw`: PyMC's prior predictive by
default, a model-specific simulator where a likelihood is not an observed variable), refit the model on y*
(the compiled graph is reused with `with_data`), and record the rank of θ* among thinned posterior draws.
If the sampler and model are calibrated, ranks are uniform; a chi-square test per parameter says how far.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from forecast.core import config
from forecast.core.config import RunConfig
from forecast.inference.parallel import flatten, map_tasks, parse_jobs
from forecast.inference.prior_predictive import parameter_values
from forecast.core.io import atomic_directory, atomic_write_csv, atomic_write_json, point_symlink

N_BINS = 10


def rank_statistic(post: np.ndarray, truth: float, thin_to: int) -> int:
    """Number of thinned posterior draws below the true value (0..thin_to)."""
    idx = np.linspace(0, post.size - 1, thin_to).astype(int)
    return int((post[idx] < truth).sum())


def uniformity_pvalue(ranks: np.ndarray, max_rank: int, bins: int = N_BINS) -> float:
    """Chi-square test of uniform ranks on 0..max_rank in `bins` equal bins."""
    counts, _ = np.histogram(ranks, bins=bins, range=(-0.5, max_rank + 0.5))
    if counts.sum() < bins:
        return float("nan")
    return float(stats.chisquare(counts).pvalue)


def simulate_one(name: str, sim: int, cfg: RunConfig, thin_to: int) -> list[dict]:
    """One SBC simulation of model `name`: draw (θ*, y*) with the model's `sbc_draw`, refit on y*, rank θ*."""
    import nutpie

    from forecast.models.registry import build_models
    from forecast.inference.sampling import nutpie_compiled

    m = build_models([name], cfg, evidence=False)[name]
    model = m.build_model()
    seed = cfg.seed * 1000 + sim
    truth, data = m.sbc_draw(model, seed)
    compiled, _ = nutpie_compiled(model, f"sbc:{name}")
    post = nutpie.sample(compiled.with_data(**data) if data else compiled, draws=cfg.draws, tune=cfg.tune,
                         chains=cfg.chains, cores=min(cfg.chains, 2), seed=seed, progress_bar=False,
                         save_warmup=False, target_accept=m.target_accept(cfg),
                         **(m.nutpie_options or {}))
    div = int(np.asarray(post.sample_stats["diverging"]).sum())
    rows = []
    for p, value in truth.items():
        draws = parameter_values(post.posterior, p)
        rows.append({"model": name, "sim": sim, "parameter": p, "truth": float(value),
                     "rank": rank_statistic(draws, float(value), thin_to), "max_rank": thin_to, "divergences": div})
    return rows


def run_sbc(name: str, sims: int, cfg: RunConfig | None = None, jobs: str | int = 1, thin_to: int = 99,
            out_dir: Path | None = None, progress=None, record: Path | None = None,
            command: str = "forecast sbc") -> tuple[Path, pd.DataFrame]:
    """Run `sims` simulations for model `name`; write ranks, per-parameter uniformity tests and a histogram (and,
    when `record` is a folder, replace the model's entry in that calibration record)."""
    from forecast.pipeline.calibration_record import fingerprints
    cfg = cfg or RunConfig(chains=2, draws=500, tune=500)
    files = {name: fingerprints(name, "sbc")}
    say = progress or (lambda m: None)
    t0 = time.perf_counter()
    spec = parse_jobs(jobs)
    finished = []
    # each worker process compiles the graph once and reuses it for every simulation it gets
    results = map_tasks(simulate_one, [(name, i, cfg, thin_to) for i in range(sims)], spec,
                        on_done=lambda i, r: (finished.append(i), say(f"{name}: {len(finished)}/{sims} simulations")))
    rows = flatten(results)
    ranks = pd.DataFrame(rows).sort_values(["parameter", "sim"]).reset_index(drop=True)
    summary = verdict(ranks)
    out_dir = Path(out_dir or config.reports_dir() / "sbc")
    sid = f"{name}-" + dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    with atomic_directory(out_dir / sid) as tmp:
        atomic_write_csv(tmp / "ranks.csv", ranks)
        atomic_write_csv(tmp / "summary.csv", summary)
        from forecast.report.figures.calibration import rank_histograms  # matplotlib only when drawn
        from forecast.report.figures.common import save
        save(rank_histograms(ranks), tmp / "ranks")
        run = {"id": sid, "model": name, "sims": sims, "jobs": spec.describe(), "thin_to": thin_to, "seed": cfg.seed,
               "config": cfg.to_dict(), "command": command, "wall_s": round(time.perf_counter() - t0, 1)}
        atomic_write_json(tmp / "manifest.json", run)
    point_symlink(out_dir / f"{name}-latest", sid)
    if record is not None:
        from forecast.calibration.record import record_sbc
        record_sbc(record, name, ranks, summary, dict(run, files=files))
    return out_dir / sid, summary


def verdict(ranks: pd.DataFrame, alpha: float = 0.01) -> pd.DataFrame:
    """Per parameter: number of sims, chi-square p-value of uniform ranks, and pass/fail at `alpha` (Bonferroni over parameters)."""
    out = []
    n_par = ranks["parameter"].nunique()
    for p, g in ranks.groupby("parameter"):
        pv = uniformity_pvalue(g["rank"].to_numpy(), int(g["max_rank"].iloc[0]))
        out.append({"parameter": p, "sims": len(g), "p_value": pv, "mean_rank_fraction": float((g["rank"] / g["max_rank"]).mean()),
                    "uniform": bool(pv >= alpha / n_par) if pv == pv else None})
    return pd.DataFrame(out)
