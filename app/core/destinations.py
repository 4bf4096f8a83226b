"""Checking, when a user registers it, a URL that Chorus will send requests to later (a
webhook endpoint, a Slack or Teams channel, a feed): the same rules as the fetcher
(``app.core.fetch``), reported as a 422 on the field that holds it. The fetcher checks again
at every request and every redirect, since a name may resolve elsewhere by then."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import httpx

from app.core.errors import Invalid
from app.core.fetch import FetchFailed, FetchRefused, checked_addresses

RESOLVE_TIMEOUT = 5.0


async def check_destination(url: str, *, what: str, allow_private: bool,
                            schemes: Collection[str] = ("http", "https"),
                            loc: Sequence[str | int] = ("body", "url")) -> str:
    """The URL's host, once ``url`` is one we may send to; else ``Invalid`` (422) at ``loc``
    saying why, with ``what`` naming the URL ("The webhook URL")."""
    where = list(loc)
    if any(c.isspace() or not c.isprintable() for c in url):
        raise Invalid(f"{what} must not hold spaces or control characters.", loc=where)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Invalid(f"{what} is not a valid URL.", loc=where) from exc
    if parsed.scheme not in schemes or not parsed.host:
        kinds = " or ".join(f"{s}://" for s in sorted(schemes))
        raise Invalid(f"{what} must be an absolute {kinds} URL.", loc=where)
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise Invalid(f"{what} names a port that does not exist.", loc=where)
    if parsed.userinfo:
        raise Invalid(f"{what} must not hold a user name or password.", loc=where)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            await checked_addresses(host, port, allow_private=allow_private)
    except FetchRefused as exc:
        raise Invalid(f"{what}'s host is on a private, loopback, link-local or otherwise "
                      "non-public address.", loc=where) from exc
    except (FetchFailed, TimeoutError) as exc:
        raise Invalid(f"{what}'s host could not be resolved.", loc=where) from exc
    return parsed.host
