"""The secret key: CHORUS_SECRET_KEY, or in dev one generated once and kept in the database."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import dialect_insert
from app.models import AppSetting

_KEY = "secret_key"


async def load_secret_key(session: AsyncSession, settings: Settings) -> str:
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    # Two processes starting together must agree on one key: insert-if-absent, then read.
    await session.execute(
        dialect_insert(session)(AppSetting)
        .values(key=_KEY, value=secrets.token_urlsafe(48))
        .on_conflict_do_nothing(index_elements=["key"])
    )
    value = await session.scalar(select(AppSetting.value).where(AppSetting.key == _KEY))
    return str(value)
