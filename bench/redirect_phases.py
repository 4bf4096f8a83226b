"""The redirect bench's measurements beyond throughput (issue 13): how far the projection of
clicks lags behind them, how long it takes to drain after a burst, the highest rate it keeps
up with for 30 s, what one person sees on an idle server, and redirects during a 6,000-row
user import. Each works against a running ``chorus serve`` and its database."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

LAG_METRIC = "chorus_click_projection_lag_seconds"
KEEPS_UP_SECONDS = 2.0
PACED_CONNECTIONS = 64  # more connections, longer waits: wrk waits in whole milliseconds
CALIBRATION_SECONDS = 5.0  # "the projection keeps up": its lag stays within this


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """This process's garbage collector off while it times requests, as ``timeit`` does.
    The bench has imported the whole app to seed and count, so a full collection here walks
    hundreds of thousands of objects: one took 72 ms in the middle of the import phase (while
    the server held its event loop for no more than 17 ms at a time), and was reported as
    a redirect's latency. What setup left is frozen first, and given back to the collector
    after."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


# --------------------------------------------------------------------------- projection lag


def lag_buckets(base: str) -> dict[float, float]:
    """The lag histogram's cumulative bucket counts, from ``/metrics``."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for match in re.finditer(rf'^{LAG_METRIC}_bucket{{le="([^"]+)"}} ([\d.e+]+)$', text, re.M):
        bound = math.inf if match.group(1) == "+Inf" else float(match.group(1))
        buckets[bound] = float(match.group(2))
    return buckets


def lag_quantile(before: dict[float, float], after: dict[float, float], q: float
                 ) -> float | None:
    """The q-quantile of the lags observed between two readings, interpolated linearly
    within its bucket (as Prometheus's histogram_quantile does)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return lower


async def _pending(url: str) -> int:
    from app.core.db import Database
    from app.tracking.projector import ClickProjector

    db = Database(url)
    try:
        return await ClickProjector(db).pending()
    finally:
        await db.dispose()


def pending(url: str) -> int:
    return asyncio.run(_pending(url))


def drain_seconds(url: str, limit: float = 120.0) -> float | None:
    """Seconds until every logged click is projected (None past ``limit``)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if pending(url) == 0:
            return time.perf_counter() - started
        time.sleep(0.05)
    return None


# --------------------------------------------------------------------------- paced load


@dataclass
class Paced:
    rate: float  # requests per second asked for
    achieved: float
    lag_p99: float | None
    drain: float | None
    keeps_up: bool


_PACED_SCRIPT = """
local gap = {gap}
function delay() return gap end
"""


def _wrk_paced(wrk: str, target: str, user_agent: str, connections: int, gap_ms: int,
               seconds: float) -> float:
    """wrk with each connection waiting ``gap_ms`` after each answer; the rate achieved."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_PACED_SCRIPT.format(gap=gap_ms))
    try:
        result = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{round(seconds)}s", "-s", script.name,
             "-H", f"User-Agent: {user_agent}", target],
            capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        Path(script.name).unlink(missing_ok=True)
    total = re.search(r"(\d+) requests in ([\d.]+)s", result.stdout)
    return int(total.group(1)) / float(total.group(2)) if total else 0.0


def paced_run(base: str, code: str, url: str, rate: float, seconds: float,
              user_agent: str, connections: int = PACED_CONNECTIONS) -> Paced:
    """wrk at about ``rate`` requests/s for ``seconds``; the projection keeps up when its
    lag's p99 stays within ``KEEPS_UP_SECONDS`` and what is left to project at the end
    drains within as long. A connection waits between an answer and its next request, so a
    short run first measures how long answers take at this rate, and the wait is set so
    that wait and answer together make the rate."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("the sustained figure needs wrk")
    target = f"{base}/s/{code}"
    cycle_ms = connections * 1000 / rate
    trial = _wrk_paced(wrk, target, user_agent, connections, round(cycle_ms),
                       CALIBRATION_SECONDS)
    answer_ms = max(0.0, connections * 1000 / trial - round(cycle_ms)) if trial else 0.0
    gap_ms = max(0, round(cycle_ms - answer_ms))
    drain_seconds(url, limit=30.0)
    before = lag_buckets(base)
    achieved = _wrk_paced(wrk, target, user_agent, connections, gap_ms, seconds)
    drain = drain_seconds(url, limit=30.0)
    p99 = lag_quantile(before, lag_buckets(base), 0.99)
    keeps_up = (drain is not None and drain <= KEEPS_UP_SECONDS and p99 is not None
                and p99 <= KEEPS_UP_SECONDS)
    return Paced(rate, achieved, p99, drain, keeps_up)


# --------------------------------------------------------------------------- one person


async def lone_latencies(url: str, count: int, gap: float, user_agent: str) -> list[float]:
    """``count`` redirects one after another on one kept-alive connection, ``gap`` seconds
    apart (the server is idle before each). The client is a few lines over a socket: an
    HTTP library's own cost per request (about 3 ms for httpx here) would hide the server's."""
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    request = (f"GET {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}:{parts.port}\r\n"
               f"User-Agent: {user_agent}\r\nAccept: */*\r\n\r\n").encode()
    latencies: list[float] = []
    with collector_off():
        try:
            for _ in range(count):
                sent = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if length and int(length.group(1)):
                    await reader.readexactly(int(length.group(1)))
                latencies.append(time.perf_counter() - sent)
                if not head.startswith(b"HTTP/1.1 302"):
                    raise RuntimeError(f"a redirect answered {head.splitlines()[0]!r}")
                await asyncio.sleep(gap)
        finally:
            writer.close()
    return latencies


def disk_sync_latencies(folder: Path, count: int = 500) -> list[float]:
    """``count`` fdatasyncs of a 4 KiB page rewritten in a file of ``folder``: the floor
    under a durable click's commit on this disk today (the idle figure moves with it from
    one machine state to the next; the issue quoted 0.23 ms for this machine)."""
    latencies: list[float] = []
    with tempfile.NamedTemporaryFile(dir=folder, prefix="fsync_probe_") as probe:
        page = b"\0" * 4096
        for i in range(count):
            os.pwrite(probe.fileno(), page, (i % 64) * len(page))
            started = time.perf_counter()
            os.fdatasync(probe.fileno())
            latencies.append(time.perf_counter() - started)
    return latencies


# --------------------------------------------------------------------------- during an import


@dataclass
class DuringImport:
    import_seconds: float
    import_status: int
    latencies: list[float]
    failures: int


def _users_csv(rows: int) -> str:
    lines = ["email,name,role,group"]
    lines += [f"person{i}@import.test,Person {i},advocate,Imported {i % 20}"
              for i in range(rows)]
    return "\n".join(lines) + "\n"


# The admin's import runs in a process of its own, as another person's browser would: in the
# measuring client's event loop, receiving its answer (megabytes for thousands of users)
# would delay the redirects' own measurements.
_IMPORTER = """
import sys, httpx
answer = httpx.post(sys.argv[1], content=sys.stdin.buffer.read(), timeout=120,
                    headers={"Authorization": "Bearer " + sys.argv[2],
                             "Content-Type": "text/csv"})
print(answer.status_code)
"""


async def redirects_during_import(base: str, code: str, token: str, rows: int,
                                  user_agent: str) -> DuringImport:
    """One person following the link again and again while an admin imports ``rows``
    users; each redirect's latency while the import runs."""
    body = _users_csv(rows).encode()
    latencies: list[float] = []
    failures = 0
    async with httpx.AsyncClient(follow_redirects=False, timeout=60,
                                 headers={"User-Agent": user_agent}) as client:
        await client.get(f"{base}/s/{code}")  # connected before the import starts
        started = time.perf_counter()
        importer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _IMPORTER, f"{base}/api/v1/users/import", token,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        with collector_off():
            importing = asyncio.create_task(importer.communicate(body))
            while not importing.done():
                sent = time.perf_counter()
                try:
                    response = await client.get(f"{base}/s/{code}")
                    if response.status_code != 302:
                        failures += 1
                except httpx.HTTPError:
                    failures += 1
                latencies.append(time.perf_counter() - sent)
                await asyncio.sleep(0.005)
        out, _ = await importing
        status = int(out.decode().strip() or 0) if importer.returncode == 0 else 0
        return DuringImport(time.perf_counter() - started, status, latencies, failures)
