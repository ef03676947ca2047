"""The package as a new user gets it: a wheel built from this source, installed into a fresh virtual environment
outside the checkout, run from a temporary folder. Marked `install` (building the environment takes minutes):
`pytest -m install`, which `.ci/run` runs after the default suite.

The walkthrough: `forecast --version`; `forecast init`; `forecast run` on the smallest model evidence touches;
`forecast evidence add`; `forecast update`; `forecast report`; a second workspace with its own (edited) table
and its own reports; a corrupted table there is a one-line error naming that workspace's file; outside any
workspace evidence is refused with a one-line error."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.install

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--models", "compute_trend", "--chains", "2", "--draws", "300", "--tune", "300", "--seed", "1234", "--quiet"]


def _source_copy(dest: Path) -> Path:
    """The package source (as in the working tree) beside its data/ and priors/, so building it writes nothing
    into the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "evidence", "resolutions.csv")
    for name in ("forecast", "data", "priors"):
        shutil.copytree(REPO / name, dest / name, symlinks=True, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _source_copy(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], check=True)
    (whl,) = dist.glob("convergence_forecast-*.whl")
    return whl


def test_wheel_carries_every_table_and_prior(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for pattern, folder in (("*.csv", "data"), ("*.yaml", "priors")):
        for f in (REPO / folder).glob(pattern):
            if f.name != "resolutions.csv":
                assert f"forecast/defaults/{folder}/{f.name}" in names, f.name
    for f in ("milestones.yaml", "SOURCES.md"):
        assert f"forecast/defaults/data/{f}" in names
    shipped = [n for n in names if n.startswith("forecast/defaults/")]
    assert not any("evidence" in n or "resolutions" in n for n in shipped)  # user logs never ship
    assert "forecast/report/templates/report.html.j2" in names


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict:
    """A fresh virtual environment with the wheel and its dependencies (from the configured package index)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   timeout=1800)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORECAST_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(root), FORECAST_SERVER="off")
    return env


def _forecast(env, cwd: Path, *argv, code: int = 0) -> subprocess.CompletedProcess:
    res = subprocess.run(["forecast", *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert res.returncode == code, (argv, res.stdout[-2000:], res.stderr[-2000:])
    return res


def test_new_user_walkthrough(venv, tmp_path):
    user = tmp_path / "analysis"
    user.mkdir()
    where = subprocess.run(["python", "-c", "import forecast, forecast.core.workspace as w; print(forecast.__file__); "
                                            "print(w.defaults_dirs()[0])"], cwd=user, env=venv, capture_output=True,
                           text=True, check=True).stdout.split()
    assert all(p.startswith(venv["VIRTUAL_ENV"]) for p in where), where  # the wheel, not the checkout

    assert "forecast (convergence-forecast) 0.1.0" in _forecast(venv, user, "--version").stdout
    _forecast(venv, user, "init")
    assert (user / "forecast.toml").is_file() and (user / "data" / "models.csv").is_file()
    out = _forecast(venv, user, "run", *SMALL).stdout
    assert out.startswith(f"workspace: {user} (forecast.toml in the current folder)")
    man = json.loads((user / "reports" / "latest" / "manifest.json").read_text())
    assert man["workspace"]["root"] == str(user) and man["package_version"] == "0.1.0"
    _forecast(venv, user, "evidence", "add", "--kind", "release", "--model", "Hypothetical-3", "--organization", "Lab",
              "--compute", "3e27", "--date", "2026-10-01", "--source", "lab announcement")
    out = _forecast(venv, user, "update", "--quiet").stdout
    assert "update: compute_trend" in out and "P before" in out
    _forecast(venv, user, "report")
    report = (user / "reports" / "latest" / "report.md").read_text()
    assert "compute-1e27" in report
    assert json.loads((user / "reports" / "latest" / "manifest.json").read_text())["new_evidence"]

    second = tmp_path / "second"
    _forecast(venv, tmp_path, "init", "second")
    models = second / "data" / "models.csv"
    frame = pd.read_csv(models, dtype=str, keep_default_na=False)
    frame.iloc[:-5].to_csv(models, index=False, lineterminator="\n")
    _forecast(venv, second, "run", *SMALL)
    man2 = json.loads((second / "reports" / "latest" / "manifest.json").read_text())
    assert man2["workspace"]["root"] == str(second) and man2["evidence_ids"] == []
    assert man2["data"]["models"] != man["data"]["models"]
    assert len(list((user / "reports").glob("2*"))) == 2 and len(list((second / "reports").glob("2*"))) == 1

    frame.loc[2, "publication_date"] = "not-a-date"
    frame.to_csv(models, index=False, lineterminator="\n")
    res = _forecast(venv, second, "run", *SMALL, code=2)
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and f"file {models}" in err[0] and "row 4" in err[0]
    assert len(list((second / "reports").glob("2*"))) == 1

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = _forecast(venv, elsewhere, "evidence", "add", "--kind", "release", "--model", "X", "--compute", "1e26",
                    "--date", "2026-01-01", "--source", "s", code=2)
    assert len(res.stderr.strip().splitlines()) == 1 and "forecast init" in res.stderr
    assert not any(elsewhere.iterdir())
