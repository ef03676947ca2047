"""A caller's Ctrl-C that must not get lost.

`forecast serve` raises a caller's Ctrl-C in its main thread with `_thread.interrupt_main`. That exception can
vanish: `interrupt_main` does nothing while SIGINT is ignored (the server installs Python's handler while a
command runs for that reason), Python drops an exception raised inside a finaliser ("Exception ignored in …"),
and nutpie turns an interrupt into an early return. The request is therefore also kept here, and every commit
point (each atomic write, the end of each sampling) checks it: an interrupted command writes nothing."""
from __future__ import annotations

import threading

_REQUESTED = threading.Event()


def request() -> None:
    """Mark the running command as interrupted (then raise the interrupt in the main thread as usual)."""
    _REQUESTED.set()


def clear() -> None:
    _REQUESTED.clear()


def check() -> None:
    """Raise KeyboardInterrupt if the running command was interrupted."""
    if _REQUESTED.is_set():
        raise KeyboardInterrupt("interrupted")
