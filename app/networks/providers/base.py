"""What every network's stats provider is: it turns a share's ``external_url`` into the
network's post id (or says why it cannot), declares the metrics it can read, and reads them,
each one ``int | None`` (None is unknown, never 0), with an outcome (``Status``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.core.config import Settings
from app.core.types import MAX_COUNT
from app.models.enums import Network


class Metric(StrEnum):
    """The metrics of a stats snapshot (CONTRACT §3)."""

    impressions = "impressions"
    likes = "likes"
    comments = "comments"
    reshares = "reshares"


class Status(StrEnum):
    ok = "ok"
    empty = "empty"
    """The network answered without a value for any metric: nothing is stored."""
    not_supported = "not_supported"
    """No API of the network reads this post's stats (Facebook's personal posts)."""
    unresolvable = "unresolvable"
    """The URL names no post the API knows (a LinkedIn activity URL, say): the manual path."""
    not_permitted = "not_permitted"
    """The network refused (403: the app lacks the permission, or the post is not theirs)."""
    needs_reauth = "needs_reauth"
    """The member's token was refused, and refreshing it did not help."""
    rate_limited = "rate_limited"
    not_found = "not_found"
    failed = "failed"
    """The network did not answer usefully (a timeout, a 5xx): tried again next time."""


@dataclass(frozen=True)
class PostRef:
    """A post on a network, as its API names it."""

    network: Network
    kind: str
    """``share`` or ``ugcPost`` on LinkedIn, ``post`` on X."""
    id: str


@dataclass(frozen=True)
class Unresolvable:
    """Why a URL names no post the network's API can be asked about."""

    reason: str


@dataclass(frozen=True)
class Pulled:
    """A provider's answer about one post."""

    status: Status
    metrics: Mapping[Metric, int | None] = field(default_factory=dict)
    retry_at: datetime | None = None
    """For ``rate_limited``: no call before then."""
    detail: str | None = None
    version: str | None = None
    """The API version that answered (LinkedIn-Version)."""
    extra: Mapping[str, int] | None = None
    """Other counts the network gave, kept with the snapshot."""

    @property
    def known(self) -> bool:
        return any(value is not None for value in self.metrics.values())


class StatsProvider(Protocol):
    network: Network
    supported: bool
    """False: no API of the network can read its members' posts (their stats are manual)."""

    def capabilities(self, settings: Settings) -> frozenset[Metric]:
        """The metrics this provider can read with this configuration (none: it cannot)."""
        ...

    def parse_ref(self, external_url: str) -> PostRef | Unresolvable:
        """The post ``external_url`` names, or why it names none the API can read."""
        ...


def count(value: object) -> int | None:
    """A count as the networks send it: a whole number that fits our columns, else
    unknown (a missing field, a string, a negative number are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_COUNT else None


def short(text: str, limit: int = 300) -> str:
    """Text from a network's answer, cut for storing and logging."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
