"""Sign-in sessions and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import verify_password
from app.auth.throttle import LoginThrottle
from app.auth.tokens import new_api_key, new_token, token_hash
from app.core.clock import utcnow
from app.core.errors import NotFound, Unauthenticated
from app.core.pagination import SortKey, keyset, page_of
from app.core.schemas import storable
from app.models import ApiKey, AuthToken, User

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class NewSession:
    token: str
    token_hash: str
    expires_at: datetime
    user: User


async def login(session: AsyncSession, *, email: str, password: str, client: str,
                throttle: LoginThrottle) -> NewSession:
    email = email.strip().lower()
    await throttle.check(email, client)
    user = (await session.scalar(select(User).where(User.email == email))
            if storable(email) else None)
    ok = await verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.active:
        await throttle.record_failure(email, client)
        raise Unauthenticated("Wrong email or password.")
    return await start_session(session, user=user)


async def start_session(session: AsyncSession, *, user: User) -> NewSession:
    token = new_token()
    hashed = token_hash(token)
    expires_at = utcnow() + SESSION_LIFETIME
    session.add(AuthToken(token_hash=hashed, user_id=user.id, expires_at=expires_at))
    # Expired sessions of this user are swept as new ones start: the table stays small.
    await session.execute(
        delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at <= utcnow())
    )
    await session.flush()
    return NewSession(token=token, token_hash=hashed, expires_at=expires_at, user=user)


async def logout(session: AsyncSession, *, token_hash_value: str) -> None:
    await session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash_value))


async def revoke_sessions(session: AsyncSession, *, user_id: str,
                          keep_token_hash: str | None = None) -> None:
    stmt = delete(AuthToken).where(AuthToken.user_id == user_id)
    if keep_token_hash is not None:
        stmt = stmt.where(AuthToken.token_hash != keep_token_hash)
    await session.execute(stmt)


async def create_api_key(session: AsyncSession, *, name: str,
                         scopes: list[str]) -> tuple[ApiKey, str]:
    key = new_api_key()
    record = ApiKey(name=name, key_hash=token_hash(key), scopes=sorted(set(scopes)))
    session.add(record)
    await session.flush()
    return record, key


API_KEY_ORDER = (SortKey(ApiKey.created_at, is_datetime=True), SortKey(ApiKey.id))


async def list_api_keys(session: AsyncSession, *, limit: int, cursor: str | None
                        ) -> tuple[list[ApiKey], str | None]:
    stmt = select(ApiKey).where(ApiKey.revoked_at.is_(None))
    rows = list(await session.scalars(keyset(stmt, API_KEY_ORDER, cursor, limit)))
    return page_of(rows, API_KEY_ORDER, limit)


async def revoke_api_key(session: AsyncSession, *, key_id: str) -> None:
    key = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    )
    if key is None:
        raise NotFound("No such API key.")
    key.revoked_at = utcnow()
