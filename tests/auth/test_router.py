from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select

from app.auth import passwords
from app.core.clock import utcnow
from app.main import create_app
from app.models import ApiKey, AuthToken
from tests.builders import PASSWORD, Api, Role, bearer, make_topic, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD,
                 ) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_login_returns_token_user_and_session_cookie(api: Api) -> None:
    user, _ = await api.user(Role.marketer, email="ana@corp.test")
    response = await _login(api.client, "ANA@corp.test")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == user.id and body["user"]["role"] == "marketer"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires - utcnow() >= timedelta(hours=8)
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("chorus_session="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "secure" not in lowered and "domain=" not in lowered
    me = await api.client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == "ana@corp.test"


async def test_session_cookie_is_secure_over_https(settings: object) -> None:
    https_app = create_app(settings.model_copy(update={"base_url": "https://chorus.corp.test"}),  # type: ignore[attr-defined]
                           run_jobs=False)
    transport = httpx.ASGITransport(app=https_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        api = Api(client, https_app.state.db)
        await api.user(Role.advocate, email="sec@corp.test")
        response = await _login(client, "sec@corp.test")
        cookie = next(h for h in response.headers.get_list("set-cookie")
                      if h.startswith("chorus_session="))
        assert "secure" in cookie.lower()
    await https_app.state.db.dispose()


async def test_wrong_password_is_401_problem(api: Api) -> None:
    await api.user(email="bo@corp.test")
    response = await _login(api.client, "bo@corp.test", "wrong password")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> PasswordHash:
    """Argon2 at its lowest cost, for tests that sign in dozens of times: the limits do not
    depend on the cost, and at full cost each attempt takes most of a second here."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    decoy = cheap.hash("decoy password for unknown accounts")
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
    monkeypatch.setattr(passwords, "_decoy_hash", lambda: decoy)
    return cheap


async def _account(api: Api, cheap: PasswordHash, email: str) -> None:
    """A user whose password (builders.PASSWORD) is stored at the cheap cost."""
    async with api.db.transaction() as session:
        user = await make_user(session, email=email)
        user.password_hash = cheap.hash(PASSWORD)


def _elsewhere(app: FastAPI) -> httpx.AsyncClient:
    """A client at another address than the ``client`` fixture's 203.0.113.7."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _assert_limited(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert response.json()["detail"] == ("Too many failed sign-ins from this address; "
                                         "try again later.")
    assert response.headers["retry-after"] == str(retry_after)


async def test_ten_failures_for_one_email_limit_it_from_that_client_only(
        app: FastAPI, api: Api, cheap_hashes: PasswordHash) -> None:
    """CONTRACT §2 as amended: 10 failures for one email from one client address, then
    that client's attempts for that email are 429, even with the right password."""
    await _account(api, cheap_hashes, "cy@corp.test")
    await _account(api, cheap_hashes, "dee@corp.test")
    with time_machine.travel(T0, tick=False):
        for n in range(10):  # emails compare case-insensitively: one count
            email = "CY@corp.test" if n % 2 else "cy@corp.test"
            assert (await _login(api.client, email, "nope nope")).status_code == 401, n
        _assert_limited(await _login(api.client, "cy@corp.test"), 900)
        _assert_limited(await _login(api.client, "cy@corp.test", "nope nope"), 900)
        assert (await _login(api.client, "dee@corp.test")).status_code == 200
        async with _elsewhere(app) as elsewhere:
            assert (await _login(elsewhere, "cy@corp.test", "nope nope")).status_code == 401
            assert (await _login(elsewhere, "cy@corp.test")).status_code == 200
    # The limiter never holds the address itself, only its keyed hash.
    stored = str(app.state.login_throttle.limiter.storage.events)
    assert "cy@corp.test" in stored and "203.0.113.7" not in stored


async def test_fifty_failures_from_one_client_refuse_even_a_correct_login_there_only(
        app: FastAPI, api: Api, cheap_hashes: PasswordHash) -> None:
    await _account(api, cheap_hashes, "eve@corp.test")
    with time_machine.travel(T0, tick=False):
        for n in range(50):
            response = await _login(api.client, f"nobody{n % 25}@corp.test", "x" * 8)
            assert response.status_code == 401, n
        _assert_limited(await _login(api.client, "eve@corp.test"), 900)
        _assert_limited(await _login(api.client, "other@corp.test", "x" * 8), 900)
        async with _elsewhere(app) as elsewhere:
            assert (await _login(elsewhere, "eve@corp.test")).status_code == 200


async def test_a_success_does_not_reset_the_failure_count(api: Api,
                                                        cheap_hashes: PasswordHash) -> None:
    await _account(api, cheap_hashes, "fin@corp.test")
    with time_machine.travel(T0, tick=False):
        for _ in range(9):
            assert (await _login(api.client, "fin@corp.test", "nope nope")).status_code == 401
        assert (await _login(api.client, "fin@corp.test")).status_code == 200
        assert (await _login(api.client, "fin@corp.test", "nope nope")).status_code == 401
        _assert_limited(await _login(api.client, "fin@corp.test"), 900)


async def test_the_login_limit_lifts_fifteen_minutes_after_the_failures(
        api: Api, cheap_hashes: PasswordHash) -> None:
    await _account(api, cheap_hashes, "gil@corp.test")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(10):
            assert (await _login(api.client, "gil@corp.test", "nope nope")).status_code == 401
        clock.move_to(T0 + timedelta(minutes=14))
        _assert_limited(await _login(api.client, "gil@corp.test"), 60)
        clock.move_to(T0 + timedelta(minutes=15, seconds=1))
        assert (await _login(api.client, "gil@corp.test")).status_code == 200


async def test_successful_logins_are_never_limited(api: Api,
                                                   cheap_hashes: PasswordHash) -> None:
    await _account(api, cheap_hashes, "dee@corp.test")
    for _ in range(60):  # more than either limit: successes count against neither
        assert (await _login(api.client, "dee@corp.test")).status_code == 200


async def test_deactivated_user_cannot_sign_in_and_loses_sessions(api: Api) -> None:
    user, headers = await api.user(email="fay@corp.test")
    admin = await api.headers(Role.admin)
    assert (await api.client.delete(f"/api/v1/users/{user.id}", headers=admin)).status_code == 204
    assert (await api.client.get("/api/v1/me", headers=headers)).status_code == 401
    assert (await _login(api.client, "fay@corp.test")).status_code == 401


async def test_logout_ends_the_token_and_clears_the_cookie(api: Api) -> None:
    _, headers = await api.user()
    response = await api.client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == 204
    assert any(h.startswith("chorus_session=") for h in response.headers.get_list("set-cookie"))
    assert (await api.client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_tokens_survive_a_restart(api: Api, settings: object) -> None:
    _, headers = await api.user()
    restarted: FastAPI = create_app(settings, run_jobs=False)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=restarted)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    await restarted.state.db.dispose()


async def test_tokens_are_stored_hashed(api: Api) -> None:
    await api.user(email="gus@corp.test")
    token = (await _login(api.client, "gus@corp.test")).json()["access_token"]
    async with api.db.transaction() as session:
        hashes = list(await session.scalars(select(AuthToken.token_hash)))
    assert token not in hashes and len(hashes) == 2


async def test_cookie_session_needs_csrf_header_for_unsafe_methods(api: Api) -> None:
    await api.user(Role.marketer, email="hal@corp.test")
    login = await _login(api.client, "hal@corp.test")
    csrf = login.cookies["chorus_csrf"]
    assert (await api.client.get("/api/v1/me")).status_code == 200
    forged = await api.client.post("/api/v1/topics", json={"name": "No CSRF"})
    assert forged.status_code == 403
    wrong = await api.client.post("/api/v1/topics", json={"name": "Bad"},
                                  headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = await api.client.post("/api/v1/topics", json={"name": "With CSRF"},
                               headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


async def test_me_patch_updates_profile_and_merges_follower_counts(api: Api) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session)
    _, headers = await api.user()
    first = await api.client.patch("/api/v1/me", headers=headers, json={
        "name": "New Name", "topic_ids": [topic.id], "follower_counts": {"linkedin": 500},
        "leaderboard_opt_out": True,
    })
    assert first.status_code == 200
    second = await api.client.patch("/api/v1/me", headers=headers,
                                    json={"follower_counts": {"x": 20}})
    body = second.json()
    assert body["name"] == "New Name" and body["topic_ids"] == [topic.id]
    assert body["follower_counts"] == {"linkedin": 500, "x": 20}
    assert body["leaderboard_opt_out"] is True


async def test_me_patch_rejects_unknown_topic_and_unknown_network(api: Api) -> None:
    _, headers = await api.user()
    bad_topic = await api.client.patch("/api/v1/me", headers=headers, json={"topic_ids": ["zzz"]})
    assert bad_topic.status_code == 422
    bad_network = await api.client.patch("/api/v1/me", headers=headers,
                                         json={"follower_counts": {"myspace": 3}})
    assert bad_network.status_code == 422


async def test_password_change_keeps_this_session_and_ends_others(api: Api) -> None:
    await api.user(email="ida@corp.test")
    one = bearer((await _login(api.client, "ida@corp.test")).json()["access_token"])
    two = bearer((await _login(api.client, "ida@corp.test")).json()["access_token"])
    short = await api.client.patch("/api/v1/me", headers=one, json={"password": "short"})
    assert short.status_code == 422
    changed = await api.client.patch("/api/v1/me", headers=one,
                                     json={"password": "a brand new password"})
    assert changed.status_code == 200
    assert (await api.client.get("/api/v1/me", headers=one)).status_code == 200
    assert (await api.client.get("/api/v1/me", headers=two)).status_code == 401
    assert (await _login(api.client, "ida@corp.test", "a brand new password")).status_code == 200


async def test_admin_creates_lists_updates_and_deactivates_users(api: Api) -> None:
    admin = await api.headers(Role.admin)
    group = (await api.client.post("/api/v1/groups", headers=admin, json={"name": "Sales"})).json()
    created = await api.client.post("/api/v1/users", headers=admin, json={
        "email": "Jo@Corp.test", "name": "Jo", "role": "manager", "password": "long enough!",
        "group_ids": [group["id"]],
    })
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "jo@corp.test" and user["group_ids"] == [group["id"]]
    duplicate = await api.client.post("/api/v1/users", headers=admin, json={
        "email": "JO@corp.test", "name": "Jo again", "role": "advocate"})
    assert duplicate.status_code == 409
    patched = await api.client.patch(f"/api/v1/users/{user['id']}", headers=admin,
                                     json={"group_ids": [], "role": "marketer"})
    assert patched.json()["group_ids"] == [] and patched.json()["role"] == "marketer"
    deleted = await api.client.delete(f"/api/v1/users/{user['id']}", headers=admin)
    assert deleted.status_code == 204
    kept = await api.client.get(f"/api/v1/users/{user['id']}", headers=admin)
    assert kept.status_code == 200 and kept.json()["active"] is False
    listed = await api.client.get("/api/v1/users", headers=admin, params={"active": "false"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_the_last_admin_cannot_be_removed(api: Api) -> None:
    admin_user, admin = await api.user(Role.admin)
    demote = await api.client.patch(f"/api/v1/users/{admin_user.id}", headers=admin,
                                    json={"role": "advocate"})
    assert demote.status_code == 409
    assert (await api.client.delete(f"/api/v1/users/{admin_user.id}",
                                    headers=admin)).status_code == 409


async def test_csv_import_creates_and_updates(api: Api) -> None:
    existing, admin = await api.user(Role.admin, email="boss@corp.test")
    await api.user(Role.advocate, email="kim@corp.test", name="Kim")
    csv_text = ("email,name,role,group\n"
                "kim@corp.test,Kim Updated,marketer,Sales\n"
                "lou@corp.test,Lou,advocate,Sales;Engineering\n")
    response = await api.client.post("/api/v1/users/import", headers={
        **admin, "content-type": "text/csv"}, content=csv_text)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 1)
    by_email = {u["email"]: u for u in body["users"]}
    assert by_email["kim@corp.test"]["role"] == "marketer"
    assert by_email["kim@corp.test"]["name"] == "Kim Updated"
    assert len(by_email["lou@corp.test"]["group_ids"]) == 2


async def test_csv_import_is_all_or_nothing_with_row_errors(api: Api) -> None:
    admin = await api.headers(Role.admin)
    csv_text = ("email,name,role,group\n"
                "good@corp.test,Good,advocate,\n"
                "not-an-email,Bad,advocate,\n"
                "other@corp.test,Other,wizard,\n")
    response = await api.client.post("/api/v1/users/import", headers={
        **admin, "content-type": "text/csv"}, content=csv_text)
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["row", 3, "email"] in locs and ["row", 4, "role"] in locs
    users = await api.client.get("/api/v1/users", headers=admin)
    assert all(u["email"] != "good@corp.test" for u in users.json()["items"])


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(api: Api) -> None:
    admin = await api.headers(Role.admin)
    created = await api.client.post("/api/v1/api-keys", headers=admin,
                                    json={"name": "BI", "scopes": ["read"]})
    assert created.status_code == 201
    key = created.json()["key"]
    listed = await api.client.get("/api/v1/api-keys", headers=admin)
    assert "key" not in listed.json()["items"][0]
    async with api.db.transaction() as session:
        stored = list(await session.scalars(select(ApiKey.key_hash)))
    assert key not in stored
    assert (await api.client.get("/api/v1/groups", headers=bearer(key))).status_code == 200
    assert (await api.client.post("/api/v1/groups", headers=bearer(key),
                                  json={"name": "X"})).status_code == 403
    revoked = await api.client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin)
    assert revoked.status_code == 204
    assert (await api.client.get("/api/v1/groups", headers=bearer(key))).status_code == 401


async def test_unknown_api_key_scope_is_422(api: Api) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/api-keys", headers=admin,
                                     json={"name": "x", "scopes": ["write:everything"]})
    assert response.status_code == 422


async def test_groups_have_unique_names_and_optional_description(api: Api) -> None:
    manager = await api.headers(Role.manager)
    first = await api.client.post("/api/v1/groups", headers=manager, json={"name": "Sales"})
    assert first.status_code == 201 and first.json()["description"] is None
    assert (await api.client.post("/api/v1/groups", headers=manager,
                                  json={"name": "Sales"})).status_code == 409
    other = (await api.client.post("/api/v1/groups", headers=manager,
                                   json={"name": "Eng", "description": "Builders"})).json()
    clash = await api.client.patch(f"/api/v1/groups/{other['id']}", headers=manager,
                                   json={"name": "Sales"})
    assert clash.status_code == 409
    deleted = await api.client.delete(f"/api/v1/groups/{other['id']}", headers=manager)
    assert deleted.status_code == 204
    assert (await api.client.get(f"/api/v1/groups/{other['id']}",
                                 headers=manager)).status_code == 404
