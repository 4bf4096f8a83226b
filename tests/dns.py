"""A DNS for tests: names answer what the test's table says, changed in place as it goes;
any other name does not resolve (as for a host that does not exist)."""

from __future__ import annotations

import socket
from ipaddress import ip_address

import pytest

from app.core import fetch as fetch_module


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> dict[str, list[str]]:
    """Answer DNS from ``names`` for this test; returns ``names`` for the test to change."""

    async def resolve(host: str, _port: int) -> list[fetch_module.IPAddress]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(a) for a in names[host]]

    monkeypatch.setattr(fetch_module, "resolve", resolve)
    return names
