"""Report schedules (CONTRACT §3) and ``send_reports`` (§9), through both job runners, against
a real SMTP server: the PDF arrives attached, once per period.

The organisation is in Bangkok (UTC+7); reports go out from 07:00 local time.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from app.core.config import Settings
from app.models import ReportSend
from tests.analytics.scenario import World, build
from tests.builders import Api, Role
from tests.digests.support import SmtpSink, free_port, start_sink
from tests.jobs.runners import JobRunner

BANGKOK = ZoneInfo("Asia/Bangkok")
# Scenario's pilot "Spring" runs 2026-03-04 to 2026-03-17.
MONDAY_8 = datetime(2026, 3, 16, 8, 0, tzinfo=BANGKOK)


@pytest.fixture
def mailing(job_runner: JobRunner, settings: Settings, smtp_sink: SmtpSink) -> JobRunner:
    job_runner.use(settings.model_copy(update={"smtp_url": smtp_sink.url,
                                               "timezone": "Asia/Bangkok"}))
    return job_runner


async def scenario(runner: JobRunner) -> World:
    """scenario.py's program; the link previews its posts queued (at today's real time,
    long after these tests' March 2026) are dropped: arq would wait for them forever."""
    world = await build(runner.db)
    if runner.pool is not None:
        await runner.pool.delete(runner.queue)
    return world


async def run_at(runner: JobRunner, when: datetime) -> None:
    with time_machine.travel(when, tick=True):
        await runner.run("send_reports")


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


async def test_schedules_are_validated_and_only_for_managers(api: Api) -> None:
    world = await build(api.db)
    manager = await api.headers(Role.manager)
    _, advocate = await api.user()
    url = "/api/v1/report-schedules"
    body = {"pilot_id": world.pilot_id, "cadence": "weekly",
            "recipients": ["Boss@Corp.test", "boss@corp.test", "cfo@corp.test"]}
    assert (await api.client.post(url, headers=advocate, json=body)).status_code == 403
    assert (await api.client.get(url, headers=advocate)).status_code == 403
    for bad in [{**body, "cadence": "daily"}, {**body, "recipients": []},
                {**body, "recipients": ["not an address"]}, {**body, "pilot_id": "nope"},
                {**body, "extra": 1}, {**body, "recipients": [f"r{i}@corp.test"
                                                               for i in range(51)]}]:
        refused = await api.client.post(url, headers=manager, json=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await api.client.get(url, headers=manager)).json()["items"] == []
    created = await api.client.post(url, headers=manager, json=body)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["recipients"] == ["boss@corp.test", "cfo@corp.test"]
    assert (schedule["cadence"], schedule["pilot_id"], schedule["last_send"]) == (
        "weekly", world.pilot_id, None)
    organisation = await api.client.post(url, headers=manager, json={
        "cadence": "monthly", "recipients": ["ceo@corp.test"]})
    assert organisation.status_code == 201 and organisation.json()["pilot_id"] is None
    listed = (await api.client.get(url, headers=manager)).json()["items"]
    assert [s["id"] for s in listed] == [schedule["id"], organisation.json()["id"]]
    assert (await api.client.delete(f"{url}/{schedule['id']}",
                                    headers=advocate)).status_code == 403
    assert (await api.client.delete(f"{url}/{schedule['id']}",
                                    headers=manager)).status_code == 204
    assert (await api.client.delete(f"{url}/{schedule['id']}",
                                    headers=manager)).status_code == 404
    assert len((await api.client.get(url, headers=manager)).json()["items"]) == 1


async def test_the_weekly_report_is_mailed_once_with_the_pdf(api: Api, mailing: JobRunner,
                                                             smtp_sink: SmtpSink) -> None:
    world = await scenario(mailing)
    manager = await api.headers(Role.manager)
    created = await api.client.post("/api/v1/report-schedules", headers=manager, json={
        "pilot_id": world.pilot_id, "cadence": "weekly",
        "recipients": ["boss@corp.test", "cfo@corp.test"]})
    assert created.status_code == 201

    await run_at(mailing, MONDAY_8.replace(hour=6))  # before 07:00: nothing yet
    assert smtp_sink.messages == []
    await run_at(mailing, MONDAY_8)
    [mail] = smtp_sink.messages
    assert sorted(mail.to) == ["boss@corp.test", "cfo@corp.test"]
    # The last full ISO week before Monday 16 March: 9 to 15 March.
    assert mail.subject == "Advocacy program report: Spring, 2026-03-09 to 2026-03-15"
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "chorus-report-2026-03-09-to-2026-03-15.pdf"
    assert attachment.get_content_type() == "application/pdf"
    pages, text = _pdf_text(attachment.get_content())
    assert 1 <= pages <= 3
    assert "Spring" in text and "Mar 9, 2026 to Mar 15, 2026" in text

    await run_at(mailing, MONDAY_8.replace(hour=12))
    assert len(smtp_sink.messages) == 1  # once per period
    async with mailing.db.transaction() as session:
        [send] = (await session.scalars(select(ReportSend))).all()
        assert (send.period, send.status, send.attempts) == ("2026-W11", "sent", 1)
    listed = (await api.client.get("/api/v1/report-schedules", headers=manager)).json()
    assert listed["items"][0]["last_send"]["period"] == "2026-W11"


async def test_a_refused_send_is_retried_and_periods_outside_the_pilot_are_skipped(
        api: Api, job_runner: JobRunner, settings: Settings) -> None:
    world = await scenario(job_runner)
    manager = await api.headers(Role.manager)
    await api.client.post("/api/v1/report-schedules", headers=manager, json={
        "pilot_id": world.pilot_id, "cadence": "weekly", "recipients": ["boss@corp.test"]})
    nobody = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    job_runner.use(settings.model_copy(update={"smtp_url": nobody,
                                               "timezone": "Asia/Bangkok"}))
    await run_at(job_runner, MONDAY_8)
    async with job_runner.db.transaction() as session:
        [send] = (await session.scalars(select(ReportSend))).all()
        assert (send.status, send.attempts) == ("failed", 1) and send.error

    sink, controller = start_sink()
    try:
        job_runner.use(settings.model_copy(update={"smtp_url": sink.url,
                                                   "timezone": "Asia/Bangkok"}))
        await run_at(job_runner, MONDAY_8.replace(hour=9))
        assert [m.to for m in sink.messages] == [["boss@corp.test"]]
        # A month after the pilot ended (17 March), its weekly report has nothing to say.
        await run_at(job_runner, datetime(2026, 4, 27, 8, tzinfo=BANGKOK))
        assert len(sink.messages) == 1
    finally:
        controller.stop()
    async with job_runner.db.transaction() as session:
        [send] = (await session.scalars(select(ReportSend))).all()
        assert (send.period, send.status, send.attempts) == ("2026-W11", "sent", 2)
