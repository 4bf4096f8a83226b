"""The SSRF-safe fetcher (CONTRACT §9): what it refuses, and how it connects to what it allows.

HTTP is mocked with respx below the fetcher's transport, so a mocked route sees the request
as it leaves: sent to the checked address, with the ``Host`` header naming the host. DNS is a
table (``resolve`` replaced). A few tests use a real server on loopback to show where the
connection goes.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from ipaddress import ip_address

import httpx
import pytest
import respx

from app import __version__
from app.core import fetch as fetch_module
from app.core.fetch import Fetched, FetchFailed, FetchRefused, PinnedTransport, fetch

PUBLIC = "93.184.216.34"
OTHER_PUBLIC = "151.101.1.69"


@dataclass
class Dns:
    """The resolver's answers, by host, and the hosts it was asked about."""

    table: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def resolve(self, host: str, _port: int) -> list[fetch_module.IPAddress]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(a) for a in self.table[host]]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    table = Dns({"example.com": [PUBLIC]})
    monkeypatch.setattr(fetch_module, "resolve", table.resolve)
    return table


async def test_a_public_host_is_fetched_at_the_address_it_resolved_to(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"https://{PUBLIC}/article?id=7").respond(
        200, content=b"<html>hi</html>", headers={"Content-Type": "text/html; charset=utf-8"})

    fetched = await fetch("https://example.com/article?id=7")

    assert fetched == Fetched(status=200, url="https://example.com/article?id=7",
                              headers=fetched.headers, body=b"<html>hi</html>")
    assert fetched.content_type == "text/html"
    sent = route.calls.last.request
    assert sent.headers["host"] == "example.com"
    assert sent.headers["user-agent"] == f"Chorus/{__version__} (+link preview)"
    assert sent.headers["accept"] == "*/*"
    assert sent.headers["accept-encoding"] == "identity"
    assert dns.asked == ["example.com"]


async def test_the_accept_header_is_the_callers(dns: Dns, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"https://{PUBLIC}/i.png").respond(200, content=b"png")

    await fetch("https://example.com/i.png", accept="image/png,image/jpeg")

    assert route.calls.last.request.headers["accept"] == "image/png,image/jpeg"


async def test_the_transport_sends_to_the_address_and_keeps_the_name_for_tls(dns: Dns) -> None:
    """The name stays in ``Host`` and in the ``sni_hostname`` extension, from which httpcore
    takes the TLS server name and the name the certificate is checked against."""
    dns.table["news.example.org"] = ["2606:4700::1111"]
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = PinnedTransport(allow_private=False, inner=httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("https://news.example.org:8443/feed")

    (request,) = seen
    assert str(request.url) == "https://[2606:4700::1111]:8443/feed"
    assert request.headers["host"] == "news.example.org:8443"
    assert request.extensions["sni_hostname"] == "news.example.org"


@pytest.mark.parametrize("address", [
    "127.0.0.1",            # loopback
    "10.0.0.1",             # private
    "172.16.5.4",           # private
    "192.168.1.10",         # private
    "169.254.169.254",      # link-local: cloud metadata
    "100.64.0.1",           # carrier-grade NAT
    "0.0.0.0",              # unspecified
    "224.0.0.1",            # multicast
    "255.255.255.255",      # broadcast
    "::1",                  # loopback
    "::",                   # unspecified
    "fc00::1",              # unique local
    "fd12:3456::1",         # unique local
    "fe80::1",              # link-local
    "fec0::1",              # site-local (deprecated, still not public)
    "ff02::1",              # multicast
    "::ffff:127.0.0.1",     # IPv4-mapped loopback
    "::ffff:10.0.0.1",      # IPv4-mapped private
    "64:ff9b::a00:1",       # NAT64 of 10.0.0.1
    "2002:a00:1::1",        # 6to4 of 10.0.0.1
])
async def test_a_host_on_a_non_public_address_is_refused(
        dns: Dns, respx_mock: respx.MockRouter, address: str) -> None:
    dns.table["inside.example.com"] = [address]

    with pytest.raises(FetchRefused, match="not public"):
        await fetch("http://inside.example.com/")

    assert not respx_mock.calls


@pytest.mark.parametrize("address", ["::ffff:93.184.216.34", "64:ff9b::5db8:d822",
                                     "2002:5db8:d822::1", "2606:4700::1111"])
async def test_ipv6_forms_of_public_addresses_are_fetched(
        dns: Dns, respx_mock: respx.MockRouter, address: str) -> None:
    dns.table["v6.example.com"] = [address]
    respx_mock.get(f"http://[{ip_address(address)}]/").respond(200, content=b"ok")

    assert (await fetch("http://v6.example.com/")).body == b"ok"


async def test_a_host_with_one_public_and_one_private_address_is_refused(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    dns.table["split.example.com"] = [PUBLIC, "10.1.2.3"]

    with pytest.raises(FetchRefused, match="not public"):
        await fetch("https://split.example.com/")

    assert not respx_mock.calls


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]:8080/", "http://10.0.0.8/x",
                                 "http://[::ffff:169.254.169.254]/latest/meta-data/"])
async def test_an_address_written_in_the_url_is_checked_without_dns(
        dns: Dns, respx_mock: respx.MockRouter, url: str) -> None:
    with pytest.raises(FetchRefused, match="not public"):
        await fetch(url)

    assert dns.asked == []
    assert not respx_mock.calls


async def test_private_addresses_are_fetched_when_allowed(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    dns.table["crm.corp.internal"] = ["10.0.0.5"]
    respx_mock.get("http://10.0.0.5/hook").respond(200, content=b"ok")

    assert (await fetch("http://crm.corp.internal/hook", allow_private=True)).body == b"ok"


async def test_the_name_is_resolved_once_per_request(
        monkeypatch: pytest.MonkeyPatch, respx_mock: respx.MockRouter) -> None:
    """DNS rebinding: an answer that changes after the check never reaches the connection."""
    answers = iter([[ip_address(PUBLIC)], [ip_address("127.0.0.1")]])
    asked: list[str] = []

    async def rebinding(host: str, _port: int) -> list[fetch_module.IPAddress]:
        asked.append(host)
        return next(answers)

    monkeypatch.setattr(fetch_module, "resolve", rebinding)
    route = respx_mock.get(f"http://{PUBLIC}/").respond(200, content=b"public")

    assert (await fetch("http://rebind.example.com/")).body == b"public"
    assert asked == ["rebind.example.com"]
    assert route.call_count == 1


async def test_the_next_checked_address_is_tried_when_one_does_not_connect(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    dns.table["two.example.com"] = [PUBLIC, OTHER_PUBLIC]
    respx_mock.get(f"http://{PUBLIC}/").mock(side_effect=httpx.ConnectError("refused"))
    respx_mock.get(f"http://{OTHER_PUBLIC}/").respond(200, content=b"second")

    assert (await fetch("http://two.example.com/")).body == b"second"


async def test_a_host_that_does_not_connect_fails(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"http://{PUBLIC}/").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(FetchFailed, match="ConnectError"):
        await fetch("http://example.com/")


async def test_an_unknown_host_fails(dns: Dns) -> None:
    with pytest.raises(FetchFailed, match="could not be resolved"):
        await fetch("https://nowhere.invalid/")


async def test_a_host_without_addresses_fails(dns: Dns) -> None:
    dns.table["empty.example.com"] = []

    with pytest.raises(FetchFailed, match="has no address"):
        await fetch("https://empty.example.com/")


async def test_a_redirect_to_a_private_address_is_refused(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    dns.table["internal.example.com"] = ["192.168.0.10"]
    respx_mock.get(f"https://{PUBLIC}/go").respond(
        302, headers={"Location": "http://internal.example.com/admin"})

    with pytest.raises(FetchRefused, match="internal.example.com resolves to an address"):
        await fetch("https://example.com/go")

    assert respx_mock.calls.call_count == 1


async def test_a_relative_redirect_is_followed_on_the_same_host(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/old").respond(301, headers={"Location": "/new?x=1"})
    new = respx_mock.get(f"https://{PUBLIC}/new?x=1").respond(200, content=b"moved")

    fetched = await fetch("https://example.com/old")

    assert fetched.url == "https://example.com/new?x=1" and fetched.body == b"moved"
    assert new.calls.last.request.headers["host"] == "example.com"


def _chain(respx_mock: respx.MockRouter, redirects: int) -> None:
    """/0 → /1 → … → /<redirects>, which answers 200."""
    for n in range(redirects):
        respx_mock.get(f"https://{PUBLIC}/{n}").respond(
            307, headers={"Location": f"https://example.com/{n + 1}"})
    respx_mock.get(f"https://{PUBLIC}/{redirects}").respond(200, content=b"end")


async def test_five_redirects_are_followed(dns: Dns, respx_mock: respx.MockRouter) -> None:
    _chain(respx_mock, 5)

    fetched = await fetch("https://example.com/0")

    assert fetched.url == "https://example.com/5" and fetched.body == b"end"


@pytest.mark.respx(assert_all_called=False)
async def test_a_sixth_redirect_is_refused(dns: Dns, respx_mock: respx.MockRouter) -> None:
    _chain(respx_mock, 6)

    with pytest.raises(FetchRefused, match="more than 5 redirects"):
        await fetch("https://example.com/0")

    assert respx_mock.calls.call_count == 6


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/pub/file",
                                 "gopher://example.com:70/_stats", "javascript:alert(1)",
                                 "data:text/html,hi", "/relative/path", "http://",
                                 "http:///path", "https://:443/"])
async def test_urls_that_are_not_http_are_refused(
        dns: Dns, respx_mock: respx.MockRouter, url: str) -> None:
    with pytest.raises(FetchRefused):
        await fetch(url)

    assert dns.asked == [] and not respx_mock.calls


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://example.com/x",
                                      "gopher://127.0.0.1:6379/_FLUSHALL"])
async def test_a_redirect_to_another_scheme_is_refused(
        dns: Dns, respx_mock: respx.MockRouter, location: str) -> None:
    respx_mock.get(f"https://{PUBLIC}/").respond(302, headers={"Location": location})

    with pytest.raises(FetchRefused, match="URLs are not fetched"):
        await fetch("https://example.com/")


async def test_cookies_are_not_carried_to_the_next_request(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/login").respond(
        302, headers={"Location": "/home", "Set-Cookie": "session=abc; Path=/"})
    home = respx_mock.get(f"https://{PUBLIC}/home").respond(200)

    await fetch("https://example.com/login")

    assert "cookie" not in home.calls.last.request.headers




class Chunks(httpx.AsyncByteStream):
    """A body without Content-Length, sent in pieces, each after ``pause`` seconds."""

    def __init__(self, chunk: bytes, count: int | None, pause: float = 0.0) -> None:
        self.chunk, self.count, self.pause = chunk, count, pause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while self.count is None or sent < self.count:
            await asyncio.sleep(self.pause)
            sent += 1
            yield self.chunk


async def test_a_declared_oversize_body_is_refused_before_it_is_read(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/big").respond(
        200, headers={"Content-Length": "1001"}, stream=Chunks(b"x", count=1001, pause=10))

    with pytest.raises(FetchRefused, match="larger than 1000 bytes"):
        await fetch("https://example.com/big", max_bytes=1000, timeout=1)


async def test_an_undeclared_oversize_body_is_refused_while_streaming(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/big").respond(200, stream=Chunks(b"x" * 400, count=3))

    with pytest.raises(FetchRefused, match="larger than 1000 bytes"):
        await fetch("https://example.com/big", max_bytes=1000)


async def test_a_body_of_exactly_max_bytes_is_whole(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/edge").respond(200, stream=Chunks(b"x" * 500, count=2))

    fetched = await fetch("https://example.com/edge", max_bytes=1000)

    assert len(fetched.body) == 1000 and not fetched.truncated


async def test_an_oversize_body_is_cut_when_a_prefix_is_enough(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"https://{PUBLIC}/page").respond(
        200, stream=Chunks(b"<html>" + b"x" * 394, count=None))

    fetched = await fetch("https://example.com/page", max_bytes=1000, truncate=True)

    assert fetched.truncated
    assert fetched.body == (b"<html>" + b"x" * 394) * 2 + b"<html>" + b"x" * 194


async def test_a_server_that_does_not_answer_in_time_fails(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    respx_mock.get(f"https://{PUBLIC}/slow").mock(side_effect=slow)
    started = time.monotonic()

    with pytest.raises(FetchFailed, match="within 0.2 s"):
        await fetch("https://example.com/slow", timeout=0.2)

    assert time.monotonic() - started < 2


async def test_the_time_limit_covers_the_whole_body(
        dns: Dns, respx_mock: respx.MockRouter) -> None:
    """A server that trickles a byte at a time never trips a per-read timeout."""
    respx_mock.get(f"https://{PUBLIC}/drip").respond(
        200, stream=Chunks(b"x", count=None, pause=0.02))
    started = time.monotonic()

    with pytest.raises(FetchFailed, match="within 0.3 s"):
        await fetch("https://example.com/drip", timeout=0.3)

    assert time.monotonic() - started < 2


def test_the_defaults_are_the_contracts_limits() -> None:
    """CONTRACT §9: 5 s, 2 MB, at most 5 redirects, public addresses only."""
    defaults = {name: p.default for name, p in inspect.signature(fetch).parameters.items()
                if p.default is not inspect.Parameter.empty}

    assert defaults == {"max_bytes": 2_000_000, "timeout": 5.0, "max_redirects": 5,
                        "allow_private": False, "accept": "*/*", "truncate": False,
                        "method": "GET", "content": None, "headers": None,
                        "user_agent": fetch_module.USER_AGENT}


async def test_the_system_resolver_answers_addresses() -> None:
    addresses = await fetch_module.resolve("localhost", 80)

    assert addresses and all(a.is_loopback for a in addresses)


@dataclass
class Loopback:
    """A real HTTP/1.1 server on 127.0.0.1 that keeps connections open between requests."""

    answer: Callable[[str, int], bytes]
    port: int = 0
    connections: int = 0
    hosts: list[str] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                path = head.split(" ", 2)[1]
                self.hosts.append(next(line.split(":", 1)[1].strip()
                                       for line in head.split("\r\n")
                                       if line.lower().startswith("host:")))
                writer.write(self.answer(path, self.port))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    def answer(path: str, port: int) -> bytes:
        if path == "/hop":
            return (f"HTTP/1.1 302 Found\r\nLocation: http://b.test:{port}/end\r\n"
                    "Content-Length: 0\r\n\r\n").encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nhere"

    server_state = Loopback(answer)
    server = await asyncio.start_server(server_state.handle, "127.0.0.1", 0)
    server_state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield server_state


async def test_the_connection_goes_to_the_checked_address(dns: Dns, loopback: Loopback) -> None:
    """``pinned.test`` exists only in the test's DNS table: the request reached the server
    because it was sent to the address that table gave."""
    dns.table["pinned.test"] = ["127.0.0.1"]

    fetched = await fetch(f"http://pinned.test:{loopback.port}/end", allow_private=True)

    assert fetched.body == b"here"
    assert loopback.hosts == [f"pinned.test:{loopback.port}"]


async def test_each_request_gets_its_own_connection(dns: Dns, loopback: Loopback) -> None:
    """Two names on one address: the second request does not ride the first one's
    connection (over TLS, that connection's certificate was checked for the other name)."""
    dns.table.update({"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]})

    async with httpx.AsyncClient(transport=PinnedTransport(allow_private=True)) as client:
        for host in ("a.test", "b.test"):
            (await client.get(f"http://{host}:{loopback.port}/end")).raise_for_status()

    assert loopback.hosts == [f"a.test:{loopback.port}", f"b.test:{loopback.port}"]
    assert loopback.connections == 2


async def test_a_redirect_between_names_on_one_address_is_followed(
        dns: Dns, loopback: Loopback) -> None:
    dns.table.update({"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]})

    fetched = await fetch(f"http://a.test:{loopback.port}/hop", allow_private=True)

    assert fetched.url == f"http://b.test:{loopback.port}/end" and fetched.body == b"here"
    assert loopback.hosts == [f"a.test:{loopback.port}", f"b.test:{loopback.port}"]
