"""``send_reminders``: the email digest, through both job runners, against a real SMTP server.

The organisation is in Bangkok (UTC+7) and digests go out on Mondays at 09:00 local time
(the defaults), that is Mondays at 02:00 UTC. Expected texts are written here by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.core.config import Settings
from app.digests.schedule import save_reminder_settings
from app.digests.schemas import ReminderSettings
from app.models import Post, Topic, User
from app.models.digests import ReminderDigest
from app.models.enums import PostStatus, Role
from tests.builders import Api, make_topic, make_user
from tests.digests.support import BASE_URL, SmtpSink, free_port, published, share
from tests.jobs.runners import JobRunner

BANGKOK = ZoneInfo("Asia/Bangkok")
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=BANGKOK)  # 02:00 UTC
DAY = timedelta(days=1)


@pytest.fixture
def mailing(job_runner: JobRunner, settings: Settings, smtp_sink: SmtpSink) -> JobRunner:
    job_runner.use(settings.model_copy(update={
        "smtp_url": smtp_sink.url, "timezone": "Asia/Bangkok", "base_url": BASE_URL}))
    return job_runner


async def run_at(runner: JobRunner, when: datetime) -> None:
    with time_machine.travel(when, tick=True):
        await runner.run("send_reminders")


async def _topic(runner: JobRunner) -> Topic:
    async with runner.db.transaction() as session:
        return await make_topic(session)


def link(post: Post) -> str:
    return f"{BASE_URL}/app/posts/{post.id}"


async def test_a_digest_lists_the_new_posts_the_advocate_can_see_and_has_not_shared(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        ours, other = await make_topic(session), await make_topic(session)
        ana = await make_user(session, email="ana@corp.test", name="Ana", topic_ids=[ours.id])
        fresh = await published(session, at=MONDAY_9 - DAY, topic_ids=[ours.id],
                                title="Fresh & <new>", summary="Why it matters.")
        await published(session, at=MONDAY_9 - DAY, topic_ids=[other.id], title="Not followed")
        shared = await published(session, at=MONDAY_9 - DAY, topic_ids=[ours.id],
                                 title="Already shared")
        await share(session, user_id=ana.id, post_id=shared.id)
        await published(session, at=MONDAY_9 - 2 * DAY, topic_ids=[ours.id], title="Expired",
                        expires_at=MONDAY_9 - DAY)
        await published(session, at=MONDAY_9 - 2 * DAY, topic_ids=[ours.id], title="Archived",
                        status=PostStatus.archived)
        await published(session, at=MONDAY_9 - 8 * DAY, topic_ids=[ours.id],
                        title="Older than a week")
        await published(session, at=MONDAY_9 + timedelta(hours=1), topic_ids=[ours.id],
                        title="Not yet published")

    await run_at(mailing, MONDAY_9)

    [mail] = smtp_sink.messages
    assert mail.to == ["ana@corp.test"]
    assert mail.subject == "1 new post to share"
    assert mail.part("plain") == (
        "Hello Ana,\n\n"
        "There is 1 new post for you to share.\n\n"
        "* Fresh & <new>\n"
        "  Why it matters.\n"
        f"  Share: {link(fresh)}\n\n"
        "--\n"
        "You get this email because reminders are on in your Chorus settings.\n"
        f"Turn off reminders: {BASE_URL}/app/settings\n")
    html = mail.part("html")
    assert '<html lang="en">' in html
    assert f'<a href="{link(fresh)}"' in html and "Fresh &amp; &lt;new&gt;" in html
    assert "Why it matters." in html
    assert f'<a href="{BASE_URL}/app/settings"' in html
    for title in ("Not followed", "Already shared", "Expired", "Archived", "Older than a week",
                  "Not yet published"):
        assert title not in mail.part("plain") and title not in html


async def test_a_thai_advocate_gets_the_digest_in_thai(mailing: JobRunner,
                                                       smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        somchai = await make_user(session, email="somchai@corp.test", name="Somchai")
        somchai.language = "th"
        post = await published(session, at=MONDAY_9 - DAY, title="Thai news")

    await run_at(mailing, MONDAY_9)

    [mail] = smtp_sink.messages
    assert mail.subject == "โพสต์ใหม่ 1 รายการรอให้คุณแชร์"
    text = mail.part("plain")
    assert text.startswith("สวัสดี Somchai\n\nมีโพสต์ใหม่ 1 รายการให้คุณแชร์\n\n")
    assert f"  แชร์: {link(post)}\n" in text
    assert f"ปิดการแจ้งเตือน: {BASE_URL}/app/settings\n" in text
    html = mail.part("html")
    assert '<html lang="th">' in html and "คุณได้รับอีเมลนี้เพราะเปิดการแจ้งเตือนไว้" in html


async def test_a_long_digest_lists_the_ten_newest_and_counts_the_rest(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await make_user(session, email="ana@corp.test")
        posts = [await published(session, at=MONDAY_9 - timedelta(hours=i + 1),
                                 title=f"Story {i:02d}") for i in range(12)]

    await run_at(mailing, MONDAY_9)

    [mail] = smtp_sink.messages
    text = mail.part("plain")
    assert mail.subject == "12 new posts to share"
    assert [p.title for p in posts if p.title and p.title in text] == [
        f"Story {i:02d}" for i in range(10)]
    assert f"And 2 more posts in Chorus: {BASE_URL}/app\n" in text
    assert text.index("Story 00") < text.index("Story 09")  # newest first


async def test_recipients_are_active_users_of_every_role_with_enough_new_posts(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await save_reminder_settings(session, ReminderSettings(min_new_posts=2))
        busy, quiet, unused = (await make_topic(session), await make_topic(session),
                               await make_topic(session))
        await published(session, at=MONDAY_9 - DAY, topic_ids=[busy.id])
        await published(session, at=MONDAY_9 - 2 * DAY, topic_ids=[busy.id])
        shared = await published(session, at=MONDAY_9 - DAY, topic_ids=[quiet.id])
        await published(session, at=MONDAY_9 - 2 * DAY, topic_ids=[quiet.id])
        await make_user(session, email="follows-busy@corp.test", topic_ids=[busy.id])
        await make_user(session, email="manager@corp.test", role=Role.manager)  # follows none
        await make_user(session, email="admin@corp.test", role=Role.admin, topic_ids=[quiet.id])
        sharer = await make_user(session, email="shared-one@corp.test", topic_ids=[quiet.id])
        await share(session, user_id=sharer.id, post_id=shared.id)  # one left: too few
        await make_user(session, email="follows-unused@corp.test", topic_ids=[unused.id])
        await make_user(session, email="gone@corp.test", active=False)
        out = await make_user(session, email="opted-out@corp.test")
        out.reminders_opt_out = True

    await run_at(mailing, MONDAY_9)

    assert smtp_sink.recipients() == ["admin@corp.test", "follows-busy@corp.test",
                                      "manager@corp.test"]
    assert [m.subject for m in smtp_sink.to("manager@corp.test")] == ["4 new posts to share"]


async def test_opting_out_in_the_settings_stops_the_digest(
        mailing: JobRunner, smtp_sink: SmtpSink, api: Api) -> None:
    user, headers = await api.user(Role.advocate, email="ana@corp.test")
    async with mailing.db.transaction() as session:
        await published(session, at=MONDAY_9 - DAY)
    answer = await api.client.patch("/api/v1/me", json={"reminders_opt_out": True},
                                    headers=headers)
    assert answer.status_code == 200, answer.text

    await run_at(mailing, MONDAY_9)
    assert smtp_sink.messages == []

    answer = await api.client.patch("/api/v1/me", json={"reminders_opt_out": False},
                                    headers=headers)
    assert answer.status_code == 200, answer.text
    await run_at(mailing, MONDAY_9 + timedelta(hours=1))
    assert smtp_sink.recipients() == ["ana@corp.test"]


async def test_a_second_run_sends_nothing_and_the_next_digest_lists_only_newer_posts(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await make_user(session, email="ana@corp.test")
        await published(session, at=MONDAY_9 - DAY, title="Last week's")

    await run_at(mailing, MONDAY_9)
    await run_at(mailing, MONDAY_9 + timedelta(minutes=5))
    await run_at(mailing, MONDAY_9 + timedelta(hours=3))
    assert [m.subject for m in smtp_sink.messages] == ["1 new post to share"]

    async with mailing.db.transaction() as session:
        await published(session, at=MONDAY_9 + 2 * DAY, title="This week's")
    await run_at(mailing, MONDAY_9 + 7 * DAY)

    assert len(smtp_sink.messages) == 2
    newer = smtp_sink.messages[1].part("plain")
    assert "This week's" in newer and "Last week's" not in newer


async def test_digests_go_out_on_the_weekday_and_hour_of_the_organisation_zone(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await make_user(session, email="ana@corp.test")
        await published(session, at=MONDAY_9 - 3 * DAY)

    # Monday 08:59 in Bangkok; then Monday 23:30 UTC, already Tuesday 06:30 in Bangkok.
    await run_at(mailing, MONDAY_9 - timedelta(minutes=1))
    await run_at(mailing, datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
    async with mailing.db.transaction() as session:
        await save_reminder_settings(session, ReminderSettings(weekday_digest=[2], hour=7))
    await run_at(mailing, datetime(2026, 12, 7, 23, 30, tzinfo=UTC))  # Tuesday 06:30
    assert smtp_sink.messages == []

    await run_at(mailing, datetime(2026, 12, 8, 0, 0, tzinfo=UTC))  # Tuesday 07:00 local
    assert smtp_sink.recipients() == ["ana@corp.test"]


async def test_no_digest_while_reminders_are_off(mailing: JobRunner,
                                                 smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await save_reminder_settings(session, ReminderSettings(enabled=False))
        await make_user(session, email="ana@corp.test")
        await published(session, at=MONDAY_9 - DAY)

    await run_at(mailing, MONDAY_9)

    assert smtp_sink.messages == []


async def _digests(runner: JobRunner) -> list[tuple[str, str, int]]:
    async with runner.db.transaction() as session:
        rows = await session.execute(
            select(User.email, ReminderDigest.status, ReminderDigest.attempts)
            .join(User, User.id == ReminderDigest.user_id).order_by(User.email))
        return [(email, status, attempts) for email, status, attempts in rows]


async def test_a_digest_claimed_by_a_run_that_died_is_not_sent_again(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        ana = await make_user(session, email="ana@corp.test")
        await make_user(session, email="bo@corp.test")
        await published(session, at=MONDAY_9 - DAY)
        # A run claimed Ana's digest, then the process died before the outcome was written.
        session.add(ReminderDigest(user_id=ana.id, period="2026-12-07", status="sending",
                                   attempts=1, post_ids=[], window_end=MONDAY_9))

    await run_at(mailing, MONDAY_9 + timedelta(minutes=10))

    assert smtp_sink.recipients() == ["bo@corp.test"]
    assert await _digests(mailing) == [("ana@corp.test", "sending", 1),
                                       ("bo@corp.test", "sent", 1)]


async def test_a_send_the_server_refused_is_tried_again_in_a_later_hour_that_day(
        mailing: JobRunner, smtp_sink: SmtpSink) -> None:
    async with mailing.db.transaction() as session:
        await make_user(session, email="ana@corp.test")
        await published(session, at=MONDAY_9 - DAY)
    working = mailing.settings
    mailing.use(working.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"}))

    await run_at(mailing, MONDAY_9)
    assert await _digests(mailing) == [("ana@corp.test", "failed", 1)]

    mailing.use(working)
    await run_at(mailing, MONDAY_9 + timedelta(hours=1))
    await run_at(mailing, MONDAY_9 + timedelta(hours=2))

    assert smtp_sink.recipients() == ["ana@corp.test"]
    assert await _digests(mailing) == [("ana@corp.test", "sent", 2)]


async def test_without_an_smtp_server_the_digest_is_written_to_the_log(
        job_runner: JobRunner, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    job_runner.use(settings.model_copy(update={"timezone": "Asia/Bangkok",
                                               "base_url": BASE_URL}))
    async with job_runner.db.transaction() as session:
        await make_user(session, email="ana@corp.test")
        post = await published(session, at=MONDAY_9 - DAY)

    with caplog.at_level("INFO", logger="chorus.mail"):
        await run_at(job_runner, MONDAY_9)

    [record] = [r for r in caplog.records if r.name == "chorus.mail"]
    assert record.__dict__["to"] == "ana@corp.test"
    assert link(post) in record.__dict__["body"]
    assert await _digests(job_runner) == [("ana@corp.test", "sent", 1)]
