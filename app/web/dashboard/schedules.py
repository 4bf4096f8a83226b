"""Report schedules on the dashboard: who gets the PDF report by email, and how often.

The pilot page lists its pilot's schedules and the organisation's; the organisation page
lists every schedule. The form is checked here first, field by field, so that a mistake comes
back next to its field with what was typed (and nothing created); the valid form then goes
through the API's ``ReportScheduleCreate`` and ``schedules.create``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.analytics.reports import schedules as schedules_service
from app.analytics.reports.schemas import (
    MAX_RECIPIENTS,
    Cadence,
    ReportScheduleCreate,
    ReportScheduleRead,
)
from app.core.types import Email
from app.models import Pilot, ReportSchedule, User
from app.web.i18n import N_

MAX_SHOWN = 100
MAX_RECIPIENTS_TEXT = 20_000
_SEPARATORS = re.compile(r"[,;\s]+")
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
CADENCE_LABELS = {Cadence.weekly: N_("Weekly: the last full week, on Mondays"),
                  Cadence.monthly: N_("Monthly: the last month, on the 1st")}


class Scope(StrEnum):
    pilot = "pilot"
    organisation = "organisation"


@dataclass(frozen=True)
class Problem:
    message: str
    values: dict[str, str | int] = field(default_factory=dict)


@dataclass
class ScheduleForm:
    """The fields as typed (shown again after a mistake) and what is wrong with them."""

    cadence: str = Cadence.weekly.value
    recipients: str = ""
    scope: str = Scope.pilot.value
    errors: dict[str, Problem] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleRow:
    schedule: ReportScheduleRead
    subject: str | None  # the pilot's name; None: the organisation


@dataclass(frozen=True)
class ScheduleBox:
    """The schedules section: the list, the form, where it posts, and whether it offers the
    choice between this pilot and the organisation."""

    rows: list[ScheduleRow]
    form: ScheduleForm
    action: str
    for_pilot: bool
    cadences: dict[Cadence, str] = field(default_factory=lambda: dict(CADENCE_LABELS))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def split_recipients(raw: str) -> list[str]:
    """One address a line or separated by commas (or semicolons, or spaces)."""
    return [part for part in _SEPARATORS.split(raw) if part]


def _bad_addresses(addresses: list[str]) -> list[str]:
    """Those that ``ReportScheduleCreate`` would refuse, as typed."""
    bad = []
    for address in addresses:
        try:
            _EMAIL.validate_python(address)
        except ValidationError:
            bad.append(address)
    return bad


def read_form(data: FormData, *, for_pilot: bool) -> ScheduleForm:
    recipients = data.get("recipients")
    return ScheduleForm(
        cadence=_text(data, "cadence"),
        recipients=recipients[:MAX_RECIPIENTS_TEXT] if isinstance(recipients, str) else "",
        scope=_text(data, "scope") if for_pilot else Scope.organisation.value)


def check(form: ScheduleForm, *, pilot_id: str | None) -> ReportScheduleCreate | None:
    """The schedule to create, or None with ``form.errors`` saying what to fix."""
    if form.cadence not in {c.value for c in Cadence}:
        form.errors["cadence"] = Problem(N_("Pick how often the report is sent."))
    if form.scope not in {s.value for s in Scope}:
        form.errors["scope"] = Problem(N_("Pick what the report is about."))
    addresses = split_recipients(form.recipients)
    if not addresses:
        form.errors["recipients"] = Problem(N_("Give at least one email address."))
    elif len(set(a.lower() for a in addresses)) > MAX_RECIPIENTS:
        form.errors["recipients"] = Problem(N_("At most %(most)s addresses per schedule."),
                                            {"most": MAX_RECIPIENTS})
    else:
        bad = _bad_addresses(addresses)
        if bad:
            form.errors["recipients"] = Problem(
                N_("These are not email addresses: %(addresses)s. Fix or remove them."),
                {"addresses": ", ".join(bad[:5])})
    if form.errors:
        return None
    try:
        return ReportScheduleCreate(
            cadence=Cadence(form.cadence), recipients=addresses,
            pilot_id=pilot_id if form.scope == Scope.pilot.value else None)
    except ValidationError:  # what the checks above missed: say so on the whole form
        form.errors["form"] = Problem(N_("Something in the form is not right: check each "
                                         "field."))
        return None


async def submit(session: AsyncSession, data: FormData, *, pilot_id: str | None,
                 creator: User) -> ScheduleForm | None:
    """None once the schedule is created, else the form again with what to fix."""
    form = read_form(data, for_pilot=pilot_id is not None)
    created = check(form, pilot_id=pilot_id)
    if created is None:
        return form
    await schedules_service.create(session, data=created, creator=creator)
    return None


async def rows(session: AsyncSession, *, pilot_id: str | None) -> list[ScheduleRow]:
    """A pilot's schedules and the organisation's; without ``pilot_id``, every schedule."""
    query = select(ReportSchedule)
    if pilot_id is not None:
        query = query.where(or_(ReportSchedule.pilot_id == pilot_id,
                                ReportSchedule.pilot_id.is_(None)))
    found = list(await session.scalars(
        query.order_by(ReportSchedule.created_at, ReportSchedule.id).limit(MAX_SHOWN)))
    if not found:
        return []
    pilot_ids = {s.pilot_id for s in found if s.pilot_id is not None}
    names = dict((await session.execute(
        select(Pilot.id, Pilot.name).where(Pilot.id.in_(pilot_ids)))).all()
    ) if pilot_ids else {}
    reads = await schedules_service.to_read(session, found)
    return [ScheduleRow(read, names.get(read.pilot_id) if read.pilot_id else None)
            for read in reads]


async def box(session: AsyncSession, *, pilot_id: str | None, action: str,
              form: ScheduleForm | None = None) -> ScheduleBox:
    return ScheduleBox(
        rows=await rows(session, pilot_id=pilot_id),
        form=form or ScheduleForm(scope=Scope.pilot.value if pilot_id else
                                  Scope.organisation.value),
        action=action, for_pilot=pilot_id is not None)


async def delete(session: AsyncSession, schedule_id: str) -> None:
    """404 (NotFound) for an unknown schedule."""
    await schedules_service.delete(session, schedule_id=schedule_id)
