"""`forecast serve`: one long-lived process that runs CLI commands with its imports and compiled models kept.

A command started in a new process pays for importing pandas, xarray, arviz, PyMC and matplotlib and for
rebuilding and loading every compiled model graph from the disk cache, seconds each time. A running server
pays that once: the `forecast` command connects to it over a Unix socket, hands over its working directory, its
``FORECAST_*`` environment and its stdin/stdout/stderr file descriptors (SCM_RIGHTS), and the server runs the
same CLI code in its own main thread, writing straight to the caller's terminal or pipe (progress bars, tables and
one-line errors appear exactly as in a local run; `--quiet` and "not a terminal" are judged on the caller's
descriptors). Commands run one at a time in arrival order. Ctrl-C in the caller interrupts the command in the
server ("interrupted; nothing written", exit 130).

The caller falls back to running the command itself when no server listens, when ``FORECAST_SERVER=off``, or
when the server runs other code than the caller (a source or template change, another Python): results never
come from stale code. Same seed → same numbers as a local run (the compiled code is the disk-cached code).
"""
from __future__ import annotations

import _thread
import contextlib
import hashlib
import json
import os
import queue
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

from forecast.core import interrupts, serving
from forecast.core.config import code_fingerprint

ENV_SOCKET = "FORECAST_SERVER_SOCKET"
ENV_SWITCH = "FORECAST_SERVER"  # "off" / "0" / "no": never forward to a server
_HEADER = struct.Struct("!I")
_MAX_MESSAGE = 1 << 20


def socket_path() -> Path:
    """Where the server of this Python environment listens (override with FORECAST_SERVER_SOCKET).

    One server per user and environment: ``$XDG_RUNTIME_DIR`` (or the temp dir) / forecast-<uid> / <env hash>.sock."""
    if os.environ.get(ENV_SOCKET):
        return Path(os.environ[ENV_SOCKET])
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"forecast-{os.getuid()}"
    return base / (hashlib.sha256(sys.prefix.encode()).hexdigest()[:12] + ".sock")


def _identity() -> dict:
    # a server answers only callers running the same interpreter and the same package source
    return {"python": sys.executable, "code": code_fingerprint()}


# ---- framing: 4-byte length + JSON, the first request message carrying the caller's descriptors
def _send(sock: socket.socket, obj: dict, fds: list[int] | None = None) -> None:
    body = json.dumps(obj).encode()
    data = _HEADER.pack(len(body)) + body
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


def _recv_exact(sock: socket.socket, n: int, fds: list[int]) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk, got, _flags, _addr = socket.recv_fds(sock, n - len(buf), 3)
        fds.extend(got)
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _recv(sock: socket.socket) -> tuple[dict, list[int]]:
    fds: list[int] = []
    (n,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, fds))
    if n > _MAX_MESSAGE:
        raise ConnectionError(f"message of {n} bytes")
    return json.loads(_recv_exact(sock, n, fds)), fds




# ---- caller side
def _connect(path: Path, timeout: float | None = 5.0) -> socket.socket | None:
    if not path.exists():
        return None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
    except OSError:  # stale socket file (server gone) or not ours
        s.close()
        return None
    return s


def forward(argv: list[str]) -> int | None:
    """Run the command `argv` in a running server; its exit code, or None if the caller should run it itself."""
    if os.environ.get(ENV_SWITCH, "").lower() in ("off", "0", "no", "false"):
        return None
    path = socket_path()
    s = _connect(path)
    if s is None:
        return None
    with s:
        try:
            fds = [sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno()]
        except (AttributeError, ValueError, OSError):  # a closed or replaced standard stream: run here
            return None
        try:
            env = {k: v for k, v in os.environ.items() if k.startswith("FORECAST_")}
            _send(s, {"op": "run", "argv": list(argv), "cwd": os.getcwd(), "env": env, **_identity()}, fds)
            s.settimeout(1.0)
            try:
                reply, _ = _recv(s)
            except TimeoutError:  # the server runs another command first
                print(f"forecast: the server at {path} is busy; waiting for it", file=sys.stderr, flush=True)
                s.settimeout(None)
                reply, _ = _recv(s)
        except (OSError, ValueError, ConnectionError):
            return None
        if not reply.get("accepted"):
            print(f"forecast: not using the server at {path}: {reply.get('reason')}; running here", file=sys.stderr)
            return None
        sys.stdout.flush()
        s.settimeout(None)  # the command may run for minutes
        while True:
            try:
                reply, _ = _recv(s)
                return int(reply["exit"])
            except KeyboardInterrupt:  # forward Ctrl-C; the server answers with the command's exit code
                with contextlib.suppress(OSError):
                    _send(s, {"op": "interrupt"})
            except (OSError, ValueError, ConnectionError, KeyError):
                print(f"forecast: lost the server at {path} before the command finished", file=sys.stderr)
                return 1


def request(op: str, path: Path | None = None, timeout: float = 5.0) -> dict | None:
    """Send a control message ("status", "stop") to the server; its reply, or None if none listens."""
    s = _connect(path or socket_path(), timeout)
    if s is None:
        return None
    with s:
        try:
            _send(s, {"op": op})
            return _recv(s)[0]
        except (OSError, ValueError, ConnectionError):
            return None


# ---- server side
class _Server:
    """Control requests (status, stop) are answered at once by the accepting thread; commands queue for the
    main thread (PyTensor, signals and the Ctrl-C forwarding need it) and run one at a time."""

    def __init__(self, path: Path, idle_s: float, log, handler):
        self.handler = handler  # runs one command line in this process and returns its exit code
        self.path, self.idle_s, self.log = path, idle_s, log
        self.started = time.time()
        self.served = 0
        self.busy: dict | None = None  # the command running now: argv, since
        self.identity = _identity()
        self.stop = False
        self.interrupted = False  # a caller's Ctrl-C was raised in this process (not the server's own)
        self.queue: queue.Queue = queue.Queue()

    def status(self) -> dict:
        from forecast.inference import sampling
        return {"pid": os.getpid(), "started": self.started, "uptime_s": round(time.time() - self.started, 1),
                "commands": self.served, "compiled_graphs": sampling.compiled_graph_count(), "socket": str(self.path),
                "busy": self.busy, "queued": self.queue.qsize(), **self.identity}

    def accept_loop(self, srv: socket.socket) -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:  # the listening socket was closed: the server stops
                return
            try:
                conn.settimeout(10.0)
                msg, fds = _recv(conn)
                conn.settimeout(None)
            except (OSError, ValueError, ConnectionError) as exc:
                self.log(f"dropped a connection: {exc}")
                conn.close()
                continue
            op = msg.get("op")
            if op == "run" and len(fds) == 3:
                self.queue.put((conn, msg, fds))
                continue
            with conn, contextlib.suppress(OSError):
                for fd in fds:
                    os.close(fd)
                if op in ("status", "stop"):
                    if op == "stop":
                        self.stop = True
                        self.queue.put(None)
                    _send(conn, {"accepted": True, **self.status()})
                else:
                    _send(conn, {"accepted": False, "reason": f"unknown request {op!r}"})

    def handle(self, conn: socket.socket, msg: dict, fds: list[int]) -> None:
        try:
            mismatch = [k for k, v in self.identity.items() if msg.get(k) != v]
            if self.stop or mismatch:
                why = ("it is stopping" if self.stop else "it runs another " + " and ".join(
                    "Python" if k == "python" else "version of the code" for k in mismatch) + " (restart it: forecast serve --restart)")
                _send(conn, {"accepted": False, "reason": why})
                return
            _send(conn, {"accepted": True})
            rc = self.run_command(conn, msg, fds)
            self.served += 1
            with contextlib.suppress(OSError):
                _send(conn, {"exit": rc})
        finally:
            for fd in fds:
                os.close(fd)

    def run_command(self, conn: socket.socket, msg: dict, fds: list[int]) -> int:
        done = threading.Event()
        guard = threading.Lock()

        def watch():  # the caller's Ctrl-C (or its death) interrupts the command running in this main thread
            with contextlib.suppress(OSError, ValueError, ConnectionError):
                _recv(conn)
            with guard:
                if not done.is_set():
                    self.interrupted = True
                    interrupts.request()  # kept too: Python may drop the raised exception (forecast/core/interrupts.py)
                    _thread.interrupt_main()

        self.interrupted = False
        interrupts.clear()
        # `interrupt_main` does nothing while SIGINT is ignored, as it is in a server started in the background by
        # a script (`forecast serve &`); the forwarded Ctrl-C needs Python's handler while a command runs
        saved_sigint = signal.getsignal(signal.SIGINT)
        if saved_sigint in (signal.SIG_IGN, signal.SIG_DFL):
            signal.signal(signal.SIGINT, signal.default_int_handler)
        saved_fds = [os.dup(i) for i in (0, 1, 2)]
        saved_env = {k: v for k, v in os.environ.items() if k.startswith("FORECAST_")}
        saved_cwd = os.getcwd()
        self.busy = {"argv": msg["argv"], "since": time.time()}
        self.log(f"command: forecast {' '.join(msg['argv'])} (in {msg['cwd']})")
        t0 = time.perf_counter()
        buffering = []
        for s in (sys.stdout, sys.stderr):
            s.flush()
            buffering.append(s.line_buffering)
            s.reconfigure(line_buffering=True)  # the caller sees each line as a local run would show it
        threading.Thread(target=watch, daemon=True, name="forecast-serve-watch").start()
        try:
            for i, fd in enumerate(fds):
                os.dup2(fd, i)
            for k in saved_env:
                os.environ.pop(k)
            os.environ.update(msg["env"])
            os.chdir(msg["cwd"])
            try:
                rc = self.handler(msg["argv"])
            except SystemExit as exc:  # argparse's own exits
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except KeyboardInterrupt:
                print("interrupted; nothing written", file=sys.stderr)
                rc = 130
            except Exception as exc:  # a bug must not take the server down; the caller sees it in one line
                print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
                rc = 1
            with guard:
                done.set()
        except KeyboardInterrupt:  # an interrupt that arrived after the command returned
            rc = 130
        finally:
            done.set()
            interrupts.clear()
            if saved_sigint is not None:
                signal.signal(signal.SIGINT, saved_sigint)
            for s, lb in zip((sys.stdout, sys.stderr), buffering):
                with contextlib.suppress(OSError, ValueError):
                    s.flush()
                    s.reconfigure(line_buffering=lb)
            for i, fd in enumerate(saved_fds):
                os.dup2(fd, i)
                os.close(fd)
            for k in [k for k in os.environ if k.startswith("FORECAST_")]:
                os.environ.pop(k)
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            self.busy = None
        self.log(f"exit {rc} in {time.perf_counter() - t0:.1f}s")
        return rc

    def loop(self) -> None:
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o077)  # the socket runs commands as this user: nobody else may connect
        try:
            srv.bind(str(self.path))
        finally:
            os.umask(old)
        srv.listen(16)
        threading.Thread(target=self.accept_loop, args=(srv,), daemon=True, name="forecast-serve-accept").start()
        self.log(f"serving on {self.path} (pid {os.getpid()}); idle timeout {self.idle_s / 60:.0f} min")
        try:
            while not self.stop:
                try:
                    item = self.queue.get(timeout=self.idle_s)
                except queue.Empty:
                    self.log("idle timeout; stopping")
                    break
                if item is None:
                    break
                conn, msg, fds = item
                with conn:
                    try:
                        self.handle(conn, msg, fds)
                    except (OSError, ValueError, ConnectionError) as exc:
                        self.log(f"dropped a connection: {exc}")
                    except KeyboardInterrupt:
                        if not self.interrupted:  # Ctrl-C on the server's own terminal: stop serving
                            raise
                        self.log("a caller's interrupt arrived after its command ended")
        finally:
            self.stop = True
            with contextlib.suppress(OSError):
                srv.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            srv.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            while not self.queue.empty():  # callers still waiting run their command themselves
                item = self.queue.get()
                if item is not None:
                    with item[0], contextlib.suppress(OSError):
                        self.handle(*item)
            self.log("stopped")


def preload() -> None:
    """Import what every command needs, so the first served command does not pay for it."""
    import matplotlib
    matplotlib.use("Agg")
    import arviz  # noqa: F401
    import nutpie  # noqa: F401
    import pymc  # noqa: F401

    from forecast.evaluation import milestones  # noqa: F401
    from forecast.app import api  # noqa: F401
    from forecast.pipeline import reweight  # noqa: F401
    from forecast.report import render  # noqa: F401


def serve(handler, path: Path | None = None, idle_minutes: float = 120.0, log=None) -> None:
    """Listen on `path` (default `socket_path()`) and run commands with `handler(argv) -> exit code` until stopped
    or idle for `idle_minutes`."""
    path = Path(path or socket_path())
    log = log or (lambda msg: print(f"[forecast serve {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        if request("status", path) is not None:
            from forecast.core.errors import RunError
            raise RunError(f"a server already listens on {path} (forecast serve --stop first)")
        path.unlink()  # stale: its process is gone
    preload()
    server = _Server(path, idle_minutes * 60.0, log, handler)
    serving.set_current(server)
    try:
        server.loop()
    finally:
        serving.set_current(None)


def start_detached(path: Path | None = None, idle_minutes: float = 120.0, timeout_s: float = 120.0) -> dict:
    """Start `forecast serve` as a background process (log: <socket>.log); its status once it listens."""
    import subprocess

    from forecast.core.errors import RunError
    path = Path(path or socket_path())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    logfile = path.with_suffix(".log")
    env = {**os.environ, ENV_SOCKET: str(path)}
    with open(logfile, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "forecast", "serve", "--idle-minutes", str(idle_minutes)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        st = request("status", path)
        if st is not None:
            return st
        if proc.poll() is not None:
            raise RunError(f"forecast serve exited with code {proc.returncode}; see {logfile}")
        time.sleep(0.2)
    proc.terminate()
    raise RunError(f"forecast serve did not listen on {path} within {timeout_s:.0f}s; see {logfile}")
