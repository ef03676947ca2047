"""Command-line interface: `forecast run | milestones | report | data build`.

Errors derived from ForecastError print as one line on stderr and exit non-zero; nothing is written.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .config import SAMPLERS, RunConfig
from .errors import ForecastError


def _progress(quiet: bool):
    if quiet:
        return None
    t0 = time.perf_counter()
    return lambda msg: print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def _add_sampling(p: argparse.ArgumentParser) -> None:
    d = RunConfig()
    p.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    p.add_argument("--chains", type=int, default=d.chains)
    p.add_argument("--draws", type=int, default=d.draws)
    p.add_argument("--tune", type=int, default=d.tune)
    p.add_argument("--sampler", choices=SAMPLERS, default=d.sampler, help="nutpie (default) or PyMC's NUTS")
    p.add_argument("--models", nargs="+", default=None, help="subset of models to fit (default: all)")
    p.add_argument("--out", type=Path, default=None, help="reports directory (default: reports/)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _cfg(a) -> RunConfig:
    return RunConfig(seed=a.seed, chains=a.chains, draws=a.draws, tune=a.tune, sampler=a.sampler,
                     quiet=a.quiet)


def _print_table(table) -> None:
    from .report import milestone_rows
    rows = milestone_rows(table)
    cols = [("id", 34), ("target", 10), ("p", 14), ("median", 13), ("interval", 27), ("diag", 5)]
    print("  ".join(f"{c:<{w}}" for c, w in [("milestone", 34), ("target", 10), ("P(by target)", 14), ("median", 13), ("80% interval", 27), ("diag", 5)]))
    for r in rows:
        print("  ".join(f"{str(r[c])[:w]:<{w}}" for c, w in cols))


def cmd_run(a) -> int:
    from .runs import run
    res = run(a.models, _cfg(a), out_dir=a.out, progress=_progress(a.quiet))
    _print_table(res.milestones)
    print(f"\nwrote {res.path} ({res.manifest['wall_s']:.0f}s); report: {res.path / 'report.html'}")
    if not res.manifest["all_diagnostics_passed"]:
        print("warning: at least one model failed the diagnostics gate (see the report)", file=sys.stderr)
    return 0


def cmd_milestones(a) -> int:
    from .runs import load_run
    r = load_run(a.run)
    if a.json:
        print(r.milestones.to_json(orient="records", indent=2))
    else:
        print(f"run {r.manifest['run_id']}")
        _print_table(r.milestones)
    return 0


def cmd_report(a) -> int:
    from .report import render_all
    from .runs import load_run
    t0 = time.perf_counter()
    r = load_run(a.run)
    render_all(r, r.path)
    print(f"re-rendered {r.path / 'report.html'} in {time.perf_counter() - t0:.1f}s")
    if a.open:
        import webbrowser
        webbrowser.open((r.path / "report.html").as_uri())
    return 0


def cmd_data_build(a) -> int:
    from .databuild import build_all
    built = build_all(a.source, a.out, only=a.only)
    for name, frame in built.items():
        print(f"{name}: {len(frame)} rows")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forecast", description="Posterior probabilities for AI-convergence claims.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fit every model on the embedded data and write reports/<run-id>/")
    _add_sampling(r)
    r.set_defaults(func=cmd_run)
    m = sub.add_parser("milestones", help="print the milestone table of a run (default: reports/latest)")
    m.add_argument("--run", type=Path, default=None)
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_milestones)
    rep = sub.add_parser("report", help="re-render a saved run's report without sampling")
    rep.add_argument("--run", type=Path, default=None)
    rep.add_argument("--open", action="store_true", help="open report.html in a browser")
    rep.set_defaults(func=cmd_report)
    d = sub.add_parser("data", help="curated data tables")
    dsub = d.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="rebuild data/*.csv and data/SOURCES.md from ../shared/data")
    b.add_argument("--from", dest="source", type=Path, default=Path("../shared/data"))
    b.add_argument("--out", type=Path, default=None)
    b.add_argument("--only", nargs="+", default=None)
    b.set_defaults(func=cmd_data_build)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
