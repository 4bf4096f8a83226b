"""The SQLite click log's writer: a process of its own, beside each web worker.

A redirect's click must be committed (``synchronous=FULL``: on disk) before its 302 leaves.
Committed from a thread of the web worker, each batch ended with that thread waiting for the
GIL while the event loop held it, and the redirects waited with it: measured, the loop sat
idle a third of the time. In a process of its own the writer has its own interpreter; the
web worker only writes each batch to a pipe and reads one byte back per batch when it is
committed, and the event loop reads that byte like any other socket.

The protocol, on the child's standard input and output:

- in: frames, each a 4-byte little-endian length and a ``marshal``-encoded list of rows
  (tuples of ``COLUMNS``' values: str, int, bool or None);
- out: one byte per frame, in the order received: ``0`` committed, ``1`` failed (the reason
  goes to standard error).

The writer takes every frame waiting in the pipe into one transaction: a burst costs one
commit, and while one commits the next ones gather. End of input (the web worker closed the
pipe, or died) ends the process once what was read is committed; with the web worker's death
it is killed outright (Linux's parent-death signal).

This module imports only the standard library (and `app.core.parent_death`, which does too):
it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import signal
import sqlite3
import struct
import sys
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from app.core.parent_death import die_with_parent

COLUMNS = ("click_id", "share_id", "advocate_id", "network", "post_id", "occurred_us",
           "visitor_hash", "address_hash", "device", "referrer_host", "bot", "token_hash")
LogRow = tuple[Any, ...]
HEADER = struct.Struct("<I")
COMMITTED, FAILED = b"\x00", b"\x01"
# SQLite binds at most 32,766 parameters to a statement.
ROWS_PER_INSERT = 1000
# Batch sizes vary: a connection keeps the statements of this many sizes prepared.
PREPARED_SIZES = 256
_READ_SIZE = 1 << 20

_ROW = "(" + ", ".join("?" * len(COLUMNS)) + ")"


@lru_cache(maxsize=PREPARED_SIZES)
def _insert(rows: int) -> str:
    return f"INSERT INTO click_log ({', '.join(COLUMNS)}) VALUES " + ", ".join([_ROW] * rows)


def connect(path: str, *, durable: bool = True) -> sqlite3.Connection:
    """A connection to the log's file, in autocommit. Durable (the writer's): a commit that
    returned is on disk. Not durable: its commits are not flushed (see ``click_log``)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                           cached_statements=PREPARED_SIZES)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def append(conn: sqlite3.Connection, rows: Sequence[LogRow]) -> None:
    """``rows``, in their order, in one transaction (the connection is in autocommit).

    One multi-row INSERT when the batch fits in one: SQLite begins, inserts and commits
    (fsync included) in one call. (Rows as one JSON parameter split by ``json_each`` cost
    2.5 times the CPU: each column's ``json_extract`` parses its row again.)"""
    if not rows:
        return
    if len(rows) <= ROWS_PER_INSERT:
        conn.execute(_insert(len(rows)), [value for row in rows for value in row])
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start:start + ROWS_PER_INSERT]
            conn.execute(_insert(len(chunk)), [value for row in chunk for value in row])
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def frame(rows: Sequence[LogRow]) -> bytes:
    payload = marshal.dumps(list(rows))
    return HEADER.pack(len(payload)) + payload


class _Frames:
    """Frames read from a file descriptor: everything waiting, at least one."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def _complete(self) -> list[list[LogRow]]:
        frames: list[list[LogRow]] = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append(marshal.loads(bytes(self._buffer[HEADER.size:end])))
            del self._buffer[:end]
        return frames

    def _read(self) -> bool:
        chunk = os.read(self._fd, _READ_SIZE)
        self._buffer += chunk
        return bool(chunk)

    def take(self) -> list[list[LogRow]] | None:
        """The frames waiting (blocking for the first one); None at end of input."""
        frames = self._complete()
        while not frames:
            if not self._read():
                return None
            frames = self._complete()
        while select.select([self._fd], [], [], 0)[0]:
            if not self._read():
                break
            frames += self._complete()
        return frames


def serve(path: str, fd_in: int, fd_out: int) -> None:
    conn = connect(path)
    frames = _Frames(fd_in)
    try:
        while (taken := frames.take()) is not None:
            try:
                append(conn, [row for rows in taken for row in rows])
                answer = COMMITTED
            except Exception as exc:  # each frame is told; the web worker answers 500
                sys.stderr.write(f"chorus click log writer: recording failed: {exc!r}\n")
                sys.stderr.flush()
                answer = FAILED
            os.write(fd_out, answer * len(taken))
    finally:
        conn.close()


def main() -> None:
    path, parent = sys.argv[1], int(sys.argv[2])
    die_with_parent(parent)
    # Only the pipes and standard error: uvloop's subprocesses inherit every inheritable
    # descriptor of the web worker (its listening socket among them).
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    # The web worker stops it by closing the pipe, after its last batch: not by a signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(path, sys.stdin.fileno(), sys.stdout.fileno())


if __name__ == "__main__":
    main()
