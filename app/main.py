"""The application factory."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from fastapi import FastAPI
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __version__
from app.analytics.okr.router import router as okr_router
from app.analytics.reports.router import router as reports_router
from app.analytics.router import router as analytics_router
from app.auth.router import router as auth_router
from app.auth.throttle import LoginThrottle
from app.content.media import router as media_router
from app.content.router import router as content_router
from app.conversions.router import router as conversions_router
from app.conversions.router import site_router as conversions_site_router
from app.core import logs, problems
from app.core.body_limit import BodyLimitMiddleware
from app.core.config import Env, Settings, get_settings
from app.core.db import Database
from app.core.health import router as health_router
from app.core.hosts import HostCheck
from app.core.methods import AllowedMethods
from app.core.metrics import HttpMetrics, MetricsMiddleware
from app.core.ratelimit import make_limiter
from app.core.secret import load_secret_key
from app.core.slashes import SlashRedirect
from app.core.warm_routes import warm_routes
from app.digests.router import router as digests_router
from app.feeds.router import router as feeds_router
from app.gamification import service as gamification_service
from app.gamification.router import router as gamification_router
from app.jobs.catalog import CRONS
from app.jobs.router import router as jobs_router
from app.jobs.scheduler import InProcessScheduler
from app.jobs.wiring import arq_jobs, inline_jobs
from app.networks.router import router as networks_router
from app.sharing import service as sharing_service
from app.sharing.router import router as sharing_router
from app.tracking import bots
from app.tracking.projector import ClickProjector
from app.tracking.projector_process import METRICS_ENV
from app.tracking.recorder import ClickRecorder
from app.tracking.router import TrackedLinks, is_tracked_link
from app.tracking.router import router as tracking_router
from app.tracking.service import Targets
from app.tracking.visitors import Visitors
from app.web.docs import router as docs_router
from app.web.install import install as install_web
from app.webhooks.router import router as webhooks_router


class SecretKey:
    """The secret key, loaded once per process in its own transaction."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._value: str | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, _session: AsyncSession | None = None) -> str:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    async with self._db.transaction() as session:
                        self._value = await load_secret_key(session, self._settings)
        return self._value


class Chorus(FastAPI):
    """The app; tracked links are answered before the middleware stack (see TrackedLinks).

    The client address every part of the app sees (login limits, visitor hashes) is the
    connection's, or, from a trusted proxy (CONTRACT §1, §2), the rightmost X-Forwarded-For
    entry that is not itself a trusted proxy: uvicorn's ProxyHeadersMiddleware, applied here
    so that it holds however the app is served.

    In production, a request whose ``Host`` is not the base URL's nor loopback is refused
    first of all (see ``HostCheck``).
    """

    proxy_headers: ProxyHeadersMiddleware | None = None
    host_check: HostCheck | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxy_headers is not None:
            await self.proxy_headers(scope, receive, send)  # type: ignore[arg-type]
        else:
            await self.dispatch(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.host_check is not None and scope["type"] in ("http", "websocket")
                and not self.host_check.allows(scope)):
            await self.host_check.refuse(scope, receive, send)
            return
        if is_tracked_link(scope):
            await self.state.tracked_links(scope, send)
            return
        await super().__call__(scope, receive, send)


def served_app() -> FastAPI:
    """What ``chorus serve`` runs in each worker process: the app, logging as the command
    does (a worker process of ``--workers N`` starts afresh, without the parent's logging),
    beside the command's projector process."""
    logs.configure()
    return create_app(projector_metrics=os.environ.get(METRICS_ENV))


def create_app(settings: Settings | None = None, *, run_jobs: bool = True,
               projector_metrics: str | None = None) -> FastAPI:
    """The app. With ``projector_metrics``, a projector process runs beside it (``chorus
    serve``; its metrics are in that folder): the app projects only on demand. Without, the
    app projects the clicks it logs itself."""
    settings = settings or get_settings()
    db = Database(settings.database_url, tz=settings.tz)
    inline = inline_jobs(db, settings) if run_jobs else None
    scheduler = InProcessScheduler(inline, CRONS) if inline is not None else None
    metrics = HttpMetrics()
    projecting = projector_metrics is None
    if not projecting:
        MultiProcessCollector(metrics.registry, path=projector_metrics)
    # The on-demand projector of an app beside a projector process reports no lag: the
    # histogram is the projector process's.
    projector = ClickProjector(db, hooks=[gamification_service.award_clicks],
                               registry=metrics.registry if projecting else None)
    clicks = ClickRecorder(db, projector=projector if projecting else None)
    db.projector = projector

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # With Redis, jobs go to arq; `chorus worker` runs them and their crons.
        async with arq_jobs(db, settings) if run_jobs else nullcontext():
            async with _serving(_app):
                yield

    @asynccontextmanager
    async def _serving(_app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        bots.warm_up()  # the bot lists compile here, not during the first redirect
        warm_routes(_app.router.routes)  # and the routes here, not during the first request
        # What startup built lives as long as the process: out of the collector's sight, so
        # that a full collection (every few thousand objects kept) walks the requests' own
        # objects only. Walking everything held the loop, and every redirect, for 0.25 s.
        gc.collect()
        gc.freeze()
        if projecting:
            projector.start()  # clicks logged before a restart are projected now
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            if inline is not None:
                await inline.close()
            await clicks.close()
            await projector.close()
            await db.dispose()

    app = Chorus(
        title="Chorus", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None,
        description="Employee advocacy: share company content, count it honestly.",
        redirect_slashes=False,
    )
    app.router.default = SlashRedirect(app.router)
    app.state.settings = settings
    app.state.db = db
    app.state.secret_key = SecretKey(db, settings)
    app.state.login_throttle = LoginThrottle.create(settings.redis_url)
    app.state.site_limiter = make_limiter(settings.redis_url)
    app.state.visitors = Visitors(db)
    app.state.clicks = clicks
    app.state.projector = projector
    app.state.metrics = metrics
    app.state.tracked_links = TrackedLinks(
        recorder=clicks, visitors=app.state.visitors,
        targets=Targets(db, click_param=settings.click_param, claim=_claimer(db)),
        metrics=app.state.metrics)
    app.state.redis_ping = _redis_pinger(settings.redis_url)
    if settings.proxies:
        app.proxy_headers = ProxyHeadersMiddleware(app.dispatch,  # type: ignore[arg-type]
                                                   trusted_hosts=settings.proxies)
    if settings.env is Env.prod:
        app.host_check = HostCheck(settings.base_url)
    install_web(app)
    problems.install(app)
    app.add_middleware(AllowedMethods, router=app.router)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(content_router)
    app.include_router(media_router)
    app.include_router(sharing_router)
    app.include_router(gamification_router)
    app.include_router(conversions_router)
    app.include_router(analytics_router)
    app.include_router(okr_router)
    app.include_router(reports_router)
    app.include_router(jobs_router)
    app.include_router(digests_router)
    app.include_router(networks_router)
    app.include_router(feeds_router)
    app.include_router(webhooks_router)
    app.include_router(tracking_router)
    app.include_router(conversions_site_router)
    app.include_router(docs_router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _claimer(db: Database) -> Callable[[str], Awaitable[bool]]:
    async def claim(code: str) -> bool:
        async with db.transaction() as session:
            return await sharing_service.follow_reservation(session, code) is not None

    return claim


def _redis_pinger(url: str | None) -> Any:
    async def ping() -> None:
        if url is None:
            return
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return ping
