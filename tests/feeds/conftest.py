"""Feed tests: DNS is a table (the fetcher's ``resolve`` replaced) and HTTP is mocked with
respx at the address the table gives each host, since the fetcher sends every request to
the address it checked. Feeds are hand-written files under ``fixtures/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dns import fake_dns

FIXTURES = Path(__file__).parent / "fixtures"
BLOG = "93.184.216.34"
NEWS = "151.101.1.69"
BROKEN = "104.16.132.229"
HOSTS = {
    "blog.example.com": [BLOG],
    "news.example.org": [NEWS],
    "broken.example.com": [BROKEN],
    "intranet.corp": ["10.0.0.7"],
    "metadata.example.net": ["169.254.169.254"],
}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    return fake_dns(monkeypatch, {host: list(addresses) for host, addresses in HOSTS.items()})
