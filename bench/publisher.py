"""How long does one publisher decision take, and does it grow with the history's size?

CONTRACT §7 and ``app.content.publisher`` promise that a decision reads only the last nine
posts of the organisation and of each topic involved, through indexes, so its cost should be
flat whether the organisation has published a thousand posts or a hundred thousand.

For each size N this bench starts from a freshly migrated, empty database and bulk-inserts N
already-published posts (a valid 6-3-1 history over 40 topics) and the organisation's
advocates (``--advocates``, default 10,000, following ``--topic-sets`` distinct sets of 1–4
topics, default 500: every one of them is a feed the rule of §7 holds in). Then,
``--repeats`` times per size, it queues exactly one due curated post and times
``publisher.run(session, now=...)`` in its own transaction, commit included: one decision
that publishes one post. The decisions alternate between the sizes' databases, so that load
from other processes on the machine falls on every size alike. It prints the median and p90
per size and the ratio median(largest N) / median(smallest N) against the goal ≤ 1.5, and
each median against the goal of at most 50 ms per decision. It is a measurement, not an
assertion: it exits 0 whatever the figures.

    .venv/bin/python -m bench.publisher
    .venv/bin/python -m bench.publisher \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

With PostgreSQL, the database named in the URL is left alone: a scratch database
``chorus_bench_<pid>_<i>`` per size is created on that server (through the ``postgres``
database), migrated, and dropped at the end. ``--explain`` also prints each statement of one
decision at every size, with its time and its query plan, to find a query that grows with
history.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, insert, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from app.content import publisher
from app.core.db import Database, new_id
from app.core.migrate import upgrade
from app.models import Post, PostTopic, Topic, User, user_topics
from app.models.enums import Category, PostStatus, Role
from bench.postgres import pg_admin

GOAL_RATIO = 1.5
GOAL_MS = 50.0
CHUNK = 10_000  # posts per executemany
WARMUP_DECISIONS = 3
# Any run of 10 consecutive posts of a sequence repeating this period holds exactly one period:
# 6 curated, 3 owned, 1 promotional, so the history satisfies §7 in every scope built below.
PERIOD = (
    Category.curated, Category.curated, Category.owned, Category.curated, Category.curated,
    Category.owned, Category.curated, Category.promotional, Category.curated, Category.owned,
)
BLOCK_TOPICS = ("engineering", "product", "culture",
                *(f"topic-{n:02d}" for n in range(4, 40)))
ALL_TOPIC = "company-news"
SET_SIZES = (1, 2, 3, 4)
HISTORY_END = datetime(2026, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- databases


@dataclass
class Target:
    """Where the fresh database of each size lives, and how to make and remove it.

    Every size gets its own database (they all exist during the measurement, so that decisions
    can alternate between them); :meth:`remove_all` removes exactly what :meth:`create` made.
    """

    label: str
    base: URL
    scratch_dir: tempfile.TemporaryDirectory[str] | None = None
    created: list[str] = field(default_factory=list)  # PG database names or SQLite paths

    @property
    def is_postgres(self) -> bool:
        return self.base.get_backend_name() == "postgresql"

    def create(self, index: int) -> str:
        """A fresh, empty database for the ``index``-th size; its URL."""
        if self.is_postgres:
            name = f"chorus_bench_{os.getpid()}_{index}"
            asyncio.run(pg_admin(self.base, f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            url = self.base.set(database=name)
        else:
            assert self.base.database is not None
            given = Path(self.base.database)
            path = given.with_name(f"{given.stem}_{index}{given.suffix}")
            if path.exists():
                raise SystemExit(f"refusing to overwrite existing SQLite file {path}")
            self.created.append(str(path))
            url = self.base.set(database=str(path))
        return url.render_as_string(hide_password=False)

    def remove_all(self) -> None:
        for name in reversed(self.created):
            if self.is_postgres:
                asyncio.run(pg_admin(self.base,
                                      f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{name}{suffix}").unlink(missing_ok=True)
        self.created.clear()
        if self.scratch_dir is not None:
            self.scratch_dir.cleanup()


def make_target(database_url: str | None) -> Target:
    if database_url is None:
        scratch = tempfile.TemporaryDirectory(prefix="chorus_bench_")
        path = Path(scratch.name) / "bench.db"
        return Target(label=f"sqlite (fresh files in {scratch.name})",
                      base=make_url(f"sqlite+aiosqlite:///{path}"), scratch_dir=scratch)
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise SystemExit("an SQLite --database-url must name a file; the bench creates "
                             "<stem>_<i><suffix> next to it per size, and deletes them after")
        return Target(label=f"sqlite ({url.database}, one file per size)", base=url)
    if backend == "postgresql":
        return Target(label=f"postgresql ({url.host}:{url.port or 5432}, scratch databases "
                            f"chorus_bench_{os.getpid()}_<i>)", base=url)
    raise SystemExit(f"unsupported backend {backend!r}: use sqlite+aiosqlite or "
                     "postgresql+asyncpg")


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr, redrawn as chunks go in."""

    WIDTH = 30

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.started = time.perf_counter()

    def update(self, done: int) -> None:
        fraction = min(done / self.total, 1.0)
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(f"\r  {self.label} [{bar}] {fraction:6.1%} "
                         f"{done:>9,}/{self.total:,} {elapsed:6.1f}s")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


# --------------------------------------------------------------------------- history


def _topic_rows() -> dict[str, dict[str, Any]]:
    now = HISTORY_END - timedelta(days=365)
    return {
        slug: {"id": new_id(), "name": slug.replace("-", " ").title(), "slug": slug,
               "description": None, "created_at": now}
        for slug in (ALL_TOPIC, *BLOCK_TOPICS)
    }


def _history_chunk(start: int, stop: int, size: int,
                   topics: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                               list[dict[str, Any]]]:
    """Posts ``start..stop`` of a history of ``size``, oldest first, and their topic rows.

    Post i is published at HISTORY_END - (size - i) s, with category PERIOD[i % 10]; it carries
    the company-wide topic (every post) and one block topic, which changes every 10 posts, so
    each topic's sequence, and each feed's (the union of some topics'), is whole periods in a
    row and satisfies §7 as well.
    """
    posts: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i in range(start, stop):
        published = HISTORY_END - timedelta(seconds=size - i)
        category = PERIOD[i % len(PERIOD)]
        post_id = new_id()
        posts.append({
            "id": post_id, "url": f"https://example.com/history/{i}", "title": f"History {i}",
            "summary": None, "image_url": None, "category": category, "captions": {},
            "campaign": None, "status": PostStatus.published, "publish_at": None,
            "published_at": published, "expires_at": None, "suggested_by": None,
            "suggestion_note": None, "review_note": None,
            "created_at": published - timedelta(hours=1), "updated_at": published,
        })
        block = BLOCK_TOPICS[(i // len(PERIOD)) % len(BLOCK_TOPICS)]
        for slug in (ALL_TOPIC, block):
            links.append({"post_id": post_id, "topic_id": topics[slug]["id"],
                          "published_at": published, "category": category})
    return posts, links


def topic_sets(topics: Sequence[str], count: int) -> list[list[str]]:
    """``count`` distinct sets of 1–4 topics, drawn the same way on every run."""
    draw = random.Random(631)
    most = sum(math.comb(len(topics), k) for k in SET_SIZES if k <= len(topics))
    if count > most:
        raise SystemExit(f"--topic-sets: at most {most:,} distinct sets of 1–4 of "
                         f"{len(topics)} topics")
    found: dict[frozenset[str], None] = {}
    while len(found) < count:
        found[frozenset(draw.sample(list(topics), draw.choice(SET_SIZES)))] = None
    return [sorted(s) for s in found]


def _advocate_chunk(start: int, stop: int, sets: Sequence[list[str]]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Advocates ``start..stop``; advocate i follows set i mod len(sets)."""
    users: list[dict[str, Any]] = []
    follows: list[dict[str, Any]] = []
    created = HISTORY_END - timedelta(days=365)
    for i in range(start, stop):
        user_id = new_id()
        users.append({
            "id": user_id, "email": f"advocate{i}@bench.test", "name": f"Advocate {i}",
            "role": Role.advocate, "password_hash": None, "leaderboard_opt_out": False,
            "follower_counts": {}, "language": None, "reminders_opt_out": False,
            "deactivated_at": None, "created_at": created, "updated_at": created,
        })
        follows += [{"user_id": user_id, "topic_id": t} for t in sets[i % len(sets)]]
    return users, follows


async def load_history(url: str, size: int, advocates: int, sets: int) -> dict[str, str]:
    """Insert ``size`` published posts and the advocates in one transaction; the topic ids
    by slug."""
    db = Database(url)
    try:
        return await _load_history(db, size, advocates, sets)
    finally:
        await db.dispose()


async def _load_history(db: Database, size: int, advocates: int = 0,
                        sets: int = 0) -> dict[str, str]:
    topics = _topic_rows()
    progress = Progress(f"{size:,} posts", size)
    async with db.engine.begin() as connection:
        await connection.execute(insert(Topic), list(topics.values()))
        progress.update(0)
        for start in range(0, size, CHUNK):
            stop = min(start + CHUNK, size)
            posts, links = _history_chunk(start, stop, size, topics)
            await connection.execute(insert(Post), posts)
            await connection.execute(insert(PostTopic), links)
            progress.update(stop)
        progress.finish()
        if advocates:
            followed = topic_sets([row["id"] for row in topics.values()], sets)
            progress = Progress(f"{advocates:,} advocates", advocates)
            for start in range(0, advocates, CHUNK):
                stop = min(start + CHUNK, advocates)
                users, follows = _advocate_chunk(start, stop, followed)
                await connection.execute(insert(User), users)
                await connection.execute(insert(user_topics), follows)
                progress.update(stop)
            progress.finish()
    if not db.is_sqlite:
        # What autovacuum would have done by now on a live database after such a load.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("ANALYZE"))
    return {slug: row["id"] for slug, row in topics.items()}


# --------------------------------------------------------------------------- decisions


async def queue_posts(db: Database, now: datetime,
                      specs: Sequence[tuple[Category, Sequence[str]]]) -> None:
    """Queue posts due at ``now`` (created one second earlier, no ``publish_at``)."""
    async with db.transaction() as session:
        for n, (category, topic_ids) in enumerate(specs):
            created = now - timedelta(seconds=1) + timedelta(microseconds=n)
            post = Post(url=f"https://example.com/queued/{new_id()}", title="Queued",
                        category=category, captions={}, status=PostStatus.queued,
                        created_at=created, updated_at=created)
            session.add(post)
            await session.flush()
            await session.execute(insert(PostTopic), [
                {"post_id": post.id, "topic_id": t, "published_at": None, "category": category}
                for t in topic_ids
            ])


@dataclass(frozen=True)
class Timing:
    seconds: float  # the whole transaction, commit included: the figure
    before_commit: float  # publisher.run alone (its statements are flushed by then)
    published: int


async def timed_run(db: Database, now: datetime) -> Timing:
    """One ``publisher.run`` in its own transaction, commit included."""
    started = time.perf_counter()
    async with db.transaction() as session:
        published = await publisher.run(session, now=now)
        decided = time.perf_counter()
    return Timing(time.perf_counter() - started, decided - started, len(published))


async def clear_queue(db: Database) -> int:
    """Delete posts left queued (held by the mix), so later runs publish only their own."""
    async with db.transaction() as session:
        result = await session.execute(delete(Post).where(Post.status == PostStatus.queued))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class StatementStat:
    sql: str
    parameters: Any
    seconds: float


@dataclass
class SizeResult:
    size: int
    url: str
    topics: dict[str, str]
    setup_seconds: float
    samples: list[float] = field(default_factory=list)
    before_commit: list[float] = field(default_factory=list)
    mixed_published: int = 0
    mixed_held: int = 0
    mixed_ms: float = 0.0
    statements: list[StatementStat] = field(default_factory=list)
    plans: list[list[str]] = field(default_factory=list)
    decisions: int = 0  # how many runs this database has had, to space their ``now``

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p90_ms(self) -> float:
        return p90(self.samples) * 1000

    @property
    def before_commit_median_ms(self) -> float:
        return statistics.median(self.before_commit) * 1000

    def next_now(self) -> datetime:
        self.decisions += 1
        return HISTORY_END + timedelta(minutes=self.decisions)

    def combo(self) -> list[str]:
        """Topics of the next timed curated post, rotating over a few combinations."""
        t = self.topics
        combos = [[t["engineering"], t[ALL_TOPIC]], [t["product"]],
                  [t["culture"], t[ALL_TOPIC]], [t[ALL_TOPIC]]]
        return combos[self.decisions % len(combos)]


def p90(samples: Sequence[float]) -> float:
    """The nearest-rank 90th percentile."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


@contextmanager
def captured_statements(db: Database) -> Iterator[list[StatementStat]]:
    """Every statement the engine runs inside the block, with its duration."""
    captured: list[StatementStat] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        started = conn.info["bench_started"].pop()
        captured.append(StatementStat(statement, parameters, time.perf_counter() - started))

    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    try:
        yield captured
    finally:
        event.remove(sync_engine, "before_cursor_execute", before)
        event.remove(sync_engine, "after_cursor_execute", after)


async def explain(connection: AsyncConnection, statement: StatementStat,
                  is_sqlite: bool) -> list[str]:
    """The plan of a captured statement (on PostgreSQL, SELECTs are run: ANALYZE, BUFFERS)."""
    is_select = statement.sql.lstrip().upper().startswith(("SELECT", "WITH"))
    if is_sqlite:
        prefix = "EXPLAIN QUERY PLAN "
    else:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if is_select else "EXPLAIN "
    result = await connection.exec_driver_sql(prefix + statement.sql, statement.parameters)
    rows = result.fetchall()
    if is_sqlite:  # (id, parent, notused, detail)
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


async def one_decision(db: Database, result: SizeResult) -> Timing:
    """Queue exactly one due curated post (it always fits §7), then time the run."""
    now = result.next_now()
    await queue_posts(db, now, [(Category.curated, result.combo())])
    timing = await timed_run(db, now)
    if timing.published != 1:
        raise RuntimeError(f"a decision published {timing.published} posts, expected 1")
    return timing


async def warm_up(db: Database, result: SizeResult) -> None:
    """A handful of due posts of every category and several topics, published by one run
    (the mix may hold some back; those are then deleted), then a few single decisions:
    exercises every path and warms caches. Not part of the figure."""
    t = result.topics
    now = result.next_now()
    await queue_posts(db, now, [
        (Category.curated, [t["engineering"]]),
        (Category.owned, [t["product"], t[ALL_TOPIC]]),
        (Category.curated, [t["culture"], t[ALL_TOPIC]]),
        (Category.promotional, [t["product"]]),
        (Category.owned, [t["engineering"]]),
    ])
    mixed = await timed_run(db, now)
    result.mixed_ms, result.mixed_published = mixed.seconds * 1000, mixed.published
    result.mixed_held = await clear_queue(db)
    for _ in range(WARMUP_DECISIONS):
        await one_decision(db, result)


async def measure(results: Sequence[SizeResult], repeats: int, with_explain: bool) -> None:
    """Time ``repeats`` decisions per size, alternating between the sizes' databases (the
    order rotating every round) so that background load falls on every size alike."""
    dbs = [Database(r.url) for r in results]
    try:
        for db, result in zip(dbs, results, strict=True):
            await warm_up(db, result)
        progress = Progress("decisions", repeats * len(results))
        progress.update(0)
        pairs = list(zip(dbs, results, strict=True))
        for round_ in range(repeats):
            shift = round_ % len(pairs)
            for db, result in pairs[shift:] + pairs[:shift]:
                timing = await one_decision(db, result)
                result.samples.append(timing.seconds)
                result.before_commit.append(timing.before_commit)
            progress.update((round_ + 1) * len(pairs))
        progress.finish()
        if with_explain:
            for db, result in pairs:
                with captured_statements(db) as statements:
                    await one_decision(db, result)
                # Only the publisher's transaction: from its lock to its last write.
                first = next(i for i, st in enumerate(statements) if "locks" in st.sql)
                result.statements = statements[first:]
                async with db.engine.connect() as connection:
                    for statement in result.statements:
                        result.plans.append(await explain(connection, statement, db.is_sqlite))
    finally:
        for db in dbs:
            await db.dispose()


# --------------------------------------------------------------------------- report


def prepare(target: Target, sizes: Sequence[int], advocates: int,
            sets: int) -> list[SizeResult]:
    """A migrated database per size, holding its history and the advocates."""
    results = []
    for index, size in enumerate(sizes):
        print(f"size {size:,}: migrating a fresh database ...", file=sys.stderr)
        url = target.create(index)
        upgrade(url)  # sync: runs its own event loop
        started = time.perf_counter()
        topics = asyncio.run(load_history(url, size, advocates, sets))
        setup = time.perf_counter() - started
        print(f"size {size:,}: history loaded in {setup:.1f}s", file=sys.stderr)
        results.append(SizeResult(size=size, url=url, topics=topics, setup_seconds=setup))
    return results


def print_report(label: str, results: Sequence[SizeResult], repeats: int,
                 with_explain: bool, advocates: int = 0, sets: int = 0) -> None:
    print(f"\nPublisher decision bench — {label}")
    print(f"{len(BLOCK_TOPICS) + 1} topics; {advocates:,} active advocates following "
          f"{min(sets, advocates) if advocates else 0:,} distinct topic sets (feeds)")
    print(f"one decision = publisher.run() publishing exactly one due curated post, in its own "
          f"transaction incl. commit; {repeats} repeats per size, alternating between sizes, after "
          f"{WARMUP_DECISIONS} warm-up runs")
    print("(run ms: publisher.run alone, before the commit; mixed run: the warm-up run over a "
          "handful of posts of every category)")
    print(f"{'size':>9}  {'median ms':>10}  {'p90 ms':>8}  {'min ms':>8}  {'run ms':>8}  "
          f"{'setup s':>8}  mixed run")
    for r in results:
        print(f"{r.size:>9,}  {r.median_ms:>10.2f}  {r.p90_ms:>8.2f}  "
              f"{min(r.samples) * 1000:>8.2f}  {r.before_commit_median_ms:>8.2f}  "
              f"{r.setup_seconds:>8.1f}  "
              f"{r.mixed_published} published, {r.mixed_held} held, {r.mixed_ms:.1f} ms")
    if len(results) >= 2:
        small, large = min(results, key=lambda r: r.size), max(results, key=lambda r: r.size)
        ratio = large.median_ms / small.median_ms
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(f"ratio median({large.size:,}) / median({small.size:,}) = {ratio:.2f}   "
              f"goal ≤ {GOAL_RATIO} (cost flat in history size): {verdict}")
    slowest = max(r.median_ms for r in results)
    verdict = "met" if slowest <= GOAL_MS else "NOT met"
    print(f"slowest median per decision = {slowest:.2f} ms   goal ≤ {GOAL_MS:.0f} ms: {verdict}")
    if with_explain:
        for r in results:
            print(f"\nStatements of one decision at size {r.size:,}:")
            for statement, plan in zip(r.statements, r.plans, strict=True):
                sql = " ".join(statement.sql.split())
                print(f"  {statement.seconds * 1000:7.3f} ms  {sql[:150]}")
                for line in plan:
                    print(f"               {line}")


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes must be integers: {value!r}") from exc
    if not sizes or any(s < 0 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be non-negative integers")
    return sizes


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return number


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None,
                        help="sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db "
                             "(default: a fresh SQLite file in a temporary directory)")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("1000,100000"),
                        help="history sizes, comma-separated (default 1000,100000)")
    parser.add_argument("--repeats", type=positive, default=30,
                        help="timed decisions per size (default 30)")
    parser.add_argument("--advocates", type=non_negative, default=10_000,
                        help="active advocates, each following one of the topic sets "
                             "(default 10000; 0 for none)")
    parser.add_argument("--topic-sets", type=positive, default=500,
                        help="distinct sets of 1-4 followed topics (default 500)")
    parser.add_argument("--explain", action="store_true",
                        help="also print each statement of one decision with its plan")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    target = make_target(args.database_url)
    try:
        results = prepare(target, args.sizes, args.advocates, args.topic_sets)
        load_before = os.getloadavg()[0]
        asyncio.run(measure(results, args.repeats, args.explain))
        load_after = os.getloadavg()[0]
    finally:
        target.remove_all()
    print_report(target.label, results, args.repeats, args.explain, args.advocates,
                 args.topic_sets)
    print(f"\nload average (1 min) before/after the timed decisions: "
          f"{load_before:.2f}/{load_after:.2f} on {os.cpu_count()} CPUs")
    print(f"\ntotal wall time {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
