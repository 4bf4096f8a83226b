"""/dashboard/pilots/{id}: one pilot's KPIs (CONTRACT §6) on the hand-built pilot of
tests/analytics/scenario.py, whose every figure was worked out on paper (test_kpis.py);
here they must read, formatted per locale, where a manager looks for them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.analytics.kpi import service as kpi_service
from app.analytics.kpi.schemas import KpiReport
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import PilotCreate
from app.auth import groups as groups_service
from app.models import Feedback, Group, Pilot, Topic, User
from app.models.enums import Network
from app.web import i18n
from app.web.dashboard import report as report_view
from tests.analytics.scenario import World, at, build
from tests.builders import Api, Role, make_topic, make_user
from tests.web.pages import browser_of, counting_statements

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


def text_of(html: str) -> str:
    """The page's words, tags and runs of spaces gone (entities kept)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def tile(html: str, name: str) -> str:
    """The text of the KPI tile ``name``."""
    match = re.search(rf'<li class="stat dash-tile" id="kpi-{name}">(.*?)</li>', html, re.S)
    assert match, f"no tile {name}"
    return text_of(match.group(1)).strip()


def section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}".*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)


async def page(api: Api, world: World, params: dict[str, str] | None = None, *,
               role: Role = Role.manager) -> Any:
    await browser_of(api, role)
    return await api.client.get(f"/dashboard/pilots/{world.pilot_id}", params=params)


async def add_objective(api: Api, *, title: str, starts_on: date, ends_on: date,
                        pilot_id: str | None, key_results: list[KeyResultIn]) -> str:
    async with api.db.transaction() as session:
        objective = await okr_service.create(session, data=ObjectiveCreate(
            title=title, starts_on=starts_on, ends_on=ends_on, pilot_id=pilot_id,
            key_results=key_results))
    return objective.id


# Who may look


async def test_visitor_gets_the_login_form(api: Api, world: World) -> None:
    response = await api.client.get(f"/dashboard/pilots/{world.pilot_id}")
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert "Spring" not in response.text and "Key figures" not in response.text


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer])
async def test_advocates_and_marketers_get_403_and_no_data(api: Api, world: World,
                                                           role: Role) -> None:
    response = await page(api, world, role=role)
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    assert "Spring" not in response.text and "Key figures" not in response.text
    # The role is checked before the query is read.
    bad = await api.client.get(f"/dashboard/pilots/{world.pilot_id}", params={"from": "x"})
    assert bad.status_code == 403


@pytest.mark.parametrize("role", [Role.manager, Role.admin])
async def test_managers_and_admins_open_it(api: Api, world: World, role: Role) -> None:
    response = await page(api, world, role=role)
    assert response.status_code == 200
    assert "<h1>Spring</h1>" in response.text


async def test_an_unknown_pilot_is_the_404_page(api: Api) -> None:
    await browser_of(api, Role.manager)
    for pilot_id in ("no-such-pilot", "%00"):
        response = await api.client.get(f"/dashboard/pilots/{pilot_id}")
        assert response.status_code == 404 and "Page not found" in response.text


# The KPI tiles


TILES = {  # CONTRACT §6 over [03-04, 03-18), worked out in tests/analytics/test_kpis.py
    "enrolled": "Enrolled 3", "active_advocates": "Active advocates 2",
    "participation_rate": "Participation rate 66.7%", "posts_published": "Posts published 3",
    "shares": "Shares 3", "share_rate": "Share rate 42.9%", "clicks": "Clicks 5",
    "unique_clicks": "Unique clicks 4", "clicks_per_share": "Clicks per share 1.67",
    "conversions": "Conversions 2", "conversion_rate": "Conversion rate 50.0%",
    "revenue": "Revenue €150.50", "reach": "Reach 1,700",
    "impressions": "Impressions 100 From 1 share with stats",
    "engagements": "Engagements 7 From 1 share with stats",
    "engagement_rate": "Engagement rate 7.0%", "emv": "Earned media value $39.00",
    "feedback_score": "Feedback score 8.3 / 10", "enps": "eNPS 33",
}


async def test_every_kpi_has_its_tile_with_its_value(api: Api, world: World) -> None:
    html = (await page(api, world)).text
    for name, shown in TILES.items():
        assert tile(html, name).startswith(shown + " Definition"), name
    assert html.count('class="stat dash-tile"') == 20  # and roi, the one without a cost
    assert tile(html, "roi").startswith(
        "Return on investment — No value No cost is set: a pilot with a cost shows its return.")


async def test_each_tile_holds_its_contract_definition(api: Api, world: World) -> None:
    html = (await page(api, world)).text
    assert "Active advocates ÷ enrolled." in tile(html, "participation_rate")
    assert "Conversions ÷ unique clicks." in tile(html, "conversion_rate")
    assert ("100 × (the share of scores of 9 or 10 − the share of scores from 0 to 6), from "
            "−100 to 100.") in tile(html, "enps")
    assert "recorded followers ÷ 1,000 × the current CPM" in tile(html, "emv")
    assert html.count('<details class="dash-def">') == 20
    assert "Each event counts by its own time" in html


async def test_empty_ratios_read_a_dash_and_say_why(api: Api, world: World) -> None:
    html = (await page(api, world, {"from": "2026-03-16", "to": "2026-03-17"})).text
    assert tile(html, "clicks_per_share").startswith(
        "Clicks per share — No value No shares in the range: there is nothing to divide by.")
    assert tile(html, "conversion_rate").startswith(
        "Conversion rate — No value No unique clicks in the range")
    assert tile(html, "engagement_rate").startswith(
        "Engagement rate — No value No impressions recorded")
    assert tile(html, "feedback_score").startswith("Feedback score 10.0 / 10")
    quiet = (await api.client.get(f"/dashboard/pilots/{world.pilot_id}",
                                  params={"from": "2026-03-14", "to": "2026-03-15"})).text
    assert tile(quiet, "feedback_score").startswith(
        "Feedback score — No value No feedback was given in this range.")
    assert tile(quiet, "share_rate").startswith(
        "Share rate — No value No post published in the range was visible to the cohort")


async def test_revenue_in_several_currencies_is_shown_per_currency(
        api: Api, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    real = report_view.kpi_service.pilot_report

    async def mixed(*args: Any, **kwargs: Any) -> KpiReport:
        report = await real(*args, **kwargs)
        return report.model_copy(update={
            "revenue": None, "revenue_currency": None,
            "revenue_by_currency": {"EUR": "150.5", "THB": "1200"}})

    monkeypatch.setattr(report_view.kpi_service, "pilot_report", mixed)
    html = (await page(api, world)).text
    assert tile(html, "revenue").startswith(
        "Revenue €150.50 THB1,200.00 Conversions came in several currencies")


async def test_an_empty_pilot_renders_with_dashes(api: Api) -> None:
    async with api.db.transaction() as session:
        pilot = await pilots_service.create(session, data=PilotCreate(
            name="Nobody yet", starts_on=date(2026, 5, 4), ends_on=date(2026, 5, 31)))
    await browser_of(api, Role.manager)
    response = await api.client.get(f"/dashboard/pilots/{pilot.id}")
    assert response.status_code == 200
    html = response.text
    assert tile(html, "enrolled").startswith("Enrolled 0")
    assert tile(html, "participation_rate").startswith(
        "Participation rate — No value No one is enrolled: there is nothing to divide by.")
    assert tile(html, "revenue").startswith("Revenue $0.00")
    assert "No paid baseline" in html
    assert "No objective of this pilot covers this range." in html
    assert "No feedback yet." in html
    # The three breakdowns and the conversions by type; the weeks read zeros.
    assert html.count("No data yet") == 4
    assert "No post was clicked in this range." in html


# The charts


async def test_weekly_trend_draws_shares_clicks_and_conversions(api: Api, world: World
                                                                ) -> None:
    html = section((await page(api, world)).text, "trend")
    assert '<svg class="chart-svg"' in html and html.count('<path class="chart-line-path"') == 3
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", html, re.S)
    assert [(week, text_of(cells).split()) for week, cells in rows] == [
        ("4 Mar", ["1", "4", "1"]), ("9 Mar", ["2", "1", "1"]), ("16 Mar", ["0", "0", "0"])]


def _table(html: str, chart: str) -> list[tuple[str, str]]:
    figure = re.search(rf'<figure class="chart chart-bars" id="{chart}">.*?</figure>', html,
                       re.S)
    assert figure, chart
    return [(name, text_of(value).strip()) for name, value in re.findall(
        r'<tr><th scope="row">(.*?)</th>\s*<td>(.*?)</td></tr>', figure.group(0), re.S)]


async def test_breakdowns_count_clicks_by_network_topic_and_group(api: Api, world: World
                                                                  ) -> None:
    html = (await page(api, world)).text
    assert "Clicks by network" in html and "Clicks by topic" in html
    assert _table(html, "by-network-chart") == [("LinkedIn", "5"), ("X", "0")]
    assert _table(html, "by-topic-chart") == [("T1", "5"), ("T2", "1")]
    assert _table(html, "by-group-chart") == [("G1", "5")]
    assert '<a href="/dashboard/pilots/' + world.pilot_id + '?metric=shares#breakdowns">' in html


async def test_breakdowns_switch_to_shares_and_keep_the_range(api: Api, world: World) -> None:
    html = (await page(api, world, {"metric": "shares", "from": "2026-03-04",
                                          "to": "2026-03-18"})).text
    assert "Shares by network" in html
    assert _table(html, "by-network-chart") == [("LinkedIn", "2"), ("X", "1")]
    assert _table(html, "by-topic-chart") == [("T1", "3"), ("T2", "2")]
    assert ('href="/dashboard/pilots/' + world.pilot_id
            + '?from=2026-03-04&amp;to=2026-03-18#breakdowns" aria') not in html
    assert ('href="/dashboard/pilots/' + world.pilot_id
            + '?from=2026-03-04&amp;to=2026-03-18#breakdowns"') in html  # back to clicks
    assert '<input type="hidden" name="metric" value="shares">' in html


async def test_an_unknown_metric_counts_clicks(api: Api, world: World) -> None:
    html = (await page(api, world, {"metric": "revenue<b>"})).text
    assert "Clicks by network" in html and "revenue&lt;b&gt;" not in html


async def test_advocacy_vs_paid_draws_its_interval_and_warns_of_a_small_sample(
        api: Api, world: World) -> None:
    html = (await page(api, world)).text
    paid = section(html, "vs-paid")
    assert "The cohort's 2 conversions of 4 unique clicks, against the paid baseline's 10 " \
           "conversions of 1,000 visits." in paid
    assert '<line class="chart-ci-whisker"' in paid and paid.count('class="chart-ci-cap"') == 2
    assert "Advocacy conversion rate</th>" in paid and "50.00%" in paid and "1.00%" in paid
    assert "Lift (advocacy rate ÷ paid rate − 1)" in paid and "4,900.0%" in paid
    assert "below 0.001" in paid  # p ≈ 2e-19
    assert ("Only 4 unique clicks: with fewer than 30, the comparison with paid traffic rests "
            "on a weak approximation.") in html
    assert ("This pilot lasts 14 days: a pilot of at least 28 days (four weeks) gives results "
            "worth acting on.") in html
    assert 'lang="en"' not in html.split("<main", 1)[1]  # every warning is one we translate


async def test_an_unknown_service_warning_is_shown_as_it_is(
        api: Api, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    real = report_view.kpi_service.pilot_report

    async def warned(*args: Any, **kwargs: Any) -> KpiReport:
        report = await real(*args, **kwargs)
        return report.model_copy(update={"warnings": [*report.warnings, "Stats <late>."]})

    monkeypatch.setattr(report_view.kpi_service, "pilot_report", warned)
    html = (await page(api, world)).text
    assert '<li lang="en">Stats &lt;late&gt;.</li>' in html


async def test_no_baseline_says_so(api: Api, world: World) -> None:
    async with api.db.transaction() as session:
        pilot = await session.get(Pilot, world.pilot_id)
        assert pilot is not None
        pilot.paid_visits = pilot.paid_conversions = None
    html = (await page(api, world)).text
    assert "This pilot has no paid baseline" in html and "No paid baseline" in html
    assert "chart-ci-whisker" not in html and "Only 4 unique clicks" not in html


# Objectives, feedback, exports


async def test_objectives_of_the_pilot_show_their_key_results(api: Api, world: World) -> None:
    pilot_dates = await add_objective(
        api, title="Make sharing a habit", starts_on=date(2026, 3, 4),
        ends_on=date(2026, 3, 17), pilot_id=world.pilot_id, key_results=[
            KeyResultIn(title="Half the cohort shares", metric="participation_rate",
                        target=Decimal("0.5")),
            KeyResultIn(title="Ten clicks", metric="clicks", target=Decimal(10))])
    first_week = await add_objective(
        api, title="A strong first week", starts_on=date(2026, 3, 4),
        ends_on=date(2026, 3, 8), pilot_id=world.pilot_id, key_results=[
            KeyResultIn(title="Four shares", metric="shares", target=Decimal(4))])
    await add_objective(api, title="Before the pilot", starts_on=date(2026, 2, 1),
                        ends_on=date(2026, 3, 3), pilot_id=world.pilot_id, key_results=[
                            KeyResultIn(title="x", metric="shares", target=Decimal(1))])
    await add_objective(api, title="The whole company", starts_on=date(2026, 3, 1),
                        ends_on=date(2026, 3, 31), pilot_id=None, key_results=[
                            KeyResultIn(title="y", metric="shares", target=Decimal(1))])
    html = section((await page(api, world)).text, "objectives")
    words = text_of(html)
    assert "Before the pilot" not in words and "The whole company" not in words
    assert words.index("A strong first week") < words.index("Make sharing a habit")
    # Each progress reads twice: the bar's own text, then its label.
    # Over the pilot's dates: 2 of 3 enrolled shared; 5 clicks.
    assert "Half the cohort shares 100% 100% 67% of 50%" in words
    assert "Ten clicks 50% 50% 5 of 10" in words
    # Over [03-04, 03-09), a4 (deactivated on 03-15) is still enrolled: a1's and a4's shares.
    assert "Four shares 50% 50% 2 of 4" in words
    assert f'id="objective-{pilot_dates}"' in html and f'id="objective-{first_week}"' in html


async def test_objectives_cost_no_second_report_when_their_dates_are_the_range(
        api: Api, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await add_objective(api, title="Same dates", starts_on=date(2026, 3, 4),
                        ends_on=date(2026, 3, 17), pilot_id=world.pilot_id, key_results=[
                            KeyResultIn(title="Clicks", metric="clicks", target=Decimal(10))])
    loads = []
    real = kpi_service.load

    async def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs["start"])
        return await real(*args, **kwargs)

    # Every KPI computation (the report's, an objective's) loads its facts here.
    monkeypatch.setattr(kpi_service, "load", counted)
    assert (await page(api, world)).status_code == 200
    assert loads == [date(2026, 3, 4)]


async def test_feedback_newest_first_with_escaped_comments(api: Api, world: World) -> None:
    async with api.db.transaction() as session:
        for feedback in await session.scalars(select(Feedback).where(
                Feedback.created_at == at(10))):
            feedback.comment = SCRIPT
            if feedback.score == 0:  # given an hour after the 6, the same day
                feedback.created_at = at(10, 13)
    html = section((await page(api, world)).text, "feedback")
    assert "In this range: a mean score of 8.3 out of 10, and an eNPS of 33." in text_of(html)
    rows = [text_of(row).split() for row in re.findall(r"<tr>\s*<td>.*?</tr>", html, re.S)]
    assert [row[:4] for row in rows] == [
        ["Mar", "16,", "2026", "2"], ["Mar", "16,", "2026", "10"], ["Mar", "9,", "2026", "0"],
        ["Mar", "9,", "2026", "6"], ["Mar", "2,", "2026", "9"]]
    assert SCRIPT not in html and html.count(ESCAPED) == 2


async def test_older_feedback_is_a_page_further_and_keeps_the_range(
        api: Api, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_view, "FEEDBACK_PAGE", 3)
    html = section((await page(api, world, {"from": "2026-03-05"})).text, "feedback")
    older = re.search(r'href="([^"]+)">Older feedback', html)
    assert older and "from=2026-03-05" in older.group(1) and older.group(1).endswith("#feedback")
    second = section((await api.client.get(older.group(1).replace("&amp;", "&"))).text,
                     "feedback")
    assert len(re.findall(r"<tr>\s*<td>", second)) == 2
    assert "Newest feedback" in second and "Older feedback" not in second


async def test_exports_link_the_csv_files_of_the_range(api: Api, world: World) -> None:
    html = section((await page(api, world, {"from": "2026-03-09"})).text, "exports")
    span = "from=2026-03-09&amp;to=2026-03-18"
    for href, name in [(f"/api/v1/pilots/{world.pilot_id}/kpis.csv?{span}", "Weekly KPIs"),
                       (f"/api/v1/exports/shares.csv?{span}", "Shares"),
                       (f"/api/v1/exports/clicks.csv?{span}", "Clicks"),
                       (f"/api/v1/exports/conversions.csv?{span}", "Conversions")]:
        assert f'href="{href}" download>{name} (CSV)</a>' in html
    csv = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/kpis.csv",
                               params={"from": "2026-03-09", "to": "2026-03-18"})
    assert csv.status_code == 200  # the page's cookie is enough for the API's GET
    lines = csv.text.splitlines()
    assert lines[0].startswith("week_start,week_end,enrolled,") and len(lines) == 3


# The range


async def test_a_custom_range_reports_that_range(api: Api, world: World) -> None:
    html = (await page(api, world, {"from": "2026-03-04", "to": "2026-03-09"})).text
    assert 'name="from" type="date" min="2000-01-01" max="2999-12-31" value="2026-03-04"' in html
    assert 'value="2026-03-09"' in html
    assert "Showing Mar 4, 2026 to Mar 8, 2026, both included" in html
    assert tile(html, "enrolled").startswith("Enrolled 4")  # a4 leaves on 03-15
    assert tile(html, "shares").startswith("Shares 2")
    assert "The pilot's dates</a>" in html


@pytest.mark.parametrize(("params", "message"), [
    ({"from": "2026-03-10", "to": "2026-03-10"}, "“From” must be before “to”"),
    ({"from": "2026-03-12", "to": "2026-03-05"}, "“From” must be before “to”"),
    ({"from": "2026-03-20"}, "“From” must be before “to”"),  # after the pilot's end
    ({"from": "2020-01-01", "to": "2026-01-01"}, "A range spans at most 1,830 days"),
    ({"from": "March 4"}, "Enter dates as year-month-day, between 2000 and 2999."),
    ({"to": "1999-12-31"}, "Enter dates as year-month-day, between 2000 and 2999."),
])
async def test_a_wrong_range_says_what_to_fix_and_shows_no_figures(
        api: Api, world: World, params: dict[str, str], message: str) -> None:
    response = await page(api, world, params)
    assert response.status_code == 422
    assert message in response.text
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text
    assert "Key figures" not in response.text and "dash-tile" not in response.text
    assert "<h1>Spring</h1>" in response.text


# Thai


async def test_thai_from_the_browser(api: Api, world: World) -> None:
    await browser_of(api, Role.manager)
    html = (await api.client.get(f"/dashboard/pilots/{world.pilot_id}",
                                 headers={"Accept-Language": "th-TH,th;q=0.9"})).text
    assert '<html lang="th">' in html
    assert tile(html, "participation_rate").startswith("อัตราการมีส่วนร่วม 66.7%")
    assert tile(html, "emv").startswith("มูลค่าสื่อที่ได้รับ (EMV) US$39.00")
    assert tile(html, "revenue").startswith("รายได้ €150.50")
    assert "4 มี.ค. 2026 ถึง 17 มี.ค. 2026" in html
    assert "คลิกตามเครือข่าย" in html  # "Clicks by network"
    assert "Key figures" not in html and "ตัวเลขสำคัญ" in html


async def test_thai_from_the_users_setting(api: Api, world: World) -> None:
    await browser_of(api, Role.manager)
    async with api.db.transaction() as session:
        for user in await session.scalars(select(User).where(User.role == Role.manager)):
            user.language = "th"
    html = (await api.client.get(f"/dashboard/pilots/{world.pilot_id}",
                                 headers={"Accept-Language": "en"})).text
    assert "ความคิดเห็น" in html and "Weekly trend" not in html
    assert "แนวโน้มรายสัปดาห์" in html


def test_network_names_are_translated_when_shown() -> None:
    label = report_view.Translated(report_view.NETWORK_NAMES[Network.email])
    with i18n.using(i18n.PageLocale("th")):
        assert str(label) == "อีเมล"
    assert str(label) == "Email"


# Escaping and cost


async def test_names_from_people_are_escaped(api: Api, world: World) -> None:
    async with api.db.transaction() as session:
        named: list[Pilot | Group | Topic] = [
            *await session.scalars(select(Pilot)), *await session.scalars(select(Group)),
            *await session.scalars(select(Topic))]
        for row in named:
            row.name = SCRIPT
    await add_objective(api, title=SCRIPT, starts_on=date(2026, 3, 4),
                        ends_on=date(2026, 3, 17), pilot_id=world.pilot_id, key_results=[
                            KeyResultIn(title=SCRIPT, metric="clicks", target=Decimal(10))])
    response = await page(api, world)
    assert response.status_code == 200
    assert SCRIPT not in response.text
    assert response.text.count(ESCAPED) >= 8


async def test_the_page_costs_the_same_queries_whatever_the_program_holds(
        api: Api, world: World) -> None:
    await page(api, world)  # warm: the first request reads settings
    with counting_statements(api.db) as small:
        assert (await api.client.get(f"/dashboard/pilots/{world.pilot_id}")).status_code == 200
    async with api.db.transaction() as session:
        pilot = await session.get(Pilot, world.pilot_id)
        assert pilot is not None
        topics = [await make_topic(session) for _ in range(3)]
        for n in range(3):
            group = await groups_service.create(session, name=f"Extra {n}", description=None)
            await make_user(session, group_ids=[group.id, world.g1],
                            topic_ids=[t.id for t in topics])
    for n in range(3):
        await add_objective(api, title=f"Objective {n}", starts_on=date(2026, 3, 4),
                            ends_on=date(2026, 3, 17), pilot_id=world.pilot_id, key_results=[
                                KeyResultIn(title="Clicks", metric="clicks", target=Decimal(9)),
                                KeyResultIn(title="Reach", metric="reach", target=Decimal(9))])
    with counting_statements(api.db) as big:
        response = await api.client.get(f"/dashboard/pilots/{world.pilot_id}")
        assert response.status_code == 200 and "Objective 2" in response.text
    # Two more, whatever their number: the objectives' key results, and their trends and
    # confidences (samples and check-ins in one query).
    assert len(big) == len(small) + 2
