"""Builder of data/benchmarks.csv: long-format benchmark scores of base LLMs with dates and sizes.

Input for the Densing-law model (capability density = effective size needed for a score / actual
size, over release date). Four sources, each kept distinct by the `source` column because their
evaluation protocols differ:

- ``epoch_open_models``: Epoch AI's benchmark table (MMLU, BBH, GPQA), release dates.
- ``obsscaling``: Ruan et al. (2024) base-model table (lm-eval-harness, Open LLM Leaderboard v1
  protocol), release dates joined from Epoch's all-models table by written-down name matching.
- ``open_llm_leaderboard_v2``: HF Open LLM Leaderboard v2, pretrained base models, Hub upload dates.
- ``open_llm_leaderboard_v1``: HF Open LLM Leaderboard v1, pretrained base models, evaluation dates.

Every filter is listed in the `rules` of the result (copied to data/SOURCES.md) with row counts.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.data.build.base import BuildResult, Builder, Input
from forecast.data.build.model_names import OBS_ALIASES, OBS_REJECT, match_obsscaling, size_mismatch


EPOCH_BENCH = "epoch_open_models/benchmarks_with_model_accessibility.csv"


EPOCH_ALL = "epoch_all_ai_models/all_ai_models.csv"


OBS = "obsscaling/base_llm_benchmark_eval.csv"


HF_V1 = "open_llm_leaderboard/huggingface_v1.csv"


HF_V2 = "open_llm_leaderboard/huggingface_v2.csv"


SRC_EPOCH = "epoch_open_models"


SRC_OBS = "obsscaling"


SRC_V1 = "open_llm_leaderboard_v1"


SRC_V2 = "open_llm_leaderboard_v2"


COLUMNS = ["model", "date", "date_kind", "parameters", "active_parameters", "benchmark", "score",
           "open_weights", "source"]


MIN_PARAMS = 1e8  # below this: toy / test repos


# --- source column -> canonical benchmark name --------------------------------------------------
EPOCH_BENCHMARKS = {"MMLU": "mmlu", "BBH": "bbh", "GPQA": "gpqa"}


OBS_BENCHMARKS = {"MMLU": "mmlu", "ARC-C": "arc_c", "HellaSwag": "hellaswag", "Winograd": "winogrande",
                  "GSM8K": "gsm8k", "TruthfulQA": "truthfulqa"}


V1_BENCHMARKS = {"mmlu": "mmlu", "arc": "arc_c", "hellaswag": "hellaswag", "winogrande": "winogrande",
                 "gsm8k": "gsm8k", "truthfulqa": "truthfulqa"}


V2_BENCHMARKS = {"mmlu_pro": "mmlu_pro", "bbh": "bbh", "gpqa": "gpqa", "math": "math_lvl5",
                 "ifeval": "ifeval", "musr": "musr"}


# --- base-model filters ---------------------------------------------------------------------------
# names that mark an instruction/chat/preference-tuned, merged or otherwise derived checkpoint
DERIVED_NAME = re.compile(
    r"instruct|chat|(?:^|[-_.])it(?:$|[-_.])|sft|dpo|orpo|kto|rlhf|merge|slerp|distill|uncensored|"
    r"roleplay|orca|vicuna|llava|alpaca|dolly|flan|aya-expanse|llamafied|pruned|gptq|awq|gguf|exl2|tiny-random|"
    r"(?:^|[-_/])test(?:[-_]|$)",
    re.IGNORECASE)


# leaderboard "pretrained" entries from these organisations are experiments derived from other base
# models (embedding swaps, SFT stages, continued training), not independent pretraining runs
DERIVED_ORGS = ("tinycompany/", "ontocord/", "OEvortex/", "FlofloB/")


# MoE: architecture class or the model name (Mixtral, DBRX, Qwen-MoE, DeepSeek-MoE, Jamba, NxM experts)
MOE_ARCH = re.compile(r"mixtral|moe|dbrx|jamba|switchtransformer|deepseek|aria|arctic|grok", re.IGNORECASE)


MOE_NAME = re.compile(r"moe|mixtral|dbrx|jamba|grok-1|camelidae|qwen2idae|deepseek-v2|deepseek-coder-v2|"
                      r"\d+x\d+(?:\.\d+)?[bm]|-a\d+(?:\.\d+)?[bm]\b", re.IGNORECASE)


# Epoch benchmark table: instruction-tuned / chat systems (the table mixes them with base models)
EPOCH_NOT_BASE = re.compile(r"instruct|chat(?!glm2-\d+b-base)|flan|^text-|gpt-3\.5|gpt-4|^o1|claude|gemini|"
                            r"hermes|inflection|reka|yi-large|mistral large$|mistral medium|command r", re.IGNORECASE)


# ObsScaling rows dropped before matching
OBS_DROP = {
    "RWKV/rwkv-raven-14b": "instruction-tuned (Raven = RWKV-4 fine-tuned on instruction data), not a base model",
    "openlm-research/open_llama_7b_v2": "size column says 13.0B for a 7B model (inconsistent row)",
}


# ObsScaling "Model Size (B)" for MoE models mixes total and active counts (Mixtral-8x7B 45 = total,
# Mixtral-8x22B 39 = active, DeepSeek-V2 21 = active, Qwen2-57B-A14B 24 = neither); no active count
# is given, so MoE rows are dropped.
OBS_MOE_FAMILIES = ("Mixtral", "DeepSeek-V2", "DeepSeek-Coder-V2", "DeepSeek-MoE", "Jamba")


# --- what each source's sizes, scores and dates mean (rules in data/SOURCES.md, after the source's filter counts)
EPOCH_SIZING = (
    "epoch_open_models sizing: parameters = `Model size (parameters)`; active_parameters = `Active Parameters` "
    "(thousands separators removed). Dense assumption only for models not known to be MoE (name not matching "
    "Mixtral/DBRX/Grok-1/Jamba/Camelidae/Qwen2idae/DeepSeek-V2/NxM): missing active := total, and missing total := active. "
    "Known-MoE systems are kept only with both counts and active < total; none qualifies, so all are dropped. "
    "Systems without any parameter count are dropped; so are models below 1e8 parameters (T5-Small, 80M).")
V2_SCORES = (
    "open_llm_leaderboard_v2 scores: the raw `evaluations_*_value` columns (already fractions in [0,1]) are used, "
    "NOT HF's `*_normalized_score` (0-100, random baseline subtracted). Benchmarks: MMLU-PRO -> mmlu_pro, BBH -> bbh, "
    "GPQA -> gpqa, MATH Level 5 -> math_lvl5, IFEval -> ifeval, MUSR -> musr. date = HF Hub upload date "
    "(date_kind hub_upload); parameters = `metadata_params_billions` x 1e9; active = total (MoE rows dropped).")
V1_SCORES = (  # {n_v2size}: rows sized from v2
    "open_llm_leaderboard_v1 scores: percent / 100. Benchmarks: arc (ARC-Challenge 25-shot) -> arc_c, hellaswag (10-shot), "
    "mmlu (5-shot), truthfulqa (0-shot MC2), winogrande (5-shot), gsm8k (5-shot). date = leaderboard evaluation "
    "timestamp (date_kind evaluation; not a release date). parameters: v2's `metadata_params_billions` for repos also "
    "in v2 ({n_v2size} kept rows before the size filter), else v1's integer `params_b` (rounded to whole billions; 0 = unknown, "
    "dropped) x 1e9; active = total (MoE dropped).")


def _parse_int(s) -> float:
    if pd.isna(s):
        return np.nan
    t = str(s).replace(",", "").strip()
    try:
        return float(t)
    except ValueError:
        return np.nan


def _long(frame: pd.DataFrame, bench_map: dict[str, str], date_kind: str, source: str, scale: float = 1.0) -> pd.DataFrame:
    """One source's kept rows, wide (one column per benchmark) -> long rows of the table; drops missing scores."""
    frame = frame[["model", "date", "parameters", "active_parameters", "open_weights", *bench_map]]
    parts = []
    for col, canon in bench_map.items():
        part = frame.drop(columns=[c for c in bench_map if c != col]).rename(columns={col: "score"})
        part["benchmark"] = canon
        part["score"] = pd.to_numeric(part["score"], errors="coerce") / scale
        parts.append(part[part["score"].notna()])
    out = pd.concat(parts, ignore_index=True)
    out["date_kind"], out["source"] = date_kind, source
    return out


def _dropped(source: str, lists: dict[str, list[str]]) -> list[str]:
    """Notes listing what a source dropped, one per reason: '<source> dropped<reason>: a, b, c'."""
    return [f"{source} dropped{reason}: " + ", ".join(names) for reason, names in lists.items()]


def _epoch(shared: Path, rules: list[str], notes: list[str]) -> pd.DataFrame:
    raw = pd.read_csv(shared / EPOCH_BENCH)
    n0 = len(raw)
    df = raw.copy()
    df["date"] = pd.to_datetime(df["Date"], errors="coerce")
    df["total"] = pd.to_numeric(df["Model size (parameters)"], errors="coerce")
    df["active"] = df["Active Parameters"].map(_parse_int)
    df["moe"] = df["System"].str.contains(MOE_NAME)
    not_base = df["System"].str.contains(EPOCH_NOT_BASE)
    has_score = df[list(EPOCH_BENCHMARKS)].notna().any(axis=1)
    df = df[df["date"].notna() & has_score & ~not_base]
    n1 = len(df)
    # sizing: total from `Model size (parameters)`; for a dense (not known-MoE) model with only an
    # `Active Parameters` value, total = active (dense: every parameter is active)
    dense_fill = df["total"].isna() & df["active"].notna() & ~df["moe"]
    df.loc[dense_fill, "total"] = df.loc[dense_fill, "active"]
    # dense assumption the other way: no active count and not known MoE -> active = total
    dense_active = df["active"].isna() & df["total"].notna() & ~df["moe"]
    df.loc[dense_active, "active"] = df.loc[dense_active, "total"]
    # known MoE: need both counts, and active < total (Epoch lists DeepSeek-V2 active = total = 236B)
    moe_bad = df["moe"] & (df["total"].isna() | df["active"].isna() | (df["active"] >= df["total"]))
    unsized = df["total"].isna() | df["active"].isna()
    dropped_moe = sorted(df.loc[moe_bad, "System"])
    dropped_unsized = sorted(df.loc[unsized & ~moe_bad, "System"])
    df = df[~moe_bad & ~unsized]
    df = df[df["total"] >= MIN_PARAMS]
    n2 = len(df)
    df = df.rename(columns={"System": "model"})
    df["parameters"], df["active_parameters"] = df["total"], df["active"]
    df["open_weights"] = df["Open/Closed"].map({"Open": True, "Closed": False})
    out = _long(df, EPOCH_BENCHMARKS, "release", SRC_EPOCH)
    rules.append(
        f"epoch_open_models: {n0} systems in `benchmarks_with_model_accessibility.csv`; kept systems with a `Date`, "
        f"at least one of MMLU/BBH/GPQA, and not instruction/chat-tuned or a closed chat product "
        f"(name matches instruct/chat/Flan/text-*/GPT-3.5/GPT-4/o1/Claude/Gemini/Hermes/Inflection/Reka/Yi-Large/"
        f"Mistral Large|Medium/Command R; ChatGLM2-*-base kept): {n1}; sized: {n2} systems, {len(out)} rows. "
        f"Scores are Epoch's fractions in [0,1], used as is (not clipped); `Trust in benchmark results` is not used as a filter.")
    rules.append(EPOCH_SIZING)
    notes += _dropped(SRC_EPOCH, {" MoE (no usable total+active pair)": dropped_moe, ", no parameter count": dropped_unsized})
    return out


def _obsscaling(shared: Path, rules: list[str], notes: list[str]) -> tuple[pd.DataFrame, dict]:
    raw = pd.read_csv(shared / OBS)
    allm = pd.read_csv(shared / EPOCH_ALL)
    allm["date"] = pd.to_datetime(allm["Publication date"], errors="coerce")
    df = raw.copy()
    n0 = len(df)
    moe = df["Model Family"].isin(OBS_MOE_FAMILIES) | df["Model"].str.contains(MOE_NAME)
    dropped_moe = sorted(df.loc[moe, "Model"])
    drop = df["Model"].isin(list(OBS_DROP))
    df = df[~moe & ~drop]
    n1 = len(df)
    matched, unmatched = match_obsscaling(df["Model"].tolist(), allm)
    df = df[df["Model"].isin(list(matched))].copy()
    df["date"] = df["Model"].map(lambda m: matched[m][1])
    df["parameters"] = df["Model Size (B)"] * 1e9
    df = df[df["parameters"] >= MIN_PARAMS]
    df["active_parameters"] = df["parameters"]
    df["open_weights"] = True
    df = df.rename(columns={"Model": "model"})
    out = _long(df, OBS_BENCHMARKS, "release", SRC_OBS)
    rate = len(matched) / n1 if n1 else 0.0
    rules.append(
        f"obsscaling: {n0} models; dropped {len(dropped_moe)} MoE models (families {', '.join(OBS_MOE_FAMILIES)}, "
        f"or MoE name; the file's `Model Size (B)` mixes total and active counts for them and gives no active count) "
        f"and {len(OBS_DROP)} rows listed in OBS_DROP ({'; '.join(f'{k}: {v}' for k, v in OBS_DROP.items())}): {n1} models. "
        f"Release date = Epoch all-models `Publication date` of the matched model; matched {len(matched)}/{n1} "
        f"({rate:.0%}); unmatched models are dropped (listed under Notes), not dated by guess. "
        f"Kept {df['model'].nunique()} models >= 1e8 parameters, {len(out)} rows. parameters = `Model Size (B)` x 1e9 (dense, "
        f"active = total). Scores are the file's fractions; `Winograd` is WinoGrande (5-shot, v1 protocol) -> `winogrande`.")
    rules.append(
        "obsscaling name matching: both names normalized by `norm_name` (lower case; HF org prefix and trailing "
        "-hf/-base/-FP8 removed; 'meta-llama-' -> 'llama-'; '_' between digits -> '.'; keep only letters, digits and '.'), "
        "e.g. 'meta-llama/Llama-2-7b-hf' and 'Llama 2-7B' -> 'llama27b'; a match needs one Epoch date for the key "
        "(several Epoch rows with different dates = ambiguous = unmatched). Explicit aliases for the same checkpoint: "
        + "; ".join(f"{k} -> {v}" for k, v in OBS_ALIASES.items())
        + ". Rejected automatic match: " + "; ".join(f"{k} ({v})" for k, v in OBS_REJECT.items())
        + ". Sibling sizes or variants (e.g. pythia-*-deduped vs Pythia-12b, starcoderbase vs StarCoder) are not matched.")
    notes.append(f"obsscaling unmatched ({len(unmatched)} of {n1}; no release date in Epoch all-models, dropped): "
                 + "; ".join(f"{k} [{v}]" for k, v in sorted(unmatched.items())))
    notes += _dropped(SRC_OBS, {" MoE": dropped_moe})
    notes.append("obsscaling matches: " + "; ".join(f"{k} -> {v[0]} ({v[1].date()})" for k, v in sorted(matched.items())))
    return out, {"matched": len(matched), "candidates": n1}


def _precision_rank(p: pd.Series) -> pd.Series:
    return p.map({"bfloat16": 0, "float16": 1}).fillna(2)


class _Filter:
    """A leaderboard frame narrowed step by step; each step's label and remaining row count are written down."""

    def __init__(self, frame: pd.DataFrame, name: str):
        self.df, self.steps, self.n0, self.name = frame.copy(), [], len(frame), name  # name: the repo-id column

    def keep(self, mask: pd.Series, label: str) -> None:
        self.df = self.df[mask.reindex(self.df.index, fill_value=False)]
        self.steps.append(f"{label}: {len(self.df)}")

    def names(self, mask: pd.Series) -> list[str]:
        """The repos where `mask` holds, sorted (to list what a step drops)."""
        return sorted(set(self.df.loc[mask, self.name]))

    def sized(self, label: str) -> list[str]:
        """Keep repos of at least MIN_PARAMS whose parameter count agrees with the size in their name; the repos
        dropped for disagreeing."""
        self.keep(self.df["parameters"] >= MIN_PARAMS, label)
        bad = size_mismatch(self.df[self.name], self.df["parameters"])
        dropped = self.names(bad)
        self.keep(~bad, "parameter count within 2x of the size stated in the repo name (if any)")
        return dropped

    def one_per_repo(self, precision: str, label: str, newest: str, newest_label: str) -> None:
        """Keep 16-bit evaluations, then one row per repo: bfloat16 first, then float16, then the newest."""
        self.keep(self.df[precision].isin(["bfloat16", "float16"]), label)
        self.df = self.df.assign(_p=_precision_rank(self.df[precision]))
        self.df = self.df.sort_values([self.name, "_p", newest], ascending=[True, True, False]).drop_duplicates(self.name)
        self.steps.append(f"one row per repo (prefer bfloat16, then float16, then {newest_label}): {len(self.df)}")

    def rule(self, source: str, rows: int) -> str:
        return f"{source}: {self.n0} rows; " + "; ".join(self.steps) + f" repos, {rows} rows."


def _hf_v2(shared: Path, rules: list[str], notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(shared / HF_V2)
    flt = _Filter(raw, "model_name")
    keep = flt.keep
    keep(flt.df["model_type"] == "pretrained", "`model_type` == pretrained")
    keep(flt.df["metadata_generation"] == 0, "`metadata_generation` == 0 (not derived from another model)")
    keep(~flt.df["features_is_merged"].astype(bool) & ~flt.df["features_is_flagged"].astype(bool), "not `features_is_merged`, not `features_is_flagged`")
    keep(flt.df["model_weight_type"] == "Original", "`model_weight_type` == Original")
    keep(~flt.df["model_name"].str.contains(DERIVED_NAME) & ~flt.df["model_name"].str.startswith(DERIVED_ORGS),
         "name not instruct/chat/-it/SFT/DPO/merge/Orca/Vicuna/LLaVA/Alpaca/Dolly/Flan/Aya-Expanse/llamafied/pruned/GPTQ/AWQ/GGUF/test/tiny-random, org not in " + "/".join(o.rstrip('/') for o in DERIVED_ORGS))
    moe = flt.df["features_is_moe"].astype(bool) | flt.df["model_architecture"].fillna("").str.contains(MOE_ARCH) | flt.df["model_name"].str.contains(MOE_NAME)
    dropped_moe = flt.names(moe)
    keep(~moe, "not MoE (`features_is_moe`, MoE architecture class or name; v2 gives no active count)")
    flt.df["date"] = pd.to_datetime(flt.df["metadata_upload_date"], errors="coerce")
    keep(flt.df["date"].notna(), "has `metadata_upload_date`")
    migrated = flt.names(flt.df["date"] == pd.Timestamp("2022-03-02"))
    keep(flt.df["date"] != pd.Timestamp("2022-03-02"), "upload date != 2022-03-02 (Hub migration placeholder for pre-2022 repos)")
    flt.df["parameters"] = pd.to_numeric(flt.df["metadata_params_billions"], errors="coerce") * 1e9
    flt.df["_s"] = pd.to_datetime(flt.df["metadata_submission_date"], errors="coerce")
    bad_size = flt.sized(">= 1e8 parameters")
    flt.one_per_repo("model_precision", "precision bfloat16/float16 (no quantized evaluations)", "_s", "latest submission")
    flt.df = flt.df.rename(columns={"model_name": "model"})
    flt.df["active_parameters"] = flt.df["parameters"]
    flt.df["open_weights"] = True
    cols = {f"evaluations_{k}_value": v for k, v in V2_BENCHMARKS.items()}
    out = _long(flt.df, cols, "hub_upload", SRC_V2)
    rules += [flt.rule(SRC_V2, len(out)), V2_SCORES]
    notes += _dropped(SRC_V2, {" MoE": dropped_moe, ", size in name disagrees with `metadata_params_billions`": bad_size,
                               " (upload date is the 2022-03-02 Hub placeholder)": migrated})
    return out, raw


def _hf_v1(shared: Path, v2raw: pd.DataFrame, rules: list[str], notes: list[str]) -> pd.DataFrame:
    raw = pd.read_csv(shared / HF_V1)
    flt = _Filter(raw, "model")
    keep = flt.keep
    keep(flt.df["t"] == "🟢", "`t` == 🟢 pretrained")
    # v1 booleans are inverted (PROVENANCE.md, "Caveats": "The v1 booleans are inverted."): FALSE means merged / flagged
    keep(flt.df["merged"].astype(bool) & flt.df["flagged"].astype(bool), "not merged, not flagged (inverted columns: keep `merged`==TRUE and `flagged`==TRUE)")
    keep(flt.df["weight_type"] == "Original", "`weight_type` == Original")
    keep(~flt.df["model"].str.contains(DERIVED_NAME), "name not instruct/chat/-it/SFT/DPO/merge/Orca/Vicuna/LLaVA/Alpaca/Dolly/Flan/Aya-Expanse/llamafied/pruned/GPTQ/AWQ/GGUF/test/tiny-random")
    moe = flt.df["architecture"].fillna("").str.contains(MOE_ARCH) | flt.df["model"].str.contains(MOE_NAME)
    dropped_moe = flt.names(moe)
    keep(~moe, "not MoE (architecture class or name; the inverted `moe` flag is a name heuristic with false "
               "positives such as Qwen1.5 dense models and is not used)")
    flt.df["date"] = pd.to_datetime(flt.df["date"], errors="coerce", utc=True, format="ISO8601").dt.tz_localize(None).dt.normalize()
    keep(flt.df["date"].notna(), "has evaluation `date`")
    # parameters: v1 `params_b` is integer billions (0 = unknown); use v2's 3-decimal count for the same repo
    v2p = v2raw.groupby("model_name")["metadata_params_billions"].max()
    v2p = v2p[v2p > 0]
    flt.df["parameters"] = flt.df["model"].map(v2p).fillna(flt.df["params_b"].where(flt.df["params_b"] > 0)) * 1e9
    n_v2size = int(flt.df["model"].isin(v2p.index).sum())
    bad_size = flt.sized(">= 1e8 parameters (unknown size dropped)")
    flt.one_per_repo("precision", "precision bfloat16/float16 (no 4bit/8bit/GPTQ evaluations)", "date", "latest evaluation")
    flt.df["active_parameters"] = flt.df["parameters"]
    flt.df["open_weights"] = True
    out = _long(flt.df, V1_BENCHMARKS, "evaluation", SRC_V1, scale=100.0)
    rules += [flt.rule(SRC_V1, len(out)), V1_SCORES.format(n_v2size=n_v2size)]
    notes += _dropped(SRC_V1, {" MoE": dropped_moe, ", size in name disagrees with the parameter count": bad_size})
    return out


def build(shared: Path, built: dict) -> BuildResult:
    shared = Path(shared)
    rules: list[str] = [
        "One row per (model, benchmark, source); scores are fractions correct in [0,1]; models are base (pretrained) "
        "checkpoints; toy/test repos and models below 1e8 parameters are dropped in every source.",
        "Canonical benchmark names: mmlu, bbh, gpqa, arc_c, hellaswag, winogrande, gsm8k, truthfulqa, mmlu_pro, "
        "math_lvl5, ifeval, musr. Same protocol across sources: obsscaling and open_llm_leaderboard_v1 (both lm-eval-harness, "
        "v1 leaderboard settings) for mmlu, arc_c, hellaswag, winogrande, gsm8k, truthfulqa. NOT the same protocol: "
        "epoch_open_models mmlu/bbh/gpqa (developer-reported or third-party numbers, mixed shot counts and prompts, "
        "see Epoch's notes) vs v1/obsscaling mmlu (5-shot harness) vs v2 bbh/gpqa (v2 harness: 3-shot BBH, 0-shot GPQA, "
        "normalized prompts). Compare scores only within one `source`.",
    ]
    notes: list[str] = []
    parts = [_epoch(shared, rules, notes)]
    obs, _ = _obsscaling(shared, rules, notes)
    parts.append(obs)
    v2, v2raw = _hf_v2(shared, rules, notes)
    parts.append(v2)
    parts.append(_hf_v1(shared, v2raw, rules, notes))
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    out["open_weights"] = out["open_weights"].astype("boolean")
    out = out.sort_values(["source", "model", "benchmark"]).reset_index(drop=True)
    counts = out.groupby("source").size()
    rules.append("Rows per source: " + ", ".join(f"{s} {n}" for s, n in counts.items()) + f"; total {len(out)}.")
    return BuildResult(frame=out, rules=rules, notes=notes)


BUILDER = Builder(
    table="benchmarks",
    inputs=(
        Input(EPOCH_BENCH, license="none stated (repository has no LICENSE)",
              origin="Epoch AI, GitHub epoch-research/open-model-trends @ a72b3e93"),
        Input(EPOCH_ALL, license="CC BY 4.0 (Epoch AI)",
              origin="Epoch AI 'Data on AI Models', mirror simsharmaa/INFSCI1520 @ 295b483d"),
        Input(OBS, license="Apache-2.0", origin="Ruan, Maddison, Hashimoto 2024, GitHub ryoungj/ObsScaling @ 4d6e1e43"),
        Input(HF_V2, license="MPL-2.0 (scrape repository); data from the HF Open LLM Leaderboard v2",
              origin="Hugging Face Open LLM Leaderboard v2, scraped by fboulnois/llm-leaderboard-csv @ 0f4e5c69"),
        Input(HF_V1, license="MPL-2.0 (scrape repository); data from the HF Open LLM Leaderboard v1",
              origin="Hugging Face Open LLM Leaderboard v1 (archived), scraped by fboulnois/llm-leaderboard-csv @ 0f4e5c69"),
    ),
    build=build,
)
