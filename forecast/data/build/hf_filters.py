"""Filters of the llmfit Hugging Face model lists, shared by every frame built from them.

The lists mix original releases with re-uploads (quantizations, format conversions, mirrors), test and toy repos,
and repos whose date is the Hub's legacy-migration date. Both frames that read the lists
(``hf_open_llm_architectures`` in `adoption`, ``hf_open_llm_releases`` in `hf_releases`) drop these the same way and
collapse the variants of one release (base / instruct / chat, mirrors under another org) into one row.
"""
from __future__ import annotations

import re
import pandas as pd

from forecast.data.build.base import Input

HF_JSON = "hf_open_llm_architectures/hf_models.json"
HF_LIST_INPUT = Input(HF_JSON, "MIT (repository); values are Hugging Face Hub metadata",
                      "rauletorresc/llmfit data/hf_models.json, commit 6797f309")

# Hub creation date of repos migrated from the legacy model hub; not a release date.
HF_LEGACY_DATE = pd.Timestamp("2022-03-02")

# Accounts that re-upload others' weights (quantizations, format conversions, mirrors) or publish test/toy repos.
REUPLOAD_OR_TEST_PROVIDERS = {
    "lmstudio-community", "cyankiwi", "quanttrio", "redhatai", "casperhansen", "solidrust", "stelterlab", "techxgenus",
    "thesven", "sreenington", "kaitchup", "hugging-quants", "ibnzterrell", "kosbu", "maziyarpanahi", "mratsim", "nvfp4",
    "bullpoint", "nexveridian", "warshanks", "junhowie", "nytopop", "featherless-chat-models", "alpindale", "gensyn",
    "nm-testing", "peft-internal-testing", "optimum-intel-internal-testing", "echarlaix", "tiny-random", "hmellor",
    "llamafactory", "michaelbenayoun", "maxjeblick", "maykeye", "hyper-accel", "arnir0", "erwanf", "simplestories",
    "jackfram", "z-lab", "gratefulasi", "unsloth", "mlx-community", "bartowski", "thebloke",
}
# Name markers of quantized/converted/derived artefacts, test repos and speculative-decoding drafts.
DERIVED_NAME = re.compile(
    r"(?:awq|gptq|fp8|nvfp4|fp4|mlx|gguf|int4|int8|\b\d+bit\b|-\d+bit|w8a8|w4a16|w8a16|quantized|dequantized|"
    r"speculator|eagle3|dflash|tiny-random|tiny-dummy|tiny-mixtral|tiny-dev|unit-test|abliterated|\.w8a8)", re.I)
# Variant suffixes collapsed when deduplicating one release (base / instruct / chat of the same weights family).
VARIANT_TOKENS = re.compile(r"[-_.](instruct|chat|base|it|hf|bf16|thinking|think|sft|dpo|preview)(?=$|[-_.])", re.I)
# `architecture == "unknown"` rows whose family is identifiable from the repo name.
HF_UNKNOWN_OVERRIDES = (
    (re.compile(r"nemotron-h-|nemotron-nano-9b-v2|nemotron-3-nano", re.I), "nemotron_h"),
    (re.compile(r"longcat-flash", re.I), "longcat_flash"),
)


def release_key(name: str) -> str:
    """One release = repo basename without org and without variant tokens (repeatedly stripped)."""
    base = name.split("/", 1)[-1].lower()
    prev = None
    while prev != base:
        prev, base = base, VARIANT_TOKENS.sub("", base)
    return base


def model_type(df: pd.DataFrame) -> pd.Series:
    """HF `model_type` with "unknown" for missing values and the name-based overrides applied."""
    arch = df["architecture"].fillna("unknown").astype(str)
    for rx, val in HF_UNKNOWN_OVERRIDES:
        arch = arch.mask((arch == "unknown") & df["name"].str.contains(rx), val)
    return arch


def column(df: pd.DataFrame, name: str, fill=None) -> pd.Series:
    """A column of the list, or `fill` where the vintage lacks it (the lists gained fields over time)."""
    s = df[name] if name in df.columns else pd.Series(None, index=df.index, dtype=object)
    return s if fill is None else s.fillna(fill)


def reupload_or_test(df: pd.DataFrame) -> pd.Series:
    account = df["name"].str.split("/").str[0].str.lower()
    provider = column(df, "provider", "").astype(str).str.lower()
    return account.isin(REUPLOAD_OR_TEST_PROVIDERS) | provider.isin(REUPLOAD_OR_TEST_PROVIDERS)


def derived_name(df: pd.DataFrame) -> pd.Series:
    return df["name"].str.contains(DERIVED_NAME)


def undated(dates: pd.Series) -> pd.Series:
    """No release date, or the legacy-migration date."""
    return dates.isna() | (dates == HF_LEGACY_DATE)


def apply_drops(df: pd.DataFrame, drops: dict[str, pd.Series], label: str) -> tuple[pd.DataFrame, str]:
    """Drop rows flagged by any mask, in order; the note counts each reason among rows not dropped before."""
    gone = pd.Series(False, index=df.index)
    parts = []
    for reason, mask in drops.items():
        parts.append(f"{reason} {int((mask & ~gone).sum())}")
        gone |= mask
    return df[~gone].copy(), f"{label}: {len(df)} entries; dropped " + ", ".join(parts)


def collapse_releases(df: pd.DataFrame, date_col: str, how: dict[str, str]) -> pd.DataFrame:
    """One row per release (`release_key` of the repo name): the earliest name and date, other columns aggregated
    per `how`: a pandas aggregation ("first" skips missing labels; "max" for context, since instruct configs often
    state a shorter window) or "any_known", an OR over the variants whose label is known (None where none is: the
    release then leaves the frame of a rule that needs the label)."""
    d = df.assign(key=df["name"].map(release_key)).sort_values([date_col, "name"])
    g = d.groupby("key", sort=False)
    out = pd.DataFrame({"name": g["name"].first(), date_col: g[date_col].min()})
    for col, fn in how.items():
        if fn == "any_known":
            known = d[col].map({True: 1.0, False: 0.0}).groupby(d["key"], sort=False).max()
            out[col] = known.map({1.0: True, 0.0: False}).astype(object).where(known.notna(), None)
        else:
            out[col] = g[col].agg(fn)
    return out.reset_index()
