"""Run independent fits (backtest origins, SBC simulations) in parallel behind one `--jobs` option.

`--jobs` takes:

* an integer N: N local worker processes (``concurrent.futures`` with the spawn-safe default start method;
  N = 1 runs in this process, which keeps its compiled graphs across tasks);
* ``dask:N``: a local Dask cluster (``distributed.LocalCluster``) of N single-threaded worker processes;
* ``dask://HOST:PORT`` or ``tcp://HOST:PORT``: an existing Dask scheduler, i.e. a cluster.

Tasks are plain module-level functions with picklable arguments and return values (data frames / lists of
dicts), so the same call runs unchanged on any of these executors. Each worker process compiles a model's
graph once and reuses it for every task it gets (compiled graphs live per process). Dask needs the
optional extra: ``pip install -e '.[cluster]'``.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
from collections.abc import Callable, Iterable, Sequence

from forecast.core.errors import RunError


@dataclasses.dataclass(frozen=True)
class JobSpec:
    kind: str  # "local" | "processes" | "dask"
    workers: int
    address: str | None = None

    def describe(self) -> str:
        if self.kind == "dask":
            return f"dask scheduler {self.address}" if self.address else f"local dask cluster, {self.workers} workers"
        return "in process" if self.kind == "local" else f"{self.workers} local processes"


def parse_jobs(value: str | int) -> JobSpec:
    """`--jobs` value → JobSpec; raises RunError listing the accepted forms."""
    s = str(value).strip()
    forms = "an integer ≥ 1, 'dask:N', or a scheduler address 'dask://HOST:PORT' / 'tcp://HOST:PORT'"
    if s.isdigit() and int(s) >= 1:
        n = int(s)
        return JobSpec("local" if n == 1 else "processes", n)
    if s.startswith("dask:") and s[5:].isdigit() and int(s[5:]) >= 1:
        return JobSpec("dask", int(s[5:]))
    if s.startswith(("dask://", "tcp://")) and len(s.split("://", 1)[1]) > 0:
        return JobSpec("dask", 0, "tcp://" + s.split("://", 1)[1])
    raise RunError(f"--jobs {value!r} is not valid; use {forms}")


def _dask_client(spec: JobSpec):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # optional dependency
        raise RunError("--jobs dask:… needs Dask: pip install -e '.[cluster]'") from exc
    if spec.address:
        return Client(spec.address), None
    # one thread per worker: nutpie already runs chains on threads, and numba compiles are not thread-parallel
    cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def _in_job(fn: Callable, *args):
    # a job worker is one of several running at once: its cold graphs compile in it, not in more processes
    import os
    os.environ["FORECAST_COMPILE_WORKERS"] = "0"
    return fn(*args)


def map_tasks(fn: Callable, tasks: Sequence[tuple], jobs: str | int | JobSpec = 1,
              on_done: Callable[[int, object], None] | None = None) -> list:
    """Call fn(*task) for every task and return the results in task order.

    `on_done(i, result)` is called as each task finishes (in completion order) for progress display."""
    spec = jobs if isinstance(jobs, JobSpec) else parse_jobs(jobs)
    done = on_done or (lambda i, r: None)
    results: list = [None] * len(tasks)
    if spec.kind == "local" or len(tasks) <= 1:
        for i, t in enumerate(tasks):
            results[i] = fn(*t)
            done(i, results[i])
        return results
    if spec.kind == "processes":
        with cf.ProcessPoolExecutor(max_workers=min(spec.workers, len(tasks))) as pool:
            futs = {pool.submit(_in_job, fn, *t): i for i, t in enumerate(tasks)}
            for f in cf.as_completed(futs):
                results[futs[f]] = f.result()
                done(futs[f], results[futs[f]])
        return results
    client, cluster = _dask_client(spec)
    try:
        from distributed import as_completed
        futs = [client.submit(_in_job, fn, *t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futs)}
        for f in as_completed(futs):
            i = index[f.key]
            results[i] = f.result()
            done(i, results[i])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def flatten(results: Iterable[list]) -> list:
    return [x for r in results for x in r]
