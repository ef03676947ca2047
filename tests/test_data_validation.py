"""Curated-table loader and validator: every failure kind names file, row and column; committed tables load."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from forecast.core.errors import DataValidationError
from forecast.data.schema import read_csv, validate
from forecast.data.tables import ADOPTION_OBSERVATIONS, MODELS, SCALING_RUNS, TABLES, load_table

REPO = Path(__file__).resolve().parents[1]
REPO_DATA = REPO / "data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# ---------------------------------------------------------------- helpers

def _scaling_row(i: int = 0, n: float = 1e8, d: float = 2e9, loss: float = 3.0) -> dict:
    return {"run_id": str(i), "params": f"{n:g}", "tokens": f"{d:g}", "compute": f"{6 * n * d:g}", "loss": f"{loss:g}"}


def _model_row(name: str = "M1", **over) -> dict:
    row = {"model": name, "organization": "Org", "publication_date": "2024-01-02", "parameters": "7e9",
           "active_parameters": "", "training_compute": "1e23", "training_tokens": "2e12",
           "accessibility": "open", "domain": "Language", "source": "epoch_all"}
    row.update(over)
    return row


def _adoption_row(**over) -> dict:
    row = {"technology": "moe", "kind": "count", "period_start": "2024-01-01", "period_end": "2024-06-30",
           "k": "3", "n": "10", "share": "", "share_lo": "", "share_hi": "", "series": "frame_a", "source": "test"}
    row.update(over)
    return row


def _write(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def _scaling_file(tmp_path: Path, rows: list[dict] | None = None, columns=None) -> Path:
    rows = rows if rows is not None else [_scaling_row(0), _scaling_row(1, n=2e8), _scaling_row(2, n=4e8)]
    return _write(tmp_path / SCALING_RUNS.filename, rows, columns)


def _expect(path: Path, schema, *, row, column) -> DataValidationError:
    with pytest.raises(DataValidationError) as ei:
        read_csv(path, schema)
    err = ei.value
    assert err.row == row
    assert err.column == column
    assert path.name in str(err)
    assert err.file is not None and Path(err.file).name == path.name
    return err


# ---------------------------------------------------------------- valid input

def test_valid_scaling_runs_load_typed(tmp_path):
    _scaling_file(tmp_path)
    df = load_table("scaling_runs", data_dir=tmp_path)
    assert list(df.columns) == SCALING_RUNS.column_names
    assert len(df) == 3
    assert str(df["run_id"].dtype) == "Int64"
    assert df["params"].dtype == float
    assert df["compute"].iloc[0] == pytest.approx(6 * 1e8 * 2e9)


def test_valid_models_blank_optional_values(tmp_path):
    _write(tmp_path / MODELS.filename, [_model_row("A"), _model_row("B", parameters="", training_compute="", accessibility="unknown")])
    df = load_table("models", data_dir=tmp_path)
    assert len(df) == 2
    assert pd.api.types.is_datetime64_any_dtype(df["publication_date"])
    assert df["parameters"].isna().sum() == 1 and df["active_parameters"].isna().all()


def test_load_table_returns_copy_and_rereads_rewritten_file(tmp_path):
    _scaling_file(tmp_path)
    df = load_table("scaling_runs", data_dir=tmp_path)
    df.loc[0, "loss"] = 9.0
    assert load_table("scaling_runs", data_dir=tmp_path).loc[0, "loss"] == 3.0
    _scaling_file(tmp_path, [_scaling_row(0, loss=4.0)])
    assert load_table("scaling_runs", data_dir=tmp_path)["loss"].tolist() == [4.0]


# ---------------------------------------------------------------- failure kinds

def test_missing_column(tmp_path):
    cols = [c for c in SCALING_RUNS.column_names if c != "loss"]
    p = _scaling_file(tmp_path, columns=cols)
    err = _expect(p, SCALING_RUNS, row=None, column="loss")
    assert "missing column" in str(err)


def test_unexpected_column(tmp_path):
    rows = [dict(_scaling_row(0), extra="x")]
    p = _scaling_file(tmp_path, rows, columns=SCALING_RUNS.column_names + ["extra"])
    err = _expect(p, SCALING_RUNS, row=None, column="extra")
    assert "unexpected column" in str(err)


def test_non_numeric_value(tmp_path):
    rows = [_scaling_row(0), dict(_scaling_row(1), params="seven billion")]
    p = _scaling_file(tmp_path, rows)
    err = _expect(p, SCALING_RUNS, row=3, column="params")  # header is row 1
    assert "seven billion" in str(err)


def test_non_integer_in_int_column(tmp_path):
    p = _scaling_file(tmp_path, [dict(_scaling_row(0), run_id="1.5")])
    _expect(p, SCALING_RUNS, row=2, column="run_id")


def test_non_finite_value(tmp_path):
    p = _scaling_file(tmp_path, [_scaling_row(0), _scaling_row(1), dict(_scaling_row(2), loss="inf")])
    _expect(p, SCALING_RUNS, row=4, column="loss")


@pytest.mark.parametrize("loss, word", [("0.5", "below"), ("11", "above")])
def test_out_of_range_value(tmp_path, loss, word):
    p = _scaling_file(tmp_path, [_scaling_row(0), dict(_scaling_row(1), loss=loss)])
    err = _expect(p, SCALING_RUNS, row=3, column="loss")
    assert word in str(err)


def test_missing_required_value(tmp_path):
    p = _write(tmp_path / MODELS.filename, [_model_row("A"), _model_row("B"), _model_row("C", source="")])
    err = _expect(p, MODELS, row=4, column="source")
    assert "missing value" in str(err)


def test_invalid_choice(tmp_path):
    p = _write(tmp_path / MODELS.filename, [_model_row("A", accessibility="open-ish")])
    err = _expect(p, MODELS, row=2, column="accessibility")
    assert "open-ish" in str(err)


@pytest.mark.parametrize("bad", ["2024-13-01", "15 March 2024", "yesterday"])
def test_bad_date(tmp_path, bad):
    p = _write(tmp_path / MODELS.filename, [_model_row("A"), _model_row("B", publication_date=bad)])
    err = _expect(p, MODELS, row=3, column="publication_date")
    assert bad in str(err)


def test_date_before_minimum(tmp_path):
    p = _write(tmp_path / MODELS.filename, [_model_row("A", publication_date="1949-12-31")])
    _expect(p, MODELS, row=2, column="publication_date")


def test_duplicate_key(tmp_path):
    p = _write(tmp_path / MODELS.filename, [_model_row("A"), _model_row("B"), _model_row("A")])
    err = _expect(p, MODELS, row=4, column="model")
    assert "duplicate key" in str(err) and "row 2" in str(err)


def test_active_parameters_above_parameters(tmp_path):
    p = _write(tmp_path / MODELS.filename, [_model_row("A", parameters="1e9", active_parameters="2e9")])
    _expect(p, MODELS, row=2, column="active_parameters")


def test_adoption_k_greater_than_n(tmp_path):
    p = _write(tmp_path / ADOPTION_OBSERVATIONS.filename,
               [_adoption_row(), _adoption_row(series="frame_b", k="12", n="10")])
    err = _expect(p, ADOPTION_OBSERVATIONS, row=3, column="k")
    assert "k greater than n" in str(err)


def test_adoption_count_row_needs_n(tmp_path):
    p = _write(tmp_path / ADOPTION_OBSERVATIONS.filename, [_adoption_row(n="")])
    _expect(p, ADOPTION_OBSERVATIONS, row=2, column="n")


def test_compute_inconsistent_with_6nd(tmp_path):
    bad = _scaling_row(1, n=2e8)
    bad["compute"] = f"{2 * float(bad['compute']):g}"
    p = _scaling_file(tmp_path, [_scaling_row(0), bad, _scaling_row(2)])
    err = _expect(p, SCALING_RUNS, row=3, column="compute")
    assert "6" in str(err)


def test_compute_within_rounding_of_6nd_is_accepted(tmp_path):
    ok = _scaling_row(0)
    ok["compute"] = f"{float(ok['compute']) * 1.005:g}"
    _scaling_file(tmp_path, [ok])
    assert len(load_table("scaling_runs", data_dir=tmp_path)) == 1


def test_file_not_found(tmp_path):
    with pytest.raises(DataValidationError) as ei:
        load_table("models", data_dir=tmp_path)
    err = ei.value
    assert err.row is None and err.column is None
    assert MODELS.filename in str(err) and "not found" in str(err)


def test_unknown_table_name(tmp_path):
    with pytest.raises(DataValidationError, match="unknown table"):
        load_table("no_such_table", data_dir=tmp_path)


def test_unparseable_csv(tmp_path):
    p = tmp_path / SCALING_RUNS.filename
    p.write_text('run_id,params,tokens,compute,loss\n0,"1e8,2e9,1.2e18,3\n')
    with pytest.raises(DataValidationError) as ei:
        read_csv(p, SCALING_RUNS)
    assert p.name in str(ei.value)


def test_validate_frame_names_given_file():
    frame = pd.DataFrame([_scaling_row(0), dict(_scaling_row(1), loss="x")])
    with pytest.raises(DataValidationError) as ei:
        validate(frame, SCALING_RUNS, "in-memory.csv")
    assert ei.value.row == 3 and ei.value.column == "loss" and "in-memory.csv" in str(ei.value)


# ---------------------------------------------------------------- committed curated tables (repo only)

def test_committed_scaling_runs_validate():
    if not (REPO_DATA / SCALING_RUNS.filename).exists():
        pytest.fail("data/scaling_runs.csv is missing; run `forecast data build --from ../shared/data`")
    df = load_table("scaling_runs", data_dir=REPO_DATA)
    assert len(df) == 245
    assert df["run_id"].tolist() == list(range(245))
    assert df["compute"].min() > 1e18 and df["compute"].max() < 2e22
    assert df["loss"].between(2.0, 5.1).all()


def test_committed_models_validate():
    if not (REPO_DATA / MODELS.filename).exists():
        pytest.fail("data/models.csv is missing; run `forecast data build --from ../shared/data`")
    df = load_table("models", data_dir=REPO_DATA)
    assert len(df) > 2000
    assert (REPO_DATA / MODELS.filename).stat().st_size < 1_000_000
    assert set(df["source"]) <= {"epoch_all", "epoch_large_scale", "epoch_all+epoch_large_scale"}
    names = set(df["model"])
    assert "Grok 3" in names and "Grok-3" not in names  # merged across the two Epoch tables
    gpt4 = df[df["model"].str.startswith("GPT-4 (Mar 2023)")]
    assert len(gpt4) == 1 and 1.5e25 < gpt4["training_compute"].iloc[0] < 3e25
    assert df["training_compute"].max() > 1e26
    moe = df.set_index("model").loc["DeepSeek-V3", ["parameters", "active_parameters"]]
    assert moe["parameters"] == pytest.approx(6.71e11) and moe["active_parameters"] == pytest.approx(3.7e10)
    assert (df["training_tokens"].notna() <= df["domain"].fillna("").str.contains("Language")).all()


# ---------------------------------------------------------------- rebuild reproduces committed tables

def test_build_all_reproduces_committed_tables(tmp_path):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not present at {SHARED_DATA}")
    from forecast.data.build import build_all

    built = build_all(SHARED_DATA, out_dir=tmp_path, only=["scaling_runs", "models"])
    assert set(built) == {"scaling_runs", "models"}
    for name in ("scaling_runs", "models"):
        fn = TABLES[name].filename
        assert (tmp_path / fn).read_bytes() == (REPO_DATA / fn).read_bytes(), f"{fn} differs from a fresh build"
    assert (tmp_path / "SOURCES.md").exists()
