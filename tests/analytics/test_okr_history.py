"""Weekly key result history in Europe/Berlin across the start of summer time (Sunday
2026-03-29, 02:00 CET → 03:00 CEST): the ``sample_key_results`` job's daily samples of a live
key result and a manual key result's check-ins, each counted in the ISO week of its local
date, run on the in-process job runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.models import KeyResultSample, User
from tests.analytics.okr_support import read_at
from tests.builders import Api, Role, make_user
from tests.conftest import SECRET
from tests.jobs.runners import JobRunner


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                    timezone="Europe/Berlin")


@pytest.fixture
async def inline(db: Database, settings: Settings) -> AsyncIterator[JobRunner]:
    runner = JobRunner("inline", db, settings)
    runner.install()
    yield runner
    await runner.close()


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def _objective(api: Api, manager: dict[str, str]) -> dict[str, Any]:
    with time_machine.travel(utc(3, 15, 12), tick=False):
        response = await api.client.post("/api/v1/objectives", headers=manager, json={
            "title": "Grow", "starts_on": "2026-03-16", "ends_on": "2026-04-12",
            "key_results": [
                {"title": "People on board", "metric": "enrolled", "target": 10},
                {"title": "Demos", "kind": "manual", "target": 10},
            ]})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _users_created_at(db: Database, *moments: datetime) -> None:
    """Organisation-wide, ``enrolled`` counts the users existing at the cut-off: these are
    the only ones before summer (the callers' users are created today, in December)."""
    async with db.transaction() as session:
        for moment in moments:
            user: User = await make_user(session)
            user.created_at = moment


async def _read(api: Api, objective: dict[str, Any], headers: dict[str, str]
                ) -> dict[str, Any]:
    return await read_at(api, objective, headers, utc(3, 31, 12))


async def test_samples_are_taken_on_local_days_and_weeks_start_on_local_mondays(
        api: Api, inline: JobRunner) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager)
    live_id = objective["key_results"][0]["id"]
    await _users_created_at(api.db, utc(3, 20, 10),
                            utc(3, 29, 21, 30),  # Sunday 23:30 CEST
                            utc(3, 29, 22, 30))  # Monday 00:30 CEST
    runs = [utc(3, 22, 12),  # Sunday 13:00 CET: samples 03-21 and 03-22
            utc(3, 29, 21, 45),  # Sunday 23:45 CEST: samples 03-28 and 03-29
            utc(3, 29, 22, 45),  # Monday 00:45 CEST: completes 03-29, samples 03-30
            utc(3, 29, 22, 50)]  # the same again: replaces, never adds
    for when in runs:
        with time_machine.travel(when, tick=False):
            await inline.run("sample_key_results")
    async with api.db.transaction() as session:
        samples = {(s.sampled_on, float(s.value or "nan")) for s in await session.scalars(
            select(KeyResultSample).where(KeyResultSample.key_result_id == live_id))}
    # A day's sample: the users existing by the end of that local day, or by the run for
    # today. 03-29 ends at 22:00 UTC (midnight CEST): the 22:30 user is Monday's.
    assert samples == {
        (date(2026, 3, 21), 1), (date(2026, 3, 22), 1), (date(2026, 3, 28), 1),
        (date(2026, 3, 29), 2), (date(2026, 3, 30), 3)}
    read = await _read(api, objective, manager)
    assert read["key_results"][0]["history"] == [
        {"week_start": "2026-03-16", "value": 1}, {"week_start": "2026-03-23", "value": 2},
        {"week_start": "2026-03-30", "value": 3}]


async def test_check_ins_count_in_the_week_of_their_local_date(api: Api) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager)
    manual_id = objective["key_results"][1]["id"]
    for when, value in [
        (utc(3, 22, 22, 30), 1),  # Sunday 23:30 CET: the week of 03-16
        (utc(3, 22, 23, 30), 4),  # Monday 00:30 CET: the week of 03-23
        (utc(3, 29, 21, 30), 2),  # Sunday 23:30 CEST: still the week of 03-23, and its last
        (utc(3, 29, 22, 30), 5),  # Monday 00:30 CEST: the week of 03-30
    ]:
        with time_machine.travel(when, tick=False):
            response = await api.client.post(
                f"/api/v1/objectives/{objective['id']}/check-ins", headers=manager,
                json={"key_result_id": manual_id, "value": value, "confidence": "on_track"})
            assert response.status_code == 201, response.text
    read = await _read(api, objective, manager)
    manual = read["key_results"][1]
    assert manual["history"] == [
        {"week_start": "2026-03-16", "value": 1}, {"week_start": "2026-03-23", "value": 2},
        {"week_start": "2026-03-30", "value": 5}]
    assert manual["current"] == 5 and manual["progress"] == 0.5


async def test_the_job_samples_only_objectives_running_now(api: Api, inline: JobRunner
                                                          ) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager)
    for when in (utc(3, 14, 12), utc(4, 14, 12)):  # two days before, two days after
        with time_machine.travel(when, tick=False):
            await inline.run("sample_key_results")
    with time_machine.travel(utc(4, 13, 12), tick=False):  # the day after ends_on
        await inline.run("sample_key_results")
    async with api.db.transaction() as session:
        days = sorted(s.sampled_on for s in await session.scalars(select(KeyResultSample)))
    # Only the objective's last day, completed on the morning after; the manual key result
    # is never sampled.
    assert days == [date(2026, 4, 12)]
    assert objective["key_results"][1]["history"] == []
