"""Plug the web pages into the app: static files, the pages' routers and their middleware.

A page area (``/app``, ``/console``, ``/dashboard``) is a module with a
``router = page_router()``; add its router to ``PAGE_ROUTERS``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.web import assets, pwa, signin
from app.web.advocate.router import router as advocate_router
from app.web.console.router import router as console_router
from app.web.dashboard.router import router as dashboard_router
from app.web.error_pages import HtmlNotFound
from app.web.security import SecurityHeaders

PAGE_ROUTERS: tuple[APIRouter, ...] = (
    signin.router,
    advocate_router,
    console_router,
    dashboard_router,
)


def install(app: FastAPI) -> None:
    app.state.assets = assets.load()
    app.include_router(assets.router)
    app.include_router(pwa.router)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.add_middleware(HtmlNotFound)
    app.add_middleware(SecurityHeaders)  # outside HtmlNotFound: its 404 page gets them too
