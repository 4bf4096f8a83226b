"""Pilots and weekly feedback (CONTRACT §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from app.auth import groups as groups_service
from tests.builders import Api, Role, make_user


async def test_a_pilot_has_a_cohort_and_warns_when_short(api: Api) -> None:
    manager = await api.headers(Role.manager)
    async with api.db.transaction() as session:
        group = await groups_service.create(session, name="Sales", description=None)
        user = await make_user(session)
    short = await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Quick", "starts_on": "2026-03-02", "ends_on": "2026-03-15",
        "group_ids": [group.id], "user_ids": [user.id]})
    assert short.status_code == 201
    body = short.json()
    assert body["group_ids"] == [group.id] and body["user_ids"] == [user.id]
    assert body["baseline"] is None and "14 days" in body["warnings"][0]
    full = await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Full", "starts_on": "2026-03-02", "ends_on": "2026-03-29",
        "baseline": {"paid_visits": 100, "paid_conversions": 3}})
    assert full.json()["warnings"] == []
    assert full.json()["baseline"] == {"paid_visits": 100, "paid_conversions": 3}
    backwards = await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "No", "starts_on": "2026-03-02", "ends_on": "2026-03-01"})
    assert backwards.status_code == 422
    unknown = await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "No", "starts_on": "2026-03-02", "ends_on": "2026-04-01", "group_ids": ["x"]})
    assert unknown.status_code == 422
    patched = await api.client.patch(f"/api/v1/pilots/{body['id']}", headers=manager,
                                     json={"user_ids": [], "name": "Renamed"})
    assert patched.json()["user_ids"] == [] and patched.json()["name"] == "Renamed"
    listed = (await api.client.get("/api/v1/pilots", headers=manager)).json()
    assert [p["name"] for p in listed["items"]] == ["Full", "Renamed"]


async def test_feedback_once_a_week_from_the_cohort_within_the_dates(api: Api) -> None:
    manager = await api.headers(Role.manager)
    enrolled, enrolled_headers = await api.user()
    _, outsider = await api.user()
    today = datetime(2026, 3, 11, 10, tzinfo=UTC)  # a Wednesday
    pilot = (await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "P", "starts_on": "2026-03-02", "ends_on": "2026-03-29",
        "user_ids": [enrolled.id]})).json()
    url = f"/api/v1/pilots/{pilot['id']}/feedback"
    with time_machine.travel(today, tick=False):
        first = await api.client.post(url, headers=enrolled_headers,
                                      json={"score": 9, "comment": "Great"})
        assert first.status_code == 201
        assert first.json()["week_starts_on"] == "2026-03-09"
        assert (await api.client.post(url, headers=enrolled_headers,
                                      json={"score": 3})).status_code == 409
        assert (await api.client.post(url, headers=outsider,
                                      json={"score": 5})).status_code == 403
        assert (await api.client.post(url, headers=enrolled_headers,
                                      json={"score": 11})).status_code == 422
    with time_machine.travel(today + timedelta(days=5), tick=False):  # next Monday
        assert (await api.client.post(url, headers=enrolled_headers,
                                      json={"score": 7})).status_code == 201
    with time_machine.travel(datetime(2026, 4, 1, tzinfo=UTC), tick=False):
        late = await api.client.post(url, headers=enrolled_headers, json={"score": 7})
        assert late.status_code == 422
    listed = (await api.client.get(url, headers=manager)).json()["items"]
    assert [f["score"] for f in listed] == [7, 9]
    assert (await api.client.get(url, headers=enrolled_headers)).status_code == 403
    assert (await api.client.post("/api/v1/pilots/nope/feedback", headers=enrolled_headers,
                                  json={"score": 5})).status_code == 404
    assert date.fromisoformat(listed[0]["week_starts_on"]).weekday() == 0


async def test_a_pilot_has_an_optional_cost(api: Api) -> None:
    manager = await api.headers(Role.manager)
    dates = {"name": "Costed", "starts_on": "2026-03-02", "ends_on": "2026-03-29"}
    created = await api.client.post("/api/v1/pilots", headers=manager,
                                    json={**dates, "cost": "12500.50"})
    assert created.status_code == 201 and created.json()["cost"] == "12500.50"
    url = f"/api/v1/pilots/{created.json()['id']}"
    assert (await api.client.get(url, headers=manager)).json()["cost"] == "12500.50"
    assert (await api.client.patch(url, headers=manager,
                                   json={"cost": 800})).json()["cost"] == "800"
    unrelated = await api.client.patch(url, headers=manager, json={"name": "Renamed"})
    assert unrelated.json()["cost"] == "800"  # PATCH leaves what it does not name
    bad: object
    for bad in ("-1", "abc", "NaN", "Infinity", "1e30", "0.0000001", True, [], {}):
        response = await api.client.patch(url, headers=manager, json={"cost": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"][-1] == "cost"
        rejected = await api.client.post("/api/v1/pilots", headers=manager,
                                         json={**dates, "cost": bad})
        assert rejected.status_code == 422, bad
    assert (await api.client.get(url, headers=manager)).json()["cost"] == "800"
    cleared = await api.client.patch(url, headers=manager, json={"cost": None})
    assert cleared.status_code == 200 and cleared.json()["cost"] is None
    uncosted = await api.client.post("/api/v1/pilots", headers=manager, json=dates)
    assert uncosted.json()["cost"] is None
    names = [p["name"] for p in (await api.client.get("/api/v1/pilots",
                                                      headers=manager)).json()["items"]]
    assert names.count("Costed") == 1  # the rejected ones were not created
    advocate = await api.headers(Role.advocate)
    forbidden = await api.client.patch(url, headers=advocate, json={"cost": "abc"})
    assert forbidden.status_code == 403
