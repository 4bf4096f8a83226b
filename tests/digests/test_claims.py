"""The claim that keeps a digest to one per (recipient, period), whatever the callers: a
second claim of a period already sending, sent or skipped is refused; a failed one is taken
over, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.core.db import Database
from app.digests import claims
from app.models.digests import ReminderDigest
from tests.builders import make_user

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


async def _take(db: Database, user_id: str, status: str = claims.SENDING) -> bool:
    async with db.transaction() as session:
        return await claims.take(session, ReminderDigest, owner=user_id, period="2026-12-07",
                                 status=status, post_ids=["p"], window_end=NOW, now=NOW)


async def _finish(db: Database, user_id: str, error: str | None) -> None:
    async with db.transaction() as session:
        await claims.finish(session, ReminderDigest, owner=user_id, period="2026-12-07",
                            error=error, now=NOW)


async def _user(db: Database) -> str:
    async with db.transaction() as session:
        return (await make_user(session)).id


@pytest.mark.parametrize("first", [claims.SENDING, claims.SKIPPED])
async def test_a_period_claimed_or_skipped_is_not_claimed_again(db: Database,
                                                                first: str) -> None:
    user_id = await _user(db)

    assert await _take(db, user_id, first)
    assert not await _take(db, user_id)
    assert not await _take(db, user_id, claims.SKIPPED)


async def test_a_sent_period_is_not_claimed_again(db: Database) -> None:
    user_id = await _user(db)
    assert await _take(db, user_id)
    await _finish(db, user_id, None)

    assert not await _take(db, user_id)


async def test_a_failed_period_is_taken_over_once(db: Database) -> None:
    user_id = await _user(db)
    assert await _take(db, user_id)
    await _finish(db, user_id, "SMTPServerDisconnected: gone")

    assert await _take(db, user_id)
    assert not await _take(db, user_id)
    async with db.transaction() as session:
        row = await session.get(ReminderDigest, await _row_id(db, user_id))
        assert row is not None and (row.status, row.attempts, row.error) == ("sending", 2, None)


async def _row_id(db: Database, user_id: str) -> str:
    async with db.transaction() as session:
        found = await session.scalar(select(ReminderDigest.id).where(
            ReminderDigest.user_id == user_id))
        assert found is not None
        return found


async def test_concurrent_claims_of_one_period_let_exactly_one_through(db: Database) -> None:
    user_id = await _user(db)

    outcomes = await asyncio.gather(*(_take(db, user_id) for _ in range(5)))

    assert sorted(outcomes) == [False, False, False, False, True]
