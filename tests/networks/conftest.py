"""Fixtures of the networks tests: settings with the networks configured, a DNS table for
the networks' hosts (respx mocks their addresses: the fetcher connects to the address it
checked), hand-written answers of the networks, and builders for shares and connections."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.models import Share, User
from app.models.enums import Network
from app.networks import connections, oauth
from tests.builders import Api
from tests.conftest import SECRET
from tests.dns import fake_dns
from tests.web.pages import publish

FIXTURES = Path(__file__).parent / "fixtures"
X_TOKEN = "x-app-bearer-token-for-tests"
X_IP, LINKEDIN_API_IP, LINKEDIN_WWW_IP = "104.244.42.193", "13.107.42.14", "13.107.42.15"
X_API = f"https://{X_IP}/2/tweets"
LINKEDIN_ANALYTICS = f"https://{LINKEDIN_API_IP}/rest/memberCreatorPostAnalytics"
LINKEDIN_TOKEN = f"https://{LINKEDIN_WWW_IP}/oauth/v2/accessToken"
QUERY_FILES = {"IMPRESSION": "impression", "REACTION": "reaction", "COMMENT": "comment",
               "RESHARE": "reshare"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def json_answer(name: str, status: int = 200, headers: dict[str, str] | None = None
                ) -> httpx.Response:
    return httpx.Response(status, json=fixture(name), headers=headers)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,
                    x_bearer_token=X_TOKEN, linkedin_client_id="chorus-client-id",
                    linkedin_client_secret="chorus-client-secret")


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    return fake_dns(monkeypatch, {"api.x.com": [X_IP], "api.linkedin.com": [LINKEDIN_API_IP],
             "www.linkedin.com": [LINKEDIN_WWW_IP]})


async def shared(api: Api, headers: dict[str, str], network: Network,
                 external_url: str | None) -> str:
    """A share of a newly published post by the caller of ``headers``, with its post's
    address on the network; its id."""
    post = await publish(api)
    response = await api.client.post(f"/api/v1/posts/{post.id}/shares", headers=headers,
                                      json={"network": network.value})
    assert response.status_code == 201, response.text
    share_id: str = response.json()["id"]
    if external_url is not None:
        response = await api.client.post(f"/api/v1/shares/{share_id}/external",
                                          headers=headers, json={"external_url": external_url})
        assert response.status_code == 200, response.text
    return share_id


async def age_share(db: Database, share_id: str, days: float) -> None:
    """Make the share ``days`` old."""
    async with db.transaction() as session:
        share = await session.get(Share, share_id)
        assert share is not None
        share.created_at = utcnow() - timedelta(days=days)


async def connect(db: Database, settings: Settings, user: User, *, access: str,
                  refresh: str | None = None, expires_in: timedelta = timedelta(days=60),
                  refresh_expires_in: timedelta | None = None) -> None:
    """Store a LinkedIn connection for ``user`` as the callback would."""
    now = utcnow()
    tokens = oauth.Tokens(access_token=access, expires_at=now + expires_in,
                          refresh_token=refresh,
                          refresh_expires_at=(now + refresh_expires_in
                                              if refresh_expires_in else None),
                          scope="r_member_postAnalytics")
    async with db.transaction() as session:
        await connections.save_tokens(session, settings, user=user, network=Network.linkedin,
                                      tokens=tokens)
