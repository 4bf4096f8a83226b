"""The CSV import's database work: a few statements for each slice of the file's rows.

``users.import_csv`` validates the file; ``apply_rows`` then does what handling the rows one
by one would do (``users.get_by_email``, then ``users.create`` for a new address, or
``users.update`` with the row's role and the row's name for a known one, then
``users.group_by_name`` and ``users.set_groups`` when the row names groups), with the same
outcome: the same users, fields, groups, memberships, counts and last-admin refusal. It
reads first (the rows' users and groups, and the active admins when a row demotes one),
works every row out in memory in file order, and only then writes: INSERTs of the new
groups and of the new users, an UPDATE of the changed users, and a DELETE and an INSERT of
the memberships replaced (each an executemany, or a statement whose list of values is one
bound parameter), one of each per slice of ``app.core.slices.SLICE`` rows: the event loop
answers other requests between slices. On SQLite the write lock is held for those
statements and the response, not for several queries per row.

Neither ``create`` nor ``update`` as the import used them hashes a password, revokes a
session or emits an event (a role change does none of these), so neither does this.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    SQLColumnExpression,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.users import LAST_ADMIN, active_admin_count
from app.core.clock import utcnow
from app.core.db import new_id, table
from app.core.errors import Conflict
from app.core.slices import each, in_slices
from app.models import Group, User, user_groups
from app.models.enums import Role

if TYPE_CHECKING:
    from app.auth.users import _Row


def one_of(session: AsyncSession, column: SQLColumnExpression[str],
           values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values`` with all the values in one bound parameter (a JSON array read by
    ``json_each`` on SQLite, a text array on PostgreSQL): the same statement for any number
    of values, never near either backend's limit on parameters."""
    if session.get_bind().dialect.name == "sqlite":
        listed = func.json_each(json.dumps(list(values), ensure_ascii=False))
        return column.in_(select(listed.table_valued("value").c.value))
    return column == any_(bindparam(None, list(values), type_=ARRAY(String())))


def _stamps() -> Callable[[], datetime]:
    """The time of each row's change: now, but strictly later than the previous row's, so
    that users created by one file sort in its order (as one flush per row made them)."""
    last: datetime | None = None

    def stamp() -> datetime:
        nonlocal last
        now = utcnow()
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        last = now
        return now

    return stamp


@dataclass
class _Person:
    """A row's user as the rows before it left them."""

    id: str
    email: str
    name: str
    role: str
    active: bool
    user: User | None  # loaded from the database; None for a user this file creates
    created_at: datetime
    changed_at: datetime | None = None  # the new updated_at of a user the rows changed
    group_ids: list[str] | None = None  # replaces the memberships when set


def new_user_values(person: _Person) -> dict[str, Any]:
    """Every column of a user that ``users.create`` makes without a password or topics."""
    return {
        "id": person.id, "email": person.email, "name": person.name, "role": person.role,
        "password_hash": None, "leaderboard_opt_out": False, "follower_counts": {},
        "language": None, "reminders_opt_out": False, "deactivated_at": None,
        "created_at": person.created_at, "updated_at": person.changed_at or person.created_at,
    }


async def apply_rows(session: AsyncSession, rows: Sequence[_Row]
                     ) -> tuple[list[User], int, int]:
    """Create or update the rows' users; their users in row order, created, updated."""
    # Reads: nothing is written before every row has been worked out.
    # Reads and writes go a slice of rows at a time, and so does the work between them
    # (app.core.slices): a file of thousands of rows must not hold the event loop.
    keys = list(dict.fromkeys(row.email.strip().lower() for row in rows))  # as get_by_email
    people: dict[str, _Person] = {}
    async for emails in in_slices(keys):
        for user in await session.scalars(select(User).where(one_of(session, User.email,
                                                                    emails))):
            people[user.email] = _Person(id=user.id, email=user.email, name=user.name,
                                         role=user.role, active=user.active, user=user,
                                         created_at=user.created_at)
    names = list(dict.fromkeys(name for row in rows for name in row.groups))
    group_ids: dict[str, str] = {}
    async for group_names in in_slices(names):
        found = await session.execute(
            select(Group.name, Group.id).where(one_of(session, Group.name, group_names)))
        group_ids.update({name: gid for name, gid in found})

    stamp = _stamps()
    new_groups: list[dict[str, Any]] = []
    order: list[_Person] = []
    created = updated = 0
    admins: int | None = None  # active admins before the file, counted when first needed
    admins_added = 0  # by the rows so far (new admins and promotions, less demotions)

    def group_id(name: str, now: datetime) -> str:  # users.group_by_name
        if name not in group_ids:
            group_ids[name] = new_id()
            new_groups.append({"id": group_ids[name], "name": name, "description": None,
                               "created_at": now})
        return group_ids[name]

    async for row in each(rows):
        now = stamp()
        person = people.get(row.email.strip().lower())
        if person is None:  # users.create
            person = _Person(id=new_id(), email=row.email.lower(), name=row.name,
                             role=row.role, active=True, user=None, created_at=now)
            people[person.email] = person
            admins_added += row.role == Role.admin
            created += 1
        else:
            if row.role != person.role:  # users.update with {"role": row.role}
                if person.active and person.role == Role.admin:
                    if admins is None:
                        admins = await active_admin_count(session)
                    if admins + admins_added <= 1:
                        raise Conflict(LAST_ADMIN)
                    admins_added -= 1
                elif person.active and row.role == Role.admin:
                    admins_added += 1
                person.role = row.role
                person.changed_at = now
            if row.name != person.name:
                person.name = row.name
                person.changed_at = now
            updated += 1
        if row.groups:  # users.set_groups, the ids without repeats
            person.group_ids = list(dict.fromkeys(group_id(g, now) for g in row.groups))
        order.append(person)

    touched = list({p.id: p for p in order}.values())
    born = [p for p in touched if p.user is None]
    changed = [p for p in touched if p.user is not None and p.changed_at is not None]
    regrouped = [p for p in touched if p.group_ids is not None]
    new_users = [new_user_values(p) async for p in each(born)]
    objects = {p.id: _persistent(User(**values)) async for p, values in each(zip(
        born, new_users, strict=True))}

    # Writes: a few statements a slice.
    async for group_rows in in_slices(new_groups):
        await session.execute(insert(table(Group)), group_rows)
    async for user_rows in in_slices(new_users):
        await session.execute(insert(table(User)), user_rows)
    users = table(User)
    renamed = (update(users).where(users.c.id == bindparam("b_id"))
               .values(name=bindparam("b_name"), role=bindparam("b_role"),
                       updated_at=bindparam("b_updated_at")))
    async for persons in in_slices(changed):
        await session.execute(renamed, [{"b_id": p.id, "b_name": p.name, "b_role": p.role,
                                         "b_updated_at": p.changed_at} for p in persons])
    async for user_ids in in_slices([p.id for p in regrouped if p.user is not None]):
        await session.execute(delete(user_groups)
                              .where(one_of(session, user_groups.c.user_id, user_ids)))
    links = [{"user_id": p.id, "group_id": g} for p in regrouped for g in p.group_ids or ()]
    async for link_rows in in_slices(links):
        await session.execute(insert(user_groups), link_rows)

    # The session's users as the statements left the rows.
    async for made in in_slices(list(objects.values())):
        session.add_all(made)
    async for person in each(changed):
        assert person.user is not None
        for key, value in (("name", person.name), ("role", person.role),
                           ("updated_at", person.changed_at)):
            set_committed_value(person.user, key, value)
    return ([objects[p.id] if p.user is None else p.user for p in order], created, updated)


def _persistent(user: User) -> User:
    """A user built with every column, to join the session once its row is inserted."""
    make_transient_to_detached(user)
    return user
