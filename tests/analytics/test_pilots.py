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
