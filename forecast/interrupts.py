"""A caller's Ctrl-C that must not get lost.

`forecast serve` raises a caller's Ctrl-C in its main thread with `_thread.interrupt_main`. Python drops an
exception raised while it runs a finaliser or a callback it cannot propagate from ("Exception ignored in …"), so
that interrupt can vanish and the command finish as if nothing happened (seen once in the test suite: exit 0).
The request is therefore also kept here, and every commit point (each atomic write, the end of each sampling)
checks it: an interrupted command writes nothing even when the raised exception was swallowed."""
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
