"""/dashboard/objectives: the OKR editor, check-ins, and each key result's progress, latest
confidence and weekly trend; the pilot page's objectives with their trend and confidence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, KeyResultKind, ObjectiveCreate
from app.models import CheckIn, KeyResult, KeyResultSample, Objective
from tests.analytics.scenario import build
from tests.builders import Api, Role
from tests.web.pages import browser_of, csrf_of
from tests.web.test_dashboard_pilot import section, text_of

PATH = "/dashboard/objectives"
# Mid-objective: 2026-03-20 is a Friday, so nothing is scored while the tests look.
NOW = datetime(2026, 3, 20, 12, 0)


async def opened(api: Api, role: Role = Role.manager) -> str:
    await browser_of(api, role)
    response = await api.client.get(PATH)
    assert response.status_code == 200, response.text
    return response.text


async def counts(api: Api) -> tuple[int, int, int]:
    async with api.db.transaction() as session:
        return tuple([int(await session.scalar(select(func.count()).select_from(model)) or 0)
                      for model in (Objective, KeyResult, CheckIn)])  # type: ignore[return-value]


async def objective(api: Api, *, title: str = "Grow", pilot_id: str | None = None,
                    key_results: list[KeyResultIn] | None = None) -> str:
    async with api.db.transaction() as session:
        created = await okr_service.create(session, data=ObjectiveCreate(
            title=title, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31),
            pilot_id=pilot_id, key_results=key_results or [
                KeyResultIn(title="Demos booked", kind=KeyResultKind.manual, unit="demos",
                            target=Decimal(10))]))
    return created.id


def card(html: str, objective_id: str) -> str:
    match = re.search(rf'<article class="card dash-objective" id="objective-{objective_id}".*?'
                      r"</article>", html, re.S)
    assert match, objective_id
    return match.group(0)


EDITOR = {"title": "Make sharing a habit", "starts_on": "2026-03-01", "ends_on": "2026-03-31",
          "kr-0-title": "Half the company shares", "kr-0-kind": "kpi",
          "kr-0-metric": "participation_rate", "kr-0-target": "0.5",
          "kr-1-title": "Demos booked", "kr-1-kind": "manual", "kr-1-unit": "demos",
          "kr-1-baseline": "2", "kr-1-target": "12", "kr-1-due_on": "2026-03-20"}


# Who may look


async def test_visitor_gets_the_login_form(api: Api) -> None:
    await objective(api)
    response = await api.client.get(PATH)
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert "Demos booked" not in response.text


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_other_roles_get_403_and_no_data(api: Api, role: Role) -> None:
    objective_id = await objective(api)
    await browser_of(api, role)
    response = await api.client.get(PATH)
    assert response.status_code == 403 and "Demos booked" not in response.text
    token = csrf_of((await api.client.get("/app")).text)
    for path, data in ((PATH, EDITOR),
                       (f"{PATH}/{objective_id}/check-ins", {"confidence": "at_risk"})):
        refused = await api.client.post(path, data={**data, "csrf_token": token})
        assert refused.status_code == 403, path
    assert await counts(api) == (1, 1, 0)


async def test_a_manager_opens_it_with_no_objective(api: Api) -> None:
    html = await opened(api)
    assert "No objective yet: set the first one below." in html
    assert '<form class="form" method="post" action="/dashboard/objectives"' in html


# The editor


async def test_creating_an_objective_with_both_kinds_of_key_results(api: Api) -> None:
    world = await build(api.db)
    html = await opened(api)
    response = await api.client.post(PATH, data={**EDITOR, "pilot_id": world.pilot_id,
                                                 "csrf_token": csrf_of(html)})
    assert response.status_code == 303
    async with api.db.transaction() as session:
        [stored] = await session.scalars(select(Objective))
        krs = list(await session.scalars(select(KeyResult).order_by(KeyResult.position)))
    assert response.headers["location"] == f"{PATH}#objective-{stored.id}"
    assert (stored.title, stored.pilot_id) == ("Make sharing a habit", world.pilot_id)
    assert stored.owner_id is not None  # the manager, by default
    assert [(k.kind, k.metric, k.unit, Decimal(k.baseline), Decimal(k.target), k.due_on)
            for k in krs] == [
        ("kpi", "participation_rate", None, Decimal(0), Decimal("0.5"), None),
        ("manual", None, "demos", Decimal(2), Decimal(12), date(2026, 3, 20))]
    with time_machine.travel(NOW, tick=False):
        shown = card((await api.client.get(PATH)).text, stored.id)
    words = text_of(shown)
    assert "Pilot: Spring" in words
    # The pilot's cohort over March: its three enrolled advocates all shared (a3's share of
    # 03-18 falls in these dates, not in the pilot's), against a target of 50%.
    assert "Half the company shares 100% 100% 100% of 50%" in words
    assert "Demos booked no data Checked in by hand, in demos Due Mar 20, 2026" in words
    # Two key results: the console's warning.
    assert ("Only 2 key results: 3 to 5 are recommended, so that no single number stands "
            "for the objective.") in words


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"title": ""}, "title", "Give the objective a title."),
    ({"starts_on": "2026-04-01"}, "ends_on", "The last day cannot be before the first day."),
    ({"starts_on": "1st March"}, "starts_on", "Enter a date as year-month-day"),
    ({"kr-0-metric": ""}, "kr-0-metric", "Pick the KPI this key result follows."),
    ({"kr-0-metric": "roi"}, "kr-0-metric", "Pick the KPI this key result follows."),
    ({"kr-1-target": "twelve"}, "kr-1-target", "Enter a number, such as 12 or 0.35."),
    ({"kr-1-target": ""}, "kr-1-target", "Give the value to reach."),
    ({"kr-1-due_on": "2026-04-02"}, "kr-1-due_on", "Pick a day within the objective's dates."),
    ({"kr-0-title": ""}, "kr-0-title", "Give the key result a title."),
    ({"owner_id": "nobody"}, "owner_id", "Pick an owner from the list."),
    ({"pilot_id": "nowhere"}, "pilot_id", "Pick a pilot from the list."),
])
async def test_a_mistake_comes_back_next_to_its_field_and_creates_nothing(
        api: Api, fields: dict[str, str], field: str, message: str) -> None:
    html = await opened(api)
    data = {**EDITOR, **fields, "csrf_token": csrf_of(html)}
    response = await api.client.post(PATH, data=data)
    assert response.status_code == 422
    page = response.text
    assert "The objective was not created: fix what is marked below." in page
    error = re.search(rf'<p id="objective-{field}-error" class="field__error">(.*?)</p>',
                      page, re.S)
    assert error and message in error.group(1)
    assert f'aria-describedby="objective-{field}-error"' in page or \
        f'objective-{field}-error"' in page
    # What was typed is still there.
    assert 'value="demos"' in page and 'value="2026-03-31"' in page
    if "kr-0-title" not in fields:
        assert 'value="Half the company shares"' in page
    if fields.get("kr-1-target"):
        assert f'value="{fields["kr-1-target"]}"' in page
    assert await counts(api) == (0, 0, 0)


async def test_no_key_result_at_all(api: Api) -> None:
    html = await opened(api)
    data = {k: v for k, v in EDITOR.items() if not k.startswith("kr-")}
    response = await api.client.post(PATH, data={**data, "csrf_token": csrf_of(html)})
    assert response.status_code == 422 and "Give at least one key result." in response.text
    assert await counts(api) == (0, 0, 0)


async def test_the_editor_refuses_a_form_without_the_token(api: Api) -> None:
    await opened(api)
    assert (await api.client.post(PATH, data=EDITOR)).status_code == 403
    assert await counts(api) == (0, 0, 0)


# Check-ins, confidence and trends


async def test_a_check_in_records_a_value_and_a_confidence(api: Api) -> None:
    objective_id = await objective(api)
    html = await opened(api)
    async with api.db.transaction() as session:
        [kr] = await session.scalars(select(KeyResult))
    path = f"{PATH}/{objective_id}/check-ins"
    token = csrf_of(html)
    with time_machine.travel(datetime(2026, 3, 4, 12, 0), tick=False):
        first = await api.client.post(path, data={
            "csrf_token": token, "key_result_id": kr.id, "confidence": "on_track",
            "value": "3"})
    assert first.status_code == 303
    assert first.headers["location"] == f"{PATH}#objective-{objective_id}"
    with time_machine.travel(datetime(2026, 3, 11, 12, 0), tick=False):
        second = await api.client.post(path, data={
            "csrf_token": token, "key_result_id": kr.id, "confidence": "at_risk",
            "value": "4.5", "note": "Two <b>demos</b> slipped"})
    assert second.status_code == 303
    with time_machine.travel(NOW, tick=False):
        shown = card((await api.client.get(PATH)).text, objective_id)
    words = text_of(shown)
    # 4.5 of 10 from 0: 45%.
    assert "Demos booked 45% 45% 4.5 of 10" in words
    assert "Latest confidence: At risk" in words
    assert "Two &lt;b&gt;demos&lt;/b&gt; slipped" in shown
    trend = re.search(rf'<figure class="chart chart-line" id="kr-{kr.id}-trend">.*?</figure>',
                      shown, re.S)
    assert trend, "no weekly trend"
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>\s*<td>(.*?)</td></tr>",
                      trend.group(0), re.S)
    assert rows == [("2 Mar", "3"), ("9 Mar", "4.5")]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"confidence": ""}, "confidence", "Pick how confident you are."),
    ({"confidence": "sure"}, "confidence", "Pick how confident you are."),
    ({"value": "lots"}, "value", "Enter a number, such as 12 or 0.35."),
    ({"key_result_id": "", "value": "3"}, "value", "Only a key result checked in by hand"),
    ({"key_result_id": "elsewhere"}, "key_result_id", "Pick a key result of this objective."),
])
async def test_a_check_in_mistake_comes_back_and_records_nothing(
        api: Api, fields: dict[str, str], field: str, message: str) -> None:
    objective_id = await objective(api)
    html = await opened(api)
    async with api.db.transaction() as session:
        [kr] = await session.scalars(select(KeyResult))
    data = {"csrf_token": csrf_of(html), "key_result_id": kr.id, "confidence": "on_track",
            "value": "3", "note": "kept note", **fields}
    response = await api.client.post(f"{PATH}/{objective_id}/check-ins", data=data)
    assert response.status_code == 422
    shown = card(response.text, objective_id)
    assert '<details class="dash-check-in" open>' in shown
    error = re.search(rf'<p id="check-in-{objective_id}-{field}-error" '
                      r'class="field__error">(.*?)</p>', shown, re.S)
    assert error and message in error.group(1)
    assert ">kept note</textarea>" in shown
    assert await counts(api) == (1, 1, 0)


async def test_a_kpi_key_result_takes_no_value(api: Api) -> None:
    objective_id = await objective(api, key_results=[
        KeyResultIn(title="Clicks", metric="clicks", target=Decimal(10))])
    html = await opened(api)
    async with api.db.transaction() as session:
        [kr] = await session.scalars(select(KeyResult))
    response = await api.client.post(f"{PATH}/{objective_id}/check-ins", data={
        "csrf_token": csrf_of(html), "key_result_id": kr.id, "confidence": "on_track",
        "value": "3"})
    assert response.status_code == 422 and "Only a key result checked in by hand" in \
        response.text
    assert await counts(api) == (1, 1, 0)


async def test_a_check_in_on_an_unknown_objective_is_404(api: Api) -> None:
    html = await opened(api)
    response = await api.client.post(f"{PATH}/nope/check-ins", data={
        "csrf_token": csrf_of(html), "confidence": "on_track"})
    assert response.status_code == 404


async def test_the_pilot_page_shows_trends_and_confidence(api: Api) -> None:
    world = await build(api.db)
    objective_id = await objective(api, pilot_id=world.pilot_id, key_results=[
        KeyResultIn(title="Clicks", metric="clicks", target=Decimal(10))])
    async with api.db.transaction() as session:
        [kr] = await session.scalars(select(KeyResult))
        session.add_all([KeyResultSample(key_result_id=kr.id, sampled_on=day, value=value)
                         for day, value in ((date(2026, 3, 3), "1"), (date(2026, 3, 5), "4"),
                                            (date(2026, 3, 10), "5"))])
        session.add(CheckIn(objective_id=objective_id, key_result_id=kr.id,
                            confidence="off_track"))
    await browser_of(api, Role.manager)
    html = section((await api.client.get(f"/dashboard/pilots/{world.pilot_id}")).text,
                   "objectives")
    words = text_of(html)
    assert "Latest confidence: Off track" in words
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>\s*<td>(.*?)</td></tr>", html, re.S)
    assert rows == [("2 Mar", "4"), ("9 Mar", "5")]  # each week's last sample
    assert 'href="/dashboard/objectives"' in html


# Editing and deleting


@pytest.fixture
def midway() -> Iterator[None]:
    """Mid-objective, so that looking at it does not score it."""
    with time_machine.travel(NOW, tick=False):
        yield


async def key_results(api: Api) -> list[KeyResult]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(KeyResult).order_by(KeyResult.position)))


async def two_key_results(api: Api) -> tuple[str, KeyResult, KeyResult]:
    """An objective with a manual key result (checked in once) and a KPI one."""
    objective_id = await objective(api, key_results=[
        KeyResultIn(title="Demos booked", kind=KeyResultKind.manual, unit="demos",
                    target=Decimal(10)),
        KeyResultIn(title="Clicks", metric="clicks", baseline=Decimal(5),
                    target=Decimal("40.5"), due_on=date(2026, 3, 25))])
    demos, clicks = await key_results(api)
    async with api.db.transaction() as session:
        session.add(CheckIn(objective_id=objective_id, key_result_id=demos.id, value="4",
                            confidence="on_track"))
    return objective_id, demos, clicks


def edited(demos_id: str, token: str, **fields: str) -> dict[str, str]:
    """The editor as a manager sends it: the demos key result kept (reworded, a new target),
    the clicks one emptied out, and a new KPI one."""
    return {"csrf_token": token, "title": "Grow faster", "starts_on": "2026-03-01",
            "ends_on": "2026-04-15",
            "kr-0-id": demos_id, "kr-0-title": "Demos held", "kr-0-kind": "manual",
            "kr-0-unit": "demos", "kr-0-baseline": "0", "kr-0-target": "15",
            "kr-1-title": "Half the company shares", "kr-1-kind": "kpi",
            "kr-1-metric": "participation_rate", "kr-1-target": "0.5",
            "kr-1-due_on": "2026-04-10", **fields}


async def test_each_card_links_to_its_editor(api: Api, midway: None) -> None:
    objective_id = await objective(api)
    shown = card(await opened(api), objective_id)
    assert f'href="/dashboard/objectives/{objective_id}/edit"' in shown


async def test_the_editor_is_filled_with_the_objective(api: Api, midway: None) -> None:
    world = await build(api.db)
    objective_id, demos, clicks = await two_key_results(api)
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective_id)
        assert stored
        stored.pilot_id = world.pilot_id
    await browser_of(api, Role.manager)
    response = await api.client.get(f"{PATH}/{objective_id}/edit")
    assert response.status_code == 200
    page = response.text
    assert f'action="{PATH}/{objective_id}"' in page
    assert f'action="{PATH}/{objective_id}/delete"' in page
    assert 'id="objective-title" name="title" type="text" maxlength="300" required ' \
           'value="Grow"' in page
    assert 'value="2026-03-01"' in page and 'value="2026-03-31"' in page
    assert f'<option value="{world.pilot_id}" selected>' in page
    assert f'<input type="hidden" name="kr-0-id" value="{demos.id}">' in page
    assert f'<input type="hidden" name="kr-1-id" value="{clicks.id}">' in page
    assert 'name="kr-2-id"' not in page
    assert '<option value="manual" selected>' in page
    assert '<option value="clicks" selected>' in page
    assert 'name="kr-0-unit" type="text" maxlength="32" value="demos"' in page
    assert 'name="kr-0-target" type="text" inputmode="decimal" value="10"' in page
    assert 'name="kr-1-baseline" type="text" inputmode="decimal" placeholder="0" ' \
           'value="5"' in page
    assert 'name="kr-1-target" type="text" inputmode="decimal" value="40.5"' in page
    assert 'value="2026-03-25"' in page
    # It has no owner: the choice keeps it so rather than picking the first person.
    assert '<option value="" selected>Keep the current owner</option>' in page


async def test_an_edit_changes_what_the_api_returns_and_keeps_check_ins(
        api: Api, midway: None) -> None:
    objective_id, demos, clicks = await two_key_results(api)
    path = f"{PATH}/{objective_id}"
    owner, _ = await api.user(Role.manager, name="Ploy")
    token = csrf_of(await opened(api))
    response = await api.client.post(path, data=edited(demos.id, token, owner_id=owner.id))
    assert response.status_code == 303
    assert response.headers["location"] == f"{PATH}#objective-{objective_id}"
    manager = await api.headers(Role.manager)
    read = (await api.client.get(f"/api/v1/objectives/{objective_id}",
                                 headers=manager)).json()
    assert (read["title"], read["starts_on"], read["ends_on"]) == (
        "Grow faster", "2026-03-01", "2026-04-15")
    assert read["owner_id"] == owner.id
    assert [(k["title"], k["kind"], k["metric"], k["unit"], k["baseline"], k["target"],
             k["due_on"]) for k in read["key_results"]] == [
        ("Demos held", "manual", None, "demos", 0, 15, "2026-04-15"),
        ("Half the company shares", "kpi", "participation_rate", None, 0, 0.5, "2026-04-10")]
    kept, new = read["key_results"]
    assert kept["id"] == demos.id and new["id"] not in (demos.id, clicks.id)
    # The kept key result's check-in stays: 4 of 15 from 0.
    assert kept["current"] == 4
    async with api.db.transaction() as session:
        check_ins = list(await session.scalars(select(CheckIn)))
    assert [(c.key_result_id, c.value) for c in check_ins] == [(demos.id, "4")]
    assert await counts(api) == (1, 2, 1)
    # The list shows the new wording.
    words = text_of(card((await api.client.get(PATH)).text, objective_id))
    assert "Grow faster" in words and "Demos held" in words and "Clicks" not in words


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"title": ""}, "title", "Give the objective a title."),
    ({"ends_on": "2026-02-01"}, "ends_on", "The last day cannot be before the first day."),
    ({"kr-0-target": "fifteen"}, "kr-0-target", "Enter a number, such as 12 or 0.35."),
    ({"kr-1-due_on": "2026-05-01"}, "kr-1-due_on", "Pick a day within the objective's dates."),
    ({"kr-1-metric": "roi"}, "kr-1-metric", "Pick the KPI this key result follows."),
    ({"owner_id": "nobody"}, "owner_id", "Pick an owner from the list."),
    ({"kr-0-id": "someone-elses"}, "form", "A key result of this objective was removed"),
])
async def test_an_edit_mistake_comes_back_next_to_its_field_and_changes_nothing(
        api: Api, midway: None, fields: dict[str, str], field: str, message: str) -> None:
    objective_id, demos, clicks = await two_key_results(api)
    token = csrf_of(await opened(api))
    response = await api.client.post(f"{PATH}/{objective_id}",
                                     data=edited(demos.id, token, **fields))
    assert response.status_code == 422
    page = response.text
    assert "The objective was not saved: fix what is marked below." in page
    error = re.search(rf'<p id="objective-{field}-error" class="field__error">(.*?)</p>',
                      page, re.S)
    assert error and message in error.group(1)
    # What was typed is still there, the kept key result's id with it.
    assert 'value="2026-04-15"' in page or fields.get("ends_on") == "2026-02-01"
    assert 'value="Demos held"' in page and 'value="Half the company shares"' in page
    assert f'action="{PATH}/{objective_id}"' in page
    if "kr-0-id" not in fields:
        assert f'<input type="hidden" name="kr-0-id" value="{demos.id}">' in page
    for name, value in fields.items():
        if value and name not in ("owner_id", "kr-1-metric", "kr-0-id"):
            assert f'value="{value}"' in page, name
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective_id)
        assert stored and (stored.title, stored.ends_on) == ("Grow", date(2026, 3, 31))
    assert [(k.id, k.title, k.target) for k in await key_results(api)] == [
        (demos.id, "Demos booked", "10"), (clicks.id, "Clicks", "40.5")]
    assert await counts(api) == (1, 2, 1)


async def scored(api: Api, objective_id: str) -> None:
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective_id)
        assert stored
        stored.score, stored.scored_at = 0.4, datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


async def test_a_scored_objective_refuses_new_dates_and_keeps_what_was_typed(
        api: Api, midway: None) -> None:
    objective_id, demos, clicks = await two_key_results(api)
    await scored(api, objective_id)
    token = csrf_of(await opened(api))
    response = await api.client.post(f"{PATH}/{objective_id}", data={
        "csrf_token": token, "title": "Grow", "starts_on": "2026-03-01",
        "ends_on": "2026-04-30",
        "kr-0-id": demos.id, "kr-0-title": "Demos booked", "kr-0-kind": "manual",
        "kr-0-unit": "demos", "kr-0-target": "10",
        "kr-1-id": clicks.id, "kr-1-title": "Clicks", "kr-1-kind": "kpi",
        "kr-1-metric": "clicks", "kr-1-baseline": "5", "kr-1-target": "40.5",
        "kr-1-due_on": "2026-03-25"})
    assert response.status_code == 409
    page = response.text
    error = re.search(r'<p id="objective-form-error" class="field__error">(.*?)</p>', page,
                      re.S)
    assert error and "This objective has ended and been scored" in error.group(1)
    assert 'value="2026-04-30"' in page
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective_id)
        assert stored and stored.ends_on == date(2026, 3, 31)


async def test_a_scored_objective_takes_new_titles_and_units(api: Api, midway: None) -> None:
    objective_id, demos, clicks = await two_key_results(api)
    await scored(api, objective_id)
    await browser_of(api, Role.manager)
    page = (await api.client.get(f"{PATH}/{objective_id}/edit")).text
    assert "This objective has ended and been scored" in page
    # The editor as it came, with new wording only.
    response = await api.client.post(f"{PATH}/{objective_id}", data={
        "csrf_token": csrf_of(page), "title": "Grew", "starts_on": "2026-03-01",
        "ends_on": "2026-03-31",
        "kr-0-id": demos.id, "kr-0-title": "Demos held", "kr-0-kind": "manual",
        "kr-0-unit": "meetings", "kr-0-baseline": "0", "kr-0-target": "10",
        "kr-1-id": clicks.id, "kr-1-title": "Clicks", "kr-1-kind": "kpi",
        "kr-1-metric": "clicks", "kr-1-baseline": "5", "kr-1-target": "40.5",
        "kr-1-due_on": "2026-03-25"})
    assert response.status_code == 303
    assert [(k.id, k.title, k.unit) for k in await key_results(api)] == [
        (demos.id, "Demos held", "meetings"), (clicks.id, "Clicks", None)]
    async with api.db.transaction() as session:
        stored = await session.get(Objective, objective_id)
        assert stored and (stored.title, stored.score) == ("Grew", 0.4)


async def test_deleting_needs_the_box_ticked_then_removes_it(api: Api, midway: None) -> None:
    objective_id, _demos, _clicks = await two_key_results(api)
    kept = await objective(api, title="Keep me")
    token = csrf_of(await opened(api))
    path = f"{PATH}/{objective_id}/delete"
    unconfirmed = await api.client.post(path, data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    error = re.search(r'<p id="delete-confirm-error" class="field__error">(.*?)</p>',
                      unconfirmed.text, re.S)
    assert error and "Tick the box to confirm" in error.group(1)
    assert await counts(api) == (2, 3, 1)
    response = await api.client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303 and response.headers["location"] == PATH
    assert await counts(api) == (1, 1, 0)
    manager = await api.headers(Role.manager)
    assert (await api.client.get(f"/api/v1/objectives/{objective_id}",
                                 headers=manager)).status_code == 404
    assert (await api.client.get(f"/api/v1/objectives/{kept}",
                                 headers=manager)).status_code == 200


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_other_roles_cannot_edit_or_delete(api: Api, midway: None, role: Role) -> None:
    objective_id, demos, _clicks = await two_key_results(api)
    await browser_of(api, role)
    response = await api.client.get(f"{PATH}/{objective_id}/edit")
    assert response.status_code == 403 and "Demos booked" not in response.text
    token = csrf_of((await api.client.get("/app")).text)
    for path, data in ((f"{PATH}/{objective_id}", edited(demos.id, token)),
                       (f"{PATH}/{objective_id}/delete", {"csrf_token": token,
                                                          "confirm": "yes"})):
        assert (await api.client.post(path, data=data)).status_code == 403, path
    assert [k.title for k in await key_results(api)] == ["Demos booked", "Clicks"]
    assert await counts(api) == (1, 2, 1)


async def test_edit_and_delete_refuse_a_form_without_the_token(api: Api, midway: None) -> None:
    objective_id, demos, _clicks = await two_key_results(api)
    await opened(api)
    data = {k: v for k, v in edited(demos.id, "").items() if k != "csrf_token"}
    assert (await api.client.post(f"{PATH}/{objective_id}", data=data)).status_code == 403
    assert (await api.client.post(f"{PATH}/{objective_id}/delete",
                                  data={"confirm": "yes"})).status_code == 403
    assert [k.title for k in await key_results(api)] == ["Demos booked", "Clicks"]
    assert await counts(api) == (1, 2, 1)


async def test_an_unknown_objective_is_404(api: Api, midway: None) -> None:
    token = csrf_of(await opened(api))
    assert (await api.client.get(f"{PATH}/nope/edit")).status_code == 404
    assert (await api.client.post(f"{PATH}/nope", data=edited("x", token))).status_code == 404
    assert (await api.client.post(f"{PATH}/nope/delete", data={
        "csrf_token": token, "confirm": "yes"})).status_code == 404
