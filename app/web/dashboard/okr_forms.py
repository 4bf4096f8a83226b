"""The dashboard's OKR forms: an objective with its key results (new or edited), and a
check-in.

Every field is checked here first, so that a mistake comes back as a sentence next to its
field with what was typed (and nothing is created); the valid form then goes through the
API's own ``ObjectiveCreate`` / ``ObjectiveUpdate`` / ``CheckInCreate`` and services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import get_args

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.analytics.okr import check_ins as check_ins_service
from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import (
    MAX_KEY_RESULTS,
    RECOMMENDED_KEY_RESULTS,
    CheckInCreate,
    Confidence,
    KeyResultIn,
    KeyResultKind,
    Metric,
    Number,
    ObjectiveCreate,
    ObjectiveUpdate,
)
from app.core.errors import Conflict, Invalid
from app.core.schemas import storable
from app.core.types import MAX_SPAN_DAYS
from app.models import Objective, Pilot, User
from app.web.dashboard.dates import EARLIEST, LATEST
from app.web.dashboard.definitions import BY_NAME
from app.web.i18n import N_

MAX_TITLE, MAX_UNIT, MAX_NOTE = 300, 32, 2000
MAX_CHOICES = 500  # people and pilots offered in the editor's selects
METRICS: tuple[str, ...] = get_args(Metric)
_NUMBER: TypeAdapter[Decimal] = TypeAdapter(Number)
CONFIDENCE_LABELS = {Confidence.on_track: N_("On track"), Confidence.at_risk: N_("At risk"),
                     Confidence.off_track: N_("Off track")}


@dataclass(frozen=True)
class Problem:
    message: str
    values: dict[str, str | int] = field(default_factory=dict)


@dataclass
class KeyResultFields:
    id: str = ""  # an edited objective's key result, kept with its check-ins and history
    title: str = ""
    kind: str = KeyResultKind.kpi.value
    metric: str = ""
    unit: str = ""
    baseline: str = ""
    target: str = ""
    due_on: str = ""

    @property
    def blank(self) -> bool:
        return not any((self.title, self.metric, self.unit, self.baseline, self.target,
                        self.due_on))


@dataclass(frozen=True)
class Choice:
    id: str
    name: str


@dataclass
class ObjectiveForm:
    """The editor's fields as typed, what is wrong with them (by field name, key results'
    as ``kr-<i>-<field>``), and the choices it offers. ``objective_id`` is the objective
    being edited (empty for a new one)."""

    people: list[Choice]
    pilots: list[Choice]
    objective_id: str = ""
    scored: bool = False
    title: str = ""
    starts_on: str = ""
    ends_on: str = ""
    pilot_id: str = ""
    owner_id: str = ""
    key_results: list[KeyResultFields] = field(
        default_factory=lambda: [KeyResultFields() for _ in range(MAX_KEY_RESULTS)])
    errors: dict[str, Problem] = field(default_factory=dict)
    conflict: bool = False  # the service refused: the objective is scored
    recommended: int = RECOMMENDED_KEY_RESULTS
    metrics: tuple[tuple[str, str], ...] = tuple(
        (name, BY_NAME[name].label) for name in METRICS if name in BY_NAME)


@dataclass
class CheckInForm:
    key_result_id: str = ""
    confidence: str = ""
    value: str = ""
    note: str = ""
    errors: dict[str, Problem] = field(default_factory=dict)


async def choices(session: AsyncSession) -> tuple[list[Choice], list[Choice]]:
    """Active people by name, and pilots newest first."""
    people = [Choice(i, n) for i, n in (await session.execute(
        select(User.id, User.name).where(User.deactivated_at.is_(None))
        .order_by(User.name, User.id).limit(MAX_CHOICES)))]
    pilots = [Choice(i, n) for i, n in (await session.execute(
        select(Pilot.id, Pilot.name).order_by(Pilot.starts_on.desc(), Pilot.id)
        .limit(MAX_CHOICES)))]
    return people, pilots


async def blank(session: AsyncSession, owner_id: str = "") -> ObjectiveForm:
    people, pilots = await choices(session)
    return ObjectiveForm(people=people, pilots=pilots, owner_id=owner_id)


def _text(form: FormData, name: str, most: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:most] if isinstance(value, str) else ""


def _day(raw: str) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _number(raw: str) -> Decimal | None:
    try:
        return _NUMBER.validate_python(Decimal(raw.replace(",", "")))
    except (InvalidOperation, ValidationError):
        return None


def _title(errors: dict[str, Problem], name: str, raw: str, missing: str) -> None:
    if not raw:
        errors[name] = Problem(missing)
    elif len(raw) > MAX_TITLE or not storable(raw):
        errors[name] = Problem(N_("Use at most %(most)s letters, digits and signs."),
                               {"most": MAX_TITLE})


DATE_PROBLEM = N_("Enter a date as year-month-day, between 2000 and 2999.")
NUMBER_PROBLEM = N_("Enter a number, such as 12 or 0.35.")


def _key_result(form: ObjectiveForm, i: int, kr: KeyResultFields, starts_on: date | None,
                ends_on: date | None) -> KeyResultIn | None:
    errors, name = form.errors, f"kr-{i}-"
    _title(errors, name + "title", kr.title, N_("Give the key result a title."))
    kind = KeyResultKind.kpi if kr.kind == "kpi" else (
        KeyResultKind.manual if kr.kind == "manual" else None)
    if kind is None:
        errors[name + "kind"] = Problem(N_("Pick how the key result is measured."))
    elif kind is KeyResultKind.kpi and kr.metric not in METRICS:
        errors[name + "metric"] = Problem(N_("Pick the KPI this key result follows."))
    if kind is KeyResultKind.manual and (len(kr.unit) > MAX_UNIT or not storable(kr.unit)):
        errors[name + "unit"] = Problem(N_("Use at most %(most)s letters, digits and signs."),
                                        {"most": MAX_UNIT})
    baseline = _number(kr.baseline) if kr.baseline else Decimal(0)
    if baseline is None:
        errors[name + "baseline"] = Problem(NUMBER_PROBLEM)
    target = _number(kr.target) if kr.target else None
    if not kr.target:
        errors[name + "target"] = Problem(N_("Give the value to reach."))
    elif target is None:
        errors[name + "target"] = Problem(NUMBER_PROBLEM)
    due = _day(kr.due_on) if kr.due_on else None
    if kr.due_on and due is None:
        errors[name + "due_on"] = Problem(DATE_PROBLEM)
    elif due and starts_on and ends_on and not starts_on <= due <= ends_on:
        errors[name + "due_on"] = Problem(N_("Pick a day within the objective's dates."))
    if any(key.startswith(name) for key in errors) or kind is None:
        return None
    try:
        return KeyResultIn(
            id=kr.id or None, title=kr.title, kind=kind,
            metric=kr.metric if kind is KeyResultKind.kpi else None,
            unit=(kr.unit or None) if kind is KeyResultKind.manual else None,
            baseline=baseline, target=target, due_on=due)
    except ValidationError:
        errors[name + "title"] = Problem(N_("Something in this key result is not right: "
                                            "check each field."))
        return None


def check(form: ObjectiveForm) -> ObjectiveCreate | None:
    """The objective to create, or None with ``form.errors`` saying what to fix."""
    errors = form.errors
    _title(errors, "title", form.title, N_("Give the objective a title."))
    starts_on = _day(form.starts_on) if form.starts_on else None
    ends_on = _day(form.ends_on) if form.ends_on else None
    for name, raw, day, missing in (("starts_on", form.starts_on, starts_on,
                                     N_("Pick the first day.")),
                                    ("ends_on", form.ends_on, ends_on,
                                     N_("Pick the last day."))):
        if not raw:
            errors[name] = Problem(missing)
        elif day is None:
            errors[name] = Problem(DATE_PROBLEM)
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = Problem(N_("The last day cannot be before the first day."))
            starts_on = ends_on = None
        elif (ends_on - starts_on).days >= MAX_SPAN_DAYS:
            errors["ends_on"] = Problem(N_("An objective lasts at most %(most)s days."),
                                        {"most": MAX_SPAN_DAYS})
    if form.pilot_id and form.pilot_id not in {p.id for p in form.pilots}:
        errors["pilot_id"] = Problem(N_("Pick a pilot from the list."))
    if form.owner_id and form.owner_id not in {p.id for p in form.people}:
        errors["owner_id"] = Problem(N_("Pick an owner from the list."))
    filled = [(i, kr) for i, kr in enumerate(form.key_results) if not kr.blank]
    if not filled:
        errors["key_results"] = Problem(N_("Give at least one key result."))
    key_results = [_key_result(form, i, kr, starts_on, ends_on) for i, kr in filled]
    if errors or starts_on is None or ends_on is None:
        return None
    try:
        return ObjectiveCreate(
            title=form.title, starts_on=starts_on, ends_on=ends_on,
            pilot_id=form.pilot_id or None, owner_id=form.owner_id or None,
            key_results=[kr for kr in key_results if kr is not None])
    except ValidationError:
        errors["form"] = Problem(N_("Something in the form is not right: check each field."))
        return None


def _typed(data: FormData, people: list[Choice], pilots: list[Choice], *,
           objective_id: str = "", scored: bool = False) -> ObjectiveForm:
    """The editor as typed; a key result's ``id`` only when editing an objective."""
    return ObjectiveForm(
        people=people, pilots=pilots, objective_id=objective_id, scored=scored,
        title=_text(data, "title", MAX_TITLE + 1),
        starts_on=_text(data, "starts_on", 32), ends_on=_text(data, "ends_on", 32),
        pilot_id=_text(data, "pilot_id", 64), owner_id=_text(data, "owner_id", 64),
        key_results=[KeyResultFields(
            id=_text(data, f"kr-{i}-id", 64) if objective_id else "",
            title=_text(data, f"kr-{i}-title", MAX_TITLE + 1),
            kind=_text(data, f"kr-{i}-kind", 16) or KeyResultKind.kpi.value,
            metric=_text(data, f"kr-{i}-metric", 64), unit=_text(data, f"kr-{i}-unit", 64),
            baseline=_text(data, f"kr-{i}-baseline", 64),
            target=_text(data, f"kr-{i}-target", 64),
            due_on=_text(data, f"kr-{i}-due_on", 32)) for i in range(MAX_KEY_RESULTS)])


async def submit_objective(session: AsyncSession, data: FormData, *,
                           creator: User) -> Objective | ObjectiveForm:
    """The new objective, or the form again with what to fix (and nothing created)."""
    people, pilots = await choices(session)
    form = _typed(data, people, pilots)
    created = check(form)
    if created is None:
        return form
    try:
        return await okr_service.create(session, data=created, creator=creator)
    except Invalid:  # the owner or pilot went away meanwhile
        form.errors["form"] = Problem(N_("Something in the form is not right: check each "
                                         "field."))
        return form


async def submit_check_in(session: AsyncSession, objective: Objective, data: FormData, *,
                          author: User) -> CheckInForm | None:
    """None once the check-in is recorded, else the form again with what to fix."""
    form = CheckInForm(key_result_id=_text(data, "key_result_id", 64),
                       confidence=_text(data, "confidence", 16),
                       value=_text(data, "value", 64), note=_text(data, "note", MAX_NOTE + 1))
    krs = {kr.id: kr for kr in (await okr_service.key_results_of(session, [objective.id]))[
        objective.id]}
    kr = krs.get(form.key_result_id) if form.key_result_id else None
    if form.key_result_id and kr is None:
        form.errors["key_result_id"] = Problem(N_("Pick a key result of this objective."))
    if form.confidence not in {c.value for c in Confidence}:
        form.errors["confidence"] = Problem(N_("Pick how confident you are."))
    value = None
    if form.value:
        value = _number(form.value)
        if value is None:
            form.errors["value"] = Problem(NUMBER_PROBLEM)
        elif kr is None or kr.kind != KeyResultKind.manual:
            form.errors["value"] = Problem(N_("Only a key result checked in by hand takes a "
                                              "value: pick one, or leave the value empty."))
    if len(form.note) > MAX_NOTE or not storable(form.note):
        form.errors["note"] = Problem(N_("Use at most %(most)s letters, digits and signs."),
                                      {"most": MAX_NOTE})
    if form.errors:
        return form
    await check_ins_service.create(session, objective, author=author, data=CheckInCreate(
        key_result_id=form.key_result_id or None, value=value,
        confidence=Confidence(form.confidence), note=form.note or None))
    return None


def _plain(value: str) -> str:
    """A stored number as a person would type it: 10 rather than 10.00."""
    number = Decimal(value)
    return f"{number.normalize():f}" if number == number.to_integral_value() else value


async def edit_form(session: AsyncSession, objective: Objective) -> ObjectiveForm:
    """The editor filled with the objective as stored, each key result with its id."""
    people, pilots = await choices(session)
    krs = (await okr_service.key_results_of(session, [objective.id]))[objective.id]
    fields = [KeyResultFields(
        id=kr.id, title=kr.title, kind=kr.kind, metric=kr.metric or "", unit=kr.unit or "",
        baseline=_plain(kr.baseline), target=_plain(kr.target),
        due_on=kr.due_on.isoformat() if kr.due_on else "") for kr in krs]
    owner_id = objective.owner_id or ""
    return ObjectiveForm(
        people=people, pilots=pilots, objective_id=objective.id,
        scored=objective.scored_at is not None, title=objective.title,
        starts_on=objective.starts_on.isoformat(), ends_on=objective.ends_on.isoformat(),
        pilot_id=objective.pilot_id or "",
        # A deactivated owner is not offered: leaving the choice empty keeps them.
        owner_id=owner_id if owner_id in {p.id for p in people} else "",
        key_results=fields + [KeyResultFields()
                              for _ in range(MAX_KEY_RESULTS - len(fields))])


SCORED_PROBLEM = N_("This objective has ended and been scored: its dates, pilot and key "
                    "results are final. Only titles, units and the owner may still change.")
GONE_PROBLEM = N_("A key result of this objective was removed meanwhile: open the objective "
                  "again to edit it.")


async def submit_update(session: AsyncSession, objective: Objective,
                        data: FormData) -> Objective | ObjectiveForm:
    """The saved objective, or the form again with what to fix (and nothing changed):
    ``conflict`` is set when the objective is scored and the change touches what the score
    stands on."""
    people, pilots = await choices(session)
    form = _typed(data, people, pilots, objective_id=objective.id,
                  scored=objective.scored_at is not None)
    existing = {kr.id for kr in (await okr_service.key_results_of(
        session, [objective.id]))[objective.id]}
    named = [kr.id for kr in form.key_results if kr.id and not kr.blank]
    if any(kr_id not in existing for kr_id in named) or len(set(named)) < len(named):
        form.errors["form"] = Problem(GONE_PROBLEM)
    checked = check(form)
    if checked is None or form.errors:
        return form
    changes = ObjectiveUpdate(
        title=checked.title, starts_on=checked.starts_on, ends_on=checked.ends_on,
        pilot_id=checked.pilot_id, key_results=checked.key_results)
    if checked.owner_id and checked.owner_id != objective.owner_id:
        # Only a new choice is sent: an empty one keeps the owner as it is.
        changes = changes.model_copy(update={"owner_id": checked.owner_id})
    try:
        return await okr_service.update(session, objective, changes)
    except Conflict:
        form.errors["form"], form.conflict = Problem(SCORED_PROBLEM), True
        return form
    except Invalid:  # the owner or pilot went away meanwhile
        form.errors["form"] = Problem(N_("Something in the form is not right: check each "
                                         "field."))
        return form


CONFIRM_PROBLEM = N_("Tick the box to confirm that the objective goes, with its key results "
                     "and check-ins.")


async def submit_delete(session: AsyncSession, objective: Objective,
                        data: FormData) -> Problem | None:
    """None once the objective is deleted; a problem when the deletion was not confirmed."""
    if _text(data, "confirm", 8) != "yes":
        return Problem(CONFIRM_PROBLEM)
    await okr_service.delete_objective(session, objective)
    return None
