"""An objective's final score (CONTRACT §3 OKRs): the mean progress of its key results at
their due dates, computed once after ``ends_on`` and never again, on the scenario pilot whose
KPIs test_kpis.py computed on paper (times UTC)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import update

from app.analytics.okr import scoring
from app.analytics.okr import service as okr_service
from app.core.config import Settings
from app.core.db import Database
from app.models import CheckIn, Objective
from tests.analytics.okr_support import read_at
from tests.analytics.scenario import World, at, build
from tests.builders import Api, Role
from tests.jobs.runners import JobRunner


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


@pytest.fixture
async def inline(db: Database, settings: Settings) -> AsyncIterator[JobRunner]:
    runner = JobRunner("inline", db, settings)
    runner.install()
    yield runner
    await runner.close()


async def _objective(api: Api, manager: dict[str, str], world: World) -> dict[str, Any]:
    """Four key results:
    - shares by the cohort, due 03-06: over [03-04, 03-07) a1's of 03-05 and a4's of 03-06 (a4
      deactivated only on 03-15), 2 of 4 → 0.5 (3 by the end: 0.75);
    - clicks, due at the end: 5 of 10 → 0.5;
    - demos (manual), from 0 to 100: 40 checked in on 03-10, 80 on 03-18 after the end → 0.4;
    - a manual key result nobody checks in on: no progress, left out.
    Score: (0.5 + 0.5 + 0.4) / 3."""
    with time_machine.travel(at(3), tick=False):
        response = await api.client.post("/api/v1/objectives", headers=manager, json={
            "title": "Spring", "starts_on": "2026-03-04", "ends_on": "2026-03-17",
            "pilot_id": world.pilot_id, "key_results": [
                {"title": "Shares", "metric": "shares", "target": 4, "due_on": "2026-03-06"},
                {"title": "Clicks", "metric": "clicks", "target": 10},
                {"title": "Demos", "kind": "manual", "target": 100},
                {"title": "Quiet", "kind": "manual", "target": 5},
            ]})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    url = f"/api/v1/objectives/{created['id']}/check-ins"
    demos = created["key_results"][2]["id"]
    for when, value in ((at(10), 40), (at(18, 0), 80)):
        with time_machine.travel(when, tick=False):
            assert (await api.client.post(url, headers=manager, json={
                "key_result_id": demos, "value": value, "confidence": "on_track"})
            ).status_code == 201
    return created


async def test_the_score_is_computed_once_after_the_end_and_then_frozen(
        api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    advocate = await api.headers(Role.advocate)
    objective = await _objective(api, manager, world)
    # 03-17 is still the objective's last day: no score yet.
    before = await read_at(api, objective, advocate, datetime(2026, 3, 17, 23, 59, tzinfo=UTC))
    assert (before["score"], before["scored_at"]) == (None, None)
    after = await read_at(api, objective, advocate, at(18, 1))
    assert after["score"] == pytest.approx(1.4 / 3)
    assert after["scored_at"] == "2026-03-18T01:00:00Z"
    # Demos' current is its latest value even after the end; its score used 40.
    assert after["key_results"][2]["current"] == 80
    # Data changes after the scoring: a check-in dated within the objective, a deactivation.
    async with api.db.transaction() as session:
        session.add(CheckIn(objective_id=objective["id"],
                            key_result_id=objective["key_results"][3]["id"], value="5",
                            confidence="on_track", created_at=at(12)))
        world.users["a2"].deactivated_at = at(5)
        session.add(world.users["a2"])
    later = await read_at(api, objective, manager, at(25))
    assert later["key_results"][3]["progress"] == 1.0
    assert (later["score"], later["scored_at"]) == (after["score"], after["scored_at"])


async def test_the_daily_job_scores_ended_objectives(api: Api, world: World,
                                                     inline: JobRunner) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager, world)
    with time_machine.travel(at(17, 23), tick=False):
        await inline.run("sample_key_results")
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective["id"])
        assert stored is not None and stored.scored_at is None
    with time_machine.travel(at(19, 0), tick=False):
        await inline.run("sample_key_results")
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective["id"])
        assert stored is not None and stored.score == pytest.approx(1.4 / 3)
        assert stored.scored_at == at(19, 0)
    with time_machine.travel(at(20), tick=False):
        await inline.run("sample_key_results")
    read = await read_at(api, objective, manager, at(21))
    assert read["scored_at"] == "2026-03-19T00:00:00Z"


async def test_scoring_leaves_a_score_another_writer_stored_first(
        api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager, world)
    with time_machine.travel(at(20), tick=False):
        async with api.db.transaction() as session:
            loaded = await session.get(Objective, objective["id"])
            assert loaded is not None and loaded.scored_at is None
            # Another request scores it between our read and our write.
            await session.execute(update(Objective).where(Objective.id == loaded.id)
                                  .values(score=0.9, scored_at=at(19))
                                  .execution_options(synchronize_session=False))
            krs = (await okr_service.key_results_of(session, [loaded.id]))[loaded.id]
            await scoring.score_once(session, loaded, krs)
            assert (loaded.score, loaded.scored_at) == (0.9, at(19))


async def test_without_any_progress_the_score_is_null_but_frozen(api: Api) -> None:
    manager = await api.headers(Role.manager)
    with time_machine.travel(at(3), tick=False):
        created = (await api.client.post("/api/v1/objectives", headers=manager, json={
            "title": "Quiet", "starts_on": "2026-03-04", "ends_on": "2026-03-17",
            "key_results": [{"title": "Demos", "kind": "manual", "target": 5}]})).json()
    read = await read_at(api, created, manager, at(18))
    assert read["score"] is None and read["scored_at"] == "2026-03-18T12:00:00Z"
    url = f"/api/v1/objectives/{created['id']}"
    # Scored: what the score stands on is final; wording is not.
    with time_machine.travel(at(19), tick=False):
        moved = await api.client.patch(url, headers=manager, json={"ends_on": "2026-03-31"})
        assert moved.status_code == 409, moved.text
        replaced = await api.client.patch(url, headers=manager, json={"key_results": [
            {"title": "Demos", "kind": "manual", "target": 6}]})
        assert replaced.status_code == 409, replaced.text
        kr = created["key_results"][0]
        reworded = await api.client.patch(url, headers=manager, json={"title": "Calm",
            "key_results": [{"id": kr["id"], "title": "Demos booked", "kind": "manual",
                             "target": 5, "unit": "demos"}]})
        assert reworded.status_code == 200, reworded.text
    assert reworded.json()["key_results"][0]["title"] == "Demos booked"
    assert reworded.json()["scored_at"] == "2026-03-18T12:00:00Z"
