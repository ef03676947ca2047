"""`forecast data refresh`: fetch the newest public inputs of the curated tables, keep each download as a dated
vintage with its sha256, rebuild the tables and say what changed.

Inputs come from the URLs in the workspace's `forecast.toml` (`[sources]`, keyed by the input's path under the
shared data folder), or with `--from` from one base URL or local folder holding every input at that path.
Inputs without a URL keep their last vintage (or the `build_from` folder's copy); a table some input of which has
no source at all is kept as it is.

Every download is checked before anything is written: the HTTP status, its length against Content-Length, that a
CSV parses with as many fields in every row as in its header (a cut-off download rarely ends on a row boundary) and
keeps every column of the previous vintage, that JSON parses, and that it did not lose more than a tenth of its
rows. The tables are then built from the new inputs in a staging folder and validated against their schemas. Only
when all of that passes are the vintages stored and the tables replaced (each file atomically); any failure is a
one-line error, and the previous tables and vintages stay as they were.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

from forecast.core.errors import DataValidationError, ForecastError
from forecast.core.io import atomic_write_bytes, atomic_write_json, sha256_bytes, sha256_file
from forecast.core.workspace import Workspace

# Epoch AI's published CSV downloads and the repositories (at the commits recorded in SOURCES.md where the file
# was later removed) the other inputs come from. The MCP server counts are derived from git histories: no URL.
DEFAULT_SOURCES: dict[str, str] = {
    "chinchilla/svg_extracted_data.csv":
        "https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/main/data/svg_extracted_data.csv",
    "epoch_all_ai_models/all_ai_models.csv": "https://epoch.ai/data/all_ai_models.csv",
    "epoch_large_scale_ai_models/large_scale_ai_models.csv": "https://epoch.ai/data/large_scale_ai_models.csv",
    "epoch_ml_hardware/ml_hardware.csv": "https://epoch.ai/data/ml_hardware.csv",
    "epoch_open_models/benchmarks_with_model_accessibility.csv":
        "https://raw.githubusercontent.com/epoch-research/open-model-trends/main/data/benchmarks_with_model_accessibility.csv",
    "obsscaling/base_llm_benchmark_eval.csv":
        "https://raw.githubusercontent.com/ryoungj/ObsScaling/main/eval_results/base_llm_benchmark_eval.csv",
    "open_llm_leaderboard/huggingface_v1.csv":
        "https://raw.githubusercontent.com/fboulnois/llm-leaderboard-csv/0f4e5c69c6fb6515afa31ae61f4d699649bc9503/csv/huggingface_v1.csv",
    "open_llm_leaderboard/huggingface_v2.csv":
        "https://raw.githubusercontent.com/fboulnois/llm-leaderboard-csv/0f4e5c69c6fb6515afa31ae61f4d699649bc9503/csv/huggingface_v2.csv",
    "hf_open_llm_architectures/hf_models.json":
        "https://raw.githubusercontent.com/rauletorresc/llmfit/main/data/hf_models.json",
}
MAX_BYTES = 1 << 30
MIN_KEPT_ROWS = 0.9  # a download with fewer rows than this share of the previous vintage's is taken as truncated
INDEX = "index.json"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RefreshError(DataValidationError):
    """A download or a rebuilt table failed its checks; nothing was changed."""


@dataclasses.dataclass
class Input:
    relpath: str
    origin: str | None = None  # URL or local path it is fetched from (None: kept)
    previous: Path | None = None  # the file it replaces: last vintage, else build_from's copy
    previous_label: str = ""
    content: bytes | None = None
    rows: int | None = None
    status: str = ""


@dataclasses.dataclass
class Refresh:
    vintage: str
    inputs: list[Input]
    tables: dict[str, str]  # file name -> what changed (or why it was kept)
    changed: bool

    def lines(self) -> list[str]:
        out = [f"{i.relpath}: {i.status}" for i in self.inputs]
        out += [f"{name}: {what}" for name, what in self.tables.items()]
        return out


def input_paths(only: list[str] | None = None) -> dict[str, list[str]]:
    """Input files of each table the builders make (only the tables in `only`, if given)."""
    from forecast.data.build import BUILDERS
    return {b.table: [i.relpath for i in b.inputs] for b in BUILDERS if not only or b.table in only}


def load_index(ws: Workspace) -> list[dict]:
    p = ws.vintages / INDEX
    if not p.exists():
        return []
    try:
        return list(json.loads(p.read_text())["vintages"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RefreshError(f"unreadable vintage index ({exc})", file=str(p)) from None


def latest_vintages(ws: Workspace) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for rec in load_index(ws):
        out[rec["relpath"]] = rec
    return out


# ---------------------------------------------------------------- fetching and checking one input


def fetch(url: str, timeout: float) -> bytes:
    """Download `url` (http, https or file); a failure or a short body is a RefreshError."""
    import http.client
    import urllib.error
    import urllib.parse
    import urllib.request
    host = urllib.parse.urlsplit(url).hostname or ""
    # a proxy cannot reach this machine's loopback: local mirrors are fetched directly
    handlers = [urllib.request.ProxyHandler({})] if host in LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(urllib.request.Request(url, headers={"User-Agent": "convergence-forecast"}), timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length is not None and int(length) > MAX_BYTES:
                raise RefreshError(f"download {url}: {int(length)} bytes is more than the {MAX_BYTES} allowed")
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RefreshError(f"download {url} failed: HTTP {exc.code} {exc.reason}") from None
    except http.client.IncompleteRead as exc:
        raise RefreshError(f"download {url} truncated: got {len(exc.partial)} bytes, "
                           f"{exc.expected} more were announced") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        raise RefreshError(f"download {url} failed: {getattr(exc, 'reason', None) or exc}") from None
    if length is not None and len(data) != int(length):
        raise RefreshError(f"download {url} truncated: got {len(data)} of {int(length)} bytes")
    if len(data) > MAX_BYTES:
        raise RefreshError(f"download {url}: more than the {MAX_BYTES} bytes allowed")
    return data


def _csv_shape(content: bytes, where: str) -> tuple[list[str], int]:
    """(header, data rows) of a CSV; a malformed or cut-off one is a RefreshError."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RefreshError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=where) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise RefreshError("empty file, or no header row", file=where)
        n = 0
        for row in reader:
            if not row:
                continue
            n += 1
            if len(row) != len(header):
                raise RefreshError(f"{len(row)} fields where the header has {len(header)} (a truncated download?)",
                                   file=where, row=n + 1)
    except csv.Error as exc:
        raise RefreshError(f"malformed CSV, {exc} (a truncated download?)", file=where, row=reader.line_num) from None
    return header, n


def _json_shape(content: bytes, where: str) -> tuple[list[str], int]:
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RefreshError(f"invalid JSON, {exc} (a truncated download?)", file=where) from None
    if isinstance(doc, list):
        keys = {k for r in doc if isinstance(r, dict) for k in r}
        return sorted(keys), len(doc)
    return (sorted(doc) if isinstance(doc, dict) else []), 1


def shape(content: bytes, relpath: str, where: str) -> tuple[list[str], int]:
    """(columns or fields, rows) of an input file, checking that it parses."""
    if not content:
        raise RefreshError("empty file", file=where)
    if relpath.endswith(".csv"):
        return _csv_shape(content, where)
    if relpath.endswith(".json"):
        return _json_shape(content, where)
    return [], 0


def check_input(inp: Input, where: str) -> None:
    """Parse the new content and compare it with the previous vintage: no column lost, not much shorter."""
    cols, inp.rows = shape(inp.content, inp.relpath, where)
    if inp.previous is None:
        return
    old_cols, old_rows = shape(inp.previous.read_bytes(), inp.relpath, str(inp.previous))
    lost = [c for c in old_cols if c not in cols]
    if lost and inp.relpath.endswith(".json"):
        lost = [c for c in lost if not c.startswith("_")]  # private fields of a JSON export come and go
    if lost:
        shown = ", ".join(repr(c) for c in lost[:4]) + (f" and {len(lost) - 4} more" if len(lost) > 4 else "")
        raise RefreshError(f"changed schema: column(s) {shown} of the previous version ({inp.previous_label}) "
                           f"are missing", file=where)
    if old_rows and inp.rows < MIN_KEPT_ROWS * old_rows:
        raise RefreshError(f"{inp.rows} rows where the previous version ({inp.previous_label}) had {old_rows} "
                           f"(a truncated download?)", file=where)


# ---------------------------------------------------------------- comparing tables


def table_diff(old: Path, new: Path, key: tuple[str, ...]) -> str:
    """What changed between two versions of a curated table, by its key: rows added, removed, revised."""
    b = pd.read_csv(new, dtype=str, keep_default_na=False)
    a = pd.read_csv(old, dtype=str, keep_default_na=False) if old.exists() else b.iloc[0:0]
    if list(a.columns) != list(b.columns):
        return f"{len(a)} → {len(b)} rows (columns changed)"
    key = [k for k in key if k in b.columns] or list(b.columns)
    ra = {tuple(r[key]): r for _, r in a.drop_duplicates(key, keep="last").iterrows()}
    rb = {tuple(r[key]): r for _, r in b.drop_duplicates(key, keep="last").iterrows()}
    added = len(rb.keys() - ra.keys())
    removed = len(ra.keys() - rb.keys())
    cols: Counter = Counter()
    revised = 0
    for k in rb.keys() & ra.keys():
        diff = [c for c in b.columns if ra[k][c] != rb[k][c]]
        if diff:
            revised += 1
            cols.update(diff)
    if not (added or removed or revised):
        return f"unchanged ({len(b)} rows)"
    what = ", ".join(f"{c} {n}" for c, n in cols.most_common(4))
    return (f"{len(a)} → {len(b)} rows: +{added} added, −{removed} removed, {revised} revised"
            + (f" ({what})" if what else ""))


# ---------------------------------------------------------------- the refresh


def _plan(ws: Workspace, source: str | None, inputs: dict[str, list[str]]) -> dict[str, Input]:
    latest = latest_vintages(ws)
    plan: dict[str, Input] = {}
    for rel in dict.fromkeys(r for rels in inputs.values() for r in rels):
        inp = Input(rel)
        if rel in latest and (ws.vintages / latest[rel]["vintage"] / rel).is_file():
            inp.previous, inp.previous_label = ws.vintages / latest[rel]["vintage"] / rel, f"vintage {latest[rel]['vintage']}"
        elif (ws.build_from / rel).is_file():
            inp.previous, inp.previous_label = ws.build_from / rel, f"{ws.build_from}"
        if source is None:
            inp.origin = ws.sources.get(rel)
        elif source.startswith(("http://", "https://")):
            inp.origin = source.rstrip("/") + "/" + rel
        else:
            folder = Path(source.removeprefix("file://")).expanduser().resolve()
            if not folder.is_dir():
                raise RefreshError("--from folder not found", file=str(folder))
            inp.origin = str(folder / rel)
        plan[rel] = inp
    return plan


def _get(inp: Input, timeout: float) -> None:
    if inp.origin.startswith(("http://", "https://", "file://")):
        inp.content = fetch(inp.origin, timeout)
    else:
        p = Path(inp.origin)
        if not p.is_file():
            raise RefreshError("input file missing in the --from folder", file=str(p))
        inp.content = p.read_bytes()


def _vintage_id(ws: Workspace, inputs: list[Input], now: dt.datetime) -> str:
    day = now.date().isoformat()
    clash = any((ws.vintages / day / i.relpath).exists() and sha256_file(ws.vintages / day / i.relpath) != sha256_bytes(i.content)
                for i in inputs)
    return f"{day}T{now:%H%M%S}" if clash else day


def refresh(ws: Workspace, source: str | None = None, *, only: list[str] | None = None, timeout: float = 60.0,
            now: dt.datetime | None = None) -> Refresh:
    """Fetch, check, keep as vintages, rebuild and compare (see the module docstring)."""
    from forecast.data.build import build_all
    from forecast.data.tables import TABLES
    now = now or dt.datetime.now(dt.timezone.utc)
    inputs = input_paths(only)
    if only and (unknown := [t for t in only if t not in inputs]):
        raise RefreshError(f"no builder for table(s) {', '.join(unknown)}; valid: {', '.join(input_paths())}")
    plan = _plan(ws, source, inputs)
    latest = latest_vintages(ws)
    for inp in plan.values():
        if inp.origin is None:
            inp.status = f"kept ({inp.previous_label})" if inp.previous else "no source (no URL in forecast.toml [sources], no earlier copy)"
            continue
        _get(inp, timeout)
        check_input(inp, inp.origin)
        digest = sha256_bytes(inp.content)
        same = inp.previous is not None and sha256_file(inp.previous) == digest
        inp.status = (f"unchanged (same sha256 as {inp.previous_label})" if same else
                      f"new (sha256 {digest[:12]}, {len(inp.content)} bytes, {inp.rows} rows)")
    fresh = [i for i in plan.values() if i.content is not None and
             (i.relpath not in latest or latest[i.relpath]["sha256"] != sha256_bytes(i.content))]
    vintage = _vintage_id(ws, fresh, now)
    buildable = [t for t, rels in inputs.items()
                 if all(plan[r].content is not None or plan[r].previous is not None for r in rels)]
    tables: dict[str, str] = {TABLES[t].filename: "kept: no source for " + ", ".join(
        r for r in rels if plan[r].content is None and plan[r].previous is None) for t, rels in inputs.items() if t not in buildable}
    ws.root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".forecast-refresh.", dir=ws.root))
    try:
        src, out = stage / "inputs", stage / "tables"
        out.mkdir(parents=True)
        for inp in plan.values():
            dest = src / inp.relpath
            dest.parent.mkdir(parents=True, exist_ok=True)
            if inp.content is not None:
                dest.write_bytes(inp.content)
            elif inp.previous is not None:
                shutil.copyfile(inp.previous, dest)
        if (ws.data / "SOURCES.md").exists():
            shutil.copyfile(ws.data / "SOURCES.md", out / "SOURCES.md")  # sections of tables not rebuilt are kept
        if buildable:
            try:
                build_all(src, out, only=buildable)
            except ForecastError as exc:
                raise RefreshError(f"the tables built from the new inputs fail their checks: {exc}") from None
            except Exception as exc:  # a builder meeting input it cannot read: most often a changed schema
                raise RefreshError(f"building {', '.join(buildable)} from the new inputs failed "
                                   f"({type(exc).__name__}: {exc}); did a source change its schema?") from None
        for t in buildable:
            name = TABLES[t].filename
            tables[name] = table_diff(ws.data / name, out / name, TABLES[t].key)
        # every check passed: keep the downloads, then replace the tables
        index = load_index(ws)
        for inp in fresh:
            atomic_write_bytes(ws.vintages / vintage / inp.relpath, inp.content)
            index.append({"relpath": inp.relpath, "vintage": vintage, "url": inp.origin, "sha256": sha256_bytes(inp.content),
                          "bytes": len(inp.content), "rows": inp.rows, "fetched_at": now.isoformat(timespec="seconds")})
            inp.status += f"; kept as vintage {vintage}"
        if fresh:
            atomic_write_json(ws.vintages / INDEX, {"vintages": index})
        changed = False
        for name in [TABLES[t].filename for t in buildable] + ["SOURCES.md"]:
            new, old = out / name, ws.data / name
            if new.exists() and (not old.exists() or new.read_bytes() != old.read_bytes()):
                atomic_write_bytes(old, new.read_bytes())
                changed = changed or name != "SOURCES.md"
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Refresh(vintage, list(plan.values()), tables, changed)
