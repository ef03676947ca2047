"""A run directory that can be trusted: the manifest lists the sha256 of every file the run wrote, and loading a
run checks them.

A truncated posterior or a hand-edited input table would otherwise go unnoticed: `forecast report` re-renders from
cached figures and `forecast update` keeps the untouched models' rows without reading their posteriors. The
manifest itself is the one file not listed (it cannot hold its own hash). Runs written before the manifest listed
its files load without the check.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from forecast.core.errors import RunError
from forecast.core.io import atomic_write_json, sha256_file

MANIFEST = "manifest.json"
KEY = "files"  # manifest key: {relative path: sha256}

# runs verified in this process, with the stat of each file then: a long-lived `forecast serve` or one command
# that loads the same run twice hashes it once, and any change to a file (size, mtime, ctime, inode) re-checks it
_verified: dict[str, tuple] = {}


def written_files(run_dir: Path) -> list[Path]:
    """Every file of a run directory except the manifest and leftovers of interrupted atomic writes."""
    run_dir = Path(run_dir)
    return sorted(p for p in run_dir.rglob("*")
                  if p.is_file() and p.name != MANIFEST and not p.name.startswith(".") and not p.is_symlink())


def file_hashes(run_dir: Path) -> dict[str, str]:
    run_dir = Path(run_dir)
    return {p.relative_to(run_dir).as_posix(): sha256_file(p) for p in written_files(run_dir)}


def seal(run_dir: Path, manifest: dict) -> None:
    """Record the sha256 of every file in `run_dir` in `manifest[KEY]` and rewrite its manifest.json."""
    manifest[KEY] = file_hashes(run_dir)
    atomic_write_json(Path(run_dir) / MANIFEST, manifest)


def reseal(run_dir: Path) -> None:
    """After re-rendering a verified run's report: record the files it rewrote or added."""
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / MANIFEST).read_text())
    if KEY in manifest:
        seal(run_dir, manifest)
        _verified.pop(str(run_dir.resolve()), None)


def _stamp(run_dir: Path, rels) -> tuple:
    out = []
    for rel in rels:
        try:
            st = os.stat(run_dir / rel)
        except OSError:
            return ()
        out.append((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


def verify(run_dir: Path, manifest: dict | None = None) -> None:
    """Check every file the manifest lists; a missing or changed file is a one-line RunError naming it."""
    run_dir = Path(run_dir).resolve()
    if manifest is None:
        manifest = json.loads((run_dir / MANIFEST).read_text())
    listed = manifest.get(KEY)
    if not listed:
        return
    key = str(run_dir)
    stamp = _stamp(run_dir, sorted(listed)) + (json.dumps(listed, sort_keys=True),)
    if _verified.get(key) == stamp:
        return
    for rel, digest in listed.items():
        p = run_dir / rel
        if not p.is_file():
            raise RunError(f"file {p}: missing, but the run's manifest lists it (the run directory was changed after "
                           f"it was written; re-run `forecast run`)")
        if sha256_file(p) != digest:
            raise RunError(f"file {p}: sha256 differs from the run's manifest (changed or truncated after the run "
                           f"wrote it; re-run `forecast run`)")
    _verified[key] = stamp
