"""Run every benchmark and write benchmarks/results.md (one documented command):

    python benchmarks/run.py            # all models, both samplers at 4×1000, run/update/report timings
    python benchmarks/run.py --quick    # sampler comparison at 2×300 draws (the commands are always timed at defaults)

Each fit runs in its own process so peak RSS is per (model, sampler). `forecast run` is timed cold (empty
pytensor and numba caches in a temp dir) and warm (default caches, after a first run).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def sh(args, env=None, cwd=ROOT) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t0, r.stdout


def fits(models, draws, chains) -> list[dict]:
    rows = []
    for m in models:
        for s in ("nutpie", "pymc"):
            _, out = sh([PY, str(ROOT / "benchmarks" / "bench_fit.py"), m, s, "--draws", str(draws), "--tune", str(draws),
                         "--chains", str(chains)])
            rows.append(json.loads(out.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    return rows


def run_timings(home: Path, quick: bool) -> dict:
    """Cold and warm `forecast run`, `forecast update` after one evidence row, `forecast report`."""
    extra = ["--draws", "300", "--tune", "300", "--chains", "2"] if quick else []
    out = {}
    cold = Path(tempfile.mkdtemp())
    # base_compiledir holds pytensor's C cache and the numba cache of compiled models (forecast/compile_cache.py)
    env_cold = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "off", "PYTENSOR_FLAGS": f"base_compiledir={cold}/pytensor", "NUMBA_CACHE_DIR": str(cold / "numba")}
    out["run_cold_s"], _ = sh([PY, "-m", "forecast", "run", "--quiet", *extra], env=env_cold)
    out["run_cold_manifest"] = json.loads((home / "reports" / "latest" / "manifest.json").read_text())
    env = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "off"}
    sh([PY, "-m", "forecast", "run", "--quiet", *extra], env=env)  # warm the default caches
    out["run_warm_s"], _ = sh([PY, "-m", "forecast", "run", "--quiet", *extra], env=env)
    out["run_warm_manifest"] = json.loads((home / "reports" / "latest" / "manifest.json").read_text())
    sh([PY, "-m", "forecast", "evidence", "add", "--kind", "count", "--technology", "moe", "--date", "2026-09-30",
        "--k", "11", "--n", "18", "--source", "benchmark row"], env=env)
    out["update_s"], upd = sh([PY, "-m", "forecast", "update", "--quiet"], env=env)
    out["report_s"], _ = sh([PY, "-m", "forecast", "report"], env=env)
    man = json.loads((home / "reports" / "latest" / "manifest.json").read_text())
    out["update_refit"] = man.get("refit")
    out["update_reweighted"], out["update_rederived"] = man.get("reweighted") or [], man.get("rederived") or []
    out["update_fit_s"] = {n: t.get("total_s") for n, t in man["timings"].items()
                           if n in (man.get("refit") or []) + out["update_reweighted"]}
    out["update_wall_inside_s"] = man.get("wall_s")
    shutil.rmtree(cold, ignore_errors=True)
    out.update(served_timings(home, extra))
    return out


def served_timings(home: Path, extra: list[str]) -> dict:
    """The same warm run, update and report with a running `forecast serve` (imports and compiled graphs kept)."""
    (home / "data" / "evidence" / "evidence.csv").unlink(missing_ok=True)  # the same evidence row as above, again
    sock = Path(tempfile.mkdtemp()) / "bench.sock"
    env = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "on", "FORECAST_SERVER_SOCKET": str(sock)}
    out = {}
    sh([PY, "-m", "forecast", "serve", "--detach"], env=env)
    try:
        out["run_served_first_s"], _ = sh([PY, "-m", "forecast", "run", "--quiet", *extra], env=env)
        out["run_served_s"], _ = sh([PY, "-m", "forecast", "run", "--quiet", *extra], env=env)
        out["run_served_manifest"] = json.loads((home / "reports" / "latest" / "manifest.json").read_text())
        sh([PY, "-m", "forecast", "evidence", "add", "--kind", "count", "--technology", "moe", "--date", "2026-09-30",
            "--k", "11", "--n", "18", "--source", "benchmark row"], env=env)
        out["update_served_s"], _ = sh([PY, "-m", "forecast", "update", "--quiet"], env=env)
        out["update_served_inside_s"] = json.loads((home / "reports" / "latest" / "manifest.json").read_text()).get("wall_s")
        out["report_served_s"], _ = sh([PY, "-m", "forecast", "report"], env=env)
    finally:
        sh([PY, "-m", "forecast", "serve", "--stop"], env=env)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--models", nargs="+", default=None)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from forecast.models.registry import REGISTRY
    from forecast.pipeline.store import versions
    models = a.models or list(REGISTRY)
    draws, chains = (300, 2) if a.quick else (1000, 4)
    fit_rows = fits(models, draws, chains)
    home = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "data", home / "data")
    shutil.copytree(ROOT / "priors", home / "priors")
    (home / "data" / "evidence" / "evidence.csv").unlink(missing_ok=True)
    timings = run_timings(home, quick=False)
    write_results(fit_rows, timings, versions(), draws, chains, a.quick)


def write_results(rows, timings, vers, draws, chains, quick) -> None:
    by = {(r["model"], r["sampler"]): r for r in rows}
    lines = [f"# Benchmarks ({dt.date.today().isoformat()})", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             + ", ".join(f"{k} {v}" for k, v in vers.items() if k != "python"),
             f"Command: `python benchmarks/run.py{' --quick' if quick else ''}` ({chains} chains × {draws} draws, {draws} tuning).", "",
             "## Samplers per model (same run)", "",
             "| model | sampler | draws per chain | first fit incl. compile (s) | warm fit (s) | min bulk ESS | ESS/s | peak RSS (MB) | R-hat | divergences |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['sampler']} | {r.get('draws', draws)} | {r['first_fit_s']} | {r['warm_fit_s']} | {r['min_ess_bulk']:.0f} | "
                     f"{r['ess_per_s']:.0f} | {r['peak_rss_mb']:.0f} | {r['max_rhat']:.3f} | {r['divergences']} |")
    lines += ["", "| model | nutpie / PyMC ESS/s | nutpie / PyMC warm wall time | target ≥ 2× ESS/s |", "|---|---|---|---|"]
    for m in dict.fromkeys(r["model"] for r in rows):
        n, p = by.get((m, "nutpie")), by.get((m, "pymc"))
        if n and p:
            ratio = n["ess_per_s"] / max(p["ess_per_s"], 1e-9)
            lines.append(f"| {m} | {ratio:.1f}× | {n['warm_fit_s'] / max(p['warm_fit_s'], 1e-9):.2f} | {'met' if ratio >= 2 else 'missed'} |")
    lines += ["", "## Commands", "",
              f"- `forecast run` cold (empty compile caches): {timings['run_cold_s']:.0f} s (target ≤ 240 s)",
              f"- `forecast run` warm: {timings['run_warm_s']:.0f} s (target ≤ 90 s)",
              f"- `forecast update` after one MoE count row: {timings['update_s']:.0f} s wall for the command "
              f"({timings['update_wall_inside_s']} s inside before the report; refitted: {', '.join(timings['update_refit'] or []) or 'none'}; "
              f"reweighted: {', '.join(timings.get('update_reweighted') or []) or 'none'}; "
              f"re-derived with the new upstream: {', '.join(timings.get('update_rederived') or []) or 'none'}; "
              f"seconds per refitted or reweighted model: {timings['update_fit_s']}) (target ≤ 15 s)",
              f"- `forecast report` re-render: {timings['report_s']:.1f} s (target ≤ 5 s)", ""]
    if "run_served_s" in timings:
        lines += ["With a running `forecast serve` (started by `forecast serve --detach`; the same commands, "
                  "imports and compiled graphs kept in the server):", "",
                  f"- `forecast run` warm: {timings['run_served_s']:.0f} s (target ≤ 90 s; the server's first run, which "
                  f"loads each graph from the disk cache once: {timings['run_served_first_s']:.0f} s)",
                  f"- `forecast update` after the same MoE count row: {timings['update_served_s']:.1f} s wall "
                  f"({timings['update_served_inside_s']} s inside before the report) (target ≤ 15 s)",
                  f"- `forecast report` re-render: {timings['report_served_s']:.1f} s (target ≤ 5 s)", ""]
    for label, key in (("cold", "run_cold_manifest"), ("warm", "run_warm_manifest"), ("served warm", "run_served_manifest")):
        man = timings.get(key)
        if man:
            lines += [f"Per model, {label} run (compile s / sampling s; numba disk cache state):", ""]
            lines += [f"- {n}: {t['compile_s']:.1f} / {t['sample_s']:.1f} ({t.get('numba_disk_cache', '?')}"
                      + (f"; compiled in a worker process in {t['compiled_in_worker_s']:.1f} s" if "compiled_in_worker_s" in t else "")
                      + ")" for n, t in man["timings"].items()]
            failed = [f"{n} ({'; '.join(d['failures'])})" for n, d in man.get("diagnostics", {}).items() if not d.get("passed")]
            lines += [f"- whole run inside the process: {man['wall_s']:.0f} s; all diagnostics passed: {man['all_diagnostics_passed']}"
                      + (f"; failed: {', '.join(failed)}" if failed else ""), ""]
    notes = ROOT / "benchmarks" / "notes.md"
    if notes.exists():
        lines += [notes.read_text()]
    scale = ROOT / "benchmarks" / "scale_results.md"
    if scale.exists():
        lines += [scale.read_text()]
    (ROOT / "benchmarks" / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
