"""Simulation-based calibration (Talts et al. 2018) for every model.

For each simulation: draw parameters θ* and a data set y* (the model's `sbc_draw`: PyMC's prior predictive by
default, a model-specific simulator where a likelihood is not an observed variable), refit the model on y*
(the compiled graph is reused with `with_data`), and record the rank of θ* among thinned posterior draws.
If the sampler and model are calibrated, ranks are uniform; a chi-square test per parameter says how far.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import config
from .config import RunConfig
from .errors import RunError
from .parallel import flatten, map_tasks, parse_jobs
from .io import atomic_directory, atomic_write_csv, atomic_write_json, point_symlink

N_BINS = 10


def observed_data_names(model) -> dict[str, str]:
    """Map observed RV name → name of the pm.Data holding its values (models whose observations are pm.Data)."""
    from pytensor.graph.traversal import ancestors

    data_names = {d.name for d in model.data_vars}
    out = {}
    for rv in model.observed_RVs:
        # the value may be the pm.Data itself or a cast of it
        hits = [v.name for v in ancestors([model.rvs_to_values[rv]]) if getattr(v, "name", None) in data_names]
        if len(hits) == 1:
            out[rv.name] = hits[0]
    return out


MAX_ELEMENTS = 25  # elements of a vector parameter ranked one by one (beyond that only scalars are ranked)


def scalar_parameters(model, idata) -> list[str]:
    """Free parameters on their natural scale that SBC ranks: scalars by name, and each element of a small
    vector parameter as ``name[i]`` (flat index)."""
    out = []
    for rv in model.free_RVs:
        if rv.name not in idata.prior:
            continue
        x = idata.prior[rv.name]
        if x.ndim == 2:
            out.append(rv.name)
        elif 0 < x[0, 0].size <= MAX_ELEMENTS:
            out += [f"{rv.name}[{i}]" for i in range(x[0, 0].size)]
    return out


def parameter_values(dataset, name: str) -> np.ndarray:
    """Values of a ranked parameter (``name`` or ``name[i]``) over chains × draws, flattened."""
    base, _, idx = name.partition("[")
    x = np.asarray(dataset[base].values)
    x = x.reshape(x.shape[0] * x.shape[1], -1)
    return x[:, int(idx.rstrip("]"))] if idx else x[:, 0]


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


@contextlib.contextmanager
def _quiet_logger(name: str):
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def prior_predictive_draw(model, seed: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Default SBC simulation: true scalar parameters and simulated pm.Data values from PyMC's prior predictive.

    Needs every likelihood term to be an observed variable whose values are a pm.Data: a Potential is neither
    simulated by the prior predictive nor swappable data (ranks would be biased), so it is refused."""
    import pymc as pm

    obs_map = observed_data_names(model)
    if model.potentials:
        raise RunError(f"SBC needs every likelihood term as an observed variable (or a model-specific "
                       f"`sbc_draw`); the model has potentials {[p.name for p in model.potentials]}")
    if len(obs_map) != len(model.observed_RVs):
        raise RunError("SBC needs every observation in pm.Data; missing for "
                       f"{[rv.name for rv in model.observed_RVs if rv.name not in obs_map]}")
    # PyMC logs the sampled variable list at INFO once per call: one line per simulation, noise in SBC logs
    with _quiet_logger("pymc"):
        prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=seed)
    truth = {p: float(parameter_values(prior.prior, p)[0]) for p in scalar_parameters(model, prior)}
    data = {d.name: d.get_value() for d in model.data_vars}
    for obs_name, data_name in obs_map.items():
        data[data_name] = np.asarray(prior.prior_predictive[obs_name].values[0, 0]).astype(np.asarray(data[data_name]).dtype)
    return truth, data


def simulate_one(name: str, sim: int, cfg: RunConfig, thin_to: int) -> list[dict]:
    """One SBC simulation of model `name`: draw (θ*, y*) with the model's `sbc_draw`, refit on y*, rank θ*."""
    import nutpie

    from .runs import build_models
    from .sampling import _nutpie_compiled

    m = build_models([name], cfg, evidence=False)[name]
    model = m.build_model()
    seed = cfg.seed * 1000 + sim
    truth, data = m.sbc_draw(model, seed)
    compiled, _ = _nutpie_compiled(model, f"sbc:{name}")
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
            out_dir: Path | None = None, progress=None) -> tuple[Path, pd.DataFrame]:
    """Run `sims` simulations for model `name`; write ranks, per-parameter uniformity tests and a histogram."""
    cfg = cfg or RunConfig(chains=2, draws=500, tune=500)
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
        from . import plots
        plots.save(plots.rank_histograms(ranks), tmp / "ranks")
        atomic_write_json(tmp / "manifest.json", {"model": name, "sims": sims, "jobs": spec.describe(), "thin_to": thin_to,
                                                  "config": cfg.to_dict(), "wall_s": round(time.perf_counter() - t0, 1)})
    point_symlink(out_dir / f"{name}-latest", sid)
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
