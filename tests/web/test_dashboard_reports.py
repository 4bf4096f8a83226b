"""The report on the pilot page and the organisation's: the PDF link, top posts, conversions
by type, the return on investment, and the email schedules' forms (CSRF, what to fix, the
list and deleting)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.models import Pilot, Post, ReportSchedule
from tests.analytics.scenario import World, build
from tests.builders import Api, Role
from tests.web.pages import browser_of, csrf_of
from tests.web.test_dashboard_pilot import section, text_of, tile


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


def pilot_path(world: World) -> str:
    return f"/dashboard/pilots/{world.pilot_id}"


async def opened(api: Api, path: str, params: dict[str, str] | None = None) -> str:
    """The page's HTML once a manager has signed in; its form token is in it."""
    await browser_of(api, Role.manager)
    response = await api.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.text


async def schedules(api: Api) -> list[ReportSchedule]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(ReportSchedule)
                                          .order_by(ReportSchedule.created_at)))


async def count(api: Api) -> int:
    async with api.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(ReportSchedule)) or 0)


# The pilot page's report figures


async def test_top_posts_of_the_pilot(api: Api, world: World) -> None:
    """test_kpis.py: p1 3 clicks (a1's share, 1 conversion, €100), p2 1 (a1's and a2's
    shares, €50.50), p0 1 (a share of 03-02, none in the range)."""
    p0, p1, p2 = (world.shares[k].post_id for k in ("a1-p0", "a1-p1", "a2-p2"))
    async with api.db.transaction() as session:
        titles = {p: (await session.get(Post, p)).title for p in (p0, p1, p2)}  # type: ignore[union-attr]
    top = section(await opened(api, pilot_path(world)), "top-posts")
    assert "<th scope=\"col\" class=\"num\">Revenue</th>" in top
    rows = [text_of(row).strip() for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>",
                                                       top, re.S)]
    assert rows == [f"{titles[p1]} 1 3 1 €100.00", f"{titles[p2]} 2 1 1 €50.50",
                    f"{titles[p0]} 0 1 0 — No value"]


async def test_conversions_by_type_is_a_chart_with_its_table(api: Api, world: World) -> None:
    html = section(await opened(api, pilot_path(world)), "conversion-types")
    assert '<svg class="chart-svg"' in html and html.count('<rect class="chart-bar"') == 1
    assert re.search(r'<th scope="row">deal</th>\s*<td>2</td>', html)


async def test_roi_with_a_cost(api: Api, world: World) -> None:
    """EMV $39, revenue in euros (not converted), cost 100 in the EMV's dollars:
    (0 + 39 − 100) ÷ 100 = −61%."""
    async with api.db.transaction() as session:
        pilot = await session.get(Pilot, world.pilot_id)
        assert pilot is not None
        pilot.cost = "100"
    html = await opened(api, pilot_path(world))
    assert tile(html, "roi").startswith("Return on investment -61.0% Definition")


async def test_the_pdf_link_carries_the_range(api: Api, world: World) -> None:
    html = section(await opened(api, pilot_path(world), {"from": "2026-03-09"}), "reports")
    assert (f'href="/api/v1/pilots/{world.pilot_id}/report.pdf?from=2026-03-09&amp;'
            'to=2026-03-18" download>Download PDF report</a>') in html


# Schedules


async def test_a_schedule_for_the_pilot_is_created_and_listed(api: Api, world: World) -> None:
    html = await opened(api, pilot_path(world), {"from": "2026-03-09"})
    response = await api.client.post(f"{pilot_path(world)}/report-schedules", data={
        "csrf_token": csrf_of(html), "scope": "pilot", "cadence": "monthly",
        "recipients": "Boss@Example.com\n cfo@example.com, boss@example.com",
        "from": "2026-03-09"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{pilot_path(world)}?from=2026-03-09#reports"
    [stored] = await schedules(api)
    assert (stored.pilot_id, stored.cadence) == (world.pilot_id, "monthly")
    assert stored.recipients == ["boss@example.com", "cfo@example.com"]
    listed = section(await opened(api, pilot_path(world)), "reports")
    row = re.search(rf'<tr id="schedule-{stored.id}">.*?</tr>', listed, re.S)
    assert row and text_of(row.group(0)).split()[:5] == [
        "Spring", "Monthly", "boss@example.com", "cfo@example.com", "Not"]
    # The organisation's page lists every schedule.
    assert f'id="schedule-{stored.id}"' in await opened(api, "/dashboard/organisation")


async def test_a_schedule_for_the_organisation_from_the_pilot_page(api: Api,
                                                                   world: World) -> None:
    html = await opened(api, pilot_path(world))
    response = await api.client.post(f"{pilot_path(world)}/report-schedules", data={
        "csrf_token": csrf_of(html), "scope": "organisation", "cadence": "weekly",
        "recipients": "team@example.com"})
    assert response.status_code == 303
    [stored] = await schedules(api)
    assert (stored.pilot_id, stored.cadence) == (None, "weekly")
    row = re.search(rf'<tr id="schedule-{stored.id}">.*?</tr>',
                    await opened(api, "/dashboard/organisation"), re.S)
    assert row and text_of(row.group(0)).split()[:4] == [
        "The", "organisation", "Weekly", "team@example.com"]


async def test_the_organisation_page_schedules_the_organisations_report(
        api: Api, world: World) -> None:
    html = await opened(api, "/dashboard/organisation", {"from": "2026-03-04"})
    assert 'name="scope"' not in section(html, "reports")  # no pilot to choose
    response = await api.client.post("/dashboard/organisation/report-schedules", data={
        "csrf_token": csrf_of(html), "cadence": "weekly", "recipients": "a@example.com",
        "from": "2026-03-04", "group_id": world.g1, "scope": "pilot"})
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/dashboard/organisation?from=2026-03-04&group_id={world.g1}#reports")
    [stored] = await schedules(api)
    assert stored.pilot_id is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"recipients": ""}, "Give at least one email address."),
    ({"recipients": "ok@example.com, not-an-address\n<b>@x"},
     "These are not email addresses: not-an-address, &lt;b&gt;@x. Fix or remove them."),
    ({"cadence": "daily"}, "Pick how often the report is sent."),
    ({"scope": "everything"}, "Pick what the report is about."),
    ({"recipients": ",".join(f"p{n}@example.com" for n in range(51))},
     "At most 50 addresses per schedule."),
])
async def test_a_mistake_shows_the_page_again_with_what_was_typed(
        api: Api, world: World, fields: dict[str, str], message: str) -> None:
    html = await opened(api, pilot_path(world), {"from": "2026-03-09"})
    data = {"csrf_token": csrf_of(html), "scope": "pilot", "cadence": "monthly",
            "recipients": "boss@example.com", "from": "2026-03-09", **fields}
    response = await api.client.post(f"{pilot_path(world)}/report-schedules", data=data)
    assert response.status_code == 422
    page = response.text
    assert "No report was scheduled: fix what is marked below." in page
    assert message in page and 'role="alert"' in page
    form = re.search(r'<form class="form card dash-form" id="schedule-form".*?</form>', page,
                     re.S)
    assert form
    typed = data["recipients"].replace("<", "&lt;").replace(">", "&gt;")
    assert f">{typed}</textarea>" in form.group(0)
    # The page is still the range asked for, with its figures.
    assert "Showing Mar 9, 2026 to Mar 17, 2026" in page and "dash-tile" in page
    assert await count(api) == 0


async def test_an_organisation_form_mistake_keeps_the_group(api: Api, world: World) -> None:
    html = await opened(api, "/dashboard/organisation")
    response = await api.client.post("/dashboard/organisation/report-schedules", data={
        "csrf_token": csrf_of(html), "cadence": "weekly", "recipients": "nobody",
        "from": "2026-03-04", "to": "2026-03-18", "group_id": world.g1})
    assert response.status_code == 422
    assert "These are not email addresses: nobody." in response.text
    assert f'<option value="{world.g1}" selected>G1</option>' in response.text
    assert await count(api) == 0


async def test_forms_without_the_token_are_refused(api: Api, world: World) -> None:
    html = await opened(api, pilot_path(world))
    good = {"cadence": "weekly", "recipients": "a@example.com", "scope": "pilot"}
    for path in (f"{pilot_path(world)}/report-schedules",
                 "/dashboard/organisation/report-schedules"):
        refused = await api.client.post(path, data=good)
        assert refused.status_code == 403, path
        wrong = await api.client.post(path, data={**good, "csrf_token": "x" + csrf_of(html)})
        assert wrong.status_code == 403, path
    assert await count(api) == 0


async def test_deleting_a_schedule(api: Api, world: World) -> None:
    html = await opened(api, pilot_path(world))
    token = csrf_of(html)
    await api.client.post(f"{pilot_path(world)}/report-schedules", data={
        "csrf_token": token, "scope": "pilot", "cadence": "weekly",
        "recipients": "a@example.com"})
    [stored] = await schedules(api)
    delete = f"{pilot_path(world)}/report-schedules/{stored.id}/delete"
    assert (await api.client.post(delete, data={})).status_code == 403  # no token
    assert await count(api) == 1
    listed = section((await api.client.get(pilot_path(world))).text, "reports")
    assert f'action="{delete}"' in listed
    response = await api.client.post(delete, data={"csrf_token": token, "from": "2026-03-09"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{pilot_path(world)}?from=2026-03-09#reports"
    assert await count(api) == 0
    again = await api.client.post(delete, data={"csrf_token": token})
    assert again.status_code == 404 and "Page not found" in again.text


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_other_roles_cannot_schedule_or_delete(api: Api, world: World,
                                                     role: Role) -> None:
    await browser_of(api, role)
    token = csrf_of((await api.client.get("/app")).text)
    for path in (f"{pilot_path(world)}/report-schedules",
                 "/dashboard/organisation/report-schedules"):
        response = await api.client.post(path, data={
            "csrf_token": token, "cadence": "weekly", "recipients": "a@example.com",
            "scope": "organisation"})
        assert response.status_code == 403, path
    assert await count(api) == 0
