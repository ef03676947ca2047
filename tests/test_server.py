"""`forecast serve`: commands run in a long-lived process give the caller the same output, files and exit codes
as running them locally, keep compiled graphs between commands, and fall back to local runs when they must."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecast.app import server
from forecast.core import config

RUN = ["run", "--models", "market", "--chains", "2", "--draws", "200", "--tune", "200", "--seed", "5", "--quiet"]


def _env(home: Path, sock: Path, served: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_")}
    env.update(FORECAST_HOME=str(home), FORECAST_SERVER_SOCKET=str(sock), FORECAST_SERVER="on" if served else "off")
    return env


def _cli(home: Path, sock: Path, args: list[str], served: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecast", *args], env=_env(home, sock, served), cwd=home,
                          capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("served_home")
    shutil.copytree(config.project_root() / "data", home / "data")
    shutil.copytree(config.project_root() / "priors", home / "priors")
    sock = Path(tmp_path_factory.mktemp("sock")) / "s.sock"
    log = open(home / "serve.log", "w")
    # started with SIGINT ignored, as `forecast serve &` in a script is: forwarded interrupts must still work
    proc = subprocess.Popen([sys.executable, "-m", "forecast", "serve", "--socket", str(sock), "--idle-minutes", "30"],
                            env=_env(home, sock, False), cwd=home, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    for _ in range(600):
        if server.request("status", sock, timeout=1.0) is not None:
            break
        assert proc.poll() is None, (home / "serve.log").read_text()
        time.sleep(0.1)
    yield home, sock, proc
    server.request("stop", sock)
    proc.wait(timeout=60)
    log.close()


def _table(out: str) -> list[str]:
    # the milestone table; the last line names the run directory and its wall time, which differ by design
    return [line for line in out.splitlines() if line and not line.startswith("wrote ")]


def test_served_run_matches_a_local_run_and_keeps_the_compiled_graph(served):
    home, sock, proc = served
    first = _cli(home, sock, RUN + ["--out", str(home / "r1")])
    second = _cli(home, sock, RUN + ["--out", str(home / "r2")])
    local = _cli(home, sock, RUN + ["--out", str(home / "r3")], served=False)
    assert first.returncode == second.returncode == local.returncode == 0, (first.stderr, second.stderr, local.stderr)
    # the server wrote the caller's output to the caller's own stdout, not to its log
    assert _table(first.stdout) == _table(second.stdout) == _table(local.stdout) and len(_table(local.stdout)) > 1
    assert "milestone" not in (home / "serve.log").read_text()
    tables = [json.loads((home / r / "latest" / "milestones.json").read_text()) for r in ("r1", "r2", "r3")]
    assert tables[0] == tables[1] == tables[2]  # same seed → same numbers, served or not
    manifests = [json.loads((home / r / "latest" / "manifest.json").read_text()) for r in ("r1", "r2", "r3")]
    assert manifests[1]["timings"]["market"]["numba_disk_cache"] == "in-process"  # compiled once, reused
    assert manifests[2]["timings"]["market"]["numba_disk_cache"] != "in-process"
    assert manifests[1]["served"]["commands_before"] == 1 and "served" not in manifests[2]
    st = server.request("status", sock)
    assert st["pid"] == proc.pid and st["commands"] == 2 and st["compiled_graphs"] >= 1 and st["busy"] is None


def test_served_errors_print_one_line_and_exit_nonzero_like_local(served, tmp_path):
    home, sock, _ = served
    args = ["milestones", "--run", str(tmp_path / "no-such-run")]
    got, want = _cli(home, sock, args), _cli(home, sock, args, served=False)
    assert got.returncode == want.returncode != 0
    assert got.stderr == want.stderr and len(got.stderr.strip().splitlines()) == 1 and got.stderr.startswith("error:")
    # argparse's usage errors are the caller's, before any server is asked
    bad = _cli(home, sock, ["run", "--sampler", "nope"])
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_a_server_with_other_code_is_not_used(served):
    home, sock, _ = served
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(sock))
    with s:
        server._send(s, {"op": "run", "argv": ["history"], "cwd": str(home), "env": {}, "python": sys.executable,
                         "code": "another version"}, [0, 1, 2])
        reply, _ = server._recv(s)
    assert reply["accepted"] is False and "another version of the code" in reply["reason"]


def test_ctrl_c_in_the_caller_interrupts_the_served_command(served):
    home, sock, _ = served
    before = server.request("status", sock)["commands"]
    out = home / "interrupted"
    # the caller as a terminal starts it (SIGINT not inherited as ignored, e.g. from a test run started with `&`)
    caller = subprocess.Popen([sys.executable, "-m", "forecast", *RUN[:-3], "--draws", "200000", "--out", str(out)],
                              env=_env(home, sock, True), cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for _ in range(600):
        st = server.request("status", sock)
        if st["busy"] is not None:
            break
        time.sleep(0.1)
    assert st["busy"]["argv"][0] == "run"
    time.sleep(1.0)
    caller.send_signal(signal.SIGINT)
    stdout, stderr = caller.communicate(timeout=300)
    assert caller.returncode == 130 and "interrupted; nothing written" in stderr
    assert not (out / "latest").exists()
    st = server.request("status", sock)  # the server survived and counted the command
    assert st["busy"] is None and st["commands"] == before + 1


def test_no_server_means_a_local_run(tmp_path):
    env = _env(Path(config.project_root()), tmp_path / "absent.sock", True)
    got = subprocess.run([sys.executable, "-m", "forecast", "serve", "--status", "--socket", str(tmp_path / "absent.sock")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert got.returncode == 1 and "no server listens" in got.stdout
    # a stale socket file (its server gone) is ignored
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / "stale.sock"))
    stale.close()
    env["FORECAST_SERVER_SOCKET"] = str(tmp_path / "stale.sock")
    got = subprocess.run([sys.executable, "-m", "forecast", "history"], env=env, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0 and "server" not in got.stderr


def test_a_kept_interrupt_stops_every_write(tmp_path):
    """An interrupt requested for the running command (and possibly swallowed where it was raised) still stops
    the command at its next commit point, leaving nothing behind; cleared, writes go through."""
    from forecast.core import interrupts, io
    interrupts.request()
    try:
        with pytest.raises(KeyboardInterrupt):
            io.atomic_write_text(tmp_path / "a.txt", "x")
        with pytest.raises(KeyboardInterrupt):
            with io.atomic_directory(tmp_path / "run") as d:
                (d / "f").write_text("x")
        with pytest.raises(KeyboardInterrupt):
            io.point_symlink(tmp_path / "latest", "run")
    finally:
        interrupts.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    io.atomic_write_text(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "x"
