"""Compile a PyMC model for nutpie with every numba function cached on disk, so a new process does not recompile.

nutpie (0.16) wraps the PyTensor-compiled logp/gradient and "expand" functions in two numba C callbacks. Its
wrappers close over the model's data arrays and helper closures, which numba cannot cache, so every new process
would re-type and re-optimise them for each model, even when PyTensor loads the inner function from its disk
cache. Here the two wrappers are generated as source with no closures (data are read through nutpie's
`user_data` record, exactly as nutpie does), keyed by the inner function's PyTensor cache key, and compiled with
`numba.cfunc(..., cache=True)` into PyTensor's numba cache directory (`NUMBA_CACHE_PATH`, also `sampling.numba_cache_dir()`).

Everything else (initial points, `with_data`) is nutpie's own code path. If a graph cannot be cached (an Op without
a numba cache key), nutpie's default compile is used unchanged.

Loading the numba code is not all a warm compile costs: PyTensor still builds the logp graph, differentiates it and
rewrites it, 2–5 s per graph. So the two PyTensor functions nutpie compiles (logp with gradient, and the "expand"
function) are pickled too (`graphs/` beside the numba cache), keyed by `stored_graph_key`: the package's code, the
library versions, the graph's variables, distributions, transforms and constants (every number but the pm.Data
values), and the data's shapes. A new process unpickles them (PyTensor re-links the stored, already rewritten graph
from the numba cache) and writes the current pm.Data values into their shared variables. A graph with an Op that
cannot be pickled is compiled each time as before.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import pickle

import numpy as np

log = logging.getLogger(__name__)

WRAPPER_VERSION = 3
GRAPHS_DIR = "graphs"
MAX_STORED_GRAPHS = 64  # oldest files beyond this are removed (one per model graph, code version and data shape)


class _Uncacheable(Exception):
    """The inner PyTensor function has no disk-cache key: fall back to nutpie's own wrappers."""


def _inner_key(fn) -> str:
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS
    key = CACHED_SRC_FUNCTIONS.get(getattr(fn, "py_func", None))
    if key is None:
        raise _Uncacheable(getattr(fn, "__name__", "inner function"))
    return key


def _shared_lines(shared_names, shared_data) -> tuple[list[str], list[str], dict]:
    """Source lines that view each shared (pm.Data) array through nutpie's user_data record."""
    lines, args, env = [], [], {}
    for i, name in enumerate(shared_names):
        arr = shared_data[name]
        env[f"DT{i}"] = np.dtype(arr.dtype)
        shape = ", ".join(f"int(ud['shared']['shape'][{name!r}][{j}])" for j in range(arr.ndim))
        lines += [f"p{i} = address_as_void_pointer(ud['shared']['data'][{name!r}][()])",
                  f"s{i} = numba.carray(p{i}, int(ud['shared']['size'][{name!r}][()]), DT{i}).reshape(({shape}{',' if arr.ndim == 1 else ''}))"]
        args.append(f"s{i}")
    return lines, args, env


def _extract_fn(inner, user_data, shared_names, shared_data, what: str):
    """njit function (x, user_data record) → inner(x, *shared arrays); kept out of the callback's try block:
    numba's exception handling there inlines the body and lets its IR grow until SSA reconstruction is very slow."""
    import numba
    lines, args, env = _shared_lines(shared_names, shared_data)
    body = "\n    ".join(lines) or "pass"
    src = f"""
def forecast_{what}_extract(x, ud):
    {body}
    return inner(x{''.join(', ' + a for a in args)})
"""
    env = _base_env(user_data.dtype) | env | {"inner": inner}
    fn = _compile_src(src, f"forecast_{what}_extract", env, [_inner_key(inner), str(user_data.dtype)])
    return numba.njit(cache=True)(fn)


def _compile_src(src: str, name: str, env: dict, key_parts: list[str]):
    from pytensor.link.numba.cache import compile_numba_function_src
    # the module name is part of the key: a cached function is loaded by re-importing the module its globals name
    key = hashlib.sha256("|".join([f"forecast-wrapper-v{WRAPPER_VERSION}", __name__, *key_parts, src]).encode()).hexdigest()
    return compile_numba_function_src(src, name, env, cache_key=key)


def _base_env(record_dtype) -> dict:
    import numba
    from nutpie.compile_pymc import address_as_void_pointer
    # __name__: numba's cache re-imports the module a cached function's globals belong to when loading it
    return {"__name__": __name__, "numba": numba, "np": np, "address_as_void_pointer": address_as_void_pointer,
            "RECORD": record_dtype}


def make_logp_wrapper(n_dim, logp_fn, user_data, shared_logp, shared_data):
    """Replacement for nutpie's `_make_c_logp_func`: same C signature and return codes, cacheable."""
    import numba
    extract = _extract_fn(logp_fn, user_data, shared_logp, shared_data, "logp")
    src = f"""
def forecast_logp(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
        logp = numba.carray(logp_, ())
        logp_val, grad = extract(x, numba.carray(user_data_, (), RECORD))
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""
    env = _base_env(user_data.dtype) | {"extract": extract}
    fn = _compile_src(src, "forecast_logp", env, [_inner_key(logp_fn), str(user_data.dtype)])
    sig = numba.types.int64(numba.types.uint64, numba.types.CPointer(numba.types.double),
                            numba.types.CPointer(numba.types.double), numba.types.CPointer(numba.types.double),
                            numba.types.voidptr)
    return fn, sig


def make_expand_wrapper(n_dim, n_expanded, expand_fn, user_data, shared_vars, shared_data):
    """Replacement for nutpie's `_make_c_expand_func`: same C signature and return codes, cacheable."""
    import numba
    extract = _extract_fn(expand_fn, user_data, shared_vars, shared_data, "expand")
    src = f"""
def forecast_expand(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
        (values,) = extract(x, numba.carray(user_data_, (), RECORD))
        out[...] = values
    except Exception:
        return -2
    return 0
"""
    env = _base_env(user_data.dtype) | {"extract": extract}
    fn = _compile_src(src, "forecast_expand", env, [_inner_key(expand_fn), str(user_data.dtype)])
    sig = numba.types.int64(numba.types.uint64, numba.types.uint64, numba.types.CPointer(numba.types.double),
                            numba.types.CPointer(numba.types.double), numba.types.voidptr)
    return fn, sig


@contextlib.contextmanager
def _cacheable_wrappers():
    import nutpie.compile_pymc as ncp
    saved = ncp._make_c_logp_func, ncp._make_c_expand_func
    ncp._make_c_logp_func, ncp._make_c_expand_func = make_logp_wrapper, make_expand_wrapper
    try:
        yield
    finally:
        ncp._make_c_logp_func, ncp._make_c_expand_func = saved


def serialize_cache_saves() -> None:
    """Make numba's cache saves atomic across processes (idempotent; patches `IndexDataCacheFile.save`).

    numba adds an overload to a function's cache index by reading the index, adding the entry and writing it back,
    with no lock, and names the new data file by the index's length. Same-source functions (PyTensor's generic
    elementwise kernels) share one index, so two processes compiling at once (the cold-compile workers that
    `forecast.pipeline.schedule` starts, `--jobs` workers) can drop each other's entry or pick the same data file. An exclusive
    lock on a file in the cache directory around each save makes the read-modify-write whole."""
    import fcntl
    import os

    from numba.core import caching
    if getattr(caching.IndexDataCacheFile.save, "forecast_serialized", False):
        return
    unlocked = caching.IndexDataCacheFile.save

    def save(self, key, data):
        with open(os.path.join(self._cache_path, ".forecast-save.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return unlocked(self, key, data)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    save.forecast_serialized = True
    caching.IndexDataCacheFile.save = save


def stored_graph_key(model) -> str:
    """What decides the PyTensor functions nutpie compiles for `model`, except the pm.Data values: the package's code
    and the libraries' versions, the graph's variables and every number built into it (a prior's parameters, an index
    array), each random variable's distribution and transform, and the shape of each pm.Data value."""
    import nutpie
    import numba
    import pytensor
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import ancestors

    from forecast.core.config import code_fingerprint
    h = hashlib.sha256(f"{pytensor.__version__}:{numba.__version__}:{nutpie.__version__}:{code_fingerprint()}".encode())
    outputs = model.free_RVs + model.observed_RVs + model.deterministics + model.potentials + list(model.data_vars)
    h.update("|".join(f"{v.name}:{v.type}" for v in outputs).encode())
    for digest in sorted(hashlib.sha256(str(c.type).encode() + _constant_bytes(c.data)).hexdigest()
                         for c in ancestors(outputs) if isinstance(c, Constant)):
        h.update(digest.encode())
    for rv in model.free_RVs + model.observed_RVs:
        h.update(f"|{rv.name}:{rv.owner.op}:{_describe(model.rvs_to_transforms.get(rv))}".encode())
    for d in model.data_vars:
        h.update(f"|{d.name}:{np.shape(d.get_value())}".encode())
    return h.hexdigest()


def _constant_bytes(data) -> bytes:
    a = np.asarray(data)  # an object array's bytes are pointers: hash what it holds
    return repr(data).encode() if a.dtype == object else a.tobytes()


def _describe(transform) -> str:
    """A transform by class and plain settings (its repr names a memory address, which differs in every process)."""
    if transform is None:
        return "-"
    plain = {k: v for k, v in sorted(vars(transform).items()) if isinstance(v, (bool, int, float, str, tuple))}
    return f"{type(transform).__module__}.{type(transform).__qualname__}{plain}"


def _graphs_dir():
    from pytensor.link.numba.cache import NUMBA_CACHE_PATH  # where the numba code of the same graphs is cached
    return NUMBA_CACHE_PATH / GRAPHS_DIR


def _prune(folder) -> None:
    files = sorted(folder.glob("*.pkl"), key=lambda f: f.stat().st_mtime)
    for f in files[:max(len(files) - MAX_STORED_GRAPHS, 0)]:
        f.unlink(missing_ok=True)


def _set_data(model, *fns) -> None:
    """Write the model's current pm.Data values into the unpickled functions' shared variables (same names)."""
    data = {d.name: d.get_value() for d in model.data_vars}
    for fn in fns:
        for var in fn.get_shared():
            if var.name in data:
                var.set_value(data[var.name])


@contextlib.contextmanager
def _stored_functions(model):
    """Within the block, nutpie's `_make_functions` loads the model's PyTensor functions from `graphs/` (or compiles
    and stores them there)."""
    import nutpie.compile_pymc as ncp
    from forecast.core.io import atomic_write_bytes
    real = ncp._make_functions
    path = _graphs_dir() / f"{stored_graph_key(model)}.pkl"

    def make(model_, **kw):
        if path.exists():
            try:
                n_dim, n_expanded, logp_fn, expand_fn, info = pickle.loads(path.read_bytes())
                _set_data(model_, logp_fn, expand_fn)
                k = len(model_.free_RVs)
                init = ncp._rv_dict_to_flat_array_wrapper(kw["pymc_initial_point_fn"], names=info[0][:k], shapes=info[2][:k])
                path.touch()
                return n_dim, n_expanded, logp_fn, expand_fn, init, info
            except Exception as exc:  # a damaged or foreign file: compile as if it were not there
                log.warning("stored graph %s not loaded (%s); compiling", path.name, exc)
        out = real(model_, **kw)
        try:
            blob = pickle.dumps((out[0], out[1], out[2], out[3], out[5]))
        except Exception as exc:  # an Op that cannot be pickled: this graph is compiled in every process
            log.debug("graph not stored: %s", exc)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, blob)
            _prune(path.parent)
        return out

    ncp._make_functions = make
    try:
        yield
    finally:
        ncp._make_functions = real


def compile_model(model):
    """nutpie.compile_pymc_model(model, backend="numba") with disk-cached C callbacks and PyTensor functions when
    the graph allows it."""
    import nutpie

    from forecast.inference.kernels import register
    register()
    serialize_cache_saves()
    try:
        with _cacheable_wrappers(), _stored_functions(model):
            return nutpie.compile_pymc_model(model, backend="numba", cache=True)
    except _Uncacheable:
        return nutpie.compile_pymc_model(model, backend="numba")
