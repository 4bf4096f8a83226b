"""/app/goals: the program's objectives and how far each key result has come (read-only:
people push harder on goals they can see)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import ObjectiveRead
from app.core.clock import utcnow
from app.core.db import org_tz
from app.gamification.periods import local_day
from app.web.formatting import FILTERS

OBJECTIVES_SHOWN = 50
Formatter = Callable[[object], str]


def percent(value: object) -> str:
    return FILTERS["percent"](value, 1)


def formatter(metric: str | None) -> Formatter:
    """How a key result's current and target values read: rates as percentages, the rest
    (and a manual key result's values, which have no metric) as numbers, in the page's
    language."""
    return percent if metric is not None and metric.endswith("_rate") else FILTERS["number"]


def week(value: object) -> str:
    """A week's first day, short: ``2 Mar``."""
    return FILTERS["date"](value, "d MMM")


@dataclass(frozen=True)
class GoalsView:
    current: list[ObjectiveRead]  # running now or still to come
    past: list[ObjectiveRead]
    today: date

    @staticmethod
    def week(value: object) -> str:
        """How the trend charts' weeks read (the page's context is the router's)."""
        return week(value)


async def goals_view(session: AsyncSession) -> GoalsView:
    objectives, _ = await okr_service.list_objectives(session, limit=OBJECTIVES_SHOWN,
                                                      cursor=None)
    read = await okr_service.to_read(session, objectives)
    today = local_day(utcnow(), org_tz(session))
    return GoalsView(current=[o for o in read if o.ends_on >= today],
                     past=[o for o in read if o.ends_on < today], today=today)
