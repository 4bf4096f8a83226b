"""Who may call a route. The rule is attached to a dependency and enforced by ``ChorusRoute``
before the body is parsed, so a forbidden request is 403 whatever it carries (CONTRACT §2).

Each dependency also names the credentials it reads with FastAPI's security schemes, so the
OpenAPI document says what every operation accepts; the schemes never refuse anything
(``auto_error=False``): ``authenticate`` and ``Access.enforce`` do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBearer

from app.auth.principal import SESSION_COOKIE, Principal
from app.core.errors import Forbidden, Unauthenticated
from app.models import ApiKey, User
from app.models.enums import Role

READ_SCOPE = "read"
CONVERSIONS_SCOPE = "conversions:write"
_READ_METHODS = frozenset({"GET", "HEAD"})

BEARER = HTTPBearer(scheme_name="bearer", auto_error=False,
                    description="A token from login, or an API key.")
SESSION = APIKeyCookie(name=SESSION_COOKIE, scheme_name="session", auto_error=False,
                       description="Set by login for the web pages; unsafe methods also "
                                   "need the X-CSRF-Token header.")


def has_role(user_role: Role, needed: Role) -> bool:
    """Admin holds every right; every role holds the advocate's rights."""
    return user_role == Role.admin or needed == Role.advocate or user_role == needed


@dataclass(frozen=True)
class Access:
    role: Role | None
    user_only: bool = False
    key_scope: str | None = None

    def enforce(self, principal: Principal | None, method: str) -> None:
        if principal is None:
            raise Unauthenticated()
        if principal.api_key is not None:
            if self._key_allows(principal.api_key, method):
                return
            raise Forbidden("This API key's scopes do not allow this request.")
        assert principal.user is not None
        if self.role is None:
            raise Forbidden("This endpoint takes an API key, not a user's token.")
        if not has_role(Role(principal.user.role), self.role):
            raise Forbidden(f"This needs the {self.role.value} role.")

    def _key_allows(self, key: ApiKey, method: str) -> bool:
        scopes = set(key.scopes)
        if self.key_scope is not None and self.key_scope in scopes:
            return True
        # A `read` key makes every GET a manager may make, except those about the caller.
        return (
            READ_SCOPE in scopes
            and method in _READ_METHODS
            and not self.user_only
            and self.role is not None
            and has_role(Role.manager, self.role)
        )


def _dependency(access: Access, pick: Callable[[Principal], Any]) -> Callable[..., Any]:
    async def key_only(request: Request, _bearer: Annotated[Any, Depends(BEARER)]) -> Any:
        return pick(request.state.principal)

    async def user_or_key(request: Request, _bearer: Annotated[Any, Depends(BEARER)],
                          _session: Annotated[Any, Depends(SESSION)]) -> Any:
        return pick(request.state.principal)

    dependency: Callable[..., Any] = key_only if access.role is None else user_or_key
    dependency.chorus_access = access  # type: ignore[attr-defined]
    return dependency


def _user(principal: Principal) -> User:
    assert principal.user is not None
    return principal.user


def _principal(principal: Principal) -> Principal:
    return principal


def access_of(call: Any) -> Access | None:
    return getattr(call, "chorus_access", None)


CurrentUser = Annotated[User, Depends(_dependency(Access(Role.advocate, user_only=True), _user))]
"""Any signed-in, active user (every role has the advocate's rights): routes about the caller."""
SignedIn = Annotated[Principal, Depends(_dependency(Access(Role.advocate), _principal))]
"""A signed-in user, or an API key with the `read` scope on GET (its ``user`` is None)."""
MarketerOnly = Annotated[User, Depends(_dependency(Access(Role.marketer, user_only=True), _user))]
ManagerOnly = Annotated[Principal, Depends(_dependency(Access(Role.manager), _principal))]
AdminOnly = Annotated[User, Depends(_dependency(Access(Role.admin, user_only=True), _user))]
ConversionsKey = Annotated[
    Principal, Depends(_dependency(Access(None, key_scope=CONVERSIONS_SCOPE), _principal))
]
