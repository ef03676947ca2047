"""Adoption's backtest interface: later quarterly counts k/n of each counted technology in each sampling frame."""
from __future__ import annotations


import numpy as np
import pandas as pd

from forecast.core.timeutil import logistic, years_since



class AdoptionBacktest:
    """Mixin of `Adoption`: held-out targets, the history the baselines see, and predictive draws."""

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
        refser = self.inputs["reference_frames"]
        techs = self.inputs["techs"]
        for j, (k, fr) in enumerate(zip(ti, targets["frame"].astype(str))):
            if fr == refser[techs[k]]:
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

