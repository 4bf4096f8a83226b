"""Fixtures of the digests tests: a real SMTP sink and a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.digests.support import Receiver, SmtpSink, start_sink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink, controller = start_sink()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
