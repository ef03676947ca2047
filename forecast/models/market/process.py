"""The provider process in numpy: nowcast of incomplete quarters, forward paths, and SBC data sets.

The process per quarter (the numpy twin of the graph in `Market.build_model`): organizations not active enter as
NegBinomial(μ_q, α) with log μ_q = log_level + trend·(t_q − t_ref); an active organization k quarters after its last
qualifying release (k = 0..W−1) releases again with probability r_k = logistic(release_logit + release_decay·k),
else moves to k+1, and after W quarters without a release it is no longer a provider. The count is the number of
active organizations.

Observed in a snapshot, each release of quarter q is reported with probability π_q (`vintages.completeness`), so
observed entries are NegBinomial(μ_q π_q, α) and observed re-releases Binomial(n_k, r_k π_q), taking the observed
states as the states (a release missed in one quarter puts its organization one state older until it is reported).

Nowcast. From the last quarter with π ≈ 1 the true states are imputed quarter by quarter: a known organization
without a reported release released unreported with probability r_k(1 − π_q)/(1 − r_k π_q); unreported entrants
come from the Gamma–Poisson posterior of the quarter's entry rate given the reported entries, Poisson(Λ_q(1 − π_q))
with Λ_q ~ Gamma(α + E_q, α/μ_q + π_q), and are dropped if a later release of theirs would have been reported (they
would be known organizations then). Forward paths continue from the imputed states with each draw's parameters,
so a row of every output is one joint path.
"""
from __future__ import annotations

import numpy as np

from forecast.models.market.vintages import completeness, delay_cdf

COUNT_PARAMETERS = ("log_level", "trend", "overdispersion", "release_logit", "release_decay")


def release_probability(release_logit, release_decay, window: int) -> np.ndarray:
    """r_k for k = 0..window−1: (D, window) for parameters of shape (D,)."""
    from scipy.special import expit
    k = np.arange(window)
    return expit(np.asarray(release_logit, float)[..., None] + np.asarray(release_decay, float)[..., None] * k)


def entry_mean(t, log_level, trend) -> np.ndarray:
    """μ(t) per draw: (D, T) for t (T,) in years from t_ref and parameters (D,)."""
    return np.exp(np.asarray(log_level, float)[..., None] + np.asarray(trend, float)[..., None] * np.asarray(t, float))


def _nb(rng, mu, alpha):
    """NegBinomial with mean mu and variance mu + mu²/alpha, as a Gamma–Poisson mixture (mu may be 0)."""
    return rng.poisson(rng.gamma(alpha, np.asarray(mu, float) / alpha))


def _step(rng, counts, r, entries):
    """One quarter of the aggregate process: counts (D, W) per active state → new counts, each draw its own r."""
    m = rng.binomial(counts, r)
    new = np.zeros_like(counts)
    new[:, 0] = entries + m.sum(axis=1)
    new[:, 1:] = (counts - m)[:, :-1]
    return new


def nowcast_start(pi: np.ndarray, max_window: int = 12, tol: float = 1e-3) -> int:
    """First quarter index of the nowcast: the first from which some draw has π < 1 − tol (at least the last one)."""
    bad = np.flatnonzero((1.0 - np.atleast_2d(pi)).max(axis=0) > tol)
    q = pi.shape[-1]
    return max(int(bad[0]) if bad.size else q - 1, q - max_window, 1)


def simulate(p: dict, x: dict, horizon: int, rng: np.random.Generator) -> np.ndarray:
    """Provider counts per draw over the fitted quarters (observed, then nowcast) and `horizon` later quarters.

    p: parameter draws (D,) by name (COUNT_PARAMETERS and the delay's shape and scale); x: the model's inputs.
    Returns (D, Q + horizon) integers; column j is quarter `x["quarters"][j]` and then the following quarters."""
    d = np.asarray(p["log_level"]).shape[0]
    w = int(x["window"])
    pi = completeness(x["ages"], p["delay_shape"], p["delay_scale"])  # (D, Q)
    r = release_probability(p["release_logit"], p["release_decay"], w)  # (D, W)
    alpha = 1.0 / np.asarray(p["overdispersion"], float) ** 2
    q = pi.shape[1]
    j0 = nowcast_start(pi)
    out = np.empty((d, q + horizon), dtype=np.int64)
    out[:, :j0] = x["count"][None, :j0]
    panel, states_before = x["panel"], x["states_before"]  # releases (orgs, Q); state at the end of quarter j0-1 is states_before[:, j0]
    s = np.repeat(states_before[:, j0][:, None], d, axis=1)  # (orgs, D)
    ghosts = np.zeros((d, w), dtype=np.int64)
    mu = entry_mean(x["t"], p["log_level"], p["trend"])  # (D, Q)
    cols = np.arange(d)[None, :]
    for j in range(j0, q):
        pij = pi[:, j]
        seen = panel[:, j][:, None]
        active = s < w
        rs = r[cols, np.minimum(s, w - 1)]
        p_miss = rs * (1 - pij) / np.maximum(1 - rs * pij, 1e-12)
        missed = active & ~seen & (rng.random(s.shape) < p_miss)
        s = np.where(seen | missed, 0, np.minimum(s + 1, w))
        rel = rng.binomial(ghosts, r)
        reported = rng.binomial(rel, pij[:, None])
        new = np.zeros_like(ghosts)
        new[:, 0] = (rel - reported).sum(axis=1)
        new[:, 1:] = (ghosts - rel)[:, :-1]
        lam = rng.gamma(alpha + x["entries"][j], 1.0 / (alpha / mu[:, j] + pij))
        new[:, 0] += rng.poisson(lam * (1 - pij))
        ghosts = new
        out[:, j] = (s < w).sum(axis=0) + ghosts.sum(axis=1)
    counts = np.stack([(s == k).sum(axis=0) for k in range(w)], axis=1) + ghosts
    if horizon:
        mu_f = entry_mean(x["t"][-1] + 0.25 * np.arange(1, horizon + 1), p["log_level"], p["trend"])
        for h in range(horizon):
            counts = _step(rng, counts, r, _nb(rng, mu_f[:, h], alpha))
            out[:, q + h] = counts.sum(axis=1)
    return out


def simulate_prior(p: dict, x: dict, n_quarters: int, rng: np.random.Generator) -> np.ndarray:
    """Provider counts of the process alone from the first fitted quarter, no organization active before it and
    nothing observed: (D, n_quarters), what the priors imply without data."""
    d = np.asarray(p["log_level"]).shape[0]
    w = int(x["window"])
    r = release_probability(p["release_logit"], p["release_decay"], w)
    alpha = 1.0 / np.asarray(p["overdispersion"], float) ** 2
    mu = entry_mean(x["t"][0] + 0.25 * np.arange(n_quarters), p["log_level"], p["trend"])
    counts = np.zeros((d, w), dtype=np.int64)
    out = np.empty((d, n_quarters), dtype=np.int64)
    for j in range(n_quarters):
        counts = _step(rng, counts, r, _nb(rng, mu[:, j], alpha))
        out[:, j] = counts.sum(axis=1)
    return out


def simulate_observed(p: dict, x: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One data set of the likelihood's own generative process at scalar parameters `p` (SBC): entries, states at
    risk and re-releases per quarter from the data's first state, and the hits of the pooled delay observations."""
    w = int(x["window"])
    pi = completeness(x["ages"], p["delay_shape"], p["delay_scale"])
    r = release_probability(p["release_logit"], p["release_decay"], w)
    alpha = 1.0 / float(p["overdispersion"]) ** 2
    mu = entry_mean(x["t"], p["log_level"], p["trend"])
    q = pi.shape[-1]
    counts = np.asarray(x["at_risk"][0], dtype=np.int64)
    entries = np.zeros(q, dtype=np.int64)
    at_risk = np.zeros((q, w), dtype=np.int64)
    released = np.zeros((q, w), dtype=np.int64)
    for j in range(q):
        at_risk[j] = counts
        released[j] = rng.binomial(counts, r * pi[j])
        entries[j] = _nb(rng, mu[..., j] * pi[j], alpha)
        nxt = np.zeros(w, dtype=np.int64)
        nxt[0] = entries[j] + released[j].sum()
        nxt[1:] = (counts - released[j])[:-1]
        counts = nxt
    f_old = delay_cdf(x["delay_age"], p["delay_shape"], p["delay_scale"])
    f_new = delay_cdf(x["delay_age_ref"], p["delay_shape"], p["delay_scale"])
    ph = np.clip(f_old / np.maximum(f_new, 1e-300) * np.exp(-p["backfill_rate"] * x["delay_gap"]), 1e-12, 1 - 1e-12)
    return {"entries": entries, "at_risk": at_risk, "released": released,
            "delay_hits": rng.binomial(np.asarray(x["delay_n"], np.int64), ph)}
