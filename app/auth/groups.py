"""Groups: advocate segments such as Sales or Engineering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.models import Group

GROUP_ORDER = (SortKey(Group.name), SortKey(Group.id))


async def get_or_raise(session: AsyncSession, group_id: str) -> Group:
    group = await session.get(Group, group_id)
    if group is None:
        raise NotFound("No such group.")
    return group


async def _ensure_name_free(session: AsyncSession, name: str, except_id: str | None = None
                            ) -> None:
    other = await session.scalar(select(Group).where(Group.name == name))
    if other is not None and other.id != except_id:
        raise Conflict(f"A group named {name!r} already exists.")


async def create(session: AsyncSession, *, name: str, description: str | None) -> Group:
    await _ensure_name_free(session, name)
    group = Group(name=name, description=description)
    session.add(group)
    await session.flush()
    return group


async def update(session: AsyncSession, group: Group, changes: dict[str, Any]) -> Group:
    if changes.get("name") is not None:
        await _ensure_name_free(session, changes["name"], except_id=group.id)
        group.name = changes["name"]
    if "description" in changes:
        group.description = changes["description"]
    await session.flush()
    return group


async def delete(session: AsyncSession, group: Group) -> None:
    """Memberships go with the group; the users stay."""
    await session.delete(group)
    await session.flush()


async def list_groups(session: AsyncSession, *, limit: int, cursor: str | None
                      ) -> tuple[list[Group], str | None]:
    rows = list(await session.scalars(keyset(select(Group), GROUP_ORDER, cursor, limit)))
    return page_of(rows, GROUP_ORDER, limit)
