"""Benchmark one model with one sampler in a fresh process: compile, warm sampling, ESS/s, peak RSS.

Usage: python benchmarks/bench_fit.py MODEL nutpie|pymc [--chains 4 --draws 1000 --tune 1000]
Prints one JSON line. Run through benchmarks/run.py, which calls it for every model and both samplers.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("sampler", choices=("nutpie", "pymc"))
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    from forecast.core.config import RunConfig
    from forecast.models.registry import build_models
    from forecast.pipeline.schedule import fit_all

    cfg = RunConfig(seed=a.seed, chains=a.chains, draws=a.draws, tune=a.tune, sampler=a.sampler, quiet=True)
    models = build_models([a.model], cfg)
    # fit requirements (e.g. adoption for convergence) first, untimed
    fit_all(models, cfg, lambda m: None, only={n for n in models if n != a.model})
    m = models[a.model]
    t0 = time.perf_counter()
    first = m.fit()  # includes compilation when the cache is cold
    t1 = time.perf_counter()
    warm = m.fit()  # compiled graph reused (nutpie) — the steady-state cost of a refit
    t2 = time.perf_counter()
    d = warm.diagnostics
    min_ess = min(d.min_ess_bulk, d.min_ess_tail)
    print(json.dumps({
        "model": a.model, "sampler": a.sampler, "chains": a.chains, "draws": m.draws_count(), "target_accept": m.target_accept(),
        "first_fit_s": round(t1 - t0, 2), "compile_s": round(first.seconds_compile, 2),
        "warm_fit_s": round(t2 - t1, 2), "warm_sample_s": round(warm.seconds_sample, 2),
        "min_ess_bulk": round(d.min_ess_bulk, 1), "min_ess": round(min_ess, 1),
        "ess_per_s": round(d.min_ess_bulk / max(warm.seconds_sample, 1e-9), 1),
        "max_rhat": round(d.max_rhat, 4), "divergences": d.divergences, "passed": d.passed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
