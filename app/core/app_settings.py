"""Organisation settings kept as one JSON row each in ``app_settings``, read and written
through the Pydantic model that validates them (defaults when nothing was saved)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_insert
from app.models import AppSetting

Model = TypeVar("Model", bound=BaseModel)


async def read_setting(session: AsyncSession, key: str, model: type[Model]) -> Model:
    row = await session.get(AppSetting, key)
    return model.model_validate(row.value) if row is not None else model()


async def save_setting(session: AsyncSession, key: str, settings: Model) -> Model:
    value = settings.model_dump(mode="json")
    await session.execute(
        dialect_insert(session)(AppSetting).values(key=key, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value}))
    return settings
