"""The migrations: they round-trip, step one revision at a time and match the models.

Each test migrates its own empty scratch database (a SQLite file, or a PostgreSQL database
created and dropped here), not the shared template, since it moves the schema up and down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from app.core.db import CLICK_LOG_SCHEMA, attach_click_log, click_log_path, create_engine
from app.core.migrate import alembic_config, downgrade, upgrade
from app.models import Base, ClickLogEntry
from tests.databases import empty_database

T = TypeVar("T")
VERSION_TABLE = "alembic_version"


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database on the current backend."""
    with empty_database(tmp_path, "mig") as url:
        yield url


def _inspect(url: str, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` on a sync connection to ``url`` (from sync code: Alembic is sync here too)."""

    async def run() -> T:
        engine = create_engine(url)
        log_path = click_log_path(url)
        if log_path is not None:
            event.listen(engine.sync_engine, "connect", attach_click_log(log_path))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(conn: Connection) -> set[str]:
    """The database's tables; on SQLite with those of the click log's own file."""
    names = set(inspect(conn).get_table_names())
    if conn.dialect.name == "sqlite":
        names |= set(inspect(conn).get_table_names(schema=CLICK_LOG_SCHEMA))
    return names


def _leftovers(conn: Connection) -> list[str]:
    """Whatever the schema still holds besides Alembic's own bookkeeping."""
    inspector = inspect(conn)
    found = [f"table {name}" for name in _tables(conn) if name != VERSION_TABLE]
    found += [f"view {name}" for name in inspector.get_view_names()]
    if conn.dialect.name == "postgresql":
        found += [f"enum {enum['name']}" for enum in inspector.get_enums()]  # type: ignore[attr-defined]
        found += [f"sequence {name}" for name in inspector.get_sequence_names()]
    return found


def _heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _diff(conn: Connection) -> list[Any]:
    def in_this_file(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
        # On SQLite the click log lives in its own file: compared apart (_log_columns).
        return not (conn.dialect.name == "sqlite" and kind == "table"
                    and name == ClickLogEntry.__tablename__)

    context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": in_this_file})
    return list(compare_metadata(context, Base.metadata))


def _log_columns(conn: Connection) -> list[tuple[str, bool]]:
    schema = CLICK_LOG_SCHEMA if conn.dialect.name == "sqlite" else None
    return [(c["name"], c["nullable"]) for c in inspect(conn).get_columns(
        ClickLogEntry.__tablename__, schema=schema)]


def _script(url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(url))


def _base_to_head(url: str) -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(_script(url).walk_revisions())))


def test_single_head(scratch_url: str) -> None:
    heads = _script(scratch_url).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade(scratch_url)
    model_tables = set(Base.metadata.tables)
    assert model_tables <= _inspect(scratch_url, _tables)

    downgrade(scratch_url)
    assert _inspect(scratch_url, _leftovers) == []
    assert _inspect(scratch_url, _tables) <= {VERSION_TABLE}
    assert _inspect(scratch_url, _heads) == set()

    upgrade(scratch_url)
    assert model_tables <= _inspect(scratch_url, _tables)
    assert _inspect(scratch_url, _heads) == {_script(scratch_url).get_current_head()}


def test_each_revision_steps_up_and_down(scratch_url: str) -> None:
    revisions = _base_to_head(scratch_url)
    assert revisions, "no migrations found"

    # Up, one revision at a time; each one's downgrade must undo it right after it ran.
    for script in revisions:
        before = _inspect(scratch_url, _heads)
        upgrade(scratch_url, script.revision)
        assert _inspect(scratch_url, _heads) == {script.revision}
        downgrade(scratch_url, "-1")
        assert _inspect(scratch_url, _heads) == before, f"{script.revision} did not step down"
        upgrade(scratch_url, script.revision)
        assert _inspect(scratch_url, _heads) == {script.revision}

    # Down, one revision at a time, from head to base.
    for script in reversed(revisions):
        assert _inspect(scratch_url, _heads) == {script.revision}
        downgrade(scratch_url, "-1")
    assert _inspect(scratch_url, _heads) == set()
    assert _inspect(scratch_url, _leftovers) == []


def test_head_matches_the_models(scratch_url: str) -> None:
    """Our ``alembic check``: autogenerate finds nothing to add after upgrading to head."""
    upgrade(scratch_url)
    diff = _inspect(scratch_url, _diff)
    assert diff == [], "models and migrations differ; autogenerate a revision:\n" + "\n".join(
        map(repr, diff)
    )
    assert _inspect(scratch_url, _log_columns) == [
        (c.name, bool(c.nullable)) for c in ClickLogEntry.__table__.columns]


SHARE_DAYS_BY_ADVOCATE = "8c4e1b7d2a90"


def _share_days_key(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return str(conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'share_days_pkey'").scalar())
    return ",".join(inspect(conn).get_pk_constraint("share_days")["constrained_columns"])


def _share_days_indexes(conn: Connection) -> dict[str, str]:
    if conn.dialect.name == "postgresql":
        return {name: definition for name, definition in conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'share_days' "
            "AND indexname <> 'share_days_pkey'")}
    return {index["name"]: ",".join(str(c) for c in index["column_names"])
            for index in inspect(conn).get_indexes("share_days")}


def _a_share_with_a_day(conn: Connection) -> None:
    """A user, a post, their share, one day of its clicks and two conversions (one on the
    share), as the app wrote them before revision 8c4e1b7d2a90."""
    # Plain SQL: the models describe today's schema, which has columns this one lacks.
    with Session(bind=conn) as session:
        now = datetime(2026, 11, 2, 9, tzinfo=UTC)
        session.execute(text(
            "INSERT INTO users (id, email, name, role, leaderboard_opt_out, follower_counts, "
            "created_at, updated_at) VALUES ('miguser', 'mig@corp.test', 'Mig', 'advocate', "
            ":f, '{}', :now, :now)"), {"now": now, "f": False})
        session.execute(text(
            "INSERT INTO posts (id, url, category, captions, status, created_at, updated_at) "
            "VALUES ('migpost', 'https://example.com/m', 'curated', '{}', 'published', :now, "
            ":now)"), {"now": now})
        session.execute(text(
            "INSERT INTO shares (id, code, user_id, post_id, network, caption, follower_count, "
            "created_at) VALUES ('migshare', 'MIGRATE1', 'miguser', 'migpost', 'linkedin', "
            "'', 5, :now)"), {"now": now})
        session.execute(text(
            "INSERT INTO share_days (share_id, day, clicks, unique_clicks, click_points) "
            "SELECT id, '2026-11-02', 7, 5, 10 FROM shares"))
        for external_id, attributed in (("on-the-share", True), ("unattributed", False)):
            session.execute(text(
                "INSERT INTO conversions (id, external_id, share_id, advocate_id, post_id, "
                "attributed, type, currency, occurred_at, created_at, source) "
                "SELECT :id, :external_id, CASE WHEN :on THEN id END, "
                "CASE WHEN :on THEN user_id END, CASE WHEN :on THEN post_id END, :on, "
                "'deal', 'EUR', created_at, created_at, 'api' FROM shares"),
                {"id": external_id[:32], "external_id": external_id, "on": attributed})
        session.commit()


def _conversion_networks(conn: Connection) -> dict[str, Any]:
    return dict(conn.exec_driver_sql(  # type: ignore[arg-type]
        "SELECT external_id, network FROM conversions").all())


def _the_day(conn: Connection) -> tuple[Any, ...]:
    columns = [c["name"] for c in inspect(conn).get_columns("share_days")]
    copied = ["s.user_id = d.user_id AND s.network = d.network AND s.post_id = d.post_id"
              if "user_id" in columns else "NULL"]
    row = conn.exec_driver_sql(
        f"SELECT d.clicks, d.unique_clicks, d.click_points, {copied[0]} "
        "FROM share_days d JOIN shares s ON s.id = d.share_id").one()
    return tuple(bool(v) if i == 3 and v is not None else v for i, v in enumerate(row))


def test_share_days_name_their_advocate_and_are_indexed_by_it(scratch_url: str) -> None:
    """Revision 8c4e1b7d2a90 copies each row's share's advocate, network and post, indexes
    the rows by advocate and day (PostgreSQL: with the counts), gives attributed
    conversions their share's network, and steps back intact."""
    postgres = make_url(scratch_url).get_backend_name() == "postgresql"
    upgrade(scratch_url, "5d1c2a7e9f30")
    _inspect(scratch_url, _a_share_with_a_day)
    upgrade(scratch_url, SHARE_DAYS_BY_ADVOCATE)
    assert _inspect(scratch_url, _the_day) == (7, 5, 10, True)
    assert _inspect(scratch_url, _conversion_networks) == {"on-the-share": "linkedin",
                                                           "unattributed": None}
    indexes = _inspect(scratch_url, _share_days_indexes)
    assert set(indexes) == {"ix_share_days_user_day"}
    if postgres:
        assert indexes["ix_share_days_user_day"].endswith(
            "(user_id, day) INCLUDE (network, post_id, clicks, unique_clicks)")
        assert "INCLUDE" not in _inspect(scratch_url, _share_days_key)
    else:
        assert indexes["ix_share_days_user_day"] == "user_id,day"

    downgrade(scratch_url, "-1")
    assert _inspect(scratch_url, _the_day) == (7, 5, 10, None)
    assert "network" not in _inspect(scratch_url, lambda conn: [
        c["name"] for c in inspect(conn).get_columns("conversions")])
    assert set(_inspect(scratch_url, _share_days_indexes)) == {"ix_share_days_day"}
    key = _inspect(scratch_url, _share_days_key)
    if postgres:
        assert key.endswith("(share_id, day) INCLUDE (clicks, unique_clicks)")
    else:
        assert key == "share_id,day"
