"""Objectives and their key results (CONTRACT §3 OKRs): a ``kpi`` key result follows a live
KPI, a ``manual`` one the values its owner checks in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import check_ins as check_ins_service
from app.analytics.okr import history, scoring
from app.analytics.okr.schemas import (
    RECOMMENDED_KEY_RESULTS,
    Confidence,
    KeyResultIn,
    KeyResultKind,
    KeyResultRead,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
)
from app.analytics.okr.values import due_on, kpi_totals, kr_progress, number, progress
from app.core.clock import utcnow
from app.core.db import org_tz
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.types import changed_span
from app.gamification.periods import local_day
from app.models import CheckIn, KeyResult, KeyResultSample, Objective, Pilot, User

__all__ = ["create", "delete_objective", "get_or_raise", "list_objectives", "progress",
           "to_read", "update"]

OBJECTIVE_ORDER = (SortKey(Objective.created_at, descending=True, is_datetime=True),
                   SortKey(Objective.id, descending=True))
# What the final score depends on: frozen once the objective is scored.
SCORED_FIELDS = ("starts_on", "ends_on", "pilot_id")


async def get_or_raise(session: AsyncSession, objective_id: str) -> Objective:
    objective = await session.get(Objective, objective_id)
    if objective is None:
        raise NotFound("No such objective.")
    return objective


async def _check_pilot(session: AsyncSession, pilot_id: str | None) -> None:
    if pilot_id is not None and await session.get(Pilot, pilot_id) is None:
        raise Invalid(f"Unknown pilot id {pilot_id!r}.", loc=["body", "pilot_id"])


async def _check_owner(session: AsyncSession, owner_id: str | None) -> None:
    user = None if owner_id is None else await session.get(User, owner_id)
    if user is None or not user.active:
        raise Invalid(f"Unknown or deactivated user {owner_id!r}.", loc=["body", "owner_id"])


def _check_due_dates(starts_on: date, ends_on: date,
                     dues: Sequence[tuple[list[str | int], date | None]]) -> None:
    for loc, due in dues:
        if due is not None and not starts_on <= due <= ends_on:
            raise Invalid(f"due_on {due} lies outside the objective's dates "
                          f"({starts_on} to {ends_on}).", loc=loc)


def _due_dates_of(key_results: Sequence[KeyResultIn]) -> list[tuple[list[str | int], date | None]]:
    return [(["body", "key_results", i, "due_on"], kr.due_on) for i, kr in enumerate(key_results)]


def _fill(kr: KeyResult, data: KeyResultIn, position: int) -> None:
    kr.position, kr.title, kr.kind = position, data.title, data.kind.value
    kr.metric, kr.unit, kr.due_on = data.metric, data.unit, data.due_on
    kr.target, kr.baseline = str(data.target), str(data.baseline)


async def _set_key_results(session: AsyncSession, objective: Objective,
                           key_results: Sequence[KeyResultIn]) -> None:
    """Replace the key results; an item naming one of them by ``id`` updates it in place, so
    its check-ins and history stay."""
    existing = {kr.id: kr for kr in await session.scalars(
        select(KeyResult).where(KeyResult.objective_id == objective.id))}
    kept: set[str] = set()
    for i, data in enumerate(key_results):
        if data.id is None:
            continue
        if data.id not in existing or data.id in kept:
            raise Invalid(f"The objective has no key result {data.id!r} (or it is named "
                          "twice).", loc=["body", "key_results", i, "id"])
        kept.add(data.id)
    gone = [kr_id for kr_id in existing if kr_id not in kept]
    if gone:
        await session.execute(delete(KeyResult).where(KeyResult.id.in_(gone)))
    for position, data in enumerate(key_results):
        kr = existing[data.id] if data.id is not None else KeyResult(objective_id=objective.id)
        _fill(kr, data, position)
        session.add(kr)
    await session.flush()


async def create(session: AsyncSession, *, data: ObjectiveCreate,
                 creator: User | None = None) -> Objective:
    """The owner defaults to the creator."""
    await _check_pilot(session, data.pilot_id)
    owner_id = data.owner_id or (creator.id if creator else None)
    if owner_id is not None:
        await _check_owner(session, owner_id)
    _check_due_dates(data.starts_on, data.ends_on, _due_dates_of(data.key_results))
    objective = Objective(title=data.title, starts_on=data.starts_on, ends_on=data.ends_on,
                          pilot_id=data.pilot_id, owner_id=owner_id)
    session.add(objective)
    await session.flush()
    await _set_key_results(session, objective, data.key_results)
    return objective


async def update(session: AsyncSession, objective: Objective, data: ObjectiveUpdate
                 ) -> Objective:
    """``key_results`` replaces them all. Once scored, what the score stands on (dates, pilot,
    key results) is final: changing it is 409; the title and owner may still change."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"key_results"})
    if objective.scored_at is not None and (
            any(name in changes and changes[name] != getattr(objective, name)
                for name in SCORED_FIELDS)
            or (data.key_results is not None
                and not await _only_wording(session, objective, data.key_results))):
        raise Conflict("This objective has ended and been scored: its dates, pilot and key "
                       "results are final (only titles and units may change).")
    if "owner_id" in changes:
        await _check_owner(session, changes["owner_id"])
    if "pilot_id" in changes:
        await _check_pilot(session, changes["pilot_id"])
    starts_on, ends_on = changed_span(changes, objective.starts_on, objective.ends_on)
    if data.key_results is not None:
        _check_due_dates(starts_on, ends_on, _due_dates_of(data.key_results))
    else:
        kept = await session.scalars(select(KeyResult.due_on).where(
            KeyResult.objective_id == objective.id))
        _check_due_dates(starts_on, ends_on, [(["body", "ends_on"], due) for due in kept])
    if changes.get("title") is not None:
        objective.title = changes["title"]
    if "owner_id" in changes:
        objective.owner_id = changes["owner_id"]
    if "pilot_id" in changes:
        objective.pilot_id = changes["pilot_id"]
    objective.starts_on, objective.ends_on = starts_on, ends_on
    if data.key_results is not None:
        await _set_key_results(session, objective, data.key_results)
    await session.flush()
    return objective


async def _only_wording(session: AsyncSession, objective: Objective,
                        key_results: Sequence[KeyResultIn]) -> bool:
    """Whether ``key_results`` are the stored ones with at most new titles and units."""
    existing = {kr.id: kr for kr in await session.scalars(
        select(KeyResult).where(KeyResult.objective_id == objective.id))}
    if sorted(existing) != sorted(kr.id or "" for kr in key_results):
        return False
    return all(
        (old.kind, old.metric, Decimal(old.target), Decimal(old.baseline), due_on(old, objective))
        == (new.kind.value, new.metric, new.target, new.baseline, new.due_on or objective.ends_on)
        for new in key_results for old in [existing[new.id or ""]])


async def delete_objective(session: AsyncSession, objective: Objective) -> None:
    await session.delete(objective)
    await session.flush()


async def list_objectives(session: AsyncSession, *, limit: int, cursor: str | None
                          ) -> tuple[list[Objective], str | None]:
    rows = list(await session.scalars(keyset(select(Objective), OBJECTIVE_ORDER, cursor, limit)))
    return page_of(rows, OBJECTIVE_ORDER, limit)


async def key_results_of(session: AsyncSession, objective_ids: Sequence[str]
                         ) -> defaultdict[str, list[KeyResult]]:
    krs: defaultdict[str, list[KeyResult]] = defaultdict(list)
    if objective_ids:
        for kr in await session.scalars(
                select(KeyResult).where(KeyResult.objective_id.in_(objective_ids))
                .order_by(KeyResult.position)):
            krs[kr.objective_id].append(kr)
    return krs


def warnings(key_results: Sequence[KeyResult]) -> list[str]:
    if len(key_results) < RECOMMENDED_KEY_RESULTS:
        return [f"Fewer than {RECOMMENDED_KEY_RESULTS} key results ({len(key_results)}): "
                "3 to 5 are recommended, so that no single number stands for the objective."]
    return []


async def to_read(session: AsyncSession, objectives: Sequence[Objective], *,
                  live: Mapping[str, Mapping[str, Any]] | None = None,
                  brief: bool = False) -> list[ObjectiveRead]:
    """A kpi key result's ``current`` is its KPI computed now over the objective's dates, for
    its pilot's cohort or, without a pilot, the whole organisation (``live`` may hold those
    KPIs, by objective id, when the caller has them already). An objective read after its
    ``ends_on`` for the first time is scored here.

    ``brief`` is what a progress bar needs, at one query more than the objectives whatever
    their number (two with manual key results): no history, no confidence, no check-in, and
    no scoring (the stored score is shown; the daily job stores it)."""
    if not objectives:
        return []
    tz = org_tz(session)
    ids = [o.id for o in objectives]
    krs = await key_results_of(session, ids)
    manual = any(kr.kind == KeyResultKind.manual for o in objectives for kr in krs[o.id])
    check_ins: defaultdict[str, list[CheckIn]] = defaultdict(list)
    samples: defaultdict[str, list[KeyResultSample]] = defaultdict(list)
    if not brief:
        today = local_day(utcnow(), tz)
        for objective in objectives:
            if scoring.is_due(objective, today):
                await scoring.score_once(session, objective, krs[objective.id])
        live_ids = [kr.id for o in objectives for kr in krs[o.id]
                    if kr.kind == KeyResultKind.kpi]
        if live_ids:
            for sample in await session.scalars(
                    select(KeyResultSample).where(KeyResultSample.key_result_id.in_(live_ids))
                    .order_by(KeyResultSample.sampled_on)):
                samples[sample.key_result_id].append(sample)
    if manual or not brief:
        query = select(CheckIn).where(CheckIn.objective_id.in_(ids))
        if brief:
            query = query.where(CheckIn.value.is_not(None))
        for check_in in await session.scalars(query.order_by(CheckIn.created_at, CheckIn.id)):
            check_ins[check_in.objective_id].append(check_in)
    out = []
    for objective in objectives:
        read = await _read_one(session, objective, krs[objective.id], check_ins[objective.id],
                               samples, live.get(objective.id) if live else None)
        if brief:
            for kr_read in read.key_results:
                kr_read.confidence = None
            read.latest_check_in = None
        out.append(read)
    return out


async def _read_one(session: AsyncSession, objective: Objective, krs: Sequence[KeyResult],
                    check_ins: Sequence[CheckIn],
                    samples: Mapping[str, Sequence[KeyResultSample]],
                    totals: Mapping[str, Any] | None) -> ObjectiveRead:
    if totals is None and any(kr.kind == KeyResultKind.kpi for kr in krs):
        totals = await kpi_totals(session, objective, through=objective.ends_on)
    latest: dict[str | None, CheckIn] = {}  # by key result id; None: the objective's own
    values: dict[str, str] = {}
    for check_in in check_ins:  # oldest first: the last one seen is the latest
        latest[check_in.key_result_id] = check_in
        if check_in.key_result_id is not None and check_in.value is not None:
            values[check_in.key_result_id] = check_in.value
    reads = []
    tz = org_tz(session)
    for kr in krs:
        if kr.kind == KeyResultKind.manual:
            current = number(values.get(kr.id))
            weeks = history.of_check_ins((c for c in check_ins if c.key_result_id == kr.id), tz)
        else:
            current = number(totals[kr.metric]) if totals is not None and kr.metric else None
            weeks = history.of_samples(samples.get(kr.id, ()))
        confidence = latest[kr.id].confidence if kr.id in latest else None
        reads.append(KeyResultRead(
            id=kr.id, title=kr.title, kind=KeyResultKind(kr.kind), metric=kr.metric,
            unit=kr.unit, due_on=due_on(kr, objective), target=float(kr.target),
            baseline=float(kr.baseline), current=current, progress=kr_progress(kr, current),
            confidence=None if confidence is None else Confidence(confidence), history=weeks))
    last = check_ins[-1] if check_ins else None
    return ObjectiveRead(
        id=objective.id, title=objective.title, starts_on=objective.starts_on,
        ends_on=objective.ends_on, pilot_id=objective.pilot_id, owner_id=objective.owner_id,
        key_results=reads, score=objective.score, scored_at=objective.scored_at,
        latest_check_in=None if last is None else check_ins_service.to_read(last),
        warnings=warnings(krs), created_at=objective.created_at)
