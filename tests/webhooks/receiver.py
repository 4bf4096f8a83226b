"""A real HTTP receiver on 127.0.0.1 for webhook tests: it answers each request with the
next status it was given (then 200) and keeps what it received."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes


class Receiver:
    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.statuses = list(statuses)
        self.received: list[Received] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200)."""
        self.statuses = list(statuses)

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(path=path, headers=headers, body=body))
            status = self.statuses.pop(0) if self.statuses else 200
            reply = b'{"received":true}' if status < 300 else b"upstream unavailable " * 50
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n"
                         f"Content-Length: {len(reply)}\r\nConnection: close\r\n\r\n"
                         .encode() + reply)
            await writer.drain()
        finally:
            writer.close()
