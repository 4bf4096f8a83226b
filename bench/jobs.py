"""How fast are webhooks delivered through arq, and how soon after their commit?

Issue 12's goals: at least 300 deliveries per second on one arq worker, and a p99 of at most
1 s from an event's commit to its arrival at the receiver when events come at 100 per second.

This bench starts a local HTTP receiver (a raw asyncio server on 127.0.0.1 that answers 200
and notes when each ``webhook-id`` arrives), a freshly migrated database, and one arq worker
(``chorus worker`` in a subprocess, on a Redis database of its own choosing, see
``--redis-url``) with ``CHORUS_ALLOW_PRIVATE_WEBHOOKS=true``; it registers one endpoint for
``share.created`` through the app's service. Events are committed by this process through
the outbox (``app.webhooks.outbox.emit``), each in the way a change commits it, so each sends
its own ``deliver_webhook`` job to Redis after the commit. Then:

(a) throughput: ``--events`` events committed in one transaction (one job each); it reports
    deliveries per second from that commit to the last arrival;
(b) latency: events committed one per transaction at ``--rate`` per second for
    ``--duration`` seconds; it reports p50, p99 and max of (arrival − commit).

Every event must arrive (it waits up to ``--timeout`` seconds); each is counted once, however
many times it arrives (at least once). It is a measurement, not an assertion: it exits 0
whatever it finds, unless the worker cannot start.

    .venv/bin/python -m bench.jobs
    .venv/bin/python -m bench.jobs --database-url sqlite+aiosqlite:///./bench-jobs.db
    CHORUS_BENCH_DATABASE_URL=postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.jobs

The database is PostgreSQL when ``--database-url`` or ``CHORUS_BENCH_DATABASE_URL`` names one,
or when a server answers on 127.0.0.1:5432 (user postgres); else an SQLite file in a scratch
directory. With PostgreSQL, the database named in the URL is left alone: a scratch database
``chorus_bench_jobs_<pid>`` is created on that server, migrated, and dropped at the end. The
Redis database is flushed before and after: do not point ``--redis-url`` at one in use.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.engine import URL, make_url

from app.core.config import Settings
from app.core.db import Database, run_after_commit
from app.core.migrate import upgrade
from app.jobs.catalog import JOBS
from app.jobs.redis_queue import ArqJobs
from app.webhooks import outbox
from app.webhooks import service as webhooks_service
from bench.postgres import connect_args, pg_admin

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATE = 300.0
GOAL_P99_S = 1.0
DEFAULT_PG = "postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the receiver


@dataclass
class Receiver:
    """Answers every POST with 200 and notes the first arrival of each ``webhook-id``."""

    arrivals: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    server: asyncio.Server | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hooks"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            arrived = time.time()
            length, message_id = 0, ""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"webhook-id":
                    message_id = value.strip().decode()
            await reader.readexactly(length)
            self.requests += 1
            self.arrivals.setdefault(message_id, arrived)
            self.changed.set()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def wait_for(self, ids: Sequence[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        wanted = set(ids)
        while not wanted <= self.arrivals.keys():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()


# --------------------------------------------------------------------------- the database


@dataclass
class Target:
    label: str
    url: URL
    scratch: tempfile.TemporaryDirectory[str] | None = None
    postgres_base: URL | None = None

    @property
    def async_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    async def create(self) -> None:
        if self.postgres_base is not None:
            await pg_admin(self.url, f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
            await pg_admin(self.url, f'CREATE DATABASE "{self.url.database}"')
        await asyncio.to_thread(upgrade, self.async_url)

    async def remove(self) -> None:
        if self.postgres_base is not None:
            await pg_admin(self.url, f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
        elif self.scratch is None and self.url.database:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.url.database}{suffix}").unlink(missing_ok=True)
        if self.scratch is not None:
            self.scratch.cleanup()


async def _postgres_answers(url: URL) -> bool:
    try:
        connection = await asyncio.wait_for(
            asyncpg.connect(**connect_args(url, url.database or "postgres")), 3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def make_target(database_url: str | None) -> Target:
    chosen = database_url or os.environ.get("CHORUS_BENCH_DATABASE_URL")
    if chosen is None and await _postgres_answers(make_url(DEFAULT_PG)):
        chosen = DEFAULT_PG
    if chosen is None or make_url(chosen).get_backend_name() == "sqlite":
        url = make_url(chosen) if chosen else None
        if url is not None and url.database and url.database != ":memory:":
            if Path(url.database).exists():
                raise SystemExit(f"refusing to use existing SQLite file {url.database}")
            return Target(f"sqlite ({url.database})", url.set(drivername="sqlite+aiosqlite"))
        scratch = tempfile.TemporaryDirectory(prefix="chorus_bench_jobs_")
        path = Path(scratch.name) / "bench.db"
        return Target(f"sqlite (fresh file {path})", make_url(f"sqlite+aiosqlite:///{path}"),
                      scratch)
    base = make_url(chosen)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("use a sqlite+aiosqlite or postgresql+asyncpg URL")
    name = f"chorus_bench_jobs_{os.getpid()}"
    return Target(f"postgresql ({base.host}:{base.port or 5432}, scratch database {name})",
                  base.set(drivername="postgresql+asyncpg", database=name), postgres_base=base)


# --------------------------------------------------------------------------- the worker


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        """Stop it; the end of its log (then removed)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        text = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        self.log.unlink(missing_ok=True)
        return text


def start_worker(target: Target, redis_url: str, secret_key: str) -> Worker:
    env = {**os.environ, "CHORUS_DATABASE_URL": target.async_url, "CHORUS_REDIS_URL": redis_url,
           "CHORUS_SECRET_KEY": secret_key, "CHORUS_ALLOW_PRIVATE_WEBHOOKS": "true",
           "CHORUS_ENV": "dev"}
    chorus = Path(sys.executable).with_name("chorus")
    command = [str(chorus), "worker"] if chorus.exists() else [
        sys.executable, "-c", "from app.cli import app; app()", "worker"]
    handle, name = tempfile.mkstemp(prefix="chorus_bench_worker_", suffix=".log")
    with os.fdopen(handle, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT)
    return Worker(process, Path(name))


# --------------------------------------------------------------------------- the runs


@dataclass
class Committed:
    at: dict[str, float] = field(default_factory=dict)
    """Event id → the time its transaction's commit returned."""


async def commit_batch(db: Database, count: int, committed: Committed) -> list[str]:
    """``count`` events in one transaction (one job each, sent after the commit)."""
    ids: list[str] = []
    async with db.sessionmaker() as session:
        for n in range(count):
            ids += await outbox.emit(session, "share.created", {"id": f"batch-{n}", "n": n})
        await session.commit()
        now = time.time()
        for event_id in ids:
            committed.at[event_id] = now
        await run_after_commit(session)
    return ids


async def commit_one(db: Database, n: int, committed: Committed) -> str:
    async with db.sessionmaker() as session:
        [event_id] = await outbox.emit(session, "share.created", {"id": f"steady-{n}", "n": n})
        await session.commit()
        committed.at[event_id] = time.time()
        await run_after_commit(session)
    return event_id


async def steady(db: Database, rate: float, duration: float, committed: Committed) -> list[str]:
    """One event per transaction at ``rate`` per second, on a fixed schedule."""
    ids: list[str] = []
    started = time.monotonic()
    total = int(rate * duration)
    tasks: list[asyncio.Task[str]] = []
    for n in range(total):
        due = started + n / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(commit_one(db, n, committed)))
    ids = list(await asyncio.gather(*tasks))
    return ids


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


async def run(args: argparse.Namespace) -> int:
    target = await make_target(args.database_url)
    redis_url = args.redis_url
    secret_key = secrets.token_urlsafe(48)
    settings = Settings(_env_file=None, database_url=target.async_url,
                        secret_key=secret_key, allow_private_webhooks=True)
    receiver = Receiver()
    worker: Worker | None = None
    pool: ArqRedis | None = None
    db: Database | None = None
    say(f"database: {target.label}")
    try:
        await target.create()
        pool = await create_pool(RedisSettings.from_dsn(redis_url))
        await pool.flushdb()
        url = await receiver.start()
        db = Database(target.async_url)
        db.jobs = ArqJobs(pool, JOBS)
        async with db.transaction() as session:
            await webhooks_service.create(session, url=url, events=["share.created"],
                                          settings=settings)
        worker = start_worker(target, redis_url, secret_key)
        committed = Committed()
        say("waiting for the worker (a first event must arrive)")
        warm = [await commit_one(db, -1, committed)]
        if not await receiver.wait_for(warm, 60):
            say("the worker delivered nothing within 60 s; its log ends with:")
            say(worker.stop())
            worker = None
            return 1
        warm = list(await asyncio.gather(*(commit_one(db, -2 - n, committed)
                                           for n in range(50))))
        await receiver.wait_for(warm, args.timeout)

        say(f"(a) throughput: {args.events} events committed in one transaction")
        batch = await commit_batch(db, args.events, committed)
        complete = await receiver.wait_for(batch, args.timeout)
        arrived = [receiver.arrivals[i] for i in batch if i in receiver.arrivals]
        commit_at = committed.at[batch[0]]
        span = (max(arrived) - commit_at) if arrived else float("nan")
        rate = len(arrived) / span if arrived else 0.0
        spread = (max(arrived) - min(arrived)) if len(arrived) > 1 else float("nan")

        say(f"(b) latency: {args.rate:g} events/s for {args.duration:g} s")
        flow = await steady(db, args.rate, args.duration, committed)
        complete_b = await receiver.wait_for(flow, args.timeout)
        delays = [receiver.arrivals[i] - committed.at[i] for i in flow if i in receiver.arrivals]

        print(f"\nWebhook delivery bench — {target.label}, one arq worker (max_jobs 50), "
              f"a local receiver")
        print(f"(a) {len(arrived)}/{len(batch)} delivered{'' if complete else ' (timed out)'}"
              f" in {span:.2f} s from the commit: {rate:.0f} deliveries/s "
              f"(first to last arrival {spread:.2f} s)   goal ≥ {GOAL_RATE:.0f}/s: "
              f"{'met' if complete and rate >= GOAL_RATE else 'NOT met'}")
        if delays:
            p50, p99 = statistics.median(delays), percentile(delays, 0.99)
            print(f"(b) {len(delays)}/{len(flow)} delivered{'' if complete_b else ' (timed out)'}"
                  f" at {args.rate:g} events/s: commit → arrival p50 {p50 * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms   goal p99 ≤ "
                  f"{GOAL_P99_S:g} s: {'met' if complete_b and p99 <= GOAL_P99_S else 'NOT met'}")
        again = receiver.requests - len(receiver.arrivals)
        print(f"requests received {receiver.requests} for {len(receiver.arrivals)} events"
              + (f" ({again} made again: at least once)" if again else " (none twice)"))
        load = os.getloadavg()
        print(f"load average (1 min) at the end: {load[0]:.2f} on {os.cpu_count()} cores")
        return 0
    finally:
        if worker is not None:
            errors = worker.stop()
            if "Traceback" in errors or args.worker_log:
                say("the worker's log ends with:\n" + errors)
        await receiver.stop()
        if db is not None:
            await db.dispose()
        if pool is not None:
            await pool.flushdb()
            await pool.aclose()
        await target.remove()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", help="sqlite+aiosqlite or postgresql+asyncpg URL")
    parser.add_argument("--redis-url", default=os.environ.get("CHORUS_BENCH_REDIS_URL",
                                                              DEFAULT_REDIS),
                        help=f"a Redis database to use and flush (default {DEFAULT_REDIS})")
    parser.add_argument("--events", type=int, default=3000, help="events of run (a)")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s of run (b)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of run (b)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for every event of a run to arrive")
    parser.add_argument("--worker-log", action="store_true",
                        help="print the end of the worker's log")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    code = asyncio.run(run(args))
    print(f"\ntotal wall time {time.perf_counter() - started:.1f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
