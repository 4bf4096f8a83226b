"""Calling the networks' APIs: every request goes through the SSRF-safe fetcher
(``app.core.fetch``), like every other outbound request of Chorus, with the limits an API
call needs (no redirect, a small JSON answer, ten seconds)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from app import __version__
from app.core.fetch import fetch

USER_AGENT = f"Chorus/{__version__} (+engagement stats)"
TIMEOUT = 10.0
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The body as JSON; None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def call(url: str, *, headers: Mapping[str, str], method: str = "GET",
               form: str | None = None) -> Answer:
    """One API request; raises ``FetchError`` when no answer came (or a redirect did)."""
    sent = dict(headers)
    if form is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    fetched = await fetch(url, method=method, headers=sent,
                          content=form.encode() if form is not None else None,
                          max_bytes=MAX_BYTES, timeout=TIMEOUT, max_redirects=0,
                          accept="application/json", user_agent=USER_AGENT)
    return Answer(status=fetched.status, headers=fetched.headers, body=fetched.body)
