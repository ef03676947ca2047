"""Fitting a run's models: the order of fits, compiling the next model's graphs while the current one samples, and cold compiles in worker processes."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path


from forecast.core import config
from forecast.core.config import RunConfig
from forecast.models.registry import REGISTRY


class _ColdCompiles:
    """Compiles graphs missing from the numba disk cache in worker processes, two at a time.

    A cold compile is tens of seconds of single-threaded PyTensor and numba work that holds the GIL (≈ 250 s of
    CPU for the seven models); in worker processes (`forecast.inference.compile_worker`) the compiles run on both cores,
    beside the sampling. The run itself then loads every graph from the disk cache, so a cold run samples the code
    a warm one loads. Models that read an upstream posterior compile in the run as before; so does a model whose
    worker failed (its error is kept in `failed`), and every model when FORECAST_COMPILE_WORKERS=0 (set in
    `--jobs` workers, which already run in parallel)."""

    def __init__(self, models: dict, todo: list[str], cfg: RunConfig):
        from concurrent.futures import ThreadPoolExecutor

        from forecast.inference.compile_worker import run_worker
        self.futures: dict = {}
        self.failed: dict[str, str] = {}
        self.procs: list = []  # worker processes started, killed by `close` on an error
        self.pool = None
        enabled = cfg.sampler == "nutpie" and os.environ.get("FORECAST_COMPILE_WORKERS", "1").lower() not in ("0", "off", "no")
        cold = [n for n in todo if enabled and not models[n].requires and not models[n].compiled_on_disk()]
        if cold:
            self.pool = ThreadPoolExecutor(max_workers=min(2, len(cold)), thread_name_prefix="forecast-cold-compile")
            self.futures = {n: self.pool.submit(run_worker, models[n], self.procs) for n in cold}

    def wait(self, name: str) -> float | None:
        """Seconds the worker spent compiling `name` (None: it was warm, or the worker failed)."""
        if name not in self.futures:
            return None
        try:
            return self.futures[name].result()
        except RuntimeError as exc:
            self.failed[name] = str(exc)
            return None

    def close(self, ok: bool) -> None:
        if self.pool is not None:
            if not ok:  # an error or Ctrl-C: do not wait for compiles nobody will use
                for p in self.procs:
                    p.kill()
            self.pool.shutdown(wait=ok, cancel_futures=True)


class _CompileAhead:
    """Builds and compiles models in one worker thread while the main thread samples the previous ones.

    A warm graph costs 1–7 s of single-threaded PyTensor rewriting and cache loading, during which one of the
    two cores idles; done ahead, it overlaps the previous model's sampling (nutpie's chains run in Rust threads
    that take the GIL only between draws, see `__enter__`) and the next model starts sampling at once. Measured
    on the seven fits: 100 s sequential, 78–94 s with the worker. A model is compiled once every model it reads
    (`requires`) has been fitted. Only for nutpie (PyMC's sampler compiles inside `pm.sample`)."""

    def __init__(self, models: dict, todo: list[str], cfg: RunConfig):
        from concurrent.futures import ThreadPoolExecutor
        self.models, self.todo = models, todo
        self.pending = set(todo)
        self.futures: dict = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecast-compile") if cfg.sampler == "nutpie" else None
        self.cold = _ColdCompiles(models, todo, cfg) if self.pool is not None else None
        self.worker_s: dict[str, float] = {}
        self.submit_ready()

    def _prepare(self, name: str) -> None:
        if (s := self.cold.wait(name)) is not None:
            self.worker_s[name] = s
        self.models[name].prepare_fit()

    def submit_ready(self) -> None:
        if self.pool is None:
            return
        for name in self.todo:
            if name not in self.futures and not (set(self.models[name].requires) & self.pending):
                self.futures[name] = self.pool.submit(self._prepare, name)

    def wait(self, name: str) -> None:
        """Block until `name`'s graphs are ready; re-raises the worker's error (e.g. an invalid prior)."""
        if name in self.futures:
            self.futures[name].result()

    def fitted(self, name: str) -> None:
        self.pending.discard(name)
        self.submit_ready()

    def __enter__(self):
        import sys
        # nutpie's sampler threads take the GIL between draws: with the default 5 ms switch interval a thread
        # busy in PyTensor's rewrites made a small model sample 8× slower; at 0.2 ms it did not slow it
        self._interval = sys.getswitchinterval()
        if self.pool is not None:
            sys.setswitchinterval(2e-4)
        return self

    def __exit__(self, *exc) -> None:
        import sys
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self.cold.close(exc[0] is None)
        sys.setswitchinterval(self._interval)


def fit_order(names: list[str], requires: dict[str, tuple], expected_s: dict[str, float] | None = None) -> list[str]:
    """Requirements first; among the models ready to fit, the longest expected sampling first.

    While a model samples the worker compiles the next ones, so a long sampling early hides the compiles
    (`_CompileAhead`); `expected_s` are the sampling seconds of the last run (none: registry order)."""
    expected_s = expected_s or {}
    left, order = list(names), []
    while left:
        ready = [n for n in left if not set(requires[n]) & set(left)]
        best = max(ready, key=lambda n: (expected_s.get(n, 0.0), -left.index(n)))
        order.append(best)
        left.remove(best)
    return order


def last_sample_seconds(out_dir: Path | None = None) -> dict[str, float]:
    """Sampling seconds per model of the latest run in `out_dir` (empty if there is none or it is unreadable)."""
    p = Path(out_dir or config.reports_dir()) / "latest" / "manifest.json"
    try:
        return {n: float(t["sample_s"]) for n, t in json.loads(p.read_text()).get("timings", {}).items() if "sample_s" in t}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def fit_all(models: dict, cfg: RunConfig, say, only: set[str] | None = None, expected_s: dict[str, float] | None = None) -> dict:
    """Fit models (requirements first; see `fit_order`); skip those not in `only` (they keep their posterior).

    The next models are compiled while the current one samples (`_CompileAhead`)."""
    timings = {}
    # without an earlier run (e.g. the first, cold one) the models' typical sampling times order the fits
    expected = {n: (expected_s or {}).get(n, m.typical_sample_s) for n, m in models.items()}
    todo = fit_order([n for n in models if only is None or n in only], {n: m.requires for n, m in models.items()}, expected)
    with _CompileAhead(models, todo, cfg) as ahead:
        if ahead.cold is not None and ahead.cold.futures:
            say(f"not in the compile cache yet: {', '.join(ahead.cold.futures)}; compiling in worker processes …")
        for i, name in enumerate(todo):
            model = models[name]
            say(f"[{i + 1}/{len(todo)}] fitting {name} ({cfg.sampler}, {cfg.chains}×{model.draws_count()}) …")
            t0 = time.perf_counter()
            ahead.wait(name)
            t_wait = time.perf_counter() - t0
            res = model.fit(seed_offset=list(REGISTRY).index(name))
            ahead.fitted(name)
            timings[name] = {"compile_s": round(res.seconds_compile, 2), "sample_s": round(res.seconds_sample, 2),
                             # compile_s counts work done ahead in the worker; wait_s is the part the run waited for
                             "wait_s": round(t_wait, 2), "total_s": round(time.perf_counter() - t0, 2),
                             "compile_cached": res.compile_cached,
                             # "cold": this compile wrote new numba cache entries; "warm": all came from disk
                             "numba_disk_cache": "in-process" if res.compile_cached else (
                                 "cold" if res.disk_cache_new or name in ahead.worker_s else "warm"),
                             "numba_cache_new_entries": res.disk_cache_new, "target_accept": model.target_accept(),
                             "draws": model.draws_count()}
            if name in ahead.worker_s:  # cold: compiled into the disk cache by a worker process, then loaded
                timings[name]["compiled_in_worker_s"] = round(ahead.worker_s[name], 2)
            if ahead.cold is not None and name in ahead.cold.failed:
                timings[name]["compile_worker_error"] = ahead.cold.failed[name]
            d = res.diagnostics
            say(f"      {name}: {timings[name]['total_s']:.1f}s, R-hat {d.max_rhat:.3f}, "
                f"min ESS {min(d.min_ess_bulk, d.min_ess_tail):.0f}, divergences {d.divergences} → {d.status}")
    return timings
