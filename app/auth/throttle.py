"""Failed-login limits (CONTRACT §2): 10 failures per email or 50 per client in 15 minutes.

Only failures are counted. Once an email has used its failures, that account answers 429
until the window moves on, whatever the password: otherwise the limit would tell a guesser
which password is right. The per-client limit blocks only failing attempts, so a whole office
behind one address is never locked out by one person mistyping.
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from app.core.errors import RateLimited
from app.core.ratelimit import make_limiter, retry_after

PER_EMAIL = RateLimitItemPerMinute(10, 15)
PER_CLIENT = RateLimitItemPerMinute(50, 15)


@dataclass
class LoginThrottle:
    limiter: MovingWindowRateLimiter

    @classmethod
    def create(cls, redis_url: str | None) -> LoginThrottle:
        return cls(make_limiter(redis_url))

    async def check_account(self, email: str) -> None:
        if not await self.limiter.test(PER_EMAIL, "login", email):
            raise RateLimited(
                "Too many failed sign-ins for this account; try again later.",
                retry_after=await retry_after(self.limiter, PER_EMAIL, "login", email),
            )

    async def record_failure(self, email: str, client: str) -> None:
        """Count a failure; raise 429 when it exhausted either limit."""
        email_ok = await self.limiter.hit(PER_EMAIL, "login", email)
        client_ok = await self.limiter.hit(PER_CLIENT, "login", client)
        if not email_ok:
            raise RateLimited("Too many failed sign-ins for this account; try again later.",
                              retry_after=await retry_after(self.limiter, PER_EMAIL, "login",
                                                            email))
        if not client_ok:
            raise RateLimited("Too many failed sign-ins from this client; try again later.",
                              retry_after=await retry_after(self.limiter, PER_CLIENT, "login",
                                                            client))
