"""A webhook host that answered a public address when it was registered and a private one
when an event is delivered (DNS rebinding): the delivery is refused, never sent, and the
refusal is logged as a failed attempt. The public host is mocked with respx at the address
the test's DNS gives it (the fetcher connects to the address it checked)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from standardwebhooks import Webhook

from app.webhooks import delivery
from tests.builders import Api
from tests.dns import fake_dns
from tests.jobs.runners import JobRunner
from tests.webhooks.support import emit, register


@pytest.fixture(autouse=True)
def hourly_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "backoff", lambda _attempts: 3600.0)


async def test_a_public_host_is_delivered_to_at_the_address_that_was_checked(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    route = respx_mock.post("https://93.184.216.34/in").respond(204)
    hook, _ = await register(api, "https://hooks.example.com/in")
    await emit(job_runner.db)
    await job_runner.settle()
    [call] = route.calls
    assert call.request.headers["host"] == "hooks.example.com"
    Webhook(hook["secret"]).verify(call.request.content, dict(call.request.headers))


async def test_a_host_that_now_resolves_to_a_private_address_is_not_sent_to(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dns = fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    public = respx_mock.post("https://93.184.216.34/in").respond(200)
    private = respx_mock.post(url__regex=r"https://10\.0\.0\.5/.*").respond(200)
    hook, admin = await register(api, "https://hooks.example.com/in")
    dns["hooks.example.com"] = ["10.0.0.5"]
    await emit(job_runner.db)
    await job_runner.settle()

    assert not public.called and not private.called
    [attempt] = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                      headers=admin)).json()["items"]
    assert (attempt["ok"], attempt["status_code"]) == (False, None)
    assert "not public" in attempt["error"]
    assert attempt["next_attempt_at"] is not None


async def test_a_redirect_is_not_followed(api: Api, job_runner: JobRunner,
                                          respx_mock: respx.MockRouter,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    respx_mock.post("https://93.184.216.34/in").respond(
        307, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    metadata = respx_mock.route(host="169.254.169.254").respond(200)
    hook, admin = await register(api, "https://hooks.example.com/in")
    await emit(job_runner.db)
    await job_runner.settle()
    assert not metadata.called
    [attempt] = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                      headers=admin)).json()["items"]
    assert attempt["ok"] is False and "redirect" in attempt["error"]


class Endless(httpx.AsyncByteStream):
    """A 50 MB answer without a Content-Length, in 64 KiB chunks."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"x" * 65_536
        while self.sent < 50_000_000:
            self.sent += len(chunk)
            yield chunk


async def test_a_huge_answer_is_cut_off_after_its_first_kilobytes(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    endless = Endless()
    respx_mock.post("https://93.184.216.34/in").mock(
        return_value=httpx.Response(200, stream=endless))
    hook, admin = await register(api, "https://hooks.example.com/in")
    await emit(job_runner.db)
    await job_runner.settle()

    assert endless.sent <= 4 * 65_536  # stopped reading, not drained
    [attempt] = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                      headers=admin)).json()["items"]
    assert (attempt["ok"], attempt["status_code"]) == (True, 200)
    assert attempt["response_excerpt"] == "x" * delivery.EXCERPT_CHARS


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
        api: Api, job_runner: JobRunner, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})

    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(204)

    respx_mock.post("https://93.184.216.34/in").mock(side_effect=slow)
    hook, admin = await register(api, "https://hooks.example.com/in")
    await emit(job_runner.db)
    await job_runner.settle()

    [attempt] = (await api.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                      headers=admin)).json()["items"]
    assert (attempt["ok"], attempt["status_code"]) == (False, None)
    assert attempt["error"] == "no complete answer within 0.3 s"
    assert attempt["next_attempt_at"] is not None
