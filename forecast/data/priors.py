"""Priors as data: load `priors/<model>.yaml`, validate, and turn entries into PyMC distributions.

Entry format::

    parameters:
      alpha:
        distribution: TruncatedNormal
        params: {mu: 0.34, sigma: 0.1, lower: 0.0}
        source: "001_d716eb9f4f544e2f.txt «…»; Hoffmann et al. 2022"
        rationale: "why this centre and width"
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping


from forecast.core import config
from forecast.core.errors import PriorSpecError
from forecast.core.io import read_yaml_file, sha256_file

# distribution -> (required params, optional params, positivity constraints)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Normal": (("mu", "sigma"), (), ("sigma",)),
    "HalfNormal": (("sigma",), (), ("sigma",)),
    "LogNormal": (("mu", "sigma"), (), ("sigma",)),
    "StudentT": (("nu", "mu", "sigma"), (), ("nu", "sigma")),
    "HalfStudentT": (("nu", "sigma"), (), ("nu", "sigma")),
    "TruncatedNormal": (("mu", "sigma"), ("lower", "upper"), ("sigma",)),
    "Beta": (("alpha", "beta"), (), ("alpha", "beta")),
    "Gamma": (("alpha", "beta"), (), ("alpha", "beta")),
    "Exponential": (("lam",), (), ("lam",)),
    "Uniform": (("lower", "upper"), (), ()),
    "Exponential1p": (("lam",), (), ("lam",)),  # 1 + Exponential(lam): Student-t degrees of freedom > 1
}


@dataclasses.dataclass(frozen=True)
class PriorSpec:
    name: str
    distribution: str
    params: Mapping[str, float]
    source: str
    rationale: str

    def mean(self) -> float:
        """Prior mean (used for reporting prior vs posterior)."""
        p, d = self.params, self.distribution
        if d in ("Normal", "StudentT"):
            return p["mu"]
        if d == "HalfNormal":
            return p["sigma"] * math.sqrt(2 / math.pi)
        if d == "LogNormal":
            return math.exp(p["mu"] + p["sigma"] ** 2 / 2)
        if d == "Beta":
            return p["alpha"] / (p["alpha"] + p["beta"])
        if d == "Gamma":
            return p["alpha"] / p["beta"]
        if d == "Exponential":
            return 1 / p["lam"]
        if d == "Exponential1p":
            return 1 + 1 / p["lam"]
        if d == "Uniform":
            return (p["lower"] + p["upper"]) / 2
        if d == "TruncatedNormal":
            from scipy import stats
            lo, hi = p.get("lower", -math.inf), p.get("upper", math.inf)
            a, b = (lo - p["mu"]) / p["sigma"], (hi - p["mu"]) / p["sigma"]
            return float(stats.truncnorm.mean(a, b, loc=p["mu"], scale=p["sigma"]))
        if d == "HalfStudentT":
            return float("nan")
        raise AssertionError(d)

    def to_pymc(self, name: str | None = None, **kwargs):
        """Create the PyMC random variable inside the current model context."""
        import pymc as pm
        name = name or self.name
        p = dict(self.params)
        if self.distribution == "Exponential1p":
            return 1.0 + pm.Exponential(f"{name}_minus1", lam=p["lam"], **kwargs)
        return getattr(pm, self.distribution)(name, **p, **kwargs)

    def to_scipy(self):
        """Frozen scipy distribution (prior draws without PyMC, used in SBC and plots)."""
        from scipy import stats
        p, d = self.params, self.distribution
        if d == "Normal":
            return stats.norm(p["mu"], p["sigma"])
        if d == "HalfNormal":
            return stats.halfnorm(scale=p["sigma"])
        if d == "LogNormal":
            return stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"]))
        if d == "StudentT":
            return stats.t(p["nu"], p["mu"], p["sigma"])
        if d == "HalfStudentT":
            return stats.halfcauchy(scale=p["sigma"]) if p["nu"] == 1 else _HalfT(p["nu"], p["sigma"])
        if d == "TruncatedNormal":
            lo, hi = p.get("lower", -math.inf), p.get("upper", math.inf)
            return stats.truncnorm((lo - p["mu"]) / p["sigma"], (hi - p["mu"]) / p["sigma"], loc=p["mu"], scale=p["sigma"])
        if d == "Beta":
            return stats.beta(p["alpha"], p["beta"])
        if d == "Gamma":
            return stats.gamma(p["alpha"], scale=1 / p["beta"])
        if d == "Exponential":
            return stats.expon(scale=1 / p["lam"])
        if d == "Exponential1p":
            return stats.expon(loc=1.0, scale=1 / p["lam"])
        if d == "Uniform":
            return stats.uniform(p["lower"], p["upper"] - p["lower"])
        raise AssertionError(d)


class _HalfT:
    def __init__(self, nu, sigma):
        from scipy import stats
        self._t = stats.t(nu, 0, sigma)

    def rvs(self, size=None, random_state=None):
        import numpy as np
        return np.abs(self._t.rvs(size=size, random_state=random_state))

    def ppf(self, q):
        return self._t.ppf(0.5 + q / 2)


def validate_entry(name: str, entry: Any, file: str) -> PriorSpec:
    """Validate one YAML prior entry; raise PriorSpecError naming file and key."""
    if not isinstance(entry, Mapping):
        raise PriorSpecError("entry must be a mapping with distribution, params, source, rationale", file=file, key=name)
    dist = entry.get("distribution")
    if dist not in DISTRIBUTIONS:
        raise PriorSpecError(f"unknown distribution {dist!r}; valid: {', '.join(DISTRIBUTIONS)}", file=file, key=name)
    required, optional, positive = DISTRIBUTIONS[dist]
    params = entry.get("params")
    if not isinstance(params, Mapping):
        raise PriorSpecError(f"'params' must be a mapping with {', '.join(required)}", file=file, key=name)
    missing = [k for k in required if k not in params]
    unknown = [k for k in params if k not in required + optional]
    if missing:
        raise PriorSpecError(f"{dist} needs parameter(s) {', '.join(missing)}", file=file, key=f"{name}.params")
    if unknown:
        raise PriorSpecError(f"{dist} has no parameter(s) {', '.join(unknown)}; valid: {', '.join(required + optional)}",
                             file=file, key=f"{name}.params")
    clean = {}
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise PriorSpecError(f"parameter {k} must be a finite number, got {v!r}", file=file, key=f"{name}.params.{k}")
        if k in positive and v <= 0:
            raise PriorSpecError(f"parameter {k} must be > 0, got {v}", file=file, key=f"{name}.params.{k}")
        clean[k] = float(v)
    lo, hi = clean.get("lower"), clean.get("upper")
    if lo is not None and hi is not None and lo >= hi:
        raise PriorSpecError(f"lower ({lo}) must be below upper ({hi})", file=file, key=f"{name}.params")
    for field in ("source", "rationale"):
        val = entry.get(field)
        if not isinstance(val, str) or not val.strip():
            raise PriorSpecError(f"missing '{field}:' (every prior cites where it comes from and why)", file=file, key=name)
    extra = set(entry) - {"distribution", "params", "source", "rationale"}
    if extra:
        raise PriorSpecError(f"unknown field(s) {sorted(extra)}", file=file, key=name)
    return PriorSpec(name, dist, clean, entry["source"].strip(), entry["rationale"].strip())


@dataclasses.dataclass(frozen=True)
class PriorSet:
    """All priors of one model plus free-form settings (`settings:` block) and the file hash."""

    model: str
    file: str
    sha256: str
    parameters: Mapping[str, PriorSpec]
    settings: Mapping[str, Any]

    def __getitem__(self, key: str) -> PriorSpec:
        try:
            return self.parameters[key]
        except KeyError:
            raise PriorSpecError(f"prior {key!r} not defined; defined: {', '.join(self.parameters)}", file=self.file, key=key) from None

    def rv(self, key: str, name: str | None = None, **kwargs):
        return self[key].to_pymc(name, **kwargs)


def load_priors(model: str, priors_dir: Path | None = None, required: tuple[str, ...] = ()) -> PriorSet:
    """Load and validate `priors/<model>.yaml`."""
    path = Path(priors_dir or config.priors_dir()) / f"{model}.yaml"
    file = str(path)
    doc = read_yaml_file(path, PriorSpecError, "prior file")
    if not isinstance(doc, Mapping) or not isinstance(doc.get("parameters"), Mapping):
        raise PriorSpecError("top level must be a mapping with a 'parameters:' mapping", file=file)
    specs = {name: validate_entry(name, entry, file) for name, entry in doc["parameters"].items()}
    missing = [k for k in required if k not in specs]
    if missing:
        raise PriorSpecError(f"required prior(s) missing: {', '.join(missing)}", file=file, key=missing[0])
    settings = doc.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise PriorSpecError("'settings' must be a mapping", file=file, key="settings")
    return PriorSet(model, file, sha256_file(path), specs, dict(settings))
