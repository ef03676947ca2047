"""Densing's two score likelihoods: numba passes over the scores for value and gradient, wrapped as PyTensor Ops.

Both share the location and scale of a score: with x = ln N − ln N_mid + L(t) − L(t_mid) + c (c the score's
release-cohort effect, zero in the frontier fit),

    z = k·x + h_mid,  p = logistic(z),  μ = floor + span·p,  f = span·k·p(1 − p)  (= dμ/dx),
    d = (f·s_rho)² + σ_score²   (density scatter through the curve's slope, plus measurement noise).

* Frontier (`quantile_loglik`): the asymmetric Laplace of quantile q at μ with scale √d, its kink rounded over
  `eps` standardized units.
* Typical (`scatter_loglik`): Student-t with ν degrees of freedom at μ with scale √d.

Written as PyTensor expressions, every gather of a group parameter and every elementwise temporary is a separate pass
over the scores and the backward pass scatters into the groups once per gathered parameter; here each fit is one
loop. Plain Python here; `jit_kernels` compiles it with numba when a graph is built (numba is too heavy an import for
commands that never sample).
"""
from __future__ import annotations

import functools
import math

import numpy as np

KERNEL_VERSION = 2  # bump when a kernel changes (its compiled code is cached inside model graphs)


def _digamma(x):
    """ψ(x); `jit_kernels` replaces it by the numba kernel of `forecast.inference.kernels`."""
    from scipy.special import digamma
    return float(digamma(x))


def _row_location(kg, hmg, spg, x):
    """(p, 1 − p, p(1 − p)) of the logistic at z = k·x + h_mid, without cancellation in 1 − p."""
    z = kg * x + hmg
    ez = math.exp(-abs(z))
    inv = 1.0 / (1.0 + ez)
    p, q = (inv, ez * inv) if z >= 0 else (ez * inv, inv)
    return p, q, p * q


def _score_scale(kg, hmg, spg, sg, sgg, x):
    """(p, 1 − p, p(1 − p), f, d) of one score at x: its logistic, the curve's slope f and its variance d."""
    p, q, pq = _row_location(kg, hmg, spg, x)
    f = spg * kg * pq
    return p, q, pq, f, f * f * sg * sg + sgg * sgg


def _to_curve(g_mu, g_v, wj, gj, x, p, q, pq, f, kg, spg, sg, sgg, g_k, g_hm, g_span, g_s, g_sig):
    """Chain rule from one score's ∂/∂μ and ∂/∂d to its group's curve parameters and scales (added in place);
    returns the weighted ∂/∂x, which the callers pass on to the growth rate, the break and the cohort effect."""
    g_f = 2.0 * g_v * f * sg * sg
    g_z = pq * spg * (g_mu + g_f * kg * (q - p))
    g_k[gj] += wj * (g_z * x + g_f * spg * pq)
    g_hm[gj] += wj * g_z
    g_span[gj] += wj * (g_mu * p + g_f * kg * pq)
    g_s[gj] += wj * 2.0 * g_v * f * f * sg
    g_sig[gj] += wj * 2.0 * g_v * sgg
    return wj * g_z * kg


def _quantile_loglik(k, hm, span, r, s, sig, delta, q_level, eps, floor, g, dlogn, dt, dtp, y, w):
    """Σ_j w_j·log AL_q(y_j | μ_j, √d_j) (kink rounded over eps) and its gradient in (k, h_mid, span, r, s_rho,
    σ_score, Δ)."""
    dl, qq, ep = np.asarray(delta).item(), np.asarray(q_level).item(), np.asarray(eps).item()
    G = k.shape[0]
    g_k, g_hm, g_span, g_r, g_s, g_sig = np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G)
    kap = math.sqrt(qq / (1.0 - qq))
    b = math.sqrt(1.0 + kap ** 4) / kap
    km, kp = kap - 1.0 / kap, kap + 1.0 / kap
    log_norm = math.log(b / kp)
    total, g_dl = 0.0, 0.0
    for j in range(y.shape[0]):
        gj, wj = g[j], w[j]
        if wj == 0.0:
            continue
        kg, sg, spg, sgg = k[gj], s[gj], span[gj], sig[gj]
        x = dlogn[j] + r[gj] * dt[j] - dl * dtp[j]
        p, q, pq, f, v = _score_scale(kg, hm[gj], spg, sg, sgg, x)
        S = math.sqrt(v)
        iS = 1.0 / S
        u = (y[j] - floor[gj] - spg * p) * b * iS
        R = math.sqrt(u * u + ep * ep)
        dloss = 0.5 * (km + kp * u / R)
        total += wj * (log_norm - math.log(S) - 0.5 * (km * u + kp * R))
        g_mu = dloss * b * iS
        g_v = 0.5 * iS * iS * (dloss * u - 1.0)
        gx = _to_curve(g_mu, g_v, wj, gj, x, p, q, pq, f, kg, spg, sg, sgg, g_k, g_hm, g_span, g_s, g_sig)
        g_r[gj] += gx * dt[j]
        g_dl -= gx * dtp[j]
    return np.asarray(total), g_k, g_hm, g_span, g_r, g_s, g_sig, np.asarray(g_dl)


def _scatter_loglik(k, hm, span, r, s, sig, delta, c, nu, floor, g, per, dlogn, dt, dtp, y, w):
    """Σ_j w_j·log t_ν(y_j | μ_j, √d_j) and its gradient in (k, h_mid, span, r, s_rho, σ_score, Δ, c, ν)."""
    dl, nv = np.asarray(delta).item(), np.asarray(nu).item()
    G = k.shape[0]
    g_k, g_hm, g_span, g_r, g_s, g_sig = np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G), np.zeros(G)
    g_c = np.zeros(c.shape[0])
    total, g_dl, g_nu, w_sum = 0.0, 0.0, 0.0, 0.0
    for j in range(y.shape[0]):
        gj, wj = g[j], w[j]
        if wj == 0.0:
            continue
        kg, sg, spg, sgg = k[gj], s[gj], span[gj], sig[gj]
        x = dlogn[j] + r[gj] * dt[j] - dl * dtp[j] + c[per[j]]
        p, q, pq, f, v = _score_scale(kg, hm[gj], spg, sg, sgg, x)
        e = y[j] - floor[gj] - spg * p
        # −½ log v − (ν + 1)/2·log(1 + e²/(νv)) = ν/2·log v − (ν + 1)/2·log(νv + e²) + (ν + 1)/2·log ν
        D = nv * v + e * e
        iD = 1.0 / D
        lv, lD = math.log(v), math.log(D)
        total += wj * (0.5 * nv * lv - 0.5 * (nv + 1.0) * lD)
        w_sum += wj
        g_mu = (nv + 1.0) * e * iD
        g_v = 0.5 * nv / v - 0.5 * (nv + 1.0) * nv * iD
        g_nu += wj * (0.5 * lv - 0.5 * lD - 0.5 * (nv + 1.0) * v * iD)
        gx = _to_curve(g_mu, g_v, wj, gj, x, p, q, pq, f, kg, spg, sg, sgg, g_k, g_hm, g_span, g_s, g_sig)
        g_r[gj] += gx * dt[j]
        g_dl -= gx * dtp[j]
        g_c[per[j]] += gx
    # per score: log Γ((ν + 1)/2) − log Γ(ν/2) − ½ log π + ν/2·log ν (the rest of the normaliser)
    total += w_sum * (math.lgamma(0.5 * (nv + 1.0)) - math.lgamma(0.5 * nv) - 0.5 * math.log(math.pi) + 0.5 * nv * math.log(nv))
    g_nu += w_sum * (0.5 * _digamma(0.5 * (nv + 1.0)) - 0.5 * _digamma(0.5 * nv) + 0.5 * math.log(nv) + 0.5)
    return np.asarray(total), g_k, g_hm, g_span, g_r, g_s, g_sig, np.asarray(g_dl), g_c, np.asarray(g_nu)


def jit_kernels() -> None:
    """Replace the kernels above by numba-compiled versions (idempotent; they call each other by global name)."""
    import numba
    g = globals()
    from forecast.inference.kernels import digamma
    g["_digamma"] = digamma
    for name in ("_row_location", "_score_scale", "_to_curve", "_quantile_loglik", "_scatter_loglik"):
        if not isinstance(g[name], numba.core.dispatcher.Dispatcher):
            # numpy's error model: a degenerate point (a zero scale) gives inf/nan, which the samplers reject, not an exception
            g[name] = numba.njit(cache=True, error_model="numpy")(g[name])


def kernel(name: str):
    """A compiled kernel (`quantile` or `scatter`), for callers outside a graph (tests)."""
    jit_kernels()
    return globals()[f"_{name}_loglik"]


def _make_op(name: str, n_params: int, n_float_data: int, n_int_data: int, n_rows: int, out_kinds: str):
    """A PyTensor Op over `_<name>_loglik`: parameters, then float data, int data and per-score rows; outputs a scalar
    value and one gradient per parameter (`out_kinds`: s/v)."""
    import pytensor.tensor as pt
    from pytensor.gradient import disconnected_type
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    jit_kernels()
    fn_name = f"_{name}_loglik"
    n_in = n_params + n_float_data + n_int_data + n_rows

    class DensingLoglik(Op):
        __props__ = ("kind", "kernel_version")  # in the graph's cache key: a changed kernel must not load old code

        def __init__(self, kind: str = name, kernel_version: int = KERNEL_VERSION):
            self.kind, self.kernel_version = kind, kernel_version

        def __reduce__(self):  # a class made here cannot be found by name: unpickling asks the module for the Op
            return _op_by_kind, (self.kind,)

        def make_node(self, *inputs):
            a = n_params + n_float_data
            fl = [pt.as_tensor_variable(v).astype("float64") for v in inputs[:a]]
            ints = [pt.as_tensor_variable(v).astype("int64") for v in inputs[a:a + n_int_data]]
            rows = [pt.as_tensor_variable(v).astype("float64") for v in inputs[a + n_int_data:]]
            outs = [pt.dscalar()] + [pt.dscalar() if o == "s" else pt.dvector() for o in out_kinds]
            return Apply(self, fl + ints + rows, outs)

        def perform(self, node, inputs, outputs):
            for out, v in zip(outputs, globals()[fn_name](*inputs)):
                out[0] = np.asarray(v)

        def connection_pattern(self, node):
            return [[True] * (1 + n_params)] * n_params + [[False] * (1 + n_params)] * (n_in - n_params)

        def grad(self, inputs, output_grads):
            # only the value is differentiated (first order is all NUTS needs); the data get no gradient
            _, *dparams = self(*inputs)
            return [output_grads[0] * d for d in dparams] + [disconnected_type() for _ in range(n_in - n_params)]

    DensingLoglik.__name__ = DensingLoglik.__qualname__ = f"Densing{name.title()}Loglik"

    @register_funcify_default_op_cache_key(DensingLoglik)
    def _numba_loglik(op, node, **kwargs):
        return globals()[fn_name], KERNEL_VERSION

    return DensingLoglik()


@functools.cache
def quantile_op():
    return _make_op("quantile", 7, 3, 1, 5, "vvvvvvs")


@functools.cache
def scatter_op():
    return _make_op("scatter", 9, 1, 2, 5, "vvvvvvsvs")


def _op_by_kind(kind: str):
    return {"quantile": quantile_op, "scatter": scatter_op}[kind]()


def quantile_loglik(k, hm, span, r, s, sig, delta, *, q_level, eps, floor, g, dlogn, dt, dtp, y, w):
    """The frontier fit's summed log-likelihood (a graph scalar); see `_quantile_loglik`."""
    return quantile_op()(k, hm, span, r, s, sig, delta, q_level, eps, floor, g, dlogn, dt, dtp, y, w)[0]


def scatter_loglik(k, hm, span, r, s, sig, delta, c, nu, *, floor, g, per, dlogn, dt, dtp, y, w):
    """The typical fit's summed log-likelihood (a graph scalar); see `_scatter_loglik`."""
    return scatter_op()(k, hm, span, r, s, sig, delta, c, nu, floor, g, per, dlogn, dt, dtp, y, w)[0]
