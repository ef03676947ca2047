"""`forecast data refresh` against a local HTTP server on 127.0.0.1 serving copies of ../shared/data files: vintages
with sha256, what changed, `update` after it, and each failure (failed download, truncated file, changed schema)
a one-line error that leaves the previous tables and vintages in place. Also `data build` into a workspace."""
import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest

from forecast.app import cli
from forecast.core.io import sha256_file
from forecast.data.scaffold import init_workspace

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
HW = "epoch_ml_hardware/ml_hardware.csv"
SMALL = ["--chains", "2", "--draws", "300", "--tune", "300", "--seed", "1234", "--quiet"]

pytestmark = pytest.mark.skipif(not (SHARED / HW).exists(), reason=f"shared data not present at {SHARED}")


class _Handler(http.server.SimpleHTTPRequestHandler):
    cut: dict[str, int] = {}  # URL path -> bytes actually sent (Content-Length still announces the whole file)

    def do_GET(self):
        if self.path in self.cut:
            body = Path(self.directory, self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: self.cut[self.path]])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mirror = tmp_path_factory.mktemp("mirror")
    (mirror / HW).parent.mkdir(parents=True)
    shutil.copyfile(SHARED / HW, mirror / HW)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(mirror)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield mirror, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def ws(tmp_path_factory, server, fitted):
    fitted("hardware")  # compiled once per session
    mirror, url = server
    root = init_workspace(tmp_path_factory.mktemp("refresh") / "ws")
    toml = root / "forecast.toml"
    toml.write_text(toml.read_text().replace("https://epoch.ai/data/ml_hardware.csv", f"{url}/{HW}"))
    return root


@pytest.fixture(autouse=True)
def _in_ws(ws, monkeypatch):
    monkeypatch.delenv("FORECAST_HOME", raising=False)
    monkeypatch.chdir(ws)
    _Handler.cut.clear()


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _index(ws: Path) -> list[dict]:
    return json.loads((ws / "vintages" / "index.json").read_text())["vintages"]


def test_first_refresh_keeps_a_vintage(ws, server, capsys):
    mirror, _ = server
    assert cli.main(["data", "refresh", "--only", "hardware"]) == 0
    out = capsys.readouterr().out
    assert f"{HW}: new (sha256 {sha256_file(mirror / HW)[:12]}" in out and "hardware.csv: " in out
    (rec,) = _index(ws)
    assert rec["relpath"] == HW and rec["sha256"] == sha256_file(mirror / HW) and rec["url"].startswith("http://127.0.0.1:")
    assert sha256_file(ws / "vintages" / rec["vintage"] / HW) == rec["sha256"]
    assert cli.main(["data", "refresh", "--only", "hardware"]) == 0  # nothing new: no second vintage
    assert "unchanged (same sha256 as vintage" in capsys.readouterr().out and len(_index(ws)) == 1


def test_new_rows_and_revisions_are_reported_and_update_shows_what_moved(ws, server, capsys):
    mirror, _ = server
    assert cli.main(["run", "--models", "hardware", *SMALL]) == 0
    raw = pd.read_csv(mirror / HW, dtype=str, keep_default_na=False)
    priced = raw.index[(raw["Release price (USD)"] != "") & (raw["Release date"] != "")
                       & (raw["FP32 (single precision) performance (FLOP/s)"] != "")]
    raw.loc[priced[0], "Release price (USD)"] = str(float(raw.loc[priced[0], "Release price (USD)"]) * 2)  # a revision
    new = raw.loc[[priced[-1]]].copy()
    new["Hardware name"], new["Release date"] = "Test Accelerator X1", "2026-06-01"
    pd.concat([raw, new]).to_csv(mirror / HW, index=False, lineterminator="\n")
    capsys.readouterr()
    assert cli.main(["data", "refresh", "--only", "hardware"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("hardware.csv:"))
    assert "+1 added" in line and "1 revised" in line and "price_usd" in line
    assert "Test Accelerator X1" in (ws / "data" / "hardware.csv").read_text()
    first, second = _index(ws)
    assert second["vintage"] != first["vintage"] and second["sha256"] == sha256_file(mirror / HW)
    assert cli.main(["update", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "tables changed since: hardware" in out and "P before" in out
    man = json.loads((ws / "reports" / "latest" / "manifest.json").read_text())
    assert man["data_changed"] == ["hardware"] and man["data"]["hardware"] == sha256_file(ws / "data" / "hardware.csv")


@pytest.mark.parametrize("failure", ["missing", "cut_download", "truncated_file", "changed_schema", "not_csv"])
def test_each_failure_is_one_line_and_keeps_the_previous_tables(ws, server, capsys, failure):
    mirror, _ = server
    good = (mirror / HW).read_bytes()
    before = _tree(ws / "data"), _tree(ws / "vintages")
    expect = {"missing": "HTTP 404", "cut_download": "truncated", "truncated_file": "truncated download",
              "changed_schema": "changed schema", "not_csv": "changed schema"}[failure]
    try:
        if failure == "missing":
            (mirror / HW).unlink()
        elif failure == "cut_download":
            _Handler.cut[f"/{HW}"] = len(good) // 2
        elif failure == "truncated_file":
            (mirror / HW).write_bytes(good[: int(len(good) * 0.6)])
        elif failure == "changed_schema":
            text = good.decode()
            (mirror / HW).write_text(text.replace("Release date", "Release date (UTC)", 1))
        else:
            (mirror / HW).write_text("<html><body>Service unavailable, try later</body></html>\n")
        capsys.readouterr()
        assert cli.main(["data", "refresh", "--only", "hardware"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expect in err[0], err
    finally:
        (mirror / HW).write_bytes(good)
    assert (_tree(ws / "data"), _tree(ws / "vintages")) == before
    assert not list(ws.glob(".forecast-refresh.*"))


def test_refresh_from_a_folder_and_from_a_base_url(ws, server, capsys):
    mirror, url = server
    assert cli.main(["data", "refresh", "--only", "hardware", "--from", str(mirror)]) == 0
    assert cli.main(["data", "refresh", "--only", "hardware", "--from", url]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert cli.main(["data", "refresh", "--only", "no_such_table"]) == 2
    assert "no builder" in capsys.readouterr().err


def test_data_build_writes_into_the_current_workspace(ws, capsys):
    repo_table = sha256_file(REPO / "data" / "hardware.csv")
    (ws / "data" / "hardware.csv").unlink()
    assert cli.main(["data", "build", "--from", str(SHARED), "--only", "hardware"]) == 0
    assert f"workspace: {ws}" in capsys.readouterr().out
    assert (ws / "data" / "hardware.csv").exists() and sha256_file(REPO / "data" / "hardware.csv") == repo_table
