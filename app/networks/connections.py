"""Members' network connections (CONTRACT §3): starting and completing LinkedIn's OAuth
flow, their status, disconnecting, and refreshing a token under a lock.

The ``state`` sent to LinkedIn is random, stored only as its SHA-256, bound to the member
who asked, single-use and valid for ten minutes. The callback is reached by the member's
browser, so it must come with that member's own session: a state started by someone else
(an attacker sending their authorisation link to a victim, hoping to receive the victim's
LinkedIn token in their own account) is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import Cipher, DecryptionFailed, cipher_for
from app.core.db import Database
from app.core.errors import Conflict, Invalid, NotFound
from app.models import User
from app.models.enums import Network
from app.models.networks import NetworkConnection, OAuthState
from app.networks import oauth

STATE_LIFETIME = timedelta(minutes=10)
CONNECTED, NEEDS_REAUTH, NOT_CONNECTED = "connected", "needs_reauth", "not_connected"
LISTED = (Network.linkedin, Network.x, Network.facebook)
"""The networks whose posts have stats, in the order they are listed."""
_NO_MEMBER_CONNECTION = {
    Network.x: "X needs no connection of yours: the company's X app reads public metrics.",
    Network.facebook: "Facebook gives no API to read a member's posts: enter their stats "
                      "by hand.",
}


def network_of(name: str) -> Network:
    """The network named in an address; 404 for any other text (CONTRACT §2)."""
    try:
        network = Network(name)
    except ValueError:
        raise NotFound("No such network.") from None
    if network not in LISTED:
        raise NotFound("No such network.")
    return network


def connectable(network: Network) -> None:
    """422 for a network members do not connect to."""
    if network in _NO_MEMBER_CONNECTION:
        raise Invalid(_NO_MEMBER_CONNECTION[network], loc=["path", "network"])


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class Started:
    authorize_url: str
    expires_at: datetime


async def start(session: AsyncSession, settings: Settings, *, user: User,
                network: Network) -> Started:
    """A new single-use state for ``user`` and the address to send them to."""
    connectable(network)
    if not oauth.configured(settings):
        raise Conflict("LinkedIn is not set up here: an administrator must set "
                       "CHORUS_LINKEDIN_CLIENT_ID and CHORUS_LINKEDIN_CLIENT_SECRET.")
    now = utcnow()
    await session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
    state = secrets.token_urlsafe(32)
    expires_at = now + STATE_LIFETIME
    session.add(OAuthState(state_hash=state_hash(state), user_id=user.id, network=network,
                           expires_at=expires_at))
    await session.flush()
    return Started(oauth.authorize_url(settings, state), expires_at)


async def consume_state(session: AsyncSession, *, user: User, network: Network,
                        state: str) -> bool:
    """Whether ``state`` is a live state ``user`` started for ``network``; it is used up.
    Someone else's state is left alone (and refused)."""
    if not state:
        return False
    outcome = await session.execute(
        delete(OAuthState).where(OAuthState.state_hash == state_hash(state),
                                 OAuthState.user_id == user.id,
                                 OAuthState.network == network,
                                 OAuthState.expires_at > utcnow()))
    return bool(getattr(outcome, "rowcount", 0))


async def save_tokens(session: AsyncSession, settings: Settings, *, user: User,
                      network: Network, tokens: oauth.Tokens) -> NetworkConnection:
    """Store a new token pair, encrypted: the connection is (again) usable."""
    cipher = await cipher_for(session, settings)
    now = utcnow()
    connection = await session.scalar(select(NetworkConnection).where(
        NetworkConnection.user_id == user.id, NetworkConnection.network == network))
    if connection is None:
        connection = NetworkConnection(user_id=user.id, network=network)
        session.add(connection)
    connection.status = CONNECTED
    connection.access_token = cipher.encrypt(tokens.access_token)
    connection.refresh_token = (cipher.encrypt(tokens.refresh_token)
                                if tokens.refresh_token else None)
    connection.expires_at = tokens.expires_at
    connection.refresh_expires_at = tokens.refresh_expires_at
    connection.scope = tokens.scope
    connection.connected_at = connection.updated_at = now
    connection.paused_until = None
    connection.expiry_notified_at = connection.reauth_notified_at = None
    await session.flush()
    return connection


def status_of(connection: NetworkConnection | None, now: datetime) -> str:
    if connection is None:
        return NOT_CONNECTED
    if connection.status != CONNECTED:
        return NEEDS_REAUTH
    expired = connection.expires_at is not None and connection.expires_at <= now
    return NEEDS_REAUTH if expired and connection.refresh_token is None else CONNECTED


@dataclass(frozen=True)
class ConnectionState:
    network: Network
    status: str
    expires_at: datetime | None
    connectable: bool


async def states(session: AsyncSession, settings: Settings, *,
                 user: User) -> list[ConnectionState]:
    """Each network's connection for ``user``. X counts as connected when the company's
    app token is set (it reads every member's public posts); Facebook never is."""
    now = utcnow()
    mine = {c.network: c for c in await session.scalars(
        select(NetworkConnection).where(NetworkConnection.user_id == user.id))}
    linkedin = mine.get(Network.linkedin)
    return [
        ConnectionState(Network.linkedin, status_of(linkedin, now),
                        linkedin.expires_at if linkedin else None,
                        oauth.configured(settings)),
        ConnectionState(Network.x,
                        CONNECTED if settings.x_bearer_token is not None else NOT_CONNECTED,
                        None, False),
        ConnectionState(Network.facebook, NOT_CONNECTED, None, False),
    ]


async def disconnect(session: AsyncSession, *, user: User, network: Network) -> None:
    """Forget the member's tokens; 404 when there were none."""
    outcome = await session.execute(delete(NetworkConnection).where(
        NetworkConnection.user_id == user.id, NetworkConnection.network == network))
    if not getattr(outcome, "rowcount", 0):
        raise NotFound("You have no connection to this network.")


def decrypt(cipher: Cipher, value: str) -> str | None:
    """A stored token; None when no key this process knows opens it (the secret key was
    replaced without listing the old one in CHORUS_SECRET_KEY_PREVIOUS)."""
    try:
        return cipher.decrypt(value)
    except DecryptionFailed:
        return None


class RefreshUnavailable(Exception):
    """LinkedIn's token endpoint could not be asked: not the member's fault, try later."""


async def refreshed_token(db: Database, settings: Settings, *, connection_id: str,
                          refused: str) -> tuple[str, str] | None:
    """A new access token for a connection whose token ``refused`` (as stored, encrypted)
    was just refused, with its stored (encrypted) form; None when there is none to be had
    (the caller then marks the connection ``needs_reauth``).

    One refresh at a time per connection: the row is updated first, which locks it on
    PostgreSQL and takes SQLite's write lock, until the new pair is committed. Whoever
    waited finds a different token stored and uses it instead of refreshing again (a
    rotated refresh token used twice can end the whole token family). The new pair is
    committed before it is used, so it is never lost.
    """
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(update(NetworkConnection)
                              .where(NetworkConnection.id == connection_id)
                              .values(updated_at=now))
        connection = await session.scalar(
            select(NetworkConnection).where(NetworkConnection.id == connection_id)
            .with_for_update().execution_options(populate_existing=True))
        if connection is None or connection.status != CONNECTED:
            return None
        cipher = await cipher_for(session, settings)
        if connection.access_token != refused:
            current = decrypt(cipher, connection.access_token)
            return None if current is None else (current, connection.access_token)
        stored_refresh = connection.refresh_token
        if stored_refresh is None or not oauth.configured(settings) or (
                connection.refresh_expires_at is not None
                and connection.refresh_expires_at <= now):
            return None
        refresh_token = decrypt(cipher, stored_refresh)
        if refresh_token is None:
            return None
        try:
            tokens = await oauth.refresh(settings, refresh_token, now=now)
        except oauth.TokenRefused:
            return None
        except oauth.TokenUnavailable as exc:
            raise RefreshUnavailable(str(exc)) from exc
        connection.access_token = cipher.encrypt(tokens.access_token)
        # LinkedIn answers the same refresh token; a network that rotates it sends a new one.
        connection.refresh_token = cipher.encrypt(tokens.refresh_token or refresh_token)
        connection.expires_at = tokens.expires_at
        if tokens.refresh_expires_at is not None:
            connection.refresh_expires_at = tokens.refresh_expires_at
        connection.expiry_notified_at = None
        stored = connection.access_token
    return tokens.access_token, stored


async def mark_needs_reauth(db: Database, *, connection_id: str, refused: str | None) -> bool:
    """The member must connect again: unless they already did since ``refused`` (the
    stored token that failed; None: whatever is stored) was read."""
    async with db.transaction() as session:
        stmt = (update(NetworkConnection)
                .where(NetworkConnection.id == connection_id,
                       NetworkConnection.status == CONNECTED)
                .values(status=NEEDS_REAUTH, updated_at=utcnow()))
        if refused is not None:
            stmt = stmt.where(NetworkConnection.access_token == refused)
        outcome = await session.execute(stmt)
    return bool(getattr(outcome, "rowcount", 0))


async def pause(db: Database, *, connection_id: str, until: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(update(NetworkConnection)
                              .where(NetworkConnection.id == connection_id)
                              .values(paused_until=until))
