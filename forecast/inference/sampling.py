"""One sampling entry point: nutpie (numba backend) by default, PyMC's NUTS as the fallback.

Compiled nutpie models are cached in-process per (model name, graph signature) so a test run or
an update compiles each graph once; data enter through `pm.Data` and are swapped with `with_data`.
Across processes, every numba function of a compiled model is cached on disk (`forecast.inference.compile_cache`,
in `numba_cache_dir()`), so a graph compiled once on this machine loads in seconds in a new process.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import threading
import time

from forecast.inference import diagnostics as diag
from forecast.core import interrupts
from forecast.core.config import SAMPLERS, RunConfig
from forecast.core.errors import SamplingError

log = logging.getLogger(__name__)

_COMPILED: dict[str, object] = {}
# graphs compiled ahead of `sample` (`precompile`), by id of the pm.Model; the model is kept in the value
_PREPARED: dict[int, tuple] = {}


def compiled_graph_count() -> int:
    """How many compiled graphs this process keeps (a `forecast serve` process reports it)."""
    return len(_COMPILED)


# PyTensor's graph building and rewriting use process-wide state (config flags, caches): one thread at a time.
# `schedule.fit_all` compiles the next model in a worker thread while the current one samples (nutpie's sampler
# threads run outside Python and take the GIL only between draws), and every graph build or compile holds this lock.
PYTENSOR_LOCK = threading.RLock()


@dataclasses.dataclass
class FitResult:
    idata: object  # arviz.InferenceData
    diagnostics: diag.Diagnostics
    sampler: str
    seconds_compile: float
    seconds_sample: float
    compile_cached: bool  # graph reused in this process (no compile at all)
    disk_cache_new: int = 0  # numba cache entries written by this compile: 0 = everything came from the disk cache


def numba_cache_dir():
    """Where PyTensor's numba backend keeps compiled functions across processes (``<pytensor base_compiledir>/numba``)."""
    from pytensor.link.numba.cache import NUMBA_CACHE_PATH
    return NUMBA_CACHE_PATH


def _cache_entries() -> int:
    d = numba_cache_dir()
    return sum(1 for _ in d.glob("*.nbi")) if d.exists() else 0


def _graph_key(model) -> str:
    """Signature of a model graph that ignores the values held in pm.Data but not anything else.

    Data enter through pm.Data with symbolic shapes, so new data of another length reuse the compiled
    graph via `with_data`. Every other number in the graph (a constant computed from the data at build
    time, e.g. an exposure or an index array) is hashed: if it changed, `with_data` would silently keep
    the old value, so the graph must be recompiled."""
    import numpy as np
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors

    h = hashlib.sha256()
    outputs = model.free_RVs + model.observed_RVs + model.deterministics + model.potentials + list(model.data_vars)
    for v in outputs:
        h.update(f"{v.name}:{v.type}".encode())
    def payload(c) -> bytes:  # an object array's bytes are pointers: hash what it holds (stable across processes)
        a = np.asarray(c.data)
        return repr(c.data).encode() if a.dtype == object else a.tobytes()

    consts = sorted(hashlib.sha256(str(c.type).encode() + payload(c)).hexdigest()
                    for c in ancestors(outputs) if isinstance(c, Constant))
    h.update("".join(consts).encode())
    return h.hexdigest()


# graphs whose compiled code is in the numba disk cache, one stamp per line (written after every compile)
STAMPS_FILE = "forecast-compiled-graphs.txt"


@functools.cache
def _stamp_salt() -> bytes:
    # what else decides the compiled code: library versions and the cached callbacks' own source (read once)
    from pathlib import Path

    import nutpie
    import numba
    import pytensor
    from forecast.inference import compile_cache
    from forecast.inference import kernels as numba_kernels
    h = hashlib.sha256(f"{pytensor.__version__}:{numba.__version__}:{nutpie.__version__}".encode())
    for mod in (compile_cache, numba_kernels):
        h.update(Path(mod.__file__).read_bytes())
    return h.digest()


def _stamp(key: str) -> str:
    return hashlib.sha256(_stamp_salt() + key.encode()).hexdigest()


def compiled_on_disk(model, cache_key: str) -> bool:
    """Whether this graph was compiled on this machine before (its numba code then loads from the disk cache).

    Tells a cold compile (far costlier than loading from the cache) from a warm one before paying for either."""
    f = numba_cache_dir() / STAMPS_FILE
    key = f"{cache_key}:{_graph_key(model)}"
    return key in _COMPILED or (f.exists() and _stamp(key) in f.read_text().split())


def nutpie_compiled(model, cache_key: str):
    from forecast.inference.compile_cache import compile_model
    key = f"{cache_key}:{_graph_key(model)}"
    data = {d.name: d.get_value() for d in model.data_vars}
    if key in _COMPILED:
        return _COMPILED[key].with_data(**data) if data else _COMPILED[key], True
    compiled = compile_model(model)  # nutpie's compile, with its numba callbacks cached on disk across processes
    _COMPILED[key] = compiled
    f = numba_cache_dir() / STAMPS_FILE
    stamp = _stamp(key)
    if f.parent.exists() and not (f.exists() and stamp in f.read_text().split()):
        with open(f, "a") as out:  # one short line per append: concurrent processes do not interleave
            out.write(stamp + "\n")
    return compiled, False


def _compile_counting_cache(model, cache_key: str):
    with PYTENSOR_LOCK:
        before = _cache_entries()
        compiled, cached = nutpie_compiled(model, cache_key)
        return compiled, cached, max(_cache_entries() - before, 0)


def precompile(model, name: str) -> None:
    """Compile `model` for nutpie now, so that a later `sample(model, …)` starts sampling at once.

    Thread-safe (holds `PYTENSOR_LOCK`): `schedule.fit_all` calls it in a worker thread while another model samples."""
    t0 = time.perf_counter()
    compiled, cached, new_entries = _compile_counting_cache(model, name)
    _PREPARED[id(model)] = (model, compiled, cached, new_entries, time.perf_counter() - t0)


def _take_prepared(model):
    got = _PREPARED.pop(id(model), None)
    return got[1:] if got is not None and got[0] is model else None


def sample(model, cfg: RunConfig, *, name: str, monitor: list[str] | None = None, seed_offset: int = 0,
           nutpie_options: dict | None = None, target_accept: float | None = None, draws: int | None = None) -> FitResult:
    """Sample `model` and compute diagnostics on `monitor` (default: all free RVs' names).

    `nutpie_options` are extra nutpie.sample settings a model needs (e.g. a low-rank mass matrix);
    `target_accept` and `draws` override the run's (a model's own, see `ForecastModel.target_accept` and
    `ForecastModel.draws_count`)."""
    if cfg.sampler not in SAMPLERS:
        raise SamplingError(f"unknown sampler {cfg.sampler!r}; valid: {', '.join(SAMPLERS)}")
    seed = int(cfg.seed) + int(seed_offset)
    target_accept = float(target_accept or cfg.target_accept)
    draws = int(draws or cfg.draws)
    monitor = monitor or [rv.name for rv in model.free_RVs]
    t0 = time.perf_counter()
    try:
        if cfg.sampler == "nutpie":
            import nutpie
            prepared = _take_prepared(model)
            if prepared is None:
                compiled, cached, new_entries = _compile_counting_cache(model, name)
                t_compile = time.perf_counter() - t0
            else:  # compiled ahead, possibly while another model sampled
                compiled, cached, new_entries, t_compile = prepared
            t1 = time.perf_counter()
            idata = nutpie.sample(compiled, draws=draws, tune=cfg.tune, chains=cfg.chains, cores=min(cfg.chains, 2),
                                  seed=seed, progress_bar=not cfg.quiet, save_warmup=False, target_accept=target_accept,
                                  **(nutpie_options or {}))
        else:
            import pymc as pm
            cached, new_entries = False, 0
            t1 = time.perf_counter()
            t_compile = t1 - t0
            with model:
                idata = pm.sample(draws=draws, tune=cfg.tune, chains=cfg.chains, cores=min(cfg.chains, 2),
                                  random_seed=seed, target_accept=target_accept, progressbar=False,
                                  compute_convergence_checks=False)
    except Exception as exc:  # sampler crashes surface as one typed error
        raise SamplingError(f"{name}: sampling failed: {exc}") from exc
    interrupts.check()  # an interrupt the sampler swallowed (forecast serve: see forecast/core/interrupts.py)
    if "posterior" not in idata.groups() or idata.posterior.sizes.get("draw", 0) < draws:
        # nutpie answers Ctrl-C by returning the draws so far: never let a partial posterior into a run
        raise KeyboardInterrupt(f"{name}: sampling interrupted")
    t2 = time.perf_counter()
    d = diag.compute(idata, monitor, cfg.gate)
    return FitResult(idata, d, cfg.sampler, t_compile, t2 - t1, cached, new_entries)
