"""Child processes that must not outlive the process that started them (the click
projector, the click log's writer). Standard library only: a child imports this first."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when the thread that started it ends (Linux's parent-death
    signal); elsewhere the child's own checks of its parent are all there is. Exits at once
    when ``parent`` (non-zero) already died before the signal was asked for."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:
        os._exit(1)
