"""``remind_connections`` through both runners: a LinkedIn connection about to end, or that
LinkedIn stopped accepting, is told to its member by email, once per token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.mail import Mail
from app.models import JobRun, User
from app.models.networks import NetworkConnection, OAuthState
from app.networks import reminders
from tests.builders import Api
from tests.jobs.runners import JobRunner
from tests.networks.conftest import connect


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[Mail]:
    sent: list[Mail] = []

    async def send(_settings: Settings, mail: Mail) -> None:
        sent.append(mail)

    monkeypatch.setattr(reminders, "send_mail", send)
    return sent


async def member(api: Api, settings: Settings, name: str, *, expires_in: timedelta,
                 refresh: str | None = None,
                 refresh_expires_in: timedelta | None = None) -> User:
    user, _ = await api.user(name=name, email=f"{name.lower()}@corp.test")
    await connect(api.db, settings, user, access=f"token-of-{name}", expires_in=expires_in,
                  refresh=refresh, refresh_expires_in=refresh_expires_in)
    return user


async def test_members_are_told_a_week_ahead_and_when_linkedin_refuses(
        api: Api, job_runner: JobRunner, settings: Settings, outbox: list[Mail]) -> None:
    await member(api, settings, "Ana", expires_in=timedelta(days=5))
    await member(api, settings, "Bo", expires_in=timedelta(days=20))
    await member(api, settings, "Cy", expires_in=timedelta(days=2), refresh="r",
                 refresh_expires_in=timedelta(days=200))
    await member(api, settings, "Di", expires_in=timedelta(days=2), refresh="r",
                 refresh_expires_in=timedelta(days=6))
    refused = await member(api, settings, "Ed", expires_in=timedelta(days=40))
    gone = await member(api, settings, "Fay", expires_in=timedelta(days=3))
    async with api.db.transaction() as session:
        await session.execute(update(NetworkConnection)
                              .where(NetworkConnection.user_id == refused.id)
                              .values(status="needs_reauth"))
        left = await session.get(User, gone.id)
        assert left is not None
        left.deactivated_at = utcnow()

    await job_runner.run("remind_connections")
    await job_runner.run("remind_connections")

    by_to = {m.to: m for m in outbox}
    assert sorted(by_to) == ["ana@corp.test", "di@corp.test", "ed@corp.test"]
    assert len(outbox) == 3  # once each, however often the job runs
    ana = by_to["ana@corp.test"]
    assert ana.subject == "Your LinkedIn connection to Chorus ends soon"
    assert "Hello Ana," in ana.text
    assert "http://127.0.0.1:8000/app/settings" in ana.text
    assert by_to["ed@corp.test"].subject == "Connect LinkedIn to Chorus again"
    async with api.db.transaction() as session:
        runs = [r.result for r in await session.scalars(
            select(JobRun).where(JobRun.name == "remind_connections").order_by(JobRun.id))]
    assert runs == [{"expiring": 2, "reauth": 1, "failed": 0},
                    {"expiring": 0, "reauth": 0, "failed": 0}]


async def test_a_reminder_that_could_not_be_sent_is_tried_again(
        api: Api, job_runner: JobRunner, settings: Settings, outbox: list[Mail],
        monkeypatch: pytest.MonkeyPatch) -> None:
    user = await member(api, settings, "Ana", expires_in=timedelta(days=5))

    async def down(_settings: Settings, _mail: Mail) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(reminders, "send_mail", down)
    await job_runner.run("remind_connections")
    assert outbox == []

    async def send(_settings: Settings, mail: Mail) -> None:
        outbox.append(mail)

    monkeypatch.setattr(reminders, "send_mail", send)
    await job_runner.run("remind_connections")
    assert [m.to for m in outbox] == ["ana@corp.test"]

    # Connecting again starts afresh: the new token's end will be told too.
    await connect(api.db, settings, user, access="new", expires_in=timedelta(days=4))
    await job_runner.run("remind_connections")
    assert len(outbox) == 2


async def test_connections_never_completed_are_forgotten(
        api: Api, job_runner: JobRunner, outbox: list[Mail]) -> None:
    user, _ = await api.user()
    async with api.db.transaction() as session:
        session.add(OAuthState(state_hash="a" * 64, user_id=user.id, network="linkedin",
                               expires_at=utcnow() - timedelta(minutes=1)))
        session.add(OAuthState(state_hash="b" * 64, user_id=user.id, network="linkedin",
                               expires_at=utcnow() + timedelta(minutes=5)))
    await job_runner.run("remind_connections")
    async with api.db.transaction() as session:
        left = list(await session.scalars(select(OAuthState.state_hash)))
    assert left == ["b" * 64]
