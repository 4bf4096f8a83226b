"""The CSV import in bulk (``app.auth.user_import``): the outcome of handling the rows one by
one (the import's former loop, kept below as the oracle), in a few statements per slice of
rows, not per row."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import users as users_service
from app.auth.user_import import _Person, apply_rows, new_user_values
from app.core.clock import utcnow
from app.core.db import Database, table
from app.core.errors import Conflict
from app.core.slices import SLICE
from app.models import AuthToken, Group, User, user_groups, user_topics
from app.models.enums import Role
from tests.builders import Api, make_topic, make_user, token_for

IMPORT = "/api/v1/users/import"
GROUPS = ["Sales", "Engineering", "Marketing", "Support", "Finance", "Légal — Équipe 🚀"]


def csv_of(rows: Iterable[Sequence[str]]) -> str:
    return "email,name,role,group\n" + "".join(",".join(row) + "\n" for row in rows)


def big_rows(count: int, *, prefix: str = "user", suffix: str = "",
             roles: Sequence[str] = ("advocate", "marketer", "manager"),
             groups: Sequence[str] = GROUPS) -> list[list[str]]:
    """``count`` rows; row i names i % 3 groups (so a third leave the cell empty)."""
    return [[f"{prefix}{i}@corp.test", f"Person {i}{suffix}", roles[i % len(roles)],
             ";".join(groups[(i + k) % len(groups)] for k in range(i % 3))]
            for i in range(count)]


def groups_of(row: Sequence[str]) -> list[str]:
    return [g for g in row[3].split(";") if g]


async def post_import(api: Api, headers: dict[str, str], text: str) -> Any:
    response = await api.client.post(IMPORT, content=text,
                                     headers={**headers, "content-type": "text/csv"})
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (an executemany is one)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def group_names(db: Database) -> dict[str, str]:
    async with db.transaction() as session:
        return {gid: name for gid, name in await session.execute(select(Group.id, Group.name))}


async def listed(api: Api, headers: dict[str, str]) -> list[str]:
    """Every user's address, oldest first (``GET /users``, page by page)."""
    emails: list[str] = []
    cursor: str | None = None
    while True:
        page = await api.client.get("/api/v1/users", headers=headers,
                                    params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        emails += [u["email"] for u in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            return emails


# --- through the API, at scale ---------------------------------------------------------


async def test_six_thousand_rows_create_every_user_with_their_fields_and_groups(
        api: Api, db: Database) -> None:
    _, admin = await api.user(Role.admin, email="boss@corp.test")
    rows = big_rows(6000)
    before = utcnow()
    body = await post_import(api, admin, csv_of(rows))

    assert (body["created"], body["updated"]) == (6000, 0)
    names = await group_names(db)
    assert sorted(names.values()) == sorted(GROUPS)
    assert [u["email"] for u in body["users"]] == [row[0] for row in rows]
    for row, user in zip(rows, body["users"], strict=True):
        assert (user["name"], user["role"], user["active"]) == (row[1], row[2], True)
        assert sorted(names[g] for g in user["group_ids"]) == sorted(groups_of(row))
        assert user["group_ids"] == sorted(user["group_ids"])
        assert (user["topic_ids"], user["follower_counts"], user["leaderboard_opt_out"],
                user["language"], user["reminders_opt_out"],
                user["policy_accepted_version"]) == ([], {}, False, None, False, None)

    async with db.transaction() as session:
        stored = {r.email: r for r in await session.execute(
            select(table(User)).where(User.email != "boss@corp.test"))}
        links = {(email, name) for email, name in await session.execute(
            select(User.email, Group.name).join(user_groups, user_groups.c.user_id == User.id)
            .join(Group, Group.id == user_groups.c.group_id))}
        topics = (await session.execute(select(user_topics))).all()
    assert len(stored) == 6000 and topics == []
    for row, user in zip(rows, body["users"], strict=True):
        r = stored[row[0]]
        assert (r.id, r.name, r.role, r.password_hash, r.leaderboard_opt_out,
                r.follower_counts, r.language, r.reminders_opt_out, r.deactivated_at) == (
            user["id"], row[1], row[2], None, False, {}, None, False, None)
        assert before <= r.created_at == r.updated_at <= utcnow()
    assert links == {(row[0], g) for row in rows for g in groups_of(row)}
    # Created in file order, as one row at a time made them: the list (oldest first) agrees.
    created = [stored[row[0]].created_at for row in rows]
    assert created == sorted(created) and len(set(created)) == len(created)
    assert await listed(api, admin) == ["boss@corp.test"] + [row[0] for row in rows]
    one = await api.client.get(f"/api/v1/users/{body['users'][4]['id']}", headers=admin)
    assert one.json() == body["users"][4]


async def test_reimport_updates_in_place_and_counts(api: Api, db: Database) -> None:
    _, admin = await api.user(Role.admin, email="boss@corp.test")
    rows = big_rows(1500)
    first = await post_import(api, admin, csv_of(rows))
    assert (first["created"], first["updated"]) == (1500, 0)
    async with db.transaction() as session:
        stamps = {r.email: (r.created_at, r.updated_at) for r in await session.execute(
            select(User.email, User.created_at, User.updated_at))}

    again = await post_import(api, admin, csv_of(rows))
    assert (again["created"], again["updated"]) == (0, 1500)
    assert again["users"] == first["users"]
    async with db.transaction() as session:
        unchanged = {r.email: (r.created_at, r.updated_at) for r in await session.execute(
            select(User.email, User.created_at, User.updated_at))}
    assert unchanged == stamps  # nothing changed, nothing written

    # New names for all, new roles for some, one group each (replacing, not adding), and the
    # addresses in capitals: the same users, matched case-insensitively.
    edited = [[row[0].upper(), row[1] + " Jr", "manager" if i % 2 else row[2], GROUPS[i % 2]]
              for i, row in enumerate(rows)]
    changed_at = utcnow()
    third = await post_import(api, admin, csv_of(edited + [["new@corp.test", "New",
                                                            "advocate", ""]]))
    assert (third["created"], third["updated"]) == (1, 1500)
    names = await group_names(db)
    assert len(names) == len(GROUPS)
    assert third["users"][-1]["email"] == "new@corp.test"
    for row, old, user in zip(edited, first["users"], third["users"][:-1], strict=True):
        assert (user["id"], user["email"], user["created_at"]) == (
            old["id"], old["email"], old["created_at"])
        assert (user["name"], user["role"]) == (row[1], row[2])
        assert [names[g] for g in user["group_ids"]] == [row[3]]
    async with db.transaction() as session:
        after = {r.email: (r.created_at, r.updated_at) for r in await session.execute(
            select(User.email, User.created_at, User.updated_at))}
    for row in rows:
        created_at, updated_at = after[row[0]]
        assert created_at == stamps[row[0]][0] and updated_at >= changed_at


async def test_mixed_rows_keep_what_the_file_does_not_name(api: Api, db: Database) -> None:
    """Passwords, topics, follower counts, language, sessions and, for an empty group cell,
    groups are left alone; a role change signs nobody out."""
    _, admin = await api.user(Role.admin, email="boss@corp.test")
    async with db.transaction() as session:
        topic = await make_topic(session)
        sales = await users_service.group_by_name(session, "Sales")
        support = await users_service.group_by_name(session, "Support")
        kim = await make_user(session, email="kim@corp.test", name="Kim", group_ids=[sales.id],
                              topic_ids=[topic.id])
        await users_service.update(session, kim, {"follower_counts": {"linkedin": 40},
                                                  "language": "th"})
        kim_token = await token_for(session, kim)
        lou = await make_user(session, email="lou@corp.test", name="Lou", role=Role.marketer,
                              group_ids=[sales.id, support.id])
        gone = await make_user(session, email="gone@corp.test", name="Gone", active=False)
        before = {u.email: (u.password_hash, u.created_at, u.updated_at)
                  for u in (kim, lou, gone)}

    body = await post_import(api, admin, csv_of([
        ["new1@corp.test", "New One", "advocate", "Support;Sales;Support"],
        ["KIM@corp.test", "Kim", "manager", ""],  # role only; groups kept
        ["lou@corp.test", "Lou Renamed", "marketer", "Engineering"],  # name only; groups set
        ["gone@corp.test", "Gone", "advocate", "Sales"],  # unchanged but for groups
        ["new2@corp.test", "New Two", "admin", ""],
    ]))
    assert (body["created"], body["updated"]) == (2, 3)
    names = await group_names(db)
    by_email = {u["email"]: u for u in body["users"]}
    assert [u["email"] for u in body["users"]] == [
        "new1@corp.test", "kim@corp.test", "lou@corp.test", "gone@corp.test", "new2@corp.test"]
    assert sorted(names[g] for g in by_email["new1@corp.test"]["group_ids"]) == [
        "Sales", "Support"]
    kim_read = by_email["kim@corp.test"]
    assert (kim_read["role"], kim_read["topic_ids"], kim_read["follower_counts"],
            kim_read["language"], [names[g] for g in kim_read["group_ids"]]) == (
        "manager", [topic.id], {"linkedin": 40}, "th", ["Sales"])
    assert [names[g] for g in by_email["lou@corp.test"]["group_ids"]] == ["Engineering"]
    assert by_email["lou@corp.test"]["name"] == "Lou Renamed"
    assert (by_email["gone@corp.test"]["active"],
            [names[g] for g in by_email["gone@corp.test"]["group_ids"]]) == (False, ["Sales"])
    assert by_email["new2@corp.test"]["role"] == "admin"

    async with db.transaction() as session:
        stored = {u.email: u for u in await session.scalars(
            select(User).where(User.email.in_(before)))}
        tokens = set(await session.scalars(select(AuthToken.user_id)))
    for email, (password_hash, created_at, updated_at) in before.items():
        user = stored[email]
        assert (user.password_hash, user.created_at) == (password_hash, created_at)
        assert (user.updated_at == updated_at) == (email == "gone@corp.test")
    assert kim.id in tokens
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {kim_token}"})
    assert me.status_code == 200 and me.json()["role"] == "manager"


async def test_groups_are_created_once_and_existing_ones_reused(api: Api, db: Database) -> None:
    admin = await api.headers(Role.admin)
    made = await api.client.post("/api/v1/groups", headers=admin,
                                 json={"name": "Sales", "description": "Kept"})
    sales_id = made.json()["id"]
    rows = [[f"p{i}@corp.test", f"P {i}", "advocate",
             ["Sales;Ops", "Ops;Ops", "sales", "Ops;Sales;Ops"][i % 4]] for i in range(2000)]
    body = await post_import(api, admin, csv_of(rows))
    groups = (await api.client.get("/api/v1/groups", headers=admin)).json()["items"]
    # Names are matched exactly, as before: "sales" is a group of its own.
    assert sorted((g["name"], g["description"]) for g in groups) == [
        ("Ops", None), ("Sales", "Kept"), ("sales", None)]
    ids = {g["name"]: g["id"] for g in groups}
    assert ids["Sales"] == sales_id
    for row, user in zip(rows, body["users"], strict=True):
        assert user["group_ids"] == sorted({ids[g] for g in groups_of(row)})
    # A second file reuses them all.
    body = await post_import(api, admin, csv_of([[r[0], r[1], r[2], "Ops;sales"] for r in rows]))
    assert body["updated"] == 2000
    again = (await api.client.get("/api/v1/groups", headers=admin)).json()["items"]
    assert sorted(g["id"] for g in again) == sorted(ids.values())
    async with db.transaction() as session:
        assert len((await session.execute(select(user_groups))).all()) == 4000


async def test_users_of_one_file_are_created_in_its_order_even_in_one_instant(
        api: Api, db: Database) -> None:
    _, admin = await api.user(Role.admin, email="boss@corp.test")
    rows = big_rows(300)
    instant = utcnow().replace(microsecond=0) + timedelta(hours=1)  # the token still holds
    with time_machine.travel(instant, tick=False):
        await post_import(api, admin, csv_of(rows))
    assert await listed(api, admin) == ["boss@corp.test"] + [row[0] for row in rows]
    async with db.transaction() as session:
        stamps = list(await session.scalars(
            select(User.created_at).where(User.email != "boss@corp.test")
            .order_by(User.created_at)))
    assert stamps == [instant + timedelta(microseconds=i) for i in range(300)]


async def test_demoting_the_last_admin_rejects_the_whole_file(api: Api, db: Database) -> None:
    boss, admin = await api.user(Role.admin, email="boss@corp.test")
    text = csv_of([["fresh@corp.test", "Fresh", "advocate", "Fresh Group"],
                   ["boss@corp.test", "Boss", "advocate", ""]])
    response = await api.client.post(IMPORT, content=text,
                                     headers={**admin, "content-type": "text/csv"})
    assert response.status_code == 409
    assert response.json()["detail"] == users_service.LAST_ADMIN
    async with db.transaction() as session:
        assert list(await session.scalars(select(User.email))) == ["boss@corp.test"]
        assert list(await session.scalars(select(Group.name))) == []
    # With another admin earlier in the file it goes through (the admin demotes themself).
    body = await post_import(api, admin, csv_of([["second@corp.test", "Second", "admin", ""],
                                                 ["boss@corp.test", "Boss", "advocate", ""]]))
    assert [u["role"] for u in body["users"]] == ["admin", "advocate"]


async def test_statements_do_not_grow_with_the_file(api: Api, db: Database) -> None:
    _, admin = await api.user(Role.admin, email="boss@corp.test")
    assert (await api.client.get("/api/v1/me", headers=admin)).status_code == 200
    counts: dict[str, int] = {}
    for label, count in (("small", 600), ("large", 6000)):
        groups = [f"{g} {label}" for g in GROUPS]  # new groups for each file
        rows = big_rows(count, prefix=label, groups=groups)
        with statements(db) as sent:
            body = await post_import(api, admin, csv_of(rows))
        assert body["created"] == count
        counts[f"create {label}"] = len(sent)
        edited = big_rows(count, prefix=label, suffix=" v2", roles=("manager", "advocate"),
                          groups=groups[::-1])
        with statements(db) as sent:
            body = await post_import(api, admin, csv_of(edited))
        assert body["updated"] == count
        counts[f"update {label}"] = len(sent)
    # Auth, 3 reads for the response, and per slice of rows 2 reads and up to 5 writes:
    # never one per row.
    for label, count in (("small", 600), ("large", 6000)):
        slices = math.ceil(count / SLICE)
        assert counts[f"create {label}"] <= 4 + 7 * slices, counts
        assert counts[f"update {label}"] <= 4 + 7 * slices, counts
    assert counts["create large"] < 6000 / 20, counts


# --- the same outcome as one row at a time ---------------------------------------------


async def one_at_a_time(session: AsyncSession, rows: Sequence[Any]
                        ) -> tuple[list[User], int, int]:
    """The import as it was before it was made bulk: the oracle."""
    users: list[User] = []
    created = updated = 0
    for row in rows:
        user = await users_service.get_by_email(session, row.email)
        if user is None:
            user = await users_service.create(session, email=row.email, name=row.name,
                                              role=row.role)
            created += 1
        else:
            if row.role != user.role:
                await users_service.update(session, user, {"role": row.role})
            user.name = row.name
            updated += 1
        if row.groups:
            group_ids = [(await users_service.group_by_name(session, g)).id for g in row.groups]
            await users_service.set_groups(session, user, group_ids)
        users.append(user)
    await session.flush()
    return users, created, updated


async def outcome(session: AsyncSession, result: tuple[list[User], int, int],
                  since: datetime) -> dict[str, Any]:
    """What an import did, with its new ids and times abstracted away."""
    def when(value: datetime | None) -> Any:
        return "during" if value is not None and value >= since else value

    users = {r.id: r for r in await session.execute(select(table(User)))}
    groups = {r.id: r for r in await session.execute(select(table(Group)))}
    returned, created, updated = result
    reads = [read.model_dump() | {
        "id": users[read.id].email, "created_at": when(read.created_at),
        "group_ids": sorted(groups[g].name for g in read.group_ids)}
        for read in await users_service.to_read(session, returned)]
    return {
        "counts": (created, updated),
        "response": reads,
        "session's users": [(u.email, u.name, u.role, u.password_hash, when(u.created_at),
                             when(u.updated_at)) for u in returned],
        "users": sorted((r.email, r.name, r.role, r.password_hash, r.leaderboard_opt_out,
                         r.follower_counts, r.language, r.reminders_opt_out,
                         when(r.deactivated_at), when(r.created_at), when(r.updated_at))
                        for r in users.values()),
        "created in order": [r.email for r in sorted(users.values(),
                                                     key=lambda r: (r.created_at, r.id))],
        "groups": sorted((r.name, r.description, when(r.created_at))
                         for r in groups.values()),
        "memberships": sorted((users[u].email, groups[g].name)
                              for u, g in await session.execute(select(user_groups))),
        "topics": sorted((users[u].email, t)
                         for u, t in await session.execute(select(user_topics))),
        "sessions": sorted((users[t.user_id].email, t.token_hash)
                           for t in await session.scalars(select(AuthToken))),
    }


SCENARIOS = {
    "mixed": [["kim@corp.test", "Kim", "manager", "Sales;Sales"],
              ["NEW@corp.test", "New", "advocate", "Ops;Sales"],
              ["Lou@Corp.Test", "Lou Again", "marketer", ""],
              ["ana@corp.test", "Ana", "admin", "Ops"],
              ["gone@corp.test", "Gone Renamed", "admin", "Ventes — Équipe 🚀"],
              ["josé@corp.test", "José", "advocate", "Ventes — Équipe 🚀;sales"],
              ["ex@corp.test", "Ex", "advocate", ""]],
    "demote the only admin": [["new@corp.test", "New", "advocate", "Ops"],
                              ["boss@corp.test", "Boss", "marketer", ""]],
    "a new admin, then demote": [["new@corp.test", "New", "admin", ""],
                                 ["boss@corp.test", "Boss", "marketer", ""]],
    "demote, then a new admin": [["boss@corp.test", "Boss", "marketer", ""],
                                 ["new@corp.test", "New", "admin", ""]],
    "promote, demote, demote": [["kim@corp.test", "Kim", "admin", ""],
                                ["boss@corp.test", "Boss", "advocate", "Sales"],
                                ["kim@corp.test", "Kim", "advocate", ""]],
    "promote, demote, demote the other": [["kim@corp.test", "Kim", "admin", ""],
                                          ["boss@corp.test", "Boss", "advocate", "Sales"],
                                          ["lou@corp.test", "Lou", "admin", ""]],
    "demote an inactive admin": [["ex@corp.test", "Ex", "marketer", ""]],
    "an inactive admin counts for nothing": [["gone@corp.test", "Gone", "admin", ""],
                                             ["ex@corp.test", "Ex", "marketer", ""],
                                             ["boss@corp.test", "Boss", "advocate", ""]],
    "two admins, both demoted": [["kim@corp.test", "Kim", "admin", ""],
                                 ["kim2@corp.test", "Kim Two", "admin", ""],
                                 ["boss@corp.test", "Boss", "advocate", ""],
                                 ["kim@corp.test", "Kim", "advocate", ""]],
    "a new user twice": [["new@corp.test", "New", "admin", "Ops"],
                         ["new@corp.test", "New Again", "advocate", ""]],
}
TWICE = {"promote, demote, demote", "two admins, both demoted",  # one address in two rows
         "a new user twice"}


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_the_same_outcome_as_one_row_at_a_time(db: Database, scenario: str) -> None:
    async with db.transaction() as session:
        sales = await users_service.group_by_name(session, "Sales")
        topic = await make_topic(session)
        boss = await make_user(session, role=Role.admin, email="boss@corp.test")
        await token_for(session, boss)
        kim = await make_user(session, email="kim@corp.test", name="Kim",
                              group_ids=[sales.id], topic_ids=[topic.id])
        await token_for(session, kim)
        await make_user(session, role=Role.marketer, email="lou@corp.test", name="Lou",
                        group_ids=[sales.id])
        await make_user(session, email="gone@corp.test", name="Gone", active=False)
        await make_user(session, role=Role.admin, email="ex@corp.test", name="Ex", active=False)
    if scenario in TWICE:  # the parser refuses such files; the bulk work still copes
        rows = [users_service._Row(line=i + 2, email=r[0].strip().lower(), name=r[1],
                                   role=Role(r[2]), groups=groups_of(r))
                for i, r in enumerate(SCENARIOS[scenario])]
    else:
        rows = await users_service._parse_rows(csv_of(SCENARIOS[scenario]))

    outcomes = []
    for apply in (one_at_a_time, apply_rows):
        async with db.sessionmaker() as session:
            since = utcnow()
            try:
                outcomes.append(await outcome(session, await apply(session, rows), since))
            except Conflict as exc:
                outcomes.append({"conflict": exc.detail})
            await session.rollback()
    assert outcomes[0] == outcomes[1]


def test_a_new_user_row_names_every_column() -> None:
    """The bulk INSERT and the session's copy of a new user both come from this row: a
    column it missed would be left to its default and unloaded in the session."""
    person = _Person(id="x", email="a@corp.test", name="A", role=Role.advocate, active=True,
                     user=None, created_at=utcnow())
    assert set(new_user_values(person)) == set(table(User).c.keys())
