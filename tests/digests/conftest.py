"""Fixtures of the digests tests: a real HTTP receiver on loopback (the SMTP sink is the
suite's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.digests.support import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
