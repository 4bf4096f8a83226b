"""``send_channel_digest``: the week's posts to Slack and Teams webhooks, through both job
runners, checked as a real receiver on 127.0.0.1 gets them (exact JSON, written by hand).

The organisation is in Bangkok (UTC+7); the channel digest goes out on the first digest
weekday (Monday by default) from 09:00 local time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.core.config import Settings
from app.digests import channels
from app.digests.schedule import save_reminder_settings
from app.digests.schemas import ChannelCreate, ChannelKind, ReminderSettings
from app.models import Post
from app.models.digests import Channel, ChannelDigest
from tests.digests.support import BASE_URL, Receiver, published
from tests.jobs.runners import JobRunner

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
DAY = timedelta(days=1)


@pytest.fixture
def posting(job_runner: JobRunner, settings: Settings) -> JobRunner:
    job_runner.use(settings.model_copy(update={
        "allow_private_webhooks": True, "timezone": "Asia/Bangkok", "base_url": BASE_URL}))
    return job_runner


async def run_at(runner: JobRunner, when: datetime) -> None:
    with time_machine.travel(when, tick=True):
        await runner.run("send_channel_digest")


async def register(runner: JobRunner, kind: ChannelKind, url: str) -> str:
    async with runner.db.transaction() as session:
        channel = await channels.create(session, settings=runner.settings,
                                        data=ChannelCreate(kind=kind, url=url, name="#news"))
        return channel.id


async def _week(runner: JobRunner) -> tuple[Post, Post]:
    async with runner.db.transaction() as session:
        newest = await published(session, at=MONDAY_9 - DAY, title="Q3 results & <outlook>",
                                 summary="Revenue *up* 5% > plan [draft]")
        older = await published(session, at=MONDAY_9 - 6 * DAY, title="Hiring_week",
                                summary="")
        await published(session, at=MONDAY_9 - 8 * DAY, title="Two weeks ago")
        await published(session, at=MONDAY_9 - 2 * DAY, title="Expired",
                        expires_at=MONDAY_9 - timedelta(hours=1))
    return newest, older


def link(post: Post) -> str:
    return f"{BASE_URL}/app/posts/{post.id}"


async def test_slack_gets_the_weeks_posts_as_one_mrkdwn_message(
        posting: JobRunner, receiver: Receiver) -> None:
    newest, older = await _week(posting)
    await register(posting, ChannelKind.slack, receiver.url("/slack"))

    await run_at(posting, MONDAY_9)

    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/slack")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json() == {
        "text": "2 new posts to share this week",
        "blocks": [
            {"type": "header",
             "text": {"type": "plain_text", "text": "2 new posts to share this week"}},
            {"type": "section", "text": {
                "type": "mrkdwn",
                "text": f"*<{link(newest)}|Q3 results &amp; &lt;outlook&gt;>*\n"
                        "Revenue *up* 5% &gt; plan [draft]"}},
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": f"*<{link(older)}|Hiring_week>*"}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"Share them from <{BASE_URL}/app|Chorus>"}]},
        ],
    }


async def test_teams_gets_the_weeks_posts_as_one_adaptive_card(
        posting: JobRunner, receiver: Receiver) -> None:
    newest, older = await _week(posting)
    await register(posting, ChannelKind.teams, receiver.url("/teams"))

    await run_at(posting, MONDAY_9)

    [request] = receiver.requests
    assert request.json() == {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": "2 new posts to share this week",
                     "size": "Medium", "weight": "Bolder", "wrap": True},
                    {"type": "TextBlock", "text": f"[Q3 results & <outlook>]({link(newest)})",
                     "weight": "Bolder", "wrap": True, "spacing": "Medium"},
                    {"type": "TextBlock", "text": "Revenue \\*up\\* 5% > plan \\[draft\\]",
                     "wrap": True, "isSubtle": True, "spacing": "None"},
                    {"type": "TextBlock", "text": f"[Hiring\\_week]({link(older)})",
                     "weight": "Bolder", "wrap": True, "spacing": "Medium"},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "Open Chorus",
                             "url": f"{BASE_URL}/app"}],
                "msteams": {"width": "Full"},
            },
        }],
    }


async def test_a_long_week_lists_twenty_posts_and_counts_the_rest(
        posting: JobRunner, receiver: Receiver) -> None:
    async with posting.db.transaction() as session:
        for i in range(23):
            await published(session, at=MONDAY_9 - timedelta(hours=i + 1), title=f"Story {i}")
    await register(posting, ChannelKind.slack, receiver.url("/slack"))

    await run_at(posting, MONDAY_9)

    blocks = receiver.requests[0].json()["blocks"]
    assert blocks[0]["text"]["text"] == "23 new posts to share this week"
    assert [b["type"] for b in blocks] == ["header", *["section"] * 20, "context"]
    assert blocks[-1]["elements"][0]["text"] == f"3 more in <{BASE_URL}/app|Chorus>"


async def _record(runner: JobRunner, channel_id: str) -> tuple[Channel, list[tuple[str, str]]]:
    async with runner.db.transaction() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None
        digests = await session.execute(
            select(ChannelDigest.period, ChannelDigest.status)
            .where(ChannelDigest.channel_id == channel_id).order_by(ChannelDigest.period))
        return channel, [(period, status) for period, status in digests]


async def test_each_channel_gets_one_message_a_week(posting: JobRunner,
                                                    receiver: Receiver) -> None:
    await _week(posting)
    slack = await register(posting, ChannelKind.slack, receiver.url("/slack"))
    await register(posting, ChannelKind.teams, receiver.url("/teams"))

    await run_at(posting, MONDAY_9)
    await run_at(posting, MONDAY_9 + timedelta(minutes=3))
    await run_at(posting, MONDAY_9 + timedelta(hours=5))

    assert sorted(r.path for r in receiver.requests) == ["/slack", "/teams"]
    channel, digests = await _record(posting, slack)
    assert digests == [("2026-W50", "sent")]
    assert channel.last_error is None and channel.last_sent_at is not None

    async with posting.db.transaction() as session:
        await published(session, at=MONDAY_9 + 3 * DAY, title="Next week's")
    await run_at(posting, MONDAY_9 + 7 * DAY)
    assert sorted(r.path for r in receiver.requests) == ["/slack", "/slack", "/teams", "/teams"]
    assert "Next week's" in receiver.to("/slack")[-1].body.decode()


async def test_the_channel_digest_waits_for_the_first_digest_weekday_and_hour(
        posting: JobRunner, receiver: Receiver) -> None:
    await _week(posting)
    await register(posting, ChannelKind.slack, receiver.url("/slack"))
    async with posting.db.transaction() as session:
        await save_reminder_settings(session, ReminderSettings(weekday_digest=[4, 1], hour=10))

    await run_at(posting, MONDAY_9)  # 09:00: before the hour
    await run_at(posting, MONDAY_9 + 3 * DAY + timedelta(hours=1))  # Thursday 10:00
    assert receiver.requests == []

    await run_at(posting, MONDAY_9 + timedelta(hours=1))  # Monday 10:00
    assert [r.path for r in receiver.requests] == ["/slack"]


async def test_a_failed_delivery_is_recorded_and_tried_again_the_next_hour(
        posting: JobRunner, receiver: Receiver) -> None:
    await _week(posting)
    slack = await register(posting, ChannelKind.slack, receiver.url("/slack"))
    receiver.statuses["/slack"] = 404

    await run_at(posting, MONDAY_9)
    channel, digests = await _record(posting, slack)
    assert channel.last_error == "HTTP 404: no_service" and channel.last_sent_at is None
    assert digests == [("2026-W50", "failed")]

    receiver.statuses["/slack"] = 200
    await run_at(posting, MONDAY_9 + timedelta(hours=1))
    await run_at(posting, MONDAY_9 + timedelta(hours=2))

    assert len(receiver.to("/slack")) == 2  # the failed attempt and its retry
    channel, digests = await _record(posting, slack)
    assert channel.last_error is None and channel.last_sent_at is not None
    assert digests == [("2026-W50", "sent")]


async def test_a_private_address_is_refused_again_at_delivery(
        posting: JobRunner, receiver: Receiver) -> None:
    await _week(posting)
    slack = await register(posting, ChannelKind.slack, receiver.url("/slack"))
    posting.use(posting.settings.model_copy(update={"allow_private_webhooks": False}))

    await run_at(posting, MONDAY_9)

    assert receiver.requests == []
    channel, digests = await _record(posting, slack)
    assert channel.last_error == "127.0.0.1 resolves to an address that is not public"
    assert digests == [("2026-W50", "failed")]


async def test_a_redirect_is_not_followed(posting: JobRunner, receiver: Receiver) -> None:
    await _week(posting)
    slack = await register(posting, ChannelKind.slack, receiver.url("/slack"))
    receiver.statuses["/slack"] = 307

    await run_at(posting, MONDAY_9)

    channel, _ = await _record(posting, slack)
    assert channel.last_error == "a POST answered with a redirect (307)"
    assert [r.path for r in receiver.requests] == ["/slack"]


async def test_a_week_without_new_posts_sends_nothing(posting: JobRunner,
                                                       receiver: Receiver) -> None:
    async with posting.db.transaction() as session:
        await published(session, at=MONDAY_9 - 10 * DAY)
    slack = await register(posting, ChannelKind.slack, receiver.url("/slack"))

    await run_at(posting, MONDAY_9)

    assert receiver.requests == []
    assert (await _record(posting, slack))[1] == [("2026-W50", "skipped")]
