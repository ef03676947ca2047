"""`python -m forecast.inference.compile_worker`: compile one model's graphs into the numba disk cache, in its own process.

Reads a pickled (model class, frames, priors, RunConfig) from stdin, builds the model, compiles the graphs its
fit samples (`ForecastModel.prepare_fit`) and prints the seconds that took. Started by the cold-compile step of
`forecast.pipeline.schedule` as a plain subprocess rather than through multiprocessing, so it never re-imports the caller's main module (a user
script calling `forecast.pipeline.runs.run` needs no main guard)."""
from __future__ import annotations

import pickle
import subprocess
import sys
import time


def compile_to_disk(cls, frames: dict, priors, cfg) -> float:
    """Build a model and compile its graphs into the numba disk cache; seconds taken."""
    t0 = time.perf_counter()
    cls(frames, priors, cfg).prepare_fit()
    return time.perf_counter() - t0


def run_worker(model, started: list | None = None) -> float:
    """Compile `model`'s graphs in a new process (blocking); its seconds. The process is appended to `started`
    (so a caller can kill it). Raises RuntimeError with the worker's last error line if it failed."""
    payload = pickle.dumps((type(model), model.frames, model.priors, model.cfg))
    proc = subprocess.Popen([sys.executable, "-m", "forecast.inference.compile_worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if started is not None:
        started.append(proc)
    out, err = proc.communicate(payload)
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit code {proc.returncode}")
    return float(out.decode().strip().splitlines()[-1])


if __name__ == "__main__":
    cls, frames, priors, cfg = pickle.loads(sys.stdin.buffer.read())
    print(compile_to_disk(cls, frames, priors, cfg), flush=True)
