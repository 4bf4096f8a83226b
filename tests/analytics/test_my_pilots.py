"""An advocate finds the pilots she is enrolled in (CONTRACT §3 `GET /me/pilots`) and the
program's objectives (readable by every signed-in user)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.builders import Api, Role


async def test_my_pilots_through_groups_and_lists_with_this_weeks_feedback(api: Api) -> None:
    manager = await api.headers(Role.manager)
    me, headers = await api.user()
    sales = (await api.client.post("/api/v1/groups", headers=manager,
                                   json={"name": "Sales"})).json()
    _, admin = await api.user(Role.admin)
    await api.client.patch(f"/api/v1/users/{me.id}", headers=admin,
                           json={"group_ids": [sales["id"]]})
    via_group = (await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Sales pilot", "starts_on": "2026-03-02", "ends_on": "2026-04-26",
        "group_ids": [sales["id"]]})).json()
    listed = (await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Early pilot", "starts_on": "2026-02-02", "ends_on": "2026-03-29",
        "user_ids": [me.id]})).json()
    await api.client.post("/api/v1/pilots", headers=manager, json={
        "name": "Not mine", "starts_on": "2026-03-02", "ends_on": "2026-03-29"})
    wednesday = datetime(2026, 3, 11, 10, tzinfo=UTC)
    with time_machine.travel(wednesday, tick=False):
        mine = await api.client.get("/api/v1/me/pilots", headers=headers)
        assert mine.status_code == 200
        assert mine.json() == {"next_cursor": None, "items": [
            {"id": listed["id"], "name": "Early pilot", "starts_on": "2026-02-02",
             "ends_on": "2026-03-29", "feedback_given_this_week": False},
            {"id": via_group["id"], "name": "Sales pilot", "starts_on": "2026-03-02",
             "ends_on": "2026-04-26", "feedback_given_this_week": False}]}
        assert (await api.client.post(f"/api/v1/pilots/{via_group['id']}/feedback",
                                      headers=headers, json={"score": 8})).status_code == 201
        items = (await api.client.get("/api/v1/me/pilots", headers=headers)).json()["items"]
        assert [i["feedback_given_this_week"] for i in items] == [False, True]
    with time_machine.travel(wednesday + timedelta(days=5), tick=False):  # next Monday
        items = (await api.client.get("/api/v1/me/pilots", headers=headers)).json()["items"]
        assert [i["feedback_given_this_week"] for i in items] == [False, False]
    _, stranger = await api.user()
    assert (await api.client.get("/api/v1/me/pilots", headers=stranger)).json()["items"] == []
    assert (await api.client.get("/api/v1/me/pilots")).status_code == 401


async def test_every_signed_in_user_reads_objectives_but_only_managers_write(api: Api) -> None:
    manager = await api.headers(Role.manager)
    created = await api.client.post("/api/v1/objectives", headers=manager, json={
        "title": "Grow reach", "starts_on": "2026-01-01", "ends_on": "2026-03-31",
        "key_results": [{"title": "Shares", "metric": "shares", "target": 100}]})
    assert created.status_code == 201
    advocate = await api.headers(Role.advocate)
    listed = await api.client.get("/api/v1/objectives", headers=advocate)
    assert listed.status_code == 200
    assert [o["title"] for o in listed.json()["items"]] == ["Grow reach"]
    one = await api.client.get(f"/api/v1/objectives/{created.json()['id']}", headers=advocate)
    assert one.status_code == 200 and one.json()["key_results"][0]["metric"] == "shares"
    assert (await api.client.patch(f"/api/v1/objectives/{created.json()['id']}",
                                   headers=advocate, json={"title": "Mine"})).status_code == 403
    assert (await api.client.get("/api/v1/objectives")).status_code == 401
