"""Fetching a URL a user gave us without reaching into our own network (SSRF-safe).

Used for post images, link previews, feeds and webhooks (CONTRACT §9): http and https only,
public addresses only, an overall time limit, a size limit, at most ``max_redirects``
redirects, each one checked like the first URL, and no cookies carried from one to the next.

The address check and the connection use one DNS answer. ``PinnedTransport`` resolves the
host, refuses it unless every address is public, and sends the request to the address it
checked: the URL's host becomes that address while the ``Host`` header, TLS's server name
(SNI) and the certificate check keep the name (httpx's ``sni_hostname`` request extension).
A DNS server that answers a public address to the check and a private one to the connection
(DNS rebinding) is never asked a second time.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address

import httpx

from app import __version__

USER_AGENT = f"Chorus/{__version__} (+link preview)"
SCHEMES = frozenset({"http", "https"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = IPv6Network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


class FetchError(Exception):
    """A fetch gave no usable answer; ``reason`` says why, for logs and stored errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchRefused(FetchError):
    """We would not fetch it: the scheme, an address, a redirect too many, or the size."""


class FetchFailed(FetchError):
    """We tried and the network did not answer: DNS, connection, TLS or the time limit."""


class NameNotResolved(FetchFailed):
    """The host name has no address: a typo or a dead domain more often than a passing
    fault, so callers need not try again soon."""


@dataclass(frozen=True)
class Fetched:
    status: int
    url: str
    """The URL that answered, after redirects."""
    headers: httpx.Headers
    body: bytes
    truncated: bool = False
    """The body is the first ``max_bytes`` of a longer one (only with ``truncate=True``)."""

    @property
    def content_type(self) -> str | None:
        """The media type, lower-cased, without parameters (``text/html``)."""
        value = self.headers.get("content-type")
        if not value:
            return None
        return value.split(";", 1)[0].strip().lower() or None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses from the system resolver (tests replace this function)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv6 link-local answer carries its zone ("fe80::1%eth0"); the address is enough.
    found = (ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)
    return list(dict.fromkeys(found))


def is_public(address: IPAddress) -> bool:
    """Reachable on the public internet: not private, loopback, link-local, carrier-grade
    NAT, multicast, reserved or unspecified, including IPv4 addresses inside IPv6 ones."""
    if isinstance(address, IPv6Address):
        # Judged by the IPv4 address they carry, which is where a packet would end up.
        embedded = address.ipv4_mapped or (
            IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if embedded is not None:
            return is_public(embedded)
        if address.sixtofour is not None and not is_public(address.sixtofour):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to for ``host``; refused unless every one is allowed, since
    any of them may be the one a connection ends up on."""
    try:
        addresses = [ip_address(host.strip("[]"))]
    except ValueError:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise NameNotResolved(f"{host} could not be resolved") from exc
    if not addresses:
        raise NameNotResolved(f"{host} has no address")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise FetchRefused(f"{host} resolves to an address that is not public")
    return addresses


class PinnedTransport(httpx.AsyncBaseTransport):
    """Checks each request's host and sends it to an address it checked (see the module)."""

    def __init__(self, *, allow_private: bool, inner: httpx.AsyncBaseTransport | None = None,
                 ) -> None:
        self.allow_private = allow_private
        # No proxy from the environment: it would connect to a host we did not check. No
        # connection kept alive: the pool knows it by address alone, and would send another
        # name's request over a TLS connection whose certificate was checked for this one.
        self.inner = inner or httpx.AsyncHTTPTransport(
            verify=_tls(), trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in SCHEMES:
            raise FetchRefused(f"{url.scheme or 'relative'} URLs are not fetched")
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await checked_addresses(host, port, allow_private=self.allow_private)
        for address in addresses[:-1]:
            try:
                return await self._send(request, address, host)
            except httpx.ConnectError:
                continue
        return await self._send(request, addresses[-1], host)

    async def _send(self, request: httpx.Request, address: IPAddress,
                    host: str) -> httpx.Response:
        pinned = httpx.Request(
            request.method, request.url.copy_with(host=str(address)),
            headers=request.headers,  # Host still names the host
            stream=request.stream, extensions={**request.extensions, "sni_hostname": host})
        return await self.inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self.inner.aclose()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every fetch: building one reads the whole CA bundle (tens of
    milliseconds), which made each webhook delivery an order of magnitude slower."""
    return httpx.create_ssl_context()


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: a cookie set by one answer is never sent with the next."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


async def fetch(url: str, *, max_bytes: int = 2_000_000, timeout: float = 5.0,
                max_redirects: int = 5, allow_private: bool = False, accept: str = "*/*",
                truncate: bool = False, method: str = "GET", content: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                user_agent: str = USER_AGENT) -> Fetched:
    """Request ``url`` (a GET unless ``method`` says otherwise, with ``content`` as the
    body and ``headers`` added) under the rules of the module docstring.

    ``timeout`` bounds the whole fetch: DNS, every redirect and the body. A body longer than
    ``max_bytes`` is refused, or with ``truncate`` cut to its first ``max_bytes`` (HTML
    metadata needs only the start of a page). Any status is returned, redirects excepted;
    a redirect is only followed for a GET (and a POST answered with 303, as a GET).
    Raises ``FetchRefused`` or ``FetchFailed``.
    """
    try:
        current = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchRefused("not a valid URL") from exc
    # Uncompressed: a compressed chunk could inflate far past max_bytes before it is counted.
    sent_headers = {"User-Agent": user_agent, "Accept": accept, "Accept-Encoding": "identity",
                    **(headers or {})}
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(transport=PinnedTransport(allow_private=allow_private),
                              headers=sent_headers, cookies=_no_cookies(), timeout=timeout,
                              follow_redirects=False, trust_env=False) as client,
        ):
            redirects = 0
            while True:
                request = client.build_request(method, current, content=content)
                response = await client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        if method != "GET" and response.status_code != 303:
                            raise FetchRefused(
                                f"a {method} answered with a redirect ({response.status_code})")
                        if redirects == max_redirects:
                            raise FetchRefused(f"more than {max_redirects} redirects")
                        redirects += 1
                        current = _join(current, location)
                        method, content = "GET", None
                        continue
                    body, truncated = await _read(response, max_bytes, truncate=truncate)
                    return Fetched(status=response.status_code, url=str(current),
                                   headers=response.headers, body=body, truncated=truncated)
                finally:
                    await response.aclose()
    except TimeoutError as exc:
        raise FetchFailed(f"no complete answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc


def _join(current: httpx.URL, location: str) -> httpx.URL:
    try:
        return current.join(location)
    except httpx.InvalidURL as exc:
        raise FetchRefused("a redirect to an invalid URL") from exc


async def _read(response: httpx.Response, max_bytes: int, *,
                truncate: bool) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"the answer is larger than {max_bytes} bytes")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            if truncate:
                return bytes(body[:max_bytes]), True
            raise FetchRefused(f"the answer is larger than {max_bytes} bytes")
    return bytes(body), False
