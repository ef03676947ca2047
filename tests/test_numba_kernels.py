"""The cacheable digamma/erfcx kernels: accuracy against SciPy, and that a model graph using them gets a disk-cache key."""
import numpy as np
import pytest
import scipy.special as sp

from forecast.inference.kernels import digamma, erfcx, register


def test_digamma_matches_scipy():
    x = np.concatenate([np.logspace(-8, 7, 4000), np.linspace(-30.5, -0.01, 3001)])
    x = x[np.abs(x - np.round(x)) > 1e-6]  # away from the poles at non-positive integers
    ours = np.array([digamma(v) for v in x])
    ref = sp.psi(x)
    assert np.allclose(ours, ref, rtol=1e-11, atol=1e-13)
    assert np.isnan(digamma(0.0)) and np.isnan(digamma(-3.0)) and digamma(np.inf) == np.inf


def test_erfcx_matches_scipy():
    x = np.concatenate([np.linspace(-26, 30, 20001), np.logspace(1.5, 8, 500)])
    ours = np.array([erfcx(v) for v in x])
    assert np.allclose(ours, sp.erfcx(x), rtol=1e-12, atol=0)
    assert erfcx(-30.0) == np.inf and np.isnan(erfcx(np.nan))


def test_registered_ops_make_graphs_cacheable():
    import pytensor
    import pytensor.tensor as pt
    from pytensor.link.numba.dispatch.basic import numba_funcify_ensure_cache

    register()
    x = pt.dvector("x")
    out = pt.sum(pt.gammaln(x) + pt.log(pt.erfcx(x)))
    f = pytensor.function([x], [out, pytensor.grad(out, x)], mode="NUMBA")
    v = np.array([0.5, 2.0, 7.5])
    val, grad = f(v)
    assert val == pytest.approx(np.sum(sp.gammaln(v) + np.log(sp.erfcx(v))), rel=1e-12)
    # d/dx gammaln = psi; d/dx log erfcx = 2x − 2/(√π erfcx(x))
    assert np.allclose(grad, sp.psi(v) + 2 * v - 2 / (np.sqrt(np.pi) * sp.erfcx(v)), rtol=1e-10)
    _, key = numba_funcify_ensure_cache(f.maker.fgraph)
    assert key is not None  # SciPy's Cython psi/erfcx would make it None: recompiled in every process
