"""The failed-login limits of CONTRACT §2 (as amended) on the throttle itself, over both
storages the app uses (memory, and Redis when ``CHORUS_REDIS_URL`` is set).

Every expected value is worked out by hand from the contract: 10 failures for one email from
one client address, or 50 from one client address, in a moving 15 minutes (900 s); the
``Retry-After`` of a refusal is the time until the oldest failure that fills a used-up limit
leaves the window. Time is moved with time-machine, never slept.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.auth.throttle import LoginThrottle
from app.core.errors import RateLimited

REDIS_URL = os.environ.get("CHORUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "redis"])
def throttle(request: pytest.FixtureRequest) -> LoginThrottle:
    return LoginThrottle.create(None if request.param == "memory" else REDIS_URL)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _client() -> str:
    # Stands for client_key(address, secret); unique, so runs on one Redis never meet.
    return uuid.uuid4().hex


def _email() -> str:
    return f"{uuid.uuid4().hex[:12]}@corp.test"


async def _refused(throttle: LoginThrottle, email: str, client: str) -> int | None:
    """The Retry-After of a refused attempt, or None when the attempt may go ahead."""
    try:
        await throttle.check(email, client)
    except RateLimited as exc:
        return int(exc.headers["Retry-After"])
    return None


async def _fail(throttle: LoginThrottle, email: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        await throttle.record_failure(email, client)


async def test_ten_failures_for_an_email_limit_that_email_from_that_client_only(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    email, client = _email(), _client()
    for n in range(10):
        assert await _refused(throttle, email, client) is None, f"after {n} failures"
        await _fail(throttle, email, client)
    assert await _refused(throttle, email, client) == 900
    with pytest.raises(RateLimited) as refused:
        await throttle.check(email, client)
    assert (refused.value.status, refused.value.detail) == (
        429, "Too many failed sign-ins from this address; try again later.")
    assert await _refused(throttle, email, _client()) is None  # another address
    assert await _refused(throttle, _email(), client) is None  # another email, 10 of 50 used


async def test_fifty_failures_from_a_client_limit_every_email_from_it_only(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    client = _client()
    emails = [_email() for _ in range(10)]
    for n in range(50):
        email = emails[n % 10]  # five failures each: no email reaches its own 10
        assert await _refused(throttle, email, client) is None, f"after {n} failures"
        await _fail(throttle, email, client)
    assert await _refused(throttle, _email(), client) == 900
    assert await _refused(throttle, emails[0], client) == 900
    assert await _refused(throttle, emails[0], _client()) is None


async def test_a_failure_beyond_a_limit_is_refused_when_it_raced_past_the_check(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    email, client = _email(), _client()
    await _fail(throttle, email, client, 10)
    clock.shift(60)
    with pytest.raises(RateLimited) as one_email:
        await throttle.record_failure(email, client)
    assert one_email.value.headers["Retry-After"] == "840"
    other = _client()
    for n in range(50):
        await throttle.record_failure(f"{n}-{_email()}", other)
    with pytest.raises(RateLimited) as every_email:
        await throttle.record_failure(_email(), other)
    assert every_email.value.headers["Retry-After"] == "900"


async def test_the_email_limit_moves_on_after_fifteen_minutes(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    email, client = _email(), _client()
    await _fail(throttle, email, client, 10)
    clock.move_to(T0 + timedelta(minutes=5))
    assert await _refused(throttle, email, client) == 600
    clock.move_to(T0 + timedelta(minutes=14, seconds=59))
    assert await _refused(throttle, email, client) == 1
    clock.move_to(T0 + timedelta(minutes=15, seconds=1))
    assert await _refused(throttle, email, client) is None


async def test_the_client_limit_moves_on_after_fifteen_minutes(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    client = _client()
    for n in range(50):
        await _fail(throttle, f"{n}-{_email()}", client)
    clock.move_to(T0 + timedelta(minutes=14, seconds=59))
    assert await _refused(throttle, _email(), client) == 1
    clock.move_to(T0 + timedelta(minutes=15, seconds=1))
    assert await _refused(throttle, _email(), client) is None


async def test_the_window_moves_failure_by_failure(throttle: LoginThrottle,
                                                   clock: time_machine.Traveller) -> None:
    email, client = _email(), _client()
    await _fail(throttle, email, client, 5)  # at 0:00
    clock.move_to(T0 + timedelta(minutes=10))
    await _fail(throttle, email, client, 5)  # at 10:00
    clock.move_to(T0 + timedelta(minutes=12))
    assert await _refused(throttle, email, client) == 180  # 0:00's leave at 15:00
    clock.move_to(T0 + timedelta(minutes=15, seconds=1))
    assert await _refused(throttle, email, client) is None  # five left
    await _fail(throttle, email, client, 5)
    assert await _refused(throttle, email, client) == 599  # 10:00's leave at 25:00


async def test_retry_after_waits_for_every_limit_the_client_used_up(
        throttle: LoginThrottle, clock: time_machine.Traveller) -> None:
    email, client = _email(), _client()
    for n in range(40):
        await _fail(throttle, f"{n}-{_email()}", client)  # at 0:00
    clock.move_to(T0 + timedelta(minutes=10))
    await _fail(throttle, email, client, 10)  # at 10:00: 50 from the client, 10 for email
    clock.move_to(T0 + timedelta(minutes=11))
    # The client's limit frees a slot at 15:00, this email's at 25:00: both must have.
    assert await _refused(throttle, email, client) == 840
    assert await _refused(throttle, _email(), client) == 240
    clock.move_to(T0 + timedelta(minutes=15, seconds=1))
    assert await _refused(throttle, _email(), client) is None
    assert await _refused(throttle, email, client) == 599


async def test_throttles_on_one_redis_share_their_counts(
        clock: time_machine.Traveller) -> None:
    """Two processes (workers) configured with Redis see each other's failures."""
    email, client = _email(), _client()
    await _fail(LoginThrottle.create(REDIS_URL), email, client, 10)
    assert await _refused(LoginThrottle.create(REDIS_URL), email, client) == 900
