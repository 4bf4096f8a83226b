"""Who may call what: an authorization matrix over every ``/api/v1`` route (CONTRACT §2, §3).

``ROUTE_ROLES`` names the least role each route needs. Roles nest as the contract says: every
role holds the advocate's rights, admin holds every right, marketer and manager are siblings.
Each route is called by an anonymous client, a deactivated user's token, each role and two API
keys, with an empty or garbage body: callers who may not use the route get 401/403 whatever the
body holds (the role is checked before the body is validated); callers who may get anything
else. The table must name exactly the app's routes, so a new route cannot ship without a rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from app.auth import groups as groups_service
from app.auth import service as auth_service
from app.auth.principal import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from app.content import publisher
from app.content import service as content_service
from app.core.clock import utcnow
from app.models import Topic
from tests.builders import PASSWORD, Api, PostStatus, Role, make_post, make_topic, make_user

API = "/api/v1"
PUBLIC, ADVOCATE, MARKETER, MANAGER, ADMIN = "public", "advocate", "marketer", "manager", "admin"

ROUTE_ROLES: dict[tuple[str, str], str] = {
    # auth and people
    ("POST", f"{API}/auth/login"): PUBLIC,
    ("POST", f"{API}/auth/logout"): ADVOCATE,
    ("GET", f"{API}/me"): ADVOCATE,
    ("PATCH", f"{API}/me"): ADVOCATE,
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
}

# GETs about the signed-in user themselves: an API key has no user, so even a `read` key is
# refused (a `read` key makes "every GET a manager may make" that is not about a person).
PER_USER_GETS = frozenset({
    ("GET", f"{API}/me"),
    ("GET", f"{API}/feed"),
    ("GET", f"{API}/posts/{{post_id}}"),
})

ROLE_CALLERS = ("advocate", "marketer", "manager", "admin")
CALLERS = ("anonymous", "deactivated", *ROLE_CALLERS, "key:read", "key:conversions")


def iter_api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, whether ``app.routes`` holds the routes themselves
    (older FastAPI) or included routers that expand into route contexts (newer FastAPI)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    if walk is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route
        return
    for context in walk(app.routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            yield context.path or original.path, original


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
    if caller == "key:read":
        return (method == "GET" and need in (ADVOCATE, MANAGER)
                and (method, path) not in PER_USER_GETS)
    if caller == "key:conversions":
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

    def url(self, path: str) -> str:
        post_id = self.suggestion_id if path.endswith(("/approve", "/reject")) else (
            self.published_id)
        return path.format(user_id=self.user_id, key_id=self.key_id, group_id=self.group_id,
                           topic_id=self.topic_id, post_id=post_id)


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
        world.user_id, world.key_id, world.group_id = target.id, key.id, group.id
        world.topic_id, world.published_id = topic.id, published.id
        world.queued_id, world.suggestion_id = queued.id, suggestion.id
    world.callers["anonymous"] = {}
    for role in ROLE_CALLERS:
        user, world.callers[role] = await api.user(Role(role))
        if role == "advocate":
            world.advocate_id = user.id
    # Created after the active admin, so it is not the last one; its token is made after the
    # deactivation (deactivating also revokes earlier tokens), so only `active` stops it.
    world.callers["deactivated"] = await api.headers(Role.admin, active=False)
    world.callers["key:read"] = {"Authorization": f"Bearer {read_key}"}
    world.callers["key:conversions"] = {"Authorization": f"Bearer {conversions_key}"}
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
                if method == "GET":
                    assert response.status_code == 200, where


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


PATH_PARAM_ROUTES = sorted(k for k in ROUTE_ROLES if "{" in k[1])
VALID_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PATCH", f"{API}/users/{{user_id}}"): {"name": "Renamed"},
    ("PATCH", f"{API}/groups/{{group_id}}"): {"description": "Renamed"},
    ("PATCH", f"{API}/topics/{{topic_id}}"): {"description": "Renamed"},
    ("PATCH", f"{API}/posts/{{post_id}}"): {"title": "Renamed"},
    ("POST", f"{API}/posts/{{post_id}}/approve"): {"category": "curated"},
    ("POST", f"{API}/posts/{{post_id}}/reject"): {"reason": "Not for us"},
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
                       post_id=value)


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

    for url in (f"{API}/groups", f"{API}/groups/{world.group_id}", f"{API}/topics",
                f"{API}/topics/{world.topic_id}"):
        response = await api.client.get(url, headers=reader)
        assert response.status_code == 200, f"GET {url}: {response.text}"

    refused = [
        ("POST", f"{API}/groups", {"name": "Marketing"}),
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
    ]
    for method, url, body in refused:
        response = await api.client.request(method, url, headers=reader,
                                            json=body)
        assert response.status_code == 403, f"{method} {url}: {response.text}"
        assert_problem(response, 403)
    groups = (await api.client.get(f"{API}/groups", headers=admin)).json()["items"]
    assert [g["name"] for g in groups] == ["Sales"]


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
