"""Workspaces: discovery (walking up, FORECAST_HOME, --workspace), `forecast init`, the embedded defaults outside
any workspace, the checkout as a workspace, two workspaces kept apart, and run directories that are verified."""
import json
import os
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from forecast.app import cli
from forecast.core import config, workspace
from forecast.core.io import sha256_file
from forecast.data.refresh import DEFAULT_SOURCES
from forecast.data.scaffold import init_workspace

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--chains", "2", "--draws", "300", "--tune", "300", "--seed", "1234", "--quiet"]
MODEL = ["--models", "compute_trend"]  # the smallest model that evidence (a release) touches
RELEASE = ["evidence", "add", "--kind", "release", "--model", "Hypothetical-3", "--organization", "Lab",
           "--compute", "3e27", "--date", "2026-10-01", "--source", "lab announcement"]


@pytest.fixture(autouse=True)
def _no_home(monkeypatch):
    monkeypatch.delenv("FORECAST_HOME", raising=False)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# ---------------------------------------------------------------- discovery


def test_checkout_is_a_workspace_and_its_data_are_the_embedded_defaults(monkeypatch):
    monkeypatch.chdir(REPO / "tests")
    ws = workspace.current()
    assert ws.root == REPO and ws.data == REPO / "data" and ws.priors == REPO / "priors" and ws.reports == REPO / "reports"
    data, priors = workspace.defaults_dirs()
    assert (data, priors) == (REPO / "data", REPO / "priors")  # editable install: the checkout's own folders
    assert config.project_root() == REPO and config.data_dir() == REPO / "data"
    doc = tomllib.loads((REPO / "forecast.toml").read_text())
    assert doc["sources"] == DEFAULT_SOURCES and doc["data"]["build_from"] == "../shared/data"


def test_walks_up_and_overrides(tmp_path, monkeypatch):
    a, b = init_workspace(tmp_path / "a"), init_workspace(tmp_path / "b")
    (a / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(a / "deep" / "er")
    assert workspace.current().root == a and workspace.current().found_by.startswith("forecast.toml above")
    with workspace.override(b):
        assert workspace.current().root == b and config.data_dir() == b / "data"
    monkeypatch.setenv("FORECAST_HOME", str(b))
    assert workspace.current().root == b and workspace.current().found_by == "FORECAST_HOME"
    with workspace.override(a):  # --workspace beats FORECAST_HOME
        assert workspace.current().root == a


def test_outside_any_workspace_the_embedded_defaults_are_read_only(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ws = workspace.current()
    assert ws.root is None and (ws.data, ws.priors) == workspace.defaults_dirs() and ws.reports == tmp_path / "reports"
    before = _tree(ws.data)
    for argv in (RELEASE, ["resolve", "compute-1e27", "--outcome", "yes", "--date", "2026-01-01", "--source", "x"],
                 ["data", "build", "--from", str(tmp_path)], ["data", "refresh"]):
        assert cli.main(argv) == 2
        line = _one_line_error(capsys)
        assert "needs a workspace" in line and "forecast init" in line
    assert _tree(ws.data) == before and not any(tmp_path.iterdir())


def test_bad_settings_and_bad_workspace_are_one_line_errors(tmp_path, monkeypatch, capsys):
    root = init_workspace(tmp_path / "w")
    (root / "forecast.toml").write_text("[paths\n")
    monkeypatch.chdir(root)
    assert cli.main(["evidence", "list"]) == 2
    assert "forecast.toml" in _one_line_error(capsys)
    assert cli.main(["--workspace", str(tmp_path / "nowhere"), "evidence", "list"]) == 2
    assert "not a folder" in _one_line_error(capsys)
    (tmp_path / "empty").mkdir()
    assert cli.main(["evidence", "list", "--workspace", str(tmp_path / "empty")]) == 2
    assert "forecast init" in _one_line_error(capsys)


def test_version(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and workspace.package_version() in out and "embedded data" in out and "workspace: none" in out


# ---------------------------------------------------------------- forecast init


def test_init_creates_a_complete_workspace_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "ws"]) == 0
    root = tmp_path / "ws"
    data, priors = workspace.defaults_dirs()
    assert sorted(p.name for p in (root / "data").glob("*.csv")) == sorted(
        p.name for p in data.glob("*.csv") if p.name != "resolutions.csv")
    assert (root / "data" / "milestones.yaml").read_bytes() == (data / "milestones.yaml").read_bytes()
    assert sorted(p.name for p in (root / "priors").glob("*.yaml")) == sorted(p.name for p in priors.glob("*.yaml"))
    assert (root / "reports").is_dir() and not (root / "data" / "resolutions.csv").exists()
    from forecast.data.evidence import load_evidence
    assert load_evidence(root / "data").empty
    settings = tomllib.loads((root / "forecast.toml").read_text())
    assert settings["workspace"]["package_version"] == workspace.package_version()
    assert settings["workspace"]["defaults_data_version"] == workspace.data_version(data, priors)
    capsys.readouterr()
    before = _tree(root)
    assert cli.main(["init", "ws"]) == 2
    assert "already a workspace" in _one_line_error(capsys)
    (tmp_path / "other" / "data").mkdir(parents=True)
    (tmp_path / "other" / "data" / "mine.csv").write_text("x\n1\n")
    assert cli.main(["init", "other"]) == 2
    assert "not empty" in _one_line_error(capsys)
    assert _tree(root) == before and sorted(os.listdir(tmp_path / "other")) == ["data"]


# ---------------------------------------------------------------- runs in workspaces


@pytest.fixture(scope="module")
def two_workspaces(tmp_path_factory, fitted):
    fitted("compute_trend")  # compiled once per session
    base = tmp_path_factory.mktemp("workspaces")
    return init_workspace(base / "one"), init_workspace(base / "two")


def _latest_manifest(root: Path) -> dict:
    return json.loads((root / "reports" / "latest" / "manifest.json").read_text())


def test_workspace_run_evidence_update_report(two_workspaces, monkeypatch, capsys):
    one, _ = two_workspaces
    monkeypatch.chdir(one)
    assert cli.main(["run", *MODEL, *SMALL]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"workspace: {one} (forecast.toml in the current folder)")
    man = _latest_manifest(one)
    assert man["workspace"]["root"] == str(one) and man["workspace"]["data_dir"] == str(one / "data")
    assert man["package_version"] == workspace.package_version()
    assert man["data_version"] == workspace.data_version(one / "data", one / "priors")
    assert set(man["files"]) >= {"compute_trend.nc", "report.html", "inputs/models.csv", "milestones.json"}
    assert all(sha256_file(one / "reports" / "latest" / f) == h for f, h in man["files"].items())
    assert cli.main(RELEASE) == 0
    assert "one/data/evidence/evidence.csv" in capsys.readouterr().out
    assert cli.main(["update", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "update: compute_trend" in out and "P before" in out
    after = _latest_manifest(one)
    assert after["parent_run"] == man["run_id"] and len(after["evidence_ids"]) == 1
    assert cli.main(["report"]) == 0 and cli.main(["report", "--svg"]) == 0  # re-rendering keeps the run loadable
    assert cli.main(["milestones"]) == 0
    assert "compute-1e27" in capsys.readouterr().out


def test_second_workspace_has_its_own_data_and_reports(two_workspaces, monkeypatch, capsys):
    one, two = two_workspaces
    models = two / "data" / "models.csv"
    frame = pd.read_csv(models, dtype=str, keep_default_na=False)
    frame.iloc[:-5].to_csv(models, index=False, lineterminator="\n")  # this workspace's own (edited) table
    monkeypatch.chdir(two / "priors")
    assert cli.main(["run", *MODEL, *SMALL]) == 0
    man = _latest_manifest(two)
    assert man["workspace"]["root"] == str(two) and man["evidence_ids"] == []
    assert man["data"]["models"] == sha256_file(models) != _latest_manifest(one)["data"]["models"]
    assert man["data_version"] != _latest_manifest(one)["data_version"]
    assert len(pd.read_csv(two / "reports" / "latest" / "inputs" / "models.csv")) == len(frame) - 5
    assert not (REPO / "reports" / man["run_id"]).exists()


def test_corrupted_table_names_that_workspaces_file(two_workspaces, monkeypatch, capsys):
    _, two = two_workspaces
    monkeypatch.chdir(two)
    runs_before = sorted(p.name for p in (two / "reports").iterdir())
    models = two / "data" / "models.csv"
    frame = pd.read_csv(models, dtype=str, keep_default_na=False)
    frame.loc[2, "publication_date"] = "not-a-date"  # file row 4
    frame.to_csv(models, index=False, lineterminator="\n")
    capsys.readouterr()
    assert cli.main(["run", *MODEL, *SMALL]) == 2
    line = _one_line_error(capsys)
    assert f"file {models}" in line and "row 4" in line and "publication_date" in line
    assert sorted(p.name for p in (two / "reports").iterdir()) == runs_before


def test_outside_a_workspace_run_writes_local_reports(tmp_path, monkeypatch, capsys, fitted):
    fitted("compute_trend")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *MODEL, *SMALL]) == 0
    assert capsys.readouterr().out.startswith("workspace: none, the embedded defaults of convergence-forecast")
    man = _latest_manifest(tmp_path)
    data, _ = workspace.defaults_dirs()
    assert man["workspace"]["root"] is None and man["workspace"]["data_dir"] == str(data)
    assert sorted(os.listdir(tmp_path)) == ["reports"]


def test_a_changed_run_file_is_a_one_line_error(two_workspaces, monkeypatch, capsys):
    one, _ = two_workspaces
    monkeypatch.chdir(one)
    run = (one / "reports" / "latest").resolve()
    nc = run / "compute_trend.nc"
    nc.write_bytes(nc.read_bytes()[: nc.stat().st_size // 2])
    capsys.readouterr()
    for argv in (["report"], ["milestones"], ["update"]):
        assert cli.main(argv) == 2, argv
        line = _one_line_error(capsys)
        assert f"file {nc}" in line and "sha256" in line
    (run / "figures" / "sections.json").unlink()
    nc.unlink()
    assert cli.main(["report", "--run", str(run)]) == 2
    assert "missing" in _one_line_error(capsys)
