"""The providers against the networks' APIs, mocked with respx on the addresses the DNS
table gives (the fetcher connects to the address it checked, naming the host in ``Host``
and TLS): what is asked, with which headers, and what each answer becomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import respx

from app.core.clock import utcnow
from app.models.enums import Network
from app.networks.providers import LINKEDIN, X
from app.networks.providers.base import Metric, PostRef, Status
from app.networks.providers.linkedin import VERSION
from tests.networks.conftest import (
    LINKEDIN_ANALYTICS,
    QUERY_FILES,
    X_API,
    X_TOKEN,
    json_answer,
)

SHARE = PostRef(Network.linkedin, "share", "7254981234567890123")
UGC = PostRef(Network.linkedin, "ugcPost", "7254981234567890124")


def by_query(shape: str) -> Callable[[httpx.Request], httpx.Response]:
    """LinkedIn's answer to each queryType, in one shape (``v2025_object``, ``v2026_string``)."""
    def answer(request: httpx.Request) -> httpx.Response:
        query_type = request.url.params["queryType"]
        return json_answer(f"linkedin/{QUERY_FILES[query_type]}_{shape}.json")
    return answer


async def test_linkedin_reads_four_metrics_from_the_older_shape(
        respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=by_query("v2025_object"))
    pulled = await LINKEDIN.pull(SHARE, "member-token")

    assert pulled.status is Status.ok and pulled.version == VERSION
    assert dict(pulled.metrics) == {Metric.impressions: 1520, Metric.likes: 48,
                                    Metric.comments: 7, Metric.reshares: 3}
    assert [c.request.url.params["queryType"] for c in route.calls] == [
        "IMPRESSION", "REACTION", "COMMENT", "RESHARE"]
    for call in route.calls:
        request = call.request
        assert request.headers["host"] == "api.linkedin.com"
        assert request.headers["authorization"] == "Bearer member-token"
        assert request.headers["linkedin-version"] == VERSION
        assert request.headers["x-restli-protocol-version"] == "2.0.0"
        query = request.url.query.decode()
        assert "q=entity&entity=(share:urn%3Ali%3Ashare%3A7254981234567890123)" in query
        assert query.endswith("&aggregation=TOTAL")


async def test_linkedin_reads_the_newer_string_shape_for_a_ugc_post(
        respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=by_query("v2026_string"))
    pulled = await LINKEDIN.pull(UGC, "member-token")

    assert pulled.status is Status.ok
    assert dict(pulled.metrics) == {Metric.impressions: 2210, Metric.likes: 61,
                                    Metric.comments: 9, Metric.reshares: 4}
    assert "entity=(ugc:urn%3Ali%3AugcPost%3A7254981234567890124)" in (
        route.calls[0].request.url.query.decode())


async def test_linkedin_empty_elements_leave_that_metric_unknown(
        respx_mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["queryType"] == "RESHARE":
            return json_answer("linkedin/empty_elements.json")
        return by_query("v2026_string")(request)

    respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=answer)
    pulled = await LINKEDIN.pull(SHARE, "member-token")
    assert pulled.status is Status.ok
    assert pulled.metrics[Metric.reshares] is None
    assert pulled.metrics[Metric.impressions] == 2210


async def test_linkedin_with_nothing_known_is_empty(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(LINKEDIN_ANALYTICS).mock(return_value=json_answer(
        "linkedin/empty_elements.json"))
    pulled = await LINKEDIN.pull(SHARE, "member-token")
    assert pulled.status is Status.empty and not pulled.known


async def test_linkedin_403_is_not_permitted_after_one_call(
        respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(
        return_value=json_answer("linkedin/error_403_access_denied.json", 403))
    pulled = await LINKEDIN.pull(SHARE, "member-token")
    assert pulled.status is Status.not_permitted
    assert pulled.detail is not None and "Not enough permissions" in pulled.detail
    assert route.call_count == 1


async def test_linkedin_401_asks_for_reauthorisation(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(LINKEDIN_ANALYTICS).mock(
        return_value=json_answer("linkedin/error_401_expired.json", 401))
    pulled = await LINKEDIN.pull(SHARE, "member-token")
    assert pulled.status is Status.needs_reauth


async def test_linkedin_429_waits_until_the_next_midnight_utc(
        respx_mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["queryType"] == "COMMENT":
            return json_answer("linkedin/error_429_throttled.json", 429)
        return by_query("v2025_object")(request)

    route = respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=answer)
    before = utcnow()
    pulled = await LINKEDIN.pull(SHARE, "member-token")
    after = utcnow()
    assert pulled.status is Status.rate_limited and not pulled.metrics
    midnights = {datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1)
                 for d in (before, after)}
    assert pulled.retry_at in midnights
    assert route.call_count == 3  # nothing asked after the refusal


async def test_linkedin_server_errors_and_garbage_fail(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(LINKEDIN_ANALYTICS).mock(side_effect=[
        httpx.Response(503, text="down"), httpx.Response(200, text="<html>"),
        httpx.ConnectError("refused")])
    for _ in range(3):
        assert (await LINKEDIN.pull(SHARE, "member-token")).status is Status.failed


def x_ids(request: httpx.Request) -> list[str]:
    return request.url.params["ids"].split(",")


async def test_x_asks_up_to_a_hundred_ids_at_a_time(respx_mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["tweet.fields"] == "public_metrics"
        return httpx.Response(200, json={"data": [
            {"id": i, "public_metrics": {"impression_count": int(i), "like_count": 1,
                                         "reply_count": 0, "retweet_count": 0,
                                         "quote_count": 0}} for i in x_ids(request)]})

    route = respx_mock.get(X_API).mock(side_effect=answer)
    refs = [PostRef(Network.x, "post", str(n)) for n in range(1, 151)]
    outcomes = await X.pull([*refs, refs[0]], X_TOKEN)

    assert [len(x_ids(c.request)) for c in route.calls] == [100, 50]
    assert route.calls[0].request.headers["authorization"] == f"Bearer {X_TOKEN}"
    assert route.calls[0].request.headers["host"] == "api.x.com"
    assert len(outcomes) == 150
    assert outcomes["150"].metrics[Metric.impressions] == 150


async def test_x_partial_errors_in_a_200(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(X_API).mock(return_value=json_answer("x/tweets_batch.json"))
    ids = ["1861234567890123456", "1861234567890123457", "1861234567890123458",
           "1861234567890123459"]
    outcomes = await X.pull([PostRef(Network.x, "post", i) for i in ids], X_TOKEN)
    assert [outcomes[i].status for i in ids] == [Status.ok, Status.ok, Status.not_found,
                                                 Status.not_permitted]
    assert outcomes[ids[1]].metrics[Metric.impressions] is None


async def test_x_429_waits_for_its_reset_and_asks_nothing_more(
        respx_mock: respx.MockRouter) -> None:
    reset = int((utcnow() + timedelta(minutes=9)).timestamp())
    route = respx_mock.get(X_API).mock(return_value=json_answer(
        "x/problem_429.json", 429, headers={"x-rate-limit-reset": str(reset),
                                            "x-rate-limit-remaining": "0"}))
    refs = [PostRef(Network.x, "post", str(n)) for n in range(1, 201)]
    outcomes = await X.pull(refs, X_TOKEN)
    assert route.call_count == 1
    assert {o.status for o in outcomes.values()} == {Status.rate_limited}
    assert {o.retry_at for o in outcomes.values()} == {datetime.fromtimestamp(reset, UTC)}


async def test_x_429_without_a_reset_waits_fifteen_minutes(
        respx_mock: respx.MockRouter) -> None:
    respx_mock.get(X_API).mock(return_value=httpx.Response(429))
    before = utcnow()
    [outcome] = (await X.pull([PostRef(Network.x, "post", "1")], X_TOKEN)).values()
    assert outcome.retry_at is not None
    assert timedelta(minutes=14) < outcome.retry_at - before <= timedelta(minutes=16)


async def test_x_refusing_the_app_is_not_permitted(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(X_API).mock(return_value=json_answer("x/problem_402_credits.json", 402))
    [outcome] = (await X.pull([PostRef(Network.x, "post", "1")], X_TOKEN)).values()
    assert outcome.status is Status.not_permitted
    assert outcome.detail is not None and "credits" in outcome.detail
