"""Failed-login limits (CONTRACT §2, as amended), in moving windows of 15 minutes.

A client address may fail 10 times for one email and 50 times in all. Once it has used
either allowance, its next attempts (for that email, or for every email) answer 429 with
``Retry-After`` until the window moves on, whatever the password: otherwise the limit would
tell a guesser which password is right. Only failures are counted, and a success does not
reset the count. The limits belong to the client address alone, so nobody can lock another
person out from elsewhere: the same email from another address signs in as usual.

Client addresses arrive hashed (:func:`app.core.ratelimit.client_key`); they are never held in
the clear, not even in the limiter's memory or Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from app.core.errors import RateLimited
from app.core.ratelimit import make_limiter, retry_after

PER_EMAIL = RateLimitItemPerMinute(10, 15)  # failures for one email from one client address
PER_CLIENT = RateLimitItemPerMinute(50, 15)  # failures from one client address, any email
EMAIL_NAMESPACE = "login-email"
CLIENT_NAMESPACE = "login-client"
LIMITED = "Too many failed sign-ins from this address; try again later."

_Limit = tuple[RateLimitItem, tuple[str, ...]]


def _limits(email: str, client: str) -> tuple[_Limit, _Limit]:
    return ((PER_EMAIL, (EMAIL_NAMESPACE, client, email)),
            (PER_CLIENT, (CLIENT_NAMESPACE, client)))


@dataclass
class LoginThrottle:
    limiter: MovingWindowRateLimiter

    @classmethod
    def create(cls, redis_url: str | None) -> LoginThrottle:
        return cls(make_limiter(redis_url))

    async def check(self, email: str, client: str) -> None:
        """Before the password is checked: 429 while this client has used up its failures
        for this email or for all emails."""
        await self._refuse([(item, keys) for item, keys in _limits(email, client)
                            if not await self.limiter.test(item, *keys)])

    async def record_failure(self, email: str, client: str) -> None:
        """Count a failure against both limits; 429 when it was one more than either allows
        (attempts that raced past :meth:`check`)."""
        await self._refuse([(item, keys) for item, keys in _limits(email, client)
                            if not await self.limiter.hit(item, *keys)])

    async def _refuse(self, exhausted: Sequence[_Limit]) -> None:
        if exhausted:
            # The client may sign in again once every limit it has used up has moved on.
            waits = [await retry_after(self.limiter, item, *keys) for item, keys in exhausted]
            raise RateLimited(LIMITED, retry_after=max(waits))
