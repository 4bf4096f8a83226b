"""``observe_all`` counts a batch into a histogram exactly as one ``observe`` per amount."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram

from app.core.metrics import LATENCY_BUCKETS, PENDING_MAX, HttpMetrics, observe_all

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


def _histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram("lag_seconds", "A lag.", registry=registry, buckets=BUCKETS)


def _samples(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    return {(s.name, s.labels.get("le", "")): s.value
            for metric in registry.collect() for s in metric.samples
            if not s.name.endswith("_created")}


amounts = st.lists(st.one_of(
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.sampled_from([0.0, *BUCKETS, 60.000001, math.inf])), max_size=60)


@given(batches=st.lists(amounts, max_size=4))
def test_the_same_samples_as_one_observe_each(batches: list[list[float]]) -> None:
    one_by_one, all_at_once = CollectorRegistry(), CollectorRegistry()
    expected, actual = _histogram(one_by_one), _histogram(all_at_once)
    for batch in batches:
        for amount in batch:
            expected.observe(amount)
        observe_all(actual, iter(batch))
    got, want = _samples(all_at_once), _samples(one_by_one)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_a_bound_counts_in_its_own_bucket() -> None:
    registry = CollectorRegistry()
    observe_all(_histogram(registry), [0.005, 0.0050001, 60, 61])
    samples = _samples(registry)
    assert samples[("lag_seconds_bucket", "0.005")] == 1
    assert samples[("lag_seconds_bucket", "0.01")] == 2
    assert samples[("lag_seconds_bucket", "60.0")] == 3
    assert samples[("lag_seconds_bucket", "+Inf")] == 4
    assert samples[("lag_seconds_count", "")] == 4
    assert samples[("lag_seconds_sum", "")] == pytest.approx(121.0100001)


def _http_samples(metrics: HttpMetrics) -> dict[tuple[str, str], float]:
    body, _ = metrics.render()
    found: dict[tuple[str, str], float] = {}
    for line in body.decode().splitlines():
        if line.startswith("chorus_http_request") and "_created" not in line:
            name, value = line.rsplit(" ", 1)
            found[(name, "")] = float(value)
    return found


@pytest.mark.parametrize("requests", [1, PENDING_MAX - 1, PENDING_MAX, 2 * PENDING_MAX + 5])
def test_requests_are_counted_in_every_reading(requests: int) -> None:
    """Requests are counted in bulk, yet every reading shows each one already: the same
    figures as a histogram and counter fed one request at a time."""
    metrics = HttpMetrics()
    registry = CollectorRegistry()
    expected = Histogram("expected", "", registry=registry, buckets=LATENCY_BUCKETS)
    seconds = [(n % 40) / 1000 for n in range(requests)]
    for elapsed in seconds:
        metrics.observe("GET", "/s/{code}", 302, elapsed)
        expected.observe(elapsed)
    metrics.observe("GET", "/readyz", 200, 0.002)
    samples = _http_samples(metrics)
    route = 'method="GET",route="/s/{code}"'
    assert samples[(f'chorus_http_requests_total{{{route},status="302"}}', "")] == requests
    assert samples[('chorus_http_requests_total{method="GET",route="/readyz",'
                    'status="200"}', "")] == 1
    assert samples[(f"chorus_http_request_duration_seconds_count{{{route}}}", "")] == requests
    want = {s.labels["le"]: s.value for metric in registry.collect() for s in metric.samples
            if s.name == "expected_bucket"}
    for le, count in want.items():
        key = (f'chorus_http_request_duration_seconds_bucket{{le="{le}",{route}}}', "")
        assert samples[key] == count, le
    assert _http_samples(metrics) == samples  # reading again counts nothing twice


def test_requests_are_counted_in_bulk_before_any_reading() -> None:
    """What waits for a reading is bounded: the PENDING_MAX-th request of a route counts
    them all in the registry itself."""
    metrics = HttpMetrics()

    def counted() -> float:
        return sum(s.value for metric in metrics.registry.collect() for s in metric.samples
                   if s.name == "chorus_http_requests_total")

    for _ in range(PENDING_MAX - 1):
        metrics.observe("GET", "/s/{code}", 302, 0.001)
    assert counted() == 0
    metrics.observe("GET", "/s/{code}", 302, 0.001)
    assert counted() == PENDING_MAX
    for _ in range(PENDING_MAX):
        metrics.observe("GET", "/s/{code}", 302, 0.001)
    assert counted() == 2 * PENDING_MAX
