"""Numba-native digamma and erfcx for PyTensor's numba backend, so compiled models can be disk-cached.

PyTensor's numba backend caches a compiled graph on disk only if every Op in it has a cache key.
It implements `Psi` (digamma: the gradient of `gammaln`, present in every model with a Gamma,
Student-t or beta-binomial term) and `Erfcx` (in a Normal's log-CDF) by calling SciPy's Cython
functions through a function pointer, which numba cannot cache. A graph containing either would be
recompiled in every process, and that compile would be most of a warm `forecast run`.

`register()` installs pure-numba versions of both with cache keys. Accuracy against SciPy is tested
in tests/test_numba_kernels.py (relative error < 1e-13 over the ranges the models use).
"""
from __future__ import annotations

import math

import numba

_REGISTERED = False


@numba.njit(cache=True)
def digamma(x: float) -> float:
    """psi(x) for real x: reflection for x < 0, recurrence up to x ≥ 10, then the asymptotic series."""
    if math.isnan(x) or x == -math.inf:
        return math.nan
    if x == math.inf:
        return math.inf
    acc = 0.0
    if x <= 0.0:
        if x == math.floor(x):
            return math.nan  # poles at 0, −1, −2, …
        # reflection: psi(x) = psi(1 − x) − π cot(π x)
        acc = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        acc -= 1.0 / x
        x += 1.0
    # asymptotic series psi(x) ~ log x − 1/(2x) − Σ B_2k / (2k x^2k), Horner in 1/x², 7 terms (< 1e-16 at x ≥ 10)
    z = 1.0 / (x * x)
    series = z * (1.0 / 12 + z * (-1.0 / 120 + z * (1.0 / 252 + z * (-1.0 / 240 + z * (1.0 / 132 + z * (-691.0 / 32760 + z / 12))))))
    return acc + math.log(x) - 0.5 / x - series


@numba.njit(cache=True)
def erfcx(x: float) -> float:
    """exp(x²)·erfc(x): direct where exp(x²) is finite, a continued fraction for large x."""
    if math.isnan(x):
        return math.nan
    if x < 25.0:
        if x < -26.7:
            return math.inf
        return math.exp(x * x) * math.erfc(x)
    # Laplace continued fraction erfc(x)·exp(x²)·√π = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
    f = x
    for k in range(40, 0, -1):
        f = x + (k / 2.0) / f
    return 1.0 / (f * math.sqrt(math.pi))


def register() -> None:
    """Make PyTensor's numba backend use the kernels above (idempotent; call before compiling)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key
    from pytensor.link.numba.dispatch.scalar import scalar_op_cache_key
    from pytensor.scalar.math import Erfcx, Psi

    @register_funcify_and_cache_key(Psi)
    def _psi(op, node, **kwargs):
        return digamma, scalar_op_cache_key(op, impl="forecast.inference.kernels.digamma", version=1)

    @register_funcify_and_cache_key(Erfcx)
    def _erfcx(op, node, **kwargs):
        return erfcx, scalar_op_cache_key(op, impl="forecast.inference.kernels.erfcx", version=1)

    _REGISTERED = True
