"""``chorus serve``'s projector process (``app.tracking.projector_process``): it projects the
clicks the web worker logs, is started again when it dies, dies with ``chorus serve`` (even
``kill -9``), stops with it, and its lag histogram is in the web worker's ``/metrics``."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from app.tracking import projector_process
from tests.tracking.projection_support import pending, settled
from tests.tracking.test_durability import BROWSER, Server, _seed

MODULE = "app.tracking.projector_process"


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found[int(entry.name)] = command
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def _projector_of(pid: int, *, other_than: int | None = None) -> int:
    """The pid of ``chorus serve``'s projector process (a new one, with ``other_than``)."""
    for _ in range(200):
        for child, command in _children(pid).items():
            if MODULE in command and child != other_than and _alive(child):
                return child
        await asyncio.sleep(0.05)
    pytest.fail(f"chorus serve ({pid}) runs no projector process: {_children(pid)}")


async def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def _click(base: str, code: str) -> None:
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        response = await client.get(f"/s/{code}", headers={"user-agent": BROWSER})
    assert response.status_code == 302


def _lag_count(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("chorus_click_projection_lag_seconds_count"):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.timeout_sensitive
async def test_serve_projects_in_a_process_of_its_own(db_url: str, tmp_path: Path) -> None:
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    async with server.running() as (base, process):
        first = await _projector_of(process.pid)
        await _click(base, code)
        await settled(db_url, timeout=10)  # the web worker projects nothing by itself
        async with httpx.AsyncClient(base_url=base) as client:
            assert _lag_count((await client.get("/metrics")).text) >= 1

        # Killed, it is started again, and projects what was logged meanwhile.
        os.kill(first, signal.SIGKILL)
        second = await _projector_of(process.pid, other_than=first)
        await _click(base, code)
        await settled(db_url, timeout=10)

        # SIGTERM: the command stops its projector, which finishes and exits, then dies of
        # the signal as uvicorn would.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == -signal.SIGTERM
        assert await _gone(second)
    assert "click projector stopped" in (tmp_path / f"serve-{server.starts}.log").read_text()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.timeout_sensitive
async def test_the_projector_dies_with_a_killed_serve(db_url: str, tmp_path: Path) -> None:
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    async with server.running() as (base, process):
        projector = await _projector_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert await _gone(projector), "the projector outlived chorus serve"
    left = list(Path(tempfile.gettempdir()).glob(f"chorus-projector-metrics-{process.pid}-*"))
    assert left  # what a kill leaves behind, until the next start
    # Nothing projects now: a click logged by the next start waits for that start's
    # projector, which the restart provides.
    async with server.running() as (base, _):
        await _click(base, code)
        await settled(db_url, timeout=10)
    assert await pending(db_url) == 0
    assert not any(folder.exists() for folder in left)  # the next start removed it


def test_the_projector_process_collects_garbage_seldom() -> None:
    """Its collector runs a pass per 100,000 allocations, not CPython's 700, and startup's
    objects are out of its sight (the thresholds are put back for the rest of the suite)."""
    before = gc.get_threshold()
    try:
        projector_process.tune_collector()
        assert gc.get_threshold() == (100_000, 50, 100)
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
