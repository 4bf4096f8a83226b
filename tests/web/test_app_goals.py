"""/app/goals on a phone: the organisation's objectives, read only, with a manual key result's
checked-in values, its latest confidence and its week-by-week trend."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import time_machine
from sqlalchemy import select

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, KeyResultKind, ObjectiveCreate
from app.models import CheckIn, KeyResult, Objective
from app.models.enums import Role
from tests.builders import Api
from tests.web.pages import browser_of

NOW = datetime(2026, 3, 20, 12, 0)  # a Friday within the objective: nothing is scored yet


async def with_manual_key_result(api: Api) -> tuple[str, str]:
    """An objective with a manual key result (no metric), checked in twice a week apart."""
    async with api.db.transaction() as session:
        objective = await okr_service.create(session, data=ObjectiveCreate(
            title="Book demos", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31),
            key_results=[KeyResultIn(title="Demos booked", kind=KeyResultKind.manual,
                                     unit="demos", baseline=Decimal(0), target=Decimal(10))]))
        [kr] = await session.scalars(select(KeyResult))
        for day, value, confidence in ((4, "3", "on_track"), (11, "4.5", "at_risk")):
            session.add(CheckIn(objective_id=objective.id, key_result_id=kr.id, value=value,
                                confidence=confidence,
                                created_at=datetime(2026, 3, day, 12, 0, tzinfo=UTC)))
    return objective.id, kr.id


async def test_a_manual_key_result_reads_its_values_and_trend(api: Api) -> None:
    objective_id, kr_id = await with_manual_key_result(api)
    await browser_of(api)
    with time_machine.travel(NOW, tick=False):
        response = await api.client.get("/app/goals")
    assert response.status_code == 200  # it used to crash on a key result without a metric
    html = response.text
    assert "Book demos" in html and "4.5 of 10" in html
    assert re.search(rf'<progress id="kr-{kr_id}" max="1" value="0\.45">45\.0%</progress>',
                     html)
    assert '<span class="badge badge--warning">At risk</span>' in html
    trend = re.search(rf'<figure class="chart chart-line" id="kr-{kr_id}-trend">.*?</figure>',
                      html, re.S)
    assert trend, "no weekly trend"
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>\s*<td>(.*?)</td></tr>",
                      trend.group(0), re.S)
    assert rows == [("2 Mar", "3"), ("9 Mar", "4.5")]
    # Advocates read: no editor, no check-in form.
    main = html.split("<main", 1)[1]
    assert "check-ins" not in main and 'method="post"' not in main.split("</main>")[0]
    async with api.db.transaction() as session:
        assert await session.get(Objective, objective_id) is not None


async def test_thai(api: Api) -> None:
    await with_manual_key_result(api)
    await browser_of(api)
    with time_machine.travel(NOW, tick=False):
        html = (await api.client.get("/app/goals",
                                     headers={"Accept-Language": "th"})).text
    assert '<html lang="th">' in html and "At risk" not in html and "Week by week" not in html


async def test_a_visitor_gets_the_login_form(api: Api) -> None:
    await with_manual_key_result(api)
    response = await api.client.get("/app/goals")
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert "Book demos" not in response.text


async def test_every_role_reads_them(api: Api) -> None:
    await with_manual_key_result(api)
    for role in (Role.marketer, Role.manager):
        await browser_of(api, role)
        with time_machine.travel(NOW, tick=False):
            response = await api.client.get("/app/goals")
        assert response.status_code == 200 and "Demos booked" in response.text
