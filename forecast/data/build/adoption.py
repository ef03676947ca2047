"""Builder of data/adoption_observations.csv.

Three kinds of rows (see forecast.data.tables.ADOPTION_OBSERVATIONS):

* ``count``: per release quarter, k of n new open models in a sampling frame have a feature
  (MoE, >=128K context, SSM/hybrid sequence mixer). Frames: the llmfit Hugging Face model list
  (series ``hf_open_llm_architectures``) and the pretrained base models of the Open LLM Leaderboard v2
  (series ``open_llm_leaderboard_v2``).
* ``ecosystem_count``: monthly number of MCP servers listed in curated lists while the list was open.
* ``elicited``: shares stated in the seed documents, with an 80% interval we attach (rules below).

Technology ids refer to priors/technologies.yaml.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from forecast.data.build.base import BuildResult, Builder, Input

HF_JSON = "hf_open_llm_architectures/hf_models.json"
LB_V2 = "open_llm_leaderboard/huggingface_v2.csv"
MCP_MONTHLY = "mcp_ecosystem/mcp_servers_monthly.csv"
MCP_README = "mcp_ecosystem/mcp_servers_readme_monthly.csv"

MIN_N = 3  # quarters with fewer models in the frame are dropped

# ---------------------------------------------------------------------------------------------
# Feature definitions (HF `model_type` values in hf_models.json; architecture classes in the leaderboard)
# ---------------------------------------------------------------------------------------------

# MoE: model_type containing "moe", or one of these MoE model types that lack "moe" in the name.
HF_MOE_TYPES = {
    "mixtral", "deepseek", "deepseek_v2", "deepseek_v3", "deepseek_v32", "gpt_oss", "llama4", "minimax",
    "minimax_m2", "kimi_k2", "phimoe", "qwen3_next", "kimi_linear", "dots1", "step3p5", "mimo_v2_flash",
    "longcat_flash",
}
# SSM / linear-recurrent / gated-convolution sequence mixers, alone or hybridised with attention.
HF_SSM_HYBRID_TYPES = {
    "mamba", "mamba2", "falcon_mamba", "falcon_h1", "jamba", "zamba", "zamba2", "bamba", "hymba",
    "nemotron_h", "granitemoehybrid", "plamo2", "rwkv", "rwkv5", "rwkv6", "rwkv7", "recurrent_gemma",
    "lfm2", "lfm2_moe", "qwen3_next", "qwen3_5", "qwen3_5_moe", "kimi_linear",
}
# `architecture == "unknown"` rows whose family is identifiable from the repo name.
HF_UNKNOWN_OVERRIDES = (
    (re.compile(r"nemotron-h-|nemotron-nano-9b-v2|nemotron-3-nano", re.I), "nemotron_h"),
    (re.compile(r"longcat-flash", re.I), "longcat_flash"),
)
# Active-parameter / expert-count notation in a repo name (e.g. 30B-A3B, 8x7B, A2.7B, -moe-).
MOE_NAME = re.compile(r"(?:\d+(?:\.\d+)?b-a\d+(?:\.\d+)?[bm]\b|\b\d+x\d+(?:\.\d+)?b\b|-a\d+(?:\.\d+)?b\b|(?:^|[-_/])moe(?:[-_]|$))", re.I)
LONG_CONTEXT_MIN = 128_000  # tokens; ">=128K" read as >= 128,000 (covers 128000 and 131072 configs)

LB_MOE_ARCHS = {
    "MixtralForCausalLM", "Qwen2MoeForCausalLM", "OlmoeForCausalLM", "GraniteMoeForCausalLM", "DeepseekForCausalLM",
    "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM", "JambaForCausalLM", "DbrxForCausalLM",
    "SwitchTransformersForConditionalGeneration", "AriaForConditionalGeneration", "PhimoeForCausalLM",
}
LB_SSM_ARCHS = {
    "RecurrentGemmaForCausalLM", "FalconMambaForCausalLM", "MambaForCausalLM", "Mamba2ForCausalLM", "HymbaForCausalLM",
    "RwkvForCausalLM", "JambaForCausalLM", "ZambaForCausalLM", "Zamba2ForCausalLM", "BambaForCausalLM",
}

# ---------------------------------------------------------------------------------------------
# Filters of the HF list
# ---------------------------------------------------------------------------------------------

# Accounts that re-upload others' weights (quantizations, format conversions, mirrors) or publish test/toy repos.
REUPLOAD_OR_TEST_PROVIDERS = {
    "lmstudio-community", "cyankiwi", "quanttrio", "redhatai", "casperhansen", "solidrust", "stelterlab", "techxgenus",
    "thesven", "sreenington", "kaitchup", "hugging-quants", "ibnzterrell", "kosbu", "maziyarpanahi", "mratsim", "nvfp4",
    "bullpoint", "nexveridian", "warshanks", "junhowie", "nytopop", "featherless-chat-models", "alpindale", "gensyn",
    "nm-testing", "peft-internal-testing", "optimum-intel-internal-testing", "echarlaix", "tiny-random", "hmellor",
    "llamafactory", "michaelbenayoun", "maxjeblick", "maykeye", "hyper-accel", "arnir0", "erwanf", "simplestories",
    "jackfram", "z-lab", "gratefulasi",
}
# Name markers of quantized/converted/derived artefacts, test repos and speculative-decoding drafts.
DERIVED_NAME = re.compile(
    r"(?:awq|gptq|fp8|nvfp4|fp4|mlx|gguf|int4|int8|\b\d+bit\b|-\d+bit|w8a8|w4a16|w8a16|quantized|dequantized|"
    r"speculator|eagle3|dflash|tiny-random|tiny-dummy|tiny-mixtral|tiny-dev|unit-test|abliterated|\.w8a8)", re.I)
# Non-LLM or encoder/embedding model types in the list.
NON_LLM_TYPES = {"t5", "nomic_bert", "starvector"}
# Variant suffixes collapsed when deduplicating one release (base / instruct / chat of the same weights family).
VARIANT_TOKENS = re.compile(r"[-_.](instruct|chat|base|it|hf|bf16|thinking|think|sft|dpo|preview)(?=$|[-_.])", re.I)
# Hub creation date of repos migrated from the legacy model hub; not a release date.
HF_LEGACY_DATE = pd.Timestamp("2022-03-02")


def _release_key(name: str) -> str:
    base = name.split("/", 1)[-1].lower()
    prev = None
    while prev != base:
        prev, base = base, VARIANT_TOKENS.sub("", base)
    return base


def _hf_models(path: Path) -> tuple[pd.DataFrame, list[str]]:
    raw = json.loads(path.read_text())
    df = pd.DataFrame(raw)
    notes = []
    n0 = len(df)
    df["provider_l"] = df["provider"].str.lower()
    arch = df["architecture"].fillna("unknown").astype(str)
    for rx, val in HF_UNKNOWN_OVERRIDES:
        m = (arch == "unknown") & df["name"].str.contains(rx)
        arch = arch.mask(m, val)
    df["arch"] = arch
    drop_provider = df["provider_l"].isin(REUPLOAD_OR_TEST_PROVIDERS) | df["name"].str.split("/").str[0].str.lower().isin(REUPLOAD_OR_TEST_PROVIDERS)
    drop_name = df["name"].str.contains(DERIVED_NAME)
    drop_type = df["arch"].isin(NON_LLM_TYPES) | (df["pipeline_tag"] == "feature-extraction")
    df["release_date"] = pd.to_datetime(df["release_date"], errors="coerce")
    drop_date = df["release_date"].isna() | (df["release_date"] == HF_LEGACY_DATE)
    notes.append(f"hf_models.json: {n0} entries; dropped re-upload/test accounts {int(drop_provider.sum())}, "
                 f"derived/quantized/test names {int((drop_name & ~drop_provider).sum())}, non-LLM types {int((drop_type & ~drop_provider & ~drop_name).sum())}, "
                 f"missing or legacy-migration release date {int((drop_date & ~drop_provider & ~drop_name & ~drop_type).sum())}")
    df = df[~(drop_provider | drop_name | drop_type | drop_date)].copy()
    is_moe_flag = df.get("is_moe", pd.Series(False, index=df.index)).fillna(False).astype(bool)
    df["moe"] = (df["arch"].str.contains("moe") | df["arch"].isin(HF_MOE_TYPES) | is_moe_flag
                 | df["name"].str.contains(MOE_NAME))
    df["ssm_hybrid"] = df["arch"].isin(HF_SSM_HYBRID_TYPES)
    df["ctx"] = pd.to_numeric(df["context_length"], errors="coerce")
    # dedupe one release (same weights family across base/instruct/chat variants and mirrors): earliest date,
    # features OR-ed, context = max over variants (instruct configs often state a shorter native window)
    df["key"] = df["name"].map(_release_key)
    df = df.sort_values(["release_date", "name"])
    g = df.groupby("key", sort=False)
    out = pd.DataFrame({
        "name": g["name"].first(),
        "release_date": g["release_date"].min(),
        "moe": g["moe"].any(),
        "ssm_hybrid": g["ssm_hybrid"].any(),
        "ctx": g["ctx"].max(),
    }).reset_index()
    out["long_context"] = out["ctx"] >= LONG_CONTEXT_MIN
    notes.append(f"hf_models.json: {len(df)} entries kept, {len(out)} releases after collapsing variants")
    return out, notes


def _leaderboard_v2(path: Path) -> tuple[pd.DataFrame, list[str]]:
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    n0 = len(d)
    d = d[d["model_type"] == "pretrained"].copy()
    n_pre = len(d)
    d = d[d["features_is_merged"].str.upper() != "TRUE"]
    d["date"] = pd.to_datetime(d["metadata_upload_date"].replace("", None), errors="coerce")
    n_nodate = int(d["date"].isna().sum())
    n_legacy = int((d["date"] == HF_LEGACY_DATE).sum())
    d = d[d["date"].notna() & (d["date"] != HF_LEGACY_DATE)]
    d["repo"] = d["model_name"].str.lower()
    d = d.sort_values(["date", "repo"]).drop_duplicates("repo", keep="first")
    arch = d["model_architecture"].fillna("")
    known = ~arch.isin(["", "?", "Unknown"])
    flag = d["features_is_moe"].str.upper() == "TRUE"
    d["moe"] = arch.isin(LB_MOE_ARCHS) | (~known & flag)
    d["ssm_hybrid"] = arch.isin(LB_SSM_ARCHS)
    flag_only = int((flag & known & ~arch.isin(LB_MOE_ARCHS)).sum())
    notes = [f"open_llm_leaderboard v2: {n0} rows, {n_pre} typed pretrained; dropped merged, {n_nodate} without upload date, "
             f"{n_legacy} with the 2022-03-02 legacy-migration date; {len(d)} distinct repos kept; "
             f"{flag_only} repos carry is_moe=TRUE on a dense architecture class (name heuristic, e.g. '*-nomic-moe' on Qwen2ForCausalLM) and are counted dense"]
    return d[["repo", "date", "moe", "ssm_hybrid"]], notes


def _quarterly(df: pd.DataFrame, date_col: str, features: dict[str, str], series: str, source: str) -> pd.DataFrame:
    q = df[date_col].dt.to_period("Q")
    rows = []
    for period, grp in df.groupby(q):
        n = len(grp)
        if n < MIN_N:
            continue
        for tech, col in features.items():
            rows.append({"technology": tech, "kind": "count", "period_start": period.start_time.normalize(),
                         "period_end": period.end_time.normalize(), "k": int(grp[col].sum()), "n": n,
                         "share": None, "share_lo": None, "share_hi": None, "series": series, "source": source})
    return pd.DataFrame(rows)


def _mcp(shared: Path) -> tuple[pd.DataFrame, list[str]]:
    rows = []
    readme = pd.read_csv(shared / MCP_README, dtype=str)
    open_months = set(readme.loc[readme["list_status"] == "open", "month"])
    src_r = "mcp_ecosystem/mcp_servers_readme_monthly.csv (modelcontextprotocol/servers README, month-end first-parent commit)"
    opened = readme[readme["list_status"] == "open"].sort_values("month")
    for col, series in (("official_integrations", "mcp_official_integrations"), ("community_servers", "mcp_community_servers")):
        seen = False
        for _, r in opened.iterrows():
            k = int(r[col])
            seen = seen or k > 0
            if seen:  # leading zero months = section heading not yet in the README, not zero adoption
                rows.append(_month_row(r["month"], k, series, src_r))
    monthly = pd.read_csv(shared / MCP_MONTHLY, dtype=str)
    src_m = "mcp_ecosystem/mcp_servers_monthly.csv (distinct link targets under the server sections, month-end commit)"
    for _, r in monthly.iterrows():
        if r["source_repo"] == "punkpeye/awesome-mcp-servers":
            series = "awesome_mcp_servers"
        elif r["source_repo"] == "modelcontextprotocol/servers":
            if r["month"] not in open_months:
                continue  # deprecated 2025-11-26, frozen, then retired: not adoption data
            series = "mcp_servers_repo_listed"
        else:
            continue
        rows.append(_month_row(r["month"], int(r["listed_servers"]), series, src_m))
    notes = [f"MCP: modelcontextprotocol/servers months kept (list open): {min(open_months)} .. {max(open_months)}; "
             "awesome-mcp-servers all months kept (never frozen; its 2026-06 row is the state on 2026-06-19)"]
    return pd.DataFrame(rows), notes


def _month_row(month: str, k: int, series: str, source: str) -> dict:
    p = pd.Period(month, "M")
    return {"technology": "mcp", "kind": "ecosystem_count", "period_start": p.start_time.normalize(),
            "period_end": p.end_time.normalize(), "k": k, "n": None, "share": None, "share_lo": None, "share_hi": None,
            "series": series, "source": source}


# ---------------------------------------------------------------------------------------------
# Elicited shares stated in the seeds (the seeds are prose; values transcribed here with citations)
# ---------------------------------------------------------------------------------------------
# (technology, statement type, stated value, seed citation). Statement types:
#   "point": "X%"               -> share X, 80% interval X ± 0.10 (clipped to [0, 1])
#   "floor": "X%以上" / "X%+"     -> share X, interval [X − 0.10, 1.0]
#   "all":   "100%（所有…）"       -> share 1.0, interval [0.90, 1.0]
# The reference period is 2025 (the seed tables' column "2025 状态"; seeds last updated in 2025).
ELICITED = (
    ("transformer", "all", 1.00, "seed 004 §四 3.1 (采用率 100%, 所有 LLM 都使用); §八 7.1"),
    ("attention", "all", 1.00, "seed 004 §五 4.1 (采用率 100%, 所有 Transformer 模型都使用); §八 7.1"),
    ("pretrain_finetune", "floor", 0.95, "seed 004 §六 5.1 (采用率 95%以上); §八 7.1"),
    ("adamw", "floor", 0.95, "seed 004 §七 6.1 (采用率 95%以上, 几乎所有 LLM 训练都使用); §八 7.1"),
    ("decoder_only", "floor", 0.90, "seed 000 §四 L3 row (分类标准: 90%以上新产品采用); seed 003 §六 5.1 (L3 采用率 90%+)"),
    ("rlhf", "floor", 0.90, "seed 000 §四 L3 row (分类标准: 90%以上新产品采用); seed 003 §六 5.1 (L3 采用率 90%+)"),
    ("tokenization", "floor", 0.90, "seed 000 §四 L3 row (分类标准: 90%以上新产品采用); seed 003 §六 5.1 (L3 采用率 90%+)"),
    ("moe", "point", 0.60, "seed 003 §四 3.1 MoE vs Dense table (采用率 MoE 60% / Dense 40%) and 收敛度计算 (采用率 0.60)"),
    ("long_context", "point", 0.50, "seed 003 §四 3.2 长上下文 vs RAG table (采用率 50% / 50%) and 收敛度计算 (采用率 0.50)"),
    ("benchmark_homogenization", "point", 0.60, "seed 004 §十 9.2 (能力层收敛 采用率 60%)"),
    ("foundation_model_market", "point", 0.95, "seed 000 §五 能力表现层 row (头部 6 家垄断 95%市场); share = market share of the top 6 providers"),
)
ELICITED_HALF_WIDTH = 0.10


def _elicited() -> pd.DataFrame:
    rows = []
    for tech, kind, x, cite in ELICITED:
        if kind == "point":
            lo, hi = max(0.0, x - ELICITED_HALF_WIDTH), min(1.0, x + ELICITED_HALF_WIDTH)
        elif kind == "floor":
            lo, hi = max(0.0, x - ELICITED_HALF_WIDTH), 1.0
        elif kind == "all":
            lo, hi = 1.0 - ELICITED_HALF_WIDTH, 1.0
        else:
            raise ValueError(kind)
        rows.append({"technology": tech, "kind": "elicited", "period_start": pd.Timestamp("2025-01-01"),
                     "period_end": pd.Timestamp("2025-12-31"), "k": None, "n": None, "share": x, "share_lo": round(lo, 4),
                     "share_hi": round(hi, 4), "series": "seed_elicited", "source": cite})
    return pd.DataFrame(rows)


RULES = [
    "Sampling frames are NOT censuses. hf_open_llm_architectures is llmfit's list of 514 popular / tool-relevant Hugging Face "
    "repos (open weights only, biased to heavily downloaded models from large publishers, Qwen-heavy, and to models that fit local "
    "hardware); open_llm_leaderboard_v2 counts only base models someone submitted to the HF leaderboard (biased to small/mid-size "
    "open models that fit HF's evaluation budget, max ~141B params, and ends 2025-03). Neither includes closed API models, so shares "
    "describe open-weight releases and can differ from the seeds' frontier-product shares.",
    "hf_open_llm_architectures (kind=count): dropped re-upload/quantization/mirror and test accounts (lmstudio-community, cyankiwi, "
    "QuantTrio, RedHatAI, casperhansen, solidrust, stelterlab, TechxGenus, thesven, hugging-quants, NVFP4, ... and test/toy accounts "
    "peft-internal-testing, optimum-intel-internal-testing, nm-testing, echarlaix, tiny-random, hmellor, llamafactory, ...; full list "
    "REUPLOAD_OR_TEST_PROVIDERS in the module); dropped names marking derived artefacts (AWQ, GPTQ, FP8, NVFP4, MLX, N-bit, w8a8, "
    "quantized, abliterated, speculator/Eagle3/DFlash drafts, tiny-random/tiny-dummy/tiny-mixtral/tiny-dev toys); dropped non-LLM types (t5, nomic_bert, starvector, "
    "feature-extraction); dropped entries without release_date or with 2022-03-02 (the Hub's legacy-migration date, not a release).",
    "hf_open_llm_architectures dedupe: one row per release = repo basename without org and without variant tokens "
    "(instruct, chat, base, it, hf, bf16, thinking, sft, dpo, preview), so mirrors under another org and base/instruct pairs "
    "collapse; the earliest release_date is kept, features are OR-ed, context = max over variants. Quarter = calendar quarter of that date.",
    "MoE (technology moe): HF model_type containing 'moe' or in {mixtral, deepseek, deepseek_v2, deepseek_v3, deepseek_v32, gpt_oss, "
    "llama4, minimax, minimax_m2, kimi_k2, phimoe, qwen3_next, kimi_linear, dots1, step3p5, mimo_v2_flash, longcat_flash}, or is_moe, "
    "or an active-parameter/expert name pattern (30B-A3B, A2.7B, 8x7B, -moe-). Unknown model_type re-labelled from the name: "
    "Nemotron-H / Nemotron-Nano-9B-v2 / Nemotron-3-Nano -> nemotron_h, LongCat-Flash -> longcat_flash.",
    "Long context (technology long_context): config context_length >= 128,000 tokens. The seed says '128K+'; vendors use 128K for "
    "both 128,000 (e.g. LFM2, Qwen2.5-VL) and 131,072 (Llama 3.1, Qwen2.5), so the decimal bound is used. Config values understate "
    "RoPE-scaling (YaRN) support, so this is a lower bound on long-context capability.",
    "SSM/hybrid (technology ssm_hybrid): non-attention sequence mixers alone or hybridised with attention. model_type in {mamba, "
    "mamba2, falcon_mamba, falcon_h1, jamba, zamba, zamba2, bamba, hymba, nemotron_h, granitemoehybrid, plamo2, rwkv*, recurrent_gemma, "
    "lfm2, lfm2_moe (gated short-convolution hybrid), qwen3_next, qwen3_5, qwen3_5_moe (Gated DeltaNet linear-attention hybrids), "
    "kimi_linear (linear-attention hybrid)}. Types present in the file and judged plain attention: llama, qwen2/3, mistral, gemma*, "
    "phi*, deepseek_v32/glm_moe_dsa (sparse attention), mimo_v2_flash (sliding window), Dream/llada2_moe (diffusion LMs, not SSM).",
    "open_llm_leaderboard_v2 (kind=count): model_type == 'pretrained' (the v2 equivalent of v1's 🟢), not merged, one row per repo "
    "(model_name, earliest upload), quarter by metadata_upload_date (HF Hub upload; 2022-03-02 legacy-migration dates dropped). "
    "MoE from the architecture class (Mixtral, Qwen2Moe, Olmoe, GraniteMoe, Deepseek, Jamba, Dbrx, ...); the is_moe flag is used only "
    "when the class is unknown, because it is a name heuristic that misfires on dense classes. ssm_hybrid from RecurrentGemma, "
    "FalconMamba, Mamba, Hymba, Rwkv, Jamba, Zamba, Bamba classes. No context length in the leaderboard, so no long_context rows.",
    "open_llm_leaderboard v1 is not used: its only date is the leaderboard evaluation/submission date (bulk re-evaluations, e.g. "
    "724 rows on 2023-09-09), not a release date; joining v1 names to v2 upload dates recovers only models already counted from v2.",
    f"Quarters with n < {MIN_N} models in the frame are dropped. k and n per (technology, series, quarter); the same n appears for "
    "every feature of a quarter.",
    "MCP (kind=ecosystem_count, technology mcp): k = servers listed at month end. Series awesome_mcp_servers = distinct link targets "
    "in punkpeye/awesome-mcp-servers (never frozen; all months kept; 2026-06 is the 19 June state); mcp_servers_repo_listed = "
    "distinct targets in modelcontextprotocol/servers; mcp_official_integrations / mcp_community_servers = the README's vendor-"
    "maintained and third-party sections (leading months with 0 = section not yet in the README, dropped). modelcontextprotocol/servers rows are kept only while list_status == 'open' (through "
    "2025-10): deprecated 2025-11-26, frozen, retired 2026-04-14. Curated lists proxy adoption; merge backlogs shape the curve.",
    "Elicited (kind=elicited, series seed_elicited): shares stated in the seeds, transcribed in ELICITED with seed file + section. "
    "Period 2025-01-01..2025-12-31 (the seeds' '2025 状态' columns). 80% intervals: a stated point 'X%' gets X ± 0.10 because it is a "
    "single undocumented round-number guess and the seeds' own level adoption bands are 20 points wide (seed 003 §3.1: L2 采用率 "
    "50-70%); a floor 'X%以上' gets [X − 0.10, 1] (floor claims can be optimistic; upper end unconstrained); '100%（所有…）' gets "
    "[0.90, 1]. The seeds' frame is 'new products' or frontier models, not open-weight releases.",
    "foundation_model_market elicited share is the top-6 providers' market share (seed 000 §五), not a technology adoption share.",
]


def build(shared: Path, built: dict) -> BuildResult:
    notes: list[str] = []
    hf, n1 = _hf_models(shared / HF_JSON)
    notes += n1
    parts = [_quarterly(hf, "release_date", {"moe": "moe", "long_context": "long_context", "ssm_hybrid": "ssm_hybrid"},
                        "hf_open_llm_architectures", "hf_open_llm_architectures/hf_models.json (llmfit, HF Hub metadata)")]
    lb, n2 = _leaderboard_v2(shared / LB_V2)
    notes += n2
    parts.append(_quarterly(lb, "date", {"moe": "moe", "ssm_hybrid": "ssm_hybrid"}, "open_llm_leaderboard_v2",
                            "open_llm_leaderboard/huggingface_v2.csv (HF Open LLM Leaderboard v2, pretrained models)"))
    mcp, n3 = _mcp(shared)
    notes += n3
    parts += [mcp, _elicited()]
    frame = pd.concat(parts, ignore_index=True)
    for c in ("k", "n"):
        frame[c] = frame[c].astype("Int64")
    for c in ("share", "share_lo", "share_hi"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame = frame.sort_values(["technology", "kind", "series", "period_start"]).reset_index(drop=True)
    counted = frame[frame["kind"] == "count"]
    for (tech, series), g in counted.groupby(["technology", "series"]):
        notes.append(f"{tech} / {series}: " + ", ".join(f"{p.year}Q{p.quarter} {k}/{n}" for p, k, n in
                                                       zip(g["period_start"].dt.to_period("Q"), g["k"], g["n"])))
    return BuildResult(frame=frame, rules=RULES, notes=notes)


BUILDER = Builder(
    table="adoption_observations",
    inputs=(
        Input(HF_JSON, "MIT (repository); values are Hugging Face Hub metadata", "rauletorresc/llmfit data/hf_models.json, commit 6797f309"),
        Input(LB_V2, "MPL-2.0 (scrape repository); values from the HF Open LLM Leaderboard", "fboulnois/llm-leaderboard-csv csv/huggingface_v2.csv, commit 0f4e5c69"),
        Input(MCP_MONTHLY, "counts derived from MIT-licensed READMEs (punkpeye/awesome-mcp-servers; modelcontextprotocol/servers)", "git histories of punkpeye/awesome-mcp-servers and modelcontextprotocol/servers"),
        Input(MCP_README, "counts derived from modelcontextprotocol/servers README (MIT, moving to Apache-2.0; docs CC-BY-4.0)", "modelcontextprotocol/servers git history to 76d64c82"),
    ),
    build=build,
)
