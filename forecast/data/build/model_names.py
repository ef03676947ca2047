"""Matching model names across tables: normalised names, the size written in a name, and the ObsScaling → Epoch join."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd



# --- ObsScaling -> Epoch all-models name matching ---------------------------------------------------
# ObsScaling ids whose automatic Epoch match is another model (same name, different checkpoint): never matched,
# the ObsScaling model stays unmatched
OBS_REJECT = {
    "stabilityai/stablelm-base-alpha-7b": "Epoch's StableLM-Base-Alpha-7B entry is the v2 model (2023-08-05)",
}

# Explicit aliases (HF id -> Epoch `Model`), used where the automatic normalization below cannot
# match; each is the same checkpoint, not a sibling size or variant.
OBS_ALIASES = {
    "mistralai/Mistral-7B-v0.1": "Mistral 7B",
    "mistralai/Mistral-Nemo-Base-2407": "Mistral NeMo",
    "bigscience/bloom": "BLOOM-176B",
    "bigscience/bloom-7b1": "BLOOM-7.1B",
    "togethercomputer/RedPajama-INCITE-Base-7B-v0.1": "RedPajama-INCITE-7B-Base",
    "cerebras/btlm-3b-8k-base": "BTLM-3B",
    "RWKV/rwkv-4-14b-pile": "RWKV-4 14B",
    "openai-community/gpt2-xl": "GPT-2 (1.5B)",
    # Epoch's "StableLM-Base-Alpha-7B" carries the v2 release date (2023-08-05) and size (6.89B)
    "stabilityai/stablelm-base-alpha-7b-v2": "StableLM-Base-Alpha-7B",
}


_STRIP_SUFFIX = re.compile(r"(-hf|-base|-fp8)$", re.IGNORECASE)


def norm_name(name: str) -> str:
    """Normalize a model name for matching: lower case, org prefix and '-hf'/'-base'/'-fp8' suffixes
    removed, 'meta-llama-' -> 'llama-', 'codellama' -> 'code llama', '_' between digits -> '.',
    then every character other than letters, digits and '.' removed.
    "meta-llama/Llama-2-7b-hf" and "Llama 2-7B" both give "llama27b"."""
    s = str(name).strip().split("/")[-1]
    for _ in range(2):
        s = _STRIP_SUFFIX.sub("", s)
    s = s.lower()
    s = re.sub(r"^meta-llama-", "llama-", s)
    s = re.sub(r"(?<=\d)_(?=\d)", ".", s)
    return re.sub(r"[^a-z0-9.]", "", s)


def _epoch_index(all_models: pd.DataFrame) -> dict[str, list[tuple[str, pd.Timestamp]]]:
    idx: dict[str, list[tuple[str, pd.Timestamp]]] = {}
    for name, date in zip(all_models["Model"], all_models["date"]):
        if pd.isna(date):
            continue
        idx.setdefault(norm_name(name), []).append((str(name).strip(), date))
    return idx


def match_obsscaling(hf_ids: list[str], all_models: pd.DataFrame) -> tuple[dict[str, tuple[str, pd.Timestamp]], dict[str, str]]:
    """Map ObsScaling HF ids to (Epoch model name, publication date). Returns (matched, unmatched reasons)."""
    idx = _epoch_index(all_models)
    by_name = {str(n).strip(): d for n, d in zip(all_models["Model"], all_models["date"]) if pd.notna(d)}
    matched, unmatched = {}, {}
    for hf in hf_ids:
        if hf in OBS_ALIASES:
            target = OBS_ALIASES[hf]
            if target in by_name:
                matched[hf] = (target, by_name[target])
            else:
                unmatched[hf] = f"alias {target!r} not dated in Epoch"
            continue
        if hf in OBS_REJECT:
            unmatched[hf] = OBS_REJECT[hf]
            continue
        cands = idx.get(norm_name(hf), [])
        dates = {d for _, d in cands}
        if len(dates) == 1:
            matched[hf] = cands[0]
        elif len(dates) > 1:
            unmatched[hf] = f"ambiguous: {[c for c, _ in cands]}"
        else:
            unmatched[hf] = "no Epoch model with this normalized name"
    return matched, unmatched


_NAME_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:[._]\d+)?)([bm])(?![a-z])", re.IGNORECASE)


def name_size(name: str) -> float:
    """Parameter count stated in a repo name (first '<number>B' / '<number>M' token), else NaN."""
    m = _NAME_SIZE.search(str(name).split("/")[-1])
    if not m:
        return np.nan
    return float(m.group(1).replace("_", ".")) * (1e9 if m.group(2).lower() == "b" else 1e6)


def size_mismatch(names: pd.Series, params: pd.Series) -> pd.Series:
    ns = names.map(name_size)
    ratio = params / ns
    return ((ratio > 2) | (ratio < 0.5)).fillna(False).astype(bool)
