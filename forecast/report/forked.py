"""Drawing figures in two forked processes: matplotlib draws on one core, and a report has many figures."""
from __future__ import annotations

from typing import Callable

_STATE: dict = {}  # the function forked workers call (inherited at fork, never pickled)


def _call(item):
    return _STATE["fn"](item)


def forked_map(fn: Callable, items: list, *, min_items: int = 2, chunksize: int = 1, timeout: float = 600.0,
               meanwhile: Callable | None = None) -> tuple[list, object]:
    """`[fn(item) for item in items]`, in two forked workers when there are at least `min_items` and the machine
    has two cores, running `meanwhile()` here while they draw (two workers rarely finish together: it fills the idle
    core). Any failure of the workers, or their timeout, falls back to drawing in this process; `meanwhile` still
    runs exactly once. Items and results cross the process boundary (picklable); `fn` does not. Returns
    (results, what `meanwhile` returned)."""
    import multiprocessing as mp
    import os

    def here():
        return [fn(i) for i in items]

    if len(items) < min_items or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return here(), meanwhile() if meanwhile else None
    _STATE["fn"] = fn
    done = {}
    try:
        with mp.get_context("fork").Pool(2) as pool:
            pending = pool.map_async(_call, items, chunksize=chunksize)
            if meanwhile:
                done["meanwhile"] = meanwhile()
            return pending.get(timeout), done.get("meanwhile")
    except Exception:  # noqa: BLE001 — a worker problem must not lose the report
        if meanwhile and "meanwhile" not in done:
            done["meanwhile"] = meanwhile()
        return here(), done.get("meanwhile")
    finally:
        _STATE.clear()
