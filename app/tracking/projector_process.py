"""``chorus serve``'s projector, in a process of its own beside the web workers.

The redirect's hot path and the projection both run Python, and one process runs Python on
one core at a time: in the same process as the web worker, projecting clicks takes the time
redirects need (issue 13 measured half the throughput). So ``chorus serve`` starts this
process, restarts it if it dies, and stops it on the way out; it dies with ``chorus serve``
(``kill -9`` included: Linux's parent-death signal, and a check of its parent besides).

The process looks for new log entries every ``POLL_SECONDS`` and projects them
(:class:`app.tracking.projector.ClickProjector`, one projector at a time per database under
its lock, as before). The web workers keep a projector of their own for work that must see
every click at once (exports, a conversion naming a click still in the log). The lag
histogram is written where Prometheus' multiprocess mode keeps it, and the web workers'
``/metrics`` reads it from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from app.core.parent_death import die_with_parent

log = logging.getLogger("chorus.tracking")

POLL_SECONDS = 0.05
RESTART_SECONDS = 1.0
STOP_SECONDS = 30.0
NICENESS = 10
# The collector's thresholds in the projector's process (CPython's: 700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)
# Set by chorus serve for its web workers: a projector process runs beside them, and its
# metrics are in this folder.
METRICS_ENV = "CHORUS_PROJECTOR_METRICS"
_PARENT_ENV = "CHORUS_PROJECTOR_PARENT"
_METRICS_PREFIX = "chorus-projector-metrics-"


class ProjectorProcess:
    """Runs the projector process while ``chorus serve`` runs (in the command's own process,
    whatever the number of web workers)."""

    def __init__(self) -> None:
        _forget_dead_metrics()
        self.metrics_dir = tempfile.mkdtemp(prefix=f"{_METRICS_PREFIX}{os.getpid()}-")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # One thread spawns every child: the parent-death signal follows the thread that
        # made the child, and this one lives as long as the command.
        self._thread = threading.Thread(target=self._supervise, name="chorus-projector",
                                        daemon=True)
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir,
               _PARENT_ENV: str(os.getpid())}
        env.pop(METRICS_ENV, None)
        with self._lock:
            if self._stopping.is_set():
                return None
            self._process = subprocess.Popen(
                [sys.executable, "-m", "app.tracking.projector_process"], env=env)
            return self._process

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            process = self._spawn()
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error("the click projector exited with %s; starting it again", code)
            self._stopping.wait(RESTART_SECONDS)

    def stop(self) -> None:
        """Let the projector finish its batch and stop; then forget its metrics."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("the click projector did not stop in %.0f s; killing it",
                            STOP_SECONDS)
                process.kill()
                process.wait()
        if self._thread is not None:
            self._thread.join(timeout=STOP_SECONDS)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)


def _forget_dead_metrics() -> None:
    """Remove the metrics folders of commands that died without stopping (``kill -9``): each
    is named after its command's pid."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_METRICS_PREFIX}*-*"):
        pid = folder.name.removeprefix(_METRICS_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


# --------------------------------------------------------------------------- the child


async def _project(parent: int) -> None:
    from app.core.config import get_settings
    from app.core.db import Database
    from app.gamification import service as gamification_service
    from app.jobs.wiring import arq_jobs, inline_jobs
    from app.tracking.projector import ClickProjector

    settings = get_settings()
    db = Database(settings.database_url, tz=settings.tz)
    # The projection's after-commit work (waking webhook deliveries) goes where the
    # server's jobs go: arq, or this process's own runner (its crons stay the server's).
    inline = inline_jobs(db, settings)
    projector = ClickProjector(db, hooks=[gamification_service.award_clicks])
    db.projector = projector
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    tune_collector()
    log.info("click projector started")
    try:
        async with arq_jobs(db, settings):
            while not stopping.is_set():
                if parent and os.getppid() != parent:
                    log.warning("chorus serve is gone; the click projector stops")
                    return
                try:
                    await projector.catch_up_if_new()
                except Exception:
                    log.exception("projecting clicks failed; trying again shortly")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(RESTART_SECONDS):
                            await stopping.wait()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await stopping.wait()
    finally:
        await projector.close()
        if inline is not None:
            await inline.close()
        await db.dispose()
        log.info("click projector stopped")


def tune_collector() -> None:
    """A batch makes a few hundred thousand short-lived objects and few cycles: the
    collector's default (a pass every 700 allocations) cost a fifth of the projection's
    CPU. Startup's objects are frozen out of its sight, as in the web workers."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    from app.core import logs

    parent = int(os.environ.get(_PARENT_ENV, "0") or 0)
    die_with_parent(parent)
    # Redirects first: when the cores are busy, the web workers get them before the
    # projection, which catches up as soon as they are not (a lower weight, not a pause).
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    logs.configure()
    asyncio.run(_project(parent))


if __name__ == "__main__":
    main()
