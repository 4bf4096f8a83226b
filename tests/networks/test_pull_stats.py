"""``pull_stats`` (CONTRACT §9) through both runners: pulled snapshots (source ``api``,
unknown metrics null) and what they do to a pilot's KPIs, the schedule, LinkedIn's token
refresh and reauthorisation, refusals, rate limits, and the shares left to the manual path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import Cipher
from app.core.db import Database
from app.models import JobRun, StatsSnapshot, User
from app.models.enums import Network
from app.models.networks import NetworkConnection, SharePull
from tests.builders import Api, Role
from tests.conftest import SECRET
from tests.jobs.runners import JobRunner
from tests.networks.conftest import (
    LINKEDIN_ANALYTICS,
    LINKEDIN_TOKEN,
    QUERY_FILES,
    X_API,
    age_share,
    connect,
    json_answer,
    shared,
)

TWEET = "https://x.com/ana/status/{}"
FULL, PARTIAL = "1861234567890123456", "1861234567890123457"
LI_SHARE = "https://www.linkedin.com/feed/update/urn:li:share:{}/"


def linkedin_answers(token: str, shape: str = "v2025_object") -> Any:
    """LinkedIn answering each metric for ``token``, 401 for any other token."""
    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] != f"Bearer {token}":
            return json_answer("linkedin/error_401_expired.json", 401)
        query_type = request.url.params["queryType"]
        return json_answer(f"linkedin/{QUERY_FILES[query_type]}_{shape}.json")
    return answer


async def snapshots(db: Database) -> list[StatsSnapshot]:
    async with db.transaction() as session:
        return list(await session.scalars(select(StatsSnapshot).order_by(StatsSnapshot.id)))


async def pulls(db: Database) -> dict[str, SharePull]:
    async with db.transaction() as session:
        return {p.share_id: p for p in await session.scalars(select(SharePull))}


async def results(db: Database) -> list[Any]:
    async with db.transaction() as session:
        return [r.result for r in await session.scalars(
            select(JobRun).where(JobRun.name == "pull_stats").order_by(JobRun.id))]


async def the_connection(db: Database, user: User) -> NetworkConnection:
    async with db.transaction() as session:
        found = await session.scalar(select(NetworkConnection).where(
            NetworkConnection.user_id == user.id))
    assert found is not None
    return found


async def kpis(api: Api, pilot_id: str) -> dict[str, Any]:
    manager = await api.headers(Role.manager)
    response = await api.client.get(f"/api/v1/pilots/{pilot_id}/kpis", headers=manager)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def pilot_of(api: Api, user: User) -> str:
    manager = await api.headers(Role.manager)
    today = utcnow().date()
    response = await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Stats pilot", "starts_on": str(today - timedelta(days=1)),
        "ends_on": str(today + timedelta(days=1)), "group_ids": [], "user_ids": [user.id]})
    assert response.status_code == 201, response.text
    pilot_id: str = response.json()["id"]
    return pilot_id


async def test_pulled_x_stats_are_api_snapshots_that_move_the_kpis(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    user, headers = await api.user()
    full = await shared(api, headers, Network.x, TWEET.format(FULL))
    partial = await shared(api, headers, Network.x, TWEET.format(PARTIAL))
    pilot_id = await pilot_of(api, user)
    before = await kpis(api, pilot_id)
    assert (before["impressions"], before["engagements"], before["shares_with_stats"]) == (
        0, 0, 0)
    route = respx_mock.get(X_API).mock(return_value=json_answer("x/tweets_batch.json"))

    await job_runner.run("pull_stats")

    assert route.call_count == 1
    assert sorted(route.calls[0].request.url.params["ids"].split(",")) == [FULL, PARTIAL]
    by_share = {s.share_id: s for s in await snapshots(api.db)}
    assert by_share.keys() == {full, partial}
    got = by_share[full]
    assert (got.source, got.impressions, got.likes, got.comments, got.reshares,
            got.provider_version) == ("api", 3100, 42, 3, 7, "2")
    assert got.extra is not None and got.extra["bookmark_count"] == 6
    # What X did not give is unknown: stored null, never 0.
    unknown = by_share[partial]
    assert (unknown.impressions, unknown.likes, unknown.comments, unknown.reshares) == (
        None, 9, 0, None)
    after = await kpis(api, pilot_id)
    # 3100 + nothing; (42 + 3 + 7) + (9 + 0 + nothing)
    assert (after["impressions"], after["engagements"], after["shares_with_stats"]) == (
        3100, 61, 2)
    assert after["engagement_rate"] == 61 / 3100
    assert after["by_network"]["x"]["impressions"] == 3100
    assert await results(api.db) == [{"ok": 2}]
    assert {p.status for p in (await pulls(api.db)).values()} == {"ok"}


async def test_a_newer_pulled_snapshot_replaces_a_manual_one(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    user, headers = await api.user()
    share_id = await shared(api, headers, Network.x, TWEET.format(PARTIAL))
    pilot_id = await pilot_of(api, user)
    manual = await api.client.put(f"/api/v1/shares/{share_id}/stats", headers=headers, json={
        "impressions": 500, "likes": 1, "comments": 1, "reshares": 1})
    assert manual.status_code == 200
    assert (await kpis(api, pilot_id))["impressions"] == 500
    respx_mock.get(X_API).mock(return_value=json_answer("x/tweets_batch.json"))

    await job_runner.run("pull_stats")

    report = await kpis(api, pilot_id)
    assert (report["impressions"], report["engagements"], report["shares_with_stats"]) == (
        0, 9, 1)
    assert sorted(s.source for s in await snapshots(api.db)) == ["api", "manual"]


async def set_last_pull(db: Database, share_id: str, url: str, *, ago: timedelta,
                        status: str = "ok") -> None:
    async with db.transaction() as session:
        session.add(SharePull(share_id=share_id, url=url, status=status,
                              attempted_at=utcnow() - ago))


async def test_the_schedule_hourly_to_30_days_daily_to_90(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    _, headers = await api.user()
    cases = {  # tweet id: (age in days, last pull's age, that pull's URL is the share's)
        "11": (2, timedelta(hours=2), True),  # hourly, due
        "12": (2, timedelta(minutes=30), True),  # hourly, pulled this hour
        "13": (40, timedelta(hours=3), True),  # daily, pulled today
        "14": (40, timedelta(hours=25), True),  # daily, due
        "15": (95, None, True),  # too old
        "16": (2, timedelta(minutes=10), False),  # a new URL: due now
        "17": (0, None, True),  # never pulled
    }
    ids = {}
    for tweet, (days, ago, same) in cases.items():
        share_id = await shared(api, headers, Network.x, TWEET.format(tweet))
        await age_share(api.db, share_id, days)
        if ago is not None:
            url = TWEET.format(tweet) if same else TWEET.format("999")
            await set_last_pull(api.db, share_id, url, ago=ago)
        ids[tweet] = share_id
    await shared(api, headers, Network.x, None)  # no URL: nothing to pull

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [
            {"id": i, "public_metrics": {"impression_count": 10, "like_count": 1,
                                         "reply_count": 0, "retweet_count": 0,
                                         "quote_count": 0}}
            for i in request.url.params["ids"].split(",")]})

    route = respx_mock.get(X_API).mock(side_effect=answer)
    await job_runner.run("pull_stats")
    assert sorted(route.calls[0].request.url.params["ids"].split(",")) == ["11", "14", "16",
                                                                           "17"]
    await job_runner.run("pull_stats")
    assert route.call_count == 1  # nothing is due again this hour

    # Asked for by id, a share is pulled now whatever its last pull's time.
    await job_runner.run("pull_stats", ids["12"], ids["15"])
    assert route.call_count == 2
    assert route.calls[1].request.url.params["ids"] == "12"


async def test_a_refused_token_is_refreshed_once_and_the_new_pair_stored_first(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-old-access",
                  refresh="AQR-first-refresh-token-0001",
                  refresh_expires_in=timedelta(days=300))
    share_id = await shared(api, headers, Network.linkedin, LI_SHARE.format(123))
    new_access = "AQX-second-access-token-0002"
    stored_when_retried: list[tuple[str, str | None]] = []
    answers = linkedin_answers(new_access)

    async def analytics(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == f"Bearer {new_access}" and (
                not stored_when_retried):
            row = await the_connection(api.db, user)
            cipher = Cipher(SECRET)
            stored_when_retried.append((
                cipher.decrypt(row.access_token),
                cipher.decrypt(row.refresh_token) if row.refresh_token else None))
        return answers(request)

    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=analytics)
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_refreshed.json"))

    await job_runner.run("pull_stats")

    assert token.call_count == 1
    assert {k: v[0] for k, v in parse_qs(token.calls[0].request.content.decode()).items()} == {
        "grant_type": "refresh_token", "refresh_token": "AQR-first-refresh-token-0001",
        "client_id": "chorus-client-id", "client_secret": "chorus-client-secret"}
    # The new pair was committed before the first call that used it.
    assert stored_when_retried == [(new_access, "AQR-second-refresh-token-0002")]
    assert route.call_count == 5  # the refused call, then four with the new token
    [snapshot] = await snapshots(api.db)
    assert (snapshot.share_id, snapshot.source, snapshot.impressions, snapshot.likes,
            snapshot.comments, snapshot.reshares) == (share_id, "api", 1520, 48, 7, 3)
    assert (await the_connection(api.db, user)).status == "connected"


async def test_a_refused_token_without_refresh_needs_reauth(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-revoked")
    first = await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    second = await shared(api, headers, Network.linkedin, LI_SHARE.format(2))
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=linkedin_answers("other"))
    token = respx_mock.post(LINKEDIN_TOKEN)

    await job_runner.run("pull_stats")

    assert route.call_count == 1 and token.call_count == 0
    assert (await the_connection(api.db, user)).status == "needs_reauth"
    recorded = await pulls(api.db)
    assert recorded[first].status == "needs_reauth" and second not in recorded
    assert await snapshots(api.db) == []
    assert await results(api.db) == [{"needs_reauth": 1}]
    listed = (await api.client.get("/api/v1/connections", headers=headers)).json()["items"]
    assert listed[0]["status"] == "needs_reauth"

    await age_share(api.db, first, 1)
    await job_runner.run("pull_stats")
    assert route.call_count == 1  # no usable token: nobody is asked


async def test_a_refresh_linkedin_refuses_needs_reauth(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-old", refresh="AQR-revoked")
    await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=linkedin_answers("other"))
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_error_invalid_grant.json", 400))

    await job_runner.run("pull_stats")

    assert token.call_count == 1
    connection = await the_connection(api.db, user)
    assert connection.status == "needs_reauth"
    assert Cipher(SECRET).decrypt(connection.access_token) == "AQX-old"


async def test_a_403_is_not_asked_again_until_the_member_reconnects(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-token")
    share_id = await shared(api, headers, Network.linkedin, LI_SHARE.format(5))
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(
        return_value=json_answer("linkedin/error_403_access_denied.json", 403))

    await job_runner.run("pull_stats")
    assert route.call_count == 1
    assert (await pulls(api.db))[share_id].status == "not_permitted"
    assert (await the_connection(api.db, user)).status == "connected"

    async with api.db.transaction() as session:  # two days later, say
        pull = await session.get(SharePull, share_id)
        connection = await session.scalar(select(NetworkConnection))
        assert pull is not None and connection is not None
        pull.attempted_at = utcnow() - timedelta(days=2)
        connection.connected_at = utcnow() - timedelta(days=3)
    await job_runner.run("pull_stats")
    assert route.call_count == 1

    await connect(api.db, settings, user, access="AQX-approved")
    route.mock(side_effect=linkedin_answers("AQX-approved", "v2026_string"))
    await job_runner.run("pull_stats")
    [snapshot] = await snapshots(api.db)
    assert snapshot.impressions == 2210


async def test_x_429_is_pulled_again_once_its_limit_resets(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    _, headers = await api.user()
    share_id = await shared(api, headers, Network.x, TWEET.format(FULL))
    reset = int(utcnow().timestamp()) + 1
    route = respx_mock.get(X_API).mock(side_effect=[
        json_answer("x/problem_429.json", 429, headers={"x-rate-limit-reset": str(reset)}),
        json_answer("x/tweets_batch.json")])

    await job_runner.run("pull_stats")  # and the follow-up it schedules

    assert route.call_count == 2
    [snapshot] = await snapshots(api.db)
    assert (snapshot.share_id, snapshot.impressions) == (share_id, 3100)
    first, second = await results(api.db)
    assert first["rate_limited"] == 1 and 1 <= first["follow_up_in_s"] <= 4
    assert second == {"ok": 1}


async def test_linkedin_429_pauses_until_midnight_and_asks_nobody_else(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    one, one_headers = await api.user()
    two, two_headers = await api.user()
    for user in (one, two):
        await connect(api.db, settings, user, access="AQX-token")
    await shared(api, one_headers, Network.linkedin, LI_SHARE.format(1))
    await shared(api, two_headers, Network.linkedin, LI_SHARE.format(2))
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(
        return_value=json_answer("linkedin/error_429_throttled.json", 429))

    before = utcnow()
    await job_runner.run("pull_stats")

    assert route.call_count == 1
    midnight = datetime.combine(before.date() + timedelta(days=1), datetime.min.time(), UTC)
    [pull] = (await pulls(api.db)).values()
    assert (pull.status, pull.retry_at) == ("rate_limited", midnight)
    paused = [c.paused_until for c in [await the_connection(api.db, u) for u in (one, two)]]
    assert sorted(paused, key=lambda p: p is None) == [midnight, None]
    await job_runner.run("pull_stats")
    assert route.call_count == 2  # only the member who was not paused


async def test_facebook_and_activity_links_stay_manual_without_a_call(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-token")
    facebook = await shared(api, headers, Network.facebook,
                            "https://www.facebook.com/ana/posts/123456")
    activity = await shared(api, headers, Network.linkedin,
                            "https://www.linkedin.com/feed/update/urn:li:activity:77/")
    whatsapp = await shared(api, headers, Network.whatsapp, "https://wa.me/123")

    await job_runner.run("pull_stats")
    await job_runner.run("pull_stats")

    assert not respx_mock.calls
    recorded = await pulls(api.db)
    assert recorded[facebook].status == "not_supported"
    assert recorded[activity].status == "unresolvable"
    detail = recorded[activity].detail
    assert detail is not None and "embed" in detail
    assert whatsapp not in recorded
    assert await results(api.db) == [{"not_supported": 1, "unresolvable": 1}, {}]


async def test_nothing_is_pulled_from_a_network_that_is_not_set_up(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-token")
    await shared(api, headers, Network.x, TWEET.format(FULL))
    await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    job_runner.use(settings.model_copy(update={"x_bearer_token": None,
                                               "linkedin_client_id": None}))

    await job_runner.run("pull_stats")

    assert not respx_mock.calls
    assert await pulls(api.db) == {}


async def test_a_deactivated_members_linkedin_posts_are_left_alone(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-token")
    await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    async with api.db.transaction() as session:
        member = await session.get(User, user.id)
        assert member is not None
        member.deactivated_at = utcnow()
    await job_runner.run("pull_stats")
    assert not respx_mock.calls


async def test_tokens_stored_before_a_key_rotation_still_work(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-before-rotation")
    await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(
        side_effect=linkedin_answers("AQX-before-rotation"))
    job_runner.use(settings.model_copy(update={
        "secret_key": SecretStr("a-brand-new-secret-key-0123456789abcdef"),
        "secret_key_previous": SecretStr(f"an-older-one-0123456789abcdefghij,{SECRET}")}))

    await job_runner.run("pull_stats")

    assert route.call_count == 4
    assert len(await snapshots(api.db)) == 1


async def test_a_token_no_configured_key_opens_needs_reauth(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        settings: Settings) -> None:
    """The secret key replaced without listing the old one: nobody is asked with a token
    that cannot be read, and the member is asked to connect again."""
    user, headers = await api.user()
    await connect(api.db, settings, user, access="AQX-unreadable-now")
    await shared(api, headers, Network.linkedin, LI_SHARE.format(1))
    job_runner.use(settings.model_copy(update={
        "secret_key": SecretStr("a-brand-new-secret-key-0123456789abcdef")}))

    await job_runner.run("pull_stats")

    assert not respx_mock.calls
    assert (await the_connection(api.db, user)).status == "needs_reauth"
    assert await results(api.db) == [{"needs_reauth": 1}]


async def test_one_post_linked_from_two_shares_is_asked_once(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter) -> None:
    _, one = await api.user()
    _, two = await api.user()
    first = await shared(api, one, Network.x, TWEET.format(FULL))
    second = await shared(api, two, Network.x, f"https://twitter.com/ana/status/{FULL}?s=20")
    route = respx_mock.get(X_API).mock(return_value=json_answer("x/tweets_batch.json"))

    await job_runner.run("pull_stats")

    assert route.calls[0].request.url.params["ids"] == FULL
    assert sorted(s.share_id for s in await snapshots(api.db)) == sorted([first, second])
