"""The ``chorus`` command line, run as a user would: a subprocess in another directory."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

import migrations
from app.core.config import Settings
from app.main import create_app
from app.models import (
    Click,
    Conversion,
    Group,
    Pilot,
    Post,
    PostTopic,
    Share,
    Topic,
    User,
    pilot_groups,
    pilot_users,
    user_groups,
)
from app.models.enums import Category, PostStatus
from tests.databases import empty_database

CHORUS = str(Path(sys.executable).with_name("chorus"))


def _run(args: list[str], cwd: Path, db_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    environment = {**inherited, "CHORUS_DATABASE_URL": db_url, **env}
    return subprocess.run([CHORUS, *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_create_user_prints_the_id_last_and_refuses_duplicates(db_url: str,
                                                               tmp_path: Path) -> None:
    args = ["create-user", "--email", "Ana@Corp.test", "--name", "Ana", "--role", "manager",
            "--password", "long enough", "--group", "Sales", "--group", "Berlin"]
    first = _run(args, tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    user_id = first.stdout.strip().splitlines()[-1]
    assert len(user_id) >= 16 and " " not in user_id
    again = _run([*args[:2], "ana@corp.test", *args[3:]], tmp_path, db_url)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_create_user_rejects_a_short_password(db_url: str, tmp_path: Path) -> None:
    result = _run(["create-user", "--email", "b@corp.test", "--name", "B", "--role", "advocate",
                   "--password", "short"], tmp_path, db_url)
    assert result.returncode == 1 and "8 characters" in result.stderr


async def test_demo_fills_an_empty_database_once(db_url: str, tmp_path: Path) -> None:
    first = await asyncio.to_thread(_run, ["demo", "--seed", "3"], tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    assert "admin@chorus.test" in first.stdout and "chorus-demo" in first.stdout
    # It says what it is doing while it works.
    progress = [line.split()[0] for line in first.stdout.splitlines()[:5]]
    assert progress == ["people", "posts", "publish", "history", "stats"]
    await _assert_a_realistic_program(db_url)
    await _assert_the_printed_logins_work(db_url, first.stdout)
    again = await asyncio.to_thread(_run, ["demo"], tmp_path, db_url)
    assert again.returncode == 1 and "empty database" in again.stderr
    skipped = await asyncio.to_thread(_run, ["demo", "--if-empty"], tmp_path, db_url)
    assert skipped.returncode == 0 and "skipped" in skipped.stdout


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _mix_ok(categories: list[Category]) -> bool:
    """CONTRACT §7, written out here: in every run of at most 10 consecutive published
    posts, promotional ≤ 1 and owned + promotional ≤ 4 (checking each run of exactly 10,
    or the whole sequence when shorter, covers the shorter runs inside it)."""
    for start in range(max(1, len(categories) - 9)):
        window = categories[start:start + 10]
        promotional = window.count(Category.promotional)
        if promotional > 1 or window.count(Category.owned) + promotional > 4:
            return False
    return True


def test_the_mix_check_of_the_demo_test_catches_a_breach() -> None:
    curated, owned, promo = Category.curated, Category.owned, Category.promotional
    assert _mix_ok([curated] * 6 + [owned] * 3 + [promo] + [curated] * 6 + [owned] * 3 + [promo])
    assert not _mix_ok([promo, curated, promo])  # two promotional in a short run
    assert not _mix_ok([curated] * 12 + [promo] + [curated] * 8 + [promo])  # in one run of 10
    assert not _mix_ok([owned] * 5)
    assert _mix_ok([curated] * 20 + [promo] + [curated] * 9 + [promo])


async def _assert_a_realistic_program(db_url: str) -> None:
    """CONTRACT §1: topics, groups, ~30 advocates, ~60 posts in a 6-3-1 mix, shares, clicks
    and conversions over 8 weeks; read from the tables, not from what the command prints."""
    now = datetime.now(UTC)
    eight_weeks_ago = now - timedelta(weeks=8, days=1)
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            async def count(model: Any, *where: Any) -> int:
                return int(await conn.scalar(select(func.count()).select_from(model)
                                             .where(*where)) or 0)

            async def span(column: Any) -> tuple[datetime, datetime]:
                low, high = (await conn.execute(select(func.min(column),
                                                       func.max(column)))).one()
                return _utc(low), _utc(high)

            assert await count(Topic) >= 3
            assert await count(Group) >= 2
            assert 25 <= await count(User, User.deactivated_at.is_(None)) <= 35
            assert await count(user_groups) >= 25

            planned = list((await conn.execute(select(Post.category).where(
                Post.suggested_by.is_(None)))).scalars())
            assert 50 <= len(planned) <= 70
            for category, share in [(Category.curated, 0.6), (Category.owned, 0.3),
                                    (Category.promotional, 0.1)]:
                assert abs(planned.count(category) - share * len(planned)) <= 1, category

            published = (await conn.execute(
                select(Post.id, Post.category, Post.published_at)
                .where(Post.status == PostStatus.published).order_by(Post.published_at)
            )).all()
            assert len(published) >= 40
            assert {row.category for row in published} == set(Category)
            assert _mix_ok([row.category for row in published]), "the organisation's sequence"
            assert eight_weeks_ago <= _utc(published[0].published_at)
            assert _utc(published[-1].published_at) <= now
            topics_of: dict[str, list[str]] = {}
            for post_id, topic_id in (await conn.execute(
                    select(PostTopic.post_id, PostTopic.topic_id))).all():
                topics_of.setdefault(post_id, []).append(topic_id)
            for topic_id in {t for ts in topics_of.values() for t in ts}:
                sequence = [row.category for row in published
                            if topic_id in topics_of.get(row.id, [])]
                assert _mix_ok(sequence), f"topic {topic_id}"

            assert await count(Share) >= 100
            assert await count(Click, Click.bot.is_(False), Click.is_self.is_(False)) >= 100
            assert await count(Click, Click.is_unique.is_(True)) >= 50
            assert await count(Conversion, Conversion.attributed.is_(True)) >= 5
            for column in (Share.created_at, Click.occurred_at, Conversion.occurred_at):
                first, last = await span(column)
                # Spread over the eight weeks, and nothing in the future.
                assert eight_weeks_ago <= first <= now - timedelta(weeks=5), column
                assert now - timedelta(weeks=2) <= last <= now, column

            pilots = (await conn.execute(select(Pilot.starts_on, Pilot.ends_on))).all()
            today = now.date()
            assert all(eight_weeks_ago.date() <= p.starts_on < p.ends_on for p in pilots)
            assert any(p.ends_on < today for p in pilots), "a finished pilot, with results"
            assert any(p.starts_on <= today <= p.ends_on for p in pilots), "a running pilot"
            assert await count(pilot_groups) + await count(pilot_users) >= 1
    finally:
        await engine.dispose()


async def _assert_the_printed_logins_work(db_url: str, stdout: str) -> None:
    """Each login the command printed signs in through the API with the printed password,
    with the printed role."""
    password_match = re.search(r"password '([^']+)'", stdout)
    assert password_match is not None, stdout
    logins = re.findall(r"^\s+(admin|marketer|manager|advocate)\s+(\S+@\S+)", stdout, re.M)
    assert {role for role, _ in logins} == {"admin", "marketer", "manager", "advocate"}
    settings = Settings(_env_file=None, database_url=db_url,
                        secret_key="test-secret-key-that-is-long-enough-0123456789")
    app = create_app(settings, run_jobs=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            for role, email in logins:
                response = await api.post("/api/v1/auth/login", json={
                    "email": email, "password": password_match.group(1)})
                assert response.status_code == 200, (email, response.text)
                assert response.json()["user"]["role"] == role
    finally:
        await app.state.clicks.close()
        await app.state.db.dispose()


def test_prod_refuses_to_serve_without_a_secret_key(db_url: str, tmp_path: Path) -> None:
    result = _run(["serve", "--no-migrate"], tmp_path, db_url, CHORUS_ENV="prod",
                  CHORUS_BASE_URL="https://chorus.corp.test")
    assert result.returncode == 2 and "CHORUS_SECRET_KEY" in result.stderr


def test_prod_refuses_plain_http_and_sqlite(db_url: str, tmp_path: Path) -> None:
    secret = "s" * 48
    http = _run(["serve"], tmp_path, db_url, CHORUS_ENV="prod", CHORUS_SECRET_KEY=secret)
    assert http.returncode == 2 and "https" in http.stderr
    if db_url.startswith("sqlite"):
        sqlite = _run(["serve"], tmp_path, db_url, CHORUS_ENV="prod", CHORUS_SECRET_KEY=secret,
                      CHORUS_BASE_URL="https://chorus.corp.test")
        assert sqlite.returncode == 2 and "--allow-sqlite" in sqlite.stderr


def test_worker_explains_it_needs_redis(db_url: str, tmp_path: Path) -> None:
    result = _run(["worker"], tmp_path, db_url, CHORUS_REDIS_URL="")
    assert result.returncode == 2 and "CHORUS_REDIS_URL" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def empty_db_url(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path, "cli") as url:
        yield url


def _schema(db_url: str) -> tuple[set[str], list[str]]:
    """The tables of the database and the Alembic revisions it is stamped with."""

    async def read() -> tuple[set[str], list[str]]:
        engine = create_async_engine(db_url)
        try:
            async with engine.connect() as conn:
                tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
                stamped = (list((await conn.execute(text("SELECT version_num FROM "
                                                         "alembic_version"))).scalars())
                           if "alembic_version" in tables else [])
                return tables, stamped
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _head_revision() -> str:
    """The newest revision among the migration scripts shipped in the package."""
    scripts = ScriptDirectory(str(Path(migrations.__file__).parent))
    (head,) = scripts.get_heads()
    return head


@pytest.mark.timeout_sensitive
def test_serve_migrates_and_answers_from_any_directory(empty_db_url: str,
                                                       tmp_path: Path) -> None:
    assert _schema(empty_db_url) == (set(), [])
    port = _free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env = {**inherited, "CHORUS_DATABASE_URL": empty_db_url}
    server = subprocess.Popen([CHORUS, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "chorus serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
        # Migrated to head: a request that reads the tables answers (401: no such token).
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={
            "Authorization": "Bearer nobody"}).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)
    logged = server.stdout.read().decode() if server.stdout else ""
    assert "127.0.0.1\"" not in logged.replace('"host"', "")
    tables, stamped = _schema(empty_db_url)
    assert stamped == [_head_revision()]
    assert {"users", "posts", "shares", "clicks", "conversions", "visitor_salts"} <= tables
