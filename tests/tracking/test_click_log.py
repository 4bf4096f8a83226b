"""The SQLite click log's appends: one transaction per batch, in order, whatever its size."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.tracking.click_log import SqliteClickLog, to_row
from app.tracking.log_writer import ROWS_PER_INSERT
from app.tracking.projection import ClickDraft

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _draft(n: int) -> ClickDraft:
    at = START + timedelta(microseconds=n)
    return ClickDraft(
        share_id=f"share-{n % 7}", advocate_id="advocate", network="linkedin",
        post_id="post", click_id=f"click-{n:06d}", occurred_at=at, day=at.date(),
        visitor_hash=f"{n:064x}", device="mobile" if n % 2 else "desktop",
        referrer_host=None if n % 3 else "example.org", bot=n % 5 == 0,
        session_token_hash=None if n % 4 else f"{n:064x}",
        address_hash=None if n % 6 == 1 else f"{n + 1:064x}")


@pytest.fixture
def sqlite_log(tmp_path: Path) -> SqliteClickLog:
    """A log file of its own (whichever backend the suite runs on): its table is made on
    first connection, as for a database restored without it."""
    return SqliteClickLog(tmp_path / "chorus.clicks.db")


@pytest.mark.parametrize("size", [1, 2, 37, ROWS_PER_INSERT, ROWS_PER_INSERT + 1, 2345])
def test_a_batch_reads_back_in_order_and_unchanged(sqlite_log: SqliteClickLog,
                                                     size: int) -> None:
    drafts = [_draft(n) for n in range(size)]
    with contextlib.closing(sqlite_log.connect()) as conn:
        sqlite_log.append(conn, [to_row(d) for d in drafts[:size // 2]])
        sqlite_log.append(conn, [to_row(d) for d in drafts[size // 2:]])
        entries = sqlite_log.after(conn, 0, size + 10)
    assert [draft for _, draft in entries] == drafts
    assert [seq for seq, _ in entries] == list(range(1, size + 1))


def test_a_batch_that_fails_stores_none_of_its_rows(sqlite_log: SqliteClickLog) -> None:
    rows = [to_row(_draft(n)) for n in range(ROWS_PER_INSERT + 5)]
    # The last chunk's last row lacks a column: the chunks before it must not stay.
    rows[-1] = rows[-1][:-1]
    with contextlib.closing(sqlite_log.connect()) as conn:
        with pytest.raises(sqlite3.Error):
            sqlite_log.append(conn, rows)
        assert sqlite_log.count_after(conn, 0) == 0
        sqlite_log.append(conn, [to_row(_draft(1))])  # the connection is usable again
        assert sqlite_log.count_after(conn, 0) == 1
