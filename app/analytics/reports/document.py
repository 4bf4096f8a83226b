"""What the leadership report shows (CONTRACT §3): the headline KPIs, the weekly trend,
advocacy vs paid, the objectives whose dates overlap the range, and the top posts, for a
pilot or for the organisation (or one group), in the reader's language.

The HTML comes from the dashboard's own chart macros and KPI definitions; the PDF is laid out
from it by :mod:`app.analytics.reports.pdf`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi import service as kpi_service
from app.analytics.kpi.schemas import KpiReport
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import ObjectiveRead
from app.core.clock import utcnow
from app.core.db import org_tz
from app.models import Group, Objective, Pilot
from app.web import i18n
from app.web.dashboard import formats
from app.web.dashboard.definitions import BY_NAME
from app.web.dashboard.tiles import Tile, tile
from app.web.templating import environment

HEADLINE = ("enrolled", "participation_rate", "shares", "clicks", "conversions", "revenue",
            "reach", "emv", "roi")
# Three A4 pages at most: the objectives beyond these are counted, not drawn.
MAX_OBJECTIVES = 3
TEMPLATE = "dashboard/report_pdf.html"
SVG_STYLES = Path(__file__).parent / "report_svg.css"
_SVG_OPENING = re.compile(r"<svg\b[^>]*>")


@dataclass(frozen=True)
class Baseline:
    paid_visits: int
    paid_conversions: int


@dataclass(frozen=True)
class ReportDocument:
    """One report: ``name`` is the pilot's, the group's, or None for the organisation."""

    name: str | None
    scope: str  # "pilot" | "group" | "organisation"
    report: KpiReport
    baseline: Baseline | None
    objectives: list[ObjectiveRead]
    more_objectives: int
    generated_at: datetime

    @property
    def start(self) -> date:
        return self.report.from_

    @property
    def last(self) -> date:
        return self.report.to - timedelta(days=1)

    @property
    def headline(self) -> list[Tile]:
        return [tile(self.report, BY_NAME[name]) for name in HEADLINE]


async def _objectives(session: AsyncSession, *, start: date, end: date,
                      pilot_id: str | None) -> tuple[list[ObjectiveRead], int]:
    query = (select(Objective).where(Objective.starts_on < end, Objective.ends_on >= start)
             .order_by(Objective.starts_on, Objective.title, Objective.id))
    if pilot_id is not None:
        query = query.where(Objective.pilot_id == pilot_id)
    objectives = list((await session.scalars(query)).all())
    shown = objectives[:MAX_OBJECTIVES]
    return await okr_service.to_read(session, shown), len(objectives) - len(shown)


async def for_pilot(session: AsyncSession, pilot: Pilot, *, start: date | None,
                    end: date | None) -> ReportDocument:
    report = await kpi_service.pilot_report(session, pilot, start=start, end=end)
    objectives, more = await _objectives(session, start=report.from_, end=report.to,
                                         pilot_id=pilot.id)
    baseline = None
    if pilot.paid_visits is not None and pilot.paid_conversions is not None:
        baseline = Baseline(pilot.paid_visits, pilot.paid_conversions)
    return ReportDocument(name=pilot.name, scope="pilot", report=report, baseline=baseline,
                          objectives=objectives, more_objectives=more,
                          generated_at=utcnow())


async def for_organisation(session: AsyncSession, *, start: date, end: date,
                           group_id: str | None) -> ReportDocument:
    report = await kpi_service.organisation_report(session, start=start, end=end,
                                                   group_id=group_id)
    objectives, more = await _objectives(session, start=report.from_, end=report.to,
                                         pilot_id=None)
    group = await session.get(Group, group_id) if group_id else None
    return ReportDocument(name=group.name if group else None,
                          scope="group" if group else "organisation", report=report,
                          baseline=None, objectives=objectives, more_objectives=more,
                          generated_at=utcnow())


@cache
def _svg_style(language: str) -> str:
    # Thai marks are shaped only within one font: a Thai face first for Thai text.
    fonts = '"Garuda", "DejaVu Sans"' if language == "th" else '"DejaVu Sans", "Garuda"'
    return (f"<style>text {{ font-family: {fonts}, sans-serif; }}\n"
            f"{SVG_STYLES.read_text('utf-8')}</style>")


def html(document: ReportDocument, *, language: str, session: AsyncSession) -> str:
    """The report as a standalone HTML page (styles inline, nothing to fetch)."""
    with i18n.using(i18n.PageLocale(language, org_tz(session))):
        page = environment().get_template(TEMPLATE).render(doc=document, lang=language,
                                                            fmt=formats)
    # The charts' SVG is ours (no user text in its tags): each gets the print colours.
    return _SVG_OPENING.sub(lambda opening: opening.group(0) + _svg_style(language), page)


def filename(document: ReportDocument) -> str:
    """``chorus-report-2026-11-02-to-2026-11-08.pdf``: ASCII only, safe in any header."""
    return f"chorus-report-{document.start.isoformat()}-to-{document.last.isoformat()}.pdf"
