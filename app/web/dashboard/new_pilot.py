"""The "new pilot" form: what ``POST /api/v1/pilots`` takes, for a cohort of groups.

Every field is checked here first, so that a mistake comes back as a sentence next to its
field (and nothing is created); the valid form then goes through the API's own
``PilotCreate`` and ``pilots_service.create``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import MIN_PILOT_DAYS, Baseline, PilotCreate
from app.core.schemas import storable
from app.core.types import MAX_COUNT, MAX_SPAN_DAYS
from app.models import Group, Pilot
from app.web.dashboard.dates import EARLIEST, LATEST
from app.web.i18n import N_

MAX_NAME = 200
MAX_GROUPS = 200  # as many as a pilot may name (PilotCreate)


@dataclass(frozen=True)
class Problem:
    message: str
    values: dict[str, int] = field(default_factory=dict)


@dataclass
class PilotForm:
    """The fields as typed (shown again after a mistake) and what is wrong with them."""

    groups: list[Group]
    name: str = ""
    starts_on: str = ""
    ends_on: str = ""
    group_ids: list[str] = field(default_factory=list)
    paid_visits: str = ""
    paid_conversions: str = ""
    errors: dict[str, Problem] = field(default_factory=dict)
    least_days: int = MIN_PILOT_DAYS


async def all_groups(session: AsyncSession) -> list[Group]:
    return list(await session.scalars(select(Group).order_by(Group.name).limit(MAX_GROUPS)))


async def blank(session: AsyncSession) -> PilotForm:
    return PilotForm(groups=await all_groups(session))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(form: PilotForm, name: str, raw: str, missing: str) -> date | None:
    if not raw:
        form.errors[name] = Problem(missing)
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        form.errors[name] = Problem(N_("Enter a date as year-month-day, between 2000 and "
                                       "2999."))
        return None
    return day


def _count(form: PilotForm, name: str, raw: str) -> int | None:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_COUNT:
        form.errors[name] = Problem(N_("Enter a whole number, 0 or more."))
        return None
    return int(raw)


def _baseline(form: PilotForm) -> Baseline | None:
    visits_raw, conversions_raw = form.paid_visits, form.paid_conversions
    if not visits_raw and not conversions_raw:
        return None
    if not visits_raw or not conversions_raw:
        missing = "paid_visits" if not visits_raw else "paid_conversions"
        form.errors[missing] = Problem(N_("Give both paid numbers, or neither."))
        return None
    visits = _count(form, "paid_visits", visits_raw)
    conversions = _count(form, "paid_conversions", conversions_raw)
    if visits is None or conversions is None:
        return None
    if conversions > visits:
        form.errors["paid_conversions"] = Problem(N_("Paid conversions cannot be more than "
                                                     "paid visits."))
        return None
    return Baseline(paid_visits=visits, paid_conversions=conversions)


def check(form: PilotForm) -> PilotCreate | None:
    """The pilot to create, or None with ``form.errors`` saying what to fix."""
    if not form.name:
        form.errors["name"] = Problem(N_("Give the pilot a name."))
    elif len(form.name) > MAX_NAME or not storable(form.name):
        form.errors["name"] = Problem(N_("Use at most %(most)s letters, digits and signs."),
                                      {"most": MAX_NAME})
    starts_on = _day(form, "starts_on", form.starts_on, N_("Pick the first day."))
    ends_on = _day(form, "ends_on", form.ends_on, N_("Pick the last day."))
    if starts_on and ends_on:
        if ends_on < starts_on:
            form.errors["ends_on"] = Problem(N_("The last day cannot be before the first day."))
        elif (ends_on - starts_on).days >= MAX_SPAN_DAYS:
            form.errors["ends_on"] = Problem(N_("A pilot lasts at most %(most)s days."),
                                             {"most": MAX_SPAN_DAYS})
    known = {g.id for g in form.groups}
    if not form.group_ids:
        form.errors["group_ids"] = Problem(N_("Pick at least one group: the cohort is its "
                                              "members."))
    elif not set(form.group_ids) <= known:
        form.errors["group_ids"] = Problem(N_("Pick groups from the list."))
    baseline = _baseline(form)
    if form.errors or starts_on is None or ends_on is None:
        return None
    try:
        return PilotCreate(name=form.name, starts_on=starts_on, ends_on=ends_on,
                           group_ids=sorted(set(form.group_ids)), baseline=baseline)
    except ValidationError:  # what the checks above missed: say so on the whole form
        form.errors["form"] = Problem(N_("Something in the form is not right: check each "
                                         "field."))
        return None


async def submit(session: AsyncSession, data: FormData) -> Pilot | PilotForm:
    """The new pilot, or the form again with what to fix (and nothing created)."""
    form = PilotForm(
        groups=await all_groups(session), name=_text(data, "name"),
        starts_on=_text(data, "starts_on"), ends_on=_text(data, "ends_on"),
        group_ids=[v for v in data.getlist("group_ids") if isinstance(v, str)][:MAX_GROUPS],
        paid_visits=_text(data, "paid_visits"), paid_conversions=_text(data, "paid_conversions"))
    created = check(form)
    if created is None:
        return form
    return await pilots_service.create(session, data=created)
