"""Atomic file and directory writes, hashing, and InferenceData persistence."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from forecast.core import interrupts


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_files(paths) -> str:
    """One digest over several files (names and contents), order-independent."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


@contextlib.contextmanager
def _temp_beside(path: Path, suffix: str) -> Iterator[tuple[int, str]]:
    """Yield (fd, name) of a temp file beside `path`; renamed over `path` on success (unless the command was
    interrupted), deleted on any failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        yield fd, tmp
        interrupts.check()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def copy_relative(src_dir: str | Path, dst_dir: str | Path, rel: str) -> None:
    """Copy `src_dir/rel` to `dst_dir/rel` (a run reusing another run's figure), making the folders it needs."""
    dst = Path(dst_dir) / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(src_dir) / rel, dst)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temp_beside(path, ".tmp") as (fd, tmp):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; curated files are meant to be world-readable


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def atomic_write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def _json_default(o):
    import numpy as np
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.date().isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o)}")


@contextlib.contextmanager
def atomic_directory(final: str | Path) -> Iterator[Path]:
    """Yield a temp directory beside `final`; on success rename it to `final`, on failure delete it."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        yield tmp
        interrupts.check()
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def point_symlink(link: str | Path, target_name: str) -> None:
    """Atomically repoint a relative symlink (e.g. reports/latest -> <run-id>)."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    interrupts.check()
    os.symlink(target_name, tmp)
    os.replace(tmp, link)


def save_idata(idata, path: str | Path) -> None:
    """Save InferenceData as netCDF via a temp file + rename."""
    path = Path(path)
    with _temp_beside(path, ".nc") as (fd, tmp):
        os.close(fd)
        idata.to_netcdf(tmp, engine="h5netcdf")


def idata_digest(idata, salt: str = "") -> str:
    """sha256 of every array an InferenceData holds (group, name, dtype, shape and values), after `salt`.

    A fit with the same seed, data and code gives the same draws, so the digest names a posterior by its content:
    what is drawn from it (figures, summaries) can be reused by any run whose posterior has the same digest."""
    import numpy as np
    h = hashlib.sha256(salt.encode())
    for group in sorted(idata.groups()):
        ds = idata[group]
        for name in sorted(ds.data_vars):
            a = np.ascontiguousarray(ds[name].values)
            h.update(f"|{group}/{name}:{a.dtype}:{a.shape}|".encode())
            h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def load_idata(path: str | Path):
    import arviz as az
    return az.from_netcdf(path, engine="h5netcdf")


@functools.lru_cache(maxsize=1)
def _yaml_loader():
    import re

    import yaml

    # libyaml's parser when available: the technology registry and the prior files are read by every command
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """SafeLoader that also reads 1e26 / 5.0e8 (YAML 1.1 needs a signed exponent) as floats."""

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
                    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X),
        list("-+0123456789."),
    )
    return Loader


def yaml_load(text: str):
    """Parse YAML safely, with scientific notation read as numbers."""
    import yaml
    return yaml.load(text, Loader=_yaml_loader())


def read_yaml_file(path: str | Path, error_cls, what: str):
    """Parse a YAML file; a missing file or bad YAML raises `error_cls` naming the file."""
    import yaml
    path = Path(path)
    if not path.exists():
        raise error_cls(f"{what} not found", file=str(path))
    try:
        return yaml_load(path.read_text())
    except yaml.YAMLError as exc:
        raise error_cls(f"invalid YAML: {exc}", file=str(path)) from exc
