"""Whether this process is a `forecast serve` process, and what a run's manifest records about it.

The server (app layer) registers itself here, so the pipeline can record it without importing the app."""
from __future__ import annotations

import os
import time
from typing import Protocol


class _ServerState(Protocol):
    started: float  # time.time() at start
    served: int  # commands run before the current one


_CURRENT: _ServerState | None = None


def set_current(server: _ServerState | None) -> None:
    global _CURRENT
    _CURRENT = server


def serving_info() -> dict | None:
    """In a `forecast serve` process: its pid, uptime and how many commands it ran before this one (for manifests)."""
    if _CURRENT is None:
        return None
    return {"pid": os.getpid(), "uptime_s": round(time.time() - _CURRENT.started, 1), "commands_before": _CURRENT.served}
