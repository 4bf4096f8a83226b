"""``/api/v1/connections``: a member connects their LinkedIn account so that the stats of
their posts can be pulled (CONTRACT §3), sees each network's status, and disconnects.

The callback is where LinkedIn sends the member's browser back: it needs that member's own
session (the cookie; an API client may send its bearer token), and the state they started,
used once. A browser is sent back to its settings page, saying how it went; an API caller
gets the connection as JSON, or a problem.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.auth.access import CurrentUser
from app.core.clock import utcnow
from app.core.errors import ChorusError, Conflict, Invalid
from app.core.pagination import Page
from app.core.routing import ChorusRoute, DbSession
from app.networks import connections, oauth
from app.networks.schemas import AuthorizeUrl, ConnectionRead

log = logging.getLogger("chorus.networks")

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["connections"])
SETTINGS_PAGE = "/app/settings"
Param = Annotated[str | None, Query(max_length=2048)]


class NetworkUnavailable(ChorusError):
    status = 502
    title = "Bad gateway"
    type_slug = "network-unavailable"


def _read(state: connections.ConnectionState) -> ConnectionRead:
    return ConnectionRead(network=state.network.value, status=state.status,
                          expires_at=state.expires_at, connectable=state.connectable)


@router.get("/connections", response_model=Page[ConnectionRead])
async def list_connections(user: CurrentUser, request: Request,
                           session: DbSession) -> Page[ConnectionRead]:
    """Your connection to each network whose post stats Chorus can read."""
    states = await connections.states(session, request.app.state.settings, user=user)
    return Page(items=[_read(s) for s in states], next_cursor=None)


@router.post("/connections/{network}", response_model=AuthorizeUrl,
             responses={409: {"description": "This network's app is not configured."}})
async def start_connection(network: str, user: CurrentUser, request: Request,
                           session: DbSession) -> AuthorizeUrl:
    """Start connecting your account (LinkedIn): open `authorize_url` in your browser."""
    started = await connections.start(session, request.app.state.settings, user=user,
                                      network=connections.network_of(network))
    return AuthorizeUrl(authorize_url=started.authorize_url, expires_at=started.expires_at)


def _browser(request: Request) -> bool:
    return "authorization" not in request.headers


def _back(outcome: str) -> RedirectResponse:
    return RedirectResponse(f"{SETTINGS_PAGE}?linkedin={outcome}#connections", status_code=303)


@router.get("/connections/{network}/callback", response_model=ConnectionRead,
            responses={303: {"description": "A browser goes back to its settings page."},
                       409: {"description": "This network's app is not configured."},
                       502: {"description": "The network's token endpoint did not answer."}})
async def complete_connection(network: str, user: CurrentUser, request: Request,
                              session: DbSession, code: Param = None, state: Param = None,
                              error: Param = None) -> Response | ConnectionRead:
    """Where the network sends you back: completes the connection started by you."""
    settings = request.app.state.settings
    chosen = connections.network_of(network)
    connections.connectable(chosen)
    browser = _browser(request)
    if not oauth.configured(settings):
        if browser:
            return _back("failed")
        raise Conflict("LinkedIn is not set up here any more: an administrator must set "
                       "CHORUS_LINKEDIN_CLIENT_ID and CHORUS_LINKEDIN_CLIENT_SECRET.")
    if not await connections.consume_state(session, user=user, network=chosen,
                                           state=state or ""):
        if browser:
            return _back("expired")
        raise Invalid("This connection was not started by you, was already completed, or "
                      "took more than ten minutes: start again.", loc=["query", "state"])
    # The state is used up whatever happens next, and no transaction waits on LinkedIn.
    await session.commit()
    if error is not None or not code:
        if browser:
            return _back("denied")
        raise Invalid(f"LinkedIn did not connect the account ({error or 'no code'}).",
                      loc=["query", "code"])
    try:
        tokens = await oauth.exchange_code(settings, code, now=utcnow())
    except oauth.TokenRefused as exc:
        if browser:
            return _back("failed")
        raise Invalid(f"LinkedIn refused the code: {exc}", loc=["query", "code"]) from exc
    except oauth.TokenUnavailable as exc:
        log.warning("LinkedIn's token endpoint gave no token", extra={"reason": str(exc)})
        if browser:
            return _back("failed")
        raise NetworkUnavailable("LinkedIn could not be reached: start again.") from exc
    saved = await connections.save_tokens(session, settings, user=user, network=chosen,
                                          tokens=tokens)
    if browser:
        return _back("connected")
    return ConnectionRead(network=chosen.value,
                          status=connections.status_of(saved, utcnow()),
                          expires_at=saved.expires_at, connectable=True)


@router.delete("/connections/{network}", status_code=204)
async def delete_connection(network: str, user: CurrentUser, session: DbSession) -> Response:
    """Disconnect: your tokens are forgotten and your posts' stats are no longer pulled."""
    chosen = connections.network_of(network)
    connections.connectable(chosen)
    await connections.disconnect(session, user=user, network=chosen)
    return Response(status_code=204)
