"""Ids inside request bodies: unknown ones are a 422 pointing at the field (CONTRACT §2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import SQLColumnExpression, Table, delete, insert, select
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


async def linked_ids(session: AsyncSession, owner: SQLColumnExpression[str],
                     target: SQLColumnExpression[str], owner_ids: Sequence[str]
                     ) -> defaultdict[str, list[str]]:
    """The ``target`` ids linked to each of ``owner_ids`` (two columns of one link table),
    sorted for stable output; an owner without links gets an empty list."""
    linked: defaultdict[str, list[str]] = defaultdict(list)
    if owner_ids:
        for owner_id, target_id in await session.execute(
                select(owner, target).where(owner.in_(owner_ids)).order_by(target)):
            linked[owner_id].append(target_id)
    return linked


async def replace_links(session: AsyncSession, table: Table, *, owner: tuple[str, str],
                        target: str, ids: Sequence[str]) -> None:
    """Make ``ids`` the complete list of ``target`` rows linked to the owner in ``table``."""
    owner_column, owner_id = owner
    await session.execute(delete(table).where(table.c[owner_column] == owner_id))
    if ids:
        await session.execute(insert(table), [{owner_column: owner_id, target: i} for i in ids])
