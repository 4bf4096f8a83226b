"""Delivering webhooks (CONTRACT §3, §9 ``deliver_webhook``) to a real receiver on 127.0.0.1,
through both job runners: Standard Webhooks signatures, at least once with retries, the
attempt log, ``failing`` after 24 h and the replay of a re-enable, and the outbox (an event
exists exactly when its change committed, and is delivered even if no job was sent)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update
from standardwebhooks import Webhook

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import cipher_for
from app.core.db import Database
from app.jobs.queue import NoJobs
from app.models import Click
from app.models.webhooks import WebhookDelivery, WebhookEvent
from app.webhooks import delivery, outbox
from tests.builders import Api, Role, bearer
from tests.conftest import SECRET
from tests.jobs.runners import JobRunner
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import ALL_EVENTS, attempts, emit, event_count, register

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The receiver listens on loopback: private addresses allowed, as on premises."""
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                    allow_private_webhooks=True)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "backoff", lambda _attempts: 0.05)


@pytest.fixture
def hourly_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries left to the sweep (past the runner's deferral), an hour apart."""
    monkeypatch.setattr(delivery, "backoff", lambda _attempts: 3600.0)


async def test_deliveries_are_signed_as_standard_webhooks_verify_them(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, _ = await register(api, receiver.url)
    event_id = await emit(job_runner.db, "share.created", {"id": "s1", "network": "x"})
    await job_runner.settle()

    [request] = receiver.received
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == event_id
    assert abs(int(request.headers["webhook-timestamp"]) - utcnow().timestamp()) < 30
    assert request.headers["webhook-signature"].startswith("v1,")
    payload = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "share.created"
    assert payload["data"] == {"id": "s1", "network": "x"}
    assert datetime.fromisoformat(payload["timestamp"]).utcoffset() == timedelta(0)
    assert payload["timestamp"].endswith("Z")
    tampered = request.body.replace(b'"s1"', b'"s2"')
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(hook["secret"]).verify(tampered, request.headers)
    other, _ = await register(api, receiver.url)
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(other["secret"]).verify(request.body, request.headers)


@pytest.mark.usefixtures("quick_retries")
async def test_a_receiver_failing_twice_then_succeeding_gets_exactly_one_delivery(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, admin = await register(api, receiver.url)
    receiver.answer(500, 503)
    event_id = await emit(job_runner.db)
    await job_runner.settle()

    assert [r.headers["webhook-id"] for r in receiver.received] == [event_id] * 3
    log = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                headers=admin)).json()
    newest_first = log["items"]
    assert [a["status_code"] for a in newest_first] == [200, 503, 500]
    assert [a["attempt"] for a in newest_first] == [3, 2, 1]
    assert [a["ok"] for a in newest_first] == [True, False, False]
    assert {a["event_id"] for a in newest_first} == {event_id}
    assert {a["event_type"] for a in newest_first} == {"share.created"}
    assert newest_first[0]["next_attempt_at"] is None
    assert all(a["next_attempt_at"] is not None for a in newest_first[1:])
    assert newest_first[0]["response_excerpt"] == '{"received":true}'
    assert newest_first[1]["response_excerpt"].startswith("upstream unavailable")
    assert len(newest_first[1]["response_excerpt"]) == 500
    assert all(a["error"] is None and a["duration_ms"] >= 0 for a in newest_first)

    # Delivered: running the jobs again sends nothing.
    await job_runner.run("deliver_webhook", "0")
    await job_runner.run("deliver_webhooks")
    assert len(receiver.received) == 3


async def test_the_delivery_log_is_a_paged_list(api: Api, job_runner: JobRunner,
                                                receiver: Receiver) -> None:
    hook, admin = await register(api, receiver.url)
    for n in range(3):
        await emit(job_runner.db, data={"n": n})
    await job_runner.settle()
    path = f"/api/v1/webhooks/{hook['id']}/deliveries"
    first = (await api.client.get(path, params={"limit": 2}, headers=admin)).json()
    rest = (await api.client.get(path, params={"limit": 2, "cursor": first["next_cursor"]},
                                 headers=admin)).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    times = [a["attempted_at"] for a in first["items"] + rest["items"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.usefixtures("hourly_retries")
async def test_an_unanswered_attempt_is_logged_with_its_error(
        api: Api, job_runner: JobRunner) -> None:
    hook, admin = await register(api, "http://127.0.0.1:9/hooks")  # nobody listens
    await emit(job_runner.db)
    await job_runner.settle()
    [attempt] = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                      headers=admin)).json()["items"]
    assert attempt["ok"] is False and attempt["status_code"] is None
    assert attempt["error"] and attempt["next_attempt_at"] is not None


@pytest.mark.usefixtures("hourly_retries")
async def test_failing_for_24_hours_marks_the_endpoint_failing_until_a_re_enable_replays(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, _ = await register(api, receiver.url)
    path = f"/api/v1/webhooks/{hook['id']}"
    receiver.answer(*[503] * 10)
    missed = await emit(job_runner.db, data={"n": 1})
    await job_runner.settle()
    assert len(receiver.received) == 1

    with time_machine.travel(utcnow() + timedelta(hours=23)):
        await job_runner.run("deliver_webhooks")  # the retry an hour later fails too
        assert len(receiver.received) == 2
        admin = await api.headers(Role.admin)  # sessions last hours, not days
        assert (await api.client.get(path, headers=admin)).json()["status"] == "active"
    with time_machine.travel(utcnow() + timedelta(hours=24, minutes=1)):
        admin = await api.headers(Role.admin)
        await job_runner.run("deliver_webhooks")  # the last attempt, at the deadline
        assert len(receiver.received) == 3
        endpoint = (await api.client.get(path, headers=admin)).json()
        assert (endpoint["status"], endpoint["active"]) == ("failing", False)

        # Failing: events are still written, but nothing is sent.
        while_failing = await emit(job_runner.db, data={"n": 2})
        await job_runner.settle()
        await job_runner.run("deliver_webhooks")
        assert len(receiver.received) == 3

        receiver.answer()
        enabled = await api.client.patch(path, headers=admin, json={"active": True})
        assert (enabled.json()["status"], enabled.json()["active"]) == ("active", True)
        await job_runner.settle()
        replayed = [r.headers["webhook-id"] for r in receiver.received[3:]]
        assert sorted(replayed) == sorted([missed, while_failing])
        await job_runner.run("deliver_webhooks")
        assert len(receiver.received) == 5


@pytest.mark.usefixtures("hourly_retries")
async def test_an_endpoint_that_takes_other_deliveries_is_not_marked_failing(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, _ = await register(api, receiver.url)
    receiver.answer(422)
    await emit(job_runner.db, data={"refused": True})
    await emit(job_runner.db, data={"refused": False})
    await job_runner.settle()
    receiver.answer(*[422] * 5)
    with time_machine.travel(utcnow() + timedelta(hours=25)):
        await job_runner.run("deliver_webhooks")
        admin = await api.headers(Role.admin)
        endpoint = (await api.client.get(f"/api/v1/webhooks/{hook['id']}",
                                         headers=admin)).json()
    assert endpoint["status"] == "active"
    first, second, last = sorted(await attempts(job_runner.db), key=lambda a: a.attempted_at)
    refused = first if not first.ok else second
    assert sorted([first.ok, second.ok]) == [False, True]
    assert (last.ok, last.event_id, last.attempt) == (False, refused.event_id, 2)


async def test_an_event_rolled_back_with_its_change_is_neither_written_nor_sent(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    await register(api, receiver.url)

    async def failed_change() -> None:
        async with job_runner.db.transaction() as session:
            await outbox.emit(session, "share.created", {"id": "s1"})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failed_change()
    await job_runner.settle()
    await job_runner.run("deliver_webhooks")
    assert await event_count(job_runner.db) == 0
    assert receiver.received == []


async def test_an_event_whose_job_was_never_sent_is_delivered_by_the_sweep(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    """The process died between the commit and the job: nothing was enqueued."""
    hook, _ = await register(api, receiver.url)
    job_runner.db.jobs = lost = NoJobs()
    event_id = await emit(job_runner.db)
    assert [name for name, _ in lost.sent] == ["deliver_webhook"]
    assert receiver.received == []

    job_runner.install()  # the restarted process
    await job_runner.run("deliver_webhooks")
    [request] = receiver.received
    assert request.headers["webhook-id"] == event_id
    Webhook(hook["secret"]).verify(request.body, request.headers)


async def test_a_delivery_claimed_by_a_worker_that_died_is_sent_after_its_lease(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    await register(api, receiver.url)
    job_runner.db.jobs = NoJobs()
    event_id = await emit(job_runner.db)
    async with job_runner.db.transaction() as session:
        await delivery.fan_out(session)
    async with job_runner.db.transaction() as session:
        assert len(await delivery.claim(session, now=utcnow())) == 1
    # ... and the worker was killed before it sent anything.
    job_runner.install()
    await job_runner.run("deliver_webhooks")
    assert receiver.received == []  # still leased
    with time_machine.travel(utcnow() + delivery.LEASE + timedelta(seconds=1)):
        await job_runner.run("deliver_webhooks")
    assert [r.headers["webhook-id"] for r in receiver.received] == [event_id]


async def test_events_are_fanned_out_only_to_endpoints_subscribed_and_existing(
        api: Api, job_runner: JobRunner) -> None:
    async with Receiver() as shares, Receiver() as posts:
        await register(api, shares.url, ["share.created"])
        await emit(job_runner.db, "share.created", {"n": 1})
        await register(api, posts.url, ["post.published", "share.created"])
        await emit(job_runner.db, "post.published", {"n": 2})
        async with job_runner.db.transaction() as session:
            assert await outbox.emit(session, "click.created", {"n": 3}) == []  # nobody's
        await job_runner.settle()
        assert [json.loads(r.body)["data"] for r in shares.received] == [{"n": 1}]
        assert [json.loads(r.body)["data"] for r in posts.received] == [{"n": 2}]
    assert await event_count(job_runner.db) == 2


async def test_nothing_is_written_for_events_nobody_subscribes_to(
        api: Api, db: Database, receiver: Receiver) -> None:
    async with db.transaction() as session:
        assert await outbox.emit(session, "share.created", {"id": "s"}) == []
    hook, admin = await register(api, receiver.url, ["post.published"])
    async with db.transaction() as session:
        assert await outbox.emit(session, "share.created", {"id": "s"}) == []
        assert len(await outbox.emit(session, "post.published", {"id": "p"}, {"id": "q"})) == 2
    # A paused endpoint's events are still kept, for its replay.
    await api.client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                           json={"active": False})
    async with db.transaction() as session:
        assert len(await outbox.emit(session, "post.published", {"id": "r"})) == 1
    await api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
    async with db.transaction() as session:
        assert await outbox.emit(session, "post.published", {"id": "s"}) == []
    assert await event_count(db) == 3


async def test_a_paused_endpoint_gets_what_it_missed_when_re_enabled(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, admin = await register(api, receiver.url)
    path = f"/api/v1/webhooks/{hook['id']}"
    await emit(job_runner.db, data={"n": 1})
    await job_runner.settle()
    await api.client.patch(path, headers=admin, json={"active": False})
    await emit(job_runner.db, data={"n": 2})
    await emit(job_runner.db, data={"n": 3})
    await job_runner.settle()
    assert len(receiver.received) == 1
    await api.client.patch(path, headers=admin, json={"active": True})
    await job_runner.settle()
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.received) == [1, 2, 3]


async def test_every_event_type_is_emitted_by_the_api_call_that_causes_it(
        api: Api, job_runner: JobRunner, receiver: Receiver) -> None:
    hook, admin = await register(api, receiver.url, ALL_EVENTS)
    marketer = await api.headers(Role.marketer)
    advocate, advocate_headers = await api.user(Role.advocate)
    post = (await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": "https://example.com/a", "title": "A", "category": "curated",
        "topic_ids": [], "captions": {"default": "Read this"}})).json()
    published = await api.client.post("/api/v1/publisher/run", headers=marketer)
    assert published.json()["published"] == [post["id"]]
    share = (await api.client.post(f"/api/v1/posts/{post['id']}/shares",
                                   headers=advocate_headers, json={"network": "x"})).json()
    assert (await api.client.get(f"/s/{share['code']}",
                                 headers={"user-agent": CHROME})).status_code == 302
    async with api.db.transaction() as session:
        click_id = await session.scalar(select(Click.click_id))
    key = (await api.client.post("/api/v1/api-keys", headers=admin, json={
        "name": "crm", "scopes": ["conversions:write"]})).json()["key"]
    conversion = await api.client.post("/api/v1/conversions", headers=bearer(key), json={
        "click_id": click_id, "type": "demo", "value": "10", "external_id": "crm-1"})
    assert conversion.status_code == 201
    suggestion = (await api.client.post("/api/v1/suggestions", headers=advocate_headers, json={
        "url": "https://example.com/b", "note": "good", "topic_ids": []})).json()
    approved = await api.client.post(f"/api/v1/posts/{suggestion['id']}/approve",
                                     headers=marketer, json={"category": "owned"})
    assert approved.status_code == 200
    await job_runner.settle()
    # Clicks written by the click writer's own thread (SQLite) wait for the sweep.
    await job_runner.run("deliver_webhooks")

    secret = Webhook(hook["secret"])
    events = [secret.verify(r.body, r.headers) for r in receiver.received]
    by_type: dict[str, list[dict[str, object]]] = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event["data"])
    assert set(by_type) == set(ALL_EVENTS)
    assert by_type["post.published"][0]["id"] == post["id"]
    assert by_type["share.created"] == [{
        "id": share["id"], "post_id": post["id"], "user_id": advocate.id, "network": "x",
        "code": share["code"], "caption": share["caption"],
        "created_at": by_type["share.created"][0]["created_at"]}]
    [click] = by_type["click.created"]
    assert (click["click_id"], click["share_id"], click["self"]) == (click_id, share["id"],
                                                                     False)
    [converted] = by_type["conversion.created"]
    assert (converted["id"], converted["attributed"], converted["value"]) == (
        conversion.json()["id"], True, "10")
    assert by_type["suggestion.created"][0]["id"] == suggestion["id"]
    assert by_type["suggestion.reviewed"][0]["decision"] == "approved"
    points = sorted((p["kind"], p["points"], p["user_id"]) for p in by_type["points.awarded"])
    assert points == sorted([("share", 10, advocate.id), ("click", 2, advocate.id),
                             ("conversion", 20, advocate.id),
                             ("suggestion", 15, advocate.id)])
    assert len(events) == len({r.headers["webhook-id"] for r in receiver.received})


async def test_a_rejected_suggestion_is_reviewed_too(api: Api, job_runner: JobRunner,
                                                     receiver: Receiver) -> None:
    await register(api, receiver.url, ["suggestion.reviewed", "points.awarded"])
    advocate = await api.headers(Role.advocate)
    suggestion = (await api.client.post("/api/v1/suggestions", headers=advocate, json={
        "url": "https://example.com/c", "topic_ids": []})).json()
    await api.client.post(f"/api/v1/posts/{suggestion['id']}/reject",
                          headers=await api.headers(Role.marketer), json={"reason": "off"})
    await job_runner.settle()
    [request] = receiver.received
    data = json.loads(request.body)["data"]
    assert (data["id"], data["decision"], data["review_note"]) == (
        suggestion["id"], "rejected", "off")


async def test_deliveries_are_unique_per_event_and_endpoint(
        api: Api, db: Database, receiver: Receiver) -> None:
    await register(api, receiver.url)
    await emit(db)
    for _ in range(2):
        async with db.transaction() as session:
            await session.execute(update(WebhookEvent).values(fanned_out=False))
            await delivery.fan_out(session)
    async with db.transaction() as session:
        assert len(list(await session.scalars(select(WebhookDelivery.id)))) == 1


async def test_an_endpoint_deleted_during_an_attempt_leaves_no_log_behind(
        api: Api, db: Database, settings: Settings, receiver: Receiver) -> None:
    hook, admin = await register(api, receiver.url)
    await emit(db)  # this app runs no jobs: the steps below are the job's
    async with db.transaction() as session:
        await delivery.fan_out(session)
    async with db.transaction() as session:
        taken = await delivery.claim(session, now=utcnow())
        [claimed] = await delivery.load(session, taken, await cipher_for(session, settings))
    result = await delivery.send(claimed, allow_private=True)
    deleted = await api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
    assert deleted.status_code == 204
    async with db.transaction() as session:
        await delivery.record(session, [result], delivery.Outcome())
    assert len(receiver.received) == 1
    assert await attempts(db) == []


async def test_a_transaction_sends_one_delivery_job_however_many_events_it_wrote(
        api: Api, db: Database, receiver: Receiver) -> None:
    await register(api, receiver.url, ["share.created", "post.published"])
    db.jobs = sent = NoJobs()
    async with db.transaction() as session:
        await outbox.emit(session, "share.created", {"n": 1}, {"n": 2})
        await outbox.emit(session, "post.published", {"n": 3})
    async with db.transaction() as session:
        await outbox.emit(session, "share.created", {"n": 4})
    assert [name for name, _ in sent.sent] == ["deliver_webhook"] * 2
    assert await event_count(db) == 4
