"""The pilot page: one KPI report (``GET /api/v1/pilots/{id}/kpis``) and what is built from it.

The page costs the report plus a few small queries: the pilot's cohort lists, the names of
the groups and topics in the breakdowns, the objectives, one page of feedback and the report
schedules. What is drawn from a report (tiles, breakdowns, top posts, conversions by type) is
built by :func:`figures`, which the organisation's page shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.kpi import service as kpi_service
from app.analytics.kpi.schemas import KpiReport, Kpis, TopPost
from app.analytics.okr.schemas import ObjectiveRead
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import MIN_PILOT_DAYS, PilotRead
from app.models import Feedback, Group, Pilot, Topic
from app.models.enums import Network
from app.web import i18n
from app.web.dashboard import objectives as objectives_view
from app.web.dashboard import schedules as schedules_view
from app.web.dashboard.dates import ChosenRange, choose
from app.web.dashboard.pilots import Status, status_of, today
from app.web.dashboard.schedules import ScheduleBox, ScheduleForm
from app.web.dashboard.tiles import TileSection, sections
from app.web.i18n import N_

FEEDBACK_PAGE = 20


class Metric(StrEnum):
    """What the breakdown charts count."""

    shares = "shares"
    clicks = "clicks"
    conversions = "conversions"


DEFAULT_METRIC = Metric.clicks
METRIC_LABELS = {Metric.shares: N_("Shares"), Metric.clicks: N_("Clicks"),
                 Metric.conversions: N_("Conversions")}
NETWORK_NAMES = {
    Network.linkedin: N_("LinkedIn"), Network.x: N_("X"), Network.facebook: N_("Facebook"),
    Network.whatsapp: N_("WhatsApp"), Network.email: N_("Email"),
    Network.copy: N_("Copied link"), Network.native: N_("Phone share sheet"),
}
SHORT_PILOT = N_("This pilot lasts %(days)s days: a pilot of at least %(least)s days (four "
                 "weeks) gives results worth acting on.")
SMALL_SAMPLE = N_("Only %(clicks)s unique clicks: with fewer than %(least)s, the comparison "
                  "with paid traffic rests on a weak approximation. Read its interval with "
                  "care.")


@dataclass(frozen=True)
class Translated:
    """A label of ours translated when it is shown (the view is built before the page's
    language is in force); escaped like any text."""

    message: str

    def __str__(self) -> str:
        return i18n.gettext(self.message)


@dataclass(frozen=True)
class Notice:
    """A warning of the report: a translatable ``message`` with its values, or, for one this
    page does not know, the service's English ``text``."""

    message: str | None = None
    values: dict[str, int] = field(default_factory=dict)
    text: str | None = None


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Breakdown:
    id: str
    title: str
    key_label: str
    pairs: list[tuple[str | Translated, int]]  # (name, value), largest first


@dataclass(frozen=True)
class Export:
    label: str
    href: str


@dataclass(frozen=True)
class TopPostRow:
    title: str | None
    shares: int
    clicks: int
    conversions: int
    revenue: tuple[tuple[str, str], ...]  # (currency, amount), by currency


@dataclass(frozen=True)
class Figures:
    """What a page draws from one KPI report."""

    tiles: tuple[TileSection, ...]
    metric: Metric
    metric_links: list[Link]
    breakdowns: list[Breakdown]
    top_posts: list[TopPostRow]
    conversion_types: list[tuple[str, int]]  # most first


@dataclass(frozen=True)
class FeedbackPage:
    items: list[Feedback]
    older_href: str | None
    newest_href: str | None


@dataclass(frozen=True)
class PilotView:
    pilot: PilotRead
    status: Status
    groups: list[str]
    listed: int
    range: ChosenRange
    whole_href: str
    metric: Metric = DEFAULT_METRIC
    report: KpiReport | None = None
    figures: Figures | None = None
    notices: list[Notice] = field(default_factory=list)
    objectives: list[ObjectiveRead] = field(default_factory=list)
    feedback: FeedbackPage | None = None
    exports: list[Export] = field(default_factory=list)
    pdf_href: str | None = None
    schedules: ScheduleBox | None = None

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]

    @property
    def metric_param(self) -> str | None:
        """``?metric=`` for the range form to keep; None for the default."""
        return None if self.metric == DEFAULT_METRIC else self.metric.value


def metric_of(raw: str | None) -> Metric:
    try:
        return Metric(raw or DEFAULT_METRIC)
    except ValueError:
        return DEFAULT_METRIC


class Address:
    """A page's own URL with the manager's choices (range, metric, group) kept."""

    def __init__(self, path: str, *, metric: Metric, raw_from: str = "", raw_to: str = "",
                 **more: str | None) -> None:
        self.path = path
        self.params = {"from": raw_from, "to": raw_to, **more,
                       "metric": None if metric == DEFAULT_METRIC else metric.value}

    def __call__(self, fragment: str = "", **changes: str | None) -> str:
        params = {**self.params, **changes}
        query = urlencode({k: v for k, v in params.items() if v})
        return self.path + ("?" + query if query else "") + (f"#{fragment}" if fragment else "")


def notices(pilot: Pilot, report: KpiReport) -> list[Notice]:
    out = []
    days = (pilot.ends_on - pilot.starts_on).days + 1
    if days < MIN_PILOT_DAYS:
        out.append(Notice(SHORT_PILOT, {"days": days, "least": MIN_PILOT_DAYS}))
    small = report.vs_paid is not None and report.unique_clicks < kpi_service.MIN_SAMPLE
    if small:
        out.append(Notice(SMALL_SAMPLE, {"clicks": report.unique_clicks,
                                         "least": kpi_service.MIN_SAMPLE}))
    known = set(pilots_service.warnings(pilot))
    out += [Notice(text=w) for w in report.warnings
            if w not in known and not (small and "unique clicks" in w)]
    return out


def _ranked(breakdown: dict[str, Kpis], metric: Metric, names: dict[str, str] | None = None
            ) -> list[tuple[str | Translated, int]]:
    """Largest first, then by name; ``names`` of ids (topics, groups), else networks."""
    values = {key: int(getattr(kpis, metric.value)) for key, kpis in breakdown.items()}
    if names is None:
        labels: dict[str, str | Translated] = {
            key: Translated(NETWORK_NAMES[Network(key)]) if key in NETWORK_NAMES else key
            for key in values}
        order = sorted(values, key=lambda key: (-values[key], key))
    else:
        named = {key: names.get(key, key) for key in values}
        labels = dict(named)
        order = sorted(values, key=lambda key: (-values[key], named[key].casefold()))
    return [(labels[key], values[key]) for key in order]


async def _names(session: AsyncSession, model: type[Group] | type[Topic],
                 ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {row_id: name for row_id, name in rows}


def top_posts(report: KpiReport) -> list[TopPostRow]:
    """In the API's order: most clicks, then most conversions."""
    def row(post: TopPost) -> TopPostRow:
        return TopPostRow(post.title, post.shares, post.clicks, post.conversions,
                          tuple(sorted(post.revenue_by_currency.items())))
    return [row(post) for post in report.top_posts]


def conversion_types(report: KpiReport) -> list[tuple[str, int]]:
    counts = report.conversions_by_type
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))


async def figures(session: AsyncSession, report: KpiReport, *, metric: Metric,
                  address: Address, groups: dict[str, str],
                  without: frozenset[str] = frozenset()) -> Figures:
    """``groups`` names the groups the page knows already (more are looked up); ``without``
    names tiles the page leaves out."""
    groups = {**groups, **await _names(session, Group, set(report.by_group) - set(groups))}
    topics = await _names(session, Topic, set(report.by_topic))
    return Figures(
        tiles=sections(report, without=without), metric=metric,
        metric_links=[Link(label, address("breakdowns",
                                          metric=None if m == DEFAULT_METRIC else m.value),
                           m == metric)
                      for m, label in METRIC_LABELS.items()],
        breakdowns=[
            Breakdown("by-network", N_("%(metric)s by network"), N_("Network"),
                      _ranked(report.by_network, metric)),
            Breakdown("by-topic", N_("%(metric)s by topic"), N_("Topic"),
                      _ranked(report.by_topic, metric, topics)),
            Breakdown("by-group", N_("%(metric)s by group"), N_("Group"),
                      _ranked(report.by_group, metric, groups)),
        ],
        top_posts=top_posts(report), conversion_types=conversion_types(report))


def pdf_href(path: str, start: date, end: date, **more: str | None) -> str:
    params = {"from": start.isoformat(), "to": end.isoformat(), **more}
    return path + "?" + urlencode({k: v for k, v in params.items() if v})


def exports(pilot_id: str, start: date, end: date) -> list[Export]:
    span = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    return [Export(N_("Weekly KPIs"), f"/api/v1/pilots/{pilot_id}/kpis.csv?{span}"),
            *raw_exports(start, end)]


def raw_exports(start: date, end: date) -> list[Export]:
    """The organisation's shares, clicks and conversions of ``[start, end)``."""
    span = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    return [
        Export(N_("Shares"), f"/api/v1/exports/shares.csv?{span}"),
        Export(N_("Clicks"), f"/api/v1/exports/clicks.csv?{span}"),
        Export(N_("Conversions"), f"/api/v1/exports/conversions.csv?{span}"),
    ]


async def _feedback(session: AsyncSession, pilot: Pilot, cursor: str | None,
                    address: Address) -> FeedbackPage:
    rows, next_cursor = await pilots_service.list_feedback(session, pilot, limit=FEEDBACK_PAGE,
                                                           cursor=cursor)
    return FeedbackPage(
        items=rows,
        older_href=address("feedback", feedback=next_cursor) if next_cursor else None,
        newest_href=address("feedback") if cursor else None)


async def pilot_view(session: AsyncSession, *, pilot_id: str, raw_from: str | None,
                     raw_to: str | None, metric: str | None, feedback_cursor: str | None,
                     schedule_form: ScheduleForm | None = None) -> PilotView:
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    read = (await pilots_service.to_read(session, [pilot]))[0]
    chosen = choose(pilot, raw_from, raw_to)
    picked = metric_of(metric)
    path = f"/dashboard/pilots/{pilot.id}"
    address = Address(path, metric=picked, raw_from=chosen.raw_from, raw_to=chosen.raw_to)
    whole = Address(path, metric=picked)
    if chosen.start is None or chosen.end is None:
        names = await _names(session, Group, set(read.group_ids))
        return PilotView(pilot=read, status=status_of(pilot, today(session)),
                         groups=sorted(names.values(), key=str.casefold),
                         listed=len(read.user_ids), range=chosen, whole_href=whole(),
                         metric=picked)
    report = await kpi_service.pilot_report(session, pilot, start=chosen.start, end=chosen.end)
    groups = await _names(session, Group, set(read.group_ids) | set(report.by_group))
    return PilotView(
        pilot=read, status=status_of(pilot, today(session)),
        groups=sorted((groups[g] for g in read.group_ids if g in groups), key=str.casefold),
        listed=len(read.user_ids), range=chosen, whole_href=whole(), metric=picked,
        report=report,
        figures=await figures(session, report, metric=picked, address=address, groups=groups),
        notices=notices(pilot, report),
        objectives=await objectives_view.of_pilot(session, pilot_id=pilot.id,
                                                  start=chosen.start, end=chosen.end,
                                                  report=report),
        feedback=await _feedback(session, pilot, feedback_cursor, address),
        exports=exports(pilot.id, report.from_, report.to),
        pdf_href=pdf_href(f"/api/v1/pilots/{pilot.id}/report.pdf", report.from_, report.to),
        schedules=await schedules_view.box(session, pilot_id=pilot.id,
                                           action=f"{path}/report-schedules",
                                           form=schedule_form),
    )
