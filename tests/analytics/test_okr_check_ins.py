"""Check-ins on objectives (CONTRACT §3 OKRs): who may check in, what a value may go with,
and how a manual key result's current value and each key result's confidence follow them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from sqlalchemy import func, select

from app.models import CheckIn
from tests.builders import Api, Role

WHEN = datetime(2026, 5, 6, 9, tzinfo=UTC)


async def _objective(api: Api, manager: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await api.client.post("/api/v1/objectives", headers=manager, json={
        "title": "Pipeline", "starts_on": "2026-05-01", "ends_on": "2026-06-30",
        "key_results": [
            {"title": "Demos", "kind": "manual", "target": 20, "baseline": 4},
            {"title": "Clicks", "metric": "clicks", "target": 100},
        ], **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _stored(api: Api) -> int:
    async with api.db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(CheckIn)) or 0


@time_machine.travel(WHEN, tick=False)
async def test_the_owner_and_managers_check_in_other_advocates_may_not(api: Api) -> None:
    manager_user, manager = await api.user(Role.manager)
    owner, owner_headers = await api.user(Role.advocate)
    other = await api.headers(Role.advocate)
    marketer = await api.headers(Role.marketer)
    admin_user, admin = await api.user(Role.admin)
    objective = await _objective(api, manager, owner_id=owner.id)
    demos = objective["key_results"][0]["id"]
    url = f"/api/v1/objectives/{objective['id']}/check-ins"
    body = {"key_result_id": demos, "value": 9, "confidence": "at_risk", "note": "Slow May"}
    for refused in (other, marketer):
        response = await api.client.post(url, headers=refused, json=body)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await _stored(api) == 0
    by_owner = await api.client.post(url, headers=owner_headers, json=body)
    assert by_owner.status_code == 201, by_owner.text
    assert by_owner.json() == {
        "id": by_owner.json()["id"], "objective_id": objective["id"], "key_result_id": demos,
        "value": 9.0, "confidence": "at_risk", "note": "Slow May", "author_id": owner.id,
        "created_at": "2026-05-06T09:00:00Z"}
    by_manager = await api.client.post(url, headers=manager, json={"confidence": "on_track"})
    assert by_manager.status_code == 201 and by_manager.json()["author_id"] == manager_user.id
    assert by_manager.json()["key_result_id"] is None and by_manager.json()["value"] is None
    by_admin = await api.client.post(url, headers=admin, json={
        "key_result_id": objective["key_results"][1]["id"], "confidence": "off_track"})
    assert by_admin.status_code == 201 and by_admin.json()["author_id"] == admin_user.id
    assert await _stored(api) == 3


@time_machine.travel(WHEN, tick=False)
async def test_a_value_goes_only_with_a_manual_key_result_of_the_objective(api: Api) -> None:
    manager = await api.headers(Role.manager)
    objective = await _objective(api, manager)
    elsewhere = await _objective(api, manager)
    demos, clicks = (kr["id"] for kr in objective["key_results"])
    url = f"/api/v1/objectives/{objective['id']}/check-ins"
    for body, loc in [
        ({"key_result_id": clicks, "value": 5, "confidence": "on_track"}, ["body", "value"]),
        ({"value": 5, "confidence": "on_track"}, ["body"]),
        ({"key_result_id": elsewhere["key_results"][0]["id"], "value": 5,
          "confidence": "on_track"}, ["body", "key_result_id"]),
        ({"key_result_id": "no-such-kr", "confidence": "on_track"}, ["body", "key_result_id"]),
        ({"key_result_id": demos, "value": 5, "confidence": "fine"}, ["body", "confidence"]),
        ({"key_result_id": demos, "value": "many", "confidence": "on_track"},
         ["body", "value"]),
        ({"key_result_id": demos, "value": 5}, ["body", "confidence"]),
        ({"key_result_id": demos, "confidence": "on_track", "note": "x" * 2001},
         ["body", "note"]),
    ]:
        response = await api.client.post(url, headers=manager, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["loc"][:len(loc)] == loc, (body, response.text)
    assert await _stored(api) == 0
    missing = await api.client.post("/api/v1/objectives/nope/check-ins", headers=manager,
                                    json={"confidence": "on_track"})
    assert missing.status_code == 404


async def test_manual_current_and_confidences_follow_the_latest_check_ins(api: Api) -> None:
    manager = await api.headers(Role.manager)
    advocate = await api.headers(Role.advocate)
    with time_machine.travel(WHEN, tick=False):
        objective = await _objective(api, manager)
    demos, clicks = (kr["id"] for kr in objective["key_results"])
    url = f"/api/v1/objectives/{objective['id']}"
    steps = [
        (datetime(2026, 5, 6, 9, tzinfo=UTC), {"key_result_id": demos, "value": 8,
                                               "confidence": "on_track"}),
        (datetime(2026, 5, 7, 9, tzinfo=UTC), {"key_result_id": clicks,
                                               "confidence": "at_risk"}),
        (datetime(2026, 5, 8, 9, tzinfo=UTC), {"key_result_id": demos,
                                               "confidence": "off_track", "note": "No value"}),
        (datetime(2026, 5, 9, 9, tzinfo=UTC), {"confidence": "at_risk", "note": "Overall"}),
    ]
    ids = []
    for when, body in steps:
        with time_machine.travel(when, tick=False):
            response = await api.client.post(f"{url}/check-ins", headers=manager, json=body)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
    with time_machine.travel(datetime(2026, 5, 10, 9, tzinfo=UTC), tick=False):
        read = (await api.client.get(url, headers=advocate)).json()
    manual, live = read["key_results"]
    # The latest check-in with a value: 8, from 4 towards 20 → a quarter of the way.
    assert (manual["current"], manual["progress"], manual["confidence"]) == (8, 0.25,
                                                                              "off_track")
    assert manual["history"] == [{"week_start": "2026-05-04", "value": 8}]
    assert (live["confidence"], live["current"]) == ("at_risk", 0)
    assert read["latest_check_in"]["id"] == ids[3]
    assert read["latest_check_in"]["note"] == "Overall"
    # Any signed-in user lists them, newest first, a page at a time.
    first = (await api.client.get(f"{url}/check-ins?limit=3", headers=advocate)).json()
    assert [c["id"] for c in first["items"]] == ids[:0:-1]
    rest = (await api.client.get(f"{url}/check-ins?limit=3&cursor={first['next_cursor']}",
                                 headers=advocate)).json()
    assert [c["id"] for c in rest["items"]] == ids[:1] and rest["next_cursor"] is None
