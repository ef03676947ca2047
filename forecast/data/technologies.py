"""The technology registry (priors/technologies.yaml) and the level bands (priors/levels.yaml).

Both files are validated on load; a problem raises PriorSpecError naming the file and the key
(e.g. ``technologies[3].layer``). The numpy helpers at the bottom map a convergence degree C to a
level index with the bands' (lower, upper] convention (L0 also includes C = 0).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from forecast.core import config
from forecast.core.errors import PriorSpecError
from forecast.core.io import read_yaml_file, sha256_file

COMPONENTS = ("standardization", "controversy", "maturity")  # the non-adoption terms of C
LEVEL_IDS = ("L0", "L1", "L2", "L3", "L4")


@dataclasses.dataclass(frozen=True)
class Technology:
    id: str
    name: str
    layer: str
    seed_level: str | None
    prior_level: str | None
    seed_convergence: float | None
    seed_values: Mapping[str, float | None]
    source: str
    ceiling_group: str  # adoption ceilings are pooled within a group (registry `ceiling_groups`)
    reference_series: str  # the sampling frame the technology's forecast share is defined on
    adoption_measure: str  # operational definition of its adoption series (or why there is none)
    variant_measure: str  # operational definition of its variant distribution (or why there is none)


@dataclasses.dataclass(frozen=True)
class Registry:
    file: str
    sha256: str
    layers: tuple[str, ...]
    technologies: Mapping[str, Technology]
    ceiling_groups: tuple[str, ...] = ("standard", "option")

    @property
    def ids(self) -> list[str]:
        return list(self.technologies)

    def __getitem__(self, tech: str) -> Technology:
        try:
            return self.technologies[tech]
        except KeyError:
            raise KeyError(f"technology {tech!r} is not in the registry {self.file}; known: {', '.join(self.technologies)}") from None

    def __contains__(self, tech: str) -> bool:
        return tech in self.technologies


@dataclasses.dataclass(frozen=True)
class Levels:
    file: str
    sha256: str
    ids: tuple[str, ...]
    lower: np.ndarray  # band lower bounds, ascending; C is in band j iff lower[j] < C <= upper[j] (L0 closed at 0)
    upper: np.ndarray
    seed_convergence: Mapping[str, float | None]
    formulas: Mapping[str, Mapping[str, float]]  # formula id → weights {adoption, standardization, controversy[, maturity]}
    formula_sources: Mapping[str, str]

    def index(self, level: str) -> int:
        if level not in self.ids:
            raise KeyError(f"unknown level {level!r}; valid: {', '.join(self.ids)}")
        return self.ids.index(level)


def _path(name: str, priors_dir: str | Path | None) -> Path:
    return Path(priors_dir or config.priors_dir()) / name


def _need(rec: Mapping, key: str, file: str, where: str):
    if key not in rec or rec[key] is None or (isinstance(rec[key], str) and not rec[key].strip()):
        raise PriorSpecError(f"missing '{key}'", file=file, key=f"{where}.{key}")
    return rec[key]


def parse_technologies(doc: Any, file: str, sha: str = "") -> Registry:
    """Validate a parsed technologies.yaml document."""
    if not isinstance(doc, Mapping):
        raise PriorSpecError("top level must be a mapping with 'layers' and 'technologies'", file=file)
    layers = doc.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(x, str) for x in layers):
        raise PriorSpecError("'layers' must be a non-empty list of layer names", file=file, key="layers")
    groups = doc.get("ceiling_groups")
    if not isinstance(groups, Mapping) or not groups:
        raise PriorSpecError("'ceiling_groups' must be a mapping of group name → description", file=file, key="ceiling_groups")
    groups = list(groups)
    techs = doc.get("technologies")
    if not isinstance(techs, list) or not techs:
        raise PriorSpecError("'technologies' must be a non-empty list", file=file, key="technologies")
    out: dict[str, Technology] = {}
    for i, rec in enumerate(techs):
        where = f"technologies[{i}]"
        if not isinstance(rec, Mapping):
            raise PriorSpecError("each technology must be a mapping", file=file, key=where)
        tid = _need(rec, "id", file, where)
        if not isinstance(tid, str):
            raise PriorSpecError("'id' must be a string", file=file, key=f"{where}.id")
        where = f"technologies[{i}] ({tid})"
        if tid in out:
            raise PriorSpecError(f"duplicate technology id {tid!r}", file=file, key=f"{where}.id")
        layer = _need(rec, "layer", file, where)
        if layer not in layers:
            raise PriorSpecError(f"unknown layer {layer!r}; valid: {', '.join(layers)}", file=file, key=f"{where}.layer")
        source = _need(rec, "source", file, where)
        seed_level, prior_level = rec.get("seed_level"), rec.get("prior_level")
        for k, v in (("seed_level", seed_level), ("prior_level", prior_level)):
            if v is not None and v not in LEVEL_IDS:
                raise PriorSpecError(f"{k} must be one of {', '.join(LEVEL_IDS)} or null, got {v!r}", file=file, key=f"{where}.{k}")
        if seed_level is None and prior_level is None:
            raise PriorSpecError("needs seed_level or prior_level", file=file, key=f"{where}.seed_level")
        sc = rec.get("seed_convergence")
        if sc is not None and (isinstance(sc, bool) or not isinstance(sc, (int, float)) or not 0 <= sc <= 1):
            raise PriorSpecError(f"seed_convergence must be a number in [0, 1] or null, got {sc!r}", file=file, key=f"{where}.seed_convergence")
        sv = rec.get("seed_values") or {}
        if not isinstance(sv, Mapping):
            raise PriorSpecError("seed_values must be a mapping", file=file, key=f"{where}.seed_values")
        for k, v in sv.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1):
                raise PriorSpecError(f"seed value must be a fraction in [0, 1] or null, got {v!r}", file=file, key=f"{where}.seed_values.{k}")
        group = _need(rec, "ceiling_group", file, where)
        if group not in groups:
            raise PriorSpecError(f"unknown ceiling_group {group!r}; valid: {', '.join(groups)}", file=file, key=f"{where}.ceiling_group")
        ref = _need(rec, "reference_series", file, where)
        out[tid] = Technology(
            id=tid, name=str(rec.get("name") or tid), layer=layer, seed_level=seed_level, prior_level=prior_level,
            seed_convergence=None if sc is None else float(sc), seed_values=dict(sv), source=str(source).strip(),
            ceiling_group=group, reference_series=str(ref), adoption_measure=str(rec.get("adoption_measure") or "").strip(),
            variant_measure=str(rec.get("variant_measure") or "").strip())
    return Registry(file, sha, tuple(layers), out, tuple(groups))


def load_technologies(priors_dir: str | Path | None = None) -> Registry:
    """Load and validate priors/technologies.yaml (raises PriorSpecError naming file and key)."""
    path = _path("technologies.yaml", priors_dir)
    return parse_technologies(read_yaml_file(path, PriorSpecError, "technology registry"), str(path), sha256_file(path))


def parse_levels(doc: Any, file: str, sha: str = "") -> Levels:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("levels"), list):
        raise PriorSpecError("top level needs a 'levels:' list", file=file)
    rows = []
    for i, lv in enumerate(doc["levels"]):
        where = f"levels[{i}]"
        if not isinstance(lv, Mapping):
            raise PriorSpecError("each level must be a mapping", file=file, key=where)
        lid = _need(lv, "id", file, where)
        for k in ("lower", "upper"):
            v = _need(lv, k, file, f"{where} ({lid})") if k != "lower" else lv.get(k)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise PriorSpecError(f"'{k}' must be a number", file=file, key=f"{where}.{k}")
        rows.append((lid, float(lv["lower"]), float(lv["upper"]), lv.get("seed_convergence")))
    rows.sort(key=lambda r: r[1])
    ids = tuple(r[0] for r in rows)
    if ids != LEVEL_IDS:
        raise PriorSpecError(f"levels must be {', '.join(LEVEL_IDS)} in ascending order of C, got {', '.join(ids)}", file=file, key="levels")
    if rows[0][1] != 0.0 or rows[-1][2] != 1.0:
        raise PriorSpecError("bands must cover [0, 1]", file=file, key="levels")
    for a, b in zip(rows, rows[1:]):
        if a[2] != b[1]:
            raise PriorSpecError(f"gap or overlap between {a[0]} and {b[0]}", file=file, key=f"levels.{b[0]}.lower")
    formulas, fsources = {}, {}
    for i, f in enumerate(doc.get("formula") or []):
        fid = _need(f, "id", file, f"formula[{i}]")
        w = _need(f, "weights", file, f"formula[{i}] ({fid})")
        if not isinstance(w, Mapping) or not {"adoption", "standardization", "controversy"} <= set(w):
            raise PriorSpecError("weights need adoption, standardization, controversy (and optionally maturity)", file=file, key=f"formula.{fid}.weights")
        bad = set(w) - {"adoption", "standardization", "controversy", "maturity"}
        if bad:
            raise PriorSpecError(f"unknown weight(s) {sorted(bad)}", file=file, key=f"formula.{fid}.weights")
        total = sum(float(x) for x in w.values())
        if abs(total - 1.0) > 1e-9:
            raise PriorSpecError(f"weights must sum to 1, got {total:g}", file=file, key=f"formula.{fid}.weights")
        formulas[fid] = {k: float(v) for k, v in w.items()}
        fsources[fid] = str(f.get("source", ""))
    if not formulas:
        raise PriorSpecError("needs a 'formula:' list with weights", file=file, key="formula")
    return Levels(file, sha, ids, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                  {r[0]: r[3] for r in rows}, formulas, fsources)


def load_levels(priors_dir: str | Path | None = None) -> Levels:
    """Load and validate priors/levels.yaml: the level bands on C and the formula weights."""
    path = _path("levels.yaml", priors_dir)
    return parse_levels(read_yaml_file(path, PriorSpecError, "levels file"), str(path), sha256_file(path))


# ---------------------------------------------------------------- numpy kernels

def level_index(c, lower) -> np.ndarray:
    """Level index of convergence degree(s) c under bands (lower, upper]: the number of band lower bounds
    (above the first) that c strictly exceeds. C = 0.60 → L1 (0.60 is L2's excluded lower bound)."""
    c = np.asarray(c, dtype=float)
    lw = np.asarray(lower, dtype=float)[1:]
    # side="left": the number of bounds strictly below c (a search, not a draws × dates × bands comparison)
    return np.where(np.isnan(c), 0, np.searchsorted(lw, c, side="left"))


def convergence_degree(weights: Mapping[str, float], adoption, standardization, controversy, maturity=None) -> np.ndarray:
    """C = w_A·A + w_S·S + w_K·(1 − K) [+ w_M·M] (003_3410920be6d6df1f.txt «三、核心形式化理论 › 3.1 收敛进行时的形式化定义» / «四、代表技术 › 3.1 MoE vs Dense»)."""
    c = (weights["adoption"] * np.asarray(adoption, dtype=float) + weights["standardization"] * np.asarray(standardization, dtype=float)
         + weights["controversy"] * (1.0 - np.asarray(controversy, dtype=float)))
    if weights.get("maturity"):
        if maturity is None:
            raise ValueError("the four-term formula needs maturity")
        c = c + weights["maturity"] * np.asarray(maturity, dtype=float)
    return c
