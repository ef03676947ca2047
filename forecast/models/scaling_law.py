"""Chinchilla scaling law L(N, D) = E + A·N^−α + B·D^−β fitted to the digitized training runs.

Parameterized in log space at a reference (N0, D0) so the sampler sees no A–α ridge:
    log L = logsumexp(e, a0 − α·(log N − log N0), b0 − β·(log D − log D0))
with E = exp(e), A = exp(a0 + α·log N0), B = exp(b0 + β·log D0); Student-t residuals on log L.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.models.base import ForecastModel, fixed_data, quantile_row


class ScalingLaw(ForecastModel):
    """Chinchilla-form scaling law fitted to 245 digitized training runs (Hoffmann et al. 2022, Fig. 4), in log space with Student-t residuals; compute-optimal allocation derived per posterior draw."""

    name = "scaling_law"
    title = "Scaling law (Chinchilla L(N, D))"
    backtest_note = ("a cross-sectional fit of loss against parameters and tokens from one study's training runs: "
                     "there is no dated series to hold out, so simulation-based calibration checks its inference")
    tables = ("scaling_runs",)
    # log_E, a0 and b0 trade off inside the logsumexp along a nearly linear ridge: a diagonal mass matrix crosses it
    # in long trajectories (tens of leapfrog steps per draw), a low-rank correction follows it in a few
    nutpie_options = {"low_rank_modified_mass_matrix": True}
    typical_sample_s = 4.0

    # ---- data contract: N, D > 0 and loss > 0 (validated by the scaling_runs schema)
    def prepare(self, frames):
        f = frames["scaling_runs"]
        s = self.priors.settings
        return {
            "logN": np.log(f["params"].to_numpy(float)),
            "logD": np.log(f["tokens"].to_numpy(float)),
            "logL": np.log(f["loss"].to_numpy(float)),
            "logN0": float(np.log(s["N0"])),
            "logD0": float(np.log(s["D0"])),
        }

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        with pm.Model() as model:
            logN = fixed_data("logN", x["logN"])
            logD = fixed_data("logD", x["logD"])
            logL = fixed_data("logL", x["logL"])
            alpha = self.priors.rv("alpha")
            beta = self.priors.rv("beta")
            e = self.priors.rv("log_E")
            a0 = self.priors.rv("a0")
            b0 = self.priors.rv("b0")
            sigma = self.priors.rv("sigma")
            nu = self.priors.rv("nu")
            terms = pt.stack([pt.broadcast_to(e, logN.shape), a0 - alpha * (logN - x["logN0"]), b0 - beta * (logD - x["logD0"])])
            mu = pt.logsumexp(terms, axis=0)
            pm.StudentT("obs", nu=nu, mu=mu, sigma=sigma, observed=logL, shape=logN.shape)
        return model

    @property
    def monitor(self):
        return ["alpha", "beta", "log_E", "a0", "b0", "sigma"]

    # ---- derived quantities (numpy on posterior draws)
    def params(self) -> dict[str, np.ndarray]:
        alpha, beta, e, a0, b0 = (self.draws(v) for v in ("alpha", "beta", "log_E", "a0", "b0"))
        logA = a0 + alpha * self.inputs["logN0"]
        logB = b0 + beta * self.inputs["logD0"]
        return {"alpha": alpha, "beta": beta, "E": np.exp(e), "logA": logA, "logB": logB}

    def compute_optimal(self, compute: float | np.ndarray) -> dict[str, np.ndarray]:
        """Compute-optimal allocation under C = 6ND: N_opt, D_opt, tokens/parameter and loss, per draw."""
        p = self.params()
        al, be = p["alpha"][:, None], p["beta"][:, None]
        logC6 = np.log(np.atleast_1d(np.asarray(compute, float)) / 6.0)[None, :]
        # G = (αA / βB)^(1/(α+β));  N_opt = G·(C/6)^(β/(α+β));  D_opt = (C/6)/N_opt
        logG = (np.log(al) + p["logA"][:, None] - np.log(be) - p["logB"][:, None]) / (al + be)
        logN = logG + be / (al + be) * logC6
        logD = logC6 - logN
        loss = p["E"][:, None] + np.exp(p["logA"][:, None] - al * logN) + np.exp(p["logB"][:, None] - be * logD)
        return {"N_opt": np.exp(logN), "D_opt": np.exp(logD), "tokens_per_param": np.exp(logD - logN), "loss": loss}

    def predict_loss(self, N, D) -> np.ndarray:
        p = self.params()
        logN, logD = np.log(np.asarray(N, float))[None, :], np.log(np.asarray(D, float))[None, :]
        return p["E"][:, None] + np.exp(p["logA"][:, None] - p["alpha"][:, None] * logN) + np.exp(p["logB"][:, None] - p["beta"][:, None] * logD)

    @property
    def data_end(self) -> pd.Timestamp:
        return pd.Timestamp("2022-03-29")  # Hoffmann et al. arXiv v1

    # ---- reporting
    def summary(self):
        p = self.params()
        a_exp = p["beta"] / (p["alpha"] + p["beta"])
        co = self.compute_optimal(np.array([1e24, 1e26]))
        claims = self.priors.settings.get("seed_claims", {})
        return [
            quantile_row("α (parameter exponent)", p["alpha"], claims.get("alpha", "")),
            quantile_row("β (data exponent)", p["beta"], claims.get("beta", "")),
            quantile_row("E (irreducible loss, nats)", p["E"], claims.get("E", "")),
            quantile_row("A", np.exp(p["logA"]), claims.get("A", ""), fmt="{:.0f}"),
            quantile_row("B", np.exp(p["logB"]), claims.get("B", ""), fmt="{:.0f}"),
            quantile_row("a = β/(α+β) (N_opt ∝ C^a)", a_exp, claims.get("a", "")),
            quantile_row("tokens per parameter at 1e24 FLOP", co["tokens_per_param"][:, 0], claims.get("tokens_per_param", ""), fmt="{:.1f}"),
            quantile_row("compute-optimal loss at 1e24 FLOP", co["loss"][:, 0]),
            quantile_row("compute-optimal loss at 1e26 FLOP", co["loss"][:, 1]),
        ]

