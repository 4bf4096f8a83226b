"""Helpers for the digests tests: test data written the way the app would write it, a real
SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1 that keep what they get."""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Post, PostTopic, Share
from app.models.enums import Category, Network, PostStatus
from tests.builders import make_post

BASE_URL = "https://chorus.example"
_instants = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content()).replace("\r\n", "\n")  # SMTP sends CRLF lines


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 keeping every message it accepts."""

    port: int = 0
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, _server: SMTP, _session: Session,  # noqa: N802 - aiosmtpd's name
                          envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Received(to=list(envelope.rcpt_tos), message=parsed))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.to]

    def recipients(self) -> list[str]:
        return sorted(address for m in self.messages for address in m.to)


def start_sink() -> tuple[SmtpSink, Controller]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return sink, controller


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP/1.1 server on 127.0.0.1 answering each path with its status (200 unless set
    in ``statuses``), keeping every request."""

    port: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            lines = head.split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Request(method, path, headers, body))
            status = self.statuses.get(path, 200)
            answer = b"ok" if status < 400 else b"no_service"
            moved = f"Location: {self.url('/elsewhere')}\r\n" if 300 <= status < 400 else ""
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n{moved}"
                         f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n"
                         .encode() + answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def published(session: AsyncSession, *, at: datetime, topic_ids: list[str] | None = None,
                    title: str | None = None, summary: str = "A summary.",
                    expires_at: datetime | None = None,
                    status: PostStatus = PostStatus.published) -> Post:
    """A post published at ``at`` (with nothing left for a link preview to fill); a few
    microseconds earlier, since no two posts share a publication time."""
    fields: dict[str, Any] = {"summary": summary, "image_url": "https://example.com/i.png"}
    if title is not None:
        fields["title"] = title
    post = await make_post(session, category=Category.curated, topic_ids=topic_ids, **fields)
    post.preview_state = None
    post.status = status
    post.published_at = at - timedelta(microseconds=next(_instants))
    post.expires_at = expires_at
    await session.execute(update(PostTopic).where(PostTopic.post_id == post.id)
                          .values(published_at=post.published_at, category=Category.curated))
    await session.flush()
    return post


async def share(session: AsyncSession, *, user_id: str, post_id: str,
                network: Network = Network.linkedin) -> Share:
    record = Share(code=uuid.uuid4().hex[:12], user_id=user_id, post_id=post_id,
                   network=network)
    session.add(record)
    await session.flush()
    return record
