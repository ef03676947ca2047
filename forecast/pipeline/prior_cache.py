"""Prior-only answers carried over from the previous run when nothing they depend on changed.

A claim's prior-only probability (`evaluation.prior_only`) is a function of the model's code, its priors, the
tables it was built on (their shape decides the graph), the same for every model it reads, the number of prior
draws, and the horizon, seed and milestone definitions. `prior_keys` hashes the first five per model
(through `ForecastModel.config_hash`, with the sampler settings); a run
stores them in its manifest, and the next run in the same reports folder reuses the answers of every model whose
key is unchanged instead of rebuilding its prior copy (`store.finalize`)."""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pandas as pd

from forecast.core.config import RunConfig


# the packages a prior-only answer is computed by (the report, app, pipeline and calibration code only read it)
PRIOR_CODE = ("core", "data", "models", "inference", "evaluation")


@functools.cache
def code_sha256() -> str:
    """sha256 over the Python sources of `PRIOR_CODE` (a change there may change a prior answer)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(f for d in PRIOR_CODE for f in (root / d).rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def prior_keys(models: dict, prior_draws: int) -> dict[str, str]:
    """Per model: sha256 of code, `config_hash` (priors, input tables, sampler settings), upstream keys and prior
    draws (a changed sampler setting recomputes answers that would not change: cheap, and never stale)."""
    keys: dict[str, str] = {}

    def key(name: str, model) -> str:
        if name not in keys:
            h = hashlib.sha256(f"{code_sha256()}:{model.config_hash()}:{int(prior_draws)}".encode())
            for u, um in sorted(model.upstream.items()):
                h.update(f"{u}={key(u, um)}".encode())
            keys[name] = h.hexdigest()
        return keys[name]

    for n, m in models.items():
        key(n, m)
    return {n: keys[n] for n in models}


def same_setting(manifest: dict, cfg: RunConfig, milestones_sha256: str) -> bool:
    """Whether a saved run scored its claims on this run's horizon, seed and milestone file."""
    c = manifest.get("config", {})
    return (c.get("horizon") == cfg.horizon and c.get("seed") == cfg.seed
            and manifest.get("milestones_sha256") == milestones_sha256)


def prior_answers(table: pd.DataFrame | None, models: list[str]) -> dict[str, dict]:
    """A saved milestone table's prior-only answers (id → p_prior, prior_median_date) for claims of `models`."""
    if table is None or "p_prior" not in table.columns:
        return {}
    rows = table[table["model"].isin(models) & table["p_prior"].notna()]
    return {r["id"]: {"p_prior": float(r["p_prior"]),
                      "prior_median_date": None if pd.isna(r["prior_median_date"]) else r["prior_median_date"]}
            for _, r in rows.iterrows()}


def unchanged(manifest: dict, keys: dict[str, str]) -> list[str]:
    """Models whose prior key equals the one a saved run recorded."""
    old = manifest.get("prior_keys") or {}
    return [n for n, k in keys.items() if old.get(n) == k]
