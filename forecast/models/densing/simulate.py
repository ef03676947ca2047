"""Densing's prior draws, simulator (SBC) and posterior predictive (backtests): its likelihood is a Potential (a fused
kernel, and for the frontier a quantile working likelihood), which PyMC's prior predictive cannot draw from."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.errors import RunError
from forecast.core.timeutil import decimal_year, years_since
from forecast.models.densing.curves import LN2, TYP, score_moments, smoothed_al_noise

SCALARS = {"frontier": ("log_T", "tau_r", "delta_break"),
           "typical": ("log_T", "tau_r", "delta_break", "sigma_period", "nu")}


def _fit_of(model) -> str:
    """Which fit a graph built by `Densing.build_model` is: the typical one has Student-t degrees of freedom."""
    return "typical" if "nu" in model.named_vars else "frontier"


class DensingSimulation:
    """Mixin of `Densing`: prior draws, simulated data sets, the likelihood's location and scale, the predictive."""

    # ---- simulation-based calibration
    def sbc_draw(self, model, seed):
        """θ* from the fit's prior and scores from its likelihood, for the graph `model` (either fit).

        Prior: for any r and Δ the map (curve_level, curve_head, curve_slope) → (ceil_frac, k, h) is a bijection onto
        (0, 1) × (0, ∞) × ℝ, and the curve_prior Potential is the density of independent ceil_frac, k, h priors times
        its Jacobian, so drawing ceil_frac, k, h from their stated priors is exactly the fit's prior. Likelihood: one
        draw per score from the fit's own density (Student-t, or the kink-rounded asymmetric Laplace whose per-row
        density is normalised up to a constant that does not depend on θ). Weights must be 0 or 1: a 0 row drops out,
        a weight of 2 would be one score counted twice, which no data simulation reproduces. Ranked: the scalars with
        a clear meaning (`SCALARS`)."""
        fit = _fit_of(model)
        data = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
        if not np.isin(data["weight"], (0.0, 1.0)).all():
            raise RunError("densing SBC needs likelihood weights of 0 or 1")
        rng = np.random.default_rng(seed)
        theta = self.prior_draw(rng, fit=fit)
        mu, f, d = self.likelihood_moments(theta, data)
        s = self.priors.settings
        if fit == "typical":
            data["score"] = mu + np.sqrt(d) * rng.standard_t(float(theta["nu"]), size=mu.shape)
        else:
            noise = smoothed_al_noise(float(s["frontier_quantile"]), float(s.get("al_smoothing", 0.1)), mu.shape, rng)
            data["score"] = mu + np.sqrt(d) * noise
        return {v: float(theta[v]) for v in SCALARS[fit] if v in theta}, data

    def prior_draw(self, rng, n: int | None = None, fit: str = "frontier") -> dict[str, np.ndarray]:
        """One draw of every parameter from the prior of `fit` (curve on the t_ref convention: ceil_frac, k, h), or `n`
        draws with a leading draw axis."""
        P, x = self.priors, self.inputs
        G = len(x["groups"])
        lead = () if n is None else (n,)
        draw = lambda key, size=(): np.asarray(P[key].to_scipy().rvs(size=lead + size or None, random_state=rng), float)  # noqa: E731
        th = {"log_T": draw("log_T"), "tau_r": draw("tau_r")}
        loc = (12.0 * LN2 * np.exp(-th["log_T"]))[..., None]
        th["r"] = rng.normal(loc, np.asarray(th["tau_r"])[..., None], size=lead + (G,))
        if x["use_break"]:
            th["delta_break"] = draw("delta_break")
        for v in ("ceil_frac", "k", "h", "sigma_score", "sigma_rho"):
            th[v] = draw(v, (G,))
        if fit == "typical":
            for v in ("sigma_period", "nu"):
                th[v] = draw(v)
            th["period_effect"] = np.asarray(th["sigma_period"])[..., None] * rng.standard_normal(lead + (x["n_cohorts"],))
        return th

    def likelihood_moments(self, theta, data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Location, density loading and variance (`score_moments`) of every score under parameters `theta` (as from
        `prior_draw`) and pm.Data values `data` (the rows in centred coordinates, as the kernels read them)."""
        x = self.inputs
        g = data["g"]
        shift = theta["r"] * x["t_mid"] - (theta["delta_break"] * x["t_pre_mid"] if x["use_break"] else 0.0)
        rel = data["dlogn"] + theta["r"][g] * data["dt"] - (theta["delta_break"] * data["dtp"] if x["use_break"] else 0.0)
        if "cohort" in data:
            rel = rel + theta["period_effect"][data["cohort"]]
        # the kernels' logistic argument k·rel + h_mid with h_mid = h + k·shift, i.e. k·(ln N + L(t) + c − m)
        m = x["log_n_mid"] - theta["h"] / theta["k"]
        log_n_eff = rel + x["log_n_mid"][g] + shift[g]
        return score_moments(log_n_eff, x["floor"][g], theta["ceil_frac"][g], theta["k"][g], m[g],
                             theta["sigma_rho"][g], theta["sigma_score"][g])

    def likelihood_location_scale(self, theta, data) -> tuple[np.ndarray, np.ndarray]:
        """Location μ and scale √d of every score (see `likelihood_moments`)."""
        mu, _, d = self.likelihood_moments(theta, data)
        return mu, np.sqrt(d)

    def prior_posterior(self, draws: int, seed: int):
        """Prior draws of both fits shaped like the stored posterior: the curve's prior is a Potential on derived
        quantities, which PyMC's prior predictive does not draw, so `prior_draw` does."""
        import xarray as xr
        x = self.inputs
        out = {}
        for j, (fit, suffix) in enumerate((("frontier", ""), ("typical", TYP))):
            th = self.prior_draw(np.random.default_rng([int(seed), 11, j]), draws, fit=fit)
            th["T_months"] = np.exp(th["log_T"])
            th["m"] = x["log_n_mid"][None, :] - th["h"] / th["k"]
            for k, v in th.items():
                dims = ("chain", "draw") + ({"period_effect": ("cohort",)}.get(k, ("group",)) if v.ndim == 2 else ())
                out[k + suffix] = (dims, v[None, ...])
        return xr.Dataset(out)

    # ---- backtesting: scores of open models released after the origin
    # Target: each later open model's score per group, given its size and date. Predictive: the typical fit, a
    # generative model of scores. The frontier fit's quantile working likelihood pins the upper decile line; its
    # skewed shape is not a model of how individual scores scatter, so it is not used as a predictive.
    def backtest_targets(self, full, horizon_years):
        as_of = pd.Timestamp(self.cfg.as_of)
        obs = full.inputs["obs"]
        label = obs["group"].map(dict(enumerate(g["label"] for g in full.inputs["groups"])))
        # a group the cut fit dropped (fewer than 8 models before the origin) has no curve to forecast from
        keep = label.isin([g["label"] for g in self.inputs["groups"]])
        later = (obs["date"] >= as_of) & (obs["date"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years))) & keep
        rows = obs[later]
        return pd.DataFrame({"series": ("densing_score:" + label[later]).to_numpy(), "date": rows["date"].to_numpy(),
                             "t": decimal_year(rows["date"]), "y": rows["score"].to_numpy(float), "discrete": False,
                             "group": label[later].to_numpy(), "log_n": np.log(rows["active_parameters"].to_numpy(float)),
                             "model": rows["model"].to_numpy()})

    def backtest_history(self):
        obs = self.inputs["obs"]
        label = obs["group"].map(dict(enumerate(g["label"] for g in self.inputs["groups"])))
        return pd.DataFrame({"series": ("densing_score:" + label).to_numpy(), "t": decimal_year(obs["date"]),
                             "y": obs["score"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        """Posterior-predictive scores (n_draws × targets) from the typical fit. Each row is one joint draw: one
        posterior draw of every parameter, one effect per release cohort (fitted, or a new draw for a cohort after the
        data, shared by all its targets), then one Student-t draw per score."""
        x = self.inputs
        idx = rng.choice(self.draws("T_months" + TYP).shape[0], size=n_draws)
        th = {v: self.draws(v + TYP)[idx] for v in ("r", "ceil_frac", "k", "m", "sigma_rho", "sigma_score", "sigma_period",
                                                    "nu", "period_effect") + (("delta_break",) if x["use_break"] else ())}
        dates = pd.DatetimeIndex(pd.to_datetime(targets["date"]))
        coh = self.cohorts_of(dates)
        extra = max(int(coh.max()) + 1 - th["period_effect"].shape[1], 0) if len(coh) else 0
        th["period_effect"] = np.concatenate([th["period_effect"], th["sigma_period"][:, None] * rng.standard_normal((n_draws, extra))], axis=1)
        index = {g["label"]: i for i, g in enumerate(x["groups"])}
        mu, _, d = self._moments(th, targets["group"].map(index).to_numpy(int), targets["log_n"].to_numpy(float), dates, coh)
        return mu + np.sqrt(d) * rng.standard_t(th["nu"][:, None], size=mu.shape)

    def _moments(self, th, gi, log_n, dates, coh):
        """`score_moments` (draws × scores) of scores in groups `gi` with ln(active parameters) `log_n`, dates and
        cohorts, under posterior draws `th` (arrays with a leading draw axis)."""
        x = self.inputs
        line = th["r"][:, gi] * years_since(dates, x["t_ref"])[None, :]
        if x["use_break"]:
            line = line - th["delta_break"][:, None] * np.minimum(years_since(dates, x["t_break"]), 0.0)[None, :]
        log_n_eff = log_n[None, :] + line + th["period_effect"][:, coh]
        return score_moments(log_n_eff, x["floor"][gi], *(th[v][:, gi] for v in ("ceil_frac", "k", "m", "sigma_rho", "sigma_score")))
