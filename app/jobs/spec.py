"""What a background job is (CONTRACT §9): a plain async function taking ids, declared once
with its schedule, run by arq on Redis or by the in-process runner with the same code.

A job function is ``async def job(ctx: JobContext, *ids: str) -> object``: it re-derives
its work from the database (the source of truth), so running it twice, or again after a
worker or Redis restart, does no harm. What it returns is kept with the run when it is a
small JSON value (counts per outcome, say), for ``GET /api/v1/jobs``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.core.db import Database


class Enqueuer(Protocol):
    """Sends a job to whichever runner this process has (arq, in-process, or none)."""

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None: ...


@dataclass
class JobContext:
    db: Database
    settings: Settings
    jobs: Enqueuer
    attempt: int = 1
    """1 for the first run of this enqueued job, 2 after one ``RetryLater``, and so on."""


JobFunction = Callable[..., Awaitable[Any]]


class RetryLater(Exception):  # noqa: N818 - a request, not an error
    """Raised by a job to be run again with the same ids after ``seconds`` (a rate limit's
    reset, say). Both runners honour it, up to the job's ``max_tries``."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {seconds:g} s")
        self.seconds = max(0.0, seconds)
        self.reason = reason


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    unique: bool = True
    """One run at a time per (name, ids): arq gets a deterministic job id, the in-process
    runner runs a second request after the first instead of beside it."""
    timeout: float = 300
    max_tries: int = 5

    def key(self, args: tuple[str, ...]) -> str:
        return ":".join(("chorus", self.name, *args))


def _as_set(value: int | set[int] | None) -> frozenset[int] | None:
    if value is None:
        return None
    return frozenset({value} if isinstance(value, int) else value)


@dataclass(frozen=True)
class Cron:
    """A schedule in UTC, declared once and used by both runners. ``None`` is every value.

    Jobs that act at the organisation's local hours run hourly and decide for themselves.
    """

    job: str
    minute: int | set[int] | None = None
    hour: int | set[int] | None = None
    weekday: int | set[int] | None = None
    """ISO weekday, Monday = 1."""
    run_at_startup: bool = False
    _sets: dict[str, frozenset[int] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sets", {
            "minute": _as_set(self.minute), "hour": _as_set(self.hour),
            "weekday": _as_set(self.weekday)})

    def matches(self, when: datetime) -> bool:
        """Whether the minute starting at ``when`` (UTC) is one of this schedule's."""
        values = {"minute": when.minute, "hour": when.hour, "weekday": when.isoweekday()}
        return all(allowed is None or values[name] in allowed
                   for name, allowed in self._sets.items())
