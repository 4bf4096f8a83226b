"""``chorus worker`` projects clicks too (issue 13): a click logged while no server runs is
processed by the worker's projector, which starts and stops with the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from arq.connections import ArqRedis
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import Database
from app.jobs.worker import shutdown, startup
from app.models import Click
from app.tracking.links import new_click_id
from app.tracking.projection import ClickDraft
from app.tracking.recorder import ClickRecorder
from tests.tracking.test_router import _share


@pytest.fixture
def worker_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHORUS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_the_worker_projects_logged_clicks(db_url: str, redis_pool: ArqRedis,
                                                 worker_env: None) -> None:
    db = Database(db_url)
    try:
        share, _ = await _share(db)
        recorder = ClickRecorder(db)  # a server's log writer, with no projector of its own
        now = utcnow()
        click_id = new_click_id()
        await recorder.record(ClickDraft(
            share_id=share.id, advocate_id=share.user_id, network=share.network,
            post_id=share.post_id, click_id=click_id, occurred_at=now, day=now.date(),
            visitor_hash="v" * 64, device="desktop", referrer_host=None, bot=False,
            session_token_hash=None, address_hash="a" * 64))
        await recorder.close()

        ctx: dict[str, Any] = {"redis": redis_pool}
        await startup(ctx)
        try:
            for _ in range(100):
                async with db.sessionmaker() as session:
                    click = await session.scalar(select(Click).where(Click.click_id == click_id))
                if click is not None:
                    break
                await asyncio.sleep(0.05)
        finally:
            await shutdown(ctx)
        assert click is not None and click.is_unique and not click.is_self
    finally:
        await db.dispose()
