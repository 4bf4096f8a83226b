"""Objectives and key results bound to live KPIs (CONTRACT §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from app.analytics.okr.service import progress
from app.models import KeyResult, Objective
from tests.analytics.scenario import World, build
from tests.builders import Api, Role

# Before the scenario's objectives (2026-03-04 to 03-17) end, so nothing is scored yet, and
# after a4 was deactivated (03-15), so the KPIs are those of the whole range.
DURING = datetime(2026, 3, 16, 12, tzinfo=UTC)


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


async def test_key_results_track_the_pilots_kpis(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    created = await api.client.post("/api/v1/objectives", headers=manager, json={
        "title": "Spring advocacy", "starts_on": "2026-03-04", "ends_on": "2026-03-17",
        "pilot_id": world.pilot_id, "key_results": [
            {"title": "Clicks", "metric": "clicks", "target": 10},
            {"title": "Half converts", "metric": "conversion_rate", "target": 0.75,
             "baseline": 0.25},
            {"title": "Fewer shares needed", "metric": "clicks_per_share", "target": 1,
             "baseline": 2},
            {"title": "Nothing to compare", "metric": "enps", "target": 50, "baseline": 50},
        ]})
    assert created.status_code == 201, created.text
    krs = {kr["title"]: kr for kr in created.json()["key_results"]}
    assert (krs["Clicks"]["current"], krs["Clicks"]["progress"]) == (5, 0.5)
    assert krs["Half converts"]["current"] == 0.5
    assert krs["Half converts"]["progress"] == pytest.approx(0.5)
    # A metric meant to fall: from 2 towards 1, now 5/3 → a third of the way.
    assert krs["Fewer shares needed"]["progress"] == pytest.approx(1 / 3)
    assert krs["Nothing to compare"]["progress"] is None
    listed = (await api.client.get("/api/v1/objectives", headers=manager)).json()["items"]
    assert listed[0]["key_results"][0]["current"] == 5


async def test_without_a_pilot_the_whole_organisation_counts(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    created = (await api.client.post("/api/v1/objectives", headers=manager, json={
        "title": "Org", "starts_on": "2026-03-04", "ends_on": "2026-03-17",
        "key_results": [{"title": "Clicks", "metric": "clicks", "target": 100}]})).json()
    # The outsider's click and the deactivated advocate's two count organisation-wide
    # (a4 was deactivated on 03-15, before the range's end, so still not).
    assert created["key_results"][0]["current"] == 6


@time_machine.travel(DURING, tick=False)
async def test_objective_validation(api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    base = {"title": "X", "starts_on": "2026-03-04", "ends_on": "2026-03-17"}
    unknown = await api.client.post("/api/v1/objectives", headers=manager, json={
        **base, "key_results": [{"title": "?", "metric": "vibes", "target": 1}]})
    assert unknown.status_code == 422
    assert "participation_rate" in unknown.json()["errors"][0]["msg"]
    too_many = [{"title": str(i), "metric": "clicks", "target": 1} for i in range(6)]
    assert (await api.client.post("/api/v1/objectives", headers=manager, json={
        **base, "key_results": too_many})).status_code == 422
    assert (await api.client.post("/api/v1/objectives", headers=manager, json={
        **base, "key_results": []})).status_code == 422
    assert (await api.client.post("/api/v1/objectives", headers=manager, json={
        **base, "pilot_id": "nope", "key_results": too_many[:1]})).status_code == 422
    created = (await api.client.post("/api/v1/objectives", headers=manager, json={
        **base, "key_results": too_many[:1]})).json()
    patched = await api.client.patch(f"/api/v1/objectives/{created['id']}", headers=manager,
                                     json={"key_results": too_many[:2], "title": "Y"})
    assert patched.status_code == 200 and len(patched.json()["key_results"]) == 2
    assert (await api.client.delete(f"/api/v1/objectives/{created['id']}",
                                    headers=manager)).status_code == 204
    assert (await api.client.get(f"/api/v1/objectives/{created['id']}",
                                 headers=manager)).status_code == 404


def test_progress_is_clamped_and_handles_falling_metrics() -> None:
    assert progress(150, Decimal(0), Decimal(100)) == 1.0
    assert progress(-5, Decimal(0), Decimal(100)) == 0.0
    assert progress(1.5, Decimal(2), Decimal(1)) == 0.5
    assert progress(None, Decimal(0), Decimal(1)) is None


BASE = {"title": "Q1", "starts_on": "2026-03-04", "ends_on": "2026-03-17"}


async def _post(api: Api, headers: dict[str, str], **body: Any) -> Any:
    return await api.client.post("/api/v1/objectives", headers=headers, json={**BASE, **body})


async def _count(api: Api) -> tuple[int, int]:
    async with api.db.transaction() as session:
        return (await session.scalar(select(func.count()).select_from(Objective)) or 0,
                await session.scalar(select(func.count()).select_from(KeyResult)) or 0)


@time_machine.travel(DURING, tick=False)
async def test_key_result_kinds_units_and_due_dates(api: Api, world: World) -> None:
    manager_user, manager = await api.user(Role.manager)
    created = await _post(api, manager, pilot_id=world.pilot_id, key_results=[
        {"title": "Clicks", "metric": "clicks", "target": 10, "unit": "clicks",
         "due_on": "2026-03-10"},
        {"title": "Demos booked", "kind": "manual", "target": 12, "baseline": 2,
         "unit": "demos"},
        {"title": "Revenue", "kind": "kpi", "metric": "revenue", "target": 301},
    ])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner_id"] == manager_user.id
    assert (body["score"], body["scored_at"], body["latest_check_in"]) == (None, None, None)
    assert body["warnings"] == []
    clicks, demos, revenue = body["key_results"]
    assert (clicks["kind"], clicks["metric"], clicks["unit"], clicks["due_on"]) == (
        "kpi", "clicks", "clicks", "2026-03-10")
    # `current` stays the KPI over the objective's dates: the due date is for the score.
    assert (clicks["current"], clicks["progress"]) == (5, 0.5)
    assert (demos["kind"], demos["metric"], demos["unit"], demos["due_on"]) == (
        "manual", None, "demos", "2026-03-17")
    assert (demos["current"], demos["progress"], demos["confidence"]) == (None, None, None)
    assert demos["history"] == [] and demos["baseline"] == 2
    # The pilot's attributed revenue is 100 + 50.50 EUR.
    assert revenue["current"] == 150.5 and revenue["progress"] == 0.5


@time_machine.travel(DURING, tick=False)
async def test_fewer_than_three_key_results_are_accepted_with_a_warning(
        api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    one = {"title": "Clicks", "metric": "clicks", "target": 10}
    created = (await _post(api, manager, key_results=[one])).json()
    assert created["warnings"] == [
        "Fewer than 3 key results (1): 3 to 5 are recommended, so that no single number "
        "stands for the objective."]
    patched = await api.client.patch(f"/api/v1/objectives/{created['id']}", headers=manager,
                                     json={"key_results": [one, one, one]})
    assert patched.json()["warnings"] == []


@pytest.mark.parametrize(("key_result", "where", "says"), [
    ({"title": "?", "metric": "top_posts", "target": 1}, "metric", "participation_rate"),
    ({"title": "?", "metric": "conversions_by_type", "target": 1}, "metric", "enps"),
    ({"title": "?", "metric": "revenue_by_currency", "target": 1}, "metric", "clicks"),
    ({"title": "?", "target": 1}, "metric", "participation_rate"),
    ({"title": "?", "kind": "kpi", "metric": None, "target": 1}, "metric", "share_rate"),
    ({"title": "?", "kind": "manual", "metric": "clicks", "target": 1}, "metric", "no metric"),
    ({"title": "?", "kind": "both", "target": 1}, "kind", "manual"),
    ({"title": "?", "kind": "manual", "target": 1, "unit": "x" * 33}, "unit", "32"),
    ({"title": "?", "kind": "manual", "target": 1, "due_on": "2026-03-03"}, "due_on",
     "outside"),
    ({"title": "?", "kind": "manual", "target": 1, "due_on": "2026-03-18"}, "due_on",
     "outside"),
])
@time_machine.travel(DURING, tick=False)
async def test_a_bad_key_result_is_422_and_stores_nothing(
        api: Api, key_result: dict[str, Any], where: str | None, says: str) -> None:
    manager = await api.headers(Role.manager)
    response = await _post(api, manager, key_results=[key_result])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["loc"][:3] == ["body", "key_results", 0]
    if where is not None:
        assert error["loc"][3] == where
    assert says in error["msg"]
    assert await _count(api) == (0, 0)


@time_machine.travel(DURING, tick=False)
async def test_due_dates_follow_the_objectives_dates(api: Api) -> None:
    manager = await api.headers(Role.manager)
    created = (await _post(api, manager, key_results=[
        {"title": "A", "kind": "manual", "target": 1, "due_on": "2026-03-04"},
        {"title": "B", "kind": "manual", "target": 1}])).json()
    url = f"/api/v1/objectives/{created['id']}"
    # A key result due on 03-04 cannot be left outside the objective's new dates.
    moved = await api.client.patch(url, headers=manager, json={"starts_on": "2026-03-05"})
    assert moved.status_code == 422, moved.text
    assert (await api.client.get(url, headers=manager)).json()["starts_on"] == "2026-03-04"
    # Without its own due date, a key result is due when the objective ends, wherever that is.
    later = await api.client.patch(url, headers=manager, json={"ends_on": "2026-03-31"})
    assert [kr["due_on"] for kr in later.json()["key_results"]] == ["2026-03-04", "2026-03-31"]


@time_machine.travel(DURING, tick=False)
async def test_the_owner_defaults_to_the_creator_and_must_be_an_active_user(
        api: Api) -> None:
    manager = await api.headers(Role.manager)
    owner, _ = await api.user(Role.advocate)
    gone, _ = await api.user(Role.advocate, active=False)
    one = [{"title": "A", "kind": "manual", "target": 1}]
    for bad in ("no-such-user", gone.id):
        refused = await _post(api, manager, owner_id=bad, key_results=one)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "owner_id"]
    assert await _count(api) == (0, 0)
    created = (await _post(api, manager, owner_id=owner.id, key_results=one)).json()
    assert created["owner_id"] == owner.id
    url = f"/api/v1/objectives/{created['id']}"
    for bad_owner in ("no-such-user", gone.id, None):
        assert (await api.client.patch(url, headers=manager,
                                       json={"owner_id": bad_owner})).status_code == 422
    assert (await api.client.get(url, headers=manager)).json()["owner_id"] == owner.id


@time_machine.travel(DURING, tick=False)
async def test_every_signed_in_user_reads_objectives_but_only_managers_write(
        api: Api, world: World) -> None:
    manager = await api.headers(Role.manager)
    admin = await api.headers(Role.admin)
    advocate = await api.headers(Role.advocate)
    marketer = await api.headers(Role.marketer)
    kr = [{"title": "Clicks", "metric": "clicks", "target": 10}]
    created = (await _post(api, manager, pilot_id=world.pilot_id, key_results=kr)).json()
    url = f"/api/v1/objectives/{created['id']}"
    for reader in (advocate, marketer):
        one = await api.client.get(url, headers=reader)
        assert one.status_code == 200 and one.json()["key_results"][0]["current"] == 5
        listed = await api.client.get("/api/v1/objectives", headers=reader)
        assert [o["id"] for o in listed.json()["items"]] == [created["id"]]
    for writer in (advocate, marketer):
        assert (await _post(api, writer, key_results=kr)).status_code == 403
        assert (await api.client.patch(url, headers=writer,
                                       json={"title": "Mine"})).status_code == 403
        assert (await api.client.delete(url, headers=writer)).status_code == 403
    assert await _count(api) == (1, 1)
    assert (await api.client.get(url, headers=advocate)).json()["title"] == "Q1"
    assert (await api.client.patch(url, headers=admin, json={"title": "Q1 (admin)"})
            ).json()["title"] == "Q1 (admin)"
