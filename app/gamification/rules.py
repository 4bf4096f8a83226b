"""The point rules of CONTRACT §5, editable by admins; a change applies to later events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.db import dialect_insert
from app.core.schemas import Strict
from app.models import AppSetting

POINTS_KEY = "points"
Points = Annotated[int, Field(ge=0, le=100_000)]


class PointRules(Strict):
    share_created: Points = Field(10, description="Once per advocate, post and network.")
    unique_click: Points = Field(2, description="A unique click on the advocate's share.")
    unique_click_daily_cap: Points = Field(
        50, description="At most this many click points per share per local calendar day.")
    attributed_conversion: Points = 20
    suggestion_approved: Points = 15


@dataclass(frozen=True)
class RuleBook:
    """Every version of the rules with the instant it took effect (CONTRACT §4, §5): an
    event earns what the rules in force at its own time say, however late it is reported.
    Before the first change, the defaults were in force."""

    versions: tuple[tuple[datetime, PointRules], ...] = ()

    def at(self, moment: datetime) -> PointRules:
        in_force = PointRules()
        for since, rules in self.versions:
            if since > moment:
                break
            in_force = rules
        return in_force

    def stored(self) -> dict[str, Any]:
        return {"versions": [{"since": since.isoformat(), "rules": rules.model_dump()}
                             for since, rules in self.versions]}

    @classmethod
    def from_stored(cls, value: dict[str, Any] | None) -> RuleBook:
        if value is None:
            return cls()
        if "versions" not in value:
            # Stored before versions were kept: in force since the beginning.
            return cls(((_BEGINNING, PointRules.model_validate(value)),))
        return cls(tuple((datetime.fromisoformat(v["since"]),
                          PointRules.model_validate(v["rules"])) for v in value["versions"]))


_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


async def point_rules(session: AsyncSession) -> RuleBook:
    return await session.run_sync(read_point_rules)


def read_point_rules(session: Session) -> RuleBook:
    value = session.scalar(select(AppSetting.value).where(AppSetting.key == POINTS_KEY))
    return RuleBook.from_stored(value)


async def save_point_rules(session: AsyncSession, rules: PointRules) -> PointRules:
    """From now on, ``rules``; earlier events keep the rules of their time."""
    now = utcnow()
    book = await point_rules(session)
    kept = tuple((since, old) for since, old in book.versions if since < now)
    value = RuleBook((*kept, (now, rules))).stored()
    await session.execute(
        dialect_insert(session)(AppSetting).values(key=POINTS_KEY, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )
    return rules
