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
from pathlib import Path

import pandas as pd

from forecast.data.build import benchmark_spread, epoch_language, gallery, hf_releases
from forecast.data.build.base import BuildResult, Builder, Input, unique_inputs
from forecast.data.build.hf_filters import HF_JSON, HF_LEGACY_DATE, HF_LIST_INPUT, apply_drops, collapse_releases, \
    derived_name, model_type, reupload_or_test, undated
from forecast.data.build.hf_model_types import HF_SSM_HYBRID_TYPES, LONG_CONTEXT_MIN, is_moe
from forecast.data.build.periods import MIN_N, Rule, check_technologies, count_rows
from forecast.data.tables import ADOPTION_OBSERVATIONS

LB_V2 = "open_llm_leaderboard/huggingface_v2.csv"
MCP_MONTHLY = "mcp_ecosystem/mcp_servers_monthly.csv"
MCP_README = "mcp_ecosystem/mcp_servers_readme_monthly.csv"

LB_MOE_ARCHS = {
    "MixtralForCausalLM", "Qwen2MoeForCausalLM", "OlmoeForCausalLM", "GraniteMoeForCausalLM", "DeepseekForCausalLM",
    "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM", "JambaForCausalLM", "DbrxForCausalLM",
    "SwitchTransformersForConditionalGeneration", "AriaForConditionalGeneration", "PhimoeForCausalLM",
}
LB_SSM_ARCHS = {
    "RecurrentGemmaForCausalLM", "FalconMambaForCausalLM", "MambaForCausalLM", "Mamba2ForCausalLM", "HymbaForCausalLM",
    "RwkvForCausalLM", "JambaForCausalLM", "ZambaForCausalLM", "Zamba2ForCausalLM", "BambaForCausalLM",
}
# Non-LLM or encoder/embedding model types in the 2026-03 list (this frame also leaves out encoder-decoder t5).
NON_LLM_TYPES = {"t5", "nomic_bert", "starvector"}


def _hf_models(path: Path) -> tuple[pd.DataFrame, list[str]]:
    df = pd.DataFrame(json.loads(path.read_text()))
    df["arch"] = model_type(df)
    df["release_date"] = pd.to_datetime(df["release_date"], errors="coerce")
    df, note = apply_drops(df, {
        "re-upload/test accounts": reupload_or_test(df),
        "derived/quantized/test names": derived_name(df),
        "non-LLM types": df["arch"].isin(NON_LLM_TYPES) | (df["pipeline_tag"] == "feature-extraction"),
        "missing or legacy-migration release date": undated(df["release_date"]),
    }, "hf_models.json")
    df["moe"] = is_moe(df, df["arch"])
    df["ssm_hybrid"] = df["arch"].isin(HF_SSM_HYBRID_TYPES)
    df["ctx"] = pd.to_numeric(df["context_length"], errors="coerce")
    out = collapse_releases(df, "release_date", {"moe": "any", "ssm_hybrid": "any", "ctx": "max"})
    out["long_context"] = out["ctx"] >= LONG_CONTEXT_MIN
    return out, [note, f"hf_models.json: {len(df)} entries kept, {len(out)} releases after collapsing variants"]


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


def _quarterly(df: pd.DataFrame, features: dict[str, str], series: str, file: str, date_column: str,
               source: str) -> list[pd.DataFrame]:
    """Quarterly k of n per feature; `features` maps technology -> (flag column; the input column it is read from)."""
    return [count_rows(df, flag, Rule(f"{series}:{tech}", tech, series, file, col, date_column, source))
            for tech, (flag, col) in features.items()]


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
    ("transformer", "all", 1.00, "004_f62312534d16cd14.txt «四、Transformer 统治 › 3.1 Transformer 架构» (采用率 100%, 所有 LLM 都使用); «八、2025 年架构层收敛趋势 › 7.1 2025 年架构层收敛特点»"),
    ("attention", "all", 1.00, "004_f62312534d16cd14.txt «五、注意力机制收敛 › 4.1 注意力机制» (采用率 100%, 所有 Transformer 模型都使用); «八、2025 年架构层收敛趋势 › 7.1 2025 年架构层收敛特点»"),
    ("pretrain_finetune", "floor", 0.95, "004_f62312534d16cd14.txt «六、预训练-微调范式收敛 › 5.1 预训练-微调范式» (采用率 95%以上); «八、2025 年架构层收敛趋势 › 7.1 2025 年架构层收敛特点»"),
    ("adamw", "floor", 0.95, "004_f62312534d16cd14.txt «七、AdamW 优化器收敛 › 6.1 AdamW 优化器» (采用率 95%以上, 几乎所有 LLM 训练都使用); «八、2025 年架构层收敛趋势 › 7.1 2025 年架构层收敛特点»"),
    ("decoder_only", "floor", 0.90, "000_61de7e8b4708d969.txt «四、收敛模型分类矩阵» L3 row (分类标准: 90%以上新产品采用); 003_3410920be6d6df1f.txt «六、与收敛模型的关系 › 5.1 L2 vs L3» (L3 采用率 90%+)"),
    ("rlhf", "floor", 0.90, "000_61de7e8b4708d969.txt «四、收敛模型分类矩阵» L3 row (分类标准: 90%以上新产品采用); 003_3410920be6d6df1f.txt «六、与收敛模型的关系 › 5.1 L2 vs L3» (L3 采用率 90%+)"),
    ("tokenization", "floor", 0.90, "000_61de7e8b4708d969.txt «四、收敛模型分类矩阵» L3 row (分类标准: 90%以上新产品采用); 003_3410920be6d6df1f.txt «六、与收敛模型的关系 › 5.1 L2 vs L3» (L3 采用率 90%+)"),
    ("moe", "point", 0.60, "003_3410920be6d6df1f.txt «四、代表技术 › 3.1 MoE vs Dense» MoE vs Dense table (采用率 MoE 60% / Dense 40%) and 收敛度计算 (采用率 0.60)"),
    ("long_context", "point", 0.50, "003_3410920be6d6df1f.txt «四、代表技术 › 3.2 长上下文（128K+）vs RAG» 长上下文 vs RAG table (采用率 50% / 50%) and 收敛度计算 (采用率 0.50)"),
    ("benchmark_homogenization", "point", 0.60, "004_f62312534d16cd14.txt «十、与收敛模型的关系 › 9.2 架构层 vs 能力层» (能力层收敛 采用率 60%)"),
    ("foundation_model_market", "point", 0.95, "000_61de7e8b4708d969.txt «五、收敛层次分析（信通院 2025 框架）» 能力表现层 row (头部 6 家垄断 95%市场); share = market share of the top 6 providers"),
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
    "llama4, minimax, minimax_m2, kimi_k2, phimoe, qwen3_next, kimi_linear, dots1, step3p5, mimo_v2_flash, longcat_flash} (the shared "
    "set HF_MOE_TYPES in forecast/data/build/hf_model_types.py also lists deepseek_v4, kimi_k25 and aria, types of the 2026-05 list "
    "only), or is_moe, "
    "or an active-parameter/expert name pattern (30B-A3B, A2.7B, 8x7B, -moe-). Unknown model_type re-labelled from the name: "
    "Nemotron-H / Nemotron-Nano-9B-v2 / Nemotron-3-Nano -> nemotron_h, LongCat-Flash -> longcat_flash.",
    "Long context (technology long_context): config context_length >= 128,000 tokens. The seed says '128K+'; vendors use 128K for "
    "both 128,000 (e.g. LFM2, Qwen2.5-VL) and 131,072 (Llama 3.1, Qwen2.5), so the decimal bound is used. Config values understate "
    "RoPE-scaling (YaRN) support, so this is a lower bound on long-context capability.",
    "SSM/hybrid (technology ssm_hybrid): non-attention sequence mixers alone or hybridised with attention. model_type in {mamba, "
    "mamba2, falcon_mamba, falcon_h1, jamba, zamba, zamba2, bamba, hymba, nemotron_h, granitemoehybrid, plamo2, rwkv*, recurrent_gemma, "
    "lfm2, lfm2_moe (gated short-convolution hybrid), qwen3_next, qwen3_5, qwen3_5_moe (Gated DeltaNet linear-attention hybrids), "
    "kimi_linear (linear-attention hybrid)} (the shared SSM_MIXER also lists lfm2_vl, qwen3_5_text and xlstm, which the 2026-03 "
    "list does not hold). Types present in the file and judged plain attention: llama, qwen2/3, mistral, gemma*, "
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
    "single undocumented round-number guess and the seeds' own level adoption bands are 20 points wide (003_3410920be6d6df1f.txt «三、核心形式化理论 › 3.1 收敛进行时的形式化定义»: L2 采用率 "
    "50-70%); a floor 'X%以上' gets [X − 0.10, 1] (floor claims can be optimistic; upper end unconstrained); '100%（所有…）' gets "
    "[0.90, 1]. The seeds' frame is 'new products' or frontier models, not open-weight releases.",
    "foundation_model_market elicited share is the top-6 providers' market share (000_61de7e8b4708d969.txt «五、收敛层次分析（信通院 2025 框架）»), not a technology adoption share.",
]


PYRAMID_RULE = (
    "Pyramid frames (kind=count; series hf_open_llm_releases, llm_architecture_gallery, epoch_notable_language_models, "
    "epoch_all_language_models, and for benchmark_homogenization epoch_benchmarking_hub, epoch_open_models, "
    "open_llm_leaderboard_v2): one series per sampling frame, each with its own dates (FRAMES in forecast/data/tables.py). "
    "The rules below were written before any resulting curve was looked at. A rule that matches no model, or leaves no "
    f"period with n >= {MIN_N}, stops the build; so does a model dated outside its frame. The frames are not censuses: "
    "the Hugging Face lists hold open-weight models only, Epoch's notable models follow Epoch's notability criteria, and "
    "the gallery is one author's selection. Recent periods are incomplete (Epoch adds entries and hardware fields for "
    "about a year; the Hugging Face lists end 2026-05-12 and the gallery 2026-05-20)."
)
PYRAMID_FRAMES = (hf_releases, gallery, epoch_language)


def _period_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if (end - start).days < 100:
        return f"{start.year}Q{start.quarter}"
    return f"{start.year}H{1 if start.month <= 6 else 2}"


def build(shared: Path, built: dict) -> BuildResult:
    notes: list[str] = []
    rules = list(RULES) + [PYRAMID_RULE]
    hf, n1 = _hf_models(shared / HF_JSON)
    notes += n1
    parts = _quarterly(hf.rename(columns={"release_date": "date"}), {"moe": ("moe", "architecture"),
                       "long_context": ("long_context", "context_length"), "ssm_hybrid": ("ssm_hybrid", "architecture")},
                       "hf_open_llm_architectures", HF_JSON, "release_date",
                       "hf_open_llm_architectures/hf_models.json (llmfit, HF Hub metadata)")
    lb, n2 = _leaderboard_v2(shared / LB_V2)
    notes += n2
    parts += _quarterly(lb, {"moe": ("moe", "model_architecture"), "ssm_hybrid": ("ssm_hybrid", "model_architecture")},
                        "open_llm_leaderboard_v2", LB_V2, "metadata_upload_date",
                        "open_llm_leaderboard/huggingface_v2.csv (HF Open LLM Leaderboard v2, pretrained models)")
    mcp, n3 = _mcp(shared)
    notes += n3
    parts += [mcp, _elicited()]
    for rows, r, n in [m.count_frame(shared) for m in PYRAMID_FRAMES] + [benchmark_spread.count_frame(shared, built)]:
        parts.append(rows)
        rules += r
        notes += n
    frame = pd.concat(parts, ignore_index=True)
    for c in ("k", "n"):
        frame[c] = frame[c].astype("Int64")
    for c in ("share", "share_lo", "share_hi"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame = frame.sort_values(["technology", "kind", "series", "period_start"]).reset_index(drop=True)
    check_technologies(frame, f"<built {ADOPTION_OBSERVATIONS.filename}>")
    counted = frame[frame["kind"] == "count"]
    for (tech, series), g in counted.groupby(["technology", "series"]):
        notes.append(f"{tech} / {series}: " + ", ".join(f"{_period_label(s, e)} {k}/{n}" for s, e, k, n in
                                                       zip(g["period_start"], g["period_end"], g["k"], g["n"])))
    return BuildResult(frame=frame, rules=rules, notes=notes)


BUILDER = Builder(
    table="adoption_observations",
    inputs=unique_inputs((
        HF_LIST_INPUT,
        Input(LB_V2, "MPL-2.0 (scrape repository); values from the HF Open LLM Leaderboard", "fboulnois/llm-leaderboard-csv csv/huggingface_v2.csv, commit 0f4e5c69"),
        Input(MCP_MONTHLY, "counts derived from MIT-licensed READMEs (punkpeye/awesome-mcp-servers; modelcontextprotocol/servers)", "git histories of punkpeye/awesome-mcp-servers and modelcontextprotocol/servers"),
        Input(MCP_README, "counts derived from modelcontextprotocol/servers README (MIT, moving to Apache-2.0; docs CC-BY-4.0)", "modelcontextprotocol/servers git history to 76d64c82"),
    ), hf_releases.INPUTS, gallery.INPUTS, epoch_language.INPUTS, benchmark_spread.INPUTS),
    build=build,
)
