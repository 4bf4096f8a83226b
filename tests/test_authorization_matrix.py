"""Who may call what: an authorization matrix over every ``/api/v1`` route (CONTRACT §2, §3).

``ROUTE_ROLES`` names the least role each route needs. Roles nest as the contract says: every
role holds the advocate's rights, admin holds every right, marketer and manager are siblings.
Each route is called by an anonymous client, a deactivated user's token, each role and two API
keys, with an empty or garbage body: callers who may not use the route get 401/403 whatever the
body holds (the role is checked before the body is validated); callers who may get anything
else. The table must name exactly the app's routes, so a new route cannot ship without a rule.
One route is no role's: ``POST /conversions`` takes only an API key with the
``conversions:write`` scope (``CONVERSIONS_KEY``); every user, whatever the role, gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import PilotCreate
from app.auth import groups as groups_service
from app.auth import service as auth_service
from app.auth.principal import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from app.content import publisher
from app.content import service as content_service
from app.conversions import service as conversions_service
from app.core.clock import utcnow
from app.models import Base, Conversion, Feedback, Share, StatsSnapshot, Topic, User
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import PASSWORD, Api, PostStatus, Role, make_post, make_topic, make_user
from tests.routes import iter_api_routes

API = "/api/v1"
PUBLIC, ADVOCATE, MARKETER, MANAGER, ADMIN = "public", "advocate", "marketer", "manager", "admin"
CONVERSIONS_KEY = "key:conversions"
"""Not a role: only an API key with the ``conversions:write`` scope may call the route."""

ROUTE_ROLES: dict[tuple[str, str], str] = {
    # auth and people
    ("POST", f"{API}/auth/login"): PUBLIC,
    ("POST", f"{API}/auth/logout"): ADVOCATE,
    ("GET", f"{API}/me"): ADVOCATE,
    ("PATCH", f"{API}/me"): ADVOCATE,
    ("POST", f"{API}/me/policy"): ADVOCATE,
    ("GET", f"{API}/me/pilots"): ADVOCATE,
    ("POST", f"{API}/users"): ADMIN,
    ("GET", f"{API}/users"): ADMIN,
    ("POST", f"{API}/users/import"): ADMIN,
    ("GET", f"{API}/users/{{user_id}}"): ADMIN,
    ("PATCH", f"{API}/users/{{user_id}}"): ADMIN,
    ("DELETE", f"{API}/users/{{user_id}}"): ADMIN,
    ("POST", f"{API}/api-keys"): ADMIN,
    ("GET", f"{API}/api-keys"): ADMIN,
    ("DELETE", f"{API}/api-keys/{{key_id}}"): ADMIN,
    ("POST", f"{API}/groups"): MANAGER,
    ("GET", f"{API}/groups"): MANAGER,
    ("GET", f"{API}/groups/{{group_id}}"): MANAGER,
    ("PATCH", f"{API}/groups/{{group_id}}"): MANAGER,
    ("DELETE", f"{API}/groups/{{group_id}}"): MANAGER,
    # content
    ("POST", f"{API}/topics"): MARKETER,
    ("GET", f"{API}/topics"): ADVOCATE,
    ("GET", f"{API}/topics/{{topic_id}}"): ADVOCATE,
    ("PATCH", f"{API}/topics/{{topic_id}}"): MARKETER,
    ("DELETE", f"{API}/topics/{{topic_id}}"): MARKETER,
    ("POST", f"{API}/posts"): MARKETER,
    ("GET", f"{API}/posts"): MARKETER,
    ("GET", f"{API}/posts/{{post_id}}"): ADVOCATE,
    ("PATCH", f"{API}/posts/{{post_id}}"): MARKETER,
    ("POST", f"{API}/posts/{{post_id}}/archive"): MARKETER,
    ("POST", f"{API}/suggestions"): ADVOCATE,
    ("POST", f"{API}/posts/{{post_id}}/approve"): MARKETER,
    ("POST", f"{API}/posts/{{post_id}}/reject"): MARKETER,
    ("GET", f"{API}/feed"): ADVOCATE,
    ("GET", f"{API}/queue"): MARKETER,
    ("GET", f"{API}/mix"): MARKETER,
    ("POST", f"{API}/publisher/run"): MARKETER,
    # advocates
    ("POST", f"{API}/posts/{{post_id}}/shares"): ADVOCATE,
    ("GET", f"{API}/me/shares"): ADVOCATE,
    ("POST", f"{API}/shares/{{share_id}}/external"): ADVOCATE,
    ("PUT", f"{API}/shares/{{share_id}}/stats"): ADVOCATE,
    ("POST", f"{API}/stats/import"): MANAGER,
    # measurement
    ("POST", f"{API}/conversions"): CONVERSIONS_KEY,
    ("POST", f"{API}/site-keys"): ADMIN,
    ("GET", f"{API}/site-keys"): ADMIN,
    ("DELETE", f"{API}/site-keys/{{key_id}}"): ADMIN,
    ("GET", f"{API}/exports/{{kind}}.csv"): MANAGER,
    # gamification and programs
    ("GET", f"{API}/leaderboard"): ADVOCATE,
    ("GET", f"{API}/me/stats"): ADVOCATE,
    ("GET", f"{API}/me/badges"): ADVOCATE,
    ("GET", f"{API}/settings/points"): ADMIN,
    ("PUT", f"{API}/settings/points"): ADMIN,
    ("GET", f"{API}/settings/emv"): ADMIN,
    ("PUT", f"{API}/settings/emv"): ADMIN,
    ("GET", f"{API}/settings/sharing"): ADMIN,
    ("PUT", f"{API}/settings/sharing"): ADMIN,
    ("POST", f"{API}/pilots"): MANAGER,
    ("GET", f"{API}/pilots"): MANAGER,
    ("GET", f"{API}/pilots/{{pilot_id}}"): MANAGER,
    ("PATCH", f"{API}/pilots/{{pilot_id}}"): MANAGER,
    ("GET", f"{API}/pilots/{{pilot_id}}/kpis"): MANAGER,
    ("GET", f"{API}/pilots/{{pilot_id}}/kpis.csv"): MANAGER,
    # Any signed-in user, but only one enrolled in the pilot: the world's pilot enrols every
    # role caller (test_feedback_comes_from_the_pilots_cohort_only covers the others).
    ("POST", f"{API}/pilots/{{pilot_id}}/feedback"): ADVOCATE,
    ("GET", f"{API}/pilots/{{pilot_id}}/feedback"): MANAGER,
    ("POST", f"{API}/objectives"): MANAGER,
    ("GET", f"{API}/objectives"): ADVOCATE,
    ("GET", f"{API}/objectives/{{objective_id}}"): ADVOCATE,
    ("PATCH", f"{API}/objectives/{{objective_id}}"): MANAGER,
    ("DELETE", f"{API}/objectives/{{objective_id}}"): MANAGER,
    ("POST", f"{API}/objectives/{{objective_id}}/check-ins"): ADVOCATE,
    ("GET", f"{API}/objectives/{{objective_id}}/check-ins"): ADVOCATE,
    ("GET", f"{API}/kpis"): MANAGER,
    ("GET", f"{API}/pilots/{{pilot_id}}/report.pdf"): MANAGER,
    ("GET", f"{API}/report.pdf"): MANAGER,
    ("POST", f"{API}/report-schedules"): MANAGER,
    ("GET", f"{API}/report-schedules"): MANAGER,
    ("DELETE", f"{API}/report-schedules/{{schedule_id}}"): MANAGER,
    # background work and what it reaches
    ("GET", f"{API}/jobs"): ADMIN,
    ("POST", f"{API}/webhooks"): ADMIN,
    ("GET", f"{API}/webhooks"): ADMIN,
    ("GET", f"{API}/webhooks/{{webhook_id}}"): ADMIN,
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): ADMIN,
    ("DELETE", f"{API}/webhooks/{{webhook_id}}"): ADMIN,
    ("GET", f"{API}/webhooks/{{webhook_id}}/deliveries"): ADMIN,
    ("POST", f"{API}/feeds"): MARKETER,
    ("GET", f"{API}/feeds"): MARKETER,
    ("DELETE", f"{API}/feeds/{{feed_id}}"): MARKETER,
    ("POST", f"{API}/channels"): ADMIN,
    ("GET", f"{API}/channels"): ADMIN,
    ("DELETE", f"{API}/channels/{{channel_id}}"): ADMIN,
    ("GET", f"{API}/settings/reminders"): ADMIN,
    ("PUT", f"{API}/settings/reminders"): ADMIN,
    # the caller's own network connections
    ("GET", f"{API}/connections"): ADVOCATE,
    ("POST", f"{API}/connections/{{network}}"): ADVOCATE,
    ("GET", f"{API}/connections/{{network}}/callback"): ADVOCATE,
    ("DELETE", f"{API}/connections/{{network}}"): ADVOCATE,
}

# GETs about the signed-in user themselves (their feed, everything under /me): an API key has
# no user, so even a `read` key is refused (a `read` key makes "every GET a manager may make"
# that is not about a person). A `read` key reads any post, as a marketer does.
PER_USER_GETS = frozenset({
    ("GET", f"{API}/me"),
    ("GET", f"{API}/feed"),
    ("GET", f"{API}/me/shares"),
    ("GET", f"{API}/me/stats"),
    ("GET", f"{API}/me/badges"),
    ("GET", f"{API}/me/pilots"),
    ("GET", f"{API}/connections"),
    ("GET", f"{API}/connections/{{network}}/callback"),
})

# GETs that complete an action started elsewhere and need its query (the OAuth callback, with
# `code` and `state`): an allowed caller without them gets a 4xx problem, not a 200.
# Reports over the organisation need their range.
RANGES = {f"{API}/kpis": "?from=2026-01-05&to=2026-02-02",
          f"{API}/report.pdf": "?from=2026-01-05&to=2026-02-02"}
ACTION_GETS = frozenset({("GET", f"{API}/connections/{{network}}/callback")})

ROLE_CALLERS = ("advocate", "marketer", "manager", "admin")
CALLERS = ("anonymous", "deactivated", *ROLE_CALLERS, "key:read", CONVERSIONS_KEY)
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
STATS: dict[str, object] = {"impressions": 120, "likes": 7, "comments": 2, "reshares": 1}


def api_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    found: dict[tuple[str, str], APIRoute] = {}
    for path, route in iter_api_routes(app):
        if path.startswith(API + "/"):
            for method in route.methods or ():
                found[(method, path)] = route
    return found


def may_call(caller: str, method: str, path: str) -> bool | None:
    """True: allowed; False: 403; None: 401 (not authenticated)."""
    need = ROUTE_ROLES[(method, path)]
    if need == PUBLIC:
        return True
    if caller in ("anonymous", "deactivated"):
        return None
    if need == CONVERSIONS_KEY:
        return caller == CONVERSIONS_KEY
    if caller == "key:read":
        return (method == "GET" and need in (ADVOCATE, MANAGER)
                and (method, path) not in PER_USER_GETS)
    if caller == CONVERSIONS_KEY:
        return False
    return caller == ADMIN or need == ADVOCATE or caller == need


@dataclass
class World:
    """Callers (name → headers) and real objects for every path parameter."""

    callers: dict[str, dict[str, str]] = field(default_factory=dict)
    user_id: str = ""
    key_id: str = ""
    group_id: str = ""
    topic_id: str = ""
    published_id: str = ""
    queued_id: str = ""
    suggestion_id: str = ""
    advocate_id: str = ""
    share_id: str = ""
    """The advocate caller's share of the published post."""
    site_key_id: str = ""
    pilot_id: str = ""
    """Its cohort: the group and every role caller; its dates: around today."""
    objective_id: str = ""
    webhook_id: str = ""
    feed_id: str = ""
    channel_id: str = ""
    schedule_id: str = ""

    def url(self, path: str) -> str:
        post_id = self.suggestion_id if path.endswith(("/approve", "/reject")) else (
            self.published_id)
        key_id = self.site_key_id if path.startswith(f"{API}/site-keys/") else self.key_id
        return path.format(user_id=self.user_id, key_id=key_id, group_id=self.group_id,
                           topic_id=self.topic_id, post_id=post_id, share_id=self.share_id,
                           kind="shares", pilot_id=self.pilot_id,
                           objective_id=self.objective_id, webhook_id=self.webhook_id,
                           feed_id=self.feed_id, channel_id=self.channel_id,
                           schedule_id=self.schedule_id, network="linkedin"
                           ) + RANGES.get(path, "")


async def build_world(api: Api) -> World:
    world = World()
    async with api.db.transaction() as session:
        topic = await make_topic(session)
        group = await groups_service.create(session, name="Sales", description=None)
        target = await make_user(session)
        published = await make_post(session, publish_at=utcnow() - timedelta(hours=1))
        assert [p.id for p in await publisher.run(session)] == [published.id]
        queued = await make_post(session, publish_at=utcnow() + timedelta(days=30))
        suggestion = await content_service.suggest(
            session, user=target, url="https://example.com/suggested", note=None, topic_ids=[])
        key, _ = await auth_service.create_api_key(session, name="target", scopes=["read"])
        _, read_key = await auth_service.create_api_key(session, name="reader", scopes=["read"])
        _, conversions_key = await auth_service.create_api_key(
            session, name="crm", scopes=["conversions:write"])
        site_key = await conversions_service.create_site_key(
            session, name="Website", origins=["https://www.example.com"])
        world.user_id, world.key_id, world.group_id = target.id, key.id, group.id
        world.topic_id, world.published_id = topic.id, published.id
        world.queued_id, world.suggestion_id = queued.id, suggestion.id
        world.site_key_id = site_key.id
    world.callers["anonymous"] = {}
    role_user_ids = []
    for role in ROLE_CALLERS:
        user, world.callers[role] = await api.user(Role(role))
        role_user_ids.append(user.id)
        if role == "advocate":
            world.advocate_id = user.id
    async with api.db.transaction() as session:
        advocate = await session.get(User, world.advocate_id)
        assert advocate is not None
        share, _, created = await sharing_service.get_or_create(
            session, user=advocate, post_id=world.published_id, network=Network.linkedin)
        assert created
        world.share_id = share.id
        # Feedback is open while the pilot runs: its dates hold the real today, with weeks
        # to spare on either side whatever the organisation's time zone.
        today = utcnow().date()
        pilot = await pilots_service.create(session, data=PilotCreate(
            name="Spring pilot", starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=14), group_ids=[world.group_id],
            user_ids=role_user_ids))
        objective = await okr_service.create(session, data=ObjectiveCreate(
            title="More clicks", starts_on=today - timedelta(days=14),
            ends_on=today + timedelta(days=14), pilot_id=pilot.id,
            key_results=[KeyResultIn(title="Clicks", metric="clicks", target=Decimal(100))]))
        world.pilot_id, world.objective_id = pilot.id, objective.id
    # Created after the active admin, so it is not the last one; its token is made after the
    # deactivation (deactivating also revokes earlier tokens), so only `active` stops it.
    world.callers["deactivated"] = await api.headers(Role.admin, active=False)
    world.callers["key:read"] = {"Authorization": f"Bearer {read_key}"}
    world.callers[CONVERSIONS_KEY] = {"Authorization": f"Bearer {conversions_key}"}
    # Through the API, as an admin would: their services check the URL (a public literal
    # address here, since tests resolve no names).
    admin = world.callers["admin"]
    for attribute, path, body in (
        ("webhook_id", "webhooks", {"url": "https://93.184.216.34/hooks",
                                    "events": ["share.created"]}),
        ("feed_id", "feeds", {"url": "https://93.184.216.34/feed.xml"}),
        ("channel_id", "channels", {"kind": "slack", "url": "https://93.184.216.34/services/T",
                                    "name": "#marketing"}),
        ("schedule_id", "report-schedules", {"cadence": "weekly",
                                             "recipients": ["boss@corp.test"]}),
    ):
        created = await api.client.post(f"{API}/{path}", json=body, headers=admin)
        assert created.status_code == 201, created.text
        setattr(world, attribute, created.json()["id"])
    return world


async def call(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str],
               body: bytes | None) -> httpx.Response:
    if body is None:
        return await client.request(method, url, headers=headers)
    return await client.request(method, url, content=body,
                                headers={**headers, "content-type": "application/json"})


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]


def test_table_covers_exactly_the_app_routes(app: FastAPI) -> None:
    routes = set(api_routes(app))
    assert routes, "no /api/v1 route found: has route enumeration broken?"
    missing = sorted(routes - ROUTE_ROLES.keys())
    stale = sorted(ROUTE_ROLES.keys() - routes)
    assert not missing, f"routes without an authorization rule in ROUTE_ROLES: {missing}"
    assert not stale, f"ROUTE_ROLES names routes the app does not have: {stale}"
    assert PER_USER_GETS <= routes
    about_me = {(m, p) for m, p in routes if m == "GET" and p.startswith(f"{API}/me")}
    assert about_me <= PER_USER_GETS, "a GET under /me is about the caller"


GARBAGE = b'{"garbage": tru'


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_ROLES),
                         ids=[f"{m} {p}" for m, p in sorted(ROUTE_ROLES)])
async def test_route_authorization(api: Api, app: FastAPI, method: str, path: str) -> None:
    world = await build_world(api)
    url = world.url(path)
    route = api_routes(app)[(method, path)]
    if method == "GET":
        bodies: list[bytes | None] = [None]
    elif route.body_field is not None:
        bodies = [None, GARBAGE]
    else:
        # Body-less actions (logout, delete, archive, run) succeed once: send one request.
        bodies = [GARBAGE]
    # Refused callers first, so that allowed ones (which may delete or archive) come last.
    order = sorted(CALLERS, key=lambda c: may_call(c, method, path) is True)
    for caller in order:
        allowed = may_call(caller, method, path)
        for body in bodies:
            response = await call(api.client, method, url, world.callers[caller], body)
            where = f"{caller} {method} {url} body={body!r}: {response.status_code} {response.text}"
            if allowed is None:
                assert response.status_code == 401, where
                assert_problem(response, 401)
            elif allowed is False:
                assert response.status_code == 403, where
                assert_problem(response, 403)
            else:
                assert response.status_code not in (401, 403), where
                assert response.status_code < 500, where
                if method == "GET" and (method, path) not in ACTION_GETS:
                    assert response.status_code == 200, where


async def build_callers(api: Api) -> dict[str, dict[str, str]]:
    """Every caller of ``CALLERS`` and nothing else (no object any path could name)."""
    callers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLE_CALLERS:
        callers[role] = await api.headers(Role(role))
    callers["deactivated"] = await api.headers(Role.admin, active=False)
    async with api.db.transaction() as session:
        _, read_key = await auth_service.create_api_key(session, name="reader", scopes=["read"])
        _, conversions_key = await auth_service.create_api_key(
            session, name="crm", scopes=["conversions:write"])
    callers["key:read"] = {"Authorization": f"Bearer {read_key}"}
    callers[CONVERSIONS_KEY] = {"Authorization": f"Bearer {conversions_key}"}
    return callers


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_ROLES),
                         ids=[f"{m} {p}" for m, p in sorted(ROUTE_ROLES)])
async def test_the_caller_is_checked_before_the_address(api: Api, method: str,
                                                        path: str) -> None:
    """A NUL character in the query (422) or in a path id (404) is only looked at once the
    caller may use the route: anyone else gets the same 401 or 403 as with a clean address."""
    callers = await build_callers(api)
    url = _with_id(path, "a%00b") + "?cursor=%00"
    for caller, headers in callers.items():
        allowed = may_call(caller, method, path)
        response = await api.client.request(method, url, headers=headers)
        where = f"{caller} {method} {url}: {response.status_code} {response.text}"
        if allowed is None:
            assert response.status_code == 401, where
        elif allowed is False:
            assert response.status_code == 403, where
        else:
            assert response.status_code == (404 if "{" in path else 422), where
        assert response.headers["content-type"] == "application/problem+json", where


async def test_no_role_but_admin_reads_another_user(api: Api) -> None:
    world = await build_world(api)
    for role in ("advocate", "marketer", "manager"):
        for user_id in (world.user_id, world.advocate_id):
            response = await api.client.get(f"{API}/users/{user_id}",
                                            headers=world.callers[role])
            assert_problem(response, 403)
        listing = await api.client.get(f"{API}/users", headers=world.callers[role])
        assert_problem(listing, 403)
    response = await api.client.get(f"{API}/users/{world.user_id}",
                                    headers=world.callers["admin"])
    assert response.status_code == 200
    assert response.json()["id"] == world.user_id
    # What an advocate may read about themselves comes from /me.
    me = await api.client.get(f"{API}/me", headers=world.callers["advocate"])
    assert me.status_code == 200 and me.json()["id"] == world.advocate_id


async def test_posts_an_advocate_cannot_see_are_404(api: Api) -> None:
    world = await build_world(api)
    async with api.db.transaction() as session:
        followed = await make_topic(session)
        other = await make_topic(session)
        in_other_topic = await make_post(session, topic_ids=[other.id],
                                         publish_at=utcnow() - timedelta(minutes=5))
        await publisher.run(session)
        suggester = await make_user(session)
        their_suggestion = await content_service.suggest(
            session, user=suggester, url="https://example.com/mine", note=None, topic_ids=[])
        rejected = await content_service.suggest(
            session, user=await make_user(session), url="https://example.com/no", note=None,
            topic_ids=[])
        await content_service.reject(session, rejected, reason="off-topic")
    assert (await api.client.get(f"{API}/posts/{in_other_topic.id}",
                                 headers=world.callers["admin"])).json()["status"] == "published"
    _, follower = await api.user(Role.advocate, topic_ids=[followed.id])
    _, suggester_headers = await api.user(Role.advocate, email="suggester2@corp.test")
    unknown = await api.client.get(f"{API}/posts/0123456789abcdef0123456789abcdef",
                                   headers=world.callers["advocate"])
    assert_problem(unknown, 404)

    hidden = {
        "queued post": (world.queued_id, world.callers["advocate"]),
        "queued post, manager": (world.queued_id, world.callers["manager"]),
        "someone else's suggestion": (world.suggestion_id, world.callers["advocate"]),
        "someone else's rejected suggestion": (rejected.id, world.callers["advocate"]),
        "another user's suggestion": (their_suggestion.id, suggester_headers),
        "published in a topic not followed": (in_other_topic.id, follower),
        "published without topics, advocate follows one": (world.published_id, follower),
    }
    for label, (post_id, headers) in hidden.items():
        response = await api.client.get(f"{API}/posts/{post_id}", headers=headers)
        assert response.status_code == 404, f"{label}: {response.status_code} {response.text}"
        assert_problem(response, 404)
        # Hidden and unknown ids look the same: the id reveals nothing.
        assert response.json() == unknown.json(), label

    visible = {
        "published, advocate follows no topic": (world.published_id, world.callers["advocate"]),
        "published in another topic, follows none": (in_other_topic.id,
                                                     world.callers["advocate"]),
        "queued, marketer": (world.queued_id, world.callers["marketer"]),
        "suggestion, admin": (world.suggestion_id, world.callers["admin"]),
    }
    for label, (post_id, headers) in visible.items():
        response = await api.client.get(f"{API}/posts/{post_id}", headers=headers)
        assert response.status_code == 200, f"{label}: {response.status_code} {response.text}"


async def test_their_suggestion_is_visible_to_its_author(api: Api) -> None:
    user, headers = await api.user(Role.advocate)
    created = await api.client.post(f"{API}/suggestions", headers=headers,
                                    json={"url": "https://example.com/idea", "topic_ids": []})
    assert created.status_code == 201
    post_id = created.json()["id"]
    response = await api.client.get(f"{API}/posts/{post_id}", headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == PostStatus.suggested
    assert response.json()["suggested_by"] == user.id
    _, stranger = await api.user(Role.advocate)
    assert_problem(await api.client.get(f"{API}/posts/{post_id}", headers=stranger), 404)


# --- shares -----------------------------------------------------------------------------


async def _count(api: Api, model: type[Base]) -> int:
    async with api.db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _share(api: Api, headers: dict[str, str], post_id: str,
                 network: str = "linkedin") -> httpx.Response:
    return await api.client.post(f"{API}/posts/{post_id}/shares", headers=headers,
                                 json={"network": network})


async def test_sharing_needs_a_visible_published_unexpired_post(api: Api) -> None:
    """Posts the caller cannot see are 404 (like an unknown id); visible posts that are not
    published, or have expired, are 409; nothing is created either way."""
    world = await build_world(api)
    async with api.db.transaction() as session:
        followed = await make_topic(session)
        other = await make_topic(session)
        in_other_topic = await make_post(session, topic_ids=[other.id],
                                         publish_at=utcnow() - timedelta(minutes=5))
        expired = await make_post(session, publish_at=utcnow() - timedelta(minutes=5))
        archived = await make_post(session, publish_at=utcnow() - timedelta(minutes=5))
        assert len(await publisher.run(session)) == 3
        expired.expires_at = utcnow() - timedelta(minutes=1)
        await content_service.archive(session, archived)
        advocate = await session.get(User, world.advocate_id)
        assert advocate is not None
        own_suggestion = await content_service.suggest(
            session, user=advocate, url="https://example.com/my-idea", note=None, topic_ids=[])
    _, follower = await api.user(Role.advocate, topic_ids=[followed.id])
    advocate_headers = world.callers["advocate"]
    unknown = await _share(api, advocate_headers, UNKNOWN_ID)
    assert_problem(unknown, 404)

    hidden = {
        "queued post": (world.queued_id, advocate_headers),
        "queued post, manager": (world.queued_id, world.callers["manager"]),
        "someone else's suggestion": (world.suggestion_id, advocate_headers),
        "published in a topic not followed": (in_other_topic.id, follower),
        "published without topics, advocate follows one": (world.published_id, follower),
    }
    for label, (post_id, headers) in hidden.items():
        response = await _share(api, headers, post_id)
        assert response.status_code == 404, f"{label}: {response.status_code} {response.text}"
        assert_problem(response, 404)
        assert response.json() == unknown.json(), label

    not_shareable = {
        "their own suggestion": (own_suggestion.id, advocate_headers),
        "an expired post": (expired.id, advocate_headers),
        "an archived post": (archived.id, advocate_headers),
        "a queued post, marketer": (world.queued_id, world.callers["marketer"]),
        "a suggestion, admin": (world.suggestion_id, world.callers["admin"]),
    }
    for label, (post_id, headers) in not_shareable.items():
        response = await _share(api, headers, post_id)
        assert response.status_code == 409, f"{label}: {response.status_code} {response.text}"
        assert_problem(response, 409)
    assert await _count(api, Share) == 1  # the world's own share

    again = await _share(api, advocate_headers, world.published_id)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == world.share_id
    first = await _share(api, advocate_headers, in_other_topic.id, network="x")
    assert first.status_code == 201, first.text
    for role in ("marketer", "manager", "admin"):  # every role shares too
        response = await _share(api, world.callers[role], world.published_id)
        assert response.status_code == 201, f"{role}: {response.text}"
    assert await _count(api, Share) == 5


async def test_another_advocates_share_is_404_but_a_manager_may_enter_its_stats(
        api: Api) -> None:
    world = await build_world(api)
    _, stranger = await api.user(Role.advocate)
    share_url = f"{API}/shares/{world.share_id}"
    external = {"external_url": "https://www.linkedin.com/feed/update/urn:li:activity:7"}
    unknown_stats = await api.client.put(f"{API}/shares/{UNKNOWN_ID}/stats", headers=stranger,
                                         json=STATS)
    assert_problem(unknown_stats, 404)
    unknown_external = await api.client.post(f"{API}/shares/{UNKNOWN_ID}/external",
                                             headers=stranger, json=external)
    assert_problem(unknown_external, 404)

    # Stats: the sharing advocate or a manager (and so an admin); a marketer is not one.
    for label, headers in (("another advocate", stranger),
                           ("a marketer", world.callers["marketer"])):
        response = await api.client.put(f"{share_url}/stats", headers=headers, json=STATS)
        assert response.status_code == 404, f"{label}: {response.status_code} {response.text}"
        assert_problem(response, 404)
        assert response.json() == unknown_stats.json(), label
    # The external URL: the sharing advocate only.
    for label, headers in (("another advocate", stranger),
                           ("a marketer", world.callers["marketer"]),
                           ("a manager", world.callers["manager"]),
                           ("an admin", world.callers["admin"])):
        response = await api.client.post(f"{share_url}/external", headers=headers,
                                         json=external)
        assert response.status_code == 404, f"{label}: {response.status_code} {response.text}"
        assert_problem(response, 404)
        assert response.json() == unknown_external.json(), label
    assert await _count(api, StatsSnapshot) == 0
    async with api.db.sessionmaker() as session:
        share = await session.get(Share, world.share_id)
        assert share is not None and share.external_url is None

    for label, headers in (("a manager", world.callers["manager"]),
                           ("an admin", world.callers["admin"]),
                           ("the sharing advocate", world.callers["advocate"])):
        response = await api.client.put(f"{share_url}/stats", headers=headers, json=STATS)
        assert response.status_code == 200, f"{label}: {response.status_code} {response.text}"
        assert response.json()["share_id"] == world.share_id
        assert {k: response.json()[k] for k in STATS} == STATS
    assert await _count(api, StatsSnapshot) == 3
    response = await api.client.post(f"{share_url}/external", headers=world.callers["advocate"],
                                      json=external)
    assert response.status_code == 200, response.text
    assert response.json()["external_url"] == external["external_url"]


async def test_my_shares_are_only_mine(api: Api) -> None:
    world = await build_world(api)
    _, stranger = await api.user(Role.advocate)
    mine = await api.client.get(f"{API}/me/shares", headers=world.callers["advocate"])
    assert mine.status_code == 200, mine.text
    assert [s["id"] for s in mine.json()["items"]] == [world.share_id]
    for headers in (stranger, world.callers["manager"], world.callers["admin"]):
        response = await api.client.get(f"{API}/me/shares", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []


PATH_PARAM_ROUTES = sorted(k for k in ROUTE_ROLES if "{" in k[1])
VALID_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PATCH", f"{API}/users/{{user_id}}"): {"name": "Renamed"},
    ("PATCH", f"{API}/groups/{{group_id}}"): {"description": "Renamed"},
    ("PATCH", f"{API}/topics/{{topic_id}}"): {"description": "Renamed"},
    ("PATCH", f"{API}/posts/{{post_id}}"): {"title": "Renamed"},
    ("POST", f"{API}/posts/{{post_id}}/approve"): {"category": "curated"},
    ("POST", f"{API}/posts/{{post_id}}/reject"): {"reason": "Not for us"},
    ("POST", f"{API}/posts/{{post_id}}/shares"): {"network": "linkedin"},
    ("POST", f"{API}/shares/{{share_id}}/external"): {
        "external_url": "https://www.linkedin.com/feed/update/urn:li:activity:1"},
    ("PUT", f"{API}/shares/{{share_id}}/stats"): STATS,
    ("PATCH", f"{API}/pilots/{{pilot_id}}"): {"name": "Renamed"},
    ("POST", f"{API}/pilots/{{pilot_id}}/feedback"): {"score": 8},
    ("PATCH", f"{API}/objectives/{{objective_id}}"): {"title": "Renamed"},
    ("POST", f"{API}/objectives/{{objective_id}}/check-ins"): {"confidence": "on_track"},
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): {"events": ["share.created"]},
}
MALFORMED_IDS = (
    "0123456789abcdef0123456789abcdef",  # well-formed, names nothing
    "nope",
    "0",
    "-1",
    "x" * 300,
    "%27%20OR%20%271%27%3D%271",  # ' OR '1'='1
    "%C3%A9t%C3%A9",  # été
    "%F0%9F%92%A5",  # an emoji
    "%FF%FE",  # not UTF-8
    "1.5e3",
    "null",
    "%20",
)


def _with_id(path: str, value: str) -> str:
    return path.format(user_id=value, key_id=value, group_id=value, topic_id=value,
                       post_id=value, share_id=value, kind=value, pilot_id=value,
                       objective_id=value, webhook_id=value, feed_id=value,
                       channel_id=value, schedule_id=value, network=value)


async def test_malformed_or_unknown_path_id_is_404_not_422(api: Api) -> None:
    """Every route with an id in its path, called by an admin (who may call them all) with
    a valid body, so that only the id can be wrong."""
    _, admin = await api.user(Role.admin)
    assert PATH_PARAM_ROUTES
    for method, path in PATH_PARAM_ROUTES:
        body = VALID_BODIES.get((method, path))
        for bad in MALFORMED_IDS:
            url = _with_id(path, bad)
            response = await api.client.request(method, url, headers=admin,
                                                json=body)
            assert response.status_code == 404, f"{method} {url}: {response.text}"
            assert_problem(response, 404)


async def test_nul_byte_in_path_id_is_404(api: Api) -> None:
    _, admin = await api.user(Role.admin)
    for method, path in PATH_PARAM_ROUTES:
        body = VALID_BODIES.get((method, path))
        url = _with_id(path, "a%00b")
        response = await api.client.request(method, url, headers=admin,
                                            json=body)
        assert response.status_code == 404, f"{method} {url}: {response.text}"
        assert_problem(response, 404)


async def test_advocate_gets_404_for_malformed_post_id(api: Api) -> None:
    _, advocate = await api.user(Role.advocate)
    for bad in MALFORMED_IDS:
        response = await api.client.get(f"{API}/posts/{bad}", headers=advocate)
        assert_problem(response, 404)


# --- API keys ---------------------------------------------------------------------------


async def _create_key(api: Api, admin: dict[str, str], scopes: list[str]) -> tuple[str, str]:
    response = await api.client.post(f"{API}/api-keys", headers=admin,
                                     json={"name": "+".join(scopes), "scopes": scopes})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["key"]


async def test_read_key_may_get_manager_routes_only(api: Api) -> None:
    world = await build_world(api)
    admin = world.callers["admin"]
    _, key = await _create_key(api, admin, ["read"])
    reader = {"Authorization": f"Bearer {key}"}

    pilot = f"{API}/pilots/{world.pilot_id}"
    for url in (f"{API}/groups", f"{API}/groups/{world.group_id}", f"{API}/topics",
                f"{API}/topics/{world.topic_id}", f"{API}/exports/shares.csv",
                f"{API}/exports/clicks.csv", f"{API}/exports/conversions.csv",
                f"{API}/leaderboard", f"{API}/pilots", pilot, f"{pilot}/kpis",
                f"{pilot}/kpis.csv", f"{pilot}/feedback", f"{API}/objectives",
                f"{API}/objectives/{world.objective_id}"):
        response = await api.client.get(url, headers=reader)
        assert response.status_code == 200, f"GET {url}: {response.text}"
    # Any post of the organisation, whatever its status, as a marketer reads it.
    for post_id in (world.published_id, world.queued_id, world.suggestion_id):
        response = await api.client.get(f"{API}/posts/{post_id}", headers=reader)
        assert response.status_code == 200, f"post {post_id}: {response.text}"
        as_marketer = await api.client.get(f"{API}/posts/{post_id}",
                                           headers=world.callers["marketer"])
        assert response.json() == as_marketer.json()
    assert_problem(await api.client.get(f"{API}/posts/{UNKNOWN_ID}", headers=reader), 404)

    refused = [
        ("POST", f"{API}/groups", {"name": "Marketing"}),
        ("GET", f"{API}/mix", None),  # a marketer's GET
        ("GET", f"{API}/feed", None),  # the caller's own feed: a key has none
        ("PATCH", f"{API}/posts/{world.published_id}", {"title": "Renamed"}),
        ("POST", f"{API}/posts/{world.published_id}/archive", None),
        ("POST", f"{API}/groups", None),
        ("PATCH", f"{API}/groups/{world.group_id}", {"name": "Renamed"}),
        ("DELETE", f"{API}/groups/{world.group_id}", None),
        ("GET", f"{API}/users", None),
        ("GET", f"{API}/users/{world.user_id}", None),
        ("GET", f"{API}/api-keys", None),
        ("POST", f"{API}/api-keys", {"name": "escalate", "scopes": ["read"]}),
        ("POST", f"{API}/users", {"email": "new@corp.test", "name": "New"}),
        ("GET", f"{API}/posts", None),  # a marketer's GET, not a manager's
        ("GET", f"{API}/queue", None),
        ("POST", f"{API}/topics", {"name": "Nope"}),
        ("GET", f"{API}/me", None),
        ("POST", f"{API}/auth/logout", None),
        ("GET", f"{API}/me/shares", None),  # about a person: a key has none
        ("POST", f"{API}/posts/{world.published_id}/shares", {"network": "x"}),
        ("PUT", f"{API}/shares/{world.share_id}/stats", STATS),
        ("POST", f"{API}/stats/import", None),  # a manager's, but not a GET
        ("POST", f"{API}/conversions", {"type": "signup", "external_id": "read-1"}),
        ("GET", f"{API}/site-keys", None),  # an admin's GET
        ("POST", f"{API}/site-keys", {"name": "Site", "origins": ["https://a.example"]}),
        ("DELETE", f"{API}/site-keys/{world.site_key_id}", None),
        ("GET", f"{API}/me/stats", None),  # about a person
        ("GET", f"{API}/me/badges", None),
        ("GET", f"{API}/settings/points", None),  # an admin's GETs
        ("GET", f"{API}/settings/emv", None),
        ("PUT", f"{API}/settings/points", {"share_created": 1000}),
        ("PUT", f"{API}/settings/emv", {"currency": "EUR"}),
        ("POST", f"{API}/pilots", {"name": "P", "starts_on": "2030-01-01",
                                   "ends_on": "2030-02-01"}),
        ("PATCH", pilot, {"name": "Renamed"}),
        ("POST", f"{pilot}/feedback", {"score": 10}),
        ("POST", f"{API}/objectives", None),
        ("PATCH", f"{API}/objectives/{world.objective_id}", {"title": "Renamed"}),
        ("DELETE", f"{API}/objectives/{world.objective_id}", None),
    ]
    for method, url, body in refused:
        response = await api.client.request(method, url, headers=reader,
                                            json=body)
        assert response.status_code == 403, f"{method} {url}: {response.text}"
        assert_problem(response, 403)
    groups = (await api.client.get(f"{API}/groups", headers=admin)).json()["items"]
    assert [g["name"] for g in groups] == ["Sales"]
    assert (await api.client.get(pilot, headers=admin)).json()["name"] == "Spring pilot"
    objective = await api.client.get(f"{API}/objectives/{world.objective_id}", headers=admin)
    assert objective.json()["title"] == "More clicks"
    assert await _count(api, Feedback) == 0


async def test_conversions_key_reads_nothing_and_revoked_key_is_401(api: Api) -> None:
    _, admin = await api.user(Role.admin)
    _, conversions = await _create_key(api, admin, ["conversions:write"])
    response = await api.client.get(f"{API}/groups",
                                    headers={"Authorization": f"Bearer {conversions}"})
    assert_problem(response, 403)

    key_id, key = await _create_key(api, admin, ["read"])
    reader = {"Authorization": f"Bearer {key}"}
    assert (await api.client.get(f"{API}/groups", headers=reader)).status_code == 200
    assert (await api.client.delete(f"{API}/api-keys/{key_id}", headers=admin)).status_code == 204
    assert_problem(await api.client.get(f"{API}/groups", headers=reader), 401)
    made_up = {"Authorization": "Bearer chk_not-a-real-key"}
    assert_problem(await api.client.get(f"{API}/groups", headers=made_up), 401)


async def test_only_a_conversions_key_records_conversions(api: Api) -> None:
    """Every user, admin included, is refused even with a valid body: the route is for the
    company's systems, not for people (a user cannot forge conversions for an advocate)."""
    world = await build_world(api)
    body = {"type": "signup", "external_id": "crm-42", "value": "49.90", "currency": "EUR"}
    for caller in (*ROLE_CALLERS, "key:read"):
        response = await api.client.post(f"{API}/conversions", headers=world.callers[caller],
                                          json=body)
        assert response.status_code == 403, f"{caller}: {response.text}"
        assert_problem(response, 403)
    for caller in ("anonymous", "deactivated"):
        response = await api.client.post(f"{API}/conversions", headers=world.callers[caller],
                                          json=body)
        assert_problem(response, 401)
    assert await _count(api, Conversion) == 0

    created = await api.client.post(f"{API}/conversions",
                                     headers=world.callers[CONVERSIONS_KEY], json=body)
    assert created.status_code == 201, created.text
    assert created.json()["external_id"] == "crm-42"
    assert created.json()["value"] == "49.90" and created.json()["currency"] == "EUR"
    replay = await api.client.post(f"{API}/conversions",
                                   headers=world.callers[CONVERSIONS_KEY], json=body)
    assert replay.status_code == 200, replay.text
    assert replay.json()["id"] == created.json()["id"]
    assert await _count(api, Conversion) == 1


async def test_exports_are_for_managers_and_read_keys(api: Api) -> None:
    world = await build_world(api)
    for kind in ("shares", "clicks", "conversions"):
        url = f"{API}/exports/{kind}.csv"
        for caller in ("manager", "admin", "key:read"):
            response = await api.client.get(url, headers=world.callers[caller])
            assert response.status_code == 200, f"{caller} {url}: {response.text}"
            assert response.headers["content-type"].startswith("text/csv")
            header = response.text.splitlines()[0].split(",")
            assert header[0] == "id", header
        for caller in ("advocate", "marketer", CONVERSIONS_KEY):
            response = await api.client.get(url, headers=world.callers[caller])
            assert response.status_code == 403, f"{caller} {url}: {response.text}"
            assert_problem(response, 403)
        for caller in ("anonymous", "deactivated"):
            assert_problem(await api.client.get(url, headers=world.callers[caller]), 401)
    shares = await api.client.get(f"{API}/exports/shares.csv", headers=world.callers["key:read"])
    assert world.share_id in shares.text


async def test_feedback_comes_from_the_pilots_cohort_only(api: Api) -> None:
    """Any signed-in user may give feedback, but only to a pilot they are enrolled in (listed,
    or a member of one of its groups): anyone else is 403, whatever their role, admin too."""
    world = await build_world(api)
    url = f"{API}/pilots/{world.pilot_id}/feedback"
    body = {"score": 9, "comment": "Easy to share"}
    for role in ROLE_CALLERS:
        _, stranger = await api.user(Role(role))
        response = await api.client.post(url, headers=stranger, json=body)
        assert response.status_code == 403, f"{role}: {response.text}"
        assert_problem(response, 403)
    for caller in ("key:read", CONVERSIONS_KEY):
        assert_problem(await api.client.post(url, headers=world.callers[caller], json=body), 403)
    for caller in ("anonymous", "deactivated"):
        assert_problem(await api.client.post(url, headers=world.callers[caller], json=body), 401)
    assert await _count(api, Feedback) == 0

    _, member = await api.user(Role.advocate, group_ids=[world.group_id])
    for label, headers in (("a member of the pilot's group", member),
                           *((f"the listed {role}", world.callers[role])
                             for role in ROLE_CALLERS)):
        response = await api.client.post(url, headers=headers, json=body)
        assert response.status_code == 201, f"{label}: {response.text}"
    assert await _count(api, Feedback) == 5
    listed = await api.client.get(url, headers=world.callers["manager"])
    assert listed.status_code == 200 and len(listed.json()["items"]) == 5
    for caller in ("advocate", "marketer"):
        assert_problem(await api.client.get(url, headers=world.callers[caller]), 403)


async def test_unknown_export_kind_is_404(api: Api) -> None:
    """Only shares.csv, clicks.csv and conversions.csv exist: any other name is an address
    that names nothing (404, never 422), like the malformed ids tested above."""
    _, manager = await api.user(Role.manager)
    for kind in ("users", "SHARES", "share", "posts", "shares.csv", "..%2Fshares"):
        response = await api.client.get(f"{API}/exports/{kind}.csv", headers=manager)
        assert response.status_code == 404, f"{kind}: {response.status_code} {response.text}"
        assert_problem(response, 404)


async def test_bad_credentials_are_401_not_anonymous(api: Api) -> None:
    for headers in ({"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer"}, {"Cookie": f"{SESSION_COOKIE}=forged"}):
        response = await api.client.get(f"{API}/topics", headers=headers)
        assert_problem(response, 401)
    # A logged-out token is dead at once.
    _, headers = await api.user(Role.advocate)
    assert (await api.client.post(f"{API}/auth/logout", headers=headers)).status_code == 204
    assert_problem(await api.client.get(f"{API}/me", headers=headers), 401)


async def test_deactivating_a_user_kills_their_existing_token(api: Api) -> None:
    _, admin = await api.user(Role.admin)
    user, headers = await api.user(Role.marketer)
    assert (await api.client.get(f"{API}/me", headers=headers)).status_code == 200
    assert (await api.client.delete(f"{API}/users/{user.id}", headers=admin)).status_code == 204
    assert_problem(await api.client.get(f"{API}/me", headers=headers), 401)
    assert_problem(await api.client.post(f"{API}/topics", headers=headers, json={}), 401)


async def test_role_change_applies_to_the_next_request(api: Api) -> None:
    _, admin = await api.user(Role.admin)
    user, headers = await api.user(Role.marketer)
    assert (await api.client.get(f"{API}/queue", headers=headers)).status_code == 200
    changed = await api.client.patch(f"{API}/users/{user.id}", headers=admin,
                                     json={"role": "advocate"})
    assert changed.status_code == 200
    assert_problem(await api.client.get(f"{API}/queue", headers=headers), 403)


# --- cookies and CSRF -------------------------------------------------------------------


async def _cookie_login(api: Api, role: Role) -> tuple[str, str]:
    user, _ = await api.user(role)
    response = await api.client.post(f"{API}/auth/login",
                                      json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    session_cookie = response.cookies[SESSION_COOKIE]
    csrf = response.cookies[CSRF_COOKIE]
    assert session_cookie and csrf
    api.client.cookies.clear()  # every request below names its cookie explicitly
    return session_cookie, csrf


async def _topic_count(api: Api) -> int:
    async with api.db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Topic)) or 0)


async def test_cookie_auth_needs_csrf_header_on_unsafe_methods(api: Api) -> None:
    session_cookie, csrf = await _cookie_login(api, Role.marketer)
    _, other_csrf = await _cookie_login(api, Role.marketer)
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_cookie}; {CSRF_COOKIE}={csrf}"}

    me = await api.client.get(f"{API}/me", headers=cookie)
    assert me.status_code == 200, "safe methods need no CSRF header"

    for label, extra in (("no header", {}), ("wrong token", {CSRF_HEADER: "0" * 64}),
                         ("empty token", {CSRF_HEADER: ""}),
                         ("another session's token", {CSRF_HEADER: other_csrf})):
        for method, url, body in (("POST", f"{API}/topics", {"name": "Via cookie"}),
                                  ("POST", f"{API}/topics", None),
                                  ("PATCH", f"{API}/me", {"name": "Hijacked"}),
                                  ("POST", f"{API}/auth/logout", None)):
            response = await api.client.request(method, url, headers={**cookie, **extra},
                                                json=body)
            assert response.status_code == 403, f"{label} {method} {url}: {response.text}"
            assert_problem(response, 403)
    assert await _topic_count(api) == 0
    assert (await api.client.get(f"{API}/me", headers=cookie)).json()["name"] != "Hijacked"

    ok = {**cookie, CSRF_HEADER: csrf}
    created = await api.client.post(f"{API}/topics", json={"name": "Via cookie"}, headers=ok)
    assert created.status_code == 201, created.text
    topic_id = created.json()["id"]
    renamed = await api.client.patch(f"{API}/topics/{topic_id}", json={"name": "Renamed"},
                                     headers=ok)
    assert renamed.status_code == 200
    assert (await api.client.delete(f"{API}/topics/{topic_id}", headers=ok)).status_code == 204
    assert (await api.client.post(f"{API}/auth/logout", headers=ok)).status_code == 204
    assert_problem(await api.client.get(f"{API}/me", headers=cookie), 401)


async def test_cookie_auth_still_checks_the_role(api: Api) -> None:
    session_cookie, csrf = await _cookie_login(api, Role.advocate)
    headers = {"Cookie": f"{SESSION_COOKIE}={session_cookie}", CSRF_HEADER: csrf}
    assert_problem(await api.client.post(f"{API}/topics", json={"name": "x"}, headers=headers),
                   403)
    assert_problem(await api.client.get(f"{API}/users", headers=headers), 403)
    assert (await api.client.get(f"{API}/feed", headers=headers)).status_code == 200


async def test_bearer_requests_need_no_csrf_header(api: Api) -> None:
    _, headers = await api.user(Role.marketer)
    response = await api.client.post(f"{API}/topics", json={"name": "Bearer"}, headers=headers)
    assert response.status_code == 201
