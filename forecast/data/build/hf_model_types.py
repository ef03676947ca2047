"""What a Hugging Face `model_type` says about a model: MoE, sequence mixer, attention variant, encoder–decoder,
vision–language, and its family name. Shared by the frames built from the llmfit lists.
"""
from __future__ import annotations

import re

import pandas as pd

from forecast.data.build.hf_filters import column

# MoE: model_type containing "moe", or one of these MoE model types that lack "moe" in the name.
HF_MOE_TYPES = {
    "mixtral", "deepseek", "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_v4", "gpt_oss", "llama4", "minimax",
    "minimax_m2", "kimi_k2", "kimi_k25", "phimoe", "qwen3_next", "kimi_linear", "dots1", "step3p5", "mimo_v2_flash",
    "longcat_flash", "aria",
}
# Active-parameter / expert-count notation in a repo name (e.g. 30B-A3B, 8x7B, A2.7B, -moe-).
MOE_NAME = re.compile(r"(?:\d+(?:\.\d+)?b-a\d+(?:\.\d+)?[bm]\b|\b\d+x\d+(?:\.\d+)?b\b|-a\d+(?:\.\d+)?b\b|(?:^|[-_/])moe(?:[-_]|$))", re.I)
LONG_CONTEXT_MIN = 128_000  # tokens; ">=128K" read as >= 128,000 (covers 128000 and 131072 configs)
# Context length of long-context models (upper bound exclusive; below LONG_CONTEXT_MIN: no label).
CONTEXT_BUCKETS = [(LONG_CONTEXT_MIN, None), (256_000, "128K-<256K"), (1_000_000, "256K-<1M"), (float("inf"), ">=1M")]

# SSM / linear-recurrent / gated-convolution sequence mixers, alone or hybridised with attention: type -> mixer family.
SSM_MIXER = {
    "mamba": "mamba", "mamba2": "mamba", "falcon_mamba": "mamba", "falcon_h1": "mamba", "jamba": "mamba",
    "zamba": "mamba", "zamba2": "mamba", "bamba": "mamba", "hymba": "mamba", "nemotron_h": "mamba",
    "granitemoehybrid": "mamba", "plamo2": "mamba", "rwkv": "rwkv", "rwkv5": "rwkv", "rwkv6": "rwkv",
    "rwkv7": "rwkv", "recurrent_gemma": "griffin", "lfm2": "short_conv", "lfm2_moe": "short_conv",
    "lfm2_vl": "short_conv", "qwen3_next": "linear_attention", "qwen3_5": "linear_attention",
    "qwen3_5_moe": "linear_attention", "qwen3_5_text": "linear_attention", "kimi_linear": "linear_attention",
    "xlstm": "xlstm",
}
HF_SSM_HYBRID_TYPES = frozenset(SSM_MIXER)
# Sequence mixers without any attention layer: the non-adopters of attention.
PURE_RECURRENT_TYPES = {"mamba", "mamba2", "falcon_mamba", "rwkv", "rwkv5", "rwkv6", "rwkv7", "xlstm"}
ENCODER_DECODER_TYPES = {"t5", "mt5", "umt5", "t5gemma", "t5gemma2", "bart", "mbart", "pegasus", "bigbird_pegasus",
                         "florence2", "vision-encoder-decoder", "whisper", "marian", "switch_transformers"}
# Multi-head latent attention (compressed KV): these types report as many KV heads as attention heads.
MLA_TYPES = {"deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_v4", "kimi_k2", "kimi_k25", "glm_moe_dsa",
             "longcat_flash", "kimi_linear"}
VLM_TYPES = {"idefics3", "paligemma", "minicpmv", "internvl", "internvl_chat", "molmo2", "mllama", "blip-2",
             "florence2", "moondream1", "ovis", "glm4v", "aria", "gemma3", "gemma3n", "gemma4", "llama4", "mistral3",
             "h2ovl_chat", "isaac", "openvla", "dots_ocr", "qwen3_5", "qwen3_5_moe"}
VLM_TYPE_PATTERN = re.compile(r"vl|vision|llava", re.I)
# Encoders, embedding and CLIP-like models, audio codecs: not generative language models.
NON_GENERATIVE_TYPES = {
    "nomic_bert", "bert", "xlm-roberta", "roberta", "distilbert", "modernbert", "deberta", "deberta-v2",
    "squeezebert", "flaubert", "canine", "starvector", "encodec", "hubert", "moss-audio-tokenizer", "clyp",
    "jina_clip", "aesthetics_predictor", "reve-position-bank", "hyenadna", "molformer", "bidirectional_pplx_qwen3",
    "llama_bidirec",
}
FAMILY_ALIASES = {"mixtral": "mistral", "chatglm": "glm", "phimoe": "phi", "gptj": "gpt", "olmoe": "olmo",
                  "granitemoe": "granite", "granitemoehybrid": "granite", "debertav": "deberta", "mt5": "t5",
                  "flan": "t5", "codellama": "llama", "vicuna": "llama", "llava": "llava"}


def is_moe(df: pd.DataFrame, arch: pd.Series) -> pd.Series:
    """MoE from the model type, the list's is_moe flag, or an active-parameter / expert pattern in the name."""
    flag = column(df, "is_moe", False).astype(bool)
    return arch.str.contains("moe") | arch.isin(HF_MOE_TYPES) | flag | df["name"].str.contains(MOE_NAME)


def attention_variant(arch: str, heads: float, kv: float) -> str | None:
    """MLA by model type; otherwise from the head counts: one KV head MQA, fewer than the heads GQA, as many MHA."""
    if arch in MLA_TYPES:
        return "MLA"
    if pd.isna(heads) or pd.isna(kv) or heads <= 0 or kv <= 0:
        return None
    if kv == 1:
        return "MQA"
    if kv < heads:
        return "GQA"
    return "MHA" if kv == heads else None


def name_family(label: str) -> str | None:
    """First alphanumeric token, lower-cased, with a version number after >= 3 letters cut off:
    qwen3_moe -> qwen, gemma3n -> gemma, gpt_oss -> gpt, t5 -> t5, ul2 -> ul2; aliases merged (mixtral -> mistral)."""
    if not isinstance(label, str) or label.strip().lower() in ("", "unknown"):
        return None
    m = re.match(r"[a-z0-9]+", label.strip().lower())
    if not m:
        return None
    token = m.group(0)
    v = re.match(r"([a-z]{3,}?)\d", token)
    token = v.group(1) if v else token
    return FAMILY_ALIASES.get(token, token)

