"""Scaling benchmark of the adoption + convergence models on synthetic data drawn from the adoption prior.

    python benchmarks/run.py --only scale                           # K = 10, 50, 100, 500 × 40 quarters, 4×1000: the table in results.md
    python benchmarks/scale.py --sizes 10 --draws 200 --json r.json  # one size alone: prints (and saves) its record

For each K a fresh process (so `ru_maxrss` is that size's peak):

1. writes a temporary FORECAST_HOME: `priors/*.yaml` copied from the project, `technologies.yaml` replaced by a
   synthetic registry of K technologies spread over the project's six layers and both ceiling groups, each with
   `reference_series: synthetic` (the simulated counts have no frame offset, so the synthetic list *is* the
   reference frame; otherwise every technology would get a free logit offset confounded with its ceiling);
   their true standardization and controversy are drawn from Beta(2, 2) (no variant data: convergence fits
   them from its population prior);
2. draws the curves from the adoption prior: one draw of the population means (growth rate over all
   technologies, t0 per layer, logit ceiling per ceiling group), the sds and the beta-binomial concentration φ,
   shared by every size (so sizes differ only in K), and per-technology deviations mean + sd · z; simulates quarterly counts 2016Q1–2025Q4 (n ~ U{20..60},
   k ~ BetaBinomial(n, s·φ, (1−s)·φ), s = the curve at the quarter's midpoint) and writes them as
   `data/adoption_observations.csv` (kind=count, series "synthetic");
3. fits adoption, then convergence, with the package's normal path (`forecast.models.registry.build_models` +
   `forecast.pipeline.schedule.fit_all`, nutpie) on empty pytensor / numba caches in the temp dir;
4. writes one JSON record: compile / sampling / total seconds per model, process wall, peak RSS, R-hat, ESS,
   divergences, nutpie step statistics, and parameter recovery (share of technologies whose true t0, r,
   ceiling lies in the posterior 90% interval; for convergence, the share whose true C on 2025-12-31 does).

`sweep` runs the sizes one after another; benchmarks/run.py turns its records into the scale table of
benchmarks/results.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T_PROCESS = time.perf_counter()

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SIZES = (10, 50, 100, 500)
SEED = 20261126
QUARTERS = 40
FIRST_QUARTER = "2016-01-01"
C_DATE = "2025-12-31"  # date of the convergence-degree recovery check (end of the simulated data)
# convergence degree per level as the seed states it (000_61de7e8b4708d969.txt, "四、收敛模型分类矩阵", column 收敛度)
LEVEL_C = {"L0": 0.10, "L1": 0.30, "L2": 0.60, "L3": 0.85, "L4": 0.95}
TARGET_S, TARGET_MB = 180.0, 4096.0  # the largest size should fit in 3 minutes and 4 GB


# ----------------------------------------------------------------------------------------- synthetic world

def synthetic_world(K: int, home: Path, seed: int) -> dict:
    """Write home/priors and home/data for K technologies; return the true parameters (registry order)."""
    import pandas as pd
    import yaml

    from forecast.core.timeutil import logistic, years_since
    from forecast.data.priors import load_priors
    from forecast.data.technologies import load_technologies

    (home / "priors").mkdir(parents=True)
    (home / "data").mkdir()
    for f in sorted((ROOT / "priors").glob("*.yaml")):
        shutil.copyfile(f, home / "priors" / f.name)
    pri = load_priors("adoption", home / "priors")
    registry = load_technologies(ROOT / "priors")
    layers, groups = list(registry.layers), list(registry.ceiling_groups)
    L = len(layers)

    # hyper-parameters: one prior draw shared by every K (seeded without K)
    hyper_rng = np.random.default_rng([seed, 0])
    draw = lambda key, size=None: pri[key].to_scipy().rvs(size=size, random_state=hyper_rng)  # noqa: E731
    hyper = {"logr_mean": float(draw("logr_mean")), "t0_layer_mean": draw("t0_layer_mean", L),
             "logitc_group_mean": np.array([float(draw(f"logitc_{g}_mean")) for g in groups]),
             "logr_tech_sd": float(draw("logr_tech_sd")), "t0_tech_sd": float(draw("t0_tech_sd")),
             "logitc_tech_sd": float(draw("logitc_tech_sd")), "concentration": float(draw("concentration"))}

    # technologies: balanced over the layers and ceiling groups, tech-level deviations drawn per K
    rng = np.random.default_rng([seed, K])
    lix = rng.permutation(np.arange(K) % L)
    gix = rng.permutation(np.arange(K) % len(groups))
    z = rng.standard_normal((3, K))
    logr = hyper["logr_mean"] + hyper["logr_tech_sd"] * z[0]
    t0 = hyper["t0_layer_mean"][lix] + hyper["t0_tech_sd"] * z[1]
    lc = hyper["logitc_group_mean"][gix] + hyper["logitc_tech_sd"] * z[2]
    r, ceiling = np.exp(logr), logistic(lc)
    levels = rng.choice(list(LEVEL_C), size=K)
    ids = [f"syn{i:03d}" for i in range(K)]
    S, Kc = rng.beta(2.0, 2.0, size=K), rng.beta(2.0, 2.0, size=K)
    techs = [{"id": tid, "name": f"Synthetic technology {i}", "layer": layers[lix[i]], "seed_level": str(levels[i]),
              "seed_convergence": LEVEL_C[levels[i]],
              "seed_values": {"adoption": None, "standardization": None, "controversy": None, "maturity": None},
              "source": "synthetic (benchmarks/scale.py)", "ceiling_group": groups[gix[i]], "reference_series": "synthetic"}
             for i, tid in enumerate(ids)]
    (home / "priors" / "technologies.yaml").write_text(yaml.safe_dump(
        {"version": 2, "layers": layers, "ceiling_groups": {g: "synthetic" for g in groups}, "technologies": techs},
        sort_keys=False, allow_unicode=True))

    # quarterly beta-binomial counts
    start = pd.date_range(FIRST_QUARTER, periods=QUARTERS, freq="QS")
    end = start + pd.offsets.QuarterEnd(0)
    t = years_since(start + (end - start) / 2, pri.settings["ref_date"])
    s = ceiling[:, None] * logistic(r[:, None] * (t[None, :] - t0[:, None]))  # (K, Q)
    phi = hyper["concentration"]
    n = rng.integers(20, 61, size=s.shape)
    eps = 1e-9
    p = rng.beta(np.clip(s, eps, 1 - eps) * phi, np.clip(1 - s, eps, 1 - eps) * phi)
    k = rng.binomial(n, p)
    frame = pd.DataFrame({
        "technology": np.repeat(ids, QUARTERS), "kind": "count",
        "period_start": np.tile(start.strftime("%Y-%m-%d"), K), "period_end": np.tile(end.strftime("%Y-%m-%d"), K),
        "k": k.ravel(), "n": n.ravel(), "share": "", "share_lo": "", "share_hi": "", "series": "synthetic",
        "source": f"synthetic prior draw (benchmarks/scale.py, seed {seed}, K {K})"})
    frame.to_csv(home / "data" / "adoption_observations.csv", index=False)
    return {"ids": ids, "r": r, "t0": t0, "ceiling": ceiling, "standardization": S, "controversy": Kc,
            "hyper": {k_: (v.tolist() if isinstance(v, np.ndarray) else v) for k_, v in hyper.items()},
            "n_obs": int(k.size), "mean_share_obs": float((k / n).mean())}


# ----------------------------------------------------------------------------------------- one size (child)

def coverage(draws: np.ndarray, truth: np.ndarray, level: float = 0.90) -> float:
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return float(((truth >= lo) & (truth <= hi)).mean())


def step_stats(idata) -> dict:
    ss = idata.sample_stats
    out = {}
    for key, name in (("n_steps", "mean_n_steps"), ("depth", "mean_depth"), ("step_size", "step_size")):
        if key in ss:
            out[name] = float(np.asarray(ss[key]).mean())
    if "n_steps" in ss:
        out["max_n_steps"] = int(np.asarray(ss["n_steps"]).max())
        out["post_warmup_leapfrogs"] = int(np.asarray(ss["n_steps"]).sum())
    return out


def child(K: int, home: Path, out: Path, chains: int, draws: int, tune: int, seed: int) -> None:
    import importlib
    import logging
    import resource
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    t_import = time.perf_counter()
    from forecast.core.config import RunConfig
    from forecast.models.registry import build_models
    from forecast.pipeline.schedule import fit_all
    for heavy in ("nutpie", "pymc"):  # import cost counted here, not in the fit
        importlib.import_module(heavy)
    t_world = time.perf_counter()
    truth = synthetic_world(K, home, seed)
    t_build = time.perf_counter()
    cfg = RunConfig(seed=seed, chains=chains, draws=draws, tune=tune, sampler="nutpie", quiet=True)
    models = build_models(["convergence"], cfg, home / "data")
    # compile adoption through forecast.inference.sampling's own in-process cache (the same entry `fit` uses), timed and
    # marked on disk, so a size that is stopped by --timeout still reports its compile time
    from forecast.inference.sampling import nutpie_compiled
    t_c = time.perf_counter()
    compiled, _ = nutpie_compiled(models["adoption"].build_model(), "adoption")
    compile_adoption = time.perf_counter() - t_c
    # cost of one logp + gradient evaluation: the compiled C callback nutpie calls per leapfrog, at the origin
    import ctypes
    dp = ctypes.POINTER(ctypes.c_double)
    xs, gs, lp = np.zeros(compiled.n_dim), np.zeros(compiled.n_dim), np.zeros(1)
    cargs = (compiled.n_dim, xs.ctypes.data_as(dp), gs.ctypes.data_as(dp), lp.ctypes.data_as(dp), ctypes.c_void_p(compiled.user_data.ctypes.data))
    fn = compiled.compiled_logp_func.ctypes
    fn(*cargs)
    n_eval = 500
    t_g = time.perf_counter()
    for _ in range(n_eval):
        fn(*cargs)
    grad_us = 1e6 * (time.perf_counter() - t_g) / n_eval
    stage = out.with_suffix(".stage")
    stage.write_text(json.dumps({"compile_adoption_s": compile_adoption, "grad_us": grad_us,
                                 "sampling_started_at_child_s": time.perf_counter() - T_PROCESS}))
    t_fit = time.perf_counter()
    timings = fit_all(models, cfg, lambda msg: None)
    t_done = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss_mb = ru.ru_maxrss / 1024

    ad, cv = models["adoption"], models["convergence"]
    pm_model = ad.build_model()
    n_dim = int(sum(np.size(v) for v in pm_model.initial_point().values()))
    rec = {"K": K, "n_obs": truth["n_obs"], "mean_share_obs": truth["mean_share_obs"], "hyper": truth["hyper"],
           "n_dim_adoption": n_dim, "import_s": t_world - t_import, "simulate_s": t_build - t_world,
           "build_s": t_fit - t_build, "fit_s": t_done - t_fit, "child_wall_s": t_done - T_PROCESS,
           "peak_rss_mb": rss_mb, "cpu_s": ru.ru_utime + ru.ru_stime, "compile_adoption_s": compile_adoption, "grad_us": grad_us, "config": {"chains": chains, "draws": draws, "tune": tune, "seed": seed}, "models": {}}
    for name, m in (("adoption", ad), ("convergence", cv)):
        d = m.diagnostics
        rec["models"][name] = {**timings[name], "max_rhat": d.max_rhat, "min_ess_bulk": d.min_ess_bulk, "min_ess_tail": d.min_ess_tail,
                               "divergences": d.divergences, "passed": d.passed, "worst": d.worst, **step_stats(m.idata)}
    ids = truth["ids"]
    assert ad.inputs["techs"] == ids
    rec["recovery"] = {"t0": coverage(ad.draws("t0"), truth["t0"]), "r": coverage(ad.draws("r"), truth["r"]),
                       "ceiling": coverage(ad.draws("ceiling"), truth["ceiling"]),
                       "t0_abs_err_median_y": float(np.median(np.abs(np.median(ad.draws("t0"), axis=0) - truth["t0"]))),
                       "standardization": coverage(cv.draws("standardization"), truth["standardization"]),
                       "controversy": coverage(cv.draws("controversy"), truth["controversy"])}
    from forecast.core.timeutil import logistic, years_since
    import pandas as pd
    when = pd.DatetimeIndex([pd.Timestamp(C_DATE)])
    tc = years_since(when, ad.inputs["ref_date"])[0]
    w = cv.inputs["weights"]
    a_true = truth["ceiling"] * logistic(truth["r"] * (tc - truth["t0"]))
    c_true = w["adoption"] * a_true + w["standardization"] * truth["standardization"] + w["controversy"] * (1 - truth["controversy"])
    c_draws = np.column_stack([cv.c_paths(t, when)[:, 0] for t in ids])
    rec["recovery"]["convergence_C"] = coverage(c_draws, c_true)
    rec["post_fit_s"] = time.perf_counter() - t_done
    rec["status"] = "done"
    out.write_text(json.dumps(rec, default=float))


# ----------------------------------------------------------------------------------------- sweep (parent)

def run_size(K: int, a) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"scale{K}-"))
    # base_compiledir, not compiledir: PyTensor keeps its numba cache (the compiled models) in <base_compiledir>/numba,
    # so with compiledir alone every size after the first run of a graph loaded it from the user's cache
    env = {**os.environ, "FORECAST_HOME": str(tmp / "home"), "PYTENSOR_FLAGS": f"base_compiledir={tmp}/pytensor",
           "NUMBA_CACHE_DIR": str(tmp / "numba"), "PYTHONWARNINGS": "ignore"}
    out = tmp / "result.json"
    log = tmp / "child.log"
    args = [PY, str(Path(__file__).resolve()), "--child", str(K), "--home", str(tmp / "home"), "--out", str(out),
            "--chains", str(a.chains), "--draws", str(a.draws), "--tune", str(a.tune), "--seed", str(a.seed)]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    hwm_kb, cpu_ticks, timed_out = 0, 0, False
    with open(log, "w") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        while proc.poll() is None:
            try:  # peak RSS and CPU so far, for a size stopped by the timeout
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        hwm_kb = max(hwm_kb, int(line.split()[1]))
                f = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu_ticks = int(f[11]) + int(f[12])
            except (OSError, ValueError, IndexError):
                pass
            if a.timeout and time.perf_counter() - t0 > a.timeout:
                timed_out = True
                proc.kill()  # only the child this function started, by its handle
                proc.wait()
                break
            time.sleep(0.5)
    wall = time.perf_counter() - t0
    load = [round(x, 2) for x in (*load0, *os.getloadavg())]
    if timed_out:
        st = out.with_suffix(".stage")
        stage = json.loads(st.read_text()) if st.exists() else {}
        rec = {"K": K, "status": "timeout", "process_wall_s": wall, "peak_rss_mb": hwm_kb / 1024,
               "cpu_s": cpu_ticks / os.sysconf("SC_CLK_TCK"), "loadavg_before_after": load, **stage}
        shutil.rmtree(tmp, ignore_errors=True)
        return rec
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"K={K} failed (exit {proc.returncode}); log tail:\n{log.read_text()[-4000:]}")
    rec = json.loads(out.read_text())
    rec["process_wall_s"] = wall
    rec["loadavg_before_after"] = load
    shutil.rmtree(tmp, ignore_errors=True)
    return rec


def fit_seconds(rec: dict) -> float:
    """Compile + sample + diagnostics of both models (what `fit_all` times)."""
    return sum(m["total_s"] for m in rec["models"].values())


def sweep(sizes, *, chains: int = 4, draws: int = 1000, tune: int | None = None, seed: int = SEED,
          timeout: float = 0, say=print) -> list[dict]:
    """One record per size (each fitted in its own process), in increasing K."""
    a = argparse.Namespace(chains=chains, draws=draws, tune=draws if tune is None else tune, seed=seed, timeout=timeout)
    recs = []
    for K in sorted(sizes):
        rec = run_size(K, a)
        recs.append(rec)
        if rec["status"] == "timeout":
            say(f"K={K}: STOPPED after {rec['process_wall_s']:.0f}s (adoption compile {rec.get('compile_adoption_s', float('nan')):.1f}s), "
                f"peak RSS so far {rec['peak_rss_mb']:.0f} MB")
        else:
            ad = rec["models"]["adoption"]
            say(f"K={K}: wall {rec['process_wall_s']:.1f}s, CPU {rec['cpu_s']:.0f}s (adoption compile {rec['compile_adoption_s']:.1f}s, "
                f"sampling {ad['sample_s']:.1f}s), peak RSS {rec['peak_rss_mb']:.0f} MB, R-hat {ad['max_rhat']:.3f}, "
                f"div {ad['divergences']}, t0 coverage {rec['recovery']['t0']:.2f}")
    return recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=None)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--timeout", type=float, default=0, help="stop a size after this many seconds (0 = never); recorded as a timeout")
    ap.add_argument("--json", type=Path, default=None, help="also save the records here")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.tune = a.draws if a.tune is None else a.tune
    if a.child is not None:
        child(a.child, a.home, a.out, a.chains, a.draws, a.tune, a.seed)
        return
    recs = sweep(a.sizes, chains=a.chains, draws=a.draws, tune=a.tune, seed=a.seed, timeout=a.timeout,
                 say=lambda msg: print(msg, file=sys.stderr, flush=True))
    text = json.dumps(recs, indent=1, default=float)
    if a.json:
        a.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
