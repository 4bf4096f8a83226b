"""The SQLite click log's writer process: its pipe protocol, and the recorder that feeds it
(a batch is answered once committed; a writer that dies fails its batches and is started
again for the next click)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.db import Database
from app.tracking import log_writer
from app.tracking.click_log import SqliteClickLog, to_row
from app.tracking.projection import ClickDraft
from app.tracking.recorder import ClickLogFailed, ClickRecorder

START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _draft(n: int) -> ClickDraft:
    at = START + timedelta(seconds=n)
    return ClickDraft(
        share_id="share", advocate_id="advocate", network="linkedin", post_id="post",
        click_id=f"click-{n:05d}", occurred_at=at, day=at.date(), visitor_hash=f"{n:064x}",
        device="desktop", referrer_host=None, bot=False, session_token_hash=None,
        address_hash=None)


def _logged(path: Path) -> list[str]:
    click_log = SqliteClickLog(path)
    with contextlib.closing(click_log.connect()) as conn:
        return [draft.click_id for _, draft in click_log.after(conn, 0, 100_000)]


def _start_writer(path: Path) -> subprocess.Popen[bytes]:
    SqliteClickLog(path).connect().close()  # as the recorder does: the table first
    return subprocess.Popen([sys.executable, "-m", "app.tracking.log_writer", str(path),
                             str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_each_frame_is_answered_in_order_once_committed(tmp_path: Path) -> None:
    path = tmp_path / "chorus.clicks.db"
    writer = _start_writer(path)
    assert writer.stdin is not None and writer.stdout is not None
    frames = [[to_row(_draft(n)) for n in range(start, start + size)]
              for start, size in ((0, 3), (3, 1), (4, 1200))]
    # A row with a column too few: its frame fails, alone, and the writer carries on.
    broken = [to_row(_draft(9000))[:-1]]
    for rows in (*frames[:2], broken, frames[2]):
        writer.stdin.write(log_writer.frame(rows))
        writer.stdin.flush()
        answer = writer.stdout.read(1)
        assert answer == (log_writer.FAILED if rows is broken else log_writer.COMMITTED)
    writer.stdin.close()
    assert writer.wait(timeout=30) == 0
    assert _logged(path) == [f"click-{n:05d}" for n in range(1204)]


def test_frames_waiting_together_share_one_answer_each(tmp_path: Path) -> None:
    path = tmp_path / "chorus.clicks.db"
    writer = _start_writer(path)
    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.write(b"".join(log_writer.frame([to_row(_draft(n))]) for n in range(50)))
    writer.stdin.close()  # end of input: what was sent is still committed
    assert writer.stdout.read() == log_writer.COMMITTED * 50
    assert writer.wait(timeout=30) == 0
    assert _logged(path) == [f"click-{n:05d}" for n in range(50)]


async def test_the_recorder_answers_each_click_once_it_is_logged(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    recorder = ClickRecorder(db)
    try:
        await asyncio.gather(*(recorder.record(_draft(n)) for n in range(300)))
        assert sorted(_logged(tmp_path / "chorus.clicks.db")) == [
            f"click-{n:05d}" for n in range(300)]
    finally:
        await recorder.close()
        await db.dispose()


async def test_a_writer_that_dies_fails_its_clicks_and_the_next_click_starts_another(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    recorder = ClickRecorder(db)
    try:
        await recorder.record(_draft(0))
        writer = recorder._writer
        assert writer is not None
        writer.process.send_signal(signal.SIGSTOP)  # it reads nothing more
        waiting = [asyncio.ensure_future(recorder.record(_draft(n))) for n in (1, 2)]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in waiting)
        writer.process.kill()
        for task in waiting:
            with pytest.raises(ClickLogFailed):
                await task  # no click, no 302: the client may try again
        await recorder.record(_draft(3))
        assert recorder._writer is not None and recorder._writer is not writer
        assert _logged(tmp_path / "chorus.clicks.db") == ["click-00000", "click-00003"]
    finally:
        await recorder.close()
        await db.dispose()


async def test_closing_the_recorder_stops_its_writer(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    recorder = ClickRecorder(db)
    await recorder.record(_draft(0))
    writer = recorder._writer
    assert writer is not None
    await recorder.close()
    await db.dispose()
    assert writer.process.returncode == 0


def test_the_writer_keeps_no_descriptor_of_its_parent(tmp_path: Path) -> None:
    """A listening socket the web worker lets children inherit must not stay open in its
    writer (it would keep the port answering after the worker is gone)."""
    import socket

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        listening.set_inheritable(True)
        inode = os.fstat(listening.fileno()).st_ino
        path = tmp_path / "chorus.clicks.db"
        SqliteClickLog(path).connect().close()
        writer = subprocess.Popen(
            [sys.executable, "-m", "app.tracking.log_writer", str(path), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=False)
        assert writer.stdin is not None and writer.stdout is not None
        writer.stdin.write(log_writer.frame([to_row(_draft(1))]))
        writer.stdin.flush()
        assert writer.stdout.read(1) == log_writer.COMMITTED  # up, and past its start
        held = {os.readlink(f"/proc/{writer.pid}/fd/{fd}")
                for fd in os.listdir(f"/proc/{writer.pid}/fd")}
        writer.stdin.close()
        writer.wait(timeout=30)
    assert f"socket:[{inode}]" not in held
    assert any(target.endswith("chorus.clicks.db") for target in held)  # the check can see
