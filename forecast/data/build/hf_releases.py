"""Frame ``hf_open_llm_releases``: open-weight LLM releases in the llmfit Hugging Face lists, their features, and
the adoption and variant rules read from them.

Frame: the 2026-03 list (hf_open_llm_architectures/hf_models.json) plus the rows of the 2026-05 vintage whose
name is not in it; the 2026-05 fields (attention and KV heads, vocabulary size, capabilities, expert count, and the
model type where the 2026-03 list says unknown) are joined on `name`. Date: the 2026-03 `release_date`, else the
2026-05 one. Dates must lie in 2022-03-03 .. 2026-05-12: Hub dates start after the 2022-03-02 legacy migration,
and nothing can be dated after the newer vintage was fetched.

Filters, in order: re-upload, quantization, mirror and test accounts and derived-artefact names (the same lists as
the hf_open_llm_architectures frame, forecast/data/build/hf_filters.py); non-generative types and tags (BERT-style
encoders, embedding and CLIP-like models, audio codecs; pipeline tags feature-extraction, sentence-similarity,
automatic-speech-recognition, audio-to-audio; a use_case about embeddings); toy models under 10M parameters; no
date or the 2022-03-02 legacy-migration date. Unlike hf_open_llm_architectures, encoder-decoder LMs (t5, bart, ...)
are kept: they are the non-adopters of decoder_only. One row per release (repo basename without org and variant
tokens; earliest date; features OR-ed over its variants). A release whose label a rule needs is unknown leaves that
rule's frame only.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast.core.errors import DataValidationError
from forecast.data.build.base import Input
from forecast.data.build.hf_filters import HF_JSON, HF_LIST_INPUT, apply_drops, collapse_releases, column, derived_name, \
    model_type, reupload_or_test, undated
from forecast.data.build.hf_model_types import CONTEXT_BUCKETS, ENCODER_DECODER_TYPES, HF_SSM_HYBRID_TYPES, NON_GENERATIVE_TYPES, \
    PURE_RECURRENT_TYPES, SSM_MIXER, VLM_TYPE_PATTERN, VLM_TYPES, attention_variant, is_moe, name_family
from forecast.data.build.periods import Rule, bucket, check_dates_in_frame, count_rows, doc_rules, file_stamp, variant_rows, \
    with_rows

HF05_JSON = "hf_open_llm_architectures_2026-05/hf_models.json"
SERIES = "hf_open_llm_releases"
SOURCE = "hf_open_llm_architectures/hf_models.json (2026-03) + hf_open_llm_architectures_2026-05/hf_models.json joined on name"
INPUTS = (HF_LIST_INPUT,
          Input(HF05_JSON, "MIT (repository); values are Hugging Face Hub metadata",
                "AlexsJones/llmfit llmfit-core/data/hf_models.json, commit 5bdc9df9 (2026-05-12)"))

EDGE_MAX_PARAMS = 4e9
TOY_MIN_PARAMS = 1e7
NON_GENERATIVE_TAGS = {"feature-extraction", "sentence-similarity", "automatic-speech-recognition", "audio-to-audio"}
MULTIMODAL_TAGS = {"image-text-to-text", "image-to-text", "any-to-any", "video-text-to-text"}
CODE_NAME = re.compile(r"coder|code|codestral|starcoder|devstral|codegen", re.I)
REASONING_NAME = re.compile(r"(?:^|[-_.])(?:r1|qwq|reasoning|reasoner|thinking|think|magistral)(?=$|[-_.])", re.I)
JOINED_FIELDS = ["num_attention_heads", "num_key_value_heads", "vocab_size", "capabilities", "num_experts"]
FLAGS = ["attention", "decoder_only", "code_specialization", "reasoning", "edge_inference", "multimodal_fusion", "moe",
         "ssm_hybrid"]

EXPERT_BUCKETS = [(9, "<=8"), (65, "9-64"), (129, "65-128"), (float("inf"), ">128")]
VOCAB_BUCKETS = [(50_000, "<50K"), (100_000, "50K-<100K"), (200_000, "100K-<200K"), (float("inf"), ">=200K")]


def read(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = []
    for file in (HF_JSON, HF05_JSON):
        df = pd.DataFrame(json.loads((shared / file).read_text()))
        missing = [c for c in ("name", "release_date", "architecture") if c not in df.columns]
        if missing:
            raise DataValidationError(f"the model list has no {missing[0]!r} field", file=file, column=missing[0])
        out.append(df)
    return out[0], out[1]


def joined(hf03: pd.DataFrame, hf05: pd.DataFrame) -> pd.DataFrame:
    """2026-03 rows with the 2026-05 fields joined on name, then the 2026-05-only rows; one `date` column.
    `_file`/`_row` point at the record the date came from."""
    hf03 = with_rows(hf03, HF_JSON, header=False)
    hf05 = with_rows(hf05, HF05_JSON, header=False)
    h05 = hf05.reindex(columns=["name", "release_date", "architecture", "_row"] + JOINED_FIELDS).drop_duplicates("name")
    h05 = h05.rename(columns={"release_date": "date05", "num_experts": "experts05", "architecture": "arch05",
                              "_row": "row05"})
    base = hf03.drop(columns=[c for c in JOINED_FIELDS if c != "num_experts" and c in hf03.columns])
    base = base.merge(h05, on="name", how="left")
    df = pd.concat([base, hf05[~hf05["name"].isin(hf03["name"])]], ignore_index=True)
    date03 = pd.to_datetime(column(df, "release_date"), errors="coerce")
    date05 = pd.to_datetime(column(df, "date05"), errors="coerce")
    from05 = date03.isna() & date05.notna()
    df["date"] = date03.fillna(date05)
    df.loc[from05, "_file"] = HF05_JSON
    df.loc[from05, "_row"] = df.loc[from05, "row05"]
    unknown = df["architecture"].isna() | (df["architecture"] == "unknown")
    df.loc[unknown, "architecture"] = column(df, "arch05")[unknown]
    df["num_experts"] = pd.to_numeric(column(df, "num_experts"), errors="coerce").fillna(
        pd.to_numeric(column(df, "experts05"), errors="coerce"))
    return df


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Per list entry, the features the rules read; None where the label a rule needs is unknown."""
    arch = model_type(df)
    known = arch != "unknown"
    name = df["name"].str.split("/", n=1).str[-1]
    use = column(df, "use_case", "").astype(str)
    tag = column(df, "pipeline_tag", "").astype(str)
    vision = column(df, "capabilities").map(lambda c: "vision" in c if isinstance(c, (list, tuple)) else False)
    params = pd.to_numeric(column(df, "parameters_raw"), errors="coerce")
    heads = pd.to_numeric(column(df, "num_attention_heads"), errors="coerce")
    kv = pd.to_numeric(column(df, "num_key_value_heads"), errors="coerce")
    return pd.DataFrame({
        "name": df["name"], "date": df["date"], "arch": arch,
        "attention": (~arch.isin(PURE_RECURRENT_TYPES)).where(known),
        "decoder_only": (~arch.isin(ENCODER_DECODER_TYPES)).where(known),
        "code_specialization": use.eq("Code generation and completion") | name.str.contains(CODE_NAME),
        "reasoning": use.str.contains("reasoning", case=False) | name.str.contains(REASONING_NAME),
        "edge_inference": (params <= EDGE_MAX_PARAMS).where(params.notna()),
        "multimodal_fusion": (tag.isin(MULTIMODAL_TAGS) | vision | use.str.contains("multimodal|vision", case=False)
                              | arch.isin(VLM_TYPES) | arch.str.contains(VLM_TYPE_PATTERN)),
        "moe": is_moe(df, arch), "ssm_hybrid": arch.isin(HF_SSM_HYBRID_TYPES),
        "ctx": pd.to_numeric(column(df, "context_length"), errors="coerce"),
        "attention_variant": [attention_variant(a, h, k) for a, h, k in zip(arch, heads, kv)],
        "experts": df["num_experts"], "vocab": pd.to_numeric(column(df, "vocab_size"), errors="coerce"),
        "params": params,
    }, index=df.index)


def releases(hf03: pd.DataFrame, hf05: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per release with its feature columns (None = label unknown), and notes on what the filters dropped."""
    df = joined(hf03, hf05)
    arch = model_type(df)
    params = pd.to_numeric(column(df, "parameters_raw"), errors="coerce")
    kept, note = apply_drops(df, {
        "re-upload/test accounts": reupload_or_test(df),
        "derived/quantized/test names": derived_name(df),
        "non-generative types/tags": (arch.isin(NON_GENERATIVE_TYPES) | column(df, "pipeline_tag").isin(NON_GENERATIVE_TAGS)
                                      | column(df, "use_case", "").astype(str).str.contains("embedding", case=False)),
        "toy models (<10M parameters)": params < TOY_MIN_PARAMS,
        "no or legacy-migration date": undated(df["date"]),
    }, f"{SERIES} (joined lists)")
    check_dates_in_frame(kept, SERIES, "release_date")
    how = {"arch": "first", "ctx": "max", "attention_variant": "first", "experts": "max", "vocab": "first",
           "params": "max", **{f: "any_known" for f in FLAGS}}
    rel = collapse_releases(features(kept), "date", how)
    return rel, [note, f"{SERIES}: {len(kept)} entries kept, {len(rel)} releases after collapsing variants"]


# technology -> (feature flag, input column the flag is read from)
COUNT_RULES = {
    "transformer": ("attention", "architecture"),
    "attention": ("attention", "architecture"),
    "decoder_only": ("decoder_only", "architecture"),
    "code_specialization": ("code_specialization", "use_case"),
    "reasoning": ("reasoning", "use_case"),
    "edge_inference": ("edge_inference", "parameters_raw"),
    "multimodal_fusion": ("multimodal_fusion", "pipeline_tag"),
}


def rule(technology: str, column_name: str, file: str = HF_JSON) -> Rule:
    return Rule(f"{SERIES}:{technology}", technology, SERIES, file, column_name, "release_date", SOURCE)


def count_rows_hf(rel: pd.DataFrame, technology: str) -> pd.DataFrame:
    """Adoption counts (kind=count, calendar quarters with at least 3 releases in the rule's frame).

    transformer and attention (one measurement, two technologies: a new model's sequence mixer contains attention,
    pure or hybrid): adopter = a model type with attention layers; pure SSM / RWKV / xLSTM types are the non-adopters
    and attention+SSM hybrids adopt. Frame: releases with a known model type.

    decoder_only: the model type is not encoder-decoder (t5, mt5, umt5, t5gemma, bart, mbart, pegasus, florence2,
    whisper, marian, switch_transformers, ...). Frame: releases with a known model type.

    code_specialization: use_case "Code generation and completion", or a code token in the repo name (coder, code,
    codestral, starcoder, devstral, codegen). Frame: all releases.

    reasoning: use_case mentions reasoning, or a reasoning token in the repo name (r1, qwq, reasoning, reasoner,
    thinking, think, magistral; 'r10' is not 'r1'). Frame: all releases. A lower bound: hybrid-thinking models
    without such a name are missed.

    edge_inference: total parameters <= 4e9. 4B weights at 4-bit take about 2-2.5 GB, which fit phone or laptop
    memory next to the OS, and 4B is the top of the common on-device class (Phi-3-mini 3.8B, Llama 3.2 3B,
    Qwen3-4B, Gemma 3n E4B). Frame: releases with a parameter count.

    multimodal_fusion: pipeline_tag image-text-to-text, image-to-text, any-to-any or video-text-to-text; or the
    capability "vision" (2026-05 list); or a use_case about multimodal or vision input; or a vision-language model
    type. Frame: all releases.
    """
    flag, col = COUNT_RULES[technology]
    return count_rows(rel[rel[flag].notna()], flag, rule(technology, col))


def variant_rows_hf(rel: pd.DataFrame) -> pd.DataFrame:
    """Variant counts (half-years; periods with fewer than 3 labelled releases dropped).

    attention: MLA by model type (deepseek_v2/v3/v32/v4, kimi_k2/k25, glm_moe_dsa, longcat_flash, kimi_linear,
    which report as many KV heads as attention heads); otherwise one KV head is MQA, fewer KV heads than attention
    heads GQA, as many MHA. Head counts exist only in the 2026-05 list, so releases missing from it have no label.

    moe: routed-expert count <=8, 9-64, 65-128, >128 among MoE releases with a known expert count.
    long_context: 128K-<256K, 256K-<1M, >=1M among releases with a context of at least 128,000 tokens.
    decoder_only: architecture family (first token of the model type, aliases merged) among decoder-only releases.
    tokenization: vocabulary size <50K, 50K-<100K, 100K-<200K, >=200K. ssm_hybrid: sequence-mixer family (mamba,
    rwkv, linear_attention, short_conv, griffin, xlstm) among SSM/hybrid releases.
    """
    moe = rel[rel["moe"] == True]  # noqa: E712 (None = unknown)
    dec = rel[rel["decoder_only"] == True]  # noqa: E712
    ssm = rel[rel["ssm_hybrid"] == True]  # noqa: E712
    return pd.concat([
        variant_rows(rel, "attention_variant", rule("attention", "num_key_value_heads", HF05_JSON)),
        variant_rows(moe.assign(v=moe["experts"].map(lambda x: bucket(x, EXPERT_BUCKETS))), "v",
                     rule("moe", "num_experts")),
        variant_rows(rel.assign(v=rel["ctx"].map(lambda x: bucket(x, CONTEXT_BUCKETS))), "v",
                     rule("long_context", "context_length")),
        variant_rows(dec.assign(v=dec["arch"].map(name_family)), "v", rule("decoder_only", "architecture")),
        variant_rows(rel.assign(v=rel["vocab"].map(lambda x: bucket(x, VOCAB_BUCKETS))), "v",
                     rule("tokenization", "vocab_size", HF05_JSON)),
        variant_rows(ssm.assign(v=ssm["arch"].map(SSM_MIXER)), "v", rule("ssm_hybrid", "architecture")),
    ], ignore_index=True)


@lru_cache(maxsize=2)
def _releases_of(stamp: tuple) -> tuple[pd.DataFrame, tuple[str, ...]]:
    rel, notes = releases(*read(Path(stamp[0])))
    return rel, tuple(notes)


def releases_of(shared: Path) -> tuple[pd.DataFrame, list[str]]:
    """`releases` of the lists in `shared`, computed once while the files are unchanged (callers get a copy)."""
    rel, notes = _releases_of(file_stamp(shared, (HF_JSON, HF05_JSON)))
    return rel.copy(), list(notes)


def count_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    """All adoption count rows of the frame, with the written rules and notes."""
    rel, notes = releases_of(shared)
    rows = pd.concat([count_rows_hf(rel, t) for t in COUNT_RULES], ignore_index=True)
    return rows, doc_rules(__doc__, count_rows_hf.__doc__, label=SERIES), notes


def variant_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    rel, notes = releases_of(shared)
    return variant_rows_hf(rel), doc_rules(__doc__, variant_rows_hf.__doc__, label=SERIES), notes
