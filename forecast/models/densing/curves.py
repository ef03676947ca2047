"""Densing maths (numpy only, tested by hand): the capability-vs-size curve, its inverse, log density,
doubling time, release cohorts and the asymmetric-Laplace noise of the quantile likelihood."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.core.timeutil import logistic

LN2 = math.log(2.0)
TYP = "_typ"  # suffix of the typical (median) fit's variables beside the frontier fit's



def capability_curve(log_n, floor, ceil_frac, k, m):
    """Score of a model with ln(effective parameters) = log_n on the reference curve."""
    return floor + (1.0 - floor) * ceil_frac * logistic(k * (np.asarray(log_n, float) - m))


def inverse_curve(score, floor, ceil_frac, k, m):
    """ln N_eff reaching `score` on the curve; +inf at or above the ceiling, −inf at or below the floor."""
    score = np.asarray(score, float)
    frac = (score - floor) / ((1.0 - floor) * ceil_frac)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = m + (np.log(frac) - np.log1p(-frac)) / k
    out = np.where(frac >= 1.0, np.inf, out)
    return np.where(frac <= 0.0, -np.inf, out)


def log_density(score, log_n_active, floor, ceil_frac, k, m):
    """ln ρ = ln N_eff − ln N_active."""
    return inverse_curve(score, floor, ceil_frac, k, m) - np.asarray(log_n_active, float)


def doubling_months(rate_per_year):
    """Doubling time in months of exp(rate·t), t in years (inf/negative when the rate is ≤ 0)."""
    with np.errstate(divide="ignore"):
        return 12.0 * LN2 / np.asarray(rate_per_year, float)



def al_unit_b(q):
    """Rate b giving an asymmetric Laplace (PyMC parametrisation, quantile q) unit standard deviation."""
    kappa = (q / (1.0 - q)) ** 0.5
    return (1.0 + kappa ** 4) ** 0.5 / kappa


def smoothed_al_noise(q, eps, size, rng):
    """Draws of (y − μ)/scale under the fit's likelihood: the unit-sd asymmetric Laplace (quantile q) with its
    kink rounded over `eps` (eps > 0, as in the fit). Its density exp(−½((κ − 1/κ)u + (κ + 1/κ)·√(u² + eps²)))
    in u = b·(y − μ)/scale is the hyperbolic distribution, scipy's generalized hyperbolic with p = 1."""
    from scipy import stats
    kap = math.sqrt(q / (1.0 - q))
    u = stats.genhyperbolic(1.0, 0.5 * (kap + 1 / kap) * eps, -0.5 * (kap - 1 / kap) * eps, scale=eps)
    return u.rvs(size=size, random_state=rng) / al_unit_b(q)


def score_moments(log_n_eff, floor, ceil_frac, k, m, sigma_rho, sigma_score):
    """Location μ (the curve at ln N + L(t) + effects), density loading f = dμ/d ln N and delta-method variance
    d = (f·sigma_rho)² + sigma_score² of a score (numpy twin of the likelihood kernels)."""
    p = logistic(k * (log_n_eff - m))
    span = (1.0 - floor) * ceil_frac
    f = span * k * p * (1.0 - p)
    return floor + span * p, f, (f * sigma_rho) ** 2 + sigma_score ** 2


def score_location_scale(log_n_eff, floor, ceil_frac, k, m, sigma_rho, sigma_score):
    """Location and delta-method scale √d of a score (see `score_moments`)."""
    mu, _, d = score_moments(log_n_eff, floor, ceil_frac, k, m, sigma_rho, sigma_score)
    return mu, np.sqrt(d)


def cohort_index(dates, start, months: int) -> np.ndarray:
    """Release cohort of each date: whole `months`-long periods since the month of `start`."""
    d, s = pd.DatetimeIndex(pd.to_datetime(dates)), pd.Timestamp(start)
    return (((d.year - s.year) * 12 + d.month - s.month) // int(months)).to_numpy(int)
