"""Run the benchmarks and write benchmarks/results.md: one table per benchmark, each row with its date, the
machine (cores, RAM), the command and the result.

    python benchmarks/run.py                            # every benchmark at its default settings
    python benchmarks/run.py --only commands scale      # some of them; the other tables of results.md are kept
    python benchmarks/run.py --quick --out /tmp/r.md    # smallest settings, to check the script itself

Benchmarks:

* samplers — each model fitted by nutpie and by PyMC's NUTS in a fresh process (benchmarks/bench_fit.py): the
  first fit including compilation, a warm refit, ESS per second of sampling, peak RSS, R-hat, divergences;
* commands — `forecast run` with empty compile caches and warm, `forecast update` after one evidence count,
  `forecast report`; then the same with a running `forecast serve`, in a temporary workspace;
* scale — adoption + convergence on synthetic data of K technologies (benchmarks/scale.py).
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
RESULTS = ROOT / "benchmarks" / "results.md"
PY = sys.executable
BENCHMARKS = ("samplers", "commands", "scale")
TITLES = {"samplers": "Samplers per model", "commands": "Commands", "scale": "Scaling with the number of technologies"}
HEAD = ("# Benchmarks\n\nCurrent figures, written by `python benchmarks/run.py` (options in its docstring). One table per "
        "benchmark; every row gives the date, the machine, the command and the result.\n")
COUNT_ROW = ["evidence", "add", "--kind", "count", "--technology", "moe", "--k", "11", "--n", "18"]


# ------------------------------------------------------------------------------------------------ measuring

def sh(args, env=None, cwd=ROOT) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t0, r.stdout


def past_quarter_ends(n: int) -> list[str]:
    """The last `n` quarter ends before today, newest first (evidence may not be dated in the future)."""
    d, out = dt.date.today().replace(day=1), []
    while len(out) < n:
        d -= dt.timedelta(days=1)  # last day of the previous month
        if d.month % 3 == 0:
            out.append(d.isoformat())
        d = d.replace(day=1)
    return out


def forecast(*args: str) -> list[str]:
    return [PY, "-m", "forecast", *args]


def sampler_rows(models, draws: int, chains: int) -> list[dict]:
    rows = []
    for m in models:
        for s in ("nutpie", "pymc"):
            args = ["benchmarks/bench_fit.py", m, s, "--chains", str(chains), "--draws", str(draws), "--tune", str(draws)]
            _, out = sh([PY, *args])
            rows.append({**json.loads(out.strip().splitlines()[-1]), "command": "python " + " ".join(args)})
            print(rows[-1], flush=True)
    return rows


def make_workspace(home: Path) -> None:
    """A workspace of its own for the command benchmarks (`forecast init`, else a copy of data/ and priors/)."""
    _, usage = sh(forecast("--help"), env={"FORECAST_SERVER": "off"})
    commands = usage.split("{", 1)[1].split("}", 1)[0].split(",") if "{" in usage else []
    if "init" in commands:
        sh(forecast("init", str(home)), env={"FORECAST_SERVER": "off"})
        return
    shutil.copytree(ROOT / "data", home / "data")
    shutil.copytree(ROOT / "priors", home / "priors")
    (home / "data" / "evidence" / "evidence.csv").unlink(missing_ok=True)


def command_rows(home: Path, extra: list[str]) -> list[dict]:
    """Cold and warm `forecast run`, `forecast update` after one evidence count, `forecast report`; then served."""
    run = ["run", "--quiet", *extra]
    shown = " ".join(["forecast", *run])
    latest = home / "reports" / "latest" / "manifest.json"
    rows = []
    cold = Path(tempfile.mkdtemp())
    try:  # empty caches: base_compiledir holds PyTensor's C cache and the numba cache of compiled models
        env = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "off", "PYTENSOR_FLAGS": f"base_compiledir={cold}/pytensor",
               "NUMBA_CACHE_DIR": str(cold / "numba")}
        wall, _ = sh(forecast(*run), env=env)
        rows.append(_run_row(shown, "empty compile caches", wall, json.loads(latest.read_text())))
    finally:
        shutil.rmtree(cold, ignore_errors=True)
    env = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "off"}
    sh(forecast(*run), env=env)  # fills the default caches
    wall, _ = sh(forecast(*run), env=env)
    rows.append(_run_row(shown, "warm compile caches, repeated: posteriors, prior-only answers and figures equal the "
                                "previous run's and are reused", wall, json.loads(latest.read_text())))
    # another seed: other posteriors, so only compiled code is reused (every answer and figure is computed again)
    wall, _ = sh(forecast(*run, "--seed", "7"), env=env)
    rows.append(_run_row(f"{shown} --seed 7", "warm compile caches, another seed: nothing reused but compiled code",
                         wall, json.loads(latest.read_text())))
    first, second = past_quarter_ends(2)
    rows += _update_and_report(env, latest, first, "")
    sock = Path(tempfile.mkdtemp()) / "bench.sock"
    env = {"FORECAST_HOME": str(home), "FORECAST_SERVER": "on", "FORECAST_SERVER_SOCKET": str(sock)}
    sh(forecast("serve", "--detach"), env=env)
    try:
        wall, _ = sh(forecast(*run), env=env)
        rows.append(_run_row(shown, "served, first run: loads the graphs", wall, json.loads(latest.read_text())))
        wall, _ = sh(forecast(*run), env=env)
        rows.append(_run_row(shown, "served", wall, json.loads(latest.read_text())))
        rows += _update_and_report(env, latest, second, "served")
    finally:
        sh(forecast("serve", "--stop"), env=env)
        shutil.rmtree(sock.parent, ignore_errors=True)
    return rows


def _run_row(command: str, note: str, wall: float, man: dict) -> dict:
    per = "; ".join(f"{n} {t.get('compile_s', 0):.1f}/{t.get('sample_s', 0):.1f}"
                    + (f" (worker {t['compiled_in_worker_s']:.0f})" if "compiled_in_worker_s" in t else "")
                    for n, t in man["timings"].items())
    failed = [n for n, d in man.get("diagnostics", {}).items() if not d.get("passed")]
    return {"command": command, "note": note, "wall_s": wall, "inside_s": man.get("wall_s"),
            "detail": f"compile/sampling s per model: {per}; diagnostics: {'FAIL ' + ', '.join(failed) if failed else 'all pass'}"}


def _update_and_report(env: dict, latest: Path, date: str, note: str) -> list[dict]:
    sh(forecast(*COUNT_ROW, "--date", date, "--source", f"benchmark row {date}"), env=env)
    before = latest.resolve()
    wall, _ = sh(forecast("update", "--quiet"), env=env)
    man = json.loads(latest.read_text())
    if latest.resolve() == before:  # the run's models read no count evidence
        detail, inside = "nothing to update", None
    else:
        routes = {"refitted": man.get("refit") or [], "reweighted": man.get("reweighted") or [],
                  "re-derived": man.get("rederived") or []}
        detail = "; ".join(f"{k}: {', '.join(v) or 'none'}" for k, v in routes.items())
        inside = man.get("wall_s")
    rows = [{"command": "forecast update --quiet", "note": ", ".join(filter(None, ["after one evidence count", note])),
             "wall_s": wall, "inside_s": inside, "detail": detail}]
    wall, _ = sh(forecast("report"), env=env)
    rows.append({"command": "forecast report", "note": note, "wall_s": wall, "inside_s": None, "detail": "re-render, no sampling"})
    return rows


# ------------------------------------------------------------------------------------------------ writing

def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine()) if Path("/proc/cpuinfo").exists() else platform.machine()
    return f"{os.cpu_count()} cores, {ram:.1f} GB RAM ({cpu})"


def code_version() -> str:
    """The commit measured (with `+changes` when the working tree differs from it) and the library versions."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "forecast"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        rev, dirty = "", ""
    code = f"commit {rev}{' +changes' if dirty else ''}" if rev else "outside git"
    libs = ("convergence-forecast", "pymc", "pytensor", "nutpie", "numba", "arviz", "numpy", "pandas", "matplotlib")
    return f"Code: {code}; Python {platform.python_version()}, " + ", ".join(f"{p} {installed(p)}" for p in libs) + "."


def table(columns: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            + ["| " + " | ".join("—" if v is None else str(v) for v in r) + " |" for r in rows])


def samplers_section(rows: list[dict], when: str, where: str) -> list[str]:
    cols = ["date", "machine", "command", "draws per chain", "first fit incl. compile (s)", "warm fit (s)",
            "min bulk ESS", "ESS/s", "peak RSS (MB)", "max R-hat", "divergences"]
    return table(cols, [[when, where, f"`{r['command']}`", r["draws"], r["first_fit_s"], r["warm_fit_s"],
                         f"{r['min_ess_bulk']:.0f}", f"{r['ess_per_s']:.0f}", f"{r['peak_rss_mb']:.0f}",
                         f"{r['max_rhat']:.3f}", r["divergences"]] for r in rows])


def commands_section(rows: list[dict], when: str, where: str) -> list[str]:
    cols = ["date", "machine", "command", "wall (s)", "build, fit and score (s)", "detail"]
    return table(cols, [[when, where, f"`{r['command']}`" + (f" ({r['note']})" if r["note"] else ""), f"{r['wall_s']:.1f}",
                         None if r["inside_s"] is None else f"{r['inside_s']:.1f}", r["detail"]] for r in rows])


def scale_section(recs: list[dict], settings: str, when: str, where: str) -> list[str]:
    import scale
    cols = ["date", "machine", "command", "technologies K", "process wall (s)", "fit both models (s)",
            "adoption compile (s)", "adoption sampling (s)", "peak RSS (MB)", "max R-hat", "min ESS (bulk/tail)",
            "divergences", "t0 / r / ceiling / C in 90% interval"]
    out = []
    for r in recs:
        command = f"`python benchmarks/scale.py --sizes {r['K']} {settings}`"
        if r["status"] == "timeout":
            out.append([when, where, command, r["K"], f"> {r['process_wall_s']:.0f} (stopped)", None,
                        f"{r.get('compile_adoption_s', float('nan')):.1f}", "not finished", f"≥ {r['peak_rss_mb']:.0f}",
                        None, None, None, None])
            continue
        ad, cv, rv = r["models"]["adoption"], r["models"]["convergence"], r["recovery"]
        out.append([when, where, command, r["K"], f"{r['process_wall_s']:.1f}", f"{scale.fit_seconds(r):.1f}",
                    f"{r['compile_adoption_s']:.1f}", f"{ad['sample_s']:.1f}", f"{r['peak_rss_mb']:.0f}",
                    f"{max(ad['max_rhat'], cv['max_rhat']):.3f}",
                    f"{min(ad['min_ess_bulk'], cv['min_ess_bulk']):.0f} / {min(ad['min_ess_tail'], cv['min_ess_tail']):.0f}",
                    ad["divergences"] + cv["divergences"],
                    " / ".join(f"{100 * rv[k]:.0f}%" for k in ("t0", "r", "ceiling", "convergence_C"))])
    return table(cols, out) + ["", f"Target for the largest size: ≤ {scale.TARGET_S:.0f} s and ≤ {scale.TARGET_MB / 1024:.0f} GB. "
                               "Synthetic data drawn from the adoption prior (one draw of the hyper-parameters shared by "
                               "every size); empty compile caches per size."]


def read_sections(path: Path) -> dict[str, str]:
    """The benchmark sections of an existing results file, by benchmark name."""
    if not path.exists():
        return {}
    by_title = {t: b for b, t in TITLES.items()}
    out = {}
    for chunk in path.read_text().split("\n## ")[1:]:
        title = chunk.split("\n", 1)[0].strip()
        if title in by_title:
            out[by_title[title]] = "## " + chunk.rstrip() + "\n"
    return out


def write(path: Path, fresh: dict[str, list[str]]) -> None:
    sections = read_sections(path)
    for name, lines in fresh.items():
        sections[name] = "\n".join([f"## {TITLES[name]}", "", *lines]) + "\n"
    for name in BENCHMARKS:
        sections.setdefault(name, f"## {TITLES[name]}\n\nNo figures yet: run `python benchmarks/run.py` "
                                  f"(this table alone: `python benchmarks/run.py --only {name}`).\n")
    path.write_text(HEAD + "\n" + "\n".join(sections[n] for n in BENCHMARKS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    ap.add_argument("--quick", action="store_true", help="2 chains × 300 draws, and the scale benchmark at K = 10 only")
    ap.add_argument("--models", nargs="+", default=None, help="models of the sampler and command benchmarks (default: all)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="technologies K of the scale benchmark")
    ap.add_argument("--scale-timeout", type=float, default=0, help="stop a scale size after this many seconds (0 = never)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from forecast.models.registry import REGISTRY
    models = a.models or list(REGISTRY)
    draws, chains = (300, 2) if a.quick else (1000, 4)
    where, fresh = machine(), {}
    if "samplers" in a.only:
        rows = sampler_rows(models, draws, chains)
        fresh["samplers"] = samplers_section(rows, dt.date.today().isoformat(), where)
    if "commands" in a.only:
        home = Path(tempfile.mkdtemp()) / "workspace"
        extra = (["--draws", str(draws), "--tune", str(draws), "--chains", str(chains)] if a.quick else []) \
            + (["--models", *a.models] if a.models else [])
        try:
            make_workspace(home)
            rows = command_rows(home, extra)
        finally:
            shutil.rmtree(home.parent, ignore_errors=True)
        fresh["commands"] = commands_section(rows, dt.date.today().isoformat(), where)
    if "scale" in a.only:
        import scale
        sizes = a.sizes or ([10] if a.quick else list(scale.SIZES))
        recs = scale.sweep(sizes, chains=chains, draws=draws, tune=draws, timeout=a.scale_timeout)
        fresh["scale"] = scale_section(recs, f"--chains {chains} --draws {draws} --tune {draws}",
                                       dt.date.today().isoformat(), where)
    for name in fresh:
        fresh[name] += ["", code_version()]
    write(a.out, fresh)
    print(a.out.read_text())


if __name__ == "__main__":
    main()
