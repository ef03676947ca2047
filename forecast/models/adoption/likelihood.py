"""The beta-binomial count likelihood of adoption: a numba kernel for its value and gradient, wrapped as a PyTensor Op."""
from __future__ import annotations

import functools
import math

import numpy as np




# ---- count likelihood: one numba pass over the (row, cell) grid for the value and the gradient
#
# Profiled at 500 technologies × 40 quarters (20,000 counts): PyMC's BetaBinomial on per-count gathers cost
# 8.1 ms per logp+gradient, 70% of it in log-gamma / digamma calls and the elementwise temporaries between
# them, and compiled in 25–50 s. The pass below computes the same sum exactly in 1.7 ms: log-gamma differences
# at integer offsets are short products or a difference of two Stirling series, the normaliser is a recurrence
# over n, and the gradient is accumulated per row. Plain Python here; `jit_kernels` compiles it with numba
# when a model is built (numba is too heavy an import for commands that never sample).

KERNEL_VERSION = 3  # bump when `_count_loglik` changes (its compiled code is cached inside model graphs)
RISING_PRODUCT_TERMS = 8  # up to this many factors, log Γ(a + m) − log Γ(a) is cheaper as a product
STIRLING_FROM = 10.0  # Stirling series with 7 terms: error < 1e-15 for arguments ≥ 10
SERIES_SHARE = 0.1  # where P or 1 − P is below this, the other side's log-gamma difference is a power series in it
SERIES_TERMS = 16  # 0.1^16: enough for double precision


def _stirling(x):
    """(log Γ(x) − (x − ½) log x + x, ψ(x) − log x) without the constant ½ log 2π, for x ≥ STIRLING_FROM."""
    ix = 1.0 / x
    z = ix * ix
    lg = (1.0 / 12 + z * (-1.0 / 360 + z * (1.0 / 1260 + z * (-1.0 / 1680 + z * (1.0 / 1188 + z * (-691.0 / 360360 + z / 156)))))) * ix
    dg = -0.5 * ix - z * (1.0 / 12 + z * (-1.0 / 120 + z * (1.0 / 252 + z * (-1.0 / 240 + z * (1.0 / 132 + z * (-691.0 / 32760 + z / 12))))))
    return lg, dg


def _falling(a, m, lnorm, inv_pow):
    """log Γ(φ − a + m) − log Γ(φ − a) and its derivative in φ − a, for a ≤ SERIES_SHARE · φ, as power series in a:
    Σ_{j<m} log(φ + j − a) = lnorm[m] − Σ_{p≥1} a^p/p · S_p(m) and Σ_{j<m} 1/(φ + j − a) = Σ_{p≥0} a^p · S_{p+1}(m),
    with S_p(m) = Σ_{j<m} (φ + j)^−p = inv_pow[m, p − 1] (tabulated once per call by `_count_loglik`)."""
    val, der, pw = lnorm[m], inv_pow[m, 0], 1.0
    for p in range(1, SERIES_TERMS + 1):
        pw *= a
        term = pw * inv_pow[m, p]
        val -= pw * inv_pow[m, p - 1] / p
        der += term
        if term <= 1e-17 * der:
            break
    return val, der


def _rising(a, m):
    """log Γ(a + m) − log Γ(a) = Σ_{j<m} log(a + j) and its derivative Σ_{j<m} 1/(a + j), for an integer m ≥ 0."""
    prod, dprod, j = 1.0, 0.0, 0  # Π (a + j) and its derivative in a (product rule: no division per factor)
    while j < m and (a + j < STIRLING_FROM or m <= RISING_PRODUCT_TERMS):
        dprod = dprod * (a + j) + prod
        prod *= a + j
        j += 1
    lp, d = (math.log(prod), dprod / prod) if j > 0 else (0.0, 0.0)
    if j == m:
        return lp, d
    x, y = a + j, a + m  # both ≥ STIRLING_FROM
    lx, ly = math.log(x), math.log(y)
    sx, dx = _stirling(x)
    sy, dy = _stirling(y)
    return lp + (y - 0.5) * ly - (x - 0.5) * lx - (m - j) + sy - sx, d + ly - lx + dy - dx


def _count_loglik(lc, r, t0, off, phi, t, n, k):
    """Σ over the grid of BetaBinomial(k | n, φP, φ(1 − P)) with logit P = logit(c·logistic(r (t − t0))) + off, c = logistic(lc).

    lc, r, t0, off: per grid row; t, n, k: (rows, cells), each row's counts in its first cells (t at the
    period midpoint); cells with n = 0 add nothing.
    Returns (log-likelihood, d/d lc, d/d r, d/d t0, d/d off, d/d φ)."""
    phi = np.asarray(phi).item()  # PyTensor passes scalars as 0-d arrays
    R, T = n.shape
    nmax = 0
    for i in range(R):
        for j in range(T):
            nmax = max(nmax, n[i, j])
    # log m!, log Γ(φ + m) − log Γ(φ) and ψ(φ + m) − ψ(φ) for every trial count m, by recurrence
    # and S_p(m) = Σ_{j<m} (φ + j)^−p for `_falling`
    lfact, lnorm, dnorm = np.zeros(nmax + 1), np.zeros(nmax + 1), np.zeros(nmax + 1)
    inv_pow = np.zeros((nmax + 1, SERIES_TERMS + 1))
    for m in range(1, nmax + 1):
        lfact[m] = lfact[m - 1] + math.log(m)
        lnorm[m] = lnorm[m - 1] + math.log(phi + m - 1)
        dnorm[m] = dnorm[m - 1] + 1.0 / (phi + m - 1)
        v = 1.0 / (phi + m - 1)
        pw = v
        for p in range(SERIES_TERMS + 1):
            inv_pow[m, p] = inv_pow[m - 1, p] + pw
            pw *= v
    g_lc, g_r, g_t0, g_off = np.zeros(R), np.zeros(R), np.zeros(R), np.zeros(R)
    total, g_phi = 0.0, 0.0
    for i in range(R):
        c, cm, w = 1.0 / (1.0 + math.exp(-lc[i])), 1.0 / (1.0 + math.exp(lc[i])), math.exp(off[i])
        for j in range(T):
            nn, kk = n[i, j], k[i, j]
            if nn == 0:
                continue
            x = r[i] * (t[i, j] - t0[i])
            e = math.exp(-abs(x))
            sx, sxm = (1.0 / (1.0 + e), e / (1.0 + e)) if x >= 0 else (e / (1.0 + e), 1.0 / (1.0 + e))
            p = c * sx
            q = cm + c * sxm  # 1 − p without cancellation near p = 1
            den = q + w * p
            P, Q = w * p / den, q / den
            if P <= SERIES_SHARE:
                la, da = _rising(phi * P, kk)
                lb, db = _falling(phi * P, nn - kk, lnorm, inv_pow)
            elif Q <= SERIES_SHARE:
                la, da = _falling(phi * Q, kk, lnorm, inv_pow)
                lb, db = _rising(phi * Q, nn - kk)
            else:
                la, da = _rising(phi * P, kk)
                lb, db = _rising(phi * Q, nn - kk)
            total += lfact[nn] - lfact[kk] - lfact[nn - kk] + la + lb - lnorm[nn]
            g_phi += P * da + Q * db - dnorm[nn]
            g = phi * (da - db) * P * Q  # d/d logit P; d logit P / d lc = cm / q, d logit P / dx = logistic(−x) / q
            g_off[i] += g
            g_lc[i] += g * cm / q
            gx = g * sxm / q
            g_r[i] += gx * (t[i, j] - t0[i])
            g_t0[i] -= gx * r[i]
    return np.asarray(total), g_lc, g_r, g_t0, g_off, np.asarray(g_phi)


def jit_kernels() -> None:
    """Replace the kernels above by numba-compiled versions (idempotent; they call each other by global name)."""
    import numba
    g = globals()
    for name in ("_stirling", "_rising", "_falling", "_count_loglik"):
        if not isinstance(g[name], numba.core.dispatcher.Dispatcher):
            # numpy's error model: at extreme parameters (a ceiling of exactly 1 in floating point on a saturated
            # curve, so 1 − P = 0) a division gives ±inf/nan, which the samplers reject as a bad point, instead of
            # raising ZeroDivisionError (which stopped PyMC's sampler during tuning)
            g[name] = numba.njit(cache=True, error_model="numpy")(g[name])


def count_loglik_kernel():
    """The numba-compiled count log-likelihood and its gradient (the Op's kernel), for callers outside a graph."""
    jit_kernels()
    return globals()["_count_loglik"]


@functools.cache
def count_loglik_op():
    """`_count_loglik` as a PyTensor Op with its gradient, implemented for the numba backend (and in Python)."""
    import pytensor.tensor as pt
    from pytensor.gradient import disconnected_type
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    jit_kernels()

    class CountLoglik(Op):
        """Beta-binomial log-likelihood of the count grid and its gradient in (lc, r, t0, off, φ), one pass."""

        __props__ = ("kernel_version",)  # in the graph's cache key: a changed kernel must not load old compiled code

        def __init__(self, kernel_version: int = KERNEL_VERSION):
            self.kernel_version = kernel_version

        def make_node(self, lc, r, t0, off, phi, t, n, k):
            fl = [pt.as_tensor_variable(v).astype("float64") for v in (lc, r, t0, off, phi, t)]
            ints = [pt.as_tensor_variable(v).astype("int64") for v in (n, k)]
            return Apply(self, fl + ints, [pt.dscalar(), pt.dvector(), pt.dvector(), pt.dvector(), pt.dvector(), pt.dscalar()])

        def perform(self, node, inputs, outputs):
            for out, v in zip(outputs, _count_loglik(*inputs)):
                out[0] = np.asarray(v)

        def connection_pattern(self, node):
            return [[True] * 6] * 5 + [[False] * 6] * 3

        def grad(self, inputs, output_grads):
            # only the value is differentiated (first order is all NUTS needs); the data get no gradient
            _, *dparams = self(*inputs)
            return [output_grads[0] * d for d in dparams] + [disconnected_type() for _ in range(3)]

    @register_funcify_default_op_cache_key(CountLoglik)
    def _numba_count_loglik(op, node, **kwargs):
        return _count_loglik, 1

    return CountLoglik()


def count_logp(value, lc, r, t0, off, phi, t, n):
    """Log-likelihood of the count grid `value` (CustomDist logp): the fused `count_loglik_op`."""
    return count_loglik_op()(lc, r, t0, off, phi, t, n, value)[0]


def count_dist(lc, r, t0, off, phi, t, n, size):
    """The count grid as a PyMC distribution (prior predictive, SBC): the beta-binomial of `_count_loglik`."""
    import pymc as pm
    import pytensor.tensor as pt

    x = r[:, None] * (t - t0[:, None])
    c = pt.sigmoid(lc)[:, None]
    p, q = c * pt.sigmoid(x), pt.sigmoid(-lc)[:, None] + c * pt.sigmoid(-x)
    wp = pt.exp(off)[:, None] * p
    share = wp / (q + wp)
    return pm.BetaBinomial.dist(n=n, alpha=phi * share, beta=phi * (1 - share), size=size)


