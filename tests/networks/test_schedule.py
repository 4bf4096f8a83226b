"""The schedule of ``pull_stats`` (CONTRACT §9) as a rule on one share: hourly while it is
younger than 30 days, daily until 90, and what each last outcome means for the next pull."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models.enums import Network
from app.networks.pull import Candidate, LastPull, is_due

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
URL = "https://x.com/ana/status/1"


def share(age: timedelta, last_ago: timedelta | None = None, *, status: str = "ok",
          url: str = URL, retry_in: timedelta | None = None,
          network: Network = Network.x) -> Candidate:
    last = None
    if last_ago is not None:
        last = LastPull(url, status, NOW - last_ago,
                        NOW + retry_in if retry_in is not None else None)
    return Candidate("s", "u", network, URL, NOW - age, last, True)


H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)


@pytest.mark.parametrize(("age", "last_ago", "due"), [
    (D, None, True),
    (D, 54 * M, False),  # an hourly cron a few minutes early still finds it due at 55
    (D, 55 * M, True),
    (30 * D - M, 56 * M, True),
    (30 * D, 56 * M, False),  # daily from 30 days on
    (30 * D, 23 * H + 54 * M, False),
    (30 * D, 23 * H + 55 * M, True),
    (90 * D - M, 2 * D, True),
    (90 * D, None, False),  # never after 90 days
    (120 * D, 5 * D, False),
])
def test_hourly_then_daily_then_never(age: timedelta, last_ago: timedelta | None,
                                      due: bool) -> None:
    assert is_due(share(age, last_ago), NOW) is due


def test_a_new_url_is_pulled_at_once_whatever_its_last_outcome() -> None:
    for status in ("ok", "unresolvable", "not_found", "not_supported"):
        assert is_due(share(D, M, status=status, url="https://x.com/ana/status/2"), NOW)


@pytest.mark.parametrize("status", ["unresolvable", "not_found", "not_supported"])
def test_settled_outcomes_wait_for_a_new_url(status: str) -> None:
    assert not is_due(share(D, 10 * D, status=status), NOW)
    assert not is_due(share(D, 10 * D, status=status), NOW, forced=True)


def test_a_rate_limit_is_waited_out_then_pulled_at_once() -> None:
    assert not is_due(share(D, 2 * H, status="rate_limited", retry_in=M), NOW)
    assert is_due(share(D, M, status="rate_limited", retry_in=-M), NOW)


def test_linkedin_refusals_wait_for_a_new_connection_and_x_ones_a_day() -> None:
    refused = share(D, 3 * D, status="not_permitted", network=Network.linkedin)
    assert not is_due(refused, NOW)
    assert not is_due(refused, NOW, reconnected_at=NOW - 4 * D)
    assert is_due(refused, NOW, reconnected_at=NOW - D)
    assert not is_due(share(D, 2 * H, status="not_permitted"), NOW)
    assert is_due(share(D, D, status="not_permitted"), NOW)


def test_a_pull_asked_for_by_id_ignores_the_interval_only() -> None:
    assert is_due(share(D, M), NOW, forced=True)
    assert not is_due(share(95 * D, M), NOW, forced=True)
    assert not is_due(share(D, M, status="rate_limited", retry_in=H), NOW, forced=True)
