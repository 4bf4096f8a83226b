"""The point rules of CONTRACT §5, editable by admins; a change applies to later events."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

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


async def point_rules(session: AsyncSession) -> PointRules:
    return await session.run_sync(read_point_rules)


def read_point_rules(session: Session) -> PointRules:
    value = session.scalar(select(AppSetting.value).where(AppSetting.key == POINTS_KEY))
    return PointRules.model_validate(value) if value is not None else PointRules()


async def save_point_rules(session: AsyncSession, rules: PointRules) -> PointRules:
    value = rules.model_dump()
    await session.execute(
        dialect_insert(session)(AppSetting).values(key=POINTS_KEY, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )
    return rules

