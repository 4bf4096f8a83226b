"""How fast is a tracked-link redirect, next to the cheapest possible 302?

In one run this bench starts two servers with uvicorn, each in its own subprocess on a free
port with access logs off: (a) a bare Starlette app answering every ``/s/{code}`` with a
constant 302, and (b) ``chorus serve --workers 1`` on a freshly migrated database holding
one share (a user, a published post and their LinkedIn share, made through the app's own
services). Both are loaded by the same client: ``wrk`` when it is installed, else a Python
load generator (asyncio + httpx, a fixed number of connections for a fixed time, no
redirects followed, a browser user agent, a new request only before the deadline so that
every request sent is answered). It prints for each server req/s, p50 and p99 latency and
the server's CPU time per request, the ratio chorus/bare of req/s (goal ≥ 0.5 on SQLite),
and, for chorus, the clicks stored in the database against the 302s the client received
(CONTRACT §4: a received 302 has a committed click, so with the Python client they must be
equal; wrk drops the requests in flight when its time is up, which the server still
records). Then, for chorus (issue 13): the projection lag (p50/p99 from a click to its
derived totals, from the server's own histogram) during the timed run and the time to drain
what is left after it; the sustained rate (the highest paced rate, tried from bare's or
the burst's, whichever is lower, down to 0.3 of bare, at which the projection keeps up for
30 s: lag p99 and drain within 2 s; wrk's wait after each answer is set from the answer
time a 5 s trial measures; needs wrk); the latency one person sees on an idle server (one
connection, 20 ms between requests); and the latency of redirects made while an admin
imports 6,000 users (from a process of its own). Server CPU counts chorus serve's
projector process too. Next to the idle figure it prints how long an fdatasync of one page
takes on the database's disk: a durable click cannot be answered faster, and that floor
moves from one machine state to the next. The client times requests with its own garbage
collector off, as ``timeit`` does (``redirect_phases.collector_off``).
It is a measurement, not an assertion: it exits 0 whatever it finds.

    .venv/bin/python -m bench.redirect
    .venv/bin/python -m bench.redirect --duration 10 --concurrency 32 --client python
    .venv/bin/python -m bench.redirect \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

With PostgreSQL the database named in the URL is left alone: a scratch database
``chorus_bench_redirect_<pid>`` is created on that server (through the ``postgres``
database), migrated, and dropped at the end. An SQLite URL must name a file that does not
exist yet; it is created, and deleted at the end. The machine's cores are shared by the
client and the server under test (and PostgreSQL): both servers are measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bench import redirect_phases as phases
from bench.postgres import pg_admin

ROOT = Path(__file__).resolve().parents[1]
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36")
GOAL_RATIO = 0.5
GOAL_RATIO_PG = 0.4
GOAL_P99_MS = 20.0
GOAL_DRAIN_S = 10.0
GOAL_SUSTAINED = 0.3
GOAL_IDLE_P50_MS, GOAL_IDLE_P99_MS = 2.0, 10.0
GOAL_IMPORT_P99_MS = 50.0
IMPORT_ROWS = 6000
SUSTAINED_SECONDS = 30.0
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@corp.test", "bench-admin-password-1"
WARMUP_SECONDS = 1.0
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
POST_URL = "https://example.com/articles/why-we-build?ref=newsletter"


# --------------------------------------------------------------------------- the bare app


async def _constant_302(_request: Request) -> Response:
    return Response(status_code=302, headers={"Location": POST_URL,
                                              "Cache-Control": "private, no-store"})


async def _ready(_request: Request) -> Response:
    return PlainTextResponse("ok")


# uvicorn bench.redirect:bare_app — the floor: routing and a response, nothing else.
bare_app = Starlette(routes=[Route("/s/{code}", _constant_302), Route("/readyz", _ready)])


# --------------------------------------------------------------------------- progress


def phase(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the database


@dataclass
class Target:
    """The database both runs use: created (and removed) by this bench."""

    label: str
    url: URL
    scratch: tempfile.TemporaryDirectory[str] | None = None
    created: bool = False

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def folder(self) -> Path | None:
        """The SQLite file's folder (its disk is the one the click log syncs to)."""
        return None if self.is_postgres else Path(str(self.url.database)).parent

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def create(self) -> None:
        if self.is_postgres:
            name = self.url.database
            asyncio.run(pg_admin(self.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            asyncio.run(pg_admin(self.url, f'CREATE DATABASE "{name}"'))
        self.created = True

    def remove(self) -> None:
        if self.created:
            if self.is_postgres:
                asyncio.run(pg_admin(
                    self.url, f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)'))
            else:
                from app.core.db import click_log_path

                log_path = click_log_path(self.url_string)
                for path in (self.url.database, str(log_path or "")):
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        if path:
                            Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.created = False
        if self.scratch is not None:
            self.scratch.cleanup()


def make_target(database_url: str | None) -> Target:
    if database_url is None:
        scratch = tempfile.TemporaryDirectory(prefix="chorus_bench_redirect_")
        path = Path(scratch.name) / "bench.db"
        return Target(f"sqlite (fresh file {path})",
                      make_url(f"sqlite+aiosqlite:///{path}"), scratch)
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise SystemExit("an SQLite --database-url must name a file (created, then deleted)")
        if Path(url.database).exists():
            raise SystemExit(f"refusing to use existing SQLite file {url.database}")
        return Target(f"sqlite ({url.database})", url.set(drivername="sqlite+aiosqlite"))
    if backend == "postgresql":
        name = f"chorus_bench_redirect_{os.getpid()}"
        return Target(f"postgresql ({url.host}:{url.port or 5432}, scratch database {name})",
                      url.set(drivername="postgresql+asyncpg", database=name))
    raise SystemExit(f"unsupported backend {backend!r}: use sqlite+aiosqlite or "
                     "postgresql+asyncpg")


async def seed_share(url: str) -> tuple[str, str]:
    """A user, a published post and the user's LinkedIn share, through the app's services.
    The share's id and code."""
    from app.auth import users as users_service
    from app.content import publisher
    from app.content import service as content_service
    from app.content.schemas import Captions, PostCreate
    from app.core.db import Database
    from app.models.enums import Category, Network, Role
    from app.sharing import service as sharing_service

    db = Database(url)
    try:
        async with db.transaction() as session:
            user = await users_service.create(session, email="bench@corp.test", name="Bench",
                                              role=Role.advocate)
            await users_service.create(session, email=ADMIN_EMAIL, name="Bench admin",
                                       role=Role.admin, password=ADMIN_PASSWORD)
            post = await content_service.create(session, data=PostCreate(
                url=POST_URL, title="Why we build", category=Category.curated, topic_ids=[],
                captions=Captions(default="Worth a read"),
            ))
            published = await publisher.run(session)
            if [p.id for p in published] != [post.id]:
                raise RuntimeError("the publisher did not publish the bench's post")
            share, _, _ = await sharing_service.get_or_create(
                session, user=user, post_id=post.id, network=Network.linkedin)
            return share.id, share.code
    finally:
        await db.dispose()


async def stored_clicks(url: str, share_id: str) -> int:
    from app.core.db import Database
    from app.models import Click

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(Click).where(Click.share_id == share_id))
            return int(count or 0)
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def cpu_seconds(self) -> float | None:
        """User + system CPU time so far of the server process and its children (chorus
        serve's projector process; Linux), else None."""
        stats = _process_stats()
        if self.process.pid not in stats:
            return None
        family, grew = {self.process.pid}, True
        while grew:
            grown = family | {pid for pid, (parent, _) in stats.items() if parent in family}
            grew, family = grown != family, grown
        return sum(stats[pid][1] for pid in family) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _process_stats() -> dict[int, tuple[int, int]]:
    """Every process's parent and CPU ticks (its own and its reaped children's)."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return stats


def _chorus_executable() -> str:
    beside = Path(sys.executable).with_name("chorus")
    found = str(beside) if beside.exists() else shutil.which("chorus")
    if found is None:
        raise SystemExit("the chorus command is not installed (pip install -e .)")
    return found


def start_server(name: str, args: list[str], env: dict[str, str], log: Path) -> Server:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([*args, "--port", str(port)], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def start_bare(log: Path) -> Server:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return start_server("bare", [sys.executable, "-m", "uvicorn", "bench.redirect:bare_app",
                                 "--host", "127.0.0.1", "--workers", "1", "--no-access-log",
                                 "--log-level", "warning"], env, log)


def start_chorus(url: str, log: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env["CHORUS_DATABASE_URL"] = url
    # chorus serve runs uvicorn with access_log=False; migrations were applied beforehand.
    return start_server("chorus", [_chorus_executable(), "serve", "--host", "127.0.0.1",
                                   "--workers", "1", "--no-migrate"], env, log)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n"
                               f"{server.log.read_text(errors='replace')[-4000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} was not ready within {START_TIMEOUT:.0f}s")
        time.sleep(0.1)


@contextlib.contextmanager
def servers(url: str, folder: Path) -> Iterator[tuple[Server, Server]]:
    started: list[Server] = []
    try:
        started.append(start_bare(folder / "bare.log"))
        started.append(start_chorus(url, folder / "chorus.log"))
        for server in started:
            wait_ready(server)
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    """What the client saw in one timed run."""

    client: str
    seconds: float
    redirects: int  # 302 responses received
    others: int  # other statuses
    errors: int  # transport errors and timeouts
    latencies: list[float] = field(default_factory=list)  # seconds, Python client only
    p50_ms: float | None = None
    p99_ms: float | None = None
    client_cpu: float | None = None  # seconds of the client's own CPU (Python client)
    server_cpu: float | None = None  # seconds of the server process's CPU

    @property
    def rps(self) -> float:
        return self.redirects / self.seconds if self.seconds else 0.0


percentile = phases.percentile


async def _python_load(url: str, concurrency: int, duration: float) -> Load:
    """``concurrency`` connections, each sending its next request as soon as the previous
    answer is in, until ``duration`` is up; requests in flight then are waited for, so every
    request sent is counted. One client per connection: a shared httpx pool costs more per
    request as it grows, and the client should not be what is measured."""
    tls = ssl.create_default_context()  # never used on http://; built once, not per client
    latencies: list[float] = []
    counts = {"redirects": 0, "others": 0, "errors": 0}
    started = time.perf_counter()
    deadline = started + duration

    async def connection() -> None:
        async with httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT, follow_redirects=False, verify=tls,
            headers={"User-Agent": BROWSER}, limits=httpx.Limits(max_connections=1),
        ) as client:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                counts["redirects" if response.status_code == 302 else "others"] += 1

    cpu = time.process_time()
    with phases.collector_off():
        await asyncio.gather(*(connection() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return Load("python", seconds, redirects=counts["redirects"], others=counts["others"],
                errors=counts["errors"], latencies=latencies,
                client_cpu=time.process_time() - cpu,
                p50_ms=percentile(latencies, 0.5) * 1000 if latencies else None,
                p99_ms=percentile(latencies, 0.99) * 1000 if latencies else None)


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(output: str, label: str) -> float | None:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    return float(match.group(1)) * _WRK_UNITS[match.group(2)] if match else None


def _wrk_load(url: str, concurrency: int, duration: float) -> Load:
    wrk = shutil.which("wrk")
    assert wrk is not None
    threads = max(1, min(2, concurrency))
    seconds = max(1, round(duration))
    command = [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency",
               "--timeout", f"{REQUEST_TIMEOUT:.0f}s", "-H", f"User-Agent: {BROWSER}", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                            check=False)
    output = result.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if result.returncode != 0 or total is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {output}\n{result.stderr}")
    requests = int(total.group(1))
    elapsed = float(total.group(2)) * _WRK_UNITS[total.group(3)] / 1000
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    others = int(bad.group(1)) if bad else 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load("wrk", elapsed, redirects=requests - others, others=others, errors=errors,
                p50_ms=_wrk_ms(output, "50%"), p99_ms=_wrk_ms(output, "99%"))


def run_load(client: str, url: str, concurrency: int, duration: float) -> Load:
    if client == "wrk":
        return _wrk_load(url, concurrency, duration)
    return asyncio.run(_python_load(url, concurrency, duration))


def measure(server: Server, code: str, client: str, concurrency: int,
            duration: float, extras: Extras | None = None, database_url: str = ""
            ) -> tuple[Load, int]:
    """A warm-up, then the timed run; also the 302s of the warm-up (they are clicks too).
    With ``extras`` (chorus), the projection's lag during the run and its drain after."""
    url = f"{server.base}/s/{code}"
    phase(f"{server.name}: warm-up {WARMUP_SECONDS:.0f}s ({client})")
    warm = run_load(client, url, concurrency, WARMUP_SECONDS)
    if extras is not None:
        phases.drain_seconds(database_url)  # the warm-up's clicks are not the run's lag
        lag_before = phases.lag_buckets(server.base)
    phase(f"{server.name}: timed run {duration:g}s, {concurrency} connections ({client})")
    before = server.cpu_seconds()
    load = run_load(client, url, concurrency, duration)
    if extras is not None:
        extras.drain = phases.drain_seconds(database_url)
        lag_after = phases.lag_buckets(server.base)
        extras.lag_p50 = phases.lag_quantile(lag_before, lag_after, 0.5)
        extras.lag_p99 = phases.lag_quantile(lag_before, lag_after, 0.99)
        phase(f"{server.name}: drained in {extras.drain} s")
    after = server.cpu_seconds()
    if before is not None and after is not None:
        load.server_cpu = after - before
    phase(f"{server.name}: {load.redirects} redirects in {load.seconds:.1f}s")
    return load, warm.redirects


def more_figures(bare: Server, chorus: Server, code: str, url: str, bare_rps: float,
                 chorus_rps: float, extras: Extras, *, sustained: bool,
                 disk_folder: Path) -> None:
    """Idle latency, redirects during an import, and the sustained rate (slowest last)."""
    phase("bare and chorus: one person on an idle server (300 requests, 20 ms apart)")
    extras.idle_bare = asyncio.run(phases.lone_latencies(f"{bare.base}/s/{code}", 300, 0.02,
                                                         BROWSER))
    extras.idle = asyncio.run(phases.lone_latencies(f"{chorus.base}/s/{code}", 300, 0.02,
                                                    BROWSER))
    extras.disk_sync = phases.disk_sync_latencies(disk_folder)
    phase(f"chorus: redirects during a {IMPORT_ROWS}-row user import")
    login = httpx.post(f"{chorus.base}/api/v1/auth/login",
                       json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30)
    login.raise_for_status()
    extras.during_import = asyncio.run(phases.redirects_during_import(
        chorus.base, code, login.json()["access_token"], IMPORT_ROWS, BROWSER))
    phases.drain_seconds(url)
    if not sustained or not shutil.which("wrk"):
        return
    # Paced no faster than the burst managed: a rate the server cannot answer says nothing
    # about the projection.
    ceiling = chorus_rps * 0.95
    rates = sorted({round(min(ceiling, bare_rps * share))
                    for share in (1.0, 0.4, GOAL_SUSTAINED)}, reverse=True)
    for rate in rates:
        if rate <= 0:
            continue
        phase(f"chorus: paced at {rate} req/s for {SUSTAINED_SECONDS:g}s")
        paced = phases.paced_run(chorus.base, code, url, rate, SUSTAINED_SECONDS, BROWSER)
        extras.sustained.append(paced)
        if paced.keeps_up:
            return
        phases.drain_seconds(url)


# --------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


@dataclass
class Extras:
    """The projection and latency figures of issue 13 (chorus only)."""

    lag_p50: float | None = None
    lag_p99: float | None = None
    drain: float | None = None
    sustained: list[phases.Paced] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)
    idle_bare: list[float] = field(default_factory=list)
    disk_sync: list[float] = field(default_factory=list)
    during_import: phases.DuringImport | None = None


def print_extras(extras: Extras, bare_rps: float) -> None:
    lag = (f"p50 {extras.lag_p50 * 1000:.0f} ms, p99 {extras.lag_p99 * 1000:.0f} ms"
           if extras.lag_p50 is not None and extras.lag_p99 is not None else "n/a")
    print(f"projection lag during the timed run (click → totals): {lag}")
    if extras.drain is None:
        print(f"drain after the run: more than 120 s   goal ≤ {GOAL_DRAIN_S:g} s: NOT met")
    else:
        print(f"drain after the run: {extras.drain:.2f} s   goal ≤ {GOAL_DRAIN_S:g} s: "
              f"{_verdict(extras.drain <= GOAL_DRAIN_S)}")
    for paced in extras.sustained:
        print(f"  paced {paced.rate:7.0f} req/s for {SUSTAINED_SECONDS:g}s: achieved "
              f"{paced.achieved:7.1f}, lag p99 "
              f"{'n/a' if paced.lag_p99 is None else f'{paced.lag_p99:.2f} s'}, drain "
              f"{'> 30 s' if paced.drain is None else f'{paced.drain:.2f} s'}: "
              f"{'keeps up' if paced.keeps_up else 'falls behind'}")
    kept = [p for p in extras.sustained if p.keeps_up]
    if kept and bare_rps:
        best = max(p.achieved for p in kept)
        print(f"sustained: {best:.0f} req/s = {best / bare_rps:.3f} of bare   goal ≥ "
              f"{GOAL_SUSTAINED}: {_verdict(best / bare_rps >= GOAL_SUSTAINED)}")
    elif extras.sustained:
        print(f"sustained: the projection fell behind at every rate tried   goal ≥ "
              f"{GOAL_SUSTAINED}: NOT met")
    else:
        print("sustained: not measured (--quick, or no wrk)")
    if extras.idle_bare:
        print(f"one person on the idle bare app, the same client ({len(extras.idle_bare)} "
              f"requests): p50 {phases.percentile(extras.idle_bare, 0.5) * 1000:.2f} ms, "
              f"p99 {phases.percentile(extras.idle_bare, 0.99) * 1000:.2f} ms")
    if extras.idle:
        p50 = phases.percentile(extras.idle, 0.5) * 1000
        p99 = phases.percentile(extras.idle, 0.99) * 1000
        print(f"one person on an idle server ({len(extras.idle)} requests): p50 {p50:.2f} ms, "
              f"p99 {p99:.2f} ms   goals ≤ {GOAL_IDLE_P50_MS:g} / ≤ {GOAL_IDLE_P99_MS:g} ms: "
              f"{_verdict(p50 <= GOAL_IDLE_P50_MS)} / {_verdict(p99 <= GOAL_IDLE_P99_MS)}")
    if extras.disk_sync:
        print(f"  for scale, an fdatasync of one page on this disk ({len(extras.disk_sync)}): "
              f"p50 {phases.percentile(extras.disk_sync, 0.5) * 1000:.3f} ms, "
              f"p99 {phases.percentile(extras.disk_sync, 0.99) * 1000:.3f} ms")
    during = extras.during_import
    if during is not None and during.latencies:
        p50 = phases.percentile(during.latencies, 0.5) * 1000
        p99 = phases.percentile(during.latencies, 0.99) * 1000
        print(f"redirects during a {IMPORT_ROWS}-row user import ({during.import_seconds:.1f} s, "
              f"import answered {during.import_status}): {len(during.latencies)} redirects, "
              f"{during.failures} not 302, p50 {p50:.2f} ms, p99 {p99:.2f} ms, max "
              f"{max(during.latencies) * 1000:.1f} ms   goal p99 ≤ {GOAL_IMPORT_P99_MS:g} ms: "
              f"{_verdict(p99 <= GOAL_IMPORT_P99_MS and during.failures == 0)}")


def print_report(target: Target, client: str, concurrency: int, duration: float,
                 loads: dict[str, Load], stored: int, received: int,
                 load_average: tuple[float, float]) -> None:
    print(f"\nRedirect bench — {target.label}")
    print(f"client {client}, {concurrency} connections, {duration:g}s per server after a "
          f"{WARMUP_SECONDS:.0f}s warm-up; one uvicorn worker each; {os.cpu_count()} CPUs "
          "shared by client and servers")
    print(f"{'server':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'302s':>8} {'other':>6} "
          f"{'errors':>6} {'server CPU ms/req':>18} {'client CPU ms/req':>18}")
    for name, load in loads.items():
        per = max(load.redirects + load.others, 1)
        server_cpu = f"{load.server_cpu * 1000 / per:.3f}" if load.server_cpu else "n/a"
        client_cpu = f"{load.client_cpu * 1000 / per:.3f}" if load.client_cpu else "n/a"
        print(f"{name:<8} {load.rps:>9.1f} {_ms(load.p50_ms):>8} {_ms(load.p99_ms):>8} "
              f"{load.redirects:>8} {load.others:>6} {load.errors:>6} {server_cpu:>18} "
              f"{client_cpu:>18}")
    bare, chorus = loads["bare"], loads["chorus"]
    if bare.client_cpu and bare.server_cpu and bare.client_cpu > bare.server_cpu:
        print("  note: the client spent more CPU per request than the bare server: bare's req/s "
              "is the client's ceiling on this machine, not the server's")
    if target.is_postgres:
        print("  note: server CPU is chorus serve and its projector process; PostgreSQL's "
              "own CPU is not in it")
    ratio = chorus.rps / bare.rps if bare.rps else 0.0
    goal_ratio = GOAL_RATIO_PG if target.is_postgres else GOAL_RATIO
    print(f"ratio chorus/bare req/s = {ratio:.3f}   goal ≥ {goal_ratio}: "
          f"{_verdict(ratio >= goal_ratio)}")
    if chorus.p99_ms is not None:
        print(f"chorus p99 {chorus.p99_ms:.2f} ms   goal ≤ {GOAL_P99_MS:g} ms: "
              f"{_verdict(chorus.p99_ms <= GOAL_P99_MS)}")
    # wrk stops with up to `concurrency` requests in flight, at the warm-up's deadline and at
    # the timed run's: the server records them, the client never counts them.
    slack = 2 * concurrency if client == "wrk" else 0
    if stored == received:
        verdict = "equal"
    elif 0 < stored - received <= slack:
        verdict = (f"consistent: the {stored - received} extra are at most the requests wrk "
                   "left in flight at its two deadlines (use --client python for an exact count)")
    else:
        verdict = "MISMATCH"
    print(f"chorus clicks stored {stored} vs 302s received {received} (warm-up included): "
          f"{verdict}")
    print(f"load average (1 min) before/after: {load_average[0]:.2f}/{load_average[1]:.2f}")


# --------------------------------------------------------------------------- main


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def run(args: argparse.Namespace) -> None:
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed")
    target = make_target(args.database_url)
    from app.core.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="chorus_bench_redirect_logs_"))
    try:
        phase(f"database: {target.label}")
        target.create()
        phase("database: migrating")
        upgrade(target.url_string)  # sync: runs its own event loop
        share_id, code = asyncio.run(seed_share(target.url_string))
        phase(f"database: seeded share /s/{code}")
        phase("servers: starting bare and chorus (uvicorn, 1 worker each, access log off)")
        with servers(target.url_string, folder) as (bare, chorus):
            phase(f"servers: ready (bare {bare.base}, chorus {chorus.base}); "
                  f"logs in {folder}")
            load_before = os.getloadavg()[0]
            loads: dict[str, Load] = {}
            received = 0
            extras = Extras()
            for server in (bare, chorus):
                loads[server.name], warm = measure(
                    server, code, client, args.concurrency, args.duration,
                    extras if server is chorus else None, target.url_string)
                if server is chorus:
                    received = warm + loads[server.name].redirects
            load_after = os.getloadavg()[0]
            phase("database: counting stored clicks")
            stored = asyncio.run(stored_clicks(target.url_string, share_id))
            more_figures(bare, chorus, code, target.url_string, loads["bare"].rps,
                         loads["chorus"].rps, extras, sustained=not args.quick,
                         disk_folder=target.folder or folder)
        phase("servers: stopped")
        print_report(target, client, args.concurrency, args.duration, loads, stored,
                     received, (load_before, load_after))
        print_extras(extras, loads["bare"].rps)
    finally:
        target.remove()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None,
                        help="sqlite+aiosqlite:///new-file.db or postgresql+asyncpg://user@host/db"
                             " (default: a fresh SQLite file in a temporary directory)")
    parser.add_argument("--duration", type=positive_float, default=10.0,
                        help="seconds of timed load per server (default 10)")
    parser.add_argument("--concurrency", type=positive_int, default=32,
                        help="connections kept busy by the client (default 32)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator: wrk when installed (auto), or the Python one")
    parser.add_argument("--quick", action="store_true",
                        help="skip the sustained-rate search (30 s per rate tried)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        run(args)
    except Exception:  # a measurement: report what went wrong, never fail the caller
        traceback.print_exc()
        print("bench failed; no figures", file=sys.stderr)
    print(f"\ntotal wall time {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
