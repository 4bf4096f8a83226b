"""How fast are the leaderboard, a pilot's KPIs and the organisation's, and how do they grow
with the program?

CONTRACT §5 and §6 promise a leaderboard read from the per-period totals (``period_stats``,
kept current as events arrive) and KPIs read from the per-share daily click totals
(``share_days``, indexed by advocate), never from the clicks themselves, and summed in the
database per report key: neither should grow with the click count.

For two sizes, 1/10 and full (``--scale`` multiplies both), this bench builds a synthetic
program in a fresh PostgreSQL database:

* full size: 10 000 advocates, about 20 shares each over the last 12 weeks, 10 000 000 rows
  in ``clicks`` (about 15 % bots and 3 % self-clicks, which count nowhere), attributed
  conversions, and a pilot over the last 6 weeks (a paid baseline, a cost) whose cohort, one
  group of 1 000 advocates, gets about 1 000 000 clicks on its shares within the pilot's
  dates, some stats snapshots and weekly feedback;
* 1/10: 1 000 advocates, 1 000 000 clicks, a cohort of 100 with about 100 000 clicks.

Users, posts, shares, clicks, conversions, snapshots and feedback go in with COPY
(``copy_records_to_table``), the clicks in chunks with a progress bar, while the next chunk
is generated; the clicks table's indexes and constraints are dropped for the load and
recreated identically afterwards (checked). The aggregates the app keeps current as events
arrive are then derived in bulk from the raw rows, exactly as the app would have left them:
``share_days`` (counted clicks, unique clicks and click points per share and local day,
with the share's advocate, network and post, 2 points per unique click, at most 50 per
share and day) and ``period_stats`` (points,
shares, clicks and conversions per user for every week, month, quarter and all time; 10
points per share, the click points, 20 per attributed conversion), with consistency checks
against what was generated. ``points_ledger`` and ``unique_visits`` are left empty: the
measured reads never touch them. Then VACUUM (ANALYZE), as autovacuum would have.

The app runs in-process (``create_app`` behind ``httpx.ASGITransport``, no jobs), a manager
signs in through ``app.auth.service.start_session``, and after one warm-up request each,
``GET /api/v1/leaderboard?period=week``, ``?period=all``, ``GET /api/v1/pilots/{id}/kpis``
and ``GET /api/v1/kpis`` over the pilot's dates (the organisation: every advocate, about half
of all clicks) are timed ``--requests`` times each per size, the sizes alternating round by
round so that load from other processes falls on both alike. One more request per endpoint
and size runs with its SQL statements captured, to split the time between the database and Python
(``--explain`` also prints the slowest statements' plans, custom and generic, under the
request's own ``SET LOCAL`` settings such as ``work_mem``: the app's
statements are prepared, and PostgreSQL may switch a statement to its generic plan after five
executions on one connection, so the timed requests include what that does). The report gives
medians, p90s, minima and maxima, the growth full / (1/10) against the data's 10x, and the
goals: leaderboard and the caller's own rank <= 25 ms, pilot KPIs <= 300 ms, organisation
KPIs <= 1 s, growth sub-linear (ratio < 10). It is a
measurement, not an assertion: it exits 0 whatever it finds.

    .venv/bin/python -m bench.analytics
    .venv/bin/python -m bench.analytics --scale 0.01 --requests 5
    .venv/bin/python -m bench.analytics \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

The database named in the URL is left alone: scratch databases
``chorus_bench_analytics_<pid>_<advocates>`` are created on that server (through the
``postgres`` database), migrated, and dropped at the end. ``--keep`` leaves them and writes
a manifest (``chorus_bench_analytics_<pid>.json`` in the temporary directory) with what the
report needs of each; ``--reuse MANIFEST`` measures them again without rebuilding (migrating
them to the current head first, so that a new index counts), ``--only full`` one size:

    .venv/bin/python -m bench.analytics --keep --requests 5
    .venv/bin/python -m bench.analytics --reuse /tmp/chorus_bench_analytics_<pid>.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.service import start_session
from app.core.config import Settings
from app.core.db import Database, new_id
from app.core.migrate import upgrade
from app.gamification.periods import ALL_TIME_START, Period, midnight, start_of
from app.gamification.rules import PointRules
from app.main import create_app
from app.models import User
from app.models.enums import Network, PostStatus, Role
from app.tracking.links import CODE_ALPHABET, CODE_LENGTH
from bench.postgres import connect_args, pg_admin
from bench.publisher import PERIOD, Progress, StatementStat, captured_statements, explain, p90

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
FULL_ADVOCATES = 10_000
FULL_CLICKS = 10_000_000
FULL_COHORT = 1_000
FULL_PILOT_CLICKS = 1_000_000
DATA_GROWTH = 10  # full / tenth, for every count above
TZ = "UTC"  # CHORUS_TIMEZONE of the app under test; the aggregates use the same zone
SEED = 20261123

WEEKS = 12  # events spread over the last 12 weeks, ending now
PILOT_DAYS = 42  # the pilot covers the last 6 weeks, today included
POSTS_PER_DAY = 4
SHARES_PER_ADVOCATE = 20  # the mean; a gamma distribution, so some share a lot, some not
SHARE_DELAY_HOURS = 36  # a share comes within 36 h of its post
CLICK_DAYS = 7  # a share's clicks come within its first week, front-loaded
BOT_RATE = 0.15  # of visitors (so of clicks)
SELF_RATE = 0.03
REPEAT_RATE = 0.25  # clicks from a visitor who already clicked the share
CONVERSION_RATE = 0.008  # per unique click
SNAPSHOT_EVERY = 2  # one pilot share in 2 gets stats snapshots, 1 and 3 days after sharing
FEEDBACK_RATE = 0.6  # of the cohort each week
DEPARTMENTS = 10
TOPICS = ("engineering", "product", "culture", "customers")
NETWORKS = (Network.linkedin, Network.x, Network.facebook)
NETWORK_WEIGHTS = (0.6, 0.25, 0.15)
REFERRERS = {Network.linkedin: "www.linkedin.com", Network.x: "t.co",
             Network.facebook: "l.facebook.com"}
PAID_VISITS, PAID_CONVERSIONS = 200_000, 1_000
CHUNK = 100_000  # click rows per COPY

LEADERBOARD_GOAL_MS = 25.0
PILOT_KPI_GOAL_MS = 300.0
ORG_KPI_GOAL_MS = 1000.0
PILOT_COST = "25000.00"  # in USD, the EMV currency: the pilot report computes roi
PLANS_SHOWN = 3  # --explain: plans of the slowest statements of each profiled request
PLAN_WIDTH = 180  # plan lines are cut there (IN lists of a thousand ids)
# The app's statements are prepared (asyncpg): after 5 executions on one connection,
# PostgreSQL may switch to a generic plan, blind to the parameters' values. --explain shows
# both plans of each slow statement: EXPLAIN with parameters always plans for their values,
# so the generic plan is obtained through PREPARE and EXPLAIN EXECUTE.
PLAN_MODES = ("custom plan", "generic plan")


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    label: str
    advocates: int
    clicks: int
    cohort: int
    pilot_clicks: int


def sizes_for(scale: float) -> list[Size]:
    def n(full: int, divisor: int) -> int:
        return max(round(full * scale / divisor), 1)

    return [Size(label, n(FULL_ADVOCATES, d), n(FULL_CLICKS, d), n(FULL_COHORT, d),
                 n(FULL_PILOT_CLICKS, d))
            for label, d in (("1/10", DATA_GROWTH), ("full", 1))]


# --------------------------------------------------------------------------- the program


@dataclass(slots=True)
class ShareRow:
    seq: int
    id: str
    user_id: str
    post_id: str
    network: Network
    followers: int
    created_at: datetime
    cohort: bool  # its advocate is in the pilot's group
    enrolled: bool  # ... and not deactivated: counted by the KPIs
    active: bool  # not deactivated: counted by the organisation's KPIs
    in_pilot: bool  # created within the pilot's dates


@dataclass
class ClickStats:
    """What the generated clicks hold, to check the aggregates and the KPIs against."""

    rows: int = 0
    bots: int = 0
    own: int = 0
    counted: int = 0
    unique: int = 0
    pilot_rows: int = 0  # on cohort shares, within the pilot's dates
    pilot_counted: int = 0  # on enrolled advocates' shares: the KPIs' clicks
    pilot_unique: int = 0
    pilot_conversions: int = 0
    org_counted: int = 0  # within the pilot's dates, on every active advocate's shares
    org_unique: int = 0
    org_conversions: int = 0


@dataclass
class Program:
    """One size's synthetic program: rows ready for COPY, generated deterministically."""

    size: Size
    now: datetime
    rng: random.Random
    pilot_id: str = field(default_factory=new_id)
    tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = field(
        default_factory=dict)
    shares: list[ShareRow] = field(default_factory=list)
    click_counts: list[int] = field(default_factory=list)
    conversions: list[tuple[Any, ...]] = field(default_factory=list)
    stats: ClickStats = field(default_factory=ClickStats)

    @property
    def pilot_starts_on(self) -> date:
        return self.now.date() - timedelta(days=PILOT_DAYS - 1)

    @property
    def pilot_ends_on(self) -> date:
        return self.now.date()

    @property
    def pilot_start_at(self) -> datetime:
        return midnight(self.pilot_starts_on, ZoneInfo(TZ))

    @property
    def pilot_end_at(self) -> datetime:
        return midnight(self.pilot_ends_on + timedelta(days=1), ZoneInfo(TZ))

    def add(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.tables[table] = (columns, rows)

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        return self.tables[table][1]


def build_program(size: Size, now: datetime) -> Program:
    """Everything but the clicks (generated chunk by chunk while loading) and what depends
    on them (conversions)."""
    program = Program(size=size, now=now.replace(microsecond=0), rng=random.Random(SEED))
    _people(program)
    _posts(program)
    _shares(program)
    _allocate_clicks(program)
    _pilot(program)
    return program


def _people(program: Program) -> None:
    rng, now, size = program.rng, program.now, program.size
    joined = now - timedelta(weeks=WEEKS + 4)
    topics = [(new_id(), slug.title(), slug, None, joined) for slug in TOPICS]
    program.add("topics", ("id", "name", "slug", "description", "created_at"), topics)
    pilot_group = (new_id(), "Pilot cohort", "The advocates of the benchmark pilot", joined)
    departments = [(new_id(), f"Department {i + 1:02d}", None, joined)
                   for i in range(DEPARTMENTS)]
    program.add("groups", ("id", "name", "description", "created_at"),
                [pilot_group, *departments])
    users, user_groups, user_topics = [], [], []
    for i in range(size.advocates):
        uid = new_id()
        deactivated = (now - timedelta(days=rng.uniform(1, 60))
                       if rng.random() < 0.01 else None)
        followers = {"linkedin": int(rng.lognormvariate(6.5, 1.0)),
                     "x": int(rng.lognormvariate(5.5, 1.3)),
                     "facebook": int(rng.lognormvariate(5.5, 1.0))}
        role = Role.marketer if i % 100 == 99 else Role.advocate
        users.append((uid, f"advocate{i:05d}@bench.example", f"Advocate {i:05d}", role.value,
                      None, rng.random() < 0.02, json.dumps(followers), deactivated, joined,
                      deactivated or joined))
        user_groups.append((uid, departments[i % DEPARTMENTS][0]))
        if i < size.cohort:
            user_groups.append((uid, pilot_group[0]))
        follows = rng.choices((0, 1, 2), (0.3, 0.5, 0.2))[0]
        user_topics += [(uid, t[0]) for t in rng.sample(topics, follows)]
    program.add("users", ("id", "email", "name", "role", "password_hash",
                          "leaderboard_opt_out", "follower_counts", "deactivated_at",
                          "created_at", "updated_at"), users)
    program.add("user_groups", ("user_id", "group_id"), user_groups)
    program.add("user_topics", ("user_id", "topic_id"), user_topics)


def _posts(program: Program) -> None:
    """Published posts, evenly spread over the weeks (the 6-3-1 mix), one or two topics."""
    now = program.now
    count = POSTS_PER_DAY * WEEKS * 7
    start = now - timedelta(weeks=WEEKS)
    step = (now - timedelta(hours=1) - start) / count
    topics = program.rows("topics")
    posts, links = [], []
    for i in range(count):
        pid, published = new_id(), start + step * (i + 0.5)
        category = PERIOD[i % len(PERIOD)].value
        posts.append((pid, f"https://example.com/bench/{i}", f"Bench post {i}", None, None,
                      category, "{}", None, PostStatus.published.value, None, published, None,
                      None, None, None, published - timedelta(hours=2), published))
        chosen = {i % len(topics)} | ({(i + 1) % len(topics)} if i % 3 == 0 else set())
        links += [(pid, topics[t][0], published, category) for t in sorted(chosen)]
    program.add("posts", ("id", "url", "title", "summary", "image_url", "category",
                          "captions", "campaign", "status", "publish_at", "published_at",
                          "expires_at", "suggested_by", "suggestion_note", "review_note",
                          "created_at", "updated_at"), posts)
    program.add("post_topics", ("post_id", "topic_id", "published_at", "category"), links)


def _code(seq: int) -> str:
    """A distinct 8-character share code per sequence number."""
    chars = []
    for _ in range(CODE_LENGTH):
        seq, digit = divmod(seq, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(reversed(chars))


def _shares(program: Program) -> None:
    rng, now, size = program.rng, program.now, program.size
    posts = program.rows("posts")
    latest = now - timedelta(minutes=2)
    for i, user in enumerate(program.rows("users")):
        uid, deactivated = user[0], user[7]
        followers = json.loads(user[6])
        wanted = int(rng.gammavariate(2.0, SHARES_PER_ADVOCATE / 2))
        for post_index in sorted(rng.sample(range(len(posts)), min(wanted, len(posts)))):
            post = posts[post_index]
            created = min(post[10] + timedelta(seconds=rng.uniform(60, SHARE_DELAY_HOURS
                                                                   * 3600)), latest)
            if deactivated is not None and created >= deactivated:
                continue
            network = rng.choices(NETWORKS, NETWORK_WEIGHTS)[0]
            cohort = i < size.cohort
            program.shares.append(ShareRow(
                seq=len(program.shares), id=new_id(), user_id=uid, post_id=post[0],
                network=network, followers=followers[network.value], created_at=created,
                cohort=cohort, enrolled=cohort and deactivated is None,
                active=deactivated is None,
                in_pilot=program.pilot_start_at <= created < program.pilot_end_at))
    program.add("shares", ("id", "code", "user_id", "post_id", "network", "caption",
                           "follower_count", "external_url", "created_at"),
                [(s.id, _code(s.seq), s.user_id, s.post_id, s.network.value, "", s.followers,
                  None, s.created_at) for s in program.shares])


def _allocate(rng: random.Random, total: int, n: int) -> list[int]:
    """``total`` split over ``n`` shares with heavy-tailed weights; sums to ``total``."""
    if n == 0:
        return []
    weights = [min(rng.paretovariate(1.5), 40.0) for _ in range(n)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for index in rng.sample(range(n), min(max(total - sum(counts), 0), n)):
        counts[index] += 1
    counts[0] += total - sum(counts)  # only ever a rounding step away
    return counts


def _allocate_clicks(program: Program) -> None:
    """The cohort's shares made during the pilot get ``pilot_clicks``; every other share
    shares the rest (the cohort's earlier shares too, whose clicks may reach into the
    pilot: they count there, by their own time)."""
    size, shares = program.size, program.shares
    pilot = [i for i, s in enumerate(shares) if s.cohort and s.in_pilot]
    rest = [i for i, s in enumerate(shares) if not (s.cohort and s.in_pilot)]
    if not pilot:
        pilot, rest = [], list(range(len(shares)))
    counts = [0] * len(shares)
    pilot_total = size.pilot_clicks if pilot else 0
    for indexes, total in ((pilot, pilot_total), (rest, size.clicks - pilot_total)):
        for index, n in zip(indexes, _allocate(program.rng, total, len(indexes)), strict=True):
            counts[index] = n
    program.click_counts = counts


def _pilot(program: Program) -> None:
    rng, now = program.rng, program.now
    group_id = program.rows("groups")[0][0]
    program.add("pilots", ("id", "name", "starts_on", "ends_on", "paid_visits",
                           "paid_conversions", "cost", "created_at"),
                [(program.pilot_id, "Benchmark pilot", program.pilot_starts_on,
                  program.pilot_ends_on, PAID_VISITS, PAID_CONVERSIONS, PILOT_COST,
                  program.pilot_start_at - timedelta(days=3))])
    program.add("pilot_groups", ("pilot_id", "group_id"), [(program.pilot_id, group_id)])
    snapshots = []
    for share in program.shares:
        if share.cohort and share.in_pilot and share.seq % SNAPSHOT_EVERY == 0:
            for days in (1, 3):
                taken = share.created_at + timedelta(days=days)
                if taken < now:
                    impressions = int(share.followers * rng.uniform(0.1, 0.6) * days)
                    snapshots.append((new_id(), share.id, taken, "import", impressions,
                                      int(impressions * rng.uniform(0.01, 0.05)),
                                      int(impressions * rng.uniform(0.0, 0.01)),
                                      int(impressions * rng.uniform(0.0, 0.005)), None))
    program.add("share_stats", ("id", "share_id", "taken_at", "source", "impressions",
                                "likes", "comments", "reshares", "entered_by"), snapshots)
    cohort = {uid for uid, gid in program.rows("user_groups") if gid == group_id}
    active = [u[0] for u in program.rows("users") if u[0] in cohort and u[7] is None]
    feedback = []
    week = start_of(Period.week, program.pilot_starts_on)
    while week <= program.pilot_ends_on:
        opens = max(midnight(week, ZoneInfo(TZ)), program.pilot_start_at)
        for uid in active:
            created = opens + timedelta(seconds=rng.uniform(0, 7 * 86400))
            if rng.random() < FEEDBACK_RATE and created < now:
                score = rng.choices(range(11), (1, 1, 1, 2, 2, 3, 4, 8, 12, 10, 7))[0]
                feedback.append((new_id(), program.pilot_id, uid, week, score, None, created))
        week += timedelta(days=7)
    program.add("feedback", ("id", "pilot_id", "user_id", "week_starts_on", "score",
                             "comment", "created_at"), feedback)


CLICK_COLUMNS = ("id", "click_id", "share_id", "occurred_at", "day", "visitor_hash", "device",
                 "referrer_host", "bot", "self", "is_unique")
CONVERSION_COLUMNS = ("id", "external_id", "click_id", "share_id", "advocate_id", "post_id",
                      "network", "attributed", "type", "value", "currency", "occurred_at",
                      "created_at", "source", "site_key_id")


def click_chunks(program: Program) -> Iterator[list[tuple[Any, ...]]]:
    """The clicks, share by share, in chunks of about CHUNK rows.

    A share's clicks come in its first week (or until now), front-loaded. A quarter of them
    are from visitors who already clicked it; a visitor is a bot (15 %), the advocate (3 %)
    or a person, and a person's first click on the share in a (salt) day is unique, as the
    recorder decides. Attributed conversions follow some unique clicks; they are collected
    in ``program.conversions``.
    """
    rng, stats, now_cap = random.Random(SEED + 1), program.stats, program.now - timedelta(
        seconds=1)
    start_at, end_at = program.pilot_start_at, program.pilot_end_at
    rows: list[tuple[Any, ...]] = []
    seq = 0
    for share, n in zip(program.shares, program.click_counts, strict=True):
        if n == 0:
            continue
        created = share.created_at
        span = (min(created + timedelta(days=CLICK_DAYS), now_cap) - created).total_seconds()
        visitors = max(n - int(n * REPEAT_RATE), 1)
        kinds = [rng.random() for _ in range(visitors)]
        referrer = REFERRERS[share.network]
        prefix = f"{share.seq:016x}"
        seen: set[tuple[date, int]] = set()
        for k in range(n):
            at = created + timedelta(seconds=span * ((k + 0.5) / n) ** 1.6)
            day = at.date()
            v = k % visitors
            bot = kinds[v] < BOT_RATE
            own = not bot and kinds[v] < BOT_RATE + SELF_RATE
            unique = not bot and not own and (day, v) not in seen
            if unique:
                seen.add((day, v))
            seq += 1
            click_id = f"k{seq:021x}"
            device = "bot" if bot else ("mobile" if v % 20 < 11 else
                                        "desktop" if v % 20 < 19 else "tablet")
            rows.append((f"{seq:032x}", click_id, share.id, at, day,
                         f"{prefix}{v:016x}{day.toordinal():032x}", device,
                         referrer if v % 10 >= 3 else None, bot, own, unique))
            in_pilot = start_at <= at < end_at
            stats.bots += bot
            stats.own += own
            if share.cohort and in_pilot:
                stats.pilot_rows += 1
            if not bot and not own:
                stats.counted += 1
                stats.unique += unique
                if share.enrolled and in_pilot:
                    stats.pilot_counted += 1
                    stats.pilot_unique += unique
                if share.active and in_pilot:
                    stats.org_counted += 1
                    stats.org_unique += unique
            if unique and rng.random() < CONVERSION_RATE:
                occurred = min(at + timedelta(minutes=rng.uniform(1, 120)), now_cap)
                purchase = rng.random() < 0.4
                program.conversions.append((
                    new_id(), f"bench-{len(program.conversions)}", click_id, share.id,
                    share.user_id, share.post_id, share.network.value, True,
                    "purchase" if purchase else "signup",
                    f"{rng.choice((19, 49, 99, 249))}.00" if purchase else None, "USD",
                    occurred, occurred, "api", None))
                if share.enrolled and start_at <= occurred < end_at:
                    stats.pilot_conversions += 1
                if share.active and start_at <= occurred < end_at:
                    stats.org_conversions += 1
        stats.rows += n
        if len(rows) >= CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows


# --------------------------------------------------------------------------- loading


def step(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


async def _definitions(connection: asyncpg.Connection, table: str) -> list[str]:
    """The table's indexes and constraints, as DDL: equal before and after the load."""
    rows = await connection.fetch(
        """SELECT pg_get_indexdef(indexrelid) AS ddl FROM pg_index WHERE indrelid = $1::regclass
           UNION ALL
           SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = $1::regclass""", table)
    return sorted(r["ddl"] for r in rows)


async def drop_indexes(connection: asyncpg.Connection, table: str) -> list[str]:
    """Drop the table's constraints and indexes for a bulk load; the DDL restoring them."""
    if await connection.fetchval("SELECT count(*) FROM pg_constraint WHERE confrelid = "
                                 "$1::regclass", table):
        raise RuntimeError(f"a foreign key references {table}: not dropping its indexes")
    constraints = await connection.fetch(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS ddl FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')", table)
    indexes = await connection.fetch(
        """SELECT c.relname, pg_get_indexdef(x.indexrelid) AS ddl
           FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
           WHERE x.indrelid = $1::regclass AND NOT EXISTS (
               SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
               AND k.conrelid = x.indrelid)""", table)
    for row in sorted(constraints, key=lambda r: r["contype"] != "f"):  # foreign keys first
        await connection.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{row["conname"]}"')
    for row in indexes:
        await connection.execute(f'DROP INDEX "{row["relname"]}"')
    restore = [f'ALTER TABLE "{table}" ADD CONSTRAINT "{r["conname"]}" {r["ddl"]}'
               for r in constraints if r["contype"] != "f"]
    restore += [r["ddl"] for r in indexes]
    restore += [f'ALTER TABLE "{table}" ADD CONSTRAINT "{r["conname"]}" {r["ddl"]}'
                for r in constraints if r["contype"] == "f"]
    return restore


async def copy_rows(connection: asyncpg.Connection, program: Program, table: str) -> None:
    columns, rows = program.tables[table]
    await connection.copy_records_to_table(table, records=rows, columns=list(columns))


async def copy_clicks(connection: asyncpg.Connection, program: Program) -> None:
    """COPY the clicks chunk by chunk; the next chunk is generated (in a thread) while the
    server ingests the current one."""
    loop = asyncio.get_running_loop()
    chunks = click_chunks(program)
    progress = Progress(f"{program.size.label:>4} clicks", program.size.clicks)
    progress.update(0)
    pending = loop.run_in_executor(None, next, chunks, None)
    done = 0
    while (chunk := await pending) is not None:
        pending = loop.run_in_executor(None, next, chunks, None)
        await connection.copy_records_to_table("clicks", records=chunk,
                                               columns=list(CLICK_COLUMNS))
        done += len(chunk)
        progress.update(done)
    progress.finish()


SHARE_DAYS_SQL = """
INSERT INTO share_days (share_id, day, user_id, network, post_id, clicks, unique_clicks,
                        click_points)
SELECT c.share_id, (c.occurred_at AT TIME ZONE $1)::date, s.user_id, s.network, s.post_id,
       count(*), count(*) FILTER (WHERE c.is_unique),
       least($2::int, $3::int * count(*) FILTER (WHERE c.is_unique))
FROM clicks c JOIN shares s ON s.id = c.share_id WHERE NOT c.bot AND NOT c."self"
GROUP BY 1, 2, 3, 4, 5
"""

PERIOD_STATS_SQL = """
INSERT INTO period_stats (user_id, period, starts_on, points, shares, clicks, conversions)
SELECT e.user_id, p.period,
       CASE p.period WHEN 'week' THEN date_trunc('week', e.day::timestamp)::date
                     WHEN 'month' THEN date_trunc('month', e.day::timestamp)::date
                     WHEN 'quarter' THEN date_trunc('quarter', e.day::timestamp)::date
                     ELSE $4::date END,
       sum(e.points), sum(e.shares), sum(e.clicks), sum(e.conversions)
FROM (
    SELECT user_id, (created_at AT TIME ZONE $1)::date AS day, $2::int AS points, 1 AS shares,
           0 AS clicks, 0 AS conversions
    FROM shares
    UNION ALL
    SELECT s.user_id, d.day, d.click_points, 0, d.clicks, 0
    FROM share_days d JOIN shares s ON s.id = d.share_id
    UNION ALL
    SELECT advocate_id, (occurred_at AT TIME ZONE $1)::date, $3::int, 0, 0, 1
    FROM conversions WHERE attributed AND advocate_id IS NOT NULL
) AS e CROSS JOIN (VALUES ('week'), ('month'), ('quarter'), ('all')) AS p(period)
GROUP BY 1, 2, 3
"""


@dataclass
class Built:
    """A loaded size: its database, what it holds, and its measurements."""

    size: Size
    url: str
    pilot_id: str
    facts: dict[str, int]
    checks: list[tuple[str, bool]]
    load_seconds: float
    program_stats: ClickStats
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, tuple[float, list[StatementStat], list[list[str]]]] = field(
        default_factory=dict)
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)  # per KPI endpoint
    starts_on: date = date.min  # the pilot's dates: the organisation report's range too
    ends_on: date = date.min

    def path(self, endpoint: Endpoint) -> str:
        return endpoint.path.format(pilot_id=self.pilot_id, start=self.starts_on,
                                    end=self.ends_on + timedelta(days=1))


async def load(url: str, size: Size, now: datetime) -> Built:
    started = time.perf_counter()
    step(f"{size.label}: generating {size.advocates:,} advocates, their posts and shares")
    program = build_program(size, now)
    parsed = make_url(url)
    connection = await asyncpg.connect(**connect_args(parsed, parsed.database or "postgres"))
    try:
        for setting in ("synchronous_commit = off", "maintenance_work_mem = '1GB'",
                        "work_mem = '256MB'"):
            await connection.execute(f"SET {setting}")
        for table in ("users", "topics", "groups", "user_groups", "user_topics", "posts",
                      "post_topics", "shares", "pilots", "pilot_groups", "share_stats",
                      "feedback"):
            await copy_rows(connection, program, table)
        step(f"{size.label}: {len(program.shares):,} shares copied; the clicks table's "
             "indexes and constraints dropped for the load")
        before = await _definitions(connection, "clicks")
        restore = await drop_indexes(connection, "clicks")
        await copy_clicks(connection, program)
        for ddl in restore:
            t0 = time.perf_counter()
            await connection.execute(ddl)
            step(f"{size.label}: {ddl.split(' ON ')[0][:90]} ({time.perf_counter() - t0:.1f}s)")
        if await _definitions(connection, "clicks") != before:
            raise RuntimeError("the clicks table's indexes differ after the load")
        program.add("conversions", CONVERSION_COLUMNS, program.conversions)
        await copy_rows(connection, program, "conversions")
        rules = PointRules()
        t0 = time.perf_counter()
        await connection.execute(SHARE_DAYS_SQL, TZ, rules.unique_click_daily_cap,
                                 rules.unique_click)
        await connection.execute(PERIOD_STATS_SQL, TZ, rules.share_created,
                                 rules.attributed_conversion, ALL_TIME_START)
        step(f"{size.label}: share_days and period_stats derived "
             f"({time.perf_counter() - t0:.1f}s); VACUUM/ANALYZE")
        tables = [*program.tables, "clicks", "share_days", "period_stats"]
        await connection.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        facts, checks = await _check(connection, program, rules)
    finally:
        await connection.close()
    return Built(size=size, url=url, pilot_id=program.pilot_id, facts=facts, checks=checks,
                 load_seconds=time.perf_counter() - started, program_stats=program.stats,
                 starts_on=program.pilot_starts_on, ends_on=program.pilot_ends_on)


async def _check(connection: asyncpg.Connection, program: Program,
                 rules: PointRules) -> tuple[dict[str, int], list[tuple[str, bool]]]:
    """What the database holds, and whether the aggregates match the raw rows."""
    stats = program.stats

    async def count(sql: str, *args: Any) -> int:
        return int(await connection.fetchval(sql, *args) or 0)

    clicks = await count("SELECT count(*) FROM clicks")
    day_clicks = await count("SELECT sum(clicks) FROM share_days")
    day_unique = await count("SELECT sum(unique_clicks) FROM share_days")
    click_points = await count("SELECT sum(click_points) FROM share_days")
    shares = await count("SELECT count(*) FROM shares")
    conversions = await count("SELECT count(*) FROM conversions WHERE attributed")
    expected = (rules.share_created * shares + click_points
                + rules.attributed_conversion * conversions, shares, stats.counted, conversions)
    per_period = {r["period"]: (int(r["points"]), int(r["shares"]), int(r["clicks"]),
                                int(r["conversions"]))
                  for r in await connection.fetch(
                      "SELECT period, sum(points) AS points, sum(shares) AS shares, "
                      "sum(clicks) AS clicks, sum(conversions) AS conversions "
                      "FROM period_stats GROUP BY period")}
    facts = {
        "users": await count("SELECT count(*) FROM users"),
        "posts": await count("SELECT count(*) FROM posts"),
        "shares": shares,
        "clicks": clicks,
        "bot clicks": stats.bots,
        "self clicks": stats.own,
        "counted clicks": stats.counted,
        "attributed conversions": conversions,
        "share_days rows": await count("SELECT count(*) FROM share_days"),
        "period_stats rows": await count("SELECT count(*) FROM period_stats"),
        "cohort": await count("SELECT count(*) FROM user_groups ug JOIN pilot_groups pg "
                              "ON pg.group_id = ug.group_id"),
        "cohort shares in the pilot": sum(s.cohort and s.in_pilot for s in program.shares),
        "pilot clicks (cohort shares, pilot dates)": stats.pilot_rows,
        "  of which counted (enrolled advocates)": stats.pilot_counted,
        "    of which unique": stats.pilot_unique,
        "pilot conversions": stats.pilot_conversions,
        "stats snapshots": len(program.rows("share_stats")),
        "feedback rows": len(program.rows("feedback")),
    }
    checks = [
        ("clicks table holds every generated click", clicks == stats.rows),
        ("share_days clicks = counted clicks", day_clicks == stats.counted),
        ("share_days unique clicks = unique clicks", day_unique == stats.unique),
        ("share_days click points = min(50, 2 x unique) per share and day",
         click_points == await count(
             "SELECT sum(least($1::int, $2::int * unique_clicks)) FROM share_days",
             rules.unique_click_daily_cap, rules.unique_click)),
        ("period_stats: every period sums to 10/share + click points + 20/conversion",
         all(per_period.get(p.value) == expected for p in Period)),
    ]
    return facts, checks


MANIFEST_VERSION = 1


def manifest_path(pid: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"chorus_bench_analytics_{pid}.json")


def write_manifest(path: str, built: Sequence[Built]) -> None:
    """What --reuse needs to measure kept databases again without rebuilding them."""
    entries = [{"size": asdict(b.size), "url": b.url, "pilot_id": b.pilot_id,
                "facts": b.facts, "checks": b.checks, "load_seconds": b.load_seconds,
                "program_stats": asdict(b.program_stats), "starts_on": b.starts_on.isoformat(),
                "ends_on": b.ends_on.isoformat()} for b in built]
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"version": MANIFEST_VERSION, "sizes": entries}, out, indent=1)


def read_manifest(path: str, scale: float | None) -> list[Built]:
    """The kept databases of a --keep run, migrated to the current head (a new index is
    then measured too); ``scale`` None keeps every size, else those of that scale."""
    with open(path, encoding="utf-8") as source:
        manifest = json.load(source)
    if manifest.get("version") != MANIFEST_VERSION:
        raise SystemExit(f"{path}: not a manifest of this bench's version")
    built = []
    wanted = None if scale is None else {s.advocates for s in sizes_for(scale)}
    for entry in manifest["sizes"]:
        size = Size(**entry["size"])
        if wanted is not None and size.advocates not in wanted:
            continue
        step(f"{size.label}: reusing {entry['url'].rsplit('/', 1)[-1]}; migrating to head")
        upgrade(entry["url"])
        built.append(Built(
            size=size, url=entry["url"], pilot_id=entry["pilot_id"], facts=entry["facts"],
            checks=[(label, bool(ok)) for label, ok in entry["checks"]],
            load_seconds=entry["load_seconds"],
            program_stats=ClickStats(**entry["program_stats"]),
            starts_on=date.fromisoformat(entry["starts_on"]),
            ends_on=date.fromisoformat(entry["ends_on"])))
    if not built:
        raise SystemExit(f"{path}: no size of that scale")
    return built


def prepare(base: URL, scale: float, created: list[str]) -> list[Built]:
    now = datetime.now(UTC)
    built = []
    for size in sizes_for(scale):
        name = f"chorus_bench_analytics_{os.getpid()}_{size.advocates}"
        step(f"{size.label}: creating and migrating {name}")
        asyncio.run(pg_admin(base, f'CREATE DATABASE "{name}"'))
        created.append(name)
        url = base.set(database=name).render_as_string(hide_password=False)
        upgrade(url)  # sync: runs its own event loop
        built.append(asyncio.run(load(url, size, now)))
        step(f"{size.label}: loaded in {built[-1].load_seconds:.1f}s")
    return built


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # {pilot_id} filled in per size
    goal_ms: float


ENDPOINTS = (
    Endpoint("leaderboard week", "/api/v1/leaderboard?period=week", LEADERBOARD_GOAL_MS),
    Endpoint("leaderboard all", "/api/v1/leaderboard?period=all", LEADERBOARD_GOAL_MS),
    # The caller (the bench's manager, without points: the rank's slowest case) ranked as if
    # listed.
    Endpoint("my rank week", "/api/v1/me/stats?period=week", LEADERBOARD_GOAL_MS),
    Endpoint("pilot KPIs", "/api/v1/pilots/{pilot_id}/kpis", PILOT_KPI_GOAL_MS),
    Endpoint("org KPIs", "/api/v1/kpis?from={start}&to={end}", ORG_KPI_GOAL_MS),
)
KPI_ENDPOINTS = ("pilot KPIs", "org KPIs")


async def _manager_token(db: Database) -> str:
    """A session of the bench's manager, created on first use (a reused database keeps its
    one manager: the organisation's report does not grow by a user per run)."""
    async with db.transaction() as session:
        user = (await session.execute(select(User).where(
            User.role == Role.manager, User.email.like("manager-%@bench.example"))
            .order_by(User.created_at).limit(1))).scalar_one_or_none()
        if user is None:
            user = User(email=f"manager-{secrets.token_hex(4)}@bench.example",
                        name="Bench Manager", role=Role.manager, follower_counts={})
            session.add(user)
            await session.flush()
        return (await start_session(session, user=user)).token


async def measure(built: Sequence[Built], requests: int, with_explain: bool) -> None:
    clients: list[tuple[Built, httpx.AsyncClient, Database]] = []
    try:
        for b in built:
            settings = Settings(_env_file=None, database_url=b.url,
                                secret_key=secrets.token_urlsafe(32), timezone=TZ)
            app = create_app(settings, run_jobs=False)
            db: Database = app.state.db
            token = await _manager_token(db)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                       base_url="http://bench.test", timeout=120,
                                       headers={"Authorization": f"Bearer {token}"})
            clients.append((b, client, db))
        for b, client, _db in clients:  # warm-up, and the KPIs to check
            for endpoint in ENDPOINTS:
                response = await client.get(b.path(endpoint))
                if response.status_code != 200:
                    b.errors[endpoint.name] = f"{response.status_code} {response.text[:300]}"
                elif endpoint.name in KPI_ENDPOINTS:
                    b.kpis[endpoint.name] = response.json()
        progress = Progress("requests", requests * len(clients) * len(ENDPOINTS))
        progress.update(0)
        for round_ in range(requests):
            shift = round_ % len(clients)
            for b, client, _db in clients[shift:] + clients[:shift]:
                for endpoint in ENDPOINTS:
                    if endpoint.name in b.errors:
                        continue
                    path = b.path(endpoint)
                    started = time.perf_counter()
                    response = await client.get(path)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        b.errors[endpoint.name] = f"{response.status_code} {response.text[:300]}"
                        continue
                    b.samples.setdefault(endpoint.name, []).append(elapsed)
                progress.update((round_ + 1) * len(clients) * len(ENDPOINTS))
        progress.finish()
        for b, client, db in clients:  # one more request each, its SQL captured
            for endpoint in ENDPOINTS:
                if endpoint.name in b.errors:
                    continue
                with captured_statements(db) as statements:
                    started = time.perf_counter()
                    await client.get(b.path(endpoint))
                    elapsed = time.perf_counter() - started
                plans: list[list[str]] = []
                if with_explain:
                    slowest = sorted(statements, key=lambda s: -s.seconds)[:PLANS_SHOWN]
                    async with db.engine.connect() as connection:
                        # The request's own settings (the KPIs' SET LOCAL work_mem, jit...),
                        # in this transaction too: plans as the request ran them.
                        for statement in statements:
                            if statement.sql.lstrip().upper().startswith("SET "):
                                await connection.exec_driver_sql(statement.sql)
                        for statement in slowest:
                            plans.append([f"[{PLAN_MODES[0]}]",
                                          *await explain(connection, statement, False)])
                            plans.append([f"[{PLAN_MODES[1]}]",
                                          *await explain_generic(connection, statement)])
                b.profiles[endpoint.name] = (elapsed, list(statements), plans)
    finally:
        for _b, client, db in clients:
            await client.aclose()
            await db.dispose()


def _literal(value: Any) -> str:
    """An SQL literal of a captured parameter (ours: ids, dates, numbers, flags)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


async def explain_generic(connection: AsyncConnection, statement: StatementStat) -> list[str]:
    """The generic plan of a captured SELECT, run (ANALYZE) with its parameters."""
    if not statement.sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return ["(not a SELECT)"]
    await connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    await connection.exec_driver_sql(f"PREPARE bench_generic AS {statement.sql}")
    try:
        types = (await connection.exec_driver_sql(
            "SELECT parameter_types::text[] FROM pg_prepared_statements "
            "WHERE name = 'bench_generic'")).scalar_one()
        # EXECUTE takes no protocol parameters: its arguments are written out.
        arguments = ", ".join(f"{_literal(v)}::{t}"
                              for v, t in zip(statement.parameters, types, strict=True))
        rows = (await connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic({arguments})" if types
            else "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic")).fetchall()
    finally:
        await connection.exec_driver_sql("DEALLOCATE bench_generic")
        await connection.exec_driver_sql("RESET plan_cache_mode")
    return [str(row[0]) for row in rows]


# --------------------------------------------------------------------------- report


def _ms(samples: Sequence[float] | None, how: str = "median") -> float | None:
    if not samples:
        return None
    return (statistics.median(samples) if how == "median" else p90(samples)) * 1000


def _fmt(value: float | None, width: int = 9) -> str:
    return f"{value:>{width}.1f}" if value is not None else f"{'-':>{width}}"


def print_report(base: URL, built: Sequence[Built], requests: int, with_explain: bool) -> None:
    small, large = built[0], built[-1]
    print(f"\nAnalytics bench — PostgreSQL {base.host}:{base.port or 5432}, scratch databases "
          f"chorus_bench_analytics_{os.getpid()}_<advocates>, CHORUS_TIMEZONE={TZ}")
    print(f"\n{'data set':<44}{small.size.label:>14}{large.size.label:>14}")
    for key in small.facts:
        print(f"{key:<44}{small.facts[key]:>14,}{large.facts[key]:>14,}")
    print(f"{'load time (s)':<44}{small.load_seconds:>14.1f}{large.load_seconds:>14.1f}")
    for (label, ok_small), (_label, ok_large) in zip(small.checks, large.checks, strict=True):
        print(f"check: {label:<76} {'ok' if ok_small and ok_large else 'FAILED'}")
    for b in built:
        stats = b.program_stats
        expected = {"pilot KPIs": (stats.pilot_counted, stats.pilot_unique,
                                   stats.pilot_conversions),
                    "org KPIs": (stats.org_counted, stats.org_unique, stats.org_conversions)}
        for name, kpis in b.kpis.items():
            got = (kpis.get("clicks"), kpis.get("unique_clicks"), kpis.get("conversions"))
            want = expected[name]
            print(f"check: {b.size.label} {name} clicks/unique clicks/conversions {got} = "
                  f"generated {want}: {'ok' if got == want else 'MISMATCH'} (enrolled "
                  f"{kpis.get('enrolled')}, shares {kpis.get('shares')}, "
                  f"{len(kpis.get('by_group', {}))} groups, {len(kpis.get('by_topic', {}))} "
                  f"topics, {len(kpis.get('weekly', []))} weeks, "
                  f"{len(kpis.get('top_posts', []))} top posts, "
                  f"{len(kpis.get('conversions_by_type', {}))} conversion types, "
                  f"roi {kpis.get('roi')})")

    print(f"\nlatency through the API (in-process ASGI), ms: {requests} requests per endpoint "
          "and size after one warm-up, the sizes alternating")
    print(f"{'endpoint':<18}{'size':>6}{'median':>10}{'p90':>10}{'min':>10}{'max':>10}")
    for endpoint in ENDPOINTS:
        for b in built:
            samples = b.samples.get(endpoint.name)
            print(f"{endpoint.name:<18}{b.size.label:>6}{_fmt(_ms(samples), 10)}"
                  f"{_fmt(_ms(samples, 'p90'), 10)}"
                  f"{_fmt(min(samples) * 1000 if samples else None, 10)}"
                  f"{_fmt(max(samples) * 1000 if samples else None, 10)}")

    print(f"\n{'endpoint':<18}{'1/10 med':>10}{'full med':>10}{'growth':>8}{'data':>6}  goals")
    for endpoint in ENDPOINTS:
        s_med = _ms(small.samples.get(endpoint.name))
        l_med = _ms(large.samples.get(endpoint.name))
        ratio = l_med / s_med if l_med is not None and s_med else None
        fast = l_med is not None and l_med <= endpoint.goal_ms
        sublinear = ratio is not None and ratio < DATA_GROWTH
        print(f"{endpoint.name:<18}{_fmt(s_med, 10)}{_fmt(l_med, 10)}{_fmt(ratio, 7)}x"
              f"{DATA_GROWTH:>5}x  <= {endpoint.goal_ms:.0f} ms: {'met' if fast else 'NOT met'}"
              f"; sub-linear (< {DATA_GROWTH}x): {'met' if sublinear else 'NOT met'}")
    for b in built:
        for name, error in b.errors.items():
            print(f"ERROR {b.size.label} {name}: {error}")

    print("\none more request per endpoint and size with its SQL captured "
          "(SQL = the statements' time as the driver saw it; rest = Python, HTTP, auth)")
    print(f"{'endpoint':<18}{'size':>6}{'total ms':>10}{'SQL ms':>9}{'rest ms':>9}"
          f"{'stmts':>7}  slowest statement")
    for endpoint in ENDPOINTS:
        for b in built:
            if endpoint.name not in b.profiles:
                continue
            total, statements, _plans = b.profiles[endpoint.name]
            sql = sum(s.seconds for s in statements)
            slowest = max(statements, key=lambda s: s.seconds, default=None)
            what = (f"{slowest.seconds * 1000:.1f} ms {' '.join(slowest.sql.split())[:70]}"
                    if slowest else "")
            print(f"{endpoint.name:<18}{b.size.label:>6}{total * 1000:>10.1f}{sql * 1000:>9.1f}"
                  f"{(total - sql) * 1000:>9.1f}{len(statements):>7}  {what}")
    if with_explain:
        for b in built:
            for name, (_total, statements, plans) in b.profiles.items():
                print(f"\n{name} at {b.size.label}: the slowest statements and their plans")
                top = sorted(statements, key=lambda s: -s.seconds)[:PLANS_SHOWN]
                for i, statement in enumerate(top):
                    print(f"  {statement.seconds * 1000:8.2f} ms in the app  "
                          f"{' '.join(statement.sql.split())[:160]}")
                    for plan in plans[i * len(PLAN_MODES):(i + 1) * len(PLAN_MODES)]:
                        for line in plan:
                            print(f"               {line[:PLAN_WIDTH]}")


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def scale_value(value: str) -> float:
    number = float(value)
    if not 0 < number <= 10:
        raise argparse.ArgumentTypeError("the scale must be in (0, 10]")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help=f"a postgresql+asyncpg URL (default {DEFAULT_URL}); scratch "
                             "databases are created on its server")
    parser.add_argument("--scale", type=scale_value, default=1.0,
                        help="multiplies every count (default 1.0: 10k advocates, 10M clicks; "
                             "0.01 for a quick smoke run)")
    parser.add_argument("--requests", type=positive, default=20,
                        help="timed requests per endpoint and size (default 20)")
    parser.add_argument("--explain", action="store_true",
                        help="also print the plans of each profiled request's slowest "
                             "statements")
    parser.add_argument("--keep", action="store_true",
                        help="leave the scratch databases (to profile them, or measure them "
                             "again with --reuse); print their URLs and write a manifest")
    parser.add_argument("--reuse", metavar="MANIFEST",
                        help="measure the databases a --keep run left (its manifest, a JSON "
                             "file) instead of building new ones; they are migrated to the "
                             "current head and never dropped. With --scale, only that "
                             "scale's sizes present in the manifest")
    parser.add_argument("--only", choices=("1/10", "full"),
                        help="measure one size only (with --reuse)")
    args = parser.parse_args(argv)
    scale_given = any(a == "--scale" or a.startswith("--scale=") for a in (
        argv if argv is not None else sys.argv[1:]))
    base = make_url(args.database_url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("this bench needs PostgreSQL (postgresql+asyncpg://...)")
    base = base.set(drivername="postgresql+asyncpg")

    started = time.perf_counter()
    created: list[str] = []
    built: list[Built] = []
    try:
        if args.reuse:
            built = read_manifest(args.reuse, args.scale if scale_given else None)
            if args.only:
                built = [b for b in built if b.size.label == args.only] or built
        else:
            built = prepare(base, args.scale, created)
            if args.keep:
                path = manifest_path(os.getpid())
                write_manifest(path, built)
                print(f"manifest for --reuse: {path}", file=sys.stderr)
        load_before = os.getloadavg()[0]
        asyncio.run(measure(built, args.requests, args.explain))
        load_after = os.getloadavg()[0]
    finally:
        if args.keep or args.reuse:
            for b in built:
                print(f"kept {b.url} (pilot {b.pilot_id})", file=sys.stderr)
        else:
            for name in reversed(created):
                asyncio.run(pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print_report(base, built, args.requests, args.explain)
    print(f"\nload average (1 min) before/after the timed requests: "
          f"{load_before:.2f}/{load_after:.2f} on {os.cpu_count()} CPUs")
    print(f"total wall time {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
