"""Builder of data/benchmark_spread.csv: how far apart the leading models' scores are on each benchmark, per
half-year, and the benchmark_homogenization count rows read from it.

Per benchmark and half-year, the pool is every model released on or before the half-year's end, with one score per
model (its best version or setting, dated at its first release). spread_pp = best minus 5th-best score in
percentage points; a row is written only when the pool holds at least 5 models. open_top / closed_top = best
open-weight / best closed score in the pool, open_closed_gap_pp = closed_top - open_top. The pool is cumulative, so
a benchmark that stops receiving models keeps its last spread: n_new says how many models entered in the half-year.

epoch_benchmarking_hub: the external benchmark tables with an accuracy-like headline column (HUB_SCORE_COLUMNS;
ELO, time-horizon, cost and per-context-length tables and those with too few rows are not read) and Epoch's own
runs per task (best score across scorers); model = model_versions `Model`, date = `Version release date`, open =
the version has a Hugging Face developer id (a proxy: community tables lack some closed models). Model dates must
lie in 2018-01-01 .. 2025-11-21 (the extract's commit date).

epoch_open_models: MMLU, GPQA, BBH with the table's Open/Closed column and Date (2018-01-01 .. 2024-11-05).
open_llm_leaderboard_v2: official providers, merges excluded, the normalized 0-100 scores of IFEval, BBH, MATH
Level 5, GPQA, MUSR, MMLU-Pro, dated by Hub upload (the 2022-03-02 legacy-migration date is not a date); all
models open. Leaderboard v1 is not read: its only date is the evaluation date. densing_models_from_paper.csv is
not read: it has neither scores nor densities.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.core.errors import DataValidationError
from forecast.data.build import benchmarks
from forecast.data.build.base import BuildResult, Builder, Input
from forecast.data.build.hf_filters import HF_LEGACY_DATE
from forecast.data.build.periods import Rule, check_dates_in_frame, count_rows, doc_rules, no_rows, \
    period_bounds, series_summary, with_rows
from forecast.data.tables import BENCHMARK_SPREAD

TOP_K = 5
HOMOGENEOUS_PP = 5.0  # seed 000's "差异<5%" read as percentage points on a 0-100 score
HUB = "epoch_benchmarking_hub"
VERSIONS = f"{HUB}/model_versions.csv"
RUNS = f"{HUB}/benchmarks_runs.csv"
HUB_SCORE_COLUMNS = {  # external_benchmark_<name>.csv -> its headline score column (accuracy-like, 0-1 or %)
    "mmlu": "EM", "gsm8k": "EM", "bbh": "Average", "hellaswag": "Overall accuracy", "winogrande": "Accuracy",
    "arc_ai2": "Challenge score", "triviaqa": "EM", "piqa": "Score", "openbookqa": "Accuracy", "boolq": "Score",
    "lambada": "Score", "scienceqa": "Score", "livebench": "Global average", "simple_bench": "Score (AVG@5)",
    "aider_polyglot": "Percent correct", "weirdml": "Accuracy", "terminal_bench": "Accuracy mean",
    "os_world": "Score", "arc_agi": "Score", "videomme": "Overall (no subtitles)", "gso_bench": "Score OPT@1",
    "cybench": "Unguided % Solved", "anli": "Score",
}
LB_BENCHMARKS = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
OPEN_MODELS_BENCHMARKS = ("MMLU", "GPQA", "BBH")
_HUB_LICENSE = "CC BY 4.0 (Epoch AI benchmark data); repository code MIT"
_HUB_ORIGIN = "Epoch AI Benchmarking Hub, epoch-research/benchmark-stitching data/, commit 37d55ed7"
INPUTS = (
    Input(VERSIONS, _HUB_LICENSE, _HUB_ORIGIN), Input(RUNS, _HUB_LICENSE, _HUB_ORIGIN),
    *(Input(f"{HUB}/external_benchmark_{b}.csv", _HUB_LICENSE, _HUB_ORIGIN) for b in HUB_SCORE_COLUMNS),
    *(i for i in benchmarks.BUILDER.inputs if i.relpath in (benchmarks.EPOCH_BENCH, benchmarks.HF_V2)),
)


def to_pp(s: pd.Series) -> pd.Series:
    """Scores as percentage points: '77.0%' -> 77.0; a column whose values are all <= 1 is scaled by 100."""
    txt = s.astype(str).str.strip()
    x = pd.to_numeric(txt.str.rstrip("%"), errors="coerce")
    if not txt.str.endswith("%").any() and x.dropna().le(1.0).all():
        x = x * 100
    return x


def spread_rows(scores: pd.DataFrame, benchmark: str, series: str, source: str, k: int = TOP_K) -> pd.DataFrame:
    """scores: model, date, score (pp), open (bool or NA). One best score per model; cumulative half-year pools."""
    d = scores.dropna(subset=["date", "score"])
    if d.empty:
        return pd.DataFrame(columns=BENCHMARK_SPREAD.column_names)
    d = d.sort_values("score", ascending=False, kind="stable")
    first_date = d.groupby("model")["date"].min()
    d = d.drop_duplicates("model").assign(date=lambda x: x["model"].map(first_date))  # best score, first release
    dates, scores = d["date"].to_numpy(), d["score"].to_numpy(dtype=float)
    is_open, is_closed = (d["open"] == True).to_numpy(), (d["open"] == False).to_numpy()  # noqa: E712 (open may be NA)
    first, _ = period_bounds(d["date"], "H")
    rows = []
    for start in pd.date_range(first.min(), d["date"].max(), freq="6MS"):
        end = start + pd.DateOffset(months=6) - pd.Timedelta(days=1)
        pool = dates <= end.to_datetime64()
        if pool.sum() < k:
            continue
        top = scores[pool]  # still in descending order
        o_top = scores[pool & is_open].max() if (pool & is_open).any() else float("nan")
        c_top = scores[pool & is_closed].max() if (pool & is_closed).any() else float("nan")
        rows.append({"benchmark": benchmark, "period_start": start, "period_end": end, "k": k,
                     "spread_pp": round(top[0] - top[k - 1], 3), "top_score": round(top[0], 3),
                     "n_models": int(pool.sum()), "n_new": int(((dates >= start.to_datetime64()) & pool).sum()),
                     "open_top": o_top, "closed_top": c_top, "open_closed_gap_pp": round(c_top - o_top, 3),
                     "series": series, "source": source})
    return pd.DataFrame(rows, columns=BENCHMARK_SPREAD.column_names)


def hub_versions(versions: pd.DataFrame) -> pd.DataFrame:
    v = with_rows(versions.rename(columns=lambda c: c.strip("\ufeff")), VERSIONS)
    out = pd.DataFrame({"version": v["id"], "model": v["Model"].fillna(v["id"]),
                        "date": pd.to_datetime(v["Version release date"], errors="coerce"),
                        "open": v["Hugging Face developer id"].notna(), "_file": v["_file"], "_row": v["_row"]})
    check_dates_in_frame(out, HUB, "Version release date")
    return out.set_index("version")


def spread_epoch_hub(versions: pd.DataFrame, external: dict[str, pd.DataFrame], runs: pd.DataFrame) -> pd.DataFrame:
    vers = hub_versions(versions)[["model", "date", "open"]]
    parts = []

    def add(name: str, file: str, version: pd.Series, score: pd.Series) -> None:
        s = pd.DataFrame({"version": version.values, "score": to_pp(score).values}).join(vers, on="version", how="inner")
        if s["score"].notna().sum() == 0:
            raise DataValidationError(f"benchmark {name!r} has no score of a known model version", file=file,
                                      column="Model version")
        parts.append(spread_rows(s, name, HUB, f"{HUB} (Epoch AI, CC BY 4.0): {name}"))

    for name, df in external.items():
        col, file = HUB_SCORE_COLUMNS[name], f"{HUB}/external_benchmark_{name}.csv"
        if col not in df.columns:
            raise DataValidationError(f"headline score column {col!r} of benchmark {name!r} is missing", file=file, column=col)
        add(name, file, df["Model version"], df[col])
    r = runs.rename(columns=lambda c: c.strip("\ufeff"))
    for task, g in r.groupby("task"):
        add(f"epoch_run:{task}", RUNS, g["model"], g["Best score (across scorers)"])
    return pd.concat(parts, ignore_index=True)


def spread_epoch_open_models(om: pd.DataFrame) -> pd.DataFrame:
    om = with_rows(om, benchmarks.EPOCH_BENCH)
    base = pd.DataFrame({"model": om["System"], "date": pd.to_datetime(om["Date"], errors="coerce"),
                         "open": om["Open/Closed"].map({"Open": True, "Closed": False}), "_file": om["_file"],
                         "_row": om["_row"]})
    check_dates_in_frame(base, "epoch_open_models", "Date")
    return pd.concat([spread_rows(base.assign(score=to_pp(om[b])), b.lower(), "epoch_open_models",
                                  f"{benchmarks.EPOCH_BENCH} (Epoch AI)") for b in OPEN_MODELS_BENCHMARKS],
                     ignore_index=True)


def spread_leaderboard_v2(lb: pd.DataFrame) -> pd.DataFrame:
    lb = with_rows(lb, benchmarks.HF_V2)
    official = lb["features_is_official_provider"].astype(str).str.upper().eq("TRUE")
    merged = lb["features_is_merged"].astype(str).str.upper().eq("TRUE")
    d = lb[official & ~merged]
    date = pd.to_datetime(d["metadata_upload_date"], errors="coerce")
    d = d.assign(date=date.where(date != HF_LEGACY_DATE))
    check_dates_in_frame(d, "open_llm_leaderboard_v2", "metadata_upload_date")
    source = f"{benchmarks.HF_V2} (HF Open LLM Leaderboard v2; official providers, not merged)"
    return pd.concat([spread_rows(pd.DataFrame({"model": d["model_name"].str.lower(), "date": d["date"], "open": True,
                                                "score": pd.to_numeric(d[f"evaluations_{b}_normalized_score"], errors="coerce")}),
                                  f"lb_v2:{b}", "open_llm_leaderboard_v2", source) for b in LB_BENCHMARKS],
                     ignore_index=True)


def read(shared: Path) -> dict:
    hub = shared / HUB
    return {"versions": pd.read_csv(hub / "model_versions.csv", encoding="utf-8-sig"),
            "runs": pd.read_csv(hub / "benchmarks_runs.csv", encoding="utf-8-sig"),
            "external": {b: pd.read_csv(hub / f"external_benchmark_{b}.csv", encoding="utf-8-sig") for b in HUB_SCORE_COLUMNS},
            "open_models": pd.read_csv(shared / benchmarks.EPOCH_BENCH),
            "leaderboard_v2": pd.read_csv(shared / benchmarks.HF_V2, dtype=str, keep_default_na=False)}


def spread_frame(shared: Path) -> pd.DataFrame:
    inp = read(Path(shared))
    parts = {HUB: spread_epoch_hub(inp["versions"], inp["external"], inp["runs"]),
             "epoch_open_models": spread_epoch_open_models(inp["open_models"]),
             "open_llm_leaderboard_v2": spread_leaderboard_v2(inp["leaderboard_v2"])}
    files = {HUB: VERSIONS, "epoch_open_models": benchmarks.EPOCH_BENCH, "open_llm_leaderboard_v2": benchmarks.HF_V2}
    for series, rows in parts.items():
        if rows.empty:
            raise no_rows(Rule(f"{series}:spread", "benchmark_homogenization", series, files[series], "score", "date", ""),
                          f"no benchmark pool reaches {TOP_K} models")
    out = pd.concat(parts.values(), ignore_index=True)
    for c in ("open_top", "closed_top", "open_closed_gap_pp", "spread_pp", "top_score"):
        out[c] = pd.to_numeric(out[c]).astype("float64")
    return out.sort_values(["series", "benchmark", "period_start"]).reset_index(drop=True)


def homogenization_rows(spread: pd.DataFrame) -> pd.DataFrame:
    """benchmark_homogenization (kind=count, half-years, one series per frame: epoch_benchmarking_hub,
    epoch_open_models, open_llm_leaderboard_v2): n = benchmarks active in the half-year (at least one new model
    entered the pool) whose pool holds at least 5 models; k = those whose top-5 spread (best minus 5th-best score)
    is below 5 percentage points. The threshold is the seed's: 000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型» (分层解读: 上层能力收敛 —
    头部模型在 MMLU 等基准上差异<5%) and «五、收敛层次分析（信通院 2025 框架）» (能力表现层: MMLU 得分差异<5%), read as
    percentage points of a 0-100 score. A benchmark without new models is not counted: its frozen spread says
    nothing about the half-year. Half-years with fewer than 3 active benchmarks are dropped.

    Caveat: a spread below 5 points also occurs at the floor, when every top score is near 0 (the first small models
    uploaded to the leaderboard, FrontierMath Tier 4); such pools count as homogeneous under this rule, and
    top_score in benchmark_spread.csv tells them apart.
    """
    parts = []
    for series, g in spread.groupby("series"):
        active = g[g["n_new"] >= 1]
        active = active.assign(date=active["period_start"], below=active["spread_pp"] < HOMOGENEOUS_PP)
        src = (f"benchmark_spread.csv ({series}): top-{TOP_K} spread < {HOMOGENEOUS_PP:g} pp; threshold 000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型» "
               "and «五、收敛层次分析（信通院 2025 框架）» (MMLU 差异<5%)")
        parts.append(count_rows(active, "below", Rule(f"{series}:benchmark_homogenization", "benchmark_homogenization",
                                                      series, BENCHMARK_SPREAD.filename, "spread_pp", "period_start", src),
                                freq="H"))
    return pd.concat(parts, ignore_index=True)


def count_frame(shared: Path, built: dict) -> tuple[pd.DataFrame, list[str], list[str]]:
    """benchmark_homogenization count rows, from the spread table built in this run (or built now)."""
    spread = built.get("benchmark_spread")
    if spread is None:
        spread = spread_frame(shared)
    return homogenization_rows(spread), doc_rules(None, homogenization_rows.__doc__), []


def build(shared: Path, built: dict) -> BuildResult:
    out = spread_frame(Path(shared))
    notes = series_summary(out, ["series"])
    thin = sorted(set(HUB_SCORE_COLUMNS) - set(out.loc[out["series"] == HUB, "benchmark"]))
    if thin:
        notes.append(f"hub tables read whose pool never reaches {TOP_K} models: " + ", ".join(thin))
    return BuildResult(frame=out, rules=doc_rules(__doc__), notes=notes)


BUILDER = Builder(table="benchmark_spread", inputs=INPUTS, build=build)
