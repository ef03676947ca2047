"""Disk-cached nutpie compile: identical draws to nutpie's own compile, `with_data` still swaps data, a second
process loads the callbacks from the cache instead of compiling them, and stored PyTensor functions load without
rewriting and read the model's current data."""
import subprocess
import sys

import numpy as np
import pytest


MODEL_SRC = """
import numpy as np
import pymc as pm


def _model(shift=0.0):
    with pm.Model() as m:
        x = pm.Data("x", np.linspace(0, 1, 20))
        y = pm.Data("y", shift + 1.0 + 2.0 * np.linspace(0, 1, 20) + np.random.default_rng(0).normal(0, 0.3, 20))
        a = pm.Normal("a", 0, 5)
        b = pm.Normal("b", 0, 5)
        s = pm.Gamma("s", 2.0, 2.0)  # its gradient needs digamma: cacheable only with forecast's kernel
        pm.Deterministic("slope_x2", 2 * b)
        pm.Normal("obs", a + b * x, s, observed=y, shape=x.shape)
    return m
"""
_ns: dict = {}
exec(MODEL_SRC, _ns)
_model = _ns["_model"]


@pytest.fixture(scope="module")
def both():
    import nutpie

    from forecast.inference.compile_cache import compile_model
    return compile_model(_model()), nutpie.compile_pymc_model(_model(), backend="numba")


def _draws(compiled, **data):
    import nutpie
    c = compiled.with_data(**data) if data else compiled
    idata = nutpie.sample(c, draws=200, tune=200, chains=2, cores=1, seed=11, progress_bar=False)
    return {v: idata.posterior[v].values for v in ("a", "b", "s", "slope_x2")}


def test_same_draws_as_nutpie_and_with_data(both):
    ours, theirs = both
    assert ours.compiled_logp_func._pyfunc.__name__ == "forecast_logp"  # the cacheable callback is in use
    d1, d2 = _draws(ours), _draws(theirs)
    for v in d1:
        np.testing.assert_array_equal(d1[v], d2[v])
    np.testing.assert_allclose(d1["slope_x2"], 2 * d1["b"])
    new = {"x": np.linspace(0, 1, 35), "y": 5.0 - 3.0 * np.linspace(0, 1, 35)}
    e1, e2 = _draws(ours, **new), _draws(theirs, **new)
    for v in e1:
        np.testing.assert_array_equal(e1[v], e2[v])
    assert abs(np.median(e1["b"]) + 3.0) < 0.2  # the new data were used


def test_second_process_loads_callbacks_from_disk(both, tmp_path):
    script = tmp_path / "load.py"
    script.write_text(
        "import sys, numba.core.ccallback as cc\n"
        "calls = []\n"
        "orig = cc.CFunc._compile_uncached\n"
        "cc.CFunc._compile_uncached = lambda self: (calls.append(self._pyfunc.__name__), orig(self))[1]\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from model_def import _model\n"
        "from forecast.inference.compile_cache import compile_model\n"
        "compile_model(_model())\n"
        "print('UNCACHED', calls)\n")
    (tmp_path / "model_def.py").write_text(MODEL_SRC)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "UNCACHED []" in out.stdout, out.stdout


def test_stored_graph_loads_without_compiling_and_reads_current_data(tmp_path, monkeypatch):
    import nutpie
    import pymc.pytensorf as pf

    from forecast.inference import compile_cache as cc
    monkeypatch.setattr(cc, "_graphs_dir", lambda: tmp_path)
    fresh = cc.compile_model(_model())
    assert len(list(tmp_path.glob("*.pkl"))) == 1
    theirs = nutpie.compile_pymc_model(_model(shift=3.0), backend="numba")
    with monkeypatch.context() as m:
        m.setattr(pf, "compile", lambda *a, **k: pytest.fail("a stored graph was compiled again"))
        stored = cc.compile_model(_model())
        shifted = cc.compile_model(_model(shift=3.0))  # the key ignores pm.Data values, not their shapes
    d1, d2 = _draws(fresh), _draws(stored)
    for v in d1:
        np.testing.assert_array_equal(d1[v], d2[v])
    e1, e2 = _draws(shifted), _draws(theirs)
    for v in e1:
        np.testing.assert_array_equal(e1[v], e2[v])
    assert abs(np.median(e1["a"]) - np.median(d1["a"]) - 3.0) < 0.3  # the shifted data were used
    (next(tmp_path.glob("*.pkl"))).write_bytes(b"not a pickle")  # a damaged file is compiled over, not an error
    np.testing.assert_array_equal(_draws(cc.compile_model(_model()))["b"], d1["b"])


def test_stored_graph_key_is_the_same_in_every_process(tmp_path):
    """The key names distributions and transforms by class and settings: their reprs carry memory addresses."""
    (tmp_path / "model_def.py").write_text(MODEL_SRC)
    script = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
              "from model_def import _model\n"
              "from forecast.inference.compile_cache import stored_graph_key\n"
              "print(stored_graph_key(_model()), stored_graph_key(_model(shift=1.0)))\n")
    keys = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                           check=True).stdout.strip().splitlines()[-1] for _ in range(2)}
    assert len(keys) == 1
    base, shifted = keys.pop().split()
    assert base == shifted  # pm.Data values are not part of the key


def test_likelihood_ops_survive_pickling():
    import pickle

    from forecast.models.densing.likelihood import quantile_op, scatter_op
    assert pickle.loads(pickle.dumps(quantile_op())) is quantile_op()
    assert pickle.loads(pickle.dumps(scatter_op())) is scatter_op()


KEY_SCRIPT = """
import sys
from forecast.inference.kernels import register
register()
from nutpie.compile_pymc import _make_functions
from pymc.initial_point import make_initial_point_fn
from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS
from forecast.core.config import RunConfig
from forecast.models.registry import build_models
model = build_models(["hardware"], RunConfig(seed=1), evidence=False)["hardware"].build_model()
ipf = make_initial_point_fn(model=model, return_transformed=True)
fn = _make_functions(model, mode="NUMBA", compute_grad=True, join_expanded=True, pymc_initial_point_fn=ipf)[2]
print(CACHED_SRC_FUNCTIONS.get(fn.vm.jit_fn.py_func))
"""


def test_graph_cache_key_is_the_same_in_every_process():
    """hardware's data vectors have fixed lengths: with symbolic ones the order of their shape checks in the
    compiled graph (and so the numba cache key) would change from process to process, and each run recompile it."""
    keys = {subprocess.run([sys.executable, "-c", KEY_SCRIPT], capture_output=True, text=True, timeout=300,
                           check=True).stdout.strip().splitlines()[-1] for _ in range(2)}
    assert len(keys) == 1 and "None" not in keys


def test_cache_saves_wait_for_the_lock_of_another_writer(tmp_path):
    """numba's index read-modify-write is serialised across processes (a flock in the cache directory)."""
    import fcntl
    import threading
    import time

    from numba.core import caching

    from forecast.inference.compile_cache import serialize_cache_saves
    serialize_cache_saves()
    serialize_cache_saves()  # idempotent: one lock layer
    cache = caching.IndexDataCacheFile(str(tmp_path), "fn-test", source_stamp=(1.0, 10))
    done = threading.Event()
    with open(tmp_path / ".forecast-save.lock", "a") as held:  # another writer holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        t = threading.Thread(target=lambda: (cache.save(("sig", "magic"), b"payload"), done.set()))
        t.start()
        time.sleep(0.3)
        assert not done.is_set() and cache.load(("sig", "magic")) is None
        fcntl.flock(held, fcntl.LOCK_UN)
    t.join(timeout=10)
    assert done.is_set() and cache.load(("sig", "magic")) == b"payload"
