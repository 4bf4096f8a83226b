"""The client address (CONTRACT §1, §2): the connection's, or, from a trusted proxy, the
rightmost X-Forwarded-For entry that is not itself a trusted proxy.

Observed through the self-click rule of §4: a click is the advocate's own when its visitor
(an HMAC of client address and user agent) made an authenticated request that day.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.content import publisher
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.models import Click
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import make_post, make_user, token_for
from tests.conftest import SECRET

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")


async def _share(db: Database) -> tuple[str, str, str]:
    """A share's id and code, and its advocate's bearer token."""
    async with db.transaction() as session:
        post = await make_post(session)
        await publisher.run(session)
        advocate = await make_user(session)
        share, _, _ = await sharing_service.get_or_create(
            session, user=advocate, post_id=post.id, network=Network.linkedin)
        token = await token_for(session, advocate)
    return share.id, share.code, token


async def _selves(db: Database, share_id: str) -> list[bool]:
    assert db.projector is not None
    await db.projector.catch_up()  # the app decides ``self`` right after each 302
    async with db.transaction() as session:
        clicks: Sequence[Click] = list(await session.scalars(
            select(Click).where(Click.share_id == share_id).order_by(Click.occurred_at)))
    return [c.is_self for c in clicks]


async def _get(app: object, path: str, *, connection: str, forwarded: str | None = None,
               token: str | None = None) -> int:
    transport = httpx.ASGITransport(app=app, client=(connection, 40000))  # type: ignore[arg-type]
    headers = {"user-agent": CHROME}
    if forwarded is not None:
        headers["x-forwarded-for"] = forwarded
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return (await client.get(path, headers=headers)).status_code


@pytest.fixture
async def proxied_app(db_url: str) -> AsyncIterator[object]:
    settings = Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                        trusted_proxies="10.0.0.0/8, 192.0.2.1")
    application = create_app(settings, run_jobs=False)
    yield application
    await application.state.clicks.close()
    await application.state.db.dispose()


async def test_in_dev_loopback_is_a_trusted_proxy(app: object, db: Database) -> None:
    share_id, code, token = await _share(db)
    assert await _get(app, "/api/v1/me", connection="127.0.0.1", forwarded="198.51.100.1",
                      token=token) == 200
    for connection, forwarded in (("127.0.0.1", "198.51.100.1"), ("::1", "198.51.100.1"),
                                  ("127.0.0.1", "198.51.100.2")):
        assert await _get(app, f"/s/{code}", connection=connection, forwarded=forwarded) == 302
    assert await _selves(db, share_id) == [True, True, False]


async def test_an_untrusted_connection_cannot_name_another_client(app: object,
                                                                  db: Database) -> None:
    share_id, code, token = await _share(db)
    assert await _get(app, "/api/v1/me", connection="203.0.113.7", forwarded="198.51.100.1",
                      token=token) == 200
    for connection, forwarded in (("203.0.113.7", "198.51.100.2"),
                                  ("203.0.113.8", "198.51.100.1")):
        assert await _get(app, f"/s/{code}", connection=connection, forwarded=forwarded) == 302
    assert await _selves(db, share_id) == [True, False]


async def test_the_rightmost_untrusted_entry_is_the_client(proxied_app: object) -> None:
    db: Database = proxied_app.state.db  # type: ignore[attr-defined]
    share_id, code, token = await _share(db)
    # The leftmost entry is whatever the client claimed; only what the proxies added counts.
    assert await _get(proxied_app, "/api/v1/me", connection="10.0.0.1",
                      forwarded="203.0.113.50, 198.51.100.1, 10.9.9.9", token=token) == 200
    for connection, forwarded in (
        ("192.0.2.1", "198.51.100.1, 10.8.8.8"),  # another trusted path, the same client
        ("10.0.0.1", "198.51.100.1"),
        ("10.0.0.1", "203.0.113.50"),  # the claimed entry is not the client
        ("10.0.0.1", "198.51.100.5"),
        ("127.0.0.1", "198.51.100.1"),  # loopback is not trusted once the setting is given
    ):
        assert await _get(proxied_app, f"/s/{code}", connection=connection,
                          forwarded=forwarded) == 302
    assert await _selves(db, share_id) == [True, True, False, False, False]


def test_which_proxies_are_trusted() -> None:
    def settings(**kwargs: str) -> Settings:
        return Settings(_env_file=None, **kwargs)  # type: ignore[arg-type]

    assert settings().proxies == ["127.0.0.1", "::1"]
    assert settings(env="prod").proxies == []
    assert settings(env="prod", trusted_proxies="10.0.0.0/8,2001:db8::/32").proxies == [
        "10.0.0.0/8", "2001:db8::/32"]
    assert settings(trusted_proxies="").proxies == ["127.0.0.1", "::1"]
    with pytest.raises(ValidationError, match="not an address or CIDR"):
        settings(trusted_proxies="10.0.0.0/8,proxy.corp")
