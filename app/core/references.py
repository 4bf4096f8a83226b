"""Ids inside request bodies: unknown ones are a 422 pointing at the field (CONTRACT §2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Invalid


async def known_ids(session: AsyncSession, model: Any, ids: Sequence[str],
                    field: str) -> list[str]:
    """``ids`` without repeats, once each names a row of ``model``."""
    wanted = list(dict.fromkeys(ids))
    found = set(await session.scalars(select(model.id).where(model.id.in_(wanted)))) \
        if wanted else set()
    for index, value in enumerate(ids):
        if value not in found:
            raise Invalid(f"Unknown id {value!r} in {field}.", loc=["body", field, index])
    return wanted


async def replace_links(session: AsyncSession, table: Table, *, owner: tuple[str, str],
                        target: str, ids: Sequence[str]) -> None:
    """Make ``ids`` the complete list of ``target`` rows linked to the owner in ``table``."""
    owner_column, owner_id = owner
    await session.execute(delete(table).where(table.c[owner_column] == owner_id))
    if ids:
        await session.execute(insert(table), [{owner_column: owner_id, target: i} for i in ids])
