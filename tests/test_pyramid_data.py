"""The convergence-pyramid data rules on small hand-made frames (edge cases included), the bad-input errors (file, row,
column; nothing written), and the tables `forecast data build` writes from them."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forecast.core.errors import DataValidationError
from forecast.data.build import benchmark_spread as bs
from forecast.data.build import epoch_language as ep
from forecast.data.build import gallery as gal
from forecast.data.build import hf_releases as hf
from forecast.data.build.hf_model_types import attention_variant, name_family
from forecast.data.build.periods import MIN_N, Rule, bucket, check_technologies, count_rows, variant_rows
from forecast.data.schema import read_csv
from forecast.data.tables import ADOPTION_OBSERVATIONS, BENCHMARK_SPREAD, VARIANT_COUNTS, load_table

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
RULE = Rule("test_rule", "moe", "hf_open_llm_releases", "some/input.json", "architecture", "release_date", "src")


# ---------------------------------------------------------------------------------------------------------------
# hand-made inputs

def hf_row(name, date="2025-02-10", arch="llama", params=7e9, **kw):
    row = {"name": name, "provider": name.split("/")[0], "parameters_raw": params, "context_length": 32768,
           "use_case": "General purpose text generation", "pipeline_tag": "text-generation", "architecture": arch,
           "release_date": date}
    row.update(kw)
    return row


def hf_frames(rows03, rows05=()):
    hf03 = pd.DataFrame(list(rows03))
    hf05 = pd.DataFrame(list(rows05)) if rows05 else pd.DataFrame(columns=["name", "release_date", "architecture"])
    return hf03, hf05


def releases(rows03, rows05=()):
    return hf.releases(*hf_frames(rows03, rows05))[0]


def epoch_df(rows):
    cols = ["Model", "Domain", "Publication date", "Training hardware", "Base model", "Model accessibility",
            "Organization", "Country (of organization)"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols).pipe(lambda d: d.assign(_file="e.csv", _row=d.index + 2))


def lm(rows, series=ep.NOTABLE):
    return ep.language_models(epoch_df(rows), series)


def gallery_df(**cols):
    g = pd.DataFrame(cols)
    return g.assign(_file=gal.GALLERY_TSV, _row=g.index + 2)


def frame(dates, flags):
    return pd.DataFrame({"date": pd.to_datetime(dates), "f": flags})


# ---------------------------------------------------------------------------------------------------------------
# periods and row makers

def test_count_rows_drops_thin_quarters_and_missing_dates():
    out = count_rows(frame(["2024-01-05", "2024-02-01", "2024-03-31", "2024-04-02", None], [True, False, True, True, True]),
                     "f", RULE)
    assert list(out.columns) == ADOPTION_OBSERVATIONS.column_names
    assert len(out) == 1  # 2024Q2 has n=1 < MIN_N; the undated row is ignored
    r = out.iloc[0]
    assert (r.period_start, r.period_end, r.k, r.n, r.kind) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"), 2, 3, "count")


def test_count_rows_empty_frame_raises_naming_the_rule():
    with pytest.raises(DataValidationError) as e:
        count_rows(frame([], []), "f", RULE)
    assert "test_rule" in str(e.value) and e.value.file == "some/input.json" and e.value.column == "architecture"


def test_variant_rows_half_years_and_thin_periods():
    df = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-06-30", "2025-03-01", "2025-07-01", "2025-08-01"]),
                       "v": ["GQA", "GQA", "MHA", "GQA", None]})
    out = variant_rows(df, "v", RULE)
    assert list(out.columns) == VARIANT_COUNTS.column_names
    assert set(out["period_start"]) == {pd.Timestamp("2025-01-01")}  # H2 has only one labelled model
    assert out.set_index("variant")["k"].to_dict() == {"GQA": 2, "MHA": 1}
    assert out["period_end"].iloc[0] == pd.Timestamp("2025-06-30")


def test_bucket():
    assert bucket(8, hf.EXPERT_BUCKETS) == "<=8"
    assert bucket(128, hf.EXPERT_BUCKETS) == "65-128"
    assert bucket(256, hf.EXPERT_BUCKETS) == ">128"
    assert bucket(None, hf.EXPERT_BUCKETS) is None
    assert bucket(131072, hf.CONTEXT_BUCKETS) == "128K-<256K"
    assert bucket(32768, hf.CONTEXT_BUCKETS) is None


# ---------------------------------------------------------------------------------------------------------------
# hf_open_llm_releases

def test_hf_filters_reuploads_derived_names_and_legacy_dates():
    rows = [hf_row("meta/Llama-A-8B"), hf_row("meta/Llama-B-8B"), hf_row("meta/Llama-C-8B"),
            hf_row("lmstudio-community/Llama-D-8B"),       # re-upload account
            hf_row("someone/Llama-E-8B-AWQ"),              # quantized
            hf_row("meta/Llama-F-8B", date="2022-03-02"),  # legacy migration date
            hf_row("meta/Llama-G-8B", date=None),          # no date anywhere
            hf_row("meta/tiny", params=5e5),               # toy
            hf_row("x/embed", arch="bert")]                # non-generative
    rel, notes = hf.releases(*hf_frames(rows))
    assert sorted(rel["name"]) == ["meta/Llama-A-8B", "meta/Llama-B-8B", "meta/Llama-C-8B"]
    assert any("re-upload" in n for n in notes)


def test_hf_release_collapse_and_2026_05_join():
    rows03 = [hf_row("q/Model-X-7B", date="2025-01-10"), hf_row("q/Model-X-7B-Instruct", date="2025-01-20"),
              hf_row("mirror/Model-X-7B", date="2025-02-01"), hf_row("q/Model-Y-7B", date=None)]
    rows05 = [{"name": "q/Model-Y-7B", "release_date": "2025-03-01", "architecture": "llama",
               "num_attention_heads": 32, "num_key_value_heads": 8},
              {"name": "q/Model-X-7B", "release_date": None, "architecture": "llama",
               "num_attention_heads": 32, "num_key_value_heads": 32},
              {"name": "new/Only-05-1B", "release_date": "2025-03-05", "architecture": "qwen3", "parameters_raw": 1e9,
               "num_attention_heads": 16, "num_key_value_heads": 1}]
    rel = releases(rows03, rows05).set_index("key")
    assert len(rel) == 3  # Model-X base/instruct/mirror collapse; Model-Y dated from 2026-05; Only-05 added
    assert rel.loc["model-x-7b", "date"] == pd.Timestamp("2025-01-10")  # earliest date kept
    assert rel.loc["model-x-7b", "attention_variant"] == "MHA"
    assert rel.loc["model-y-7b", "attention_variant"] == "GQA"
    assert rel.loc["only-05-1b", "attention_variant"] == "MQA"


@pytest.mark.parametrize("arch,heads,kv,expected", [
    ("llama", 32, 32, "MHA"), ("llama", 32, 8, "GQA"), ("gemma", 8, 1, "MQA"), ("deepseek_v3", 128, 128, "MLA"),
    ("llama", None, None, None), ("llama", 32, 0, None)])
def test_attention_variant(arch, heads, kv, expected):
    assert attention_variant(arch, heads, kv) == expected


def test_hf_feature_rules_and_unknown_labels():
    rel = releases([hf_row("a/Mamba-1", arch="mamba", params=3e9),                       # pure SSM
                    hf_row("a/Jamba-1", arch="jamba"),                                   # hybrid -> attention
                    hf_row("a/Flan-1", arch="t5", params=4e9),                           # encoder-decoder, edge
                    hf_row("a/Mystery-1", arch="unknown", params=None),                  # unknown type / size
                    hf_row("a/Qwen-Coder-1", use_case="Code generation and completion"),
                    hf_row("a/DeepSeek-R1-Distill-1"), hf_row("a/QwQ-32B"),
                    hf_row("a/Vis-1", pipeline_tag="image-text-to-text"),
                    hf_row("a/Vis-2", arch="qwen2_5_vl"),
                    hf_row("a/R10-model")])                                              # 'r10' is not 'r1'
    for tech in ("transformer", "attention"):  # one measurement, two technologies
        t = hf.count_rows_hf(rel, tech).iloc[0]
        assert (t.k, t.n, t.series) == (8, 9, "hf_open_llm_releases")  # unknown type left out of the frame
    d = hf.count_rows_hf(rel, "decoder_only").iloc[0]
    assert (d.k, d.n) == (8, 9)
    assert hf.count_rows_hf(rel, "code_specialization").iloc[0].k == 1
    assert hf.count_rows_hf(rel, "reasoning").iloc[0].k == 2
    e = hf.count_rows_hf(rel, "edge_inference").iloc[0]
    assert (e.k, e.n) == (2, 9)  # 3e9 and exactly 4e9 count; unknown size left out
    assert hf.count_rows_hf(rel, "multimodal_fusion").iloc[0].k == 2


def test_hf_variants_moe_experts_and_context():
    rows = [hf_row(f"m/Moe-{i}", arch="qwen3_moe", num_experts=e, context_length=c)
            for i, (e, c) in enumerate([(128, 262144), (8, 131072), (256, 1_048_576), (None, 32768)])]
    rel = releases(rows)
    moe = hf.variant_rows(rel[rel["moe"] == True].assign(v=lambda d: d["experts"].map(  # noqa: E712
        lambda x: bucket(x, hf.EXPERT_BUCKETS))), "v", hf.rule("moe", "num_experts"))
    assert moe.set_index("variant")["k"].to_dict() == {"65-128": 1, "<=8": 1, ">128": 1}
    lc = hf.variant_rows(rel.assign(v=rel["ctx"].map(lambda x: bucket(x, hf.CONTEXT_BUCKETS))), "v",
                         hf.rule("long_context", "context_length"))
    assert lc.set_index("variant")["k"].to_dict() == {"128K-<256K": 1, "256K-<1M": 1, ">=1M": 1}


def test_name_family():
    assert name_family("qwen3_moe") == "qwen"
    assert name_family("mixtral") == "mistral"
    assert name_family("t5") == "t5"
    assert name_family("unknown") is None
    assert ep.base_family("Qwen/Qwen2.5-14B,Whisper") == "qwen"


# ---------------------------------------------------------------------------------------------------------------
# epoch_*_language_models

@pytest.mark.parametrize("chip,vendor", [
    ("NVIDIA H100 SXM5 80GB", "nvidia"), ("Nvidia H100 80G", "nvidia"), ("Google TPU v4", "google_tpu"),
    ("Huawei Ascend 910B", "china_domestic"), ("Ascend (昇腾) 910", "china_domestic"), ("MTT S4000", "china_domestic"),
    ("AMD Instinct MI300X", "amd"), ("Amazon Trainium1", "amazon"), ("Some New Chip", "other")])
def test_chip_vendor(chip, vendor):
    assert ep.chip_vendor(chip) == vendor


def test_model_vendor():
    assert ep.model_vendor("NVIDIA A100,NVIDIA H100 SXM5 80GB") == "nvidia"
    assert ep.model_vendor("Amazon Trainium1,NVIDIA A100") == "multiple"
    assert ep.model_vendor("") is None and ep.model_vendor(None) is None


def test_epoch_hardware_frame():
    frame_ = lm([("a", "Language", "2023-01-10", "NVIDIA A100", None, None, "X"),
                 ("b", "Language,Vision", "2023-02-10", "Google TPU v4", None, None, "X"),
                 ("c", "Multimodal,Language", "2023-03-10", "Amazon Trainium1,NVIDIA A100", None, None, "X"),
                 ("d", "Language", "2023-03-11", None, None, None, "X"),                 # no hardware: not in frame
                 ("e", "Vision", "2023-03-12", "NVIDIA A100", None, None, "X"),          # not a language model
                 ("f", "Language", "2017-03-12", "NVIDIA A100", None, None, "X"),        # before the frame starts
                 ("g", "Language", None, "NVIDIA A100", None, None, "X")])               # no date
    out = ep.hardware_rows(frame_, ep.NOTABLE)
    assert len(out) == 1 and (out.iloc[0].k, out.iloc[0].n) == (2, 3)
    hw = variant_rows(frame_, "vendor", ep.rule("hardware_ecosystem", ep.NOTABLE, "Training hardware"), "Y")
    assert hw.set_index("variant")["k"].to_dict() == {"nvidia": 1, "google_tpu": 1, "multiple": 1}


def test_epoch_multimodal_open_weights_and_no_finetune_adoption():
    frame_ = lm([("a", "Language", "2024-01-10", "NVIDIA A100", "Llama 2-70B", "Open weights (unrestricted)", "Meta AI"),
                 ("b", "Language,Vision", "2024-02-10", "NVIDIA A100", None, "API access", "OpenAI"),
                 ("c", "Language", "2024-03-10", "NVIDIA A100", " ", None, "Google"),
                 ("d", "Language", "2024-03-11", "NVIDIA A100", "Mistral 7B", "Open weights (non-commercial)", "Mistral AI")])
    mm = ep.multimodal_rows(frame_).iloc[0]
    assert (mm.k, mm.n) == (1, 4)
    ow = ep.open_weights_shares(frame_).loc[2024]
    assert (ow.k, ow.n) == (2, 3)  # blank accessibility left out
    china = lm([(m, "Language", d, hw, None, None, "Lab", "China") for m, d, hw in
                [("e", "2024-01-10", "Huawei Ascend 910B"), ("f", "2024-02-10", "NVIDIA A100"), ("g", "2024-03-10", "NVIDIA A100")]], ep.ALL)
    counts = ep.count_rows_epoch({ep.NOTABLE: frame_, ep.ALL: pd.concat([frame_, china], ignore_index=True)})
    assert "pretrain_finetune" not in set(counts["technology"])  # fine-tunes are derivative models, not adoption
    assert "open weights" not in " ".join(counts["technology"])
    with pytest.raises(DataValidationError, match="fewer than 3"):  # two named bases (< MIN_N) in the only year
        variant_rows(frame_, "base_family", ep.rule("pretrain_finetune", ep.NOTABLE, "Base model"), "Y")


def test_epoch_top6_orgs_ties_and_first_org():
    orgs = ["A", "A", "B", "C", "D", "E", "F", "G,A", "H"]
    out = ep.cr6_rows(lm([(f"m{i}", "Language", f"2024-0{1 + i % 3}-15", None, None, None, o) for i, o in enumerate(orgs)]))
    # A (2) then alphabetical B, C, D, E, F among the ties of 1 -> G and H are outside the top 6
    assert out["k"].sum() == 7 and out["n"].sum() == 9
    assert set(out["technology"]) == {"foundation_model_market"}
    assert ep.first_org("Google DeepMind,Google") == "Google DeepMind"


# ---------------------------------------------------------------------------------------------------------------
# llm_architecture_gallery

def test_gallery_parsing():
    assert gal.parse_context("128,000") == 128000
    assert gal.parse_context("128K input, 64K output") == 128000
    assert gal.parse_context("No explicit limit") is None
    assert gal.attention_label("MLA with DeepSeek Sparse Attention") == "MLA"
    assert gal.attention_label("3:1 Gated DeltaNet and Gated Attention") == "linear_hybrid"
    assert gal.attention_label("Multi-query attention with QK-Norm") == "MQA"
    assert gal.attention_label("No self-attention; mLSTM recurrent layers") == "none"
    assert gal.attention_label("5:1 sliding-window/global attention") == "other"
    assert gal.active_fraction("671B total, 37B active (5.5% active)") == 5.5


def test_gallery_rules():
    g = gal.frame(gallery_df(
        Date=["2025-01-05", "2025-02-05", "2025-03-05", None],
        **{"Decoder type": ["Sparse MoE", "Dense", "Sparse hybrid", "Dense"],
           "Attention": ["MLA", "GQA", "3:1 Gated DeltaNet and Gated Attention", "GQA"],
           "Layer mix": ["61 MLA", "32 GQA", "12 gated attention + 36 DeltaNet", "x"],
           "Context (tokens)": ["128,000", "No explicit limit", "262,144", "8,192"],
           "Scale": ["671B total, 37B active (5.5% active)", "8B parameters", "80B total, 3B active (3.8% active)", ""]}))
    moe = gal.rows_for(g, "moe").iloc[0]
    assert (moe.k, moe.n) == (2, 3)  # 'Sparse hybrid' is a sparse (MoE) model; the undated row is left out
    assert gal.rows_for(g, "ssm_hybrid").iloc[0].k == 1
    assert gal.rows_for(g, "attention").iloc[0].k == 3
    with pytest.raises(DataValidationError, match="llm_architecture_gallery:long_context"):
        gal.rows_for(g, "long_context")  # only 2 rows with a numeric context (< MIN_N): the rule yields no row


# ---------------------------------------------------------------------------------------------------------------
# benchmark spread and benchmark_homogenization

def test_to_pp():
    assert bs.to_pp(pd.Series(["77.0%", "80.5%"])).tolist() == [77.0, 80.5]
    assert bs.to_pp(pd.Series([0.5, 0.85])).tolist() == [50.0, 85.0]
    assert bs.to_pp(pd.Series([55.0, 82.35])).tolist() == [55.0, 82.35]


def test_spread_rows_top5_best_per_model_and_gap():
    s = pd.DataFrame({
        "model": ["a", "a", "b", "c", "d", "e", "f"],
        "date": pd.to_datetime(["2024-01-10", "2024-08-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01",
                                "2024-09-01"]),
        "score": [80, 90, 85, 70, 60, 50, 88],
        "open": [False, False, True, True, False, True, True]})
    out = bs.spread_rows(s, "bench", "epoch_benchmarking_hub", "src")
    assert list(out["period_start"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01")]  # H1 pool: 5 models
    h1, h2 = out.iloc[0], out.iloc[1]
    # one row per model with its best score (a=90) dated at the model's first date (2024-01-10)
    assert (h1.top_score, h1.spread_pp, h1.n_models, h1.n_new) == (90, 40, 5, 5)
    assert (h1.open_top, h1.closed_top, h1.open_closed_gap_pp) == (85, 90, 5)
    assert (h2.top_score, h2.spread_pp, h2.n_models, h2.n_new) == (90, 30, 6, 1)
    assert h2.open_closed_gap_pp == 2


def test_spread_rows_pool_too_small():
    s = pd.DataFrame({"model": list("abcd"), "date": pd.to_datetime(["2024-01-01"] * 4), "score": [1, 2, 3, 4],
                      "open": [True] * 4})
    assert bs.spread_rows(s, "b", "s", "src").empty


def test_spread_leaderboard_filters_merges_and_unofficial():
    base = {f"evaluations_{b}_normalized_score": "10" for b in bs.LB_BENCHMARKS}
    rows = [{**base, "model_name": f"org/m{i}", "features_is_official_provider": "TRUE", "features_is_merged": "FALSE",
             "metadata_upload_date": "2024-02-01", "evaluations_bbh_normalized_score": str(50 + i)} for i in range(6)]
    rows.append({**base, "model_name": "x/merge", "features_is_official_provider": "TRUE",
                 "features_is_merged": "TRUE", "metadata_upload_date": "2024-02-01",
                 "evaluations_bbh_normalized_score": "99"})
    rows.append({**base, "model_name": "x/ft", "features_is_official_provider": "FALSE",
                 "features_is_merged": "FALSE", "metadata_upload_date": "2024-02-01",
                 "evaluations_bbh_normalized_score": "98"})
    out = bs.spread_leaderboard_v2(pd.DataFrame(rows))
    bbh = out[out["benchmark"] == "lb_v2:bbh"].iloc[0]
    assert (bbh.top_score, bbh.spread_pp, bbh.n_models) == (55, 4, 6)


def _hub_inputs():
    versions = pd.DataFrame({"id": [f"v{i}" for i in range(6)], "Model": ["M0", "M0", "M2", "M3", "M4", "M5"],
                             "Version release date": ["2024-01-01"] * 5 + [None],
                             "Hugging Face developer id": [None, None, "org", None, "org", None]})
    ext = {"mmlu": pd.DataFrame({"Model version": ["v0", "v1", "v2", "v3", "v4", "v5", "v_missing"],
                                 "EM": ["80%", "85%", "70%", "60%", "50%", "99%", "99%"]})}
    runs = pd.DataFrame({"task": [], "model": [], "Best score (across scorers)": []})
    return versions, ext, runs


def test_spread_epoch_hub_join():
    versions, ext, runs = _hub_inputs()
    assert bs.spread_epoch_hub(versions, ext, runs).empty  # 4 distinct dated models (M0 twice, M5 undated)
    ext["mmlu"].loc[len(ext["mmlu"])] = ["v5", "40%"]
    versions.loc[5, "Version release date"] = "2024-02-01"
    out = bs.spread_epoch_hub(versions, ext, runs).iloc[0]
    assert (out.top_score, out.spread_pp, out.open_top, out.closed_top) == (99, 49, 70, 99)


def _spread(rows):
    cols = ["benchmark", "period_start", "spread_pp", "n_new"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows])
    return df.assign(period_start=pd.to_datetime(df["period_start"]), series="epoch_benchmarking_hub")


def test_homogenization_counts_active_benchmarks_below_5pp():
    spread = _spread([("a", "2024-01-01", 1.0, 3), ("b", "2024-01-01", 4.99, 1), ("c", "2024-01-01", 5.0, 2),
                      ("d", "2024-01-01", 10.0, 1),
                      ("a", "2024-07-01", 1.0, 0),                   # frozen pool: not active, not counted
                      ("b", "2024-07-01", 3.0, 1), ("c", "2024-07-01", 2.0, 1), ("d", "2024-07-01", 9.0, 4),
                      ("a", "2025-01-01", 1.0, 1), ("b", "2025-01-01", 1.0, 1),   # 2 active < MIN_N: dropped
                      ("a", "2025-07-01", 1.0, 0)])                  # none active: n = 0 is never written
    out = bs.homogenization_rows(spread).set_index("period_start")
    assert list(out.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01")]
    assert (out.loc["2024-01-01", "k"], out.loc["2024-01-01", "n"]) == (2, 4)  # 5.0 pp is not below 5
    assert (out.loc["2024-07-01", "k"], out.loc["2024-07-01", "n"]) == (2, 3)
    assert set(out["technology"]) == {"benchmark_homogenization"} and (out["period_end"] - out.index).dt.days.max() > 150
    assert (out["n"] >= MIN_N).all()


# ---------------------------------------------------------------------------------------------------------------
# bad input: one-line errors naming file, row and column

def test_rule_that_never_matches_names_the_rule_file_and_column():
    rel = releases([hf_row(f"a/M-{i}") for i in range(4)])
    with pytest.raises(DataValidationError) as e:
        hf.count_rows_hf(rel, "reasoning")
    assert "hf_open_llm_releases:reasoning" in str(e.value) and "matched no rows" in str(e.value)
    assert (e.value.file, e.value.column) == (hf.HF_JSON, "use_case")
    assert "\n" not in str(e.value)


def test_requested_period_without_models_is_an_error_and_gaps_are_never_written():
    f = frame(["2024-01-05", "2024-02-01", "2024-03-01", "2024-07-05", "2024-08-01", "2024-09-01"], [True] * 6)
    out = count_rows(f, "f", RULE)
    assert list(out["n"]) == [3, 3]  # 2024Q2 has no models: no n = 0 row
    with pytest.raises(DataValidationError) as e:
        count_rows(f, "f", RULE, periods=["2024-04-01"])
    assert "no models" in str(e.value) and e.value.column == "release_date" and e.value.file == "some/input.json"


def test_requested_period_outside_the_frame():
    f = frame(["2024-01-05", "2024-02-01", "2024-03-01"], [True] * 3)
    with pytest.raises(DataValidationError, match="outside the frame hf_open_llm_releases"):
        count_rows(f, "f", RULE, periods=["2021-06-01"])  # the frame starts 2022-03-03


def test_hf_date_after_the_vintage_names_file_row_and_column():
    rows = [hf_row("a/A"), hf_row("a/B"), hf_row("a/C", date="2026-07-01")]
    with pytest.raises(DataValidationError) as e:
        hf.releases(*hf_frames(rows))
    assert (e.value.file, e.value.row, e.value.column) == (hf.HF_JSON, 3, "release_date")
    later = [{"name": "a/B", "release_date": "2027-01-01", "architecture": "llama"}]
    with pytest.raises(DataValidationError) as e:  # the date comes from the 2026-05 list: its record is named
        hf.releases(*hf_frames([hf_row("a/A"), hf_row("a/B", date=None)], later))
    assert (e.value.file, e.value.row) == (hf.HF05_JSON, 1)


def test_epoch_and_gallery_dates_outside_the_frame():
    with pytest.raises(DataValidationError) as e:
        lm([("a", "Language", "2024-01-10", None, None, None, "X"), ("b", "Language", "2026-04-02", None, None, None, "X")])
    assert (e.value.file, e.value.row, e.value.column) == ("e.csv", 3, "Publication date")
    with pytest.raises(DataValidationError) as e:
        gal.frame(gallery_df(Date=["2025-01-05", "2026-06-01"], **{"Decoder type": ["Dense"] * 2, "Attention": ["GQA"] * 2,
                                                                  "Context (tokens)": ["8,192"] * 2}))
    assert (e.value.file, e.value.row, e.value.column) == (gal.GALLERY_TSV, 3, "Date")


def test_missing_headline_column_of_a_hub_table():
    versions, ext, runs = _hub_inputs()
    ext["mmlu"] = ext["mmlu"].rename(columns={"EM": "Exact match"})
    with pytest.raises(DataValidationError) as e:
        bs.spread_epoch_hub(versions, ext, runs)
    assert (e.value.file, e.value.column) == ("epoch_benchmarking_hub/external_benchmark_mmlu.csv", "EM")


def _variant_csv(path: Path, **over) -> Path:
    rows = [{"technology": "attention", "series": "hf_open_llm_releases", "period_start": "2025-01-01",
             "period_end": "2025-06-30", "variant": "GQA", "k": "5", "source": "t"},
            {"technology": "attention", "series": "hf_open_llm_releases", "period_start": "2025-01-01",
             "period_end": "2025-06-30", "variant": "MHA", "k": "2", "source": "t", **over}]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("over,column,words", [
    ({"technology": "warp_drive"}, "technology", "priors/technologies.yaml"),
    ({"k": "-1"}, "k", "below minimum"),
    ({"k": "1.5"}, "k", "integer"),
    ({"period_end": "2024-12-31"}, "period_end", "before"),
    ({"series": "some_list"}, "series", "not a frame"),
    ({"period_start": "2026-07-01", "period_end": "2026-12-31"}, "period_start", "outside the frame"),
])
def test_variant_counts_bad_rows(tmp_path, over, column, words):
    with pytest.raises(DataValidationError) as e:
        read_csv(_variant_csv(tmp_path / "variant_counts.csv", **over), VARIANT_COUNTS)
    assert (e.value.row, e.value.column) == (3, column) and words in str(e.value)
    assert Path(e.value.file).name == "variant_counts.csv"


def test_unknown_technology_in_built_rows():
    f = pd.DataFrame({"technology": ["moe", "attention", "warp_drive"]})
    with pytest.raises(DataValidationError) as e:
        check_technologies(f, "<built adoption_observations.csv>")
    assert (e.value.row, e.value.column) == (4, "technology") and "warp_drive" in str(e.value)


def test_benchmark_spread_date_outside_its_frame(tmp_path):
    row = {"benchmark": "mmlu", "period_start": "2025-01-01", "period_end": "2025-06-30", "k": "5", "spread_pp": "2",
           "top_score": "88", "n_models": "9", "n_new": "1", "open_top": "80", "closed_top": "88",
           "open_closed_gap_pp": "8", "series": "epoch_open_models", "source": "t"}  # the table ends 2024-11
    pd.DataFrame([row]).to_csv(tmp_path / "benchmark_spread.csv", index=False)
    with pytest.raises(DataValidationError) as e:
        read_csv(tmp_path / "benchmark_spread.csv", BENCHMARK_SPREAD)
    assert (e.value.row, e.value.column) == (2, "period_start")


def test_build_writes_nothing_on_bad_input(tmp_path):
    from forecast.data.build import build_all, variant_counts
    shared, out = tmp_path / "shared", tmp_path / "out"
    for inp in variant_counts.BUILDER.inputs:
        (shared / inp.relpath).parent.mkdir(parents=True, exist_ok=True)
        (shared / inp.relpath).write_text("x\n")
    rows = [hf_row("a/A"), hf_row("a/B"), hf_row("a/C", date="2027-01-01")]  # dated after the frame
    (shared / hf.HF_JSON).write_text(json.dumps(rows))
    (shared / hf.HF05_JSON).write_text(json.dumps([{"name": "a/A", "release_date": None, "architecture": "llama"}]))
    out.mkdir()
    (out / "SOURCES.md").write_text("untouched\n")
    with pytest.raises(DataValidationError) as e:
        build_all(shared, out_dir=out, only=["variant_counts"])
    assert (e.value.file, e.value.row, e.value.column) == (hf.HF_JSON, 3, "release_date")
    assert sorted(p.name for p in out.iterdir()) == ["SOURCES.md"]
    assert (out / "SOURCES.md").read_text() == "untouched\n"


# ---------------------------------------------------------------------------------------------------------------
# the tables `forecast data build` wrote

# technology -> frames (series) of its counted adoption rows; the technologies' earlier series are listed too
SERIES_BY_TECHNOLOGY = {
    "transformer": {"hf_open_llm_releases", "llm_architecture_gallery"},
    "attention": {"hf_open_llm_releases", "llm_architecture_gallery"},
    "decoder_only": {"hf_open_llm_releases"},
    "code_specialization": {"hf_open_llm_releases"},
    "reasoning": {"hf_open_llm_releases"},
    "edge_inference": {"hf_open_llm_releases"},
    "multimodal_fusion": {"hf_open_llm_releases", "epoch_notable_language_models"},
    "moe": {"hf_open_llm_architectures", "open_llm_leaderboard_v2", "llm_architecture_gallery"},
    "long_context": {"hf_open_llm_architectures", "llm_architecture_gallery"},
    "ssm_hybrid": {"hf_open_llm_architectures", "open_llm_leaderboard_v2", "llm_architecture_gallery"},
    "domestic_compute": {"epoch_all_language_models"},
    "hardware_ecosystem": {"epoch_notable_language_models", "epoch_all_language_models"},
    "foundation_model_market": {"epoch_notable_language_models"},
    "benchmark_homogenization": {"epoch_benchmarking_hub", "epoch_open_models", "open_llm_leaderboard_v2"},
}


def test_committed_adoption_series_per_technology():
    a = load_table("adoption_observations")
    counts = a[a["kind"] == "count"]
    got = {t: set(g["series"]) for t, g in counts.groupby("technology")}
    assert got == SERIES_BY_TECHNOLOGY  # pretrain_finetune is not an adoption series
    assert (counts["n"] >= MIN_N).all() and (counts["k"] <= counts["n"]).all()


def test_committed_variant_and_spread_tables_validate():
    v = load_table("variant_counts")
    assert {"attention", "moe", "hardware_ecosystem", "foundation_model_market", "pretrain_finetune"} <= set(v["technology"])
    assert v.groupby(["technology", "series", "period_start"])["k"].sum().min() >= MIN_N
    s = load_table("benchmark_spread")
    assert set(s["series"]) == {"epoch_benchmarking_hub", "epoch_open_models", "open_llm_leaderboard_v2"}
    assert (s["k"] == bs.TOP_K).all() and (s["n_models"] >= bs.TOP_K).all()


def test_rebuild_reproduces_the_pyramid_tables(tmp_path):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    from forecast.data.build import build_all
    from forecast.core import config
    build_all(SHARED_DATA, out_dir=tmp_path, only=["benchmark_spread", "adoption_observations", "variant_counts"])
    for name in ("benchmark_spread.csv", "adoption_observations.csv", "variant_counts.csv"):
        assert (tmp_path / name).read_bytes() == (config.data_dir() / name).read_bytes(), f"{name} differs from a fresh build"


def test_domestic_compute_rule():
    rows = [(f"m{i}", "Language", f"2025-0{1 + i % 3}-15", hw, None, "Open weights (unrestricted)", org, country)
            for i, (hw, org, country) in enumerate([
                ("Huawei Ascend 910B", "Huawei", "China"), ("NVIDIA H800 SXM5", "DeepSeek", "China"),
                ("NVIDIA A100, Huawei Ascend 910B", "iFlytek", "China"),  # any domestic chip counts
                ("Huawei Ascend 910B", "Lab", "Singapore"),  # not a Chinese organisation: outside the frame
                (None, "Zhipu", "China"),  # no hardware entry: outside the frame
                ("NVIDIA H100 SXM5 80GB", "Alibaba", "China,United States of America")])]
    out = ep.domestic_rows(lm(rows, ep.ALL))
    assert len(out) == 1 and out["technology"].iloc[0] == "domestic_compute"
    assert (out["k"].iloc[0], out["n"].iloc[0]) == (2, 4) and out["series"].iloc[0] == ep.ALL
