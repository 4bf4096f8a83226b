"""``CHORUS_METRICS_TOKEN``: when set, ``/metrics`` needs ``Authorization: Bearer <token>``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.conftest import SECRET

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
async def guarded(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                        metrics_token=TOKEN)
    application: FastAPI = create_app(settings, run_jobs=False)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await application.state.clicks.close()
    await application.state.db.dispose()


async def test_with_a_token_the_metrics_need_it(guarded: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN[:-1]}"}):
        response = await guarded.get("/metrics", headers=headers)
        assert response.status_code == 401, f"{headers}: {response.text}"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["status"] == 401
        assert "chorus_http_requests_total" not in response.text
    response = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "chorus_http_requests_total" in response.text
    # The other operations routes stay open.
    assert (await guarded.get("/healthz")).status_code == 200


async def test_without_a_token_the_metrics_are_open(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "chorus_http_requests_total" in response.text


def test_the_token_is_a_secret_and_empty_is_unset() -> None:
    settings = Settings(_env_file=None, metrics_token=TOKEN)  # type: ignore[call-arg]
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)
    assert Settings(_env_file=None, metrics_token="").metrics_token is None  # type: ignore[call-arg]
