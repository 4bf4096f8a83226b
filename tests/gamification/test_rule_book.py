"""The point rules keep every version with the instant it took effect (CONTRACT §4, §5)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.gamification.rules import PointRules, RuleBook
from app.models import AppSetting
from tests.builders import Api, Role

T1 = datetime(2026, 5, 4, 10, tzinfo=UTC)
T2 = datetime(2026, 5, 6, 10, tzinfo=UTC)


def test_an_event_earns_the_rules_in_force_at_its_own_time() -> None:
    book = RuleBook(((T1, PointRules(share_created=4)), (T2, PointRules(share_created=7))))
    assert book.at(datetime(2026, 5, 4, 9, 59, 59, 999999, tzinfo=UTC)).share_created == 10
    assert book.at(T1).share_created == 4
    assert book.at(datetime(2026, 5, 6, 9, 59, tzinfo=UTC)).share_created == 4
    assert book.at(T2).share_created == 7
    assert RuleBook().at(T2) == PointRules()


def test_rules_stored_before_versions_were_kept_hold_since_the_beginning() -> None:
    book = RuleBook.from_stored({**PointRules().model_dump(), "unique_click": 3})
    assert book.at(datetime(2000, 1, 1, tzinfo=UTC)).unique_click == 3
    assert RuleBook.from_stored(None).at(T1) == PointRules()
    again = RuleBook.from_stored(RuleBook(((T1, PointRules(unique_click=5)),)).stored())
    assert again.versions == ((T1, PointRules(unique_click=5)),)


async def test_each_change_is_kept_with_its_time_and_get_shows_the_rules_now(api: Api) -> None:
    admin = await api.headers(Role.admin)
    for when, points in ((T1, 4), (T2, 7)):
        with time_machine.travel(when, tick=False):
            body = {**PointRules().model_dump(), "share_created": points}
            answer = await api.client.put("/api/v1/settings/points", headers=admin, json=body)
            assert answer.status_code == 200, answer.text
    with time_machine.travel(T2, tick=False):
        shown = await api.client.get("/api/v1/settings/points", headers=admin)
    assert shown.json()["share_created"] == 7
    async with api.db.transaction() as session:
        stored = await session.scalar(select(AppSetting.value).where(AppSetting.key == "points"))
    assert [(v["since"], v["rules"]["share_created"]) for v in stored["versions"]] == [
        ("2026-05-04T10:00:00+00:00", 4), ("2026-05-06T10:00:00+00:00", 7)]
