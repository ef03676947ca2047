"""Adoption share of each technology among new models: hierarchical logistic curves.

For technology k in pyramid layer l(k) and t in years since `settings.ref_date`:

    s_k(t) = c_k · logistic(r_k · (t − t0_k))

with log r_k, t0_k and logit c_k partially pooled by layer and NON-CENTRED:
x_k = layer_mean_x[l(k)] + tech_sd_x · z_k, z_k ~ Normal(0, 1) (priors/adoption.yaml).

Observations (data/adoption_observations.csv):

* ``count`` — k of n new models in a quarter in a sampling frame (popular open-model lists). The lists are
  small and popular-model-biased (DESIGN §9), so the likelihood is beta-binomial with concentration φ,
  evaluated at the quarter's midpoint, with a logit offset per (technology, frame) for frames other than
  `settings.reference_series` (the share forecast is defined on the reference frame). Counts added as evidence
  are in the frame of the list they name, or in one `evidence` frame per technology (forecast/evidence.py).
* ``elicited`` — a stated share with an 80% interval [lo, hi]: share ~ Normal(s_k(t_mid), (hi − lo) / (2 · 1.2816))
  on the share scale; a one-sided claim ("X% or more", hi ≈ 1) only as a soft lower bound log Φ((s − lo)/sd). A *seed's* elicited
  share for a technology that has counted data is a claim under test, not data: by default it is kept out of
  the likelihood (`use_seed_elicited_for_counted: false`) and reported beside the posterior in `summary()`.
* ``ecosystem_count`` — monthly listed MCP servers (month-end commits). A growth series informs the TIMING and
  STEEPNESS of MCP's curve, not its share level: log(count) ~ Normal(log M_series + log logistic(r_mcp (t − t0_mcp)), σ_eco)
  with a per-list scale M_series (the list's size at saturation). Only rows while the list was open are in the
  table (the data builder filters frozen lists). Cumulative counts have autocorrelated residuals, so the MCP
  timing is somewhat over-confident.

A technology without counted data gets its layer's pooled curve, updated only by its elicited rows (if any);
`counted_techs`, `growth_techs` and `elicited_only_techs` say which is which. `cfg.as_of` drops every
observation with period_end ≥ as_of (hindcasts).
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.core.timeutil import logistic, logit, years_since
from forecast.core.errors import DataValidationError, PriorSpecError
from forecast.data.technologies import Registry, load_technologies
from forecast.models.base import ForecastModel, fixed_data, quantile_row

FILE = "adoption_observations.csv"
# r of a counted technology with at least this many adopters and non-adopters in its counts is sampled centred,
# and its ceiling too if its counts reach their plateau, if at least CENTRE_MIN_TECHS technologies qualify (see
# `Adoption.centred_techs`)
CENTRE_MIN_EVENTS = 10
CENTRE_MIN_TECHS = 10
# a counted technology with fewer adopters than this in all its counts has barely been seen starting: its t0 is
# sampled directly (unpooled prior), not through the curve's level (see `build_model`). Synthetic 500 technologies,
# 4 × 1000: threshold 3 → R-hat 1.027 (a 5-adopter level), 10 → 1.013 (a 10-adopter level), 20 → 1.009, all passed
LEVEL_MIN_ADOPTERS = 20
# counts "reach their plateau" when the share over their last year is less than this multiple of the year before
PLATEAU_RATIO = 1.3
LOW_RANK_MAX_TECHS = 50  # technologies with data up to which adoption samples with a low-rank mass matrix (`nutpie_options`)
# capacity buckets of the count grid (rows = (technology, frame) pairs, cells per row) and of the frame offsets
ROW_BUCKET, CELL_BUCKET, FRAME_BUCKET = 4, 8, 4


def capacity(used: int, bucket: int) -> int:
    """Smallest multiple of `bucket` above `used`: room for at least one more without a new shape."""
    return bucket * (used // bucket + 1)





def share_curve(t, ceiling, r, t0) -> np.ndarray:
    """s(t) = c · logistic(r (t − t0)); parameters broadcast against t (draws × 1 against 1 × T, say)."""
    return np.asarray(ceiling) * logistic(np.asarray(r) * (np.asarray(t) - np.asarray(t0)))


def elicited_sd(lo, hi, z80: float = 1.2816) -> np.ndarray:
    """sd on the share scale of a normal whose central 80% interval is [lo, hi].

    Elicited shares are compared with the curve on the share scale, not the logit scale: near 0 or 1 the
    logit of a stated share ("100%", "95%以上") lies beyond what a curve with a ceiling below 1 can reach,
    which made a hard wall in the posterior (87 divergences at 4×1000 with the logit-normal form)."""
    return (np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)) / (2 * z80)


def level_time(t, k, n, window: int = 4) -> float:
    """Reference time τ of a counted curve's `level_ref`: where the running share (over `window` periods) first
    reaches half its highest value, a rough t0 clipped to the counted periods; the last period if k is all 0.

    The level u = r (τ − t0) + log c is then pinned down by the counts whether they see the curve's start (τ near
    their end), its rise (τ ≈ t0) or its plateau (τ at their start), and moves little with r."""
    w = min(window, len(t))
    share = np.convolve(k, np.ones(w), "valid") / np.convolve(n, np.ones(w), "valid")
    if share.max() <= 0:
        return float(t[-1])
    return float(np.convolve(t, np.ones(w) / w, "valid")[np.argmax(share >= share.max() / 2)])


def reaches_plateau(k, n, window: int = 4, ratio: float = PLATEAU_RATIO) -> bool:
    """Whether per-period counts have levelled off: the share over the last `window` periods is below `ratio` times
    the share over the `window` periods before (False with fewer than two windows or no adopters before).

    Only then do the counts fix the ceiling. On the synthetic 500-technology draw, technologies passing this at
    1.3 were, at the end of their counts, ≥ 1.7 growth time-constants past their midpoint in 90% of cases."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    if len(k) < 2 * window:
        return False
    last, before = k[-window:].sum() / n[-window:].sum(), k[-2 * window:-window].sum() / n[-2 * window:-window].sum()
    return bool(before > 0 and last < ratio * before)


def registry_for(priors_file: str | None) -> Registry:
    """The technology registry next to the model's prior file (a run's own copy), else the project's."""
    if priors_file:
        p = Path(priors_file).parent
        if (p / "technologies.yaml").exists():
            return load_technologies(p)
    return load_technologies()


# ---- count likelihood: one numba pass over the (row, cell) grid for the value and the gradient
#
# Profiled at 500 technologies × 40 quarters (20,000 counts): PyMC's BetaBinomial on per-count gathers cost
# 8.1 ms per logp+gradient, 70% of it in log-gamma / digamma calls and the elementwise temporaries between
# them, and compiled in 25–50 s. The pass below computes the same sum exactly in 1.7 ms: log-gamma differences
# at integer offsets are short products or a difference of two Stirling series, the normaliser is a recurrence
# over n, and the gradient is accumulated per row. Plain Python here; `_jit_kernels` compiles it with numba
# when a model is built (numba is too heavy an import for commands that never sample).

KERNEL_VERSION = 2  # bump when `_count_loglik` changes (its compiled code is cached inside model graphs)
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


def _jit_kernels() -> None:
    """Replace the kernels above by numba-compiled versions (idempotent; they call each other by global name)."""
    import numba
    g = globals()
    for name in ("_stirling", "_rising", "_falling", "_count_loglik"):
        if not isinstance(g[name], numba.core.dispatcher.Dispatcher):
            # numpy's error model: at extreme parameters (a ceiling of exactly 1 in floating point on a saturated
            # curve, so 1 − P = 0) a division gives ±inf/nan, which the samplers reject as a bad point, instead of
            # raising ZeroDivisionError (which stopped PyMC's sampler during tuning)
            g[name] = numba.njit(cache=True, error_model="numpy")(g[name])


@functools.cache
def count_loglik_op():
    """`_count_loglik` as a PyTensor Op with its gradient, implemented for the numba backend (and in Python)."""
    import pytensor.tensor as pt
    from pytensor.gradient import disconnected_type
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    _jit_kernels()

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


class Adoption(ForecastModel):
    """Share of new models using each technology: logistic curves with ceilings, partially pooled by pyramid layer (non-centred), fitted to beta-binomial quarterly counts from open-model lists, elicited seed shares and, for MCP, the growth of listed servers."""

    name = "adoption"
    typical_sample_s = 10.0
    title = "Technology adoption curves"
    tables = ("adoption_observations",)

    @property
    def min_target_accept(self) -> float:
        # Elicited-only technologies (one stated share each) have mostly-prior, one-side-bounded curves. Measured on the
        # project data at 4×1000 over 4 seeds (one-sided t0 through the level, see build_model): at target_accept 0.9
        # one seed had R-hat 1.02 / ESS 140 on a one-sided level; at 0.95 all four passed, at the same 31 leapfrog
        # steps per draw. Without such technologies (e.g. the synthetic scale data) the run's setting is kept.
        return 0.95 if self.inputs["elicited_only_techs"] else 0.0

    @property
    def nutpie_options(self) -> dict:
        # The extrapolated curves (MoE's midpoint lies after most of its data) correlate t0, r and the ceiling: a
        # low-rank mass-matrix correction fixes the mixing of the project's fit (4×1000: R-hat 1.012 / tail ESS 323
        # with the diagonal default, 1.005 / 1093 with low rank, similar time). Its cost per leapfrog step grows
        # with the dimension while it buys nothing there: synthetic scale data, tune 400, same seed, low rank vs
        # diagonal — 50 technologies 18.6 / 17.8 s, 100 technologies 43.5 / 33.4 s, 500 technologies 288 / 198 s
        # with equal leapfrog counts (± 3%) and no better diagnostics. So only for small registries.
        sampled = len(self.inputs["techs"]) - len(self.inputs["no_data_techs"])
        return {"low_rank_modified_mass_matrix": True} if sampled <= LOW_RANK_MAX_TECHS else {}

    @property
    def draws_multiplier(self) -> int:
        # the same technologies' t0 are heavy-tailed: with 1000 draws per chain the gate still failed now and then
        # (R-hat 1.012, tail ESS 296 on one of them); with 2000 it passed on every seed tried (R-hat ≤ 1.005, tail
        # ESS ≥ 840), for 1.5× the sampling time
        return 2 if self.inputs["elicited_only_techs"] else 1

    # ---- data contract
    def prepare(self, frames):
        from forecast.data.schema import validate
        from forecast.data.tables import ADOPTION_OBSERVATIONS

        s = self.priors.settings
        self.registry = registry_for(self.priors.file)
        reg = self.registry
        f = validate(frames["adoption_observations"], ADOPTION_OBSERVATIONS, FILE)
        row_no = f.index.to_numpy() + 2  # file row numbers (header = row 1)
        f = f.assign(_row=row_no)
        unknown = ~f["technology"].astype(str).isin(reg.ids)
        if unknown.any():
            r = f[unknown].iloc[0]
            raise DataValidationError(f"unknown technology {r['technology']!r}; not in {reg.file}", file=FILE, row=int(r["_row"]), column="technology")
        today = pd.Timestamp.today().normalize()
        future = f["period_end"] > today
        if future.any():
            r = f[future].iloc[0]
            raise DataValidationError(f"period_end {r['period_end'].date()} is in the future (today {today.date()})", file=FILE, row=int(r["_row"]), column="period_end")
        eco_bad = (f["kind"] == "ecosystem_count") & (f["technology"] != "mcp")
        if eco_bad.any():
            r = f[eco_bad].iloc[0]
            raise DataValidationError("ecosystem_count rows are only modelled for technology 'mcp'", file=FILE, row=int(r["_row"]), column="technology")
        if self.cfg.as_of:
            f = f[f["period_end"] < pd.Timestamp(self.cfg.as_of)]
        techs = reg.ids
        tix = {t: i for i, t in enumerate(techs)}
        layers = list(reg.layers)
        ref = pd.Timestamp(s["ref_date"])
        z80 = float(s["z80"])
        mid = f["period_start"] + (f["period_end"] - f["period_start"]) / 2

        cnt = f[f["kind"] == "count"]
        counted = sorted(set(cnt["technology"]), key=techs.index)
        refser = s["reference_series"]
        pairs = sorted({(t, ser) for t, ser in zip(cnt["technology"], cnt["series"]) if ser != refser})
        pair_ix = {p: i + 1 for i, p in enumerate(pairs)}  # 0 = reference frame (offset 0)

        # counts on a (technology, frame) × cell grid: each row holds its counts in time order in its first
        # cells (t per cell), n = 0 in the rest. The curve is evaluated per row and broadcast over cells (no
        # per-count gather or scatter-add). Rows, cells and frame slots are padded to capacity buckets with
        # spare room, so one more count (a new quarter, or a first count in a technology's evidence frame) keeps
        # every array's shape and the compiled graph is reused (`forecast update` does not recompile).
        cmid = mid[cnt.index]
        dup = cnt.assign(_mid=cmid).duplicated(["technology", "series", "_mid"], keep="first")
        if dup.any():
            r = cnt[dup].iloc[0]
            raise DataValidationError(f"a second count for {r['technology']} in frame {r['series']!r} for the period "
                                      f"{r['period_start'].date()} – {r['period_end'].date()} (one count per technology, frame and period)",
                                      file=FILE, row=int(r["_row"]), column="period_start")
        row_key = list(zip(cnt["technology"].map(tix), [pair_ix.get((t, ser), 0) for t, ser in zip(cnt["technology"], cnt["series"])]))
        rows_u = sorted(set(row_key))
        cells = {rk: [] for rk in rows_u}
        for rk, tm, kk, nn in zip(row_key, years_since(cmid, ref), cnt["k"].to_numpy(int), cnt["n"].to_numpy(int)):
            cells[rk].append((tm, kk, nn))
        n_rows = capacity(len(rows_u), ROW_BUCKET)
        n_cells = capacity(max((len(v) for v in cells.values()), default=0), CELL_BUCKET)
        grid_t, grid_n = np.zeros((n_rows, n_cells)), np.zeros((n_rows, n_cells), dtype=int)
        grid_k = np.zeros_like(grid_n)
        for i, rk in enumerate(rows_u):
            c = sorted(cells[rk])
            grid_t[i, :len(c)], grid_k[i, :len(c)], grid_n[i, :len(c)] = zip(*c)
        row_tech = np.zeros(n_rows, dtype=int)  # padding rows: technology 0 on the reference frame, no counts
        row_frame = np.zeros(n_rows, dtype=int)
        row_tech[:len(rows_u)], row_frame[:len(rows_u)] = [t for t, _ in rows_u], [fr for _, fr in rows_u]

        events = cnt.groupby("technology")[["k", "n"]].sum()
        level = [t for t in counted if events.loc[t, "k"] >= LEVEL_MIN_ADOPTERS]
        t_ref, plateau = [], set()
        for t in counted:
            by_period = cnt[cnt["technology"] == t].assign(_t=years_since(cmid[cnt["technology"] == t], ref)).groupby("_t")[["k", "n"]].sum()
            if t in level:
                t_ref.append(level_time(by_period.index.to_numpy(float), by_period["k"].to_numpy(int), by_period["n"].to_numpy(int)))
            if reaches_plateau(by_period["k"].to_numpy(int), by_period["n"].to_numpy(int)):
                plateau.add(t)
        well = [t for t in counted if events.loc[t, "k"] >= CENTRE_MIN_EVENTS and events.loc[t, "n"] - events.loc[t, "k"] >= CENTRE_MIN_EVENTS]
        centred = well if len(well) >= CENTRE_MIN_TECHS else []
        centred_ceiling = [t for t in centred if t in plateau]

        eli = f[f["kind"] == "elicited"]
        if not s.get("use_seed_elicited_for_counted", False):
            held = eli["technology"].isin(counted) & (eli["series"] == s["seed_elicited_series"])
        else:
            held = pd.Series(False, index=eli.index)
        eli_used, eli_held = eli[~held], eli[held]

        eco = f[f["kind"] == "ecosystem_count"].sort_values(["series", "period_end"])
        eco_series = sorted(set(eco["series"]))
        growth = ["mcp"] if len(eco) else []
        elicited_only = [t for t in techs if t not in counted and t not in growth and t in set(eli_used["technology"])]
        no_data = [t for t in techs if t not in counted and t not in growth and t not in elicited_only]
        used = pd.concat([cnt, eli_used, eco])
        data_end = used.loc[used["kind"] != "elicited", "period_end"].max() if (used["kind"] != "elicited").any() else used["period_end"].max()
        if pd.isna(data_end):
            data_end = pd.Timestamp(self.cfg.as_of) if self.cfg.as_of else today
        sh = eli_used["share"].to_numpy(float)
        lower_only = eli_used["share_hi"].to_numpy(float) >= 0.99  # "X% or more" claims (upper bound ~1)
        eli_tech = eli_used["technology"].to_numpy()
        return {
            "frame": f, "techs": techs, "layers": layers,
            "growth_idx": np.array([tix[t] for t in growth], dtype=int), "counted_idx": np.array([tix[t] for t in counted], dtype=int),
            "layer_idx": np.array([layers.index(reg[t].layer) for t in techs], dtype=int),
            "ref_date": ref,
            "count": {"rows": cnt},  # the likelihood reads the grid below; the rows feed backtests and plots
            "grid": {"row_tech": row_tech, "row_frame": row_frame, "t": grid_t, "n": grid_n, "k": grid_k},
            "frame_pairs": [f"{t}|{ser}" for t, ser in pairs],
            # frame offsets beyond the data's pairs: spare slots (prior only) so a new frame keeps the shape
            "frame_slots": [f"{t}|{ser}" for t, ser in pairs] + [f"(spare {i + 1})" for i in range(capacity(len(pairs), FRAME_BUCKET) - len(pairs))],
            "elicited": {"tech": eli_used["technology"].map(tix).to_numpy(int), "t": years_since(mid[eli_used.index], ref),
                         "y": sh,
                         "sd": np.maximum(elicited_sd(eli_used["share_lo"], eli_used["share_hi"], z80), 0.01),
                         # "X% or more" claims (upper bound ~1) only say the share is at least share_lo
                         "lower_only": lower_only,
                         "lo": eli_used["share_lo"].to_numpy(float),
                         "lo_sd": np.maximum((sh - eli_used["share_lo"].to_numpy(float)) / z80, 0.01),
                         "rows": eli_used},
            "held_out": eli_held,
            "eco": {"series": eco["series"].map({x: i for i, x in enumerate(eco_series)}).to_numpy(int),
                    "t": years_since(eco["period_end"], ref), "log_count": np.log(eco["k"].to_numpy(float)), "rows": eco},
            "eco_series": eco_series,
            "level_idx": np.array([tix[t] for t in level], dtype=int), "t_ref": np.array(t_ref, dtype=float),  # τ of each level_idx
            "centred_idx": np.array([tix[t] for t in centred], dtype=int), "centred_techs": centred,
            "centred_ceiling_idx": np.array([tix[t] for t in centred_ceiling], dtype=int), "centred_ceiling_techs": centred_ceiling,
            # elicited-only technologies whose every claim is one-sided: t0 sampled through their level (build_model)
            "one_sided_idx": np.array([tix[t] for t in elicited_only if lower_only[eli_tech == t].all()], dtype=int),
            "counted_techs": counted, "growth_techs": growth, "elicited_only_techs": elicited_only, "no_data_techs": no_data,
            "data_end": pd.Timestamp(data_end),
        }

    @property
    def counted_techs(self) -> list[str]:
        return list(self.inputs["counted_techs"])

    @property
    def centred_techs(self) -> list[str]:
        """Technologies whose r is sampled centred (layer mean, tech_sd) rather than non-centred; their ceiling is
        centred too where their counts reach the plateau (`centred_ceiling_techs`).

        Same model, different geometry. A non-centred z of a technology whose counts pin its curve down moves
        with tech_sd, so with many such technologies tech_sd mixes badly (synthetic 50 × 40 quarters); centred,
        they inform tech_sd directly. With few of them tech_sd is mostly prior and the centred funnel opens, so
        the project's three counted technologies stay non-centred."""
        return list(self.inputs["centred_techs"])

    @property
    def centred_ceiling_techs(self) -> list[str]:
        """Centred technologies whose ceiling is centred as well: those whose counts level off
        (`reaches_plateau`). Counts that see only a curve's exponential phase do not fix its ceiling, and a
        centred ceiling the data leave free is a funnel in tech_sd (synthetic 500 technologies: 47 leapfrogs per
        draw, trajectories at the 1023-step limit, R-hat 1.02 on a layer's ceiling mean)."""
        return list(self.inputs["centred_ceiling_techs"])

    @property
    def growth_techs(self) -> list[str]:
        return list(self.inputs["growth_techs"])

    @property
    def elicited_only_techs(self) -> list[str]:
        return list(self.inputs["elicited_only_techs"])

    def config_hash(self) -> str:
        import hashlib
        return hashlib.sha256((super().config_hash() + self.registry.sha256).encode()).hexdigest()

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        coords = {"tech": x["techs"], "layer": x["layers"]}
        if len(x["count"]["rows"]):
            coords["frame_pair"] = x["frame_slots"]
        if x["eco_series"]:
            coords["eco_series"] = x["eco_series"]

        def log_sigmoid(v):
            return -pt.softplus(-v)

        with pm.Model(coords=coords) as model:
            lix = x["layer_idx"]
            logr_mu = self.priors.rv("logr_layer_mean", dims="layer")
            logr_sd = self.priors.rv("logr_tech_sd")
            t0_mu = self.priors.rv("t0_layer_mean", dims="layer")
            t0_sd = self.priors.rv("t0_tech_sd")
            lc_mu = self.priors.rv("logitc_layer_mean", dims="layer")
            lc_sd = self.priors.rv("logitc_tech_sd")
            growth_ix, counted_ix = x["growth_idx"], x["counted_idx"]
            K = len(x["techs"])

            def pooled(name, mu, sd, prior, unpooled_ix, layer_only_ix=(), centred_ix=(), skip_ix=()):
                # partial pooling by layer, non-centred (layer mean + tech_sd · z), except:
                #  * unpooled_ix: technologies whose data pin this parameter down get the population prior of a
                #    layer mean, unpooled. Measured at 4×1000: non-centred pooling of the counted techs' t0 gave
                #    R-hat 1.02 / ESS 230 (the non-centred funnel), centred pooling 74 divergences (the centred
                #    funnel at small t0_tech_sd); for MCP the growth series sets timing and steepness of a list,
                #    which must not set the share curves of its layer siblings either.
                #  * layer_only_ix: technologies with no time series take the layer's value itself: one share
                #    point cannot inform a growth rate, and a free deviation there let r → ∞ along saturated
                #    curves (the divergences at large logr_tech_sd).
                #  * centred_ix: well-measured technologies, centred (see `centred_techs`).
                #  * skip_ix: left for the caller to set.
                out = pt.zeros(K)
                special = set(unpooled_ix) | set(layer_only_ix) | set(skip_ix)
                cen = np.array([i for i in centred_ix if i not in special], dtype=int)
                special |= set(cen)
                nc = np.array([i for i in range(K) if i not in special], dtype=int)
                if len(nc):
                    z = pm.Normal(f"z_{name}", 0.0, 1.0, shape=len(nc))
                    out = pt.set_subtensor(out[nc], mu[lix[nc]] + sd * z)
                if len(cen):
                    out = pt.set_subtensor(out[cen], pm.Normal(f"{name}_centred", mu[lix[cen]], sd, shape=len(cen)))
                lo_ix = np.array(sorted(layer_only_ix), dtype=int)
                if len(lo_ix):
                    out = pt.set_subtensor(out[lo_ix], mu[lix[lo_ix]])
                if len(unpooled_ix):
                    out = pt.set_subtensor(out[unpooled_ix], self.priors.rv(prior, name=f"{name}_unpooled", shape=len(unpooled_ix)))
                return out

            data_ix = np.concatenate([counted_ix, growth_ix]).astype(int)
            no_series = [i for i in range(K) if i not in set(counted_ix) | set(growth_ix)]
            # technologies with no data at all are not sampled: their curve is drawn from the layer's
            # population distribution after the fit (`_params`), which is exactly their posterior predictive
            no_data = [x["techs"].index(t) for t in x["no_data_techs"]]
            cen = x["centred_idx"]
            r = pm.Deterministic("r", pt.exp(pooled("logr", logr_mu, logr_sd, "logr_layer_mean", growth_ix, no_series, cen)), dims="tech")
            lc = pooled("logitc", lc_mu, lc_sd, None, [], no_data, x["centred_ceiling_idx"])
            pm.Deterministic("ceiling", pm.math.sigmoid(lc), dims="tech")
            # t0 is not exchangeable within a layer (settled items from the 2010s sit beside 2020s contests), and
            # one-sided share claims make a ridge in a pooled t0 (divergences at large t0_tech_sd, measured 23-28
            # per 4000 draws): every technology with any data gets its own t0 under the broad layer-mean prior;
            # r and the ceiling stay partially pooled by layer.
            e = x["elicited"]
            eli_ix = [x["techs"].index(t) for t in x["elicited_only_techs"]]
            one_sided, level_ix = x["one_sided_idx"], x["level_idx"]
            # counted technologies with (almost) no adopters yet (no level to pin down): t0 directly, under the same
            # prior. Through the level their u had a prior scale r σ and a one-sided likelihood (u below the first
            # adopter's level), a funnel in r (synthetic 500 technologies: R-hat 1.017, tail ESS 82 on such u).
            direct = [int(i) for i in np.concatenate([growth_ix, eli_ix, counted_ix]) if i not in set(one_sided) | set(level_ix)]
            t0 = pooled("t0", t0_mu, t0_sd, "t0_layer_mean", np.array(direct, dtype=int),
                        no_data, skip_ix=np.concatenate([level_ix, one_sided]).astype(int))
            if len(level_ix) or len(one_sided):
                # A counted technology's t0 is sampled through the curve's level at its counts' reference time τ,
                # u = r (τ − t0) + log c. Counts that see only the start of a curve, s ≈ c·e^(r (t − t0)), fix u and r
                # but not c and t0 apart: in (t0, c) that is a ridge, in (u, c) an axis. u | r, c ~ Normal(r (τ − μ) + log c,
                # r σ) is exactly t0 ~ Normal(μ, σ), the unpooled prior (t0 is a shift and scale of u for fixed r, c).
                # τ: `level_time`. At the mean adopter time instead, u and log r of curves observed on their plateau
                # correlated at 0.99 (synthetic, 500 technologies: 94 leapfrogs per draw).
                t0_prior = self.priors["t0_layer_mean"]
                if t0_prior.distribution != "Normal":
                    raise PriorSpecError("adoption's t0 prior must be Normal (counted technologies sample t0 through a "
                                         "shifted and scaled Normal)", file=self.priors.file, key="t0_layer_mean")
                mu0, sd0 = t0_prior.params["mu"], t0_prior.params["sigma"]

                def through_level(name, ix, tau, t0):
                    r_c, log_c = r[ix], log_sigmoid(lc[ix])
                    u = pm.Normal(name, r_c * (tau - mu0) + log_c, r_c * sd0, shape=len(ix))
                    return pt.set_subtensor(t0[ix], tau - (u - log_c) / r_c)

                if len(level_ix):
                    t0 = through_level("level_ref", level_ix, fixed_data("level_tau", x["t_ref"]), t0)
                if len(one_sided):
                    # An elicited-only technology whose claims are all one-sided ("90%以上") says only that the
                    # curve is high at the stated date τ: in (r, t0) that bound is the curve t0 ≤ τ − K/r (1–3
                    # divergences per 4000 draws at small r and t0 ≈ −7, at target_accept 0.9, 0.95 and 0.97), in (r, u)
                    # the flat u ≥ K'. Measured at 4×1000, target_accept 0.95, 4 seeds: 0 divergences, R-hat ≤ 1.010, min
                    # ESS ≥ 477 (the u of a one-sided claim has a heavy right tail, its prior scale being r σ). Not
                    # for the two-sided claim (benchmark_homogenization): there u mixed worse than t0 (ESS 350).
                    t0 = through_level("level_elicited", one_sided, self._one_sided_tau(), t0)
            t0 = pm.Deterministic("t0", t0, dims="tech")

            gr = x["grid"]
            if len(x["count"]["rows"]):
                # row indices are data, not constants, so that new rows keep the graph (and its compiled code)
                rt = fixed_data("count_row_tech", gr["row_tech"])
                rf = fixed_data("count_row_frame", gr["row_frame"])
                phi = self.priors.rv("concentration")
                off = pt.concatenate([pt.zeros(1), self.priors.rv("frame_offset", dims="frame_pair")])
                pm.CustomDist("count_obs", lc[rt], r[rt], t0[rt], off[rf], phi,
                              fixed_data("count_t", gr["t"]), fixed_data("count_n", gr["n"]),
                              dist=count_dist, logp=count_logp, observed=fixed_data("count_k", gr["k"]))
            two = ~e["lower_only"]
            if two.any():
                e_tech = fixed_data("elicited_tech", e["tech"][two])
                e_t = fixed_data("elicited_t", e["t"][two])
                e_sd = fixed_data("elicited_sd", e["sd"][two])
                e_y = fixed_data("elicited_y", e["y"][two])
                share_e = pt.exp(log_sigmoid(lc[e_tech]) + log_sigmoid(r[e_tech] * (e_t - t0[e_tech])))
                pm.Normal("elicited_obs", mu=share_e, sigma=e_sd, observed=e_y, shape=e_t.shape)
            if e["lower_only"].any():
                # a one-sided claim ("90%以上", "100%") says only that the share is at least lo: a normal observation
                # of the curve censored above at lo, whose likelihood is log Φ((s − lo)/sd). A point likelihood at
                # 1.0 would push ceiling → 1 and t0 → −∞ along a ridge (the divergences seen).
                lo_ = e["lower_only"]
                ti = e["tech"][lo_]
                s_lo = pt.exp(log_sigmoid(lc[ti]) + log_sigmoid(r[ti] * (e["t"][lo_] - t0[ti])))
                pm.Censored("elicited_lower", pm.Normal.dist(s_lo, e["lo_sd"][lo_]), lower=None, upper=e["lo"][lo_],
                            observed=fixed_data("elicited_lower_y", e["lo"][lo_]))
            g = x["eco"]
            if len(g["t"]):
                m = x["techs"].index("mcp")
                g_ser = fixed_data("eco_series_idx", g["series"])
                g_t = fixed_data("eco_t", g["t"])
                g_y = fixed_data("eco_log_count", g["log_count"])
                log_m = self.priors.rv("eco_log_scale", dims="eco_series")
                sig = self.priors.rv("eco_sigma")
                pm.Normal("eco_obs", mu=log_m[g_ser] + log_sigmoid(r[m] * (g_t - t0[m])), sigma=sig, observed=g_y, shape=g_t.shape)
        return model

    @property
    def forecast_start(self) -> pd.Timestamp:
        # the share is latent: its posterior path before the data end is part of the answer (e.g. "60% in 2025")
        return pd.Timestamp(self.priors.settings.get("forecast_start", "2020-01-01"))

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- derived quantities
    def _tech_index(self, tech: str) -> int:
        if tech not in self.inputs["techs"]:
            raise KeyError(f"adoption: technology {tech!r} is not in the registry ({self.registry.file}); "
                           f"known: {', '.join(self.inputs['techs'])}")
        return self.inputs["techs"].index(tech)

    def _params(self):
        cache = self.__dict__.setdefault("_param_cache", {})
        key = id(self.idata)
        if key not in cache:
            cache.clear()
            c, r, t0 = (self.draws(v).copy() for v in ("ceiling", "r", "t0"))
            nd = [self.inputs["techs"].index(t) for t in self.inputs["no_data_techs"]]
            if nd:
                # posterior predictive of an unobserved technology in its layer: layer value + tech_sd · z
                rng = np.random.default_rng([int(self.cfg.seed), 7])
                z = rng.standard_normal((3, c.shape[0], len(nd)))
                r[:, nd] = np.exp(np.log(r[:, nd]) + self.draws("logr_tech_sd")[:, None] * z[0])
                t0[:, nd] = t0[:, nd] + self.draws("t0_tech_sd")[:, None] * z[1]
                c[:, nd] = logistic(logit(c[:, nd]) + self.draws("logitc_tech_sd")[:, None] * z[2])
            cache[key] = (c, r, t0)
        return cache[key]

    def share_paths(self, tech: str, dates) -> np.ndarray:
        """Latent share s_k(t) per posterior draw at `dates`: (draws, T) in [0, 1]."""
        k = self._tech_index(tech)
        c, r, t0 = (a[:, k] for a in self._params())
        t = years_since(pd.DatetimeIndex(pd.to_datetime(dates)), self.inputs["ref_date"])
        return share_curve(t[None, :], c[:, None], r[:, None], t0[:, None])

    def paths(self, kind, params, dates, rng):
        if kind != "share_at_least":
            return super().paths(kind, params, dates, rng)
        return self.share_paths(params["tech"], dates) >= float(params["value"])

    def observed_passage(self, kind, params):
        # the share is latent: a noisy quarter of a small list with k/n ≥ value is not the share passing the value
        return None

    def t0_dates(self, tech: str) -> pd.DatetimeIndex:
        """Posterior draws of the curve's midpoint as dates."""
        t0 = self._params()[2][:, self._tech_index(tech)]
        return self.inputs["ref_date"] + pd.to_timedelta(t0 * 365.25, unit="D")

    # ---- reporting
    def summary(self):
        s = self.priors.settings
        when = pd.Timestamp(s["summary_date"])
        x = self.inputs
        rows = []
        for tech in x["counted_techs"] + x["growth_techs"]:
            k = self._tech_index(tech)
            c, r, t0 = (a[:, k] for a in self._params())
            share = self.share_paths(tech, pd.DatetimeIndex([when]))[:, 0]
            seed = self.registry[tech].seed_values.get("adoption")
            growth_note = "share level from the layer prior: the growth series informs timing/steepness only" if tech in x["growth_techs"] else ""
            rows.append(quantile_row(f"{tech}: share on {when.date()}", share, "" if seed is None else f"{seed:g}", growth_note, fmt="{:.2f}"))
            t0d = x["ref_date"].value + (t0 * 365.25 * 86400e9)
            q05, q50, q95 = (pd.Timestamp(int(v)).date().isoformat() for v in np.quantile(t0d, [0.05, 0.5, 0.95]))
            rows.append({"quantity": f"{tech}: curve midpoint t0 (date)", "median": q50, "q05": q05, "q95": q95,
                         "seed_claim": "", "note": "date the share reaches half its ceiling",
                         "values": tuple(float(v) for v in np.quantile(t0 + x["ref_date"].year + (x["ref_date"].dayofyear - 1) / 365.25, [0.5, 0.05, 0.95]))})
            rows.append(quantile_row(f"{tech}: growth rate r (logit units / year)", r, fmt="{:.2f}"))
            rows.append(quantile_row(f"{tech}: ceiling c", c, fmt="{:.2f}"))
        for _, e in x["held_out"].iterrows():
            tech = e["technology"]
            midd = e["period_start"] + (e["period_end"] - e["period_start"]) / 2
            share = self.share_paths(tech, pd.DatetimeIndex([midd]))[:, 0]
            p_in = float(((share >= e["share_lo"]) & (share <= e["share_hi"])).mean())
            pct = float((share < e["share"]).mean())
            verdict = "data CONTRADICT the seed" if (pct > 0.95 or pct < 0.05) else ("data are in tension with the seed" if (pct > 0.9 or pct < 0.1) else "data are consistent with the seed")
            rows.append(quantile_row(f"{tech}: seed check, share on {midd.date()}", share,
                                     f"{e['share']:g} (80% {e['share_lo']:g}–{e['share_hi']:g}; {e['source']})",
                                     f"{verdict}: P(share in the seed's interval) = {p_in:.2f}; the seed's value sits at posterior percentile {100 * pct:.0f} (seed row held out of the fit)",
                                     fmt="{:.2f}"))
        note = (f"counted data (beta-binomial): {', '.join(x['counted_techs']) or 'none'}; growth series only: {', '.join(x['growth_techs']) or 'none'}; "
                f"elicited only (layer curve + stated share): {', '.join(x['elicited_only_techs']) or 'none'}; "
                f"no data (layer prior curve): {', '.join(x['no_data_techs']) or 'none'}")
        rows.append({"quantity": "data coverage", "median": "", "q05": "", "q95": "", "seed_claim": "", "note": note, "values": (np.nan, np.nan, np.nan)})
        return rows

    def _one_sided_tau(self) -> np.ndarray:
        """Reference time of each one-sided elicited-only technology's level: the mean date of its claims."""
        e = self.inputs["elicited"]
        return np.array([e["t"][e["tech"] == i].mean() for i in self.inputs["one_sided_idx"]])

    # ---- updating by importance reweighting (forecast/reweight.py)
    def structure(self) -> dict:
        """What fixes the parameters and their priors (not the likelihood). Two data sets with equal structures
        give posteriors over the same parameters, so one posterior can be reweighted into the other."""
        x = self.inputs
        return {"techs": list(x["techs"]), "counted": list(x["counted_techs"]), "growth": list(x["growth_techs"]),
                "elicited_only": list(x["elicited_only_techs"]), "one_sided": x["one_sided_idx"].tolist(),
                "level": x["level_idx"].tolist(), "centred": list(x["centred_techs"]), "centred_ceiling": list(x["centred_ceiling_techs"]), "frame_slots": len(x["frame_slots"]),
                "eco_series": list(x["eco_series"]), "priors": self.priors.sha256}

    def data_loglik(self, p: dict) -> np.ndarray:
        """Log-likelihood of all of this model's data at each draw of the natural parameters `p`
        (ceiling, r, t0: draws × techs; concentration: draws; frame_offset: {frame pair: draws};
        eco_log_scale: draws × series; eco_sigma: draws) — the same terms as `build_model`'s likelihood."""
        from scipy import special, stats
        x = self.inputs
        c = np.clip(p["ceiling"], 0.0, 1.0)
        with np.errstate(divide="ignore"):
            lc, log_c = logit(c), np.log(c)  # ±inf at a ceiling of exactly 0 or 1: the kernel's limits hold
        r, t0 = p["r"], p["t0"]
        out = np.zeros(len(c))
        if len(x["count"]["rows"]):
            _jit_kernels()
            kernel = globals()["_count_loglik"]
            gr = x["grid"]
            rt, rf = gr["row_tech"], gr["row_frame"]
            off = np.zeros((len(c), 1 + len(x["frame_slots"])))
            for j, pair in enumerate(x["frame_pairs"]):
                off[:, 1 + j] = p["frame_offset"][pair]
            phi = p["concentration"]
            for i in range(len(c)):
                out[i] += kernel(lc[i, rt], r[i, rt], t0[i, rt], off[i, rf], phi[i], gr["t"], gr["n"], gr["k"])[0]
        e = x["elicited"]
        log_share = lambda ti, t: log_c[:, ti] - np.logaddexp(0.0, -r[:, ti] * (t - t0[:, ti]))  # noqa: E731
        two, lo_ = ~e["lower_only"], e["lower_only"]
        if two.any():
            s = np.exp(log_share(e["tech"][two], e["t"][two]))
            out += stats.norm.logpdf(e["y"][two], s, e["sd"][two]).sum(axis=1)
        if lo_.any():
            s = np.exp(log_share(e["tech"][lo_], e["t"][lo_]))
            out += special.log_ndtr((s - e["lo"][lo_]) / e["lo_sd"][lo_]).sum(axis=1)
        g = x["eco"]
        if len(g["t"]):
            m = x["techs"].index("mcp")
            mu = p["eco_log_scale"][:, g["series"]] - np.logaddexp(0.0, -r[:, [m]] * (g["t"] - t0[:, [m]]))
            out += stats.norm.logpdf(g["log_count"], mu, p["eco_sigma"][:, None]).sum(axis=1)
        return out

    def natural_draws(self, idata) -> dict:
        """The natural parameters `data_loglik` reads, from a posterior of this model (flattened draws)."""
        post = idata.posterior
        flat = lambda v: post[v].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()  # noqa: E731
        p = {v: flat(v) for v in ("ceiling", "r", "t0", "concentration", "eco_log_scale", "eco_sigma") if v in post}
        if "frame_offset" in post:
            p["frame_offset"] = dict(zip(post["frame_offset"].coords["frame_pair"].values.tolist(), flat("frame_offset").T))
        return p

    def reweighted_posterior(self, base: "Adoption", idata, rng) -> tuple[object | None, dict]:
        """`base`'s posterior `idata` (fitted on an earlier data set) moved to this model's data by importance
        weights p(D_self | θ) / p(D_base | θ), Pareto-smoothed and resampled (systematic, in draw order, so
        chains keep their draws). Returns (None, reason) when the two data sets do not share the parameters."""
        from forecast.inference import reweight
        mine, theirs = self.structure(), base.structure()
        if mine != theirs:
            changed = [k for k in mine if mine[k] != theirs[k]]
            return None, {"reason": f"the new evidence changes the model's parameters ({', '.join(changed)})"}
        p = base.natural_draws(idata)
        # each of this model's frame slots takes a base slot: a pair the base has, its own; a new pair (a list the
        # fit never saw) or a spare, one of the base's spare slots, whose draws are prior draws independent of
        # everything else — exactly the new offset's prior (equal slot counts: `structure`)
        base_pairs = list(base.inputs["frame_pairs"])
        spares = iter([sl for sl in base.inputs["frame_slots"] if sl not in base_pairs])
        new_slots = [sl if sl in base_pairs else next(spares) for sl in self.inputs["frame_slots"]]
        p_self = dict(p)
        if "frame_offset" in p:
            p_self["frame_offset"] = {sl: p["frame_offset"][b] for sl, b in zip(self.inputs["frame_slots"], new_slots)}
        log_w = self.data_loglik(p_self) - base.data_loglik(p)
        idx, info = reweight.psis_resample(log_w, rng)
        post = reweight.take_draws(idata.posterior, idx)
        if "frame_pair" in post.dims:
            post = post.sel(frame_pair=new_slots).assign_coords(frame_pair=list(self.inputs["frame_slots"]))
        post = self._relevel(post)
        out = type(idata)(posterior=post, **({"sample_stats": reweight.take_draws(idata.sample_stats, idx)} if "sample_stats" in idata.groups() else {}))
        return out, info

    def _relevel(self, post):
        """Recompute the level variables (`level_ref`, `level_elicited`) at this model's reference times from
        r, ceiling and t0: the draws' natural parameters are what was reweighted; the level is their
        re-parameterisation at data-dependent reference times (`build_model`)."""
        x = self.inputs
        for var, ix, tau in (("level_ref", x["level_idx"], x["t_ref"]), ("level_elicited", x["one_sided_idx"], self._one_sided_tau())):
            if var in post and len(ix):
                sel = {"tech": list(np.asarray(x["techs"])[ix])}
                r, c, t0 = (post[v].sel(sel).values for v in ("r", "ceiling", "t0"))
                with np.errstate(divide="ignore"):
                    post[var] = post[var].copy(data=r * (tau - t0) + np.log(c))
        return post

    # ---- backtesting: later quarterly counts k/n of each counted technology in each sampling frame
    # Series "adoption_share:{tech}:{frame}". The target is the observed share k/n, scored as a continuous
    # quantity (discrete=False); the predictive is the beta-binomial count divided by n, so it is a point
    # mass on {0, 1/n, …, 1} for each target. `t` is the decimal year of the quarter midpoint (the backtest
    # driver's convention for horizons and baselines); `t_model` is the same midpoint in the model's own
    # time (years since settings.ref_date), which is what `predictive` evaluates the curve at.
    @staticmethod
    def _count_series(rows: pd.DataFrame) -> pd.Series:
        return "adoption_share:" + rows["technology"].astype(str) + ":" + rows["series"].astype(str)

    def backtest_targets(self, full, horizon_years):
        from forecast.core.timeutil import decimal_year
        as_of = pd.Timestamp(self.cfg.as_of)
        rows = full.inputs["count"]["rows"]
        later = rows[(rows["period_end"] >= as_of)
                     & (rows["period_start"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years)))]
        mid = later["period_start"] + (later["period_end"] - later["period_start"]) / 2
        k, n = later["k"].to_numpy(float), later["n"].to_numpy(float)
        return pd.DataFrame({"series": self._count_series(later).to_numpy(), "date": mid.to_numpy(),
                             "t": decimal_year(mid), "y": k / n, "discrete": False,
                             "t_model": years_since(mid, self.inputs["ref_date"]),
                             "tech": [self.inputs["techs"].index(t) for t in later["technology"]],
                             "n": later["n"].to_numpy(int), "frame": later["series"].astype(str).to_numpy(),
                             "period_end": later["period_end"].to_numpy()})

    def backtest_history(self):
        from forecast.core.timeutil import decimal_year
        rows = self.inputs["count"]["rows"]
        mid = rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2
        return pd.DataFrame({"series": self._count_series(rows).to_numpy(), "t": decimal_year(mid),
                             "y": rows["k"].to_numpy(float) / rows["n"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        c, r, t0 = self._params()
        S = c.shape[0]
        idx = rng.choice(S, size=n_draws, replace=S < n_draws)
        ti = targets["tech"].to_numpy(int)
        tm = targets["t_model"].to_numpy(float)
        # logit of s = c·logistic(r (t − t0)), in log space as in the likelihood
        log_sig = lambda v: -np.logaddexp(0.0, -v)  # noqa: E731
        with np.errstate(divide="ignore"):
            log_c = np.log(c[idx][:, ti])
        log_s = log_c + log_sig(r[idx][:, ti] * (tm[None, :] - t0[idx][:, ti]))
        log_s = np.minimum(log_s, -1e-12)
        log1mexp = np.where(log_s > -np.log(2.0), np.log(-np.expm1(log_s)), np.log1p(-np.exp(log_s)))
        eta = log_s - log1mexp
        # frame offsets: 0 on the reference frame; a (tech, frame) pair the fit never saw gets its prior
        pairs = list(self.inputs["frame_pairs"])
        off_draws = self.draws("frame_offset")[idx] if pairs else np.zeros((n_draws, 0))
        refser = self.priors.settings["reference_series"]
        techs = self.inputs["techs"]
        for j, (k, fr) in enumerate(zip(ti, targets["frame"].astype(str))):
            if fr == refser:
                continue
            key = f"{techs[k]}|{fr}"
            if key in pairs:
                eta[:, j] += off_draws[:, pairs.index(key)]
            else:
                eta[:, j] += self.priors["frame_offset"].to_scipy().rvs(size=n_draws, random_state=rng)
        p = np.clip(logistic(eta), 1e-12, 1 - 1e-12)
        if len(self.inputs["count"]["rows"]):
            phi = self.draws("concentration")[idx][:, None]
        else:  # no counts before the origin: the concentration is not in the posterior, draw its prior
            phi = self.priors["concentration"].to_scipy().rvs(size=n_draws, random_state=rng)[:, None]
        n = targets["n"].to_numpy(int)
        q = rng.beta(p * phi, (1 - p) * phi)
        k_draws = rng.binomial(np.broadcast_to(n, q.shape), q)
        return k_draws / n[None, :]
