"""Frontier training compute vs date, robust log-linear trend plus a release process.

Frontier (formal, settings in priors/compute_trend.yaml): a model is a *frontier model* if, on its
publication date, its training compute is among the `top_k` largest of all models with known
compute published up to that date, counted from `start_date`. For frontier models
    log10 C_i ~ StudentT(ν, c0 + g·(t_i − t_ref), σ)
and frontier releases arrive as a Poisson process with rate λ per year (estimated on the window
[rate_start, data_end − lag]). The running maximum of simulated future releases, started at the
largest compute observed, is the trajectory the milestone engine reads.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import decimal_year
from forecast.models.base import ForecastModel, quantile_row



def frontier_mask(dates: pd.Series, log_c: pd.Series, top_k: int) -> np.ndarray:
    """True where a model's compute is within the top_k of all models published on or before its date."""
    order = np.lexsort((-log_c.to_numpy(), dates.to_numpy()))
    d, c = dates.to_numpy()[order], log_c.to_numpy()[order]
    out = np.zeros(len(d), dtype=bool)
    seen: list[float] = []
    for i in range(len(d)):
        # models released the same day compete with each other and with everything earlier
        same = d == d[i]
        pool = np.concatenate([np.asarray(seen), c[same]])
        out[i] = (pool > c[i]).sum() < top_k
        if i + 1 == len(d) or d[i + 1] != d[i]:
            seen.extend(c[same].tolist())
    res = np.zeros(len(d), dtype=bool)
    res[order] = out
    return res


class ComputeTrend(ForecastModel):
    """Training compute of frontier models (top-k by compute at release, Epoch AI tables) against date: robust log-linear trend, Poisson release rate, and the simulated running maximum that answers 'first run ≥ X FLOP by date'."""

    name = "compute_trend"
    title = "Frontier training compute"
    tables = ("models",)

    # ---- data contract
    def prepare(self, frames):
        s = self.priors.settings
        f = frames["models"].dropna(subset=["training_compute"])
        # the running top-k is taken over everything since pool_start, so that early in the fit window the
        # "frontier" is not just whatever few models happen to be in the table
        f = f[f["publication_date"] >= pd.Timestamp(s.get("pool_start", s["start_date"]))]
        if self.cfg.as_of:
            f = f[f["publication_date"] < pd.Timestamp(self.cfg.as_of)]
        f = f.sort_values("publication_date").reset_index(drop=True)
        logc = np.log10(f["training_compute"].astype(float))
        mask = frontier_mask(f["publication_date"], logc, int(s["top_k"])) & (f["publication_date"] >= pd.Timestamp(s["start_date"])).to_numpy()
        fr = f[mask].assign(log10_compute=logc[mask])
        data_end = f["publication_date"].max()
        rate_end = data_end - pd.DateOffset(months=int(s["lag_months"]))
        rate_start = pd.Timestamp(s["rate_start"])
        n_rate = int(((fr["publication_date"] >= rate_start) & (fr["publication_date"] <= rate_end)).sum())
        years = (rate_end - rate_start).days / 365.25
        return {
            "all": f.assign(log10_compute=logc),
            "frontier": fr,
            "t": decimal_year(fr["publication_date"]) - float(s["t_ref"]),
            "y": fr["log10_compute"].to_numpy(float),
            "n_rate": n_rate, "rate_years": years, "rate_window": (rate_start, rate_end),
            "data_end": data_end,
            "max_observed": float(logc.max()),
        }

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm

        x = self.inputs
        with pm.Model() as model:
            t = pm.Data("t", x["t"])
            y = pm.Data("y", x["y"])
            n_rate = pm.Data("n_rate", x["n_rate"])
            rate_years = pm.Data("rate_years", x["rate_years"])  # data, not a constant: updates reuse the graph
            c0 = self.priors.rv("c0")
            g = self.priors.rv("growth_log10")
            sigma = self.priors.rv("sigma")
            nu = self.priors.rv("nu")
            lam = self.priors.rv("release_rate")
            pm.StudentT("obs", nu=nu, mu=c0 + g * t, sigma=sigma, observed=y, shape=t.shape)
            pm.Poisson("n_frontier", mu=lam * rate_years, observed=n_rate)
            pm.Deterministic("growth_per_year", 10 ** g)
        return model

    @property
    def monitor(self):
        return ["c0", "growth_log10", "sigma", "nu", "release_rate"]

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- derived quantities
    def simulate_frontier_max(self, dates: pd.DatetimeIndex, rng: np.random.Generator, max_draws: int = 2000) -> np.ndarray:
        """Running max of log10 compute over future releases (draws × dates), started at the observed max."""
        from scipy import stats

        key = (tuple(dates.strftime("%Y-%m-%d")), max_draws)
        cache = self.__dict__.setdefault("_sim_cache", {})
        if key in cache:
            return cache[key]
        c0, g, sig, nu, lam = (self.draws(v) for v in ("c0", "growth_log10", "sigma", "nu", "release_rate"))
        n = len(c0)
        sel = rng.choice(n, size=min(n, max_draws), replace=False) if n > max_draws else np.arange(n)
        c0, g, sig, nu, lam = c0[sel], g[sel], sig[sel], nu[sel], lam[sel]
        t_mid = decimal_year(dates) - float(self.priors.settings["t_ref"])  # trend at each month's end
        t_all = decimal_year(dates)
        dt_years = np.diff(np.concatenate([decimal_year([self.data_end]), t_all]))
        counts = rng.poisson(lam[:, None] * dt_years[None, :])
        u = rng.uniform(size=counts.shape)
        # max of k iid Student-t draws: F^-1(U^(1/k))
        with np.errstate(divide="ignore"):
            q = np.where(counts > 0, u ** (1.0 / np.maximum(counts, 1)), 0.5)
        mx = c0[:, None] + g[:, None] * t_mid[None, :] + sig[:, None] * stats.t.ppf(q, nu[:, None])
        mx = np.where(counts > 0, mx, -np.inf)
        out = np.maximum.accumulate(np.maximum(mx, self.inputs["max_observed"]), axis=1)
        cache[key] = out
        return out

    def paths(self, kind, params, dates, rng):
        if kind != "compute_at_least":
            return super().paths(kind, params, dates, rng)
        return self.simulate_frontier_max(dates, rng) >= np.log10(params["flop"])

    def observed_passage(self, kind, params):
        if kind != "compute_at_least":
            return None
        f = self.inputs["all"]
        hit = f[f["training_compute"] >= params["flop"]]
        if hit.empty:
            return None
        r = hit.sort_values("publication_date").iloc[0]
        return {"date": r["publication_date"].date().isoformat(),
                "source": f"Epoch AI models table (data/models.csv): {r['model']} ({r['organization']}), {r['training_compute']:.2g} FLOP"}

    # ---- backtesting: later frontier models' log10 compute
    def backtest_targets(self, full, horizon_years):
        fr = full.inputs["frontier"]
        as_of = pd.Timestamp(self.cfg.as_of)
        later = fr[(fr["publication_date"] >= as_of) & (fr["publication_date"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years)))]
        return pd.DataFrame({"series": "frontier_log10_compute", "date": later["publication_date"].to_numpy(),
                             "t": decimal_year(later["publication_date"]), "y": later["log10_compute"].to_numpy(float),
                             "discrete": False})

    def backtest_history(self):
        fr = self.inputs["frontier"]
        return pd.DataFrame({"series": "frontier_log10_compute", "t": decimal_year(fr["publication_date"]),
                             "y": fr["log10_compute"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        c0, g, sig, nu = (self.draws(v) for v in ("c0", "growth_log10", "sigma", "nu"))
        idx = rng.choice(len(c0), size=n_draws, replace=len(c0) < n_draws)
        t = targets["t"].to_numpy(float) - float(self.priors.settings["t_ref"])
        mu = c0[idx, None] + g[idx, None] * t[None, :]
        return mu + sig[idx, None] * rng.standard_t(nu[idx, None], size=(n_draws, len(t)))

    def trend_quantiles(self, dates: pd.DatetimeIndex, qs=(0.1, 0.5, 0.9)) -> np.ndarray:
        """Quantiles of the trend line c0 + g·t (the typical frontier release) at dates: (len(qs), T)."""
        t = decimal_year(dates) - float(self.priors.settings["t_ref"])
        mu = self.draws("c0")[:, None] + self.draws("growth_log10")[:, None] * t[None, :]
        return np.quantile(mu, qs, axis=0)

    # ---- reporting
    def summary(self):
        g = self.draws("growth_log10")
        claims = self.priors.settings.get("seed_claims", {})
        x = self.inputs
        return [
            quantile_row("frontier compute growth per year (×)", 10 ** g, claims.get("growth", "")),
            quantile_row("doubling time (months)", 12 * np.log10(2) / g, fmt="{:.1f}"),
            quantile_row("frontier releases per year", self.draws("release_rate"), note=f"{x['n_rate']} frontier models in {x['rate_window'][0].date()}–{x['rate_window'][1].date()}", fmt="{:.1f}"),
            quantile_row("residual sd (log10 FLOP)", self.draws("sigma"), fmt="{:.2f}"),
        ]

