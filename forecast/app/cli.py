"""Command-line interface: `forecast init | run | update | report | milestones | evidence | history | backtest | sbc |
serve | data build | data refresh`.

Every command runs in a workspace (`forecast.core.workspace`: `--workspace DIR`, FORECAST_HOME, the nearest
forecast.toml from the current folder up, else the embedded defaults, read-only).
Errors derived from ForecastError print as one line on stderr and exit non-zero; nothing is written.
When a `forecast serve` process of this environment runs the same code, commands run there (forecast/server.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from forecast.app import workspace_commands as wsc
from forecast.core import workspace
from forecast.core.config import SAMPLERS, RunConfig
from forecast.core.errors import ForecastError


def _progress(quiet: bool):
    # progress goes to an interactive terminal only: CI logs and pipes stay clean
    if quiet or not sys.stderr.isatty():
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
    p.add_argument("--out", type=Path, default=None, help="reports directory (default: the workspace's reports/, "
                                                          "outside any workspace ./reports)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _cfg(a) -> RunConfig:
    return RunConfig(seed=a.seed, chains=a.chains, draws=a.draws, tune=a.tune, sampler=a.sampler,
                     quiet=a.quiet or not sys.stderr.isatty())


def _print_table(table) -> None:
    from forecast.report.render import milestone_rows
    rows = milestone_rows(table)
    cols = [("id", 34), ("target", 10), ("p", 14), ("median", 13), ("interval", 27), ("diag", 5)]
    print("  ".join(f"{c:<{w}}" for c, w in [("milestone", 34), ("target", 10), ("P(by target)", 14), ("median", 13), ("80% interval", 27), ("diag", 5)]))
    for r in rows:
        print("  ".join(f"{str(r[c])[:w]:<{w}}" for c, w in cols))


def cmd_run(a) -> int:
    from forecast.app.api import run
    wsc.say_workspace()
    res = run(a.models, _cfg(a), out_dir=a.out, progress=_progress(a.quiet))
    _print_table(res.milestones)
    print(f"\nwrote {res.path} ({res.manifest['wall_s']:.0f}s); report: {res.path / 'report.html'}")
    if not res.manifest["all_diagnostics_passed"]:
        print("warning: at least one model failed the diagnostics gate (see the report)", file=sys.stderr)
    return 0


def cmd_milestones(a) -> int:
    from forecast.pipeline.store import load_run
    r = load_run(a.run)
    if a.json:
        print(r.milestones.to_json(orient="records", indent=2))
    else:
        from forecast.report.claims import format_claims
        print(f"run {r.manifest['run_id']}")
        print(format_claims(r, sort=a.sort, layer=a.layer, model=a.model))
    return 0


def cmd_report(a) -> int:
    from forecast.app.api import report
    t0 = time.perf_counter()
    r = report(a.run, svg=a.svg)
    print(f"re-rendered {r.path / 'report.html'} in {time.perf_counter() - t0:.1f}s")
    if a.open:
        import webbrowser
        webbrowser.open((r.path / "report.html").as_uri())
    return 0


def cmd_evidence_add(a) -> int:
    from forecast.data.evidence import append, evidence_path, make_row
    workspace.require("forecast evidence add")
    row = make_row(a.kind, observed_date=a.date, source=a.source, technology=a.technology, attribute=a.attribute,
                   period_start=a.period_start, series=a.series, k=a.k, n=a.n, share=a.share, share_lo=a.lo, share_hi=a.hi,
                   model=a.model, organization=a.organization, training_compute=a.compute, parameters=a.parameters)
    stored = append(row)
    print(f"added {stored['id']} ({a.kind}, {a.technology or a.model}, {stored['observed_date']}) to {evidence_path()}; "
          f"run `forecast update` to refit")
    return 0


def cmd_evidence_list(a) -> int:
    import pandas as pd

    from forecast.data.evidence import load_evidence
    ev = load_evidence()
    if ev.empty:
        print("evidence log is empty")
        return 0
    cols = ["id", "observed_date", "kind", "technology", "attribute", "series", "k", "n", "share", "model", "training_compute", "source"]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        print(ev[cols].to_string(index=False))
    return 0


def cmd_update(a) -> int:
    from forecast.app.api import changed_tables, update
    from forecast.pipeline.update import plan_update
    wsc.say_workspace()
    if changed := changed_tables(a.run):
        return _update_on_new_data(a, changed)
    plan = plan_update(a.run)
    print(f"parent run: {plan.parent.name}; new evidence: {len(plan.new_evidence)} row(s) "
          f"{', '.join(plan.new_evidence['id']) if len(plan.new_evidence) else ''}")
    print(f"update: {', '.join(plan.refit) or 'nothing'}; reuse: {', '.join(plan.reuse) or 'nothing'}"
          + (f"; reuse with the updated upstream: {', '.join(plan.rederive)}" if plan.rederive else ""))
    if a.dry_run or not plan.refit:
        if not plan.refit:
            print("no model is touched by new evidence; nothing to do")
        return 0
    res, diff = update(a.run, progress=_progress(a.quiet), reweight=not a.refit)
    print_diff(diff, res.manifest["config"].get("horizon"))
    print(f"\nwrote {res.path}; diff saved to {res.path / 'diff.csv'}")
    return 0


def _update_on_new_data(a, changed: list[str]) -> int:
    from forecast.app.api import update
    from forecast.pipeline.store import resolve_run_path
    parent = resolve_run_path(a.run)
    print(f"parent run: {parent.name}; tables changed since: {', '.join(changed)}; "
          f"refitting its models on the current tables and evidence")
    if a.dry_run:
        return 0
    res, diff = update(a.run, progress=_progress(a.quiet))
    print_diff(diff, res.manifest["config"].get("horizon"))
    print(f"\nwrote {res.path}; diff saved to {res.path / 'diff.csv'}")
    return 0


def print_diff(diff, horizon=None) -> None:
    from forecast.report.diff import format_diff
    print(format_diff(diff, horizon))


def cmd_resolve(a) -> int:
    from forecast.evaluation.milestones import resolve, score_resolutions
    from forecast.pipeline.history import load_history
    workspace.require("forecast resolve")
    row = resolve(a.id, a.outcome, a.date, a.source)
    print(f"resolved {row['id']}: {row['outcome']} on {row['date']} ({row['source']})")
    _print_scores(score_resolutions(load_history()))
    return 0


def _print_scores(scores) -> None:
    if scores.empty:
        print("no resolved milestones yet")
        return
    print(scores.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    s = scores.dropna(subset=["p"])
    if len(s):
        print(f"\naggregate over {len(s)} scored milestone(s): mean Brier {s['brier'].mean():.3f}, mean log score {s['log_score'].mean():.3f}")


def cmd_scores(a) -> int:
    from forecast.evaluation.milestones import score_resolutions
    from forecast.pipeline.history import load_history
    _print_scores(score_resolutions(load_history()))
    return 0


def cmd_history(a) -> int:
    from forecast.pipeline.history import load_history
    h = load_history()
    if a.id:
        h = h[h["milestone"] == a.id]
    if h.empty:
        print("no history yet (each `forecast run` / `update` appends to reports/history.csv)")
        return 0
    print(h.to_string(index=False))
    return 0


def _calibration_record(a) -> Path | None:
    """The workspace's calibration record that `backtest` / `sbc` refresh (None with --no-record or outside a workspace)."""
    from forecast.pipeline.calibration_record import store_dir
    ws = workspace.current()
    if a.no_record or not ws.writable:
        if not a.no_record and not a.quiet:
            print("outside a workspace: the calibration record is not updated (run `forecast init` to keep one)")
        return None
    return store_dir(ws.data)


def _command_line(name: str) -> str:
    return "forecast " + " ".join([name, *sys.argv[2:]]) if len(sys.argv) > 1 and sys.argv[1] == name else f"forecast {name}"


def cmd_backtest(a) -> int:
    from forecast.calibration.backtest import run_backtest
    cfg = RunConfig(seed=a.seed, chains=a.chains, draws=a.draws, tune=a.tune, sampler=a.sampler)
    t0 = time.perf_counter()
    path, summary = run_backtest(a.as_of, a.models, cfg, jobs=a.jobs, out_dir=a.out, progress=_progress(a.quiet),
                                 record=_calibration_record(a), command=_command_line("backtest"))
    import pandas as pd
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\nwrote {path} in {time.perf_counter() - t0:.0f}s")
    return 0


def cmd_sbc(a) -> int:
    from forecast.calibration.sbc import run_sbc
    cfg = RunConfig(seed=a.seed, chains=a.chains, draws=a.draws, tune=a.tune)
    t0 = time.perf_counter()
    for name in a.model:
        path, summary = run_sbc(name, a.sims, cfg, jobs=a.jobs, out_dir=a.out, progress=_progress(a.quiet),
                                record=_calibration_record(a), command=_command_line("sbc"))
        print(f"{name}: {a.sims} simulations → {path}")
        print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\n{time.perf_counter() - t0:.0f}s")
    return 0


def cmd_serve(a) -> int:
    from forecast.app import server
    path = a.socket
    if a.status or a.stop or a.restart:
        st = server.request("stop" if (a.stop or a.restart) else "status", path)
        if st is None:
            print(f"no server listens on {path or server.socket_path()}")
            if not a.restart:
                return 1 if a.status else 0
        else:
            up = st["uptime_s"]
            print(f"{'stopped' if (a.stop or a.restart) else 'running'}: pid {st['pid']}, up {up / 60:.1f} min, "
                  f"{st['commands']} command(s) served, {st['compiled_graphs']} compiled graph(s) kept; socket {st['socket']}")
        if not a.restart:
            return 0
        for _ in range(100):  # the old server unlinks its socket as it stops
            if server.request("status", path, timeout=0.5) is None:
                break
            time.sleep(0.1)
    if a.detach or a.restart:
        st = server.start_detached(path, a.idle_minutes)
        print(f"serving: pid {st['pid']} on {st['socket']} (log {Path(st['socket']).with_suffix('.log')}); "
              f"`forecast serve --stop` stops it")
        return 0
    server.serve(run_local, path, a.idle_minutes)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forecast", description="Posterior probabilities for AI-convergence claims.")
    wsc.add_global_options(p)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fit every model on the workspace's data (outside any workspace: the embedded "
                                   "defaults) and write reports/<run-id>/")
    _add_sampling(r)
    r.set_defaults(func=cmd_run)
    m = sub.add_parser("milestones", help="print the milestone table of a run (default: reports/latest)")
    m.add_argument("--run", type=Path, default=None)
    m.add_argument("--json", action="store_true")
    m.add_argument("--sort", choices=("verdict", "p", "date"), default="verdict",
                   help="verdict: the claims the data contradict most first (default); p: lowest P first; date: by target date")
    m.add_argument("--layer", help="only claims of this pyramid layer (math, architecture, capability, market, application, hardware, other)")
    m.add_argument("--model", help="only claims this model forecasts")
    m.set_defaults(func=cmd_milestones)
    rep = sub.add_parser("report", help="re-render a saved run's report without sampling")
    rep.add_argument("--run", type=Path, default=None)
    rep.add_argument("--open", action="store_true", help="open report.html in a browser")
    rep.add_argument("--svg", action="store_true", help="also write every figure as SVG (figures are cached per run; this redraws them)")
    rep.set_defaults(func=cmd_report)
    e = sub.add_parser("evidence", help="the evidence log")
    esub = e.add_subparsers(dest="evidence_command", required=True)
    ea = esub.add_parser("add", help="validate and append one observation to data/evidence/evidence.csv")
    ea.add_argument("--kind", required=True, choices=("count", "share", "judgement", "release"))
    ea.add_argument("--date", required=True, help="observed date (count: end of the counted period)")
    ea.add_argument("--source", required=True, help="citation")
    ea.add_argument("--technology")
    ea.add_argument("--attribute", choices=("standardization", "controversy", "maturity"))
    ea.add_argument("--period-start", dest="period_start", help="count: start of the counted period (default: the quarter)")
    ea.add_argument("--series", help="count: the list counted (a series in data/adoption_observations.csv joins that "
                                     "list's frame; default: one 'evidence' frame per technology)")
    ea.add_argument("--k", type=int)
    ea.add_argument("--n", type=int)
    ea.add_argument("--share", type=float)
    ea.add_argument("--lo", type=float, help="80%% interval lower bound of the share")
    ea.add_argument("--hi", type=float, help="80%% interval upper bound of the share")
    ea.add_argument("--model", help="release: model name")
    ea.add_argument("--organization")
    ea.add_argument("--compute", type=float, help="release: training compute (FLOP)")
    ea.add_argument("--parameters", type=float)
    ea.set_defaults(func=cmd_evidence_add)
    el = esub.add_parser("list", help="show the evidence log")
    el.set_defaults(func=cmd_evidence_list)
    u = sub.add_parser("update", help="update (reweight or refit) the models new evidence touches and print the probability diff")
    u.add_argument("--run", type=Path, default=None, help="parent run (default reports/latest)")
    u.add_argument("--dry-run", action="store_true", help="only show what would be updated")
    u.add_argument("--refit", action="store_true",
                   help="refit by MCMC even where importance reweighting of the last fit would pass its checks")
    u.add_argument("--quiet", action="store_true")
    u.set_defaults(func=cmd_update)
    rs = sub.add_parser("resolve", help="record a milestone's outcome and score it")
    rs.add_argument("id")
    rs.add_argument("--outcome", required=True, choices=("yes", "no"))
    rs.add_argument("--date", required=True)
    rs.add_argument("--source", required=True)
    rs.set_defaults(func=cmd_resolve)
    sc = sub.add_parser("scores", help="Brier and log scores of resolved milestones")
    sc.set_defaults(func=cmd_scores)
    hi = sub.add_parser("history", help="each milestone's probability across runs")
    hi.add_argument("id", nargs="?")
    hi.set_defaults(func=cmd_history)
    bt = sub.add_parser("backtest", help="rolling-origin hindcasts scored against naive baselines")
    _add_sampling(bt)
    bt.add_argument("--as-of", dest="as_of", action="append", default=None,
                    help="origin date (repeatable); default every six months from 2023-01-01")
    bt.add_argument("--jobs", default="1", help="origins fitted in parallel: N local processes, dask:N (local Dask cluster) or dask://HOST:PORT")
    bt.add_argument("--no-record", action="store_true", help="do not refresh the workspace's calibration record (data/calibration)")
    bt.set_defaults(func=cmd_backtest)
    sb = sub.add_parser("sbc", help="simulation-based calibration of a model (prior → simulate → fit → rank)")
    sb.add_argument("model", nargs="+")
    sb.add_argument("--sims", type=int, default=100)
    sb.add_argument("--jobs", default="1", help="simulations in parallel: N local processes, dask:N (local Dask cluster) or dask://HOST:PORT")
    sb.add_argument("--seed", type=int, default=RunConfig().seed)
    sb.add_argument("--chains", type=int, default=2)
    sb.add_argument("--draws", type=int, default=500)
    sb.add_argument("--tune", type=int, default=500)
    sb.add_argument("--out", type=Path, default=None)
    sb.add_argument("--quiet", action="store_true")
    sb.add_argument("--no-record", action="store_true", help="do not refresh the workspace's calibration record (data/calibration)")
    sb.set_defaults(func=cmd_sbc)
    sv = sub.add_parser("serve", help="keep imports and compiled models in one background process that runs later "
                                      "commands (`forecast run`, `update`, …) on this machine")
    sv.add_argument("--detach", action="store_true", help="start in the background and return once it listens")
    sv.add_argument("--stop", action="store_true", help="stop the running server")
    sv.add_argument("--restart", action="store_true", help="stop the running server (if any) and start a new one in the background")
    sv.add_argument("--status", action="store_true", help="show whether a server runs, and what it holds")
    sv.add_argument("--idle-minutes", dest="idle_minutes", type=float, default=120.0, help="stop after this long without a command (default 120)")
    sv.add_argument("--socket", type=Path, default=None, help="socket path (default: per user and Python environment; env FORECAST_SERVER_SOCKET)")
    sv.set_defaults(func=cmd_serve)
    d = sub.add_parser("data", help="curated data tables")
    dsub = d.add_subparsers(dest="data_command", required=True)
    wsc.add_commands(sub, dsub)
    wsc.add_workspace_option_everywhere(sub)
    return p


def _quiet_graph_traces() -> None:
    # PyTensor records a creation stack trace for every graph variable (for its error messages); building a
    # model graph in a command spent ≈ 10% of its warm compile on that. A user's own PYTENSOR_FLAGS win.
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "traceback__limit" not in flags and "pytensor" not in sys.modules:
        os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, "traceback__limit=0") if f)


def main(argv: list[str] | None = None) -> int:
    """The `forecast` command: runs in a `forecast serve` process when one of this environment listens, else here."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)  # usage errors are reported here, before any server is asked
    if args.command != "serve":
        from forecast.app.server import forward
        rc = forward(argv)
        if rc is not None:
            return rc
    return _dispatch(args)


def run_local(argv: list[str]) -> int:
    """Parse and run one command in this process (what `forecast serve` does for a caller)."""
    return _dispatch(parser().parse_args(argv))


def _dispatch(args) -> int:
    _quiet_graph_traces()
    try:
        with workspace.override(getattr(args, "workspace", None)):
            return args.func(args)
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
