"""The workspace commands of the CLI: `forecast init`, `forecast data build | refresh`, `--workspace` and `--version`.

Which workspace a command uses is decided by `forecast.core.workspace`; these commands create one, fill its tables,
and say which one (and which data) a command runs on.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forecast.core import workspace


def version_text() -> str:
    """`forecast --version`: the package version, the embedded data's version and the current workspace's."""
    data, priors = workspace.defaults_dirs()
    lines = [f"forecast (convergence-forecast) {workspace.package_version()}; embedded data {workspace.data_version(data, priors)}"]
    try:
        ws = workspace.current()
    except workspace.WorkspaceError as exc:
        return "\n".join(lines + [f"workspace: {exc}"])
    lines.append(f"workspace: {ws.root} ({ws.found_by}); data {workspace.data_version(ws.data, ws.priors)}"
                 if ws.root is not None else "workspace: none (the embedded defaults are used, read-only)")
    return "\n".join(lines)


class _Version(argparse.Action):
    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        with workspace.override(getattr(namespace, "workspace", None)):
            print(version_text())
        parser.exit()


def add_global_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", type=Path, default=None, metavar="DIR",
                   help="the workspace to use (default: FORECAST_HOME, else the nearest folder with forecast.toml "
                        "from the current one up, else the embedded defaults, read-only)")
    p.add_argument("--version", action=_Version, help="print the package, data and workspace versions and exit")


def workspace_option(p: argparse.ArgumentParser) -> None:
    """`--workspace` after the command name too (`forecast run --workspace DIR`)."""
    p.add_argument("--workspace", type=Path, default=argparse.SUPPRESS, metavar="DIR", help="the workspace to use")


def cmd_init(a) -> int:
    from forecast.data.scaffold import init_workspace
    root = init_workspace(a.dir)
    with workspace.override(root):
        ws = workspace.current()
    print(f"initialised a forecast workspace in {root}: {workspace.MARKER} (settings), {ws.data.name}/ (tables, "
          f"milestones, empty evidence log), {ws.priors.name}/, {ws.reports.name}/")
    print(f"data {workspace.data_version(ws.data, ws.priors)} (a copy of the embedded defaults of convergence-forecast "
          f"{workspace.package_version()}); `forecast run` in this folder (or below it) uses it")
    return 0


def cmd_data_build(a) -> int:
    from forecast.data.build import build_all
    # the tables of the current workspace (in the checkout: the package's embedded ones), or --out
    ws = workspace.current() if a.out else workspace.require("forecast data build")
    out = a.out or ws.data
    print(ws.describe() if not a.out else f"writing into {out}")
    built = build_all(a.source or ws.build_from, out, only=a.only)
    for name, frame in built.items():
        print(f"{name}: {len(frame)} rows")
    if not a.out:
        print(f"data {workspace.data_version(ws.data, ws.priors)}")
    return 0


def cmd_data_refresh(a) -> int:
    from forecast.data.refresh import refresh
    ws = workspace.require("forecast data refresh")
    print(ws.describe())
    res = refresh(ws, a.source, only=a.only, timeout=a.timeout)
    for line in res.lines():
        print(line)
    print(f"data {workspace.data_version(ws.data, ws.priors)}"
          + ("; `forecast update` refits the models that read the changed tables" if res.changed else "; no table changed"))
    return 0


def add_commands(sub, data_sub) -> None:
    i = sub.add_parser("init", help="create a workspace (forecast.toml, copies of the default tables and priors, "
                                    "an empty evidence log, reports/) in DIR (default: the current folder)")
    i.add_argument("dir", nargs="?", type=Path, default=Path("."))
    i.set_defaults(func=cmd_init)
    b = data_sub.add_parser("build", help="rebuild the workspace's data/*.csv and data/SOURCES.md from the fetched "
                                          "datasets (default: the workspace's build_from, ../shared/data)")
    b.add_argument("--from", dest="source", type=Path, default=None)
    b.add_argument("--out", type=Path, default=None, help="write the tables here instead of the workspace's data/")
    b.add_argument("--only", nargs="+", default=None)
    b.set_defaults(func=cmd_data_build)
    r = data_sub.add_parser("refresh", help="download the newest inputs (URLs in forecast.toml [sources]), keep them "
                                            "as dated vintages, rebuild the tables and say what changed")
    r.add_argument("--from", dest="source", default=None, metavar="URL|DIR",
                   help="one base URL or local folder holding every input at its path (instead of [sources])")
    r.add_argument("--only", nargs="+", default=None, help="refresh only these tables (e.g. hardware models)")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds per download (default 60)")
    r.set_defaults(func=cmd_data_refresh)


def add_workspace_option_everywhere(sub) -> None:
    """`--workspace` after every command name (and sub-command name) that does not have it yet."""
    for p in set(sub.choices.values()):
        if "--workspace" not in p._option_string_actions:
            workspace_option(p)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                add_workspace_option_everywhere(action)


def say_workspace() -> None:
    """Print which workspace and data the command uses (stdout: it belongs to the command's result)."""
    print(workspace.current().describe(), file=sys.stdout, flush=True)
