"""The leadership report (CONTRACT §3 report.pdf): read back from the PDF's text with pypdf.

The pilot is ``scenario.py``'s "Spring" (its KPIs are worked out by hand in test_kpis.py);
the values below are those KPIs as a reader sees them, written here by hand.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from app.analytics.kpi.schemas import TopPost
from app.analytics.reports import document
from app.analytics.reports.pdf import render_pdf
from app.models import Pilot, User
from tests.analytics.scenario import World, build
from tests.builders import Api, Role


@pytest.fixture
async def world(api: Api) -> World:
    return await build(api.db)


# A PDF's text layer maps each glyph to one text: WeasyPrint's Thai (shaped by HarfBuzz,
# which splits SARA AM into NIKHAHIT + SARA AA and moves marks to positional glyphs) reads
# back with SARA AM as SARA AA and some marks swapped. Thai is compared on its letters only.
_THAI_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


def thai_letters(text: str) -> str:
    return _THAI_MARKS.sub("", text.replace("\u0e33", "\u0e32"))


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), re.sub(r"[ \t]+", " ", text)


async def _manager(api: Api, language: str | None = None) -> dict[str, str]:
    headers = await api.headers(Role.manager)
    if language is not None:
        async with api.db.transaction() as session:
            me = await api.client.get("/api/v1/me", headers=headers)
            user = await session.get(User, me.json()["id"])
            assert user is not None
            user.language = language
    return headers


async def test_a_pilots_report_names_it_and_shows_each_headline_kpi(api: Api,
                                                                     world: World) -> None:
    headers = await _manager(api)
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/report.pdf",
                                    headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="chorus-report-2026-03-04-to-2026-03-17.pdf"')
    open('/tmp/en.pdf','wb').write(response.content)
    pages, text = _text(response.content)
    assert 1 <= pages <= 3
    assert "Spring" in text
    assert "Mar 4, 2026 to Mar 17, 2026" in text
    for label, value in [("Enrolled", "3"), ("Participation rate", "66.7%"),
                         ("Shares", "3"), ("Clicks", "5"), ("Conversions", "2"),
                         ("Revenue", "€150.50"), ("Reach", "1,700"),
                         ("Earned media value", "$39.00")]:
        assert re.search(rf"{re.escape(label)}\s*\n?\s*{re.escape(value)}(?![\d.,])", text), (
            label, value)
    assert "Return on investment" in text
    assert "Weekly trend" in text and "Advocacy vs paid" in text
    assert "The cohort's 2 conversions of 4 unique clicks" in text
    assert "Top posts" in text


async def test_the_report_is_in_the_requesters_language(api: Api, world: World) -> None:
    headers = await _manager(api, language="th")
    response = await api.client.get(f"/api/v1/pilots/{world.pilot_id}/report.pdf",
                                    headers=headers)
    assert response.status_code == 200, response.text
    open('/tmp/th.pdf','wb').write(response.content)
    pages, text = _text(response.content)
    assert 1 <= pages <= 3
    assert "Spring" in text
    letters = thai_letters(text)
    for thai in ["ลงทะเบียน", "อัตราการมีส่วนร่วม", "แนวโน้มรายสัปดาห์", "ตัวเลขสำคัญ",
                 "ผลตอบแทนจากการลงทุน", "โพสต์ยอดนิยม", "การบอกต่อโดยพนักงาน"]:
        assert thai_letters(thai) in letters, thai
    assert "Headline figures" not in text and "Top posts" not in text
    for label, value in [("ลงทะเบียน", "3"), ("อัตราการมีส่วนร่วม", "66.7%"),
                         ("การแชร์", "3"), ("คลิก", "5"), ("คอนเวอร์ชัน", "2"),
                         ("รายได้", "€150.50"), ("การเข้าถึง", "1,700"),
                         ("มูลค่าสื่อที่ได้รับ (EMV)", "US$39.00")]:
        pattern = rf"{re.escape(thai_letters(label))}\s*\n\s*{re.escape(value)}(?![\d.,])"
        assert re.search(pattern, letters), (label, value)


async def test_only_managers_get_a_report_and_bad_ranges_are_refused(api: Api,
                                                                    world: World) -> None:
    _, advocate = await api.user()
    url = f"/api/v1/pilots/{world.pilot_id}/report.pdf"
    assert (await api.client.get(url, headers=advocate)).status_code == 403
    assert (await api.client.get(url)).status_code == 401
    manager = await _manager(api)
    backwards = await api.client.get(url, headers=manager,
                                     params={"from": "2026-03-10", "to": "2026-03-09"})
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"
    unknown = await api.client.get("/api/v1/pilots/nope/report.pdf", headers=manager)
    assert unknown.status_code == 404
    assert (await api.client.get("/api/v1/report.pdf", headers=manager,
                                 params={"from": "2026-03-01"})).status_code == 422


async def test_the_organisations_report_shows_the_organisation_kpis(api: Api,
                                                                    world: World) -> None:
    """The figures are the ones `/api/v1/kpis` answers (checked against the KPI oracle),
    formatted here by hand: the report must print them, not recompute them."""
    headers = await _manager(api)
    span = {"from": "2026-03-02", "to": "2026-03-23"}
    kpis = (await api.client.get("/api/v1/kpis", headers=headers, params=span)).json()
    response = await api.client.get("/api/v1/report.pdf", headers=headers, params=span)
    assert response.status_code == 200, response.text
    pages, text = _text(response.content)
    assert 1 <= pages <= 3
    assert "The whole organisation" in text and "Mar 2, 2026 to Mar 22, 2026" in text
    for label, name in [("Enrolled", "enrolled"), ("Shares", "shares"), ("Clicks", "clicks"),
                        ("Conversions", "conversions"), ("Reach", "reach")]:
        shown = f"{kpis[name]:,}"
        assert re.search(rf"{label}\s*\n?\s*{re.escape(shown)}(?![\d.,])", text), (label, shown)
    rate = f"{kpis['participation_rate'] * 100:.1f}%"
    assert re.search(rf"Participation rate\s*\n?\s*{re.escape(rate)}", text), rate
    assert "Paid baselines belong to pilots" in text

    group = await api.client.get("/api/v1/report.pdf", headers=headers,
                                 params={**span, "group_id": world.g1})
    assert group.status_code == 200, group.text
    assert "Group: G1" in _text(group.content)[1]
    unknown = await api.client.get("/api/v1/report.pdf", headers=headers,
                                   params={**span, "group_id": "nope"})
    assert unknown.status_code == 404


async def test_the_fullest_report_stays_within_three_pages(api: Api, world: World) -> None:
    """Half a year of weeks, ten top posts and every objective the report draws, each with
    five key results, all with the longest titles the API takes."""
    headers = await _manager(api)
    long = "Word " * 60
    for n in range(document.MAX_OBJECTIVES + 2):
        created = await api.client.post("/api/v1/objectives", headers=headers, json={
            "title": f"{n} {long}"[:300], "starts_on": "2026-01-05", "ends_on": "2026-07-05",
            "pilot_id": world.pilot_id,
            "key_results": [{"title": f"{k} {long}"[:300], "kind": "manual", "unit": "u" * 32,
                             "target": 1_000_000} for k in range(5)]})
        assert created.status_code == 201, created.text
    async with api.db.transaction() as session:
        pilot = await session.get(Pilot, world.pilot_id)
        assert pilot is not None
        doc = await document.for_pilot(session, pilot, start=date(2026, 1, 5),
                                       end=date(2026, 7, 6))
        top = [TopPost(post_id=f"p{n}", title=f"{n} {long}", shares=10**6, clicks=10**7,
                       conversions=10**5, revenue_by_currency={"EUR": "123456789.12",
                                                               "USD": "98765432.10"})
               for n in range(10)]
        full = replace(doc, report=doc.report.model_copy(update={"top_posts": top}))
        assert len(full.report.weekly) == 26 and len(full.objectives) == document.MAX_OBJECTIVES
        html = document.html(full, language="en", session=session)
    pages, text = _text(await render_pdf(html))
    assert pages <= 3, pages
    assert "And 2 more objectives, on the dashboard." in text
