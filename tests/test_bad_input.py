"""Bad input on every write route: refused with a problem+json 4xx, and nothing changes.

CONTRACT §2: errors are RFC 9457 problems; invalid input is 422, an unknown id inside a body is
422, an id in the path that names nothing (even a malformed one) is 404, conflicts are 409, and
"a request the server rejects changes nothing". Every case below is checked against a snapshot
of every table taken before the request. ``ROUTES`` must name exactly the app's write routes.
Each route's test ends with a valid request (its control), which must succeed and change the
database: that proves the cases failed for the reason they name and that the snapshot sees
changes.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import Baseline, FeedbackCreate, PilotCreate
from app.analytics.reports import schedules as report_schedules
from app.analytics.reports.schemas import Cadence, ReportScheduleCreate
from app.auth import groups as groups_service
from app.auth import service as auth_service
from app.content import publisher
from app.content import service as content_service
from app.conversions import service as conversions_service
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database, click_log_path
from app.digests import channels
from app.digests.schemas import ChannelCreate
from app.feeds import service as feeds_service
from app.feeds.schemas import FeedCreate
from app.models import Base, Pilot, User
from app.models.enums import Network
from app.networks import connections, oauth
from app.sharing import policy as sharing_policy
from app.sharing import service as sharing_service
from app.tracking.visitors import rotate
from app.webhooks import service as webhooks_service
from tests.builders import PASSWORD, Api, Role, make_post, make_topic, make_user
from tests.routes import iter_api_routes

API = "/api/v1"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
PROBLEM_JSON = "application/problem+json"
MIB = 1024 * 1024
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
MISSING: Any = object()

Snapshot = dict[str, list[tuple[Any, ...]]]


# --- helpers ----------------------------------------------------------------------------


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table, in primary-key order (JSON columns cannot be sorted on
    PostgreSQL, so the key orders rows; a table without one is sorted in Python)."""
    rows: Snapshot = {}
    log_path = click_log_path(db.url)
    if log_path is not None:  # the click log's own file
        with contextlib.closing(sqlite3.connect(log_path)) as conn:
            rows["click_log"] = conn.execute("SELECT * FROM click_log ORDER BY seq").fetchall()
    async with db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in rows:
                continue
            key = list(table.primary_key.columns)
            stmt = select(table).order_by(*key) if key else select(table)
            result = [tuple(row) for row in (await session.execute(stmt)).all()]
            rows[table.name] = result if key else sorted(result, key=repr)
    return rows


def diff(before: Snapshot, after: Snapshot) -> list[str]:
    changed = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            gone = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            changed.append(f"{name}: -{gone} +{added}")
    return changed


def problem_errors(response: httpx.Response, status: int) -> list[str]:
    """What is wrong with ``response`` as the problem+json answer ``status``."""
    errors = []
    if response.status_code != status:
        errors.append(f"status {response.status_code}, expected {status}")
    if response.headers.get("content-type") != PROBLEM_JSON:
        errors.append(f"content-type {response.headers.get('content-type')!r}")
    try:
        body = response.json()
    except ValueError:
        return [*errors, f"body is not JSON: {response.text[:200]!r}"]
    if not isinstance(body, dict):
        return [*errors, f"body is not an object: {body!r}"]
    for key in ("type", "title", "detail"):
        if not isinstance(body.get(key), str) or not body[key]:
            errors.append(f"no {key!r}")
    if body.get("status") != response.status_code:
        errors.append(f"body status {body.get('status')!r}")
    if status == 422:
        items = body.get("errors")
        if not items or not all(isinstance(i, dict) and "loc" in i and "msg" in i
                                for i in items):
            errors.append(f"422 without errors[{{loc, msg}}]: {body!r}")
    return errors


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method, path) for path, route in iter_api_routes(app)
            if path.startswith(API + "/") for method in (route.methods or set()) & WRITE_METHODS}


# --- the world the cases act on ---------------------------------------------------------


def day(offset: int) -> date:
    """The real today (UTC), moved by ``offset`` days."""
    return utcnow().date() + timedelta(days=offset)


@dataclass
class World:
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


async def build_world(api: Api, settings: Settings) -> World:
    world = World()
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Cloud")
        other_topic = await make_topic(session, name="Security")
        group = await groups_service.create(session, name="Sales", description=None)
        other_group = await groups_service.create(session, name="Support", description=None)
        user = await make_user(session, email="target@corp.test", name="Target")
        deactivated = await make_user(session, email="gone@corp.test", active=False)
        published = await make_post(session, topic_ids=[topic.id],
                                    publish_at=utcnow() - timedelta(hours=1))
        expired = await make_post(session, topic_ids=[topic.id],
                                  publish_at=utcnow() - timedelta(hours=3))
        archived = await make_post(session, topic_ids=[topic.id],
                                   publish_at=utcnow() - timedelta(hours=2))
        assert {p.id for p in await publisher.run(session)} == {published.id, expired.id,
                                                                archived.id}
        expired.expires_at = utcnow() - timedelta(minutes=1)
        await content_service.archive(session, archived)
        queued = await make_post(session, topic_ids=[topic.id],
                                 publish_at=utcnow() + timedelta(days=30))
        suggestion = await content_service.suggest(
            session, user=user, url="https://example.com/suggested", note=None, topic_ids=[])
        rejected = await content_service.suggest(
            session, user=user, url="https://example.com/rejected", note=None, topic_ids=[])
        await content_service.reject(session, rejected, reason="No")
        key, _ = await auth_service.create_api_key(session, name="CRM", scopes=["read"])
        revoked, _ = await auth_service.create_api_key(session, name="Old", scopes=["read"])
        await auth_service.revoke_api_key(session, key_id=revoked.id)
        _, conversions_key = await auth_service.create_api_key(
            session, name="CRM writer", scopes=["conversions:write"])
        site_key = await conversions_service.create_site_key(
            session, name="Website", origins=["https://www.example.com"])
        revoked_site_key = await conversions_service.create_site_key(
            session, name="Old site", origins=["https://old.example.com"])
        await conversions_service.revoke_site_key(session, key_id=revoked_site_key.id)
        # Today's visitor salt (CONTRACT §4) is made by whichever request needs it first, in
        # its own transaction; make it now so that it is part of the world, not of a case.
        await rotate(session, utcnow().date())
        # The target user's share: another advocate's, as far as the advocate caller goes.
        other_share, _, _ = await sharing_service.get_or_create(
            session, user=user, post_id=published.id, network=Network.linkedin)
    world.ids = {
        "topic": topic.id, "other_topic": other_topic.id, "group": group.id,
        "other_group": other_group.id, "user": user.id, "published": published.id,
        "queued": queued.id, "suggestion": suggestion.id, "rejected": rejected.id,
        "key": key.id, "revoked_key": revoked.id, "expired": expired.id,
        "archived": archived.id, "site_key": site_key.id,
        "revoked_site_key": revoked_site_key.id, "other_share": other_share.id,
    }
    world.headers["key:conversions"] = {"Authorization": f"Bearer {conversions_key}"}
    world.emails = {"user": user.email, "deactivated": deactivated.email}
    world.headers["anonymous"] = {}
    for role in (Role.advocate, Role.marketer, Role.manager, Role.admin):
        caller, world.headers[role.value] = await api.user(role)
        world.ids[role.value] = caller.id
        world.emails[role.value] = caller.email
    async with api.db.transaction() as session:
        advocate = await session.get(User, world.ids["advocate"])
        assert advocate is not None
        # A sharing policy in force: the advocate accepted it, the admin not yet.
        await sharing_policy.save_sharing_settings(session, sharing_policy.SharingSettings(
            policy=sharing_policy.Policy(version="v1", text="Share honestly.")))
        await sharing_policy.accept(session, user=advocate, version="v1")
        share, _, _ = await sharing_service.get_or_create(
            session, user=advocate, post_id=published.id, network=Network.linkedin)
        own_suggestion = await content_service.suggest(
            session, user=advocate, url="https://example.com/my-idea", note=None, topic_ids=[])
    world.ids["share"], world.ids["own_suggestion"] = share.id, own_suggestion.id
    async with api.db.transaction() as session:
        advocate = await session.get(User, world.ids["advocate"])
        assert advocate is not None

        async def pilot(name: str, start: int, end: int, user_ids: list[str]) -> str:
            made = await pilots_service.create(session, data=PilotCreate(
                name=name, starts_on=day(start), ends_on=day(end), group_ids=[group.id],
                user_ids=user_ids, baseline=Baseline(paid_visits=2000, paid_conversions=40)))
            return made.id

        enrolled = [world.ids["advocate"], user.id]
        # Feedback is open while a pilot runs: the pilot's dates hold the real today, with
        # weeks to spare whatever the organisation's time zone.
        world.ids["pilot"] = await pilot("Spring pilot", -14, 14, enrolled)
        world.ids["other_pilot"] = await pilot("Not theirs", -14, 14, [user.id])
        world.ids["past_pilot"] = await pilot("Over", -90, -60, enrolled)
        world.ids["future_pilot"] = await pilot("Not yet", 60, 90, enrolled)
        world.ids["answered_pilot"] = await pilot("Answered", -14, 14, enrolled)
        answered = await session.get(Pilot, world.ids["answered_pilot"])
        assert answered is not None
        await pilots_service.give_feedback(session, answered, user=advocate,
                                           data=FeedbackCreate(score=7))
        objective = await okr_service.create(session, data=ObjectiveCreate(
            title="More clicks", starts_on=date(2030, 1, 1), ends_on=date(2030, 3, 31),
            pilot_id=world.ids["pilot"],
            key_results=[KeyResultIn(title="Clicks", metric="clicks", target=Decimal(500))]))
        world.ids["objective"] = objective.id
    async with api.db.transaction() as session:
        advocate = await session.get(User, world.ids["advocate"])
        assert advocate is not None
        endpoint, _ = await webhooks_service.create(
            session, url=WORLD_WEBHOOK, events=["share.created"], settings=settings)
        feed = await feeds_service.create(
            session, data=FeedCreate(url=WORLD_FEED), allow_private=False)  # type: ignore[arg-type]
        channel = await channels.create(session, settings=settings, data=ChannelCreate(
            kind="slack", url=WORLD_CHANNEL, name="#marketing"))
        schedule = await report_schedules.create(session, data=ReportScheduleCreate(
            cadence=Cadence.weekly, recipients=["boss@corp.test"]), creator=None)
        await connections.save_tokens(
            session, settings, user=advocate, network=Network.linkedin,
            tokens=oauth.Tokens(access_token="token", expires_at=utcnow() + timedelta(days=60),
                                refresh_token=None, refresh_expires_at=None,
                                scope="r_member_postAnalytics"))
    world.ids |= {"webhook": endpoint.id, "feed": feed.id, "channel": channel.id,
                  "report_schedule": schedule.id}
    return world


# --- cases ------------------------------------------------------------------------------

Body = Callable[[World], Any]


@dataclass(frozen=True)
class Case:
    label: str
    status: int
    json: Any = MISSING
    """A JSON body, or a function of the world that makes one."""
    content: bytes | None = None
    content_type: str | None = None
    target: str | None = None
    """Which world id fills the path (default: the route's); ``raw:…`` for a literal."""
    loc: tuple[str | int, ...] | None = None
    """A loc that one of the 422 errors must end with."""


@dataclass(frozen=True)
class Route:
    caller: str
    valid: Body | None
    """A valid body (the control request, and the base of extra-field and path-id cases)."""
    target: str | None = None
    cases: tuple[Case, ...] = ()
    csv: bool = False


def bad_urls(name: str, base: Body) -> tuple[Case, ...]:
    urls = {
        "javascript: URL": "javascript:alert(document.cookie)",
        "JavaScript: URL, mixed case": "JavaScript:alert(1)",
        "javascript: URL, leading space": "  javascript:alert(1)",
        "relative URL": "/relative/path",
        "bare host": "example.com/article",
        "protocol-relative URL": "//evil.example/x",
        "data: URL": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "data: URL, plain": "data:,hello",
        "ftp: URL": "ftp://example.com/file",
        "file: URL": "file:///etc/passwd",
        "mailto: URL": "mailto:ana@corp.test",
        "no host": "http://",
        "no host, path": "https:///path",
        "space inside": "https://example.com/a b",
        "newline inside": "https://example.com/a\nb",
        "empty": "",
        "not a string": 42,
        "too long": "https://example.com/" + "a" * 2100,
    }
    return tuple(
        Case(f"{name}: {label}", 422, json=lambda w, u=url: {**base(w), name: u},
             loc=("body", name))
        for label, url in urls.items()
    )


WORLD_WEBHOOK = "https://93.184.216.34/hooks"
WORLD_FEED = "https://93.184.216.34/feed.xml"
WORLD_CHANNEL = "https://93.184.216.34/services/T000/B000/XXXX"
"""Public literal addresses: tests resolve no names."""


def private_urls(name: str, base: Body) -> tuple[Case, ...]:
    """Addresses an outbound request of Chorus must never reach (SSRF)."""
    urls = {
        "loopback": "https://127.0.0.1/hook",
        "loopback v6": "https://[::1]/hook",
        "private": "https://10.0.0.8/hook",
        "link-local (cloud metadata)": "https://169.254.169.254/latest/meta-data",
        "IPv4-mapped loopback": "https://[::ffff:127.0.0.1]/hook",
        "unspecified": "https://0.0.0.0/hook",
        "a name that resolves nowhere": "https://unresolvable.invalid/hook",
    }
    return tuple(
        Case(f"{name}: {label}", 422, json=lambda w, u=url: {**base(w), name: u},
             loc=("body", name))
        for label, url in urls.items()
    )


def webhook_body(w: World) -> dict[str, Any]:
    return {"url": "https://93.184.216.34/crm", "events": ["conversion.created"]}


def event_cases(base: Body) -> tuple[Case, ...]:
    return (
        Case("no event", 422, json=with_(base, events=[]), loc=("body", "events")),
        Case("unknown event", 422, json=with_(base, events=["share.deleted"]),
             loc=("body", "events", 0)),
        Case("events not a list", 422, json=with_(base, events="share.created"),
             loc=("body", "events")),
    )


def feed_body(w: World) -> dict[str, Any]:
    return {"url": "https://93.184.216.34/news.xml"}


def channel_body(w: World) -> dict[str, Any]:
    return {"kind": "teams", "url": "https://93.184.216.34/teams/hook", "name": "#sales"}


def reminders_body(w: World) -> dict[str, Any]:
    return {"enabled": True, "weekday_digest": [1, 4], "hour": 8, "min_new_posts": 2}


def post_body(w: World) -> dict[str, Any]:
    return {"url": "https://example.com/new", "category": "curated",
            "topic_ids": [w.ids["topic"]], "captions": {"default": "Worth a read"}}


def suggestion_body(w: World) -> dict[str, Any]:
    return {"url": "https://example.com/idea", "topic_ids": []}


def without(body: Body, key: str) -> Body:
    return lambda w: {k: v for k, v in body(w).items() if k != key}


def with_(body: Body, **changes: Any) -> Body:
    return lambda w: {**body(w), **changes}


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


CSV_HEADER = "email,name,role,group"


def csv_case(label: str, content: bytes, status: int = 422) -> Case:
    return Case(label, status, content=content, content_type="text/csv")


LATER = "2030-01-02T00:00:00Z"
EARLIER = "2030-01-01T00:00:00Z"

STATS_HEADER = "share_id,impressions,likes,comments,reshares"


def stats_csv(*lines: str) -> Body:
    """CSV lines in which ``{share}``, ``{other_share}``… name the world's ids."""
    return lambda w: csv(*(line.format(**w.ids) for line in lines))


def stats_case(label: str, *lines: str, status: int = 422) -> Case:
    return Case(label, status, json=stats_csv(*lines), content_type="text/csv")


def stats_body(w: World) -> dict[str, Any]:
    return {"impressions": 1200, "likes": 31, "comments": 4, "reshares": 2}


def external_body(w: World) -> dict[str, Any]:
    return {"external_url": "https://www.linkedin.com/feed/update/urn:li:activity:42"}


def conversion_body(w: World) -> dict[str, Any]:
    return {"type": "signup", "external_id": "crm-1001", "value": "49.90", "currency": "EUR",
            "click_id": "abcdefghijklmnop1234", "occurred_at": "2025-06-01T09:00:00Z"}


def site_key_body(w: World) -> dict[str, Any]:
    return {"name": "Website", "origins": ["https://www.example.com", "http://localhost:8000"]}


def stats_field_cases(name: str) -> tuple[Case, ...]:
    values: dict[str, Any] = {
        "missing": MISSING, "negative": -1, "fractional": 1.5, "not a number": "many",
        "null": None, "a list": [1], "an object": {"n": 1}, "over a trillion": 10**12 + 1,
        "absurd": 10**40, "a numeric string with a fraction": "2.5",
    }
    return tuple(
        Case(f"{name} {label}", 422, loc=("body", name),
             json=(without(stats_body, name) if value is MISSING
                   else lambda w, v=value: {**stats_body(w), name: v}))
        for label, value in values.items()
    )


BAD_MONEY: dict[str, Any] = {
    "abc": "abc", "negative": "-1", "negative cents": "-0.01", "1e400": "1e400",
    "-1e400": "-1e400", "NaN": "NaN", "nan": "nan", "sNaN": "sNaN", "Infinity": "Infinity",
    "-Infinity": "-Infinity", "empty": "", "blank": "  ", "comma decimal": "1,5",
    "hexadecimal": "0x10", "19 digits before the point": "1" + "0" * 18,
    "1e18 (19 digits)": "1e18", "7 decimal places": "0.0000001", "two points": "1.2.3",
    "currency sign": "€5", "a number and a currency": "5 EUR", "negative number": -1,
    "boolean": True, "a list": ["5"], "an object": {"amount": "5"},
}
BAD_ORIGINS: dict[str, Any] = {
    "with a path": "https://www.example.com/shop", "with a query": "https://www.example.com?x=1",
    "with a fragment": "https://www.example.com#top",
    "with user info": "https://user:pw@www.example.com", "no scheme": "www.example.com",
    "ftp": "ftp://www.example.com", "javascript:": "javascript:alert(1)",
    "data:": "data:,hello", "file:": "file:///etc/passwd", "wildcard host": "https://*.example.com",
    "wildcard": "*", "the null origin": "null", "empty": "", "scheme only": "https://",
    "port not numeric": "https://www.example.com:port", "port of six digits":
    "https://www.example.com:123456", "space inside": "https://www.exa mple.com",
    "underscore in host": "https://ex_ample.com", "not a string": 42, "null": None,
    "too long": "https://" + "a" * 300 + ".com",
    "two origins in one": "https://www.example.com\nhttps://evil.example",
    "two origins, space-separated": "https://www.example.com https://evil.example",
}

def points_body(w: World) -> dict[str, Any]:
    return {"share_created": 12, "unique_click": 3, "unique_click_daily_cap": 40,
            "attributed_conversion": 25, "suggestion_approved": 10}


POINT_RULES = ("share_created", "unique_click", "unique_click_daily_cap",
               "attributed_conversion", "suggestion_approved")


def points_field_cases(name: str) -> tuple[Case, ...]:
    values: dict[str, Any] = {
        "negative": -1, "fractional": 1.5, "not a number": "ten", "null": None,
        "a list": [5], "an object": {"n": 5}, "over 100000": 100_001, "absurd": 10**40,
        "a numeric string with a fraction": "2.5", "empty string": "",
    }
    return tuple(
        Case(f"{name} {label}", 422, loc=("body", name),
             json=lambda w, v=value: {**points_body(w), name: v})
        for label, value in values.items()
    )


def emv_body(w: World) -> dict[str, Any]:
    return {"currency": "EUR", "cpm": {"linkedin": "25.50", "x": 4, "email": "0"}}


def pilot_body(w: World) -> dict[str, Any]:
    return {"name": "Autumn pilot", "starts_on": "2030-09-02", "ends_on": "2030-09-29",
            "group_ids": [w.ids["group"]], "user_ids": [w.ids["user"], w.ids["advocate"]],
            "baseline": {"paid_visits": 1000, "paid_conversions": 25}}


BAD_DATES: dict[str, Any] = {
    "not a date": "tomorrow", "February 30th": "2030-02-30", "no zero padding": "2030-9-2",
    "day first": "02/09/2030", "five-digit year": "99999-01-01", "empty": "",
    "null": None, "a list": ["2030-09-02"],
}


def date_cases(name: str, base: Body, *, patch: bool = False) -> tuple[Case, ...]:
    """Bad values for the date ``name`` (in a PATCH, null leaves the field as it is, as it
    does in every PATCH of the API, so it is not one)."""
    return tuple(
        Case(f"{name} {label}", 422, json=lambda w, v=value: {**base(w), name: v},
             loc=("body", name))
        for label, value in BAD_DATES.items() if not (patch and value is None)
    )


def feedback_body(w: World) -> dict[str, Any]:
    return {"score": 9, "comment": "Easy to share"}


def key_result(metric: str = "clicks", **fields: Any) -> dict[str, Any]:
    return {"title": f"More {metric}", "metric": metric, "target": 500, **fields}


def objective_body(w: World) -> dict[str, Any]:
    return {"title": "Grow reach", "starts_on": "2030-04-01", "ends_on": "2030-06-30",
            "pilot_id": w.ids["pilot"],
            "key_results": [key_result(),
                            key_result("participation_rate", target="0.6", baseline="0.2")]}


def with_key_result(body: Body, **changes: Any) -> Body:
    """``body`` whose first key result has ``changes`` (a value of MISSING removes a field)."""
    def make(w: World) -> dict[str, Any]:
        made = body(w)
        first = {k: v for k, v in {**made["key_results"][0], **changes}.items()
                 if v is not MISSING}
        return {**made, "key_results": [first, *made["key_results"][1:]]}
    return make


def key_result_cases(base: Body) -> tuple[Case, ...]:
    kr_loc = ("body", "key_results", 0)
    return (
        Case("no key results", 422, json=with_(base, key_results=[]),
             loc=("body", "key_results")),
        Case("six key results", 422,
             json=with_(base, key_results=[key_result() for _ in range(6)]),
             loc=("body", "key_results")),
        Case("key_results not a list", 422, json=with_(base, key_results=key_result())),
        Case("a key result not an object", 422, json=with_(base, key_results=["clicks"])),
        Case("unknown metric", 422, json=with_key_result(base, metric="likes"),
             loc=(*kr_loc, "metric")),
        Case("metric in capitals", 422, json=with_key_result(base, metric="Clicks"),
             loc=(*kr_loc, "metric")),
        Case("metric empty", 422, json=with_key_result(base, metric=""),
             loc=(*kr_loc, "metric")),
        Case("metric null", 422, json=with_key_result(base, metric=None),
             loc=(*kr_loc, "metric")),
        Case("a report field that is no KPI (vs_paid)", 422,
             json=with_key_result(base, metric="vs_paid"), loc=(*kr_loc, "metric")),
        Case("unknown metric in the second key result", 422,
             json=lambda w: {**base(w), "key_results": [key_result(), key_result("nope")]},
             loc=("body", "key_results", 1, "metric")),
        Case("key result without metric", 422, json=with_key_result(base, metric=MISSING),
             loc=(*kr_loc, "metric")),
        Case("key result without target", 422, json=with_key_result(base, target=MISSING),
             loc=(*kr_loc, "target")),
        Case("key result without title", 422, json=with_key_result(base, title=MISSING),
             loc=(*kr_loc, "title")),
        Case("key result with an empty title", 422, json=with_key_result(base, title=""),
             loc=(*kr_loc, "title")),
        *(Case(f"target {label}", 422, json=with_key_result(base, target=value),
               loc=(*kr_loc, "target"))
          for label, value in (("not a number", "abc"), ("NaN", "NaN"),
                               ("Infinity", "Infinity"), ("null", None),
                               ("over 24 digits", "1e30"), ("a list", [1]))),
        Case("baseline not a number", 422, json=with_key_result(base, baseline="abc"),
             loc=(*kr_loc, "baseline")),
        Case("baseline NaN", 422, json=with_key_result(base, baseline="NaN"),
             loc=(*kr_loc, "baseline")),
        Case("a current value of its own", 422, json=with_key_result(base, current=10),
             loc=(*kr_loc, "current")),
    )


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", f"{API}/auth/login"): Route(
        caller="anonymous",
        valid=lambda w: {"email": w.emails["admin"], "password": PASSWORD},
        cases=(
            Case("no fields", 422, json={}),
            Case("no password", 422, json=lambda w: {"email": w.emails["admin"]},
                 loc=("body", "password")),
            Case("no email", 422, json={"password": PASSWORD}, loc=("body", "email")),
            Case("wrong types", 422, json={"email": 5, "password": ["x"]}),
            Case("empty strings", 422, json={"email": "", "password": ""}),
            Case("wrong password", 401,
                 json=lambda w: {"email": w.emails["admin"], "password": "not the password"}),
            Case("unknown email", 401, json={"email": "nobody@corp.test", "password": PASSWORD}),
            Case("deactivated user", 401,
                 json=lambda w: {"email": w.emails["deactivated"], "password": PASSWORD}),
        ),
    ),
    ("POST", f"{API}/auth/logout"): Route(caller="advocate", valid=None),
    ("PATCH", f"{API}/me"): Route(
        caller="advocate",
        valid=lambda w: {"name": "New Name"},
        cases=(
            Case("empty name", 422, json={"name": ""}, loc=("body", "name")),
            Case("blank name", 422, json={"name": "   "}, loc=("body", "name")),
            Case("name too long", 422, json={"name": "n" * 201}, loc=("body", "name")),
            Case("name not a string", 422, json={"name": 5}, loc=("body", "name")),
            Case("topic_ids not a list", 422, json={"topic_ids": "abc"}),
            Case("unknown topic id", 422, json={"topic_ids": [UNKNOWN_ID]},
                 loc=("body", "topic_ids", 0)),
            Case("one unknown topic id among known ones", 422,
                 json=lambda w: {"topic_ids": [w.ids["topic"], "nope"]},
                 loc=("body", "topic_ids", 1)),
            Case("valid name with an unknown topic id", 422,
                 json={"name": "Half Applied", "topic_ids": [UNKNOWN_ID]}),
            Case("unknown network", 422, json={"follower_counts": {"myspace": 10}}),
            Case("negative followers", 422, json={"follower_counts": {"linkedin": -1}}),
            Case("followers not a number", 422, json={"follower_counts": {"linkedin": "many"}}),
            Case("fractional followers", 422, json={"follower_counts": {"linkedin": 1.5}}),
            Case("absurd followers", 422, json={"follower_counts": {"linkedin": 10**40}}),
            Case("follower_counts a list", 422, json={"follower_counts": [1, 2]}),
            Case("opt-out not a boolean", 422, json={"leaderboard_opt_out": "maybe"}),
            Case("short password", 422, json={"password": "short"}, loc=("body", "password")),
            Case("password not a string", 422, json={"password": 12345678}),
            Case("role is not editable here", 422, json={"role": "admin"}, loc=("body", "role")),
            Case("email is not editable here", 422, json={"email": "me@corp.test"}),
        ),
    ),
    ("POST", f"{API}/users"): Route(
        caller="admin",
        valid=lambda w: {"email": "new@corp.test", "name": "New", "role": "marketer"},
        cases=(
            Case("no fields", 422, json={}),
            Case("no name", 422, json={"email": "new@corp.test"}, loc=("body", "name")),
            Case("no email", 422, json={"name": "New"}, loc=("body", "email")),
            Case("bad email", 422, json={"email": "not-an-email", "name": "New"},
                 loc=("body", "email")),
            Case("email without domain", 422, json={"email": "new@", "name": "New"}),
            Case("email not a string", 422, json={"email": 5, "name": "New"}),
            Case("unknown role", 422, json={"email": "new@corp.test", "name": "N", "role": "root"},
                 loc=("body", "role")),
            Case("role not a string", 422, json={"email": "new@corp.test", "name": "N",
                                                 "role": 1}),
            Case("short password", 422, json={"email": "new@corp.test", "name": "N",
                                              "password": "short"}),
            Case("unknown group id", 422, json={"email": "new@corp.test", "name": "N",
                                                "group_ids": [UNKNOWN_ID]},
                 loc=("body", "group_ids", 0)),
            Case("unknown topic id", 422,
                 json=lambda w: {"email": "new@corp.test", "name": "N",
                                 "topic_ids": [w.ids["topic"], UNKNOWN_ID]},
                 loc=("body", "topic_ids", 1)),
            Case("a topic id given as a group id", 422,
                 json=lambda w: {"email": "new@corp.test", "name": "N",
                                 "group_ids": [w.ids["topic"]]}),
            Case("group_ids not a list", 422, json={"email": "new@corp.test", "name": "N",
                                                    "group_ids": "Sales"}),
            Case("duplicate email, other case", 409,
                 json=lambda w: {"email": w.emails["user"].upper(), "name": "Dup"}),
            Case("email of a deactivated user", 409,
                 json=lambda w: {"email": w.emails["deactivated"], "name": "Back"}),
        ),
    ),
    ("POST", f"{API}/users/import"): Route(
        caller="admin",
        valid=lambda w: csv(CSV_HEADER, "new1@corp.test,New One,advocate,Sales;Field",
                            f"{w.emails['user']},Renamed,marketer,"),
        csv=True,
        cases=(
            csv_case("empty body", b""),
            csv_case("header only", csv(CSV_HEADER)),
            csv_case("no header row", csv("new1@corp.test,New One,advocate,Sales")),
            csv_case("header without role", csv("email,name,group", "new1@corp.test,New,Sales")),
            csv_case("semicolon-separated", csv("email;name;role;group",
                                                "new1@corp.test;New;advocate;")),
            csv_case("bad email", csv(CSV_HEADER, "new1@corp.test,Good,advocate,Sales",
                                      "not-an-email,Bad,advocate,")),
            csv_case("bad role", csv(CSV_HEADER, "new1@corp.test,Good,advocate,NewGroup",
                                     "new2@corp.test,Bad,superuser,NewGroup")),
            csv_case("empty name", csv(CSV_HEADER, "new1@corp.test,,advocate,")),
            csv_case("missing cells", csv(CSV_HEADER, "new1@corp.test,Short")),
            csv_case("too many cells", csv(CSV_HEADER, "new1@corp.test,A,advocate,Sales,extra")),
            csv_case("duplicate email rows", csv(CSV_HEADER, "dup@corp.test,A,advocate,",
                                                 "new1@corp.test,B,advocate,",
                                                 "DUP@corp.test,C,marketer,")),
            csv_case("group name too long",
                     csv(CSV_HEADER, f"new1@corp.test,A,advocate,{'g' * 201}")),
            csv_case("many good rows and one bad last row",
                     csv(CSV_HEADER, *(f"bulk{i}@corp.test,Bulk {i},advocate,Team{i}"
                                       for i in range(20)), "bad-email,Bad,advocate,")),
            Case("demoting the last admin rolls back earlier rows", 409,
                 content_type="text/csv",
                 json=lambda w: csv(CSV_HEADER, "new1@corp.test,New,advocate,Brand New Group",
                                    f"{w.emails['user']},Renamed,marketer,Sales",
                                    f"{w.emails['admin']},Admin,advocate,")),
            csv_case("not UTF-8", b"email,name,role,group\n\xff\xfe@corp.test,\xe9,advocate,\n"),
            Case("JSON object instead of CSV", 422, json={"email": "new1@corp.test"}),
        ),
    ),
    ("PATCH", f"{API}/users/{{user_id}}"): Route(
        caller="admin",
        target="user",
        valid=lambda w: {"name": "Renamed", "role": "manager"},
        cases=(
            Case("bad email", 422, json={"email": "bad"}, loc=("body", "email")),
            Case("email taken", 409, json=lambda w: {"email": w.emails["admin"].upper()}),
            Case("unknown role", 422, json={"role": "root"}, loc=("body", "role")),
            Case("unknown group id", 422, json={"group_ids": [UNKNOWN_ID]},
                 loc=("body", "group_ids", 0)),
            Case("valid name with an unknown group id", 422,
                 json=lambda w: {"name": "Half Applied",
                                 "group_ids": [w.ids["group"], UNKNOWN_ID]}),
            Case("unknown topic id", 422, json={"topic_ids": ["nope"]},
                 loc=("body", "topic_ids", 0)),
            Case("active not a boolean", 422, json={"active": "maybe"}),
            Case("short password", 422, json={"password": "short"}),
            Case("empty name", 422, json={"name": ""}),
            Case("demoting the last admin", 409, json={"role": "advocate"}, target="admin"),
            Case("deactivating the last admin", 409, json={"active": False}, target="admin"),
        ),
    ),
    ("DELETE", f"{API}/users/{{user_id}}"): Route(
        caller="admin", target="user", valid=None,
        cases=(Case("deactivating the last admin", 409, target="admin"),),
    ),
    ("POST", f"{API}/api-keys"): Route(
        caller="admin",
        valid=lambda w: {"name": "Zapier", "scopes": ["conversions:write"]},
        cases=(
            Case("no fields", 422, json={}),
            Case("no scopes", 422, json={"name": "K"}, loc=("body", "scopes")),
            Case("empty scopes", 422, json={"name": "K", "scopes": []}),
            Case("unknown scope", 422, json={"name": "K", "scopes": ["admin"]}),
            Case("scopes not a list", 422, json={"name": "K", "scopes": "read"}),
            Case("empty name", 422, json={"name": "", "scopes": ["read"]}),
        ),
    ),
    ("DELETE", f"{API}/api-keys/{{key_id}}"): Route(
        caller="admin", target="key", valid=None,
        cases=(Case("already revoked", 404, target="revoked_key"),
               Case("a site key's id", 404, target="site_key")),
    ),
    ("POST", f"{API}/groups"): Route(
        caller="manager",
        valid=lambda w: {"name": "Engineering", "description": "Builders"},
        cases=(
            Case("no fields", 422, json={}, loc=("body", "name")),
            Case("empty name", 422, json={"name": ""}),
            Case("blank name", 422, json={"name": "  "}),
            Case("name too long", 422, json={"name": "g" * 201}),
            Case("name not a string", 422, json={"name": 5}),
            Case("description not a string", 422, json={"name": "Eng", "description": ["x"]}),
            Case("description too long", 422, json={"name": "Eng", "description": "d" * 5001}),
            Case("duplicate name", 409, json={"name": "Sales"}),
        ),
    ),
    ("PATCH", f"{API}/groups/{{group_id}}"): Route(
        caller="manager", target="group",
        valid=lambda w: {"name": "Inside Sales", "description": "Phones"},
        cases=(
            Case("empty name", 422, json={"name": ""}),
            Case("name not a string", 422, json={"name": 5}),
            Case("name of another group", 409, json={"name": "Support"}),
        ),
    ),
    ("DELETE", f"{API}/groups/{{group_id}}"): Route(caller="manager", target="group",
                                                    valid=None),
    ("POST", f"{API}/topics"): Route(
        caller="marketer",
        valid=lambda w: {"name": "Data", "slug": "data", "description": "Numbers"},
        cases=(
            Case("no fields", 422, json={}, loc=("body", "name")),
            Case("empty name", 422, json={"name": ""}),
            Case("bad slug", 422, json={"name": "Data", "slug": "Not A Slug"},
                 loc=("body", "slug")),
            Case("slug not a string", 422, json={"name": "Data", "slug": 7}),
            Case("no slug can be derived", 422, json={"name": "!!!"}),
            Case("duplicate slug", 409, json={"name": "Cloud again", "slug": "cloud"}),
            Case("duplicate derived slug", 409, json={"name": "CLOUD"}),
            Case("description too long", 422, json={"name": "Data", "description": "d" * 5001}),
        ),
    ),
    ("PATCH", f"{API}/topics/{{topic_id}}"): Route(
        caller="marketer", target="topic",
        valid=lambda w: {"name": "Cloud Native", "slug": "cloud-native"},
        cases=(
            Case("empty name", 422, json={"name": ""}),
            Case("bad slug", 422, json={"slug": "Bad Slug"}, loc=("body", "slug")),
            Case("slug of another topic", 409, json={"slug": "security"}),
        ),
    ),
    ("DELETE", f"{API}/topics/{{topic_id}}"): Route(caller="marketer", target="topic",
                                                    valid=None),
    ("POST", f"{API}/posts"): Route(
        caller="marketer",
        valid=post_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no url", 422, json=without(post_body, "url"), loc=("body", "url")),
            Case("no category", 422, json=without(post_body, "category"),
                 loc=("body", "category")),
            Case("no topic_ids", 422, json=without(post_body, "topic_ids"),
                 loc=("body", "topic_ids")),
            Case("no captions", 422, json=without(post_body, "captions"),
                 loc=("body", "captions")),
            Case("unknown category", 422, json=with_(post_body, category="spam"),
                 loc=("body", "category")),
            Case("unknown topic id", 422, json=with_(post_body, topic_ids=[UNKNOWN_ID]),
                 loc=("body", "topic_ids", 0)),
            Case("a group id given as a topic id", 422,
                 json=lambda w: {**post_body(w), "topic_ids": [w.ids["group"]]},
                 loc=("body", "topic_ids", 0)),
            Case("topic_ids not a list", 422, json=with_(post_body, topic_ids="cloud")),
            Case("captions not an object", 422, json=with_(post_body, captions="hi")),
            Case("captions without default", 422, json=with_(post_body, captions={"x": "hi"})),
            Case("caption for an unknown network", 422,
                 json=with_(post_body, captions={"default": "hi", "myspace": "hi"})),
            Case("x caption too long", 422,
                 json=with_(post_body, captions={"default": "hi", "x": "x" * 281})),
            Case("title too long", 422, json=with_(post_body, title="t" * 501)),
            Case("campaign too long", 422, json=with_(post_body, campaign="c" * 201)),
            Case("publish_at without offset", 422,
                 json=with_(post_body, publish_at="2030-01-01T09:00:00"),
                 loc=("body", "publish_at")),
            Case("publish_at not a date", 422, json=with_(post_body, publish_at="tomorrow")),
            Case("expires_at before publish_at", 422,
                 json=with_(post_body, publish_at=LATER, expires_at=EARLIER)),
            Case("expires_at equal to publish_at", 422,
                 json=with_(post_body, publish_at=LATER, expires_at=LATER)),
            *bad_urls("url", post_body),
            *bad_urls("image_url", post_body),
        ),
    ),
    ("PATCH", f"{API}/posts/{{post_id}}"): Route(
        caller="marketer", target="queued",
        valid=lambda w: {"title": "Renamed", "url": "https://example.com/renamed",
                         "topic_ids": [w.ids["other_topic"]]},
        cases=(
            Case("url null", 422, json={"url": None}, loc=("body", "url")),
            Case("unknown category", 422, json={"category": "spam"}),
            Case("unknown topic id", 422, json={"topic_ids": [UNKNOWN_ID]},
                 loc=("body", "topic_ids", 0)),
            Case("valid title with an unknown topic id", 422,
                 json={"title": "Half Applied", "topic_ids": [UNKNOWN_ID]}),
            Case("publish_at without offset", 422, json={"publish_at": "2030-01-01T09:00:00"}),
            Case("expires_at before publish_at", 422,
                 json={"publish_at": LATER, "expires_at": EARLIER}),
            Case("captions without default", 422, json={"captions": {"linkedin": "hi"}}),
            Case("category of a published post", 409, json={"category": "owned"},
                 target="published"),
            Case("topics of a published post", 409,
                 json=lambda w: {"topic_ids": [w.ids["other_topic"]]}, target="published"),
            Case("a rejected post", 409, json={"title": "Again"}, target="rejected"),
            Case("category of a suggestion", 409, json={"category": "owned"},
                 target="suggestion"),
            *bad_urls("url", lambda w: {}),
            *bad_urls("image_url", lambda w: {}),
        ),
    ),
    ("POST", f"{API}/posts/{{post_id}}/archive"): Route(
        caller="marketer", target="published", valid=None,
        cases=(
            Case("a queued post", 409, target="queued"),
            Case("a suggestion", 409, target="suggestion"),
            Case("a rejected post", 409, target="rejected"),
        ),
    ),
    ("POST", f"{API}/suggestions"): Route(
        caller="advocate",
        valid=suggestion_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no url", 422, json={"topic_ids": []}, loc=("body", "url")),
            Case("no topic_ids", 422, json={"url": "https://example.com/x"},
                 loc=("body", "topic_ids")),
            Case("unknown topic id", 422,
                 json={"url": "https://example.com/x", "topic_ids": [UNKNOWN_ID]},
                 loc=("body", "topic_ids", 0)),
            Case("note not a string", 422, json=with_(suggestion_body, note=5)),
            Case("note too long", 422, json=with_(suggestion_body, note="n" * 5001)),
            Case("a status of its own", 422, json=with_(suggestion_body, status="queued")),
            Case("a category of its own", 422, json=with_(suggestion_body, category="curated")),
            *bad_urls("url", suggestion_body),
        ),
    ),
    ("POST", f"{API}/posts/{{post_id}}/approve"): Route(
        caller="marketer", target="suggestion",
        valid=lambda w: {"category": "owned", "captions": {"default": "Ours"}},
        cases=(
            Case("no fields", 422, json={}, loc=("body", "category")),
            Case("unknown category", 422, json={"category": "spam"}),
            Case("captions without default", 422, json={"category": "curated",
                                                        "captions": {}}),
            Case("x caption too long", 422,
                 json={"category": "curated", "captions": {"default": "d", "x": "x" * 281}}),
            Case("a queued post", 409, json={"category": "curated"}, target="queued"),
            Case("a published post", 409, json={"category": "curated"}, target="published"),
            Case("a rejected post", 409, json={"category": "curated"}, target="rejected"),
        ),
    ),
    ("POST", f"{API}/posts/{{post_id}}/reject"): Route(
        caller="marketer", target="suggestion",
        valid=lambda w: {"reason": "Off-topic"},
        cases=(
            Case("no fields", 422, json={}, loc=("body", "reason")),
            Case("empty reason", 422, json={"reason": ""}),
            Case("reason not a string", 422, json={"reason": 5}),
            Case("reason too long", 422, json={"reason": "r" * 5001}),
            Case("a queued post", 409, json={"reason": "No"}, target="queued"),
            Case("a rejected post", 409, json={"reason": "No"}, target="rejected"),
        ),
    ),
    ("POST", f"{API}/publisher/run"): Route(caller="marketer", valid=None),
    # --- advocates --------------------------------------------------------------------
    ("POST", f"{API}/posts/{{post_id}}/shares"): Route(
        caller="advocate", target="published",
        valid=lambda w: {"network": "x"},  # the advocate already shared it on LinkedIn
        cases=(
            Case("no fields", 422, json={}, loc=("body", "network")),
            Case("unknown network", 422, json={"network": "myspace"}, loc=("body", "network")),
            Case("network in capitals", 422, json={"network": "LinkedIn"},
                 loc=("body", "network")),
            Case("empty network", 422, json={"network": ""}, loc=("body", "network")),
            Case("network not a string", 422, json={"network": 5}, loc=("body", "network")),
            Case("network null", 422, json={"network": None}, loc=("body", "network")),
            Case("networks as a list", 422, json={"network": ["x", "linkedin"]}),
            Case("a caption over 3,000 characters", 422,
                 json={"network": "x", "caption": "m" * 3001}, loc=("body", "caption")),
            Case("a caption that is not text", 422, json={"network": "x", "caption": 5},
                 loc=("body", "caption")),
            Case("a code of its own", 422, json={"network": "x", "code": "AAAAAAAA"},
                 loc=("body", "code")),
            Case("a queued post (not visible)", 404, json={"network": "x"}, target="queued"),
            Case("someone else's suggestion", 404, json={"network": "x"},
                 target="suggestion"),
            Case("someone else's rejected suggestion", 404, json={"network": "x"},
                 target="rejected"),
            Case("their own suggestion (not published)", 409, json={"network": "x"},
                 target="own_suggestion"),
            Case("an expired post", 409, json={"network": "x"}, target="expired"),
            Case("an archived post", 409, json={"network": "x"}, target="archived"),
        ),
    ),
    ("POST", f"{API}/shares/{{share_id}}/external"): Route(
        caller="advocate", target="share",
        valid=external_body,
        cases=(
            Case("no fields", 422, json={}, loc=("body", "external_url")),
            Case("external_url null", 422, json={"external_url": None},
                 loc=("body", "external_url")),
            Case("another advocate's share", 404, json=external_body, target="other_share"),
            *bad_urls("external_url", external_body),
        ),
    ),
    ("PUT", f"{API}/shares/{{share_id}}/stats"): Route(
        caller="advocate", target="share",
        valid=stats_body,
        cases=(
            Case("no fields", 422, json={}),
            *stats_field_cases("impressions"),
            *stats_field_cases("likes"),
            *stats_field_cases("comments"),
            *stats_field_cases("reshares"),
            Case("a source of its own", 422, json=with_(stats_body, source="api"),
                 loc=("body", "source")),
            Case("a taken_at of its own", 422, json=with_(stats_body, taken_at=EARLIER),
                 loc=("body", "taken_at")),
            Case("another advocate's share", 404, json=stats_body, target="other_share"),
        ),
    ),
    ("POST", f"{API}/stats/import"): Route(
        caller="manager",
        valid=stats_csv(STATS_HEADER, "{share},120,7,2,1", "{other_share},5,0,0,0"),
        csv=True,
        cases=(
            csv_case("empty body", b""),
            stats_case("header only", STATS_HEADER),
            stats_case("no header row", "{share},1,2,3,4", "{other_share},1,2,3,4"),
            stats_case("header without reshares", "share_id,impressions,likes,comments",
                       "{share},1,2,3"),
            stats_case("header naming other columns", "id,views,likes,comments,reshares",
                       "{share},1,2,3,4"),
            stats_case("semicolon-separated", "share_id;impressions;likes;comments;reshares",
                       "{share};1;2;3;4"),
            stats_case("negative count", STATS_HEADER, "{share},-1,0,0,0"),
            stats_case("fractional count", STATS_HEADER, "{share},1.5,0,0,0"),
            stats_case("count with an exponent", STATS_HEADER, "{share},1e3,0,0,0"),
            stats_case("count with a sign", STATS_HEADER, "{share},+5,0,0,0"),
            stats_case("count with a thousands separator", STATS_HEADER,
                       '{share},"1,000",0,0,0'),
            stats_case("count not a number", STATS_HEADER, "{share},many,0,0,0"),
            stats_case("empty count", STATS_HEADER, "{share},,0,0,0"),
            stats_case("count over a trillion", STATS_HEADER, "{share},10000000000000,0,0,0"),
            stats_case("unknown share id", STATS_HEADER, f"{UNKNOWN_ID},1,1,1,1"),
            stats_case("malformed share id", STATS_HEADER, "' OR '1'='1,1,1,1,1"),
            stats_case("empty share id", STATS_HEADER, ",1,1,1,1"),
            stats_case("a post id given as a share id", STATS_HEADER, "{published},1,1,1,1"),
            stats_case("good rows, then an unknown share id", STATS_HEADER,
                       "{share},1,1,1,1", "{other_share},2,2,2,2", f"{UNKNOWN_ID},3,3,3,3"),
            stats_case("good rows, then a negative count", STATS_HEADER,
                       "{share},1,1,1,1", "{other_share},2,2,-2,2"),
            stats_case("missing cells", STATS_HEADER, "{share},1,1"),
            stats_case("too many cells", STATS_HEADER, "{share},1,1,1,1,1"),
            stats_case("NUL in a cell", STATS_HEADER, "{share},1\x00,1,1,1"),
            stats_case("unterminated quote", STATS_HEADER, '"{share},1,1,1,1'),
            csv_case("not UTF-8", csv(STATS_HEADER) + b"\xff\xfe,1,1,1,1\n"),
            Case("JSON object instead of CSV", 422, json={"share_id": UNKNOWN_ID,
                                                          "impressions": 1}),
        ),
    ),
    # --- measurement ------------------------------------------------------------------
    ("POST", f"{API}/conversions"): Route(
        caller="key:conversions",
        valid=conversion_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no type", 422, json=without(conversion_body, "type"), loc=("body", "type")),
            Case("no external_id", 422, json=without(conversion_body, "external_id"),
                 loc=("body", "external_id")),
            Case("empty type", 422, json=with_(conversion_body, type=""), loc=("body", "type")),
            Case("type too long", 422, json=with_(conversion_body, type="t" * 65),
                 loc=("body", "type")),
            Case("type not a string", 422, json=with_(conversion_body, type=5),
                 loc=("body", "type")),
            Case("empty external_id", 422, json=with_(conversion_body, external_id=""),
                 loc=("body", "external_id")),
            Case("external_id too long", 422, json=with_(conversion_body, external_id="e" * 201),
                 loc=("body", "external_id")),
            Case("external_id not a string", 422, json=with_(conversion_body, external_id=1001),
                 loc=("body", "external_id")),
            Case("NUL in external_id", 422, json=with_(conversion_body, external_id="crm\x00")),
            *(Case(f"value {label}", 422, json=with_(conversion_body, value=value),
                   loc=("body", "value")) for label, value in BAD_MONEY.items()),
            Case("value a JSON number beyond a double (1e400)", 422,
                 content=b'{"type": "signup", "external_id": "crm-9", "value": 1e400}',
                 content_type="application/json"),
            Case("value a bare NaN literal", 422,
                 content=b'{"type": "signup", "external_id": "crm-9", "value": NaN}',
                 content_type="application/json"),
            Case("2-letter currency", 422, json=with_(conversion_body, currency="EU"),
                 loc=("body", "currency")),
            Case("4-letter currency", 422, json=with_(conversion_body, currency="EURO"),
                 loc=("body", "currency")),
            Case("empty currency", 422, json=with_(conversion_body, currency=""),
                 loc=("body", "currency")),
            Case("currency with a digit", 422, json=with_(conversion_body, currency="E1R"),
                 loc=("body", "currency")),
            Case("currency sign", 422, json=with_(conversion_body, currency="€"),
                 loc=("body", "currency")),
            Case("numeric currency code", 422, json=with_(conversion_body, currency=978),
                 loc=("body", "currency")),
            Case("occurred_at without offset", 422,
                 json=with_(conversion_body, occurred_at="2025-06-01T09:00:00"),
                 loc=("body", "occurred_at")),
            Case("occurred_at not a date", 422,
                 json=with_(conversion_body, occurred_at="yesterday"),
                 loc=("body", "occurred_at")),
            Case("occurred_at out of range", 422,
                 json=with_(conversion_body, occurred_at="9999-12-31T23:59:59-14:00"),
                 loc=("body", "occurred_at")),
            Case("occurred_at before 2000", 422,
                 json=with_(conversion_body, occurred_at="1999-12-31T23:59:59Z"),
                 loc=("body", "occurred_at")),
            Case("occurred_at after 2999, in UTC", 422,
                 json=with_(conversion_body, occurred_at="2999-12-31T23:30:00-01:00"),
                 loc=("body", "occurred_at")),
            Case("occurred_at in the year 1", 422,
                 json=with_(conversion_body, occurred_at="0001-01-01T00:00:00Z"),
                 loc=("body", "occurred_at")),
            Case("a currency ISO 4217 does not have", 422,
                 json=with_(conversion_body, currency="ABC"), loc=("body", "currency")),
            Case("a made-up currency, lower case", 422,
                 json=with_(conversion_body, currency="zzz"), loc=("body", "currency")),
            Case("click_id too long", 422, json=with_(conversion_body, click_id="c" * 65),
                 loc=("body", "click_id")),
            Case("click_id not a string", 422, json=with_(conversion_body, click_id=5),
                 loc=("body", "click_id")),
            Case("attributed by the caller", 422, json=with_(conversion_body, attributed=True),
                 loc=("body", "attributed")),
            Case("a share of the caller's choosing", 422,
                 json=lambda w: {**conversion_body(w), "share_id": w.ids["share"]},
                 loc=("body", "share_id")),
            Case("a site key (that is /t/conversions)", 422,
                 json=with_(conversion_body, site_key="chs_x"), loc=("body", "site_key")),
        ),
    ),
    ("POST", f"{API}/site-keys"): Route(
        caller="admin",
        valid=site_key_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no origins", 422, json={"name": "Site"}, loc=("body", "origins")),
            Case("no name", 422, json={"origins": ["https://www.example.com"]},
                 loc=("body", "name")),
            Case("empty origins", 422, json={"name": "Site", "origins": []},
                 loc=("body", "origins")),
            Case("origins a string", 422, json={"name": "Site",
                                                "origins": "https://www.example.com"},
                 loc=("body", "origins")),
            Case("origins null", 422, json={"name": "Site", "origins": None},
                 loc=("body", "origins")),
            Case("51 origins", 422, json={"name": "Site", "origins": [
                f"https://s{i}.example.com" for i in range(51)]}, loc=("body", "origins")),
            Case("empty name", 422, json=with_(site_key_body, name=""), loc=("body", "name")),
            Case("blank name", 422, json=with_(site_key_body, name="   "), loc=("body", "name")),
            Case("name too long", 422, json=with_(site_key_body, name="n" * 201),
                 loc=("body", "name")),
            Case("a key of the caller's choosing", 422,
                 json=with_(site_key_body, key="chs_chosen"), loc=("body", "key")),
            *(Case(f"origin {label}", 422, loc=("body", "origins", 0),
                   json={"name": "Site", "origins": [origin]})
              for label, origin in BAD_ORIGINS.items()),
            Case("a bad origin after a good one", 422, loc=("body", "origins", 1),
                 json={"name": "Site", "origins": ["https://www.example.com",
                                                   "https://www.example.com/shop"]}),
        ),
    ),
    ("DELETE", f"{API}/site-keys/{{key_id}}"): Route(
        caller="admin", target="site_key", valid=None,
        cases=(
            Case("already revoked", 404, target="revoked_site_key"),
            Case("an API key's id", 404, target="key"),
        ),
    ),
    # --- gamification and programs ----------------------------------------------------
    ("PUT", f"{API}/settings/points"): Route(
        caller="admin",
        valid=points_body,
        cases=(
            *(case for name in POINT_RULES for case in points_field_cases(name)),
            Case("a rule the contract does not have", 422,
                 json=with_(points_body, profile_completed=5),
                 loc=("body", "profile_completed")),
            Case("rules nested in an object", 422, json=lambda w: {"rules": points_body(w)},
                 loc=("body", "rules")),
        ),
    ),
    ("PUT", f"{API}/settings/emv"): Route(
        caller="admin",
        valid=emv_body,
        cases=(
            *(Case(f"currency {label}", 422, json=with_(emv_body, currency=value),
                   loc=("body", "currency"))
              for label, value in (("2 letters", "EU"), ("4 letters", "EURO"), ("empty", ""),
                                   ("with a digit", "E1R"), ("a sign", "€"),
                                   ("numeric code", 978), ("null", None),
                                   ("with spaces", " EUR "))),
            *(Case(f"linkedin CPM {label}", 422, loc=("body", "cpm", "linkedin"),
                   json=lambda w, v=value: {**emv_body(w), "cpm": {"linkedin": v}})
              for label, value in {**BAD_MONEY, "null": None, "negative 0.0001": "-0.0001",
                                   "5 decimal places": "0.00001", "15 digits": "1" * 15,
                                   "a bare negative number": -30}.items()),
            Case("CPM a bare NaN literal", 422,
                 content=b'{"currency": "EUR", "cpm": {"linkedin": NaN}}',
                 content_type="application/json"),
            Case("CPM a bare Infinity literal", 422,
                 content=b'{"currency": "EUR", "cpm": {"x": Infinity}}',
                 content_type="application/json"),
            Case("negative CPM after a good one", 422, loc=("body", "cpm", "x"),
                 json=lambda w: {**emv_body(w), "cpm": {"linkedin": "30", "x": "-6"}}),
            Case("unknown network", 422, json=with_(emv_body, cpm={"myspace": "10"})),
            Case("network in capitals", 422, json=with_(emv_body, cpm={"LinkedIn": "10"})),
            Case("an empty network name", 422, json=with_(emv_body, cpm={"": "10"})),
            Case("unknown network after a good one", 422,
                 json=with_(emv_body, cpm={"linkedin": "10", "tiktok": "10"})),
            Case("cpm a number", 422, json=with_(emv_body, cpm=30), loc=("body", "cpm")),
            Case("cpm a list", 422, json=with_(emv_body, cpm=[30]), loc=("body", "cpm")),
            Case("cpm null", 422, json=with_(emv_body, cpm=None), loc=("body", "cpm")),
        ),
    ),
    ("PUT", f"{API}/settings/sharing"): Route(
        caller="admin",
        valid=lambda w: {"disclosure": "#employee", "policy": {"version": "v1", "text": "Be fair."},
                         "daily_share_cap": 10, "blocked_words": ["secret"]},
        cases=(
            Case("cap 0", 422, json={"daily_share_cap": 0}, loc=("body", "daily_share_cap")),
            Case("cap negative", 422, json={"daily_share_cap": -1},
                 loc=("body", "daily_share_cap")),
            Case("cap a string", 422, json={"daily_share_cap": "10"},
                 loc=("body", "daily_share_cap")),
            Case("cap a fraction", 422, json={"daily_share_cap": 2.5},
                 loc=("body", "daily_share_cap")),
            Case("policy without text", 422, json={"policy": {"version": "v1"}},
                 loc=("body", "policy", "text")),
            Case("policy version empty", 422, json={"policy": {"version": "", "text": "x"}},
                 loc=("body", "policy", "version")),
            Case("policy version with spaces", 422,
                 json={"policy": {"version": "v 1", "text": "x"}},
                 loc=("body", "policy", "version")),
            Case("policy a string", 422, json={"policy": "Be fair."}, loc=("body", "policy")),
            Case("an empty blocked word", 422, json={"blocked_words": [""]}),
            Case("blocked words a string", 422, json={"blocked_words": "secret"},
                 loc=("body", "blocked_words")),
            Case("disclosure too long", 422, json={"disclosure": "#" * 201},
                 loc=("body", "disclosure")),
            Case("disclosure null", 422, json={"disclosure": None}, loc=("body", "disclosure")),
        ),
    ),
    ("POST", f"{API}/me/policy"): Route(
        caller="admin",
        valid=lambda w: {"version": "v1"},
        cases=(
            Case("no version", 422, json={}, loc=("body", "version")),
            Case("version empty", 422, json={"version": ""}, loc=("body", "version")),
            Case("version a number", 422, json={"version": 1}, loc=("body", "version")),
            Case("not the version in force", 409, json={"version": "v0"}),
        ),
    ),
    ("POST", f"{API}/pilots"): Route(
        caller="manager",
        valid=pilot_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no name", 422, json=without(pilot_body, "name"), loc=("body", "name")),
            Case("no starts_on", 422, json=without(pilot_body, "starts_on"),
                 loc=("body", "starts_on")),
            Case("no ends_on", 422, json=without(pilot_body, "ends_on"),
                 loc=("body", "ends_on")),
            Case("empty name", 422, json=with_(pilot_body, name=""), loc=("body", "name")),
            Case("blank name", 422, json=with_(pilot_body, name="   "), loc=("body", "name")),
            Case("name too long", 422, json=with_(pilot_body, name="n" * 201),
                 loc=("body", "name")),
            Case("name not a string", 422, json=with_(pilot_body, name=5),
                 loc=("body", "name")),
            *date_cases("starts_on", pilot_body),
            *date_cases("ends_on", pilot_body),
            Case("ends_on before starts_on", 422,
                 json=with_(pilot_body, starts_on="2030-09-29", ends_on="2030-09-02")),
            Case("ends_on the day before starts_on", 422,
                 json=with_(pilot_body, starts_on="2030-09-02", ends_on="2030-09-01")),
            Case("unknown group id", 422, json=with_(pilot_body, group_ids=[UNKNOWN_ID]),
                 loc=("body", "group_ids", 0)),
            Case("an unknown group id after a known one", 422,
                 json=lambda w: {**pilot_body(w), "group_ids": [w.ids["group"], "nope"]},
                 loc=("body", "group_ids", 1)),
            Case("a topic id given as a group id", 422,
                 json=lambda w: {**pilot_body(w), "group_ids": [w.ids["topic"]]},
                 loc=("body", "group_ids", 0)),
            Case("unknown user id", 422, json=with_(pilot_body, user_ids=[UNKNOWN_ID]),
                 loc=("body", "user_ids", 0)),
            Case("an unknown user id after known ones", 422,
                 json=lambda w: {**pilot_body(w),
                                 "user_ids": [w.ids["user"], w.ids["advocate"], UNKNOWN_ID]},
                 loc=("body", "user_ids", 2)),
            Case("a group id given as a user id", 422,
                 json=lambda w: {**pilot_body(w), "user_ids": [w.ids["group"]]},
                 loc=("body", "user_ids", 0)),
            Case("an empty user id", 422, json=with_(pilot_body, user_ids=[""]),
                 loc=("body", "user_ids", 0)),
            Case("group_ids not a list", 422, json=with_(pilot_body, group_ids="Sales"),
                 loc=("body", "group_ids")),
            Case("user_ids not a list", 422, json=with_(pilot_body, user_ids=UNKNOWN_ID),
                 loc=("body", "user_ids")),
            Case("baseline with more conversions than visits", 422,
                 json=with_(pilot_body, baseline={"paid_visits": 10, "paid_conversions": 11}),
                 loc=("body", "baseline")),
            Case("baseline with negative visits", 422,
                 json=with_(pilot_body, baseline={"paid_visits": -1, "paid_conversions": 0}),
                 loc=("body", "baseline", "paid_visits")),
            Case("baseline with fractional conversions", 422,
                 json=with_(pilot_body, baseline={"paid_visits": 10, "paid_conversions": 1.5}),
                 loc=("body", "baseline", "paid_conversions")),
            Case("baseline without paid_conversions", 422,
                 json=with_(pilot_body, baseline={"paid_visits": 10}),
                 loc=("body", "baseline", "paid_conversions")),
            Case("baseline with a rate of its own", 422,
                 json=with_(pilot_body, baseline={"paid_visits": 10, "paid_conversions": 1,
                                                  "paid_rate": 0.1}),
                 loc=("body", "baseline", "paid_rate")),
            Case("baseline a number", 422, json=with_(pilot_body, baseline=1000),
                 loc=("body", "baseline")),
            Case("warnings of its own", 422, json=with_(pilot_body, warnings=[]),
                 loc=("body", "warnings")),
        ),
    ),
    ("PATCH", f"{API}/pilots/{{pilot_id}}"): Route(
        caller="manager", target="pilot",
        valid=lambda w: {"name": "Renamed pilot", "ends_on": day(30).isoformat(),
                         "group_ids": [w.ids["other_group"]], "user_ids": [w.ids["advocate"]],
                         "baseline": None},
        cases=(
            Case("empty name", 422, json={"name": ""}, loc=("body", "name")),
            Case("name not a string", 422, json={"name": 5}, loc=("body", "name")),
            *date_cases("starts_on", lambda w: {}, patch=True),
            *date_cases("ends_on", lambda w: {}, patch=True),
            Case("ends_on before the stored starts_on", 422,
                 json=lambda w: {"ends_on": day(-30).isoformat()}),
            Case("starts_on after the stored ends_on", 422,
                 json=lambda w: {"starts_on": day(30).isoformat()}),
            Case("both dates, ends_on first", 422,
                 json={"starts_on": "2030-09-29", "ends_on": "2030-09-02"}),
            Case("unknown group id", 422, json={"group_ids": [UNKNOWN_ID]},
                 loc=("body", "group_ids", 0)),
            Case("unknown user id", 422, json={"user_ids": ["nope"]},
                 loc=("body", "user_ids", 0)),
            Case("valid name with an unknown user id", 422,
                 json=lambda w: {"name": "Half Applied",
                                 "user_ids": [w.ids["advocate"], UNKNOWN_ID]},
                 loc=("body", "user_ids", 1)),
            Case("valid dates with an unknown group id", 422,
                 json={"starts_on": "2030-09-02", "ends_on": "2030-09-29",
                       "group_ids": [UNKNOWN_ID]}),
            Case("valid name with dates the wrong way round", 422,
                 json={"name": "Half Applied", "starts_on": "2030-09-29",
                       "ends_on": "2030-09-02"}),
            Case("baseline with more conversions than visits", 422,
                 json={"baseline": {"paid_visits": 10, "paid_conversions": 11}},
                 loc=("body", "baseline")),
            Case("baseline with negative conversions", 422,
                 json={"baseline": {"paid_visits": 10, "paid_conversions": -1}},
                 loc=("body", "baseline", "paid_conversions")),
            Case("group_ids not a list", 422, json={"group_ids": "Sales"},
                 loc=("body", "group_ids")),
            Case("an objective's id", 404, json={"name": "Renamed"}, target="objective"),
        ),
    ),
    ("POST", f"{API}/pilots/{{pilot_id}}/feedback"): Route(
        caller="advocate", target="pilot",
        valid=feedback_body,
        cases=(
            Case("no fields", 422, json={}, loc=("body", "score")),
            Case("no score", 422, json={"comment": "Nice"}, loc=("body", "score")),
            *(Case(f"score {label}", 422, json=with_(feedback_body, score=value),
                   loc=("body", "score"))
              for label, value in (("-1", -1), ("11", 11), ("100", 100), ("fractional", 9.5),
                                   ("a fraction in a string", "9.5"), ("not a number", "ten"),
                                   ("null", None), ("a list", [9]), ("absurd", 10**40))),
            Case("comment too long", 422, json=with_(feedback_body, comment="c" * 5001),
                 loc=("body", "comment")),
            Case("comment not a string", 422, json=with_(feedback_body, comment=["x"]),
                 loc=("body", "comment")),
            Case("a user of its own", 422,
                 json=lambda w: {**feedback_body(w), "user_id": w.ids["user"]},
                 loc=("body", "user_id")),
            Case("a week of its own", 422,
                 json=with_(feedback_body, week_starts_on="2030-01-07"),
                 loc=("body", "week_starts_on")),
            Case("a pilot the caller is not enrolled in", 403, json=feedback_body,
                 target="other_pilot"),
            Case("a pilot that has ended", 422, json=feedback_body, target="past_pilot"),
            Case("a pilot that has not started", 422, json=feedback_body,
                 target="future_pilot"),
            Case("a second feedback in the same ISO week", 409, json=feedback_body,
                 target="answered_pilot"),
            Case("an objective's id", 404, json=feedback_body, target="objective"),
        ),
    ),
    ("POST", f"{API}/objectives"): Route(
        caller="manager",
        valid=objective_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no title", 422, json=without(objective_body, "title"),
                 loc=("body", "title")),
            Case("no key_results", 422, json=without(objective_body, "key_results"),
                 loc=("body", "key_results")),
            Case("no starts_on", 422, json=without(objective_body, "starts_on"),
                 loc=("body", "starts_on")),
            Case("no ends_on", 422, json=without(objective_body, "ends_on"),
                 loc=("body", "ends_on")),
            Case("empty title", 422, json=with_(objective_body, title=""),
                 loc=("body", "title")),
            Case("title too long", 422, json=with_(objective_body, title="t" * 301),
                 loc=("body", "title")),
            *key_result_cases(objective_body),
            *date_cases("starts_on", objective_body),
            *date_cases("ends_on", objective_body),
            Case("ends_on before starts_on", 422,
                 json=with_(objective_body, starts_on="2030-06-30", ends_on="2030-04-01")),
            Case("unknown pilot id", 422, json=with_(objective_body, pilot_id=UNKNOWN_ID),
                 loc=("body", "pilot_id")),
            Case("malformed pilot id", 422, json=with_(objective_body, pilot_id="' OR 1=1"),
                 loc=("body", "pilot_id")),
            Case("an empty pilot id", 422, json=with_(objective_body, pilot_id=""),
                 loc=("body", "pilot_id")),
            Case("a group id given as a pilot id", 422,
                 json=lambda w: {**objective_body(w), "pilot_id": w.ids["group"]},
                 loc=("body", "pilot_id")),
            Case("pilot_id not a string", 422, json=with_(objective_body, pilot_id=5),
                 loc=("body", "pilot_id")),
        ),
    ),
    ("PATCH", f"{API}/objectives/{{objective_id}}"): Route(
        caller="manager", target="objective",
        valid=lambda w: {"title": "Renamed", "ends_on": "2030-06-30", "pilot_id": None,
                         "key_results": [key_result("shares", target=40)]},
        cases=(
            Case("empty title", 422, json={"title": ""}, loc=("body", "title")),
            *key_result_cases(lambda w: {"key_results": [key_result()]}),
            Case("ends_on before the stored starts_on", 422, json={"ends_on": "2029-12-31"}),
            Case("starts_on after the stored ends_on", 422, json={"starts_on": "2030-04-01"}),
            Case("both dates, ends_on first", 422,
                 json={"starts_on": "2030-06-30", "ends_on": "2030-04-01"}),
            *date_cases("starts_on", lambda w: {}, patch=True),
            *date_cases("ends_on", lambda w: {}, patch=True),
            Case("unknown pilot id", 422, json={"pilot_id": UNKNOWN_ID},
                 loc=("body", "pilot_id")),
            Case("a group id given as a pilot id", 422,
                 json=lambda w: {"pilot_id": w.ids["group"]}, loc=("body", "pilot_id")),
            Case("valid title with an unknown pilot id", 422,
                 json={"title": "Half Applied", "pilot_id": UNKNOWN_ID},
                 loc=("body", "pilot_id")),
            Case("valid key results with dates the wrong way round", 422,
                 json={"key_results": [key_result("shares")], "starts_on": "2030-06-30",
                       "ends_on": "2030-04-01"}),
            Case("valid title with an unknown metric", 422,
                 json={"title": "Half Applied", "key_results": [key_result("nope")]},
                 loc=("body", "key_results", 0, "metric")),
            Case("a pilot's id", 404, json={"title": "Renamed"}, target="pilot"),
        ),
    ),
    ("DELETE", f"{API}/objectives/{{objective_id}}"): Route(
        caller="manager", target="objective", valid=None,
        cases=(Case("a pilot's id", 404, target="pilot"),),
    ),
    ("POST", f"{API}/objectives/{{objective_id}}/check-ins"): Route(
        caller="manager", target="objective",
        valid=lambda w: {"confidence": "on_track", "note": "Going well"},
        cases=(
            Case("no fields", 422, json={}, loc=("body", "confidence")),
            Case("unknown confidence", 422, json={"confidence": "fine"},
                 loc=("body", "confidence")),
            Case("a value without a key result", 422,
                 json={"confidence": "on_track", "value": 3}),
            Case("a value not a number", 422, json={"confidence": "on_track", "value": "many"},
                 loc=("body", "value")),
            Case("unknown key result", 422,
                 json={"confidence": "on_track", "key_result_id": UNKNOWN_ID},
                 loc=("body", "key_result_id")),
            Case("note too long", 422, json={"confidence": "on_track", "note": "n" * 2001},
                 loc=("body", "note")),
            Case("a pilot's id", 404, json={"confidence": "on_track"}, target="pilot"),
        ),
    ),
    # --- reports for leadership ---------------------------------------------------------
    ("POST", f"{API}/report-schedules"): Route(
        caller="manager",
        valid=lambda w: {"pilot_id": w.ids["pilot"], "cadence": "monthly",
                         "recipients": ["ceo@corp.test"]},
        cases=(
            Case("no fields", 422, json={}),
            Case("unknown cadence", 422, json={"cadence": "daily",
                                              "recipients": ["ceo@corp.test"]},
                 loc=("body", "cadence")),
            Case("no recipients", 422, json={"cadence": "weekly", "recipients": []},
                 loc=("body", "recipients")),
            Case("not an address", 422, json={"cadence": "weekly", "recipients": ["ceo"]},
                 loc=("body", "recipients", 0)),
            Case("recipients a string", 422,
                 json={"cadence": "weekly", "recipients": "ceo@corp.test"},
                 loc=("body", "recipients")),
            Case("unknown pilot", 422, json={"pilot_id": UNKNOWN_ID, "cadence": "weekly",
                                            "recipients": ["ceo@corp.test"]},
                 loc=("body", "pilot_id")),
        ),
    ),
    ("DELETE", f"{API}/report-schedules/{{schedule_id}}"): Route(
        caller="manager", target="report_schedule", valid=None,
        cases=(Case("a pilot's id", 404, target="pilot"),),
    ),
    # --- background work: webhooks, feeds, channels, reminders, connections ----------------
    ("POST", f"{API}/webhooks"): Route(
        caller="admin",
        valid=webhook_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no url", 422, json=without(webhook_body, "url"), loc=("body", "url")),
            Case("no events", 422, json=without(webhook_body, "events"),
                 loc=("body", "events")),
            *bad_urls("url", webhook_body),
            *private_urls("url", webhook_body),
            *event_cases(webhook_body),
        ),
    ),
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): Route(
        caller="admin", target="webhook",
        valid=lambda w: {"events": ["share.created", "click.created"]},
        cases=(
            *bad_urls("url", lambda w: {}),
            *private_urls("url", lambda w: {}),
            *event_cases(lambda w: {}),
            Case("active not a boolean", 422, json={"active": "yes"}, loc=("body", "active")),
            Case("a feed's id", 404, json={"active": True}, target="feed"),
        ),
    ),
    ("DELETE", f"{API}/webhooks/{{webhook_id}}"): Route(
        caller="admin", target="webhook", valid=None,
        cases=(Case("a channel's id", 404, target="channel"),),
    ),
    ("POST", f"{API}/feeds"): Route(
        caller="marketer",
        valid=lambda w: {"url": "https://93.184.216.34/news.xml", "category": "curated",
                         "topic_ids": [w.ids["topic"]]},
        cases=(
            Case("no fields", 422, json={}),
            *bad_urls("url", feed_body),
            *private_urls("url", feed_body),
            Case("the URL of a registered feed", 409, json={"url": WORLD_FEED}),
            Case("unknown category", 422, json=with_(feed_body, category="opinion"),
                 loc=("body", "category")),
            Case("unknown topic id", 422, json=with_(feed_body, topic_ids=[UNKNOWN_ID]),
                 loc=("body", "topic_ids", 0)),
            Case("topic_ids not a list", 422, json=with_(feed_body, topic_ids="all"),
                 loc=("body", "topic_ids")),
        ),
    ),
    ("DELETE", f"{API}/feeds/{{feed_id}}"): Route(
        caller="marketer", target="feed", valid=None,
        cases=(Case("a webhook's id", 404, target="webhook"),),
    ),
    ("POST", f"{API}/channels"): Route(
        caller="admin",
        valid=channel_body,
        cases=(
            Case("no fields", 422, json={}),
            Case("no kind", 422, json=without(channel_body, "kind"), loc=("body", "kind")),
            Case("no name", 422, json=without(channel_body, "name"), loc=("body", "name")),
            Case("unknown kind", 422, json=with_(channel_body, kind="discord"),
                 loc=("body", "kind")),
            Case("empty name", 422, json=with_(channel_body, name=""), loc=("body", "name")),
            Case("name too long", 422, json=with_(channel_body, name="n" * 101),
                 loc=("body", "name")),
            Case("an http URL", 422, json=with_(channel_body, url="http://93.184.216.34/h"),
                 loc=("body", "url")),
            *bad_urls("url", channel_body),
            *private_urls("url", channel_body),
            Case("the URL of a registered channel", 409,
                 json=with_(channel_body, url=WORLD_CHANNEL)),
        ),
    ),
    ("DELETE", f"{API}/channels/{{channel_id}}"): Route(
        caller="admin", target="channel", valid=None,
        cases=(Case("a webhook's id", 404, target="webhook"),),
    ),
    ("PUT", f"{API}/settings/reminders"): Route(
        caller="admin",
        valid=reminders_body,
        cases=(
            Case("weekday 0", 422, json=with_(reminders_body, weekday_digest=[0]),
                 loc=("body", "weekday_digest", 0)),
            Case("weekday 8", 422, json=with_(reminders_body, weekday_digest=[1, 8]),
                 loc=("body", "weekday_digest", 1)),
            Case("no weekday", 422, json=with_(reminders_body, weekday_digest=[]),
                 loc=("body", "weekday_digest")),
            Case("weekday as a name", 422, json=with_(reminders_body, weekday_digest=["mon"]),
                 loc=("body", "weekday_digest")),
            Case("hour 24", 422, json=with_(reminders_body, hour=24), loc=("body", "hour")),
            Case("hour -1", 422, json=with_(reminders_body, hour=-1), loc=("body", "hour")),
            Case("hour as text", 422, json=with_(reminders_body, hour="nine"),
                 loc=("body", "hour")),
            Case("min_new_posts 0", 422, json=with_(reminders_body, min_new_posts=0),
                 loc=("body", "min_new_posts")),
            Case("enabled as text", 422, json=with_(reminders_body, enabled="maybe"),
                 loc=("body", "enabled")),
        ),
    ),
    ("POST", f"{API}/connections/{{network}}"): Route(
        caller="advocate", target="raw:linkedin", valid=None,
        cases=(
            Case("X (its app reads public metrics)", 422, target="raw:x",
                 loc=("path", "network")),
            Case("Facebook (no API for members' posts)", 422, target="raw:facebook",
                 loc=("path", "network")),
            Case("a network Chorus does not know", 404, target="raw:myspace"),
            Case("a network in capitals", 404, target="raw:LINKEDIN"),
        ),
    ),
    ("DELETE", f"{API}/connections/{{network}}"): Route(
        caller="advocate", target="raw:linkedin", valid=None,
        cases=(
            Case("X", 422, target="raw:x", loc=("path", "network")),
            Case("a network Chorus does not know", 404, target="raw:myspace"),
        ),
    ),
}

MALFORMED_IDS = ("nope", "x" * 300, "%FF%FE", "%C3%A9", "-1", "%20", "%27%3B--")


def generic_cases(method: str, path: str, spec: Route) -> list[Case]:
    """Cases every write route gets: oversize bodies; broken, non-object, empty bodies and
    extra fields where it takes JSON; unknown and malformed ids where it has a path id."""
    cases: list[Case] = []
    if spec.csv:
        cases.append(csv_case("CSV over 5 MiB", b"a" * (5 * MIB + 1), status=413))
    else:
        pad = {"padding": "p" * (MIB + 1)}
        cases.append(Case("JSON over 1 MiB", 413,
                          json=lambda w: {**(spec.valid(w) if spec.valid else {}), **pad}))
    if spec.valid is not None and not spec.csv:
        valid: Body = spec.valid
        cases += [
            Case("no body", 422),
            Case("empty JSON body", 422, content=b"", content_type="application/json"),
            Case("malformed JSON", 422, content=b'{"name": "x",', content_type="application/json"),
            Case("JSON null", 422, json=None),
            Case("JSON array", 422, json=[]),
            Case("JSON string", 422, json="hello"),
            Case("JSON number", 422, json=42),
            Case("JSON sent as text/plain", 422, content=b"{}", content_type="text/plain"),
            Case("unknown extra field", 422,
                 json=lambda w: {**valid(w), "unexpected_field": 1},
                 loc=("body", "unexpected_field")),
        ]
    if "{" in path:
        base = spec.valid if spec.valid is not None else None
        for bad in (UNKNOWN_ID, *MALFORMED_IDS):
            label = "unknown path id" if bad == UNKNOWN_ID else f"malformed path id {bad[:12]!r}"
            cases.append(Case(label, 404, json=base if base is not None else MISSING,
                              content_type="text/csv" if spec.csv else None,
                              target=f"raw:{bad}"))
    return cases


def url_for(path: str, world: World, target: str | None) -> str:
    if "{" not in path:
        return path
    assert target is not None, path
    value = target[4:] if target.startswith("raw:") else world.ids[target]
    name = path[path.index("{") + 1:path.index("}")]
    return path.replace("{" + name + "}", value)


async def send(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str],
               case: Case, world: World) -> httpx.Response:
    body = case.json(world) if callable(case.json) else case.json
    if body is not MISSING and case.content_type == "text/csv":
        content = body if isinstance(body, bytes) else jsonlib.dumps(body).encode()
        return await client.request(method, url, content=content,
                                    headers={**headers, "content-type": "text/csv"})
    if body is not MISSING:
        return await client.request(method, url, json=body, headers=headers)
    if case.content is not None:
        extra = {"content-type": case.content_type} if case.content_type else {}
        return await client.request(method, url, content=case.content,
                                    headers={**headers, **extra})
    return await client.request(method, url, headers=headers)


def loc_errors(response: httpx.Response, loc: tuple[str | int, ...] | None) -> list[str]:
    if loc is None or response.status_code != 422:
        return []
    locs = [tuple(e.get("loc", ())) for e in response.json().get("errors") or []]
    if any(found[-len(loc):] == loc for found in locs):
        return []
    return [f"no error at {list(loc)}; errors at {[list(x) for x in locs]}"]


# --- tests ------------------------------------------------------------------------------


def test_every_write_route_has_bad_input_cases(app: FastAPI) -> None:
    routes = write_routes(app)
    assert routes, "no write route found: has route enumeration broken?"
    assert not sorted(routes - ROUTES.keys()), "write routes without cases in ROUTES"
    assert not sorted(ROUTES.keys() - routes), "ROUTES names routes the app does not have"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """LinkedIn's app configured, so that a member may start connecting their account."""
    return settings.model_copy(update={"linkedin_client_id": "chorus-client",
                                       "linkedin_client_secret": SecretStr("chorus-secret")})


@pytest.fixture
async def world(api: Api, settings: Settings) -> World:
    return await build_world(api, settings)


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES),
                         ids=[f"{m} {p}" for m, p in sorted(ROUTES)])
async def test_bad_input_is_refused_and_changes_nothing(api: Api, world: World, method: str,
                                                        path: str) -> None:
    spec = ROUTES[(method, path)]
    headers = world.headers[spec.caller]
    before = await snapshot(api.db)
    failures: list[str] = []
    for case in (*spec.cases, *generic_cases(method, path, spec)):
        url = url_for(path, world, case.target or spec.target)
        response = await send(api.client, method, url, headers, case, world)
        problems = problem_errors(response, case.status) + loc_errors(response, case.loc)
        problems += diff(before, await snapshot(api.db))
        if problems:
            failures.append(f"{case.label} ({method} {url[:80]}): {'; '.join(problems)}\n"
                            f"    {response.text[:300]}")
            before = await snapshot(api.db)  # report each change once
    assert not failures, "\n".join(failures)

    # The control: the valid request succeeds and is seen to change the database.
    control = Case("valid request", 0, json=spec.valid if spec.valid is not None else MISSING,
                   content_type="text/csv" if spec.csv else None)
    url = url_for(path, world, spec.target)
    response = await send(api.client, method, url, headers, control, world)
    assert 200 <= response.status_code < 300, f"control {method} {url}: {response.text}"
    assert diff(before, await snapshot(api.db)), "the valid request changed nothing"


async def test_rejected_import_creates_no_user_and_no_group(api: Api, world: World) -> None:
    """All-or-nothing, spelled out: the file's good rows (new users, new groups, an update)
    are not applied when a later row is bad."""
    content = csv(CSV_HEADER, "fresh@corp.test,Fresh,advocate,Fresh Group",
                  f"{world.emails['user']},Renamed,manager,Support", "broken,Broken,advocate,")
    response = await api.client.post(f"{API}/users/import", content=content,
                                     headers={**world.headers["admin"],
                                              "content-type": "text/csv"})
    assert not problem_errors(response, 422)
    errors = response.json()["errors"]
    assert [e["loc"] for e in errors] == [["row", 4, "email"]]
    users = (await api.client.get(f"{API}/users", headers=world.headers["admin"])).json()
    assert "fresh@corp.test" not in [u["email"] for u in users["items"]]
    target = [u for u in users["items"] if u["email"] == world.emails["user"]][0]
    assert target["name"] == "Target" and target["role"] == "advocate"
    groups = (await api.client.get(f"{API}/groups", headers=world.headers["admin"])).json()
    assert sorted(g["name"] for g in groups["items"]) == ["Sales", "Support"]


async def test_import_reports_every_bad_row(api: Api, world: World) -> None:
    content = csv(CSV_HEADER, "ok@corp.test,Ok,advocate,", "bad-email,A,advocate,",
                  "ok2@corp.test,B,emperor,", "OK@corp.test,C,advocate,")
    response = await api.client.post(f"{API}/users/import", content=content,
                                     headers={**world.headers["admin"],
                                              "content-type": "text/csv"})
    assert not problem_errors(response, 422)
    locs = [e["loc"] for e in response.json()["errors"]]
    assert locs == [["row", 3, "email"], ["row", 4, "role"], ["row", 5, "email"]]


# --- edge cases: chunked bodies, stored dates, unstorable text, CSV the parser refuses ----


async def _assert_refused(api: Api, response: httpx.Response, status: int,
                          before: Snapshot) -> None:
    assert not problem_errors(response, status), (response.status_code, response.text)
    assert not diff(before, await snapshot(api.db))


async def test_oversize_chunked_body_is_413(api: Api, world: World) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "Big", "description": "'
        for _ in range(20):
            yield b"d" * 100_000
        yield b'"}'

    before = await snapshot(api.db)
    response = await api.client.post(f"{API}/topics", content=chunks(),
                                      headers={**world.headers["marketer"],
                                               "content-type": "application/json"})
    assert "content-length" not in response.request.headers
    await _assert_refused(api, response, 413, before)


async def test_patch_post_dates_are_checked_against_the_stored_ones(api: Api,
                                                                    world: World) -> None:
    marketer = world.headers["marketer"]
    queued = f"{API}/posts/{world.ids['queued']}"  # publish_at is 30 days ahead
    before = await snapshot(api.db)
    response = await api.client.patch(queued, json={"expires_at": "2001-01-01T00:00:00Z"},
                                      headers=marketer)
    await _assert_refused(api, response, 422, before)
    # And the valid edit the same code path serves:
    response = await api.client.patch(queued, json={"publish_at": LATER}, headers=marketer)
    assert response.status_code == 200, response.text
    assert response.json()["publish_at"] == LATER


async def test_out_of_range_datetime_is_422(api: Api, world: World) -> None:
    marketer = world.headers["marketer"]
    before = await snapshot(api.db)
    for method, url, body in (
        ("POST", f"{API}/posts", {**post_body(world), "publish_at": "9999-12-31T23:59:59-14:00"}),
        ("POST", f"{API}/posts", {**post_body(world), "expires_at": "0001-01-01T00:00:00+14:00"}),
        ("PATCH", f"{API}/posts/{world.ids['queued']}",
         {"publish_at": "9999-12-31T23:59:59-14:00"}),
    ):
        response = await api.client.request(method, url, json=body, headers=marketer)
        await _assert_refused(api, response, 422, before)


async def test_nul_character_in_text_is_422(api: Api, world: World) -> None:
    before = await snapshot(api.db)
    for caller, method, url, body in (
        ("marketer", "POST", f"{API}/topics", {"name": "Cl\u0000oud"}),
        ("manager", "POST", f"{API}/groups", {"name": "Sa\u0000les"}),
        ("advocate", "PATCH", f"{API}/me", {"name": "Ana\u0000"}),
        ("marketer", "POST", f"{API}/posts", {**post_body(world), "title": "T\u0000"}),
        ("advocate", "POST", f"{API}/suggestions", {**suggestion_body(world), "note": "\u0000"}),
        ("anonymous", "POST", f"{API}/auth/login", {"email": "a\u0000@corp.test",
                                                   "password": PASSWORD}),
    ):
        response = await api.client.request(method, url, json=body,
                                            headers=world.headers[caller])
        await _assert_refused(api, response, 401 if "login" in url else 422, before)
    response = await api.client.post(
        f"{API}/users/import", content=csv(CSV_HEADER, "nul@corp.test,N\x00ul,advocate,"),
        headers={**world.headers["admin"], "content-type": "text/csv"})
    await _assert_refused(api, response, 422, before)


async def test_lone_surrogate_in_text_is_422(api: Api, world: World) -> None:
    before = await snapshot(api.db)
    response = await api.client.post(f"{API}/groups", content=b'{"name": "Sales \\ud800"}',
                                     headers={**world.headers["manager"],
                                              "content-type": "application/json"})
    await _assert_refused(api, response, 422, before)


async def test_csv_the_parser_refuses_is_422(api: Api, world: World) -> None:
    headers = {**world.headers["admin"], "content-type": "text/csv"}
    before = await snapshot(api.db)
    huge_cell = csv(CSV_HEADER, f"big@corp.test,{'n' * 200_000},advocate,")
    response = await api.client.post(f"{API}/users/import", content=huge_cell, headers=headers)
    await _assert_refused(api, response, 422, before)
    # Bare carriage returns end rows too (old Mac line endings): that file is a valid import.
    bare_cr = b"email,name,role,group\rcr@corp.test,Cr,advocate,\r"
    response = await api.client.post(f"{API}/users/import", content=bare_cr, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert [u["email"] for u in response.json()["users"]] == ["cr@corp.test"]


# --- shares, stats, conversions, site keys, exports ---------------------------------------


async def _import_stats(api: Api, world: World, *lines: str) -> httpx.Response:
    return await api.client.post(f"{API}/stats/import", content=stats_csv(*lines)(world),
                                 headers={**world.headers["manager"], "content-type": "text/csv"})


async def test_rejected_stats_import_reports_each_bad_row(api: Api, world: World) -> None:
    before = await snapshot(api.db)
    response = await _import_stats(api, world, STATS_HEADER, "{share},1,1,1,1",
                                   "{other_share},x,1,1,-1", "{share},2,2,2,2")
    await _assert_refused(api, response, 422, before)
    locs = [e["loc"] for e in response.json()["errors"]]
    assert locs == [["row", 3, "impressions"], ["row", 3, "reshares"]]


async def test_stats_import_names_the_row_of_an_unknown_share(api: Api, world: World) -> None:
    before = await snapshot(api.db)
    response = await _import_stats(api, world, STATS_HEADER, "{share},-1,0,0,0",
                                   f"{UNKNOWN_ID},1,1,1,1")
    await _assert_refused(api, response, 422, before)
    locs = [e["loc"] for e in response.json()["errors"]]
    assert sorted(locs) == [["row", 2, "impressions"], ["row", 3, "share_id"]]


@pytest.mark.parametrize("count", ["\u00b2", "\u2460"], ids=["superscript two", "circled one"])
async def test_stats_import_count_in_other_digits_is_422(api: Api, world: World,
                                                        count: str) -> None:
    before = await snapshot(api.db)
    response = await _import_stats(api, world, STATS_HEADER, f"{{share}},{count},0,0,0")
    await _assert_refused(api, response, 422, before)


@pytest.mark.parametrize("via", ["PUT stats", "CSV import"])
async def test_counts_above_32_bits_are_stored_or_refused(api: Api, world: World,
                                                          via: str) -> None:
    """The schema allows up to 10**12: a large count is stored as sent, or refused as a 422
    that changes nothing, on every backend; never a 500."""
    big = 3_000_000_000
    before = await snapshot(api.db)
    if via == "PUT stats":
        response = await api.client.put(f"{API}/shares/{world.ids['share']}/stats",
                                        json={**stats_body(world), "impressions": big},
                                        headers=world.headers["advocate"])
    else:
        response = await _import_stats(api, world, STATS_HEADER, f"{{share}},{big},0,0,0")
    if response.status_code == 422:
        await _assert_refused(api, response, 422, before)
        return
    assert response.status_code == 200, response.text
    rows = (await snapshot(api.db))["share_stats"]
    assert any(big in row for row in rows), rows


@pytest.mark.parametrize("origin", ["https://..", "https://a..b", "https://-",
                                    "https://www.example.com:99999"])
async def test_site_key_origin_must_be_a_real_origin(api: Api, world: World,
                                                     origin: str) -> None:
    before = await snapshot(api.db)
    response = await api.client.post(f"{API}/site-keys", headers=world.headers["admin"],
                                     json={"name": "Site", "origins": [origin]})
    await _assert_refused(api, response, 422, before)


async def test_conversion_value_is_answered_as_a_plain_decimal(api: Api,
                                                               world: World) -> None:
    """Controls for the refused values: these are valid amounts, answered as decimal text."""
    headers = world.headers["key:conversions"]
    for n, (sent, answered) in enumerate((("49.90", "49.90"), (12, "12"), ("1E+2", "100"),
                                          (" 7.5 ", "7.5"), ("0.000001", "0.000001"),
                                          ("9" * 18 + ".5", "9" * 18 + ".5"))):
        response = await api.client.post(f"{API}/conversions", headers=headers, json={
            "type": "deal", "external_id": f"value-{n}", "value": sent, "currency": "usd"})
        assert response.status_code == 201, f"{sent!r}: {response.text}"
        assert response.json()["value"] == answered, sent
        assert response.json()["currency"] == "USD"


async def test_export_dates_are_checked(api: Api, world: World) -> None:
    headers = world.headers["manager"]
    for query, loc in (("from=2030-01-02&to=2030-01-01", ["query", "to"]),
                       ("from=2030-01-01&to=2030-01-01", ["query", "to"]),
                       ("from=tomorrow", ["query", "from"]),
                       ("to=2030-02-30", ["query", "to"]),
                       ("from=2030-1-1", ["query", "from"]),
                       ("from=99999-01-01", ["query", "from"]),
                       ("to=", ["query", "to"])):
        for kind in ("shares", "clicks", "conversions"):
            response = await api.client.get(f"{API}/exports/{kind}.csv?{query}",
                                            headers=headers)
            assert not problem_errors(response, 422), (kind, query, response.text)
            assert loc in [e["loc"] for e in response.json()["errors"]], (kind, query)
    for query in ("from=2030-01-01&to=2030-01-02", "from=0001-01-01", "to=9999-12-31",
                  "from=0001-01-01&to=0001-01-02"):
        response = await api.client.get(f"{API}/exports/shares.csv?{query}", headers=headers)
        assert response.status_code == 200, f"{query}: {response.text}"
        assert response.text.splitlines()[0].startswith("id,"), query


# --- pilots, their KPIs and objectives ----------------------------------------------------

KPI_NAMES = (
    "enrolled", "active_advocates", "participation_rate", "posts_published", "shares",
    "share_rate", "clicks", "unique_clicks", "clicks_per_share", "conversions", "revenue",
    "conversion_rate", "reach", "impressions", "engagements", "engagement_rate", "emv",
    "feedback_score", "enps",
)
"""The KPI names of CONTRACT §6, written out here rather than imported from the app."""
LAST_DAY = "9999-12-31"
"""The last day a date can hold: the day after it cannot be computed."""
LAST_ALLOWED_DAY = "2999-12-31"
"""The last day Chorus accepts in a date field (days are 2000–2999)."""


async def test_unknown_metric_is_422_listing_the_valid_names(api: Api, world: World) -> None:
    headers = world.headers["manager"]
    before = await snapshot(api.db)
    for method, url, body in (
        ("POST", f"{API}/objectives", with_key_result(objective_body, metric="likes")(world)),
        ("PATCH", f"{API}/objectives/{world.ids['objective']}",
         {"key_results": [key_result("likes")]}),
    ):
        response = await api.client.request(method, url, json=body, headers=headers)
        await _assert_refused(api, response, 422, before)
        messages = [e["msg"] for e in response.json()["errors"]
                    if e["loc"] == ["body", "key_results", 0, "metric"]]
        assert messages, response.text
        missing = [n for n in KPI_NAMES if not re.search(rf"\b{n}\b", messages[0])]
        assert not missing, f"{method}: {messages[0]!r} does not name {missing}"


async def test_every_kpi_name_is_a_metric(api: Api, world: World) -> None:
    """The control for the unknown metrics: each §6 name is accepted, five to an objective."""
    headers = world.headers["manager"]
    for start in range(0, len(KPI_NAMES), 5):
        names = KPI_NAMES[start:start + 5]
        body = {**objective_body(world), "key_results": [key_result(n) for n in names]}
        response = await api.client.post(f"{API}/objectives", json=body, headers=headers)
        assert response.status_code == 201, f"{names}: {response.text}"
        assert [kr["metric"] for kr in response.json()["key_results"]] == list(names)


async def test_pilot_kpi_dates_are_checked(api: Api, world: World) -> None:
    """``from``/``to`` are dates, ``from ≥ to`` is 422, and each bound left out is the pilot's
    own (the world's pilot runs from 14 days ago to 14 days ahead)."""
    headers = world.headers["manager"]
    pilot = f"{API}/pilots/{world.ids['pilot']}"
    for query, loc in (("from=2030-01-02&to=2030-01-01", ["query", "to"]),
                       ("from=2030-01-01&to=2030-01-01", ["query", "to"]),
                       (f"from={day(15)}", ["query", "to"]),  # the day after the pilot's end
                       (f"to={day(-14)}", ["query", "to"]),  # the pilot's first day
                       ("from=tomorrow", ["query", "from"]),
                       ("to=2030-02-30", ["query", "to"]),
                       ("from=2030-1-1", ["query", "from"]),
                       ("from=99999-01-01", ["query", "from"]),
                       # KPI days are 2000–2999 and a range at most five years.
                       ("from=0001-01-01&to=0001-01-02", ["query", "from"]),
                       ("from=2020-01-01&to=2030-01-01", ["query", "to"]),
                       ("to=", ["query", "to"])):
        for kind in ("kpis", "kpis.csv"):
            before = await snapshot(api.db)
            response = await api.client.get(f"{pilot}/{kind}?{query}", headers=headers)
            await _assert_refused(api, response, 422, before)
            assert loc in [e["loc"] for e in response.json()["errors"]], (kind, query)
    for query in ("", f"from={day(14)}", f"to={day(-13)}", "from=2030-01-01&to=2030-01-02"):
        response = await api.client.get(f"{pilot}/kpis?{query}", headers=headers)
        assert response.status_code == 200, f"{query}: {response.text}"
        assert response.json()["pilot_id"] == world.ids["pilot"]
        response = await api.client.get(f"{pilot}/kpis.csv?{query}", headers=headers)
        assert response.status_code == 200, f"{query}: {response.text}"
        assert response.text.startswith("week_start,week_end,"), query


@pytest.mark.parametrize("kind", ["kpis", "kpis.csv"])
async def test_kpis_past_the_last_allowed_day_are_422_and_up_to_it_a_report(
        api: Api, world: World, kind: str) -> None:
    url = f"{API}/pilots/{world.ids['pilot']}/{kind}"
    headers = world.headers["manager"]
    before = await snapshot(api.db)
    response = await api.client.get(f"{url}?from=9999-12-01&to={LAST_DAY}", headers=headers)
    await _assert_refused(api, response, 422, before)
    assert ["query", "from"] in [e["loc"] for e in response.json()["errors"]]
    response = await api.client.get(f"{url}?from=2999-12-01&to={LAST_ALLOWED_DAY}",
                                    headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["kpis", "kpis.csv"])
async def test_a_pilot_past_the_last_allowed_day_is_refused_and_up_to_it_has_kpis(
        api: Api, world: World, kind: str) -> None:
    headers = world.headers["manager"]
    pilot = f"{API}/pilots/{world.ids['pilot']}"
    before = await snapshot(api.db)
    response = await api.client.patch(pilot, json={"starts_on": "9999-12-01",
                                                   "ends_on": LAST_DAY}, headers=headers)
    await _assert_refused(api, response, 422, before)
    assert ["body", "starts_on"] in [e["loc"] for e in response.json()["errors"]]
    response = await api.client.patch(pilot, json={"starts_on": "2999-12-01",
                                                   "ends_on": LAST_ALLOWED_DAY}, headers=headers)
    assert response.status_code == 200, response.text
    report = await api.client.get(f"{pilot}/{kind}", headers=headers)
    assert report.status_code == 200, report.text


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_an_objective_past_the_last_allowed_day_is_refused_and_up_to_it_stored(
        api: Api, world: World, method: str) -> None:
    headers = world.headers["manager"]
    url = f"{API}/objectives" + ("" if method == "POST" else f"/{world.ids['objective']}")
    for dates, status in (({"starts_on": "9999-12-01", "ends_on": LAST_DAY}, 422),
                          ({"starts_on": "2999-12-01", "ends_on": LAST_ALLOWED_DAY},
                           201 if method == "POST" else 200)):
        body = {**objective_body(world), **dates} if method == "POST" else dates
        before = await snapshot(api.db)
        response = await api.client.request(method, url, json=body, headers=headers)
        if status == 422:
            await _assert_refused(api, response, 422, before)
            assert ["body", "starts_on"] in [e["loc"] for e in response.json()["errors"]]
            continue
        assert response.status_code == status, response.text
        assert response.json()["ends_on"] == LAST_ALLOWED_DAY
    listed = await api.client.get(f"{API}/objectives", headers=headers)
    assert listed.status_code == 200, listed.text
