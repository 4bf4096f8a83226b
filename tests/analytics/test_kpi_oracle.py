"""The KPIs the API answers equal, to the last digit, CONTRACT §6 read row by row from the raw
tables (``oracle.py``, which imports nothing from ``app/`` but the models).

Random programs in Europe/Berlin around a DST change (2026-03-29): cohorts of groups plus
users, deactivations, a membership changed after the events, posts in zero to two topics
(some archived), advocates of every role following zero to two topics, a post shared on two
networks, bots, self-clicks (the advocate's own cookie, or a device they used signed in that
day), another advocate's cookie, repeated visitors, clicks and conversions before, inside and
after the range, conversions naming bots, self-clicks and unknown clicks, stats snapshots,
feedback to two pilots.

The test writes only what a person or an integration would: users, topics, groups, posts,
shares, snapshots and feedback as rows; the EMV settings, pilots, conversions and membership
changes through the API; and every click through ``GET /s/{code}``, at its own time
(time-machine), from its own address and user agent, so the app decides every flag and every
daily total itself. The flags it decided are checked against the test's own account of the
requests; then each seed compares the pilot's own range, a random range cutting weeks at both
ends, a few days around the DST change, and the organisation's report (``GET /api/v1/kpis``)
over a random range, as a whole and for one group: every KPI, every breakdown and week,
``top_posts``, ``conversions_by_type`` and ``roi`` (the pilot's cost is random: none, zero,
or an amount set on creation or by PATCH).
"""

from __future__ import annotations

import math
import random
import re
import string
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select, update

from app.models import Click, Feedback, Group, Post, PostTopic, Share, StatsSnapshot, Topic, User
from app.models.enums import Category, Network, PostStatus, Role
from tests.analytics.oracle import (
    MIN_SAMPLE,
    Emv,
    World,
    cohort_of,
    local_midnight,
    read_world,
    report,
    vs_paid,
)

if TYPE_CHECKING:
    from tests.builders import Api  # the conftest's ``api`` fixture: a client and a database

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)
PILOT_START, PILOT_END = date(2026, 3, 11), date(2026, 4, 14)  # DST starts 2026-03-29
FIRST, LAST = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 25, tzinfo=UTC)
NETWORKS = (Network.linkedin, Network.x, Network.facebook, Network.email)
SEEDS = range(4)

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Mobile Safari/537.36")
BROWSERS = (CHROME, IPHONE, FIREFOX, ANDROID)
BOTS = ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "python-httpx/0.28.1")

@pytest.fixture
def settings(settings: Any) -> Any:
    """The conftest's settings in a zone with a DST change inside the pilot."""
    return settings.model_copy(update={"timezone": TZ_NAME})


# ---------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class Device:
    address: str
    agent: str


@dataclass
class Advocate:
    id: str
    token: str
    phone: Device


@dataclass
class ShareSpec:
    id: str
    code: str
    user_id: str
    created_at: datetime


@dataclass(frozen=True)
class Flags:
    bot: bool
    own: bool
    unique: bool


@dataclass
class Program:
    seed: int
    rng: random.Random
    api: Api
    app: FastAPI
    stack: AsyncExitStack
    edges: list[datetime]  # local midnights where the checked ranges and weeks turn
    admin: dict[str, str] = field(default_factory=dict)
    manager: dict[str, str] = field(default_factory=dict)
    emv: Emv = Emv("USD", {})
    topics: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    advocates: list[Advocate] = field(default_factory=list)
    shares: list[ShareSpec] = field(default_factory=list)
    expected: dict[str, Flags] = field(default_factory=dict)  # click id -> flags
    click_times: dict[str, datetime] = field(default_factory=dict)
    pilot: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def moment(self, after: datetime = FIRST, before: datetime = LAST) -> datetime:
        """A random instant in [after, before); one in eight falls exactly on an edge of
        a range or a week, when one lies there, so that every bound is tried."""
        edges = [e for e in self.edges if after <= e < before]
        if edges and self.rng.random() < 0.125:
            return self.rng.choice(edges)
        seconds = int((before - after).total_seconds())
        return after + timedelta(seconds=self.rng.randrange(max(seconds, 1)))

    async def client(self, address: str) -> httpx.AsyncClient:
        """A client whose requests come from ``address`` (the app sees it as the peer)."""
        if address not in self.clients:
            transport = httpx.ASGITransport(app=self.app, client=(address, 41000))
            self.clients[address] = await self.stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return self.clients[address]


async def _build(program: Program) -> None:
    rng, api = program.rng, program.api
    _, program.admin = await api.user(Role.admin)
    _, program.manager = await api.user(Role.manager)

    cpm = {n.value: Decimal(rng.randrange(0, 40_000)) / 1000 for n in Network}
    currency = rng.choice(("USD", "EUR"))
    answer = await api.client.put("/api/v1/settings/emv", headers=program.admin,
                                  json={"currency": currency,
                                        "cpm": {k: str(v) for k, v in cpm.items()}})
    assert answer.status_code == 200, answer.text
    program.emv = Emv(currency, cpm)

    async with api.db.transaction() as session:
        topics = [Topic(name=f"T{i}", slug=f"t{i}") for i in range(3)]
        groups = [Group(name=f"G{i}") for i in range(3)]
        session.add_all([*topics, *groups])
        await session.flush()
        program.topics, program.groups = [t.id for t in topics], [g.id for g in groups]

    for i in range(10):
        role = rng.choice((Role.advocate,) * 6 + (Role.marketer, Role.manager, Role.admin))
        user, headers = await api.user(
            role, topic_ids=rng.sample(program.topics, rng.choice((0, 0, 1, 2))),
            group_ids=rng.sample(program.groups, rng.choice((0, 1, 1, 2))))
        phone = Device(f"198.51.100.{10 + i}", rng.choice(BROWSERS))
        program.advocates.append(Advocate(user.id, headers["Authorization"].split()[1], phone))

    async with api.db.transaction() as session:
        # Everyone existed before the program started but one advocate, whose account is
        # dated after every organisation range checked (ending by LAST - 1 day): the
        # organisation's cohort is who existed at the cutoff, and that one did not.
        await session.execute(update(User).values(created_at=FIRST - timedelta(days=30)))
        await session.execute(update(User).where(
            User.id == rng.choice(program.advocates).id).values(created_at=LAST))
        posts: list[Post] = []
        times: set[datetime] = set()
        while len(times) < 16:  # distinct (published_at orders them); more than ten
            times.add(program.moment(FIRST, LAST - timedelta(days=8)))
        for i, published in enumerate(sorted(times)):
            posts.append(Post(
                url=f"https://example.com/{i}", title=f"Post {i}", category=Category.curated,
                captions={"default": f"Caption {i}"},
                status=rng.choice((PostStatus.published,) * 4 + (PostStatus.archived,)),
                publish_at=published, published_at=published,
                created_at=published - timedelta(hours=1)))
        session.add_all(posts)
        await session.flush()
        for post in posts:
            for topic in rng.sample(program.topics, rng.choice((0, 1, 1, 2))):
                session.add(PostTopic(post_id=post.id, topic_id=topic,
                                      published_at=post.published_at,
                                      category=Category.curated))
        shares: list[Share] = []
        for n, advocate in enumerate(program.advocates):
            for k, post in enumerate(rng.sample(posts, rng.randrange(1, 6))):
                assert post.published_at is not None
                both = n == 0 and k == 0  # at least one post shared on two networks
                networks = rng.sample(NETWORKS, 2 if both else rng.choice((1, 1, 1, 2)))
                for network in networks:
                    shares.append(Share(
                        code="".join(rng.choices(string.ascii_letters + string.digits, k=10)),
                        user_id=advocate.id, post_id=post.id, network=network, caption="",
                        follower_count=rng.randrange(0, 3000),
                        created_at=program.moment(post.published_at,
                                                  post.published_at + timedelta(days=6))))
        session.add_all(shares)
        await session.flush()
        program.shares = [ShareSpec(s.id, s.code, s.user_id, s.created_at) for s in shares]
        for share in rng.sample(program.shares, len(program.shares) // 3):
            taken = {program.moment(share.created_at, share.created_at + timedelta(days=12))
                     for _ in range(rng.randrange(1, 4))}
            for when in taken:  # distinct times: "the newest" is one snapshot
                session.add(StatsSnapshot(
                    share_id=share.id, source="manual", taken_at=when,
                    impressions=rng.randrange(1000), likes=rng.randrange(20),
                    comments=rng.randrange(5), reshares=rng.randrange(5)))

    await _clicks(program)
    await _conversions(program)
    await _pilots_and_feedback(program)

    # The cohort is the groups' current members: someone changes groups and topics after
    # the events, and some people leave.
    moved = rng.choice(program.advocates)
    answer = await api.client.patch(
        f"/api/v1/users/{moved.id}", headers=program.admin,
        json={"group_ids": rng.sample(program.groups, rng.randrange(0, 3)),
              "topic_ids": rng.sample(program.topics, rng.randrange(0, 2))})
    assert answer.status_code == 200, answer.text
    async with api.db.transaction() as session:
        for advocate in program.advocates:
            if rng.random() < 0.25:
                await session.execute(update(User).where(User.id == advocate.id).values(
                    deactivated_at=program.moment(FIRST, LAST + timedelta(days=15))))


async def _clicks(program: Program) -> None:
    """Every click through ``GET /s/{code}`` in time order (the visitor salt lives one UTC
    day), with the flags CONTRACT §4 gives it, from the test's own account of who asked."""
    rng = program.rng
    visitors = [Device(f"203.0.113.{20 + i}", agent)
                for i in range(5) for agent in rng.sample(BROWSERS, rng.choice((1, 1, 2)))]
    by_user = {a.id: a for a in program.advocates}
    events: list[tuple[datetime, int, Any]] = []
    for share in program.shares:
        owner = by_user[share.user_id]
        for _ in range(rng.randrange(5)):
            when = program.moment(share.created_at, share.created_at + timedelta(days=9))
            how = rng.choices(("visitor", "bot", "own cookie", "own phone", "other cookie"),
                              weights=(60, 12, 10, 10, 8))[0]
            other = rng.choice(program.advocates)  # now and then the owner
            cookie = None
            if how == "bot":
                device = Device(rng.choice(visitors).address, rng.choice(BOTS))
            elif how == "own cookie":
                device, cookie = owner.phone, owner.token
            elif how == "own phone":
                device = owner.phone
            elif how == "other cookie":
                device, cookie = other.phone, other.token
            else:
                device = rng.choice(visitors)
            events.append((when, 1, (share, device, cookie)))
            if rng.random() < 0.3:  # the same visitor again, the same day or the next
                again = when + timedelta(seconds=rng.randrange(60, 30 * 3600))
                events.append((again, 1, (share, device, cookie)))
    for advocate in program.advocates:  # signed-in requests from the advocate's phone
        for _ in range(rng.randrange(4)):
            events.append((program.moment(), 0, advocate))
    events.sort(key=lambda e: (e[0], e[1]))

    signed_in: set[tuple[str, date, Device]] = set()  # (user, UTC day, device)
    seen: set[tuple[str, date, Device]] = set()  # (share, UTC day, device) counted before
    for when, kind, subject in events:
        with time_machine.travel(when, tick=False):
            if kind == 0:
                person: Advocate = subject
                client = await program.client(person.phone.address)
                answer = await client.get("/api/v1/me", headers={
                    "authorization": f"Bearer {person.token}", "user-agent": person.phone.agent})
                assert answer.status_code == 200, answer.text
                signed_in.add((person.id, when.date(), person.phone))
                continue
            share, device, cookie = subject
            owner = by_user[share.user_id]
            headers = {"user-agent": device.agent}
            if cookie is not None:
                headers["cookie"] = f"chorus_session={cookie}"
            client = await program.client(device.address)
            answer = await client.get(f"/s/{share.code}", headers=headers)
            assert answer.status_code == 302, answer.text
            click_id = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["chorus_cid"]
            bot = device.agent in BOTS
            own = not bot and (cookie == owner.token
                               or (owner.id, when.date(), device) in signed_in)
            unique = not bot and not own and (share.id, when.date(), device) not in seen
            if unique:
                seen.add((share.id, when.date(), device))
            program.expected[click_id] = Flags(bot, own, unique)
            program.click_times[click_id] = when

    async with program.api.db.transaction() as session:
        decided = {c.click_id: Flags(c.bot, c.is_self, c.is_unique)
                   for c in await session.scalars(select(Click))}
    assert decided == program.expected, "the app decided other flags than CONTRACT §4 gives"


async def _conversions(program: Program) -> None:
    """Conversions through ``POST /api/v1/conversions`` with an API key, each at its own
    (past) time: on counted clicks, bots, self-clicks, unknown click ids and none, once
    replayed."""
    rng, api = program.rng, program.api
    answer = await api.client.post("/api/v1/api-keys", headers=program.admin,
                                   json={"name": "crm", "scopes": ["conversions:write"]})
    assert answer.status_code == 201, answer.text
    key = {"authorization": f"Bearer {answer.json()['key']}"}
    currencies = rng.choice(((None,), ("EUR",), ("EUR", "EUR", "USD"), (None, "EUR", "USD")))
    # In the order they were made: click ids are random, the choice must not depend on them.
    clicks = rng.sample(list(program.click_times), min(20, len(program.click_times)))
    bodies: list[dict[str, Any]] = []
    for n, click_id in enumerate([*clicks, "unknownClickId0000000", None]):
        after = program.click_times.get(click_id or "", program.moment())
        body: dict[str, Any] = {
            "click_id": click_id, "external_id": f"crm-{n}",
            "type": rng.choice(("signup", "demo", "deal")),
            "occurred_at": program.moment(after, after + timedelta(days=3)).isoformat()}
        value = rng.choice((None, "10", "2.50", "99.99", "0.001", 7, "0"))
        if value is not None:
            body["value"] = value
        currency = rng.choice(currencies)
        if currency is not None:
            body["currency"] = currency
        bodies.append(body)
    bodies.append({**bodies[0], "value": "12345", "currency": "JPY"})  # a replay: ignored
    for n, body in enumerate(bodies):
        answer = await api.client.post("/api/v1/conversions", headers=key, json=body)
        # Each new external_id is created (201); the replay answers the stored one (200).
        assert answer.status_code == (200 if n == len(bodies) - 1 else 201), answer.text


async def _pilots_and_feedback(program: Program) -> None:
    rng, api = program.rng, program.api
    baseline = rng.choice((None, {"paid_visits": 2000, "paid_conversions": 30},
                           {"paid_visits": 500, "paid_conversions": 0}))
    pilot: dict[str, Any] = {
        "name": "Random", "starts_on": PILOT_START.isoformat(), "ends_on": PILOT_END.isoformat(),
        "group_ids": rng.sample(program.groups, 2),
        "user_ids": [a.id for a in rng.sample(program.advocates, 2)]}
    if baseline is not None:
        pilot["baseline"] = baseline
    cost = rng.choice((None, "0", "1500", "249.99", 80))
    patch_cost = rng.random() < 0.5
    if cost is not None and not patch_cost:
        pilot["cost"] = cost
    answer = await api.client.post("/api/v1/pilots", headers=program.manager, json=pilot)
    assert answer.status_code == 201, answer.text
    if cost is not None and patch_cost:
        patched = await api.client.patch(f"/api/v1/pilots/{answer.json()['id']}",
                                          headers=program.manager, json={"cost": cost})
        assert patched.status_code == 200, patched.text
        answer = patched
    assert (answer.json()["cost"] is None) == (cost is None), answer.text
    program.pilot = {**pilot, "id": answer.json()["id"], "baseline": baseline,
                     "cost": None if cost is None else Decimal(str(cost))}
    other = await api.client.post("/api/v1/pilots", headers=program.manager, json={
        "name": "Other", "starts_on": PILOT_START.isoformat(), "ends_on": PILOT_END.isoformat(),
        "group_ids": [rng.choice(program.groups)]})
    assert other.status_code == 201, other.text
    pilots = (program.pilot["id"], other.json()["id"])
    async with api.db.transaction() as session:
        for advocate in program.advocates:
            week = PILOT_START - timedelta(days=PILOT_START.weekday() + 7)
            while week <= PILOT_END + timedelta(days=7):
                if rng.random() < 0.5:
                    start = local_midnight(week, TZ)
                    session.add(Feedback(
                        pilot_id=rng.choice(pilots), user_id=advocate.id, week_starts_on=week,
                        score=rng.randrange(11),
                        created_at=program.moment(start, start + timedelta(days=7))))
                week += timedelta(days=7)


# ---------------------------------------------------------------------------- comparing


MONEY = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")


def _money(text: str) -> Decimal:
    assert isinstance(text, str) and MONEY.match(text), f"not a decimal string: {text!r}"
    return Decimal(text)


def _as_numbers(kpis: dict[str, Any]) -> dict[str, Any]:
    """Money strings as Decimal: the contract fixes the value, not the digits shown."""
    out = dict(kpis)
    for name in ("revenue", "emv"):
        if out.get(name) is not None:
            out[name] = _money(out[name])
    if "revenue_by_currency" in out:
        out["revenue_by_currency"] = {c: _money(v) for c, v in out["revenue_by_currency"].items()}
    return out


def _normalised(response: dict[str, Any]) -> dict[str, Any]:
    out = _as_numbers(response)
    for name in ("by_network", "by_topic", "by_group"):
        out[name] = {k: _as_numbers(v) for k, v in response[name].items()}
    out["weekly"] = [_as_numbers(w) for w in response["weekly"]]
    out["top_posts"] = [_as_numbers(p) for p in response["top_posts"]]
    return out


def _differences(got: Any, want: Any, path: str = "") -> list[str]:
    if isinstance(got, dict) and isinstance(want, dict):
        out = [f"{path}.{k}: missing from the answer" for k in want.keys() - got.keys()]
        out += [f"{path}.{k}: not in the contract" for k in got.keys() - want.keys()]
        for k in sorted(want.keys() & got.keys(), key=str):
            out += _differences(got[k], want[k], f"{path}.{k}")
        return out
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items, the contract gives {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want, strict=True))
                for d in _differences(g, w, f"{path}[{i}]")]
    if got != want:
        return [f"{path}: got {got!r}, the contract gives {want!r}"]
    return []


def _close(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want)
                and all(_close(g, w) for g, w in zip(got, want, strict=True)))
    if want is None or got is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


async def _check_pilot(program: Program, world: World, check: Check, *,
                       default_range: bool = False) -> dict[str, Any]:
    pilot, start, end, asked_at = program.pilot, check.start, check.end, check.asked_at
    params = {} if default_range else {"from": start.isoformat(), "to": end.isoformat()}
    with time_machine.travel(asked_at, tick=False):
        answer = await program.api.client.get(f"/api/v1/pilots/{pilot['id']}/kpis",
                                              params=params, headers=program.manager)
    assert answer.status_code == 200, answer.text
    got = _normalised(answer.json())
    want = report(world, program.emv, tz=TZ,
                  cohort=cohort_of(world, group_ids=pilot["group_ids"],
                                   user_ids=pilot["user_ids"]),
                  pilot_id=pilot["id"], start=start, end=end, now=asked_at,
                  cost=pilot["cost"])

    baseline = pilot["baseline"]
    expected_paid = (None if baseline is None else
                     vs_paid(want["conversions"], want["unique_clicks"],
                             baseline["paid_conversions"], baseline["paid_visits"]))
    paid = got.pop("vs_paid")
    if expected_paid is None:
        assert paid is None
    else:
        assert paid.keys() == expected_paid.keys()
        assert all(_close(paid[k], v) for k, v in expected_paid.items()), (paid, expected_paid)
    weak = baseline is not None and want["unique_clicks"] < MIN_SAMPLE
    assert len(got.pop("warnings")) == (1 if weak else 0)  # the pilot lasts five weeks

    differences = _differences(got, want)
    assert not differences, (f"seed {program.seed}, [{start}, {end}) asked at {asked_at}:\n"
                             + "\n".join(differences[:20]))
    return want


async def _check_organisation(program: Program, world: World, check: Check,
                              group_id: str | None = None) -> dict[str, Any]:
    """``GET /api/v1/kpis``: the organisation's report (every user existing and not
    deactivated at the cutoff), or one group's current members'; every pilot's feedback,
    no vs_paid, no roi."""
    start, end, asked_at = check.start, check.end, check.asked_at
    params = {"from": start.isoformat(), "to": end.isoformat()}
    if group_id is not None:
        params["group_id"] = group_id
    with time_machine.travel(asked_at, tick=False):
        answer = await program.api.client.get("/api/v1/kpis", params=params,
                                              headers=program.manager)
    assert answer.status_code == 200, answer.text
    got = _normalised(answer.json())
    assert got.pop("vs_paid") is None and got.pop("warnings") == []
    cohort = None if group_id is None else cohort_of(world, group_ids=[group_id], user_ids=[])
    want = report(world, program.emv, tz=TZ, cohort=cohort, pilot_id=None, start=start,
                  end=end, now=asked_at)
    differences = _differences(got, want)
    assert not differences, (f"seed {program.seed}, the organisation (group {group_id}) over "
                             f"[{start}, {end}) asked at {asked_at}:\n"
                             + "\n".join(differences[:20]))
    return want


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as exits:
        yield exits


@dataclass(frozen=True)
class Check:
    """A range to compare, and when it is asked (``now`` for ``min(to, now)``)."""

    start: date
    end: date
    asked_at: datetime


def _checks(rng: random.Random) -> tuple[Check, Check, Check, Check]:
    """The pilot's own range, a random one cutting weeks at both ends (sometimes asked
    before its end), a few days around the DST change, and the organisation's."""
    later = LAST + timedelta(days=20)

    def asked(end: date) -> datetime:
        return local_midnight(end, TZ) + timedelta(seconds=rng.randrange(-12 * 86400,
                                                                         3 * 86400))

    own = Check(PILOT_START, PILOT_END + timedelta(days=1), later)
    start = PILOT_START - timedelta(days=rng.randrange(10))
    end = PILOT_END + timedelta(days=rng.randrange(1, 10))
    cut = Check(start, end, asked(end))
    start = date(2026, 3, 26) + timedelta(days=rng.randrange(3))
    dst = Check(start, start + timedelta(days=rng.randrange(2, 6)), later)
    start = FIRST.date() + timedelta(days=rng.randrange(15))
    end = start + timedelta(days=rng.randrange(10, 40))
    return own, cut, dst, Check(start, end, asked(end))


@pytest.mark.parametrize("seed", SEEDS)
async def test_the_api_answers_the_kpis_of_contract_section_6(api: Api, app: FastAPI,
                                                              stack: AsyncExitStack,
                                                              seed: int) -> None:
    rng = random.Random(seed)
    own, cut, dst, organisation = _checks(rng)
    days = {d for c in (own, cut, dst, organisation) for d in (c.start, c.end)}
    monday = FIRST.date() - timedelta(days=FIRST.weekday())
    days |= {monday + timedelta(weeks=n) for n in range(12)}
    edges = sorted(local_midnight(d, TZ) for d in days)
    program = Program(seed=seed, rng=rng, api=api, app=app, stack=stack, edges=edges)
    await _build(program)
    async with api.db.transaction() as session:
        world = await read_world(session)

    mine = await _check_pilot(program, world, own, default_range=True)
    assert mine["shares"] and mine["clicks"] and mine["conversions"], "an empty program"
    assert mine["by_network"] and mine["by_topic"] and mine["by_group"]
    await _check_pilot(program, world, cut)
    await _check_pilot(program, world, dst)
    everyone = await _check_organisation(program, world, organisation)
    assert everyone["top_posts"] and everyone["conversions_by_type"], "an empty organisation"
    await _check_organisation(program, world, organisation, rng.choice(program.groups))
