"""CLI end to end on a temporary reports directory, plus bad-input behaviour (one line, non-zero, nothing written)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.app import cli
from forecast.core import config

SMALL = ["--chains", "2", "--draws", "300", "--tune", "300", "--seed", "1234", "--quiet"]
SPINE = ["--models", "scaling_law", "compute_trend"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, fitted):
    fitted("scaling_law"), fitted("compute_trend")  # compile once per session
    out = tmp_path_factory.mktemp("reports")
    assert cli.main(["run", *SPINE, *SMALL, "--out", str(out)]) == 0
    return out


def test_run_writes_complete_directory(run_dir):
    latest = run_dir / "latest"
    assert latest.is_symlink()
    for name in ["manifest.json", "scaling_law.nc", "compute_trend.nc", "milestones.csv", "milestones.json",
                 "report.md", "report.html", "report.json", "inputs/models.csv", "inputs/priors/scaling_law.yaml",
                 "figures/gantt.png", "figures/compute_fan.png", "figures/sections.json"]:
        assert (latest / name).exists(), name
    man = json.loads((latest / "manifest.json").read_text())
    assert man["config"]["seed"] == 1234 and set(man["diagnostics"]) == {"scaling_law", "compute_trend"}
    assert {"pymc", "nutpie", "arviz"} <= set(man["versions"]) and len(man["data"]["models"]) == 64
    md = (latest / "report.md").read_text()
    assert "compute-1e27" in md and "α (parameter exponent)" in md and "max R-hat" in md
    assert not list(run_dir.glob(".*partial"))


def test_milestones_and_report_rerender(run_dir, capsys):
    assert cli.main(["milestones", "--run", str(run_dir / "latest")]) == 0
    out = capsys.readouterr().out
    assert "compute-1e27" in out
    line = next(x for x in out.splitlines() if x.startswith("compute-1e26 "))
    assert ": yes" in line  # 1e26 is already crossed: resolved / observed, never forecast
    before = json.loads((run_dir / "latest" / "milestones.json").read_text())
    assert cli.main(["report", "--run", str(run_dir / "latest")]) == 0
    after = json.loads((run_dir / "latest" / "report.json").read_text())["milestones"]
    assert [r["p_by_target"] for r in after] == [r["p_by_target"] for r in before]


def _copy_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(config.project_root() / "data", home / "data")
    shutil.copytree(config.project_root() / "priors", home / "priors")
    return home


def test_bad_data_one_line_nonzero_nothing_written(tmp_path, monkeypatch, capsys):
    home = _copy_home(tmp_path)
    p = home / "data" / "scaling_runs.csv"
    lines = p.read_text().splitlines()
    cells = lines[3].split(",")
    cells[4] = "-1"  # negative loss on file row 4
    lines[3] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("FORECAST_HOME", str(home))
    out = tmp_path / "reports"
    code = cli.main(["run", *SPINE, *SMALL, "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1
    assert "scaling_runs.csv" in err[0] and "row 4" in err[0] and "'loss'" in err[0]
    assert not out.exists() or not any(out.iterdir())


def test_bad_prior_reports_file_and_key(tmp_path, monkeypatch, capsys):
    home = _copy_home(tmp_path)
    p = home / "priors" / "scaling_law.yaml"
    p.write_text(p.read_text().replace("distribution: HalfNormal", "distribution: HalfNormalish", 1))
    monkeypatch.setenv("FORECAST_HOME", str(home))
    assert cli.main(["run", *SPINE, *SMALL, "--out", str(tmp_path / "r")]) != 0
    err = capsys.readouterr().err
    assert "scaling_law.yaml" in err and "'sigma'" in err and "HalfNormal" in err


def test_failed_fit_keeps_last_good_run(run_dir, monkeypatch):
    from forecast.inference import sampling
    from forecast.core.errors import SamplingError

    good = (run_dir / "latest").resolve()

    def boom(*a, **k):
        raise SamplingError("simulated sampler crash")

    monkeypatch.setattr(sampling, "sample", boom)
    monkeypatch.setattr("forecast.models.base.sample", boom)
    assert cli.main(["run", *SPINE, *SMALL, "--out", str(run_dir)]) != 0
    assert (run_dir / "latest").resolve() == good
    assert not list(run_dir.glob(".*partial"))


def test_missing_run_and_missing_shared_data(tmp_path, capsys):
    assert cli.main(["milestones", "--run", str(tmp_path / "none")]) != 0
    assert cli.main(["data", "build", "--from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "d")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("error:") for e in err)
    assert not (tmp_path / "d").exists()


def test_module_entry_point_help():
    r = subprocess.run([sys.executable, "-m", "forecast", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "run" in r.stdout and "milestones" in r.stdout
