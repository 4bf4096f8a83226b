"""KPI reports over ``[from, to)`` in the organisation's time zone: a pilot's, or the
organisation's (every user, or one group's members) with the same machinery: a cohort as
SQL, its facts summed in the database, the KPIs computed from them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi.compute import KPI_NAMES, reports
from app.analytics.kpi.facts import Cohort, Facts, cohort_of_group, cohort_of_pilot, load
from app.analytics.kpi.schemas import KpiReport, Kpis, WeekKpis
from app.analytics.kpi.stats import compare
from app.analytics.pilots import service as pilots_service
from app.auth import groups as groups_service
from app.core.clock import utcnow
from app.core.db import org_tz
from app.core.errors import Invalid
from app.core.types import MAX_SPAN_DAYS
from app.gamification.periods import Period, midnight, start_of
from app.models import Pilot

MIN_SAMPLE = 30


def resolve_range(pilot: Pilot, start: date | None, end: date | None) -> tuple[date, date]:
    """Default: the pilot's days, ``[starts_on, the day after ends_on)``."""
    return check_range(start or pilot.starts_on, end or pilot.ends_on + timedelta(days=1))


def check_range(start: date, end: date) -> tuple[date, date]:
    if start >= end:
        raise Invalid("from must be before to.", loc=["query", "to"])
    if (end - start).days > MAX_SPAN_DAYS:
        raise Invalid(f"A KPI range spans at most {MAX_SPAN_DAYS} days.", loc=["query", "to"])
    return start, end


async def facts_for(session: AsyncSession, *, cohort: Cohort | None, start: date,
                    end: date, pilot_id: str | None, weekly: bool = False) -> Facts:
    tz = org_tz(session)
    start_at, end_at = midnight(start, tz), midnight(end, tz)
    return await load(session, tz=tz, cohort=cohort, start=start, end=end, start_at=start_at,
                      end_at=end_at, cutoff=min(end_at, utcnow()), pilot_id=pilot_id,
                      weeks=weeks(start, end) if weekly else ())


def weeks(start: date, end: date) -> list[tuple[date, date]]:
    """ISO weeks (Monday first) clipped to ``[start, end)``."""
    out = []
    week = start_of(Period.week, start)
    while week < end:
        out.append((max(week, start), min(week + timedelta(days=7), end)))
        week += timedelta(days=7)
    return out


def build(facts: Facts, pilot: Pilot | None) -> KpiReport:
    """The response for ``pilot`` (None: the organisation, without vs_paid or roi)."""
    spans = facts.weeks
    cost = Decimal(pilot.cost) if pilot is not None and pilot.cost is not None else None
    result = reports(facts, cost=cost)
    totals = result.total
    vs_paid = None
    warnings = pilots_service.warnings(pilot) if pilot is not None else []
    if (pilot is not None and pilot.paid_visits is not None
            and pilot.paid_conversions is not None):
        vs_paid = compare(totals["conversions"], totals["unique_clicks"],
                          pilot.paid_conversions, pilot.paid_visits)
        if totals["unique_clicks"] < MIN_SAMPLE:
            warnings.append(f"Only {totals['unique_clicks']} unique clicks: with fewer than "
                            f"{MIN_SAMPLE}, the normal approximation behind vs_paid is weak.")
    return KpiReport(
        pilot_id=pilot.id if pilot is not None else None, from_=facts.start, to=facts.end,
        **totals, vs_paid=vs_paid,
        by_network={k: Kpis(**v) for k, v in result.by_network.items()},
        by_topic={k: Kpis(**v) for k, v in result.by_topic.items()},
        by_group={k: Kpis(**v) for k, v in result.by_group.items()},
        weekly=[WeekKpis(week_start=ws, week_end=we, **values)
                for (ws, we), values in zip(spans, result.weekly, strict=True)],
        warnings=warnings,
    )


async def pilot_report(session: AsyncSession, pilot: Pilot, *, start: date | None,
                       end: date | None) -> KpiReport:
    start, end = resolve_range(pilot, start, end)
    return build(await facts_for(session, cohort=cohort_of_pilot(pilot.id), start=start,
                                 end=end, pilot_id=pilot.id, weekly=True), pilot)


async def organisation_report(session: AsyncSession, *, start: date, end: date,
                              group_id: str | None) -> KpiReport:
    """§3 ``GET /kpis``: every user existing and not deactivated at min(to, now), or the
    group's current members; every pilot's feedback."""
    start, end = check_range(start, end)
    cohort = None
    if group_id is not None:
        await groups_service.get_or_raise(session, group_id)
        cohort = cohort_of_group(group_id)
    return build(await facts_for(session, cohort=cohort, start=start, end=end, pilot_id=None,
                                 weekly=True), None)


def _csv_value(value: Any) -> str:
    return "" if value is None else str(value)


def weekly_csv(kpis: KpiReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["week_start", "week_end", *KPI_NAMES])
    for week in kpis.weekly:
        row = week.model_dump()
        writer.writerow([week.week_start, week.week_end,
                         *[_csv_value(row[name]) for name in KPI_NAMES]])
    return buffer.getvalue()
