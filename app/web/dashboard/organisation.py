"""The organisation's page: ``GET /api/v1/kpis`` over a range (by default the last four full
ISO weeks), for everyone or one group's members, drawn like a pilot's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi import service as kpi_service
from app.analytics.kpi.schemas import KpiReport
from app.models import Group
from app.web.dashboard import schedules as schedules_view
from app.web.dashboard.dates import ChosenRange, choose_between, last_full_weeks
from app.web.dashboard.new_pilot import all_groups
from app.web.dashboard.pilots import today
from app.web.dashboard.report import (
    DEFAULT_METRIC,
    METRIC_LABELS,
    Address,
    Export,
    Figures,
    Metric,
    figures,
    metric_of,
    pdf_href,
    raw_exports,
)
from app.web.dashboard.schedules import ScheduleBox, ScheduleForm

PATH = "/dashboard/organisation"
# A return needs a cost, which only a pilot has: the API's roi is always null here.
NOT_FOR_THE_ORGANISATION = frozenset({"roi"})


@dataclass(frozen=True)
class OrganisationView:
    range: ChosenRange
    groups: list[Group]  # to pick from
    group_id: str | None  # as asked (a wrong one is kept to show it again)
    group_error: bool = False
    metric: Metric = DEFAULT_METRIC
    report: KpiReport | None = None
    figures: Figures | None = None
    exports: list[Export] = field(default_factory=list)
    pdf_href: str | None = None
    schedules: ScheduleBox | None = None

    @property
    def error(self) -> bool:
        return self.range.error is not None or self.group_error

    @property
    def group_name(self) -> str | None:
        return next((g.name for g in self.groups if g.id == self.group_id), None)

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]

    @property
    def metric_param(self) -> str | None:
        return None if self.metric == DEFAULT_METRIC else self.metric.value


def href(raw_from: str = "", raw_to: str = "", group_id: str | None = None,
         fragment: str = "") -> str:
    """This page's URL with a range and group kept (for redirects after a form)."""
    query = urlencode({k: v for k, v in (("from", raw_from), ("to", raw_to),
                                         ("group_id", group_id)) if v})
    return PATH + ("?" + query if query else "") + (f"#{fragment}" if fragment else "")


async def organisation_view(session: AsyncSession, *, raw_from: str | None,
                            raw_to: str | None, group_id: str | None, metric: str | None,
                            schedule_form: ScheduleForm | None = None) -> OrganisationView:
    start, end = last_full_weeks(today(session))
    chosen = choose_between(start, end, raw_from, raw_to)
    groups = await all_groups(session)
    group_id = (group_id or "").strip() or None
    known = group_id is None or any(g.id == group_id for g in groups)
    picked = metric_of(metric)
    if chosen.start is None or chosen.end is None or not known:
        return OrganisationView(range=chosen, groups=groups, group_id=group_id,
                                group_error=not known, metric=picked)
    report = await kpi_service.organisation_report(session, start=chosen.start,
                                                   end=chosen.end, group_id=group_id)
    address = Address(PATH, metric=picked, raw_from=chosen.raw_from, raw_to=chosen.raw_to,
                      group_id=group_id)
    return OrganisationView(
        range=chosen, groups=groups, group_id=group_id, metric=picked, report=report,
        figures=await figures(session, report, metric=picked, address=address,
                              groups={g.id: g.name for g in groups},
                              without=NOT_FOR_THE_ORGANISATION),
        exports=raw_exports(report.from_, report.to),
        pdf_href=pdf_href("/api/v1/report.pdf", report.from_, report.to, group_id=group_id),
        schedules=await schedules_view.box(session, pilot_id=None,
                                           action=f"{PATH}/report-schedules",
                                           form=schedule_form),
    )
