"""Prometheus metrics: request counts and latencies by route template, never by raw path."""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("chorus.http")


PENDING_MAX = 1024
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chorus_http_requests_total", "HTTP requests handled.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "chorus_http_request_duration_seconds", "Time to the response's last byte.",
            ["method", "route"], registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        # Looking up a labelled child costs more than counting: keep them.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # Durations not counted yet, per child: counting each request as it ends took a
        # tenth of a redirect's own work (a lock per counter and per histogram).
        self._pending: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request: at once in effect, as every reading (:meth:`render`) counts what
        is pending first; in bulk in fact, every ``PENDING_MAX`` requests."""
        key = (method, route, status)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = []
        pending.append(seconds)
        if len(pending) >= PENDING_MAX:
            self._count(key)

    def _count(self, key: tuple[str, str, int]) -> None:
        durations = self._pending.pop(key, None)
        if not durations:
            return
        children = self._children.get(key)
        if children is None:
            method, route, status = key
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route))
        children[0].inc(len(durations))
        observe_all(children[1], durations)

    def render(self) -> tuple[bytes, str]:
        for key in list(self._pending):
            self._count(key)
        return _generate(self.registry), CONTENT_TYPE_LATEST


def observe_all(histogram: Histogram, amounts: Iterable[float]) -> None:
    """``histogram.observe(a)`` for every amount, with one write per bucket touched. Each
    observation writes the histogram's shared memory in multiprocess mode (a lock and a
    pid check each time): observed one by one, a batch's lags cost the click projector
    more than a tenth of its CPU. prometheus_client has no bulk form, so this counts into
    its buckets itself (tests compare the result with ``observe``)."""
    bounds: list[float] = histogram._upper_bounds  # noqa: SLF001 (ends with +Inf)
    counts = [0] * len(bounds)
    total = 0.0
    for amount in amounts:
        counts[bisect_left(bounds, amount)] += 1  # the first bucket with amount <= bound
        total += amount
    if not any(counts):
        return
    histogram._raise_if_not_observable()  # noqa: SLF001
    histogram._sum.inc(total)  # noqa: SLF001
    for bucket, count in zip(histogram._buckets, counts, strict=True):  # noqa: SLF001
        if count:
            bucket.inc(count)


# Counted in the metrics, not logged one line each: tracked links are recorded as clicks.
QUIET_ROUTES = frozenset({"/s/{code}"})


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            self.metrics.observe(method, route, status, elapsed)
            if route not in QUIET_ROUTES:
                log.info("request", extra={"method": method, "route": route, "status": status,
                                           "ms": round(elapsed * 1000, 2)})
