"""/dashboard: the pilot picker and the "new pilot" form, for managers and admins only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import PilotCreate
from app.auth import groups as groups_service
from app.models import Group, Pilot, pilot_groups
from app.web.dashboard import pilots as pilots_view
from tests.builders import Api, Role, make_user
from tests.web.pages import browser_of, counting_statements, csrf_of

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TODAY = datetime.now(UTC).date()


async def _pilot(api: Api, name: str, starts_on: date, ends_on: date, *,
                 created_at: datetime | None = None, group_ids: list[str] | None = None,
                 user_ids: list[str] | None = None) -> Pilot:
    async with api.db.transaction() as session:
        pilot = await pilots_service.create(session, data=PilotCreate(
            name=name, starts_on=starts_on, ends_on=ends_on, group_ids=group_ids or [],
            user_ids=user_ids or []))
        if created_at is not None:
            pilot.created_at = created_at
    return pilot


async def _group(api: Api, name: str, members: int = 0) -> Group:
    async with api.db.transaction() as session:
        group = await groups_service.create(session, name=name, description=None)
        for _ in range(members):
            await make_user(session, group_ids=[group.id])
    return group


async def _pilots(api: Api) -> list[Pilot]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(Pilot)))


def _rows(html: str) -> list[str]:
    """The list's rows as text, in order."""
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in body.split("</tr>")[:-1]]


# Who may look


async def test_visitor_gets_the_login_form(api: Api) -> None:
    await _pilot(api, "Secret spring pilot", TODAY, TODAY + timedelta(days=30))
    response = await api.client.get("/dashboard")
    assert response.status_code == 200
    assert 'action="/login"' in response.text
    assert 'name="next" value="/dashboard"' in response.text
    assert "Secret spring pilot" not in response.text


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/pilots/new"])
async def test_advocates_and_marketers_get_403_and_no_pilot(api: Api, role: Role,
                                                            path: str) -> None:
    await _pilot(api, "Secret spring pilot", TODAY, TODAY + timedelta(days=30))
    await _group(api, "Secret sales group")
    await browser_of(api, role)
    response = await api.client.get(path)
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    assert "Secret spring pilot" not in response.text
    assert "Secret sales group" not in response.text


@pytest.mark.parametrize("role", [Role.manager, Role.admin])
async def test_managers_and_admins_see_the_empty_state(api: Api, role: Role) -> None:
    await browser_of(api, role)
    response = await api.client.get("/dashboard")
    assert response.status_code == 200
    assert "No pilot yet" in response.text
    assert "at least a month (four weeks)" in response.text
    assert "a short score and a comment every week" in response.text
    assert 'href="/dashboard/pilots/new"' in response.text
    assert "<table" not in response.text


# The list


async def test_pilots_newest_first_with_dates_cohort_and_status(api: Api) -> None:
    sales = await _group(api, "Sales", members=2)
    async with api.db.transaction() as session:
        gone = await make_user(session, group_ids=[sales.id], active=False)
        listed = await make_user(session)
    await _pilot(api, "Ended pilot", TODAY - timedelta(days=60), TODAY - timedelta(days=1),
                 created_at=datetime(2026, 1, 1, tzinfo=UTC), group_ids=[sales.id],
                 user_ids=[listed.id, gone.id])
    await _pilot(api, "Running pilot", TODAY, TODAY + timedelta(days=30),
                 created_at=datetime(2026, 1, 2, tzinfo=UTC), user_ids=[listed.id])
    await _pilot(api, "Upcoming pilot", TODAY + timedelta(days=1), TODAY + timedelta(days=40),
                 created_at=datetime(2026, 1, 3, tzinfo=UTC))
    await browser_of(api, Role.manager)
    response = await api.client.get("/dashboard")
    assert response.status_code == 200
    rows = _rows(response.text)
    assert [row.split(" ")[0] for row in rows] == ["Upcoming", "Running", "Ended"]
    # Sales' two active members and the listed user; the deactivated one is not counted.
    assert rows[2].endswith("3 people Ended")
    assert rows[1].endswith("1 person Running")
    assert rows[0].endswith("0 people Upcoming")
    assert "badge--success" in response.text and "badge--info" in response.text


async def test_a_pilot_reads_its_dates_and_links_to_its_page(api: Api) -> None:
    pilot = await _pilot(api, "Spring", date(2026, 3, 4), date(2026, 3, 31))
    await browser_of(api, Role.manager)
    response = await api.client.get("/dashboard")
    assert f'<a href="/dashboard/pilots/{pilot.id}">Spring</a>' in response.text
    assert "Mar 4, 2026 to Mar 31, 2026" in response.text


async def test_pilot_names_are_escaped(api: Api) -> None:
    await _pilot(api, SCRIPT, TODAY, TODAY + timedelta(days=30))
    await browser_of(api, Role.manager)
    response = await api.client.get("/dashboard")
    assert SCRIPT not in response.text
    assert ESCAPED in response.text


async def test_thai_list(api: Api) -> None:
    await _pilot(api, "Spring", date(2026, 3, 4), date(2026, 3, 31))
    await browser_of(api, Role.manager)
    response = await api.client.get("/dashboard", headers={"Accept-Language": "th"})
    assert response.status_code == 200
    assert "โครงการนำร่อง" in response.text  # "Pilots"
    assert "4 มี.ค. 2026 ถึง 31 มี.ค. 2026" in response.text
    assert "สิ้นสุดแล้ว" in response.text  # "Ended"
    assert "Pick a pilot" not in response.text


async def test_older_pilots_are_a_page_further(api: Api, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setattr(pilots_view, "PAGE_SIZE", 1)
    await _pilot(api, "Older", TODAY, TODAY + timedelta(days=30),
                 created_at=datetime(2026, 1, 1, tzinfo=UTC))
    await _pilot(api, "Newer", TODAY, TODAY + timedelta(days=30),
                 created_at=datetime(2026, 1, 2, tzinfo=UTC))
    await browser_of(api, Role.manager)
    first = await api.client.get("/dashboard")
    assert "Newer" in first.text and ">Older<" not in first.text
    assert "Newest pilots" not in first.text
    older = re.search(r'href="(/dashboard\?cursor=[^"]+)">Older pilots', first.text)
    assert older
    second = await api.client.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert ">Older<" in second.text and "Newer" not in second.text
    assert 'href="/dashboard">Newest pilots' in second.text


async def test_the_list_costs_the_same_queries_for_one_pilot_or_many(api: Api) -> None:
    sales = await _group(api, "Sales", members=3)
    await _pilot(api, "One", TODAY, TODAY + timedelta(days=30), group_ids=[sales.id])
    await browser_of(api, Role.manager)
    await api.client.get("/dashboard")  # warm: the first request reads settings
    with counting_statements(api.db) as one:
        assert (await api.client.get("/dashboard")).status_code == 200
    for n in range(4):
        group = await _group(api, f"Group {n}", members=2)
        await _pilot(api, f"Pilot {n}", TODAY, TODAY + timedelta(days=30),
                     group_ids=[group.id, sales.id])
    with counting_statements(api.db) as five:
        assert (await api.client.get("/dashboard")).status_code == 200
    assert len(five) == len(one)


# The "new pilot" form


def _form(token: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"csrf_token": token, "name": "Autumn pilot",
                              "starts_on": "2026-09-01", "ends_on": "2026-10-12",
                              "group_ids": [], "paid_visits": "", "paid_conversions": ""}
    fields.update(changes)
    return fields


async def test_the_form_lists_the_groups(api: Api) -> None:
    sales = await _group(api, "Sales")
    await _group(api, SCRIPT)
    await browser_of(api, Role.manager)
    response = await api.client.get("/dashboard/pilots/new")
    assert response.status_code == 200
    assert f'name="group_ids" value="{sales.id}"' in response.text
    assert SCRIPT not in response.text and ESCAPED in response.text
    assert 'action="/dashboard/pilots"' in response.text and 'name="csrf_token"' in response.text


async def test_a_valid_form_starts_the_pilot_and_shows_it(api: Api) -> None:
    sales, support = await _group(api, "Sales", members=2), await _group(api, "Support")
    await browser_of(api, Role.manager)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    response = await api.client.post("/dashboard/pilots", data=_form(
        token, name="  Autumn pilot ", group_ids=[sales.id, support.id], paid_visits="5200",
        paid_conversions="62"))
    assert response.status_code == 303
    [pilot] = await _pilots(api)
    assert response.headers["location"] == f"/dashboard/pilots/{pilot.id}"
    assert (pilot.name, pilot.starts_on, pilot.ends_on) == ("Autumn pilot", date(2026, 9, 1),
                                                            date(2026, 10, 12))
    assert (pilot.paid_visits, pilot.paid_conversions) == (5200, 62)
    async with api.db.transaction() as session:
        linked = set(await session.scalars(
            select(pilot_groups.c.group_id).where(pilot_groups.c.pilot_id == pilot.id)))
    assert linked == {sales.id, support.id}
    shown = await api.client.get(response.headers["location"])
    assert shown.status_code == 200 and "Autumn pilot" in shown.text


async def test_the_baseline_is_optional(api: Api) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, Role.admin)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    response = await api.client.post("/dashboard/pilots", data=_form(token,
                                                                     group_ids=[sales.id]))
    assert response.status_code == 303
    [pilot] = await _pilots(api)
    assert (pilot.paid_visits, pilot.paid_conversions) == (None, None)


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "   "}, "Give the pilot a name."),
    ({"name": "x" * 201}, "Use at most 200 letters, digits and signs."),
    ({"name": "bad\x00name"}, "Use at most 200 letters, digits and signs."),
    ({"starts_on": ""}, "Pick the first day."),
    ({"ends_on": "12/10/2026"}, "Enter a date as year-month-day, between 2000 and 2999."),
    ({"starts_on": "1999-12-31"}, "Enter a date as year-month-day, between 2000 and 2999."),
    ({"ends_on": "2026-08-31"}, "The last day cannot be before the first day."),
    ({"ends_on": "2031-09-06"}, "A pilot lasts at most 1830 days."),
    ({"group_ids": []}, "Pick at least one group: the cohort is its members."),
    ({"group_ids": ["no-such-group"]}, "Pick groups from the list."),
    ({"paid_visits": "100"}, "Give both paid numbers, or neither."),
    ({"paid_visits": "1e3", "paid_conversions": "2"}, "Enter a whole number, 0 or more."),
    ({"paid_visits": "-5", "paid_conversions": "2"}, "Enter a whole number, 0 or more."),
    ({"paid_visits": "10", "paid_conversions": "11"},
     "Paid conversions cannot be more than paid visits."),
])
async def test_mistakes_come_back_with_what_to_fix_and_nothing_created(
        api: Api, changes: dict[str, Any], message: str) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, Role.manager)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    fields = _form(token, group_ids=[sales.id])
    fields.update(changes)
    response = await api.client.post("/dashboard/pilots", data=fields)
    assert response.status_code == 422
    assert "The pilot was not created: fix what is marked below." in response.text
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or "group_ids-error" in response.text
    assert await _pilots(api) == []


async def test_the_form_keeps_what_was_typed(api: Api) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, Role.manager)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    response = await api.client.post("/dashboard/pilots", data=_form(
        token, name=SCRIPT, group_ids=[sales.id], ends_on="2026-08-01"))
    assert response.status_code == 422
    assert f'value="{ESCAPED}"' in response.text
    assert 'value="2026-08-01"' in response.text
    assert f'value="{sales.id}" checked' in response.text
    assert SCRIPT not in response.text


async def test_mistakes_read_in_thai(api: Api) -> None:
    await browser_of(api, Role.manager)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    response = await api.client.post("/dashboard/pilots", data=_form(token, name=""),
                                     headers={"Accept-Language": "th"})
    assert response.status_code == 422
    assert "ตั้งชื่อโครงการนำร่อง" in response.text  # "Give the pilot a name."
    assert "Give the pilot a name." not in response.text


async def test_a_post_without_the_token_is_refused(api: Api) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, Role.manager)
    fields = _form("", group_ids=[sales.id])
    del fields["csrf_token"]
    response = await api.client.post("/dashboard/pilots", data=fields)
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _pilots(api) == []


async def test_a_cross_site_post_is_refused_even_with_the_token(api: Api) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, Role.manager)
    token = csrf_of((await api.client.get("/dashboard/pilots/new")).text)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = await api.client.post("/dashboard/pilots", headers=headers,
                                          data=_form(token, group_ids=[sales.id]))
        assert response.status_code == 403
    assert await _pilots(api) == []


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_other_roles_cannot_start_a_pilot(api: Api, role: Role) -> None:
    sales = await _group(api, "Sales")
    await browser_of(api, role)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/dashboard/pilots",
                                     data=_form(token, group_ids=[sales.id]))
    assert response.status_code == 403
    assert await _pilots(api) == []
