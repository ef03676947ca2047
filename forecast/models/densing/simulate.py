"""Densing's own simulator for SBC: its likelihood is a weighted quantile (asymmetric Laplace) one, which PyMC's
prior predictive cannot draw from."""
from __future__ import annotations


import numpy as np

from forecast.core.errors import RunError
from forecast.models.densing.curves import score_location_scale, smoothed_al_noise
from forecast.models.densing.curves import LN2, TYP



class DensingSimulation:
    """Mixin of `Densing`: prior draws, simulated data sets and the likelihood's location and scale."""

    # ---- simulation-based calibration
    def sbc_draw(self, model, seed):
        """θ* from the fit's prior and scores from its likelihood, for the graph `model` (frontier or typical τ).

        Prior: for any r and Δ the map (curve_level, curve_head, curve_slope) → (ceil_frac, k, h) is a bijection onto
        (0, 1) × (0, ∞) × ℝ, and the curve_prior Potential is the density of independent ceil_frac, k, h priors times
        its Jacobian, so drawing ceil_frac, k, h from their stated priors is exactly the fit's prior. Likelihood: one
        kink-rounded asymmetric-Laplace draw per score (the Potential's per-row density is normalised up to a constant
        that does not depend on θ). Weights must be 0 or 1: a 0 row drops out, a weight of 2 would be one score
        counted twice, which no data simulation reproduces. Ranked: log_T (frontier doubling time), tau_r (spread of
        group rates) and delta_break (change of the growth rate at ChatGPT), the scalars with a clear meaning."""
        data = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
        if not np.isin(data["weight"], (0.0, 1.0)).all():
            raise RunError("densing SBC needs likelihood weights of 0 or 1")
        rng = np.random.default_rng(seed)
        theta = self.prior_draw(rng)
        mu, scale = self.likelihood_location_scale(theta, data)
        eps = float(self.priors.settings.get("al_smoothing", 0.1))
        data["score"] = mu + scale * smoothed_al_noise(float(data["quantile"]), eps, mu.shape, rng)
        return {v: float(theta[v]) for v in ("log_T", "tau_r", "delta_break") if v in theta}, data

    def prior_draw(self, rng, n: int | None = None) -> dict[str, np.ndarray]:
        """One draw of every parameter from the fit's prior (curve on the t_ref convention: ceil_frac, k, h), or `n`
        draws with a leading draw axis."""
        P, G = self.priors, len(self.inputs["groups"])
        lead = () if n is None else (n,)
        draw = lambda key, size=(): np.asarray(P[key].to_scipy().rvs(size=lead + size or None, random_state=rng), float)  # noqa: E731
        th = {"log_T": draw("log_T"), "tau_r": draw("tau_r")}
        loc = (12.0 * LN2 * np.exp(-th["log_T"]))[..., None]
        th["r"] = rng.normal(loc, np.asarray(th["tau_r"])[..., None], size=lead + (G,))
        if self.inputs["use_break"]:
            th["delta_break"] = draw("delta_break")
        for v in ("ceil_frac", "k", "h", "sigma_score", "sigma_rho"):
            th[v] = draw(v, (G,))
        return th

    def likelihood_location_scale(self, theta, data) -> tuple[np.ndarray, np.ndarray]:
        """Likelihood location and scale of every score under parameters `theta` (as from `prior_draw`) and pm.Data values `data`."""
        g = data["g"]
        line = theta["r"][g] * data["t"]
        if self.inputs["use_break"]:
            line = line - theta["delta_break"] * data["t_pre"]
        m = data["log_n_mid"] - theta["h"] / theta["k"]
        return score_location_scale(data["log_n"] + line, self.inputs["floor"][g], theta["ceil_frac"][g], theta["k"][g], m[g],
                                    theta["sigma_rho"][g], theta["sigma_score"][g])

    def prior_posterior(self, draws: int, seed: int):
        """Prior draws of both fits (frontier and typical) shaped like the merged posterior: the curve's prior is a
        Potential on derived quantities, which PyMC's prior predictive does not draw, so `prior_draw` does."""
        import xarray as xr
        x = self.inputs
        out = {}
        for j, suffix in enumerate(("", TYP)):
            th = self.prior_draw(np.random.default_rng([int(seed), 11, j]), draws)
            th["T_months"] = np.exp(th["log_T"])
            th["m"] = x["log_n_mid"][None, :] - th["h"] / th["k"]
            for k, v in th.items():
                dims = ("chain", "draw") + (("group",) if v.ndim == 2 else ())
                out[k + suffix] = (dims, v[None, ...])
        return xr.Dataset(out)
