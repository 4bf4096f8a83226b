"""Objectives and key results bound to live KPIs (CONTRACT §3)."""

from __future__ import annotations

import pytest

from app.analytics.okr.service import progress
from tests.analytics.scenario import World, build
from tests.builders import Api, Role


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
    from decimal import Decimal

    assert progress(150, Decimal(0), Decimal(100)) == 1.0
    assert progress(-5, Decimal(0), Decimal(100)) == 0.0
    assert progress(1.5, Decimal(2), Decimal(1)) == 0.5
    assert progress(None, Decimal(0), Decimal(1)) is None
