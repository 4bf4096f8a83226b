"""LinkedIn's OAuth 2.0 authorisation-code flow, built with authlib's helpers and sent
through the SSRF-safe fetcher: the address the member is sent to, and the token endpoint
(a code for tokens, and a refresh token for new ones where LinkedIn issues them).

LinkedIn access tokens last 60 days; refresh tokens are issued only to approved partners,
so most members connect again every 60 days (they are reminded a week before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.config import Settings
from app.core.fetch import FetchError
from app.networks.http import call
from app.networks.providers.base import short
from app.networks.providers.linkedin import SCOPE

AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
CALLBACK_PATH = "/api/v1/connections/linkedin/callback"


class TokenRefused(Exception):
    """The token endpoint said no (a used or expired code, a revoked refresh token)."""


class TokenUnavailable(Exception):
    """The token endpoint gave no usable answer (network, 5xx): try again later."""


class _TokenAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1)
    expires_in: int | None = Field(None, ge=0)
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = Field(None, ge=0)
    scope: str | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None
    scope: str | None


def redirect_uri(settings: Settings) -> str:
    """Where LinkedIn sends the member back: register it in the LinkedIn app."""
    return settings.base_url + CALLBACK_PATH


def configured(settings: Settings) -> bool:
    return bool(settings.linkedin_client_id and settings.linkedin_client_secret)


def _client(settings: Settings) -> tuple[str, str]:
    if settings.linkedin_client_id is None or settings.linkedin_client_secret is None:
        raise RuntimeError("the LinkedIn app is not configured")
    return settings.linkedin_client_id, settings.linkedin_client_secret.get_secret_value()


def authorize_url(settings: Settings, state: str) -> str:
    client_id, _ = _client(settings)
    return str(prepare_grant_uri(AUTHORIZE_URL, client_id, "code",
                                 redirect_uri=redirect_uri(settings), scope=SCOPE,
                                 state=state))


async def exchange_code(settings: Settings, code: str, *, now: datetime) -> Tokens:
    client_id, secret = _client(settings)
    return await _token_request(prepare_token_request(
        "authorization_code", code=code, redirect_uri=redirect_uri(settings),
        client_id=client_id, client_secret=secret), now=now)


async def refresh(settings: Settings, refresh_token: str, *, now: datetime) -> Tokens:
    client_id, secret = _client(settings)
    return await _token_request(prepare_token_request(
        "refresh_token", refresh_token=refresh_token, client_id=client_id,
        client_secret=secret), now=now)


async def _token_request(form: str, *, now: datetime) -> Tokens:
    try:
        answer = await call(TOKEN_URL, method="POST", form=form, headers={})
    except FetchError as exc:
        raise TokenUnavailable(exc.reason) from exc
    body = answer.json()
    if answer.status in (400, 401):
        description = body.get("error_description") or body.get("error") if isinstance(
            body, dict) else None
        raise TokenRefused(short(str(description or f"LinkedIn answered {answer.status}")))
    if answer.status != 200:
        raise TokenUnavailable(f"LinkedIn's token endpoint answered {answer.status}")
    try:
        token = _TokenAnswer.model_validate(body)
    except ValidationError as exc:
        raise TokenUnavailable("LinkedIn's token endpoint answered without a token") from exc

    def after(seconds: int | None) -> datetime | None:
        return now + timedelta(seconds=seconds) if seconds is not None else None

    return Tokens(access_token=token.access_token, expires_at=after(token.expires_in),
                  refresh_token=token.refresh_token or None,
                  refresh_expires_at=after(token.refresh_token_expires_in), scope=token.scope)
