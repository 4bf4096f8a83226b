"""Which ``Host`` a request may name.

In production the app answers only for ``CHORUS_BASE_URL``'s host (and its port, if it names
one) and for loopback (health checks): a request naming another host (a forged ``Host`` or a
DNS name pointed at the server by someone else) is 400 before anything else runs, tracked
links included. Starlette's ``TrustedHostMiddleware`` compares host names without their port
and answers in plain text, so the check is done here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import Receive, Scope, Send

from app.core.problems import problem_response

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"\[(?P<ipv6>[0-9a-f:.]+)\](?::\d+)?|(?P<name>[^:\[\]@/]+)(?::\d+)?")


def _host_name(host: str) -> str | None:
    """The name in a ``Host`` value, without its port or an IPv6 literal's brackets."""
    match = _HOST.fullmatch(host)
    return (match["ipv6"] or match["name"]) if match else None


class HostCheck:
    """Answers 400 for a request whose ``Host`` is neither the base URL's nor loopback."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        name = (parts.hostname or "").lower()
        name = f"[{name}]" if ":" in name else name
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        self._public = frozenset({f"{name}:{port}"} | (set() if parts.port else {name}))

    def allows(self, scope: Scope) -> bool:
        host = next((value for key, value in scope["headers"] if key == b"host"), b"")
        text = host.decode("latin-1").lower()
        return text in self._public or _host_name(text) in LOOPBACK

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(400, "This server does not answer for that Host.",
                                    title="Unknown host", type_slug="unknown-host")
        await response(scope, receive, send)
