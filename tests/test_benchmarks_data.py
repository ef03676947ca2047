"""The committed data/benchmarks.csv: schema, sources, ranges, base-model filter, error reporting."""
from __future__ import annotations

import pandas as pd
import pytest

from forecast.core import config
from forecast.core.errors import DataValidationError
from forecast.data.schema import read_csv, validate
from forecast.data.tables import BENCHMARKS, load_table

SOURCES = ("epoch_open_models", "obsscaling", "open_llm_leaderboard_v1", "open_llm_leaderboard_v2")
LEADERBOARD = ("open_llm_leaderboard_v1", "open_llm_leaderboard_v2")


@pytest.fixture(scope="module")
def bench() -> pd.DataFrame:
    return load_table("benchmarks")


def test_committed_file_validates(bench):
    assert len(bench) > 0
    assert list(bench.columns) == BENCHMARKS.column_names
    assert not bench.duplicated(list(BENCHMARKS.key)).any()


def test_each_source_present(bench):
    counts = bench["source"].value_counts()
    for s in SOURCES:
        assert counts.get(s, 0) > 0, s
    assert set(bench["source"]) == set(SOURCES)


def test_scores_are_fractions(bench):
    assert bench["score"].between(0.0, 1.0).all()
    # v1 percentages were divided by 100: a leaderboard MMLU near chance (0.25) is not stored as 25
    assert bench.loc[bench["source"] == "open_llm_leaderboard_v1", "score"].max() <= 1.0


def test_active_not_above_total(bench):
    assert (bench["active_parameters"] <= bench["parameters"] * 1.0001).all()
    assert (bench["parameters"] >= 1e8).all()


def test_date_kinds_per_source(bench):
    kinds = bench.groupby("source")["date_kind"].unique().map(set).to_dict()
    assert kinds["epoch_open_models"] == {"release"}
    assert kinds["obsscaling"] == {"release"}
    assert kinds["open_llm_leaderboard_v2"] == {"hub_upload"}
    assert kinds["open_llm_leaderboard_v1"] == {"evaluation"}


def test_canonical_benchmarks(bench):
    expected = {
        "epoch_open_models": {"mmlu", "bbh", "gpqa"},
        "obsscaling": {"mmlu", "arc_c", "hellaswag", "winogrande", "gsm8k", "truthfulqa"},
        "open_llm_leaderboard_v1": {"mmlu", "arc_c", "hellaswag", "winogrande", "gsm8k", "truthfulqa"},
        "open_llm_leaderboard_v2": {"mmlu_pro", "bbh", "gpqa", "math_lvl5", "ifeval", "musr"},
    }
    for src, names in expected.items():
        assert set(bench.loc[bench["source"] == src, "benchmark"]) == names, src


def test_no_finetune_leakage_from_leaderboards(bench):
    lb = bench[bench["source"].isin(LEADERBOARD)]["model"]
    bad = lb[lb.str.contains(r"-instruct|-chat|-it$|-sft|-dpo|merge", case=False)]
    assert bad.empty, sorted(set(bad))[:10]
    # known fine-tunes / chat models must not be there
    for name in ("meta-llama/Llama-2-7b-chat-hf", "mistralai/Mistral-7B-Instruct-v0.2", "google/gemma-2-9b-it"):
        assert name not in set(lb), name


def test_no_moe_without_active_count(bench):
    names = bench["model"].str.lower()
    assert not names.str.contains("mixtral").any()
    # wherever a known MoE appears it must carry a smaller active count
    moe = bench[names.str.contains(r"moe|mixtral|dbrx")]
    assert (moe["active_parameters"] < moe["parameters"]).all()


def test_one_row_per_repo_and_benchmark(bench):
    for src in LEADERBOARD:
        sub = bench[bench["source"] == src]
        assert not sub.duplicated(["model", "benchmark"]).any()
        # every kept repo has all six benchmarks of its leaderboard
        assert (sub.groupby("model").size() == 6).all()


def test_bad_row_reports_row_and_column(tmp_path):
    path = config.data_dir() / BENCHMARKS.filename
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).head(5)
    raw.loc[2, "score"] = "1.7"  # out of [0, 1]
    bad = tmp_path / "benchmarks.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(DataValidationError) as exc:
        read_csv(bad, BENCHMARKS)
    assert exc.value.row == 4  # header is row 1, data row index 2 -> file row 4
    assert exc.value.column == "score"


def test_bad_date_kind_rejected():
    raw = pd.DataFrame([{"model": "m", "date": "2024-01-01", "date_kind": "released", "parameters": "1e9",
                         "active_parameters": "1e9", "benchmark": "mmlu", "score": "0.5", "open_weights": "True",
                         "source": "x"}])
    with pytest.raises(DataValidationError) as exc:
        validate(raw, BENCHMARKS, "mem.csv")
    assert exc.value.row == 2 and exc.value.column == "date_kind"
