"""/dashboard/organisation: the organisation's KPIs (``GET /api/v1/kpis``) on the hand-built
program of tests/analytics/scenario.py, whose figures were worked out on paper in
tests/analytics/test_org_kpis.py; here they must read where a manager looks for them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.models import Group, Post
from tests.analytics.scenario import World, build
from tests.builders import Api, Role
from tests.web.pages import browser_of
from tests.web.test_dashboard_pilot import ESCAPED, SCRIPT, section, text_of, tile

PATH = "/dashboard/organisation"
RANGE = {"from": "2026-03-04", "to": "2026-03-18"}


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


async def page(api: Api, params: dict[str, str] | None = None, *,
               role: Role = Role.manager) -> Any:
    await browser_of(api, role)
    return await api.client.get(PATH, params=params)


# Who may look


async def test_visitor_gets_the_login_form(api: Api, world: World) -> None:
    response = await api.client.get(PATH, params=RANGE)
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert "Key figures" not in response.text and "G1" not in response.text


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_advocates_and_marketers_get_403_and_no_data(api: Api, world: World,
                                                           role: Role) -> None:
    response = await page(api, RANGE, role=role)
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    assert "Key figures" not in response.text and "G1" not in response.text


@pytest.mark.parametrize("role", [Role.manager, Role.admin])
async def test_managers_and_admins_open_it_even_with_no_data(api: Api, role: Role) -> None:
    response = await page(api, role=role)
    assert response.status_code == 200
    html = response.text
    assert "<h1>The organisation</h1>" in html
    assert tile(html, "shares").startswith("Shares 0")
    # The manager joined after the range ended: no one counts yet.
    assert tile(html, "participation_rate").startswith(
        "Participation rate — No value No one is enrolled")
    assert "No post was clicked in this range." in html


async def test_the_dashboard_links_to_it(api: Api) -> None:
    await browser_of(api, Role.manager)
    html = (await api.client.get("/dashboard")).text
    assert 'href="/dashboard/organisation"' in html and 'href="/dashboard/objectives"' in html


# The figures


ORGANISATION = {  # test_org_kpis.py: a1, a2, a3 and the outsider o1 over [03-04, 03-18)
    "enrolled": "Enrolled 4", "active_advocates": "Active advocates 3",
    "participation_rate": "Participation rate 75.0%", "shares": "Shares 4",
    "clicks": "Clicks 6", "unique_clicks": "Unique clicks 5", "conversions": "Conversions 3",
    "conversion_rate": "Conversion rate 60.0%", "revenue": "Revenue €160.50",
    "reach": "Reach 1,750", "posts_published": "Posts published 3", "enps": "eNPS 0",
}


async def test_every_tile_reads_the_organisations_figure(api: Api, world: World) -> None:
    response = await page(api, RANGE)
    assert response.status_code == 200
    html = response.text
    for name, shown in ORGANISATION.items():
        assert tile(html, name).startswith(shown + " Definition"), name
    # A return needs a pilot's cost: the organisation's page has no such tile.
    assert 'id="kpi-roi"' not in html
    assert html.count('class="stat dash-tile"') == 19
    assert "Showing Mar 4, 2026 to Mar 17, 2026, both included" in html


async def test_weekly_trend_and_breakdowns(api: Api, world: World) -> None:
    html = (await page(api, RANGE)).text
    trend = section(html, "trend")
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", trend, re.S)
    assert [(week, text_of(cells).split()[1]) for week, cells in rows] == [
        ("4 Mar", "5"), ("9 Mar", "1"), ("16 Mar", "0")]  # clicks, the second series
    assert "Clicks by network" in html and "Clicks by group" in html
    groups = section(html, "breakdowns")
    assert re.search(r'<th scope="row">G1</th>\s*<td>5</td>', groups)


async def test_top_posts_and_conversions_by_type(api: Api, world: World) -> None:
    p0, p1, p2 = (world.shares[k].post_id for k in ("a1-p0", "a1-p1", "a2-p2"))
    async with api.db.transaction() as session:
        titles = {p: (await session.get(Post, p)).title for p in (p0, p1, p2)}  # type: ignore[union-attr]
    html = (await page(api, RANGE)).text
    top = section(html, "top-posts")
    rows = [text_of(row).strip() for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>",
                                                       top, re.S)]
    assert rows == [f"{titles[p1]} 2 4 2 €110.00", f"{titles[p2]} 2 1 1 €50.50",
                    f"{titles[p0]} 0 1 0 — No value"]
    by_type = section(html, "conversion-types")
    assert '<figure class="chart chart-bars" id="conversion-types-chart">' in by_type
    assert re.search(r'<th scope="row">deal</th>\s*<td>3</td>', by_type)


async def test_one_groups_members(api: Api, world: World) -> None:
    html = (await page(api, {**RANGE, "group_id": world.g1})).text
    assert tile(html, "enrolled").startswith("Enrolled 2")
    assert tile(html, "shares").startswith("Shares 3")
    assert tile(html, "clicks").startswith("Clicks 5")
    assert f'<option value="{world.g1}" selected>G1</option>' in html
    assert "The members of G1 now" in html
    # The breakdown links and the PDF keep the group.
    assert f"group_id={world.g1}" in section(html, "breakdowns")
    assert (f'href="/api/v1/report.pdf?from=2026-03-04&amp;to=2026-03-18&amp;'
            f'group_id={world.g1}"') in html


async def test_an_unknown_group_says_what_to_fix(api: Api, world: World) -> None:
    response = await page(api, {**RANGE, "group_id": "no-such-group"})
    assert response.status_code == 422
    assert "Pick a group from the list." in response.text
    assert "dash-tile" not in response.text


async def test_pdf_and_exports_link_the_range(api: Api, world: World) -> None:
    html = (await page(api, RANGE)).text
    assert ('href="/api/v1/report.pdf?from=2026-03-04&amp;to=2026-03-18" download>'
            'Download PDF report</a>') in html
    span = "from=2026-03-04&amp;to=2026-03-18"
    assert f'href="/api/v1/exports/clicks.csv?{span}" download>Clicks (CSV)</a>' in html
    assert "kpis.csv" not in html


@pytest.mark.parametrize(("params", "message"), [
    ({"from": "2026-03-10", "to": "2026-03-10"}, "“From” must be before “to”"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "A range spans at most 1,830 days"),
    ({"from": "March 4"}, "Enter dates as year-month-day, between 2000 and 2999."),
])
async def test_a_wrong_range_says_what_to_fix(api: Api, world: World, params: dict[str, str],
                                              message: str) -> None:
    response = await page(api, params)
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert "dash-tile" not in response.text


async def test_by_default_the_last_four_full_weeks(api: Api, world: World) -> None:
    """On Wednesday 2026-03-18 the last four full ISO weeks are 02-16 to 03-15."""
    await browser_of(api, Role.manager)
    with time_machine.travel(datetime(2026, 3, 18, 12, 0), tick=False):
        response = await api.client.get(PATH)
    assert response.status_code == 200
    html = response.text
    assert 'name="from" type="date" min="2000-01-01" max="2999-12-31" value="2026-02-16"' in html
    assert 'name="to" type="date" min="2000-01-01" max="2999-12-31" value="2026-03-16"' in html
    assert "Showing Feb 16, 2026 to Mar 15, 2026, both included" in html


async def test_thai(api: Api, world: World) -> None:
    await browser_of(api, Role.manager)
    html = (await api.client.get(PATH, params=RANGE,
                                 headers={"Accept-Language": "th-TH,th;q=0.9"})).text
    assert '<html lang="th">' in html
    assert "Top posts" not in html and "The organisation" not in html
    assert tile(html, "participation_rate").startswith("อัตราการมีส่วนร่วม 75.0%")


async def test_names_from_people_are_escaped(api: Api, world: World) -> None:
    async with api.db.transaction() as session:
        for group in await session.scalars(select(Group)):
            group.name = SCRIPT
        for post in await session.scalars(select(Post)):
            post.title = SCRIPT
    response = await page(api, RANGE)
    assert response.status_code == 200
    assert SCRIPT not in response.text and response.text.count(ESCAPED) >= 4
