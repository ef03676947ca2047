"""Convergence diagnostics computed for every fit, kept apart from the models (Prophet-style)."""
from __future__ import annotations

import dataclasses

import numpy as np

from forecast.core.config import GateThresholds


@dataclasses.dataclass
class Diagnostics:
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    n_draws: int
    n_chains: int
    worst: dict  # parameter name -> {"rhat", "ess_bulk", "ess_tail"} for the worst few
    passed: bool
    failures: list[str]
    monitored: list[str] = dataclasses.field(default_factory=list)  # the variables these statistics cover

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Diagnostics":
        return cls(**d)

    @property
    def status(self) -> str:
        return "pass" if self.passed else "FAIL"


def compute(idata, var_names: list[str], gate: GateThresholds) -> Diagnostics:
    """R-hat (rank-normalized), bulk/tail ESS over `var_names`, and divergence count; apply the gate."""
    import arviz as az

    post = idata.posterior[var_names]
    rhat = az.rhat(post)
    ess_b = az.ess(post, method="bulk")
    ess_t = az.ess(post, method="tail")
    rows = {}
    for v in var_names:
        r, b, t = (np.asarray(x[v]).ravel() for x in (rhat, ess_b, ess_t))
        for i in range(r.size):
            key = v if r.size == 1 else f"{v}[{i}]"
            rows[key] = {"rhat": float(r[i]), "ess_bulk": float(b[i]), "ess_tail": float(t[i])}
    max_rhat = max((x["rhat"] for x in rows.values()), default=float("nan"))
    min_b = min((x["ess_bulk"] for x in rows.values()), default=float("nan"))
    min_t = min((x["ess_tail"] for x in rows.values()), default=float("nan"))
    div = int(np.asarray(idata.sample_stats["diverging"]).sum()) if "diverging" in idata.sample_stats else 0
    failures = gate_failures(max_rhat, min(min_b, min_t), div, gate)
    worst_keys = sorted(rows, key=lambda k: (-rows[k]["rhat"], min(rows[k]["ess_bulk"], rows[k]["ess_tail"])))[:5]
    return Diagnostics(
        max_rhat=max_rhat, min_ess_bulk=min_b, min_ess_tail=min_t, divergences=div,
        n_draws=int(post.sizes["draw"]), n_chains=int(post.sizes["chain"]),
        worst={k: rows[k] for k in worst_keys}, passed=not failures, failures=failures, monitored=list(var_names),
    )


def gate_failures(max_rhat: float, min_ess: float, divergences: int, gate: GateThresholds) -> list[str]:
    """Human-readable reasons a fit fails the gate (empty when it passes; NaN never passes)."""
    failures = []
    if not (max_rhat <= gate.max_rhat):
        failures.append(f"max R-hat {max_rhat:.3f} > {gate.max_rhat}")
    if not (min_ess >= gate.min_ess):
        failures.append(f"min ESS {min_ess:.0f} < {gate.min_ess:.0f}")
    if divergences > gate.max_divergences:
        failures.append(f"{divergences} divergent transitions")
    return failures


def combine(a: Diagnostics, b: Diagnostics, gate: GateThresholds, suffix_b: str = "") -> Diagnostics:
    """Two fits reported as one: worst R-hat and ESS, divergences summed, the gate applied again."""
    worst = dict(a.worst) | {k + suffix_b: v for k, v in b.worst.items()}
    max_rhat, ess_b = max(a.max_rhat, b.max_rhat), min(a.min_ess_bulk, b.min_ess_bulk)
    ess_t, div = min(a.min_ess_tail, b.min_ess_tail), a.divergences + b.divergences
    failures = gate_failures(max_rhat, min(ess_b, ess_t), div, gate)
    return Diagnostics(max_rhat, ess_b, ess_t, div, a.n_draws, a.n_chains, worst, not failures, failures,
                       a.monitored + [v + suffix_b for v in b.monitored])
