"""The model registry (name → class) and building a set of models on validated tables, upstream models included."""
from __future__ import annotations

from pathlib import Path

from forecast.core.config import RunConfig
from forecast.core.errors import RunError
from forecast.data.priors import load_priors
from forecast.data.evidence import apply_to_frames, load_evidence
from forecast.data.tables import load_table
from forecast.models.adoption import Adoption
from forecast.models.base import ForecastModel
from forecast.models.compute_trend import ComputeTrend
from forecast.models.convergence import Convergence
from forecast.models.densing import Densing
from forecast.models.hardware import Hardware
from forecast.models.market import Market
from forecast.models.scaling_law import ScalingLaw

REGISTRY: dict[str, type[ForecastModel]] = {
    cls.name: cls for cls in (ScalingLaw, ComputeTrend, Hardware, Market, Adoption, Convergence, Densing)}


def tables_for(names) -> list[str]:
    return sorted({t for n in names for t in REGISTRY[n].tables})


def build_models(names, cfg: RunConfig, data_dir: Path | None = None, *, evidence: bool = True) -> dict:
    """Instantiate models on validated data (+ all evidence) and priors, without sampling.

    Fails on bad input before any fit."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise RunError(f"unknown model(s) {unknown}; valid: {', '.join(REGISTRY)}")
    names = with_requirements(names)
    frames = {t: load_table(t, data_dir) for t in tables_for(names)}
    if evidence:
        frames = apply_to_frames(frames, load_evidence(data_dir))
    models = {n: REGISTRY[n](frames, load_priors(n, Path(data_dir).parent / "priors" if data_dir else None), cfg) for n in names}
    link_upstream(models)
    return models


def with_requirements(names) -> list[str]:
    """Add the models each requested model requires, ordered so requirements come first (registry order)."""
    need = set(names)
    frontier = list(names)
    while frontier:
        for r in REGISTRY[frontier.pop()].requires:
            if r not in need:
                need.add(r)
                frontier.append(r)
    return [n for n in REGISTRY if n in need]


def link_upstream(models: dict) -> None:
    for m in models.values():
        m.upstream = {r: models[r] for r in m.requires}


class PriorModels:
    """Prior-only copies of fitted models (`ForecastModel.prior_model`), each built on first use and linked to its
    upstream models' prior copies: a claim whose prior probability is already known never builds a graph."""

    def __init__(self, models: dict, draws: int, seed: int):
        self.models, self.draws, self.seed = models, draws, seed
        self._built: dict = {}

    def __contains__(self, name: str) -> bool:
        return name in self.models

    def __getitem__(self, name: str):
        if name not in self._built:
            m = self.models[name]
            up = {r: self[r] for r in m.requires if r in self.models}
            self._built[name] = m.prior_model(self.draws, self.seed, up)
        return self._built[name]


def prior_models(models: dict, draws: int, seed: int) -> PriorModels:
    """Prior-only copies of fitted `models`, built lazily (see `PriorModels`)."""
    return PriorModels(models, draws, seed)
