"""People: users, their groups and followed topics, and the all-or-nothing CSV import."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.passwords import hash_password
from app.auth.schemas import UserRead
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.references import known_ids, linked_ids, replace_links
from app.core.schemas import storable
from app.core.slices import each, in_slices
from app.core.types import Email, Name
from app.models import Group, PolicyAcceptance, Topic, User, user_groups, user_topics
from app.models.enums import Role

USER_ORDER = (SortKey(User.created_at, is_datetime=True), SortKey(User.id))


async def get(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def get_or_raise(session: AsyncSession, user_id: str) -> User:
    user = await get(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def memberships(session: AsyncSession, user_ids: Sequence[str]
                      ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Group ids and topic ids of each user, sorted for stable output."""
    return (await linked_ids(session, user_groups.c.user_id, user_groups.c.group_id, user_ids),
            await linked_ids(session, user_topics.c.user_id, user_topics.c.topic_id, user_ids))


async def accepted_policy_versions(session: AsyncSession, user_ids: Sequence[str]
                                   ) -> dict[str, str]:
    """The sharing-policy version each user accepted last."""
    latest: dict[str, str] = {}
    if user_ids:
        for user_id, version in await session.execute(
            select(PolicyAcceptance.user_id, PolicyAcceptance.version)
            .where(PolicyAcceptance.user_id.in_(user_ids))
            .order_by(PolicyAcceptance.accepted_at, PolicyAcceptance.version)
        ):
            latest[user_id] = version
    return latest


async def to_read(session: AsyncSession, users: Sequence[User]) -> list[UserRead]:
    read: list[UserRead] = []
    async for some in in_slices(users):  # an import answers with thousands
        ids = [u.id for u in some]
        groups, topics = await memberships(session, ids)
        accepted = await accepted_policy_versions(session, ids)
        read += [
            UserRead(
                id=u.id, email=u.email, name=u.name, role=Role(u.role), group_ids=groups[u.id],
                topic_ids=topics[u.id], follower_counts=dict(u.follower_counts or {}),
                leaderboard_opt_out=u.leaderboard_opt_out, active=u.active,
                created_at=u.created_at, language=u.language,
                reminders_opt_out=u.reminders_opt_out,
                policy_accepted_version=accepted.get(u.id),
            )
            async for u in each(some)
        ]
    return read


async def read_one(session: AsyncSession, user: User) -> UserRead:
    return (await to_read(session, [user]))[0]


async def set_groups(session: AsyncSession, user: User, group_ids: Sequence[str]) -> None:
    await replace_links(session, user_groups, owner=("user_id", user.id), target="group_id",
                        ids=await known_ids(session, Group, group_ids, "group_ids"))


async def set_topics(session: AsyncSession, user: User, topic_ids: Sequence[str]) -> None:
    await replace_links(session, user_topics, owner=("user_id", user.id), target="topic_id",
                        ids=await known_ids(session, Topic, topic_ids, "topic_ids"))


async def _ensure_email_free(session: AsyncSession, email: str, *, except_id: str | None = None
                             ) -> None:
    other = await get_by_email(session, email)
    if other is not None and other.id != except_id:
        raise Conflict(f"A user with the email {email} already exists.")


async def create(session: AsyncSession, *, email: str, name: str, role: Role,
                 password: str | None = None, group_ids: Sequence[str] = (),
                 topic_ids: Sequence[str] = (), password_hash: str | None = None) -> User:
    await _ensure_email_free(session, email)
    user = User(
        email=email.lower(), name=name, role=role, follower_counts={},
        password_hash=password_hash or (await hash_password(password) if password else None),
        leaderboard_opt_out=False,
    )
    session.add(user)
    await session.flush()
    await set_groups(session, user, group_ids)
    await set_topics(session, user, topic_ids)
    return user


LAST_ADMIN = "This is the last active admin; appoint another one first."


async def active_admin_count(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count()).select_from(User)
        .where(User.role == Role.admin, User.deactivated_at.is_(None))
    ) or 0


async def _is_last_admin(session: AsyncSession, user: User) -> bool:
    if user.role != Role.admin or not user.active:
        return False
    return await active_admin_count(session) <= 1


async def update(session: AsyncSession, user: User, changes: dict[str, Any], *,
                 keep_token_hash: str | None = None) -> User:
    """Apply a PATCH; ``changes`` holds only the fields the client sent."""
    losing_admin = ("role" in changes and changes["role"] != Role.admin) or (
        changes.get("active") is False
    )
    if losing_admin and await _is_last_admin(session, user):
        raise Conflict(LAST_ADMIN)
    if "email" in changes and changes["email"] is not None:
        await _ensure_email_free(session, changes["email"], except_id=user.id)
        user.email = changes["email"]
    if changes.get("name") is not None:
        user.name = changes["name"]
    if changes.get("role") is not None:
        user.role = changes["role"]
    if changes.get("group_ids") is not None:
        await set_groups(session, user, changes["group_ids"])
    if changes.get("topic_ids") is not None:
        await set_topics(session, user, changes["topic_ids"])
    if changes.get("follower_counts") is not None:
        merged = dict(user.follower_counts or {})
        merged.update({str(k): int(v) for k, v in changes["follower_counts"].items()})
        user.follower_counts = merged
    if changes.get("leaderboard_opt_out") is not None:
        user.leaderboard_opt_out = changes["leaderboard_opt_out"]
    if "language" in changes:  # null is a value: the browser's language again
        user.language = changes["language"]
    if changes.get("reminders_opt_out") is not None:
        user.reminders_opt_out = changes["reminders_opt_out"]
    if changes.get("password") is not None:
        user.password_hash = await hash_password(changes["password"])
        # A new password ends every other session of this user.
        await auth_service.revoke_sessions(session, user_id=user.id,
                                           keep_token_hash=keep_token_hash)
    if changes.get("active") is not None and changes["active"] != user.active:
        if changes["active"]:
            user.deactivated_at = None
        else:
            await _deactivate(session, user)
    user.updated_at = utcnow()
    await session.flush()
    return user


async def _deactivate(session: AsyncSession, user: User) -> None:
    user.deactivated_at = utcnow()
    await auth_service.revoke_sessions(session, user_id=user.id)


async def deactivate(session: AsyncSession, user: User) -> None:
    """DELETE keeps the user and their history; they can no longer sign in or rank."""
    if not user.active:
        return
    if await _is_last_admin(session, user):
        raise Conflict(LAST_ADMIN)
    await _deactivate(session, user)
    await session.flush()


async def list_users(session: AsyncSession, *, limit: int, cursor: str | None,
                     role: Role | None = None, active: bool | None = None
                     ) -> tuple[list[User], str | None]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.deactivated_at.is_(None) if active
                          else User.deactivated_at.is_not(None))
    rows = list(await session.scalars(keyset(stmt, USER_ORDER, cursor, limit)))
    return page_of(rows, USER_ORDER, limit)


async def group_by_name(session: AsyncSession, name: str) -> Group:
    """The group called ``name``, created when missing (CLI and CSV import)."""
    group = await session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        session.add(group)
        await session.flush()
    return group


# --- CSV import -------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "name", "role", "group")
_email_adapter: TypeAdapter[str] = TypeAdapter(Email)
_name_adapter: TypeAdapter[str] = TypeAdapter(Name)


@dataclass
class _Row:
    line: int
    email: str
    name: str
    role: Role
    groups: list[str] = field(default_factory=list)


async def _parse_rows(text: str) -> list[_Row]:
    try:
        return await _parse_csv(text)
    except csv.Error as exc:
        raise Invalid(f"The file is not valid CSV: {exc}.", loc=["body"]) from exc


async def _parse_csv(text: str) -> list[_Row]:
    if not storable(text):
        raise Invalid("The CSV holds a NUL character or invalid Unicode.", loc=["body"])
    # Excel's "CSV UTF-8" starts with a byte-order mark; newline="" lets csv see bare CRs.
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("email", "name", "role") if c not in header]
    if missing:
        raise Invalid(f"The CSV header must name email,name,role,group; missing: "
                      f"{', '.join(missing)}.", loc=["body", "header"])
    reader.fieldnames = header
    rows: list[_Row] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    # Checking thousands of rows takes a while: a slice at a time, so that redirects and
    # other requests are answered meanwhile.
    async for line, raw in each(enumerate(reader, start=2)):
        if None in raw:
            errors.append({"loc": ["row", line], "msg": "more cells than columns"})
            continue
        cells = {k: (v or "").strip() for k, v in raw.items()}
        row_errors = []
        try:
            email = _email_adapter.validate_python(cells.get("email", ""))
        except ValidationError as exc:
            row_errors.append({"loc": ["row", line, "email"], "msg": exc.errors()[0]["msg"]})
            email = ""
        try:
            name = _name_adapter.validate_python(cells.get("name", ""))
        except ValidationError as exc:
            row_errors.append({"loc": ["row", line, "name"], "msg": exc.errors()[0]["msg"]})
            name = ""
        role_text = cells.get("role", "").lower()
        if role_text not in Role.__members__:
            row_errors.append({"loc": ["row", line, "role"],
                               "msg": f"role must be one of {', '.join(Role)}"})
        if email and email in seen:
            row_errors.append({"loc": ["row", line, "email"],
                               "msg": f"duplicate of row {seen[email]}"})
        groups = [g.strip() for g in cells.get("group", "").split(";") if g.strip()]
        if any(len(g) > 200 for g in groups):
            row_errors.append({"loc": ["row", line, "group"], "msg": "group name too long"})
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[email] = line
        rows.append(_Row(line=line, email=email, name=name, role=Role(role_text), groups=groups))
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in the CSV; nothing was imported.",
                      errors=errors)
    if not rows:
        raise Invalid("The CSV holds no rows.", loc=["body"])
    return rows


async def import_csv(session: AsyncSession, text: str) -> tuple[list[User], int, int]:
    """Create or update every row, or none: any invalid row rejects the whole file.

    A row's ``group`` cell (names separated by ``;``, created when missing) becomes the
    user's groups; an empty cell leaves an existing user's groups as they are. A new user is
    made as ``create`` makes one (no password, no topics); an existing one gets the row's name
    and, through the same last-admin rule as ``update``, its role. The writes are a few bulk
    statements for the whole file (``app.auth.user_import``). Returns the rows' users in row
    order and the counts created and updated.
    """
    from app.auth.user_import import apply_rows

    return await apply_rows(session, await _parse_rows(text))
