"""/app/settings: the member's network connections (connect LinkedIn, its status,
disconnect), through the same service as ``/api/v1/connections``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import NotFound
from app.models import User
from app.models.enums import Network
from app.networks import connections
from app.web.security import CONTENT_SECURITY_POLICY

# What the callback reports (?linkedin=…) and the settings page says about it.
OUTCOMES = frozenset({"connected", "disconnected", "denied", "expired", "failed"})
LINKEDIN_ORIGIN = "https://www.linkedin.com"
SETTINGS_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
    "form-action 'self'", f"form-action 'self' {LINKEDIN_ORIGIN}")}
"""The settings page's headers: its "Connect LinkedIn" form ends at LinkedIn's consent page
(the answer redirects there), and browsers hold a form's redirects to ``form-action`` too."""


@dataclass(frozen=True)
class ConnectionsView:
    linkedin: str  # connected, needs_reauth or not_connected
    linkedin_expires_at: datetime | None
    linkedin_connectable: bool
    x_connected: bool
    outcome: str | None


async def connections_view(session: AsyncSession, settings: Settings, *, user: User,
                           outcome: str | None = None) -> ConnectionsView:
    states = {s.network: s for s in await connections.states(session, settings, user=user)}
    linkedin = states[Network.linkedin]
    return ConnectionsView(
        linkedin=linkedin.status, linkedin_expires_at=linkedin.expires_at,
        linkedin_connectable=linkedin.connectable,
        x_connected=states[Network.x].status == connections.CONNECTED,
        outcome=outcome if outcome in OUTCOMES else None)


async def start(session: AsyncSession, settings: Settings, *, user: User) -> str:
    """The LinkedIn address to send the member to (409 when LinkedIn is not set up)."""
    started = await connections.start(session, settings, user=user, network=Network.linkedin)
    return started.authorize_url


async def disconnect(session: AsyncSession, *, user: User) -> None:
    """Forget the member's LinkedIn tokens (nothing to do when there were none)."""
    try:
        await connections.disconnect(session, user=user, network=Network.linkedin)
    except NotFound:
        pass
