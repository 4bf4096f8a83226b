"""Domain errors carry their HTTP status; one handler renders them as problem+json."""

from __future__ import annotations

from typing import Any


class ChorusError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}


class Unauthenticated(ChorusError):
    status = 401
    title = "Not authenticated"
    type_slug = "unauthenticated"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ChorusError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(ChorusError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(ChorusError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class PayloadTooLarge(ChorusError):
    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class Invalid(ChorusError):
    """422 with per-field errors, for rules Pydantic cannot express (unknown ids, CSV rows)."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid"

    def __init__(self, detail: str, *, loc: list[str | int] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        if errors is None and loc is not None:
            errors = [{"loc": loc, "msg": detail}]
        super().__init__(detail, errors=errors)


class RateLimited(ChorusError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
