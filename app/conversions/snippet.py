"""The browser snippet ``/t.js`` and the origin checks of ``/t/conversions``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from fastapi import Response

from app.core.errors import ChorusError
from app.core.problems import problem_response

CORS_MAX_AGE = "600"


@lru_cache
def script(click_param: str) -> str:
    source = resources.files("app.conversions").joinpath("static/t.js").read_text("utf-8")
    return source.replace("__CLICK_PARAM__", json.dumps(click_param))


def script_response(click_param: str) -> Response:
    return Response(script(click_param), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


def cors_headers(origin: str) -> dict[str, str]:
    """CORS for one registered origin; credentials are never allowed."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(origin: str | None, allowed: bool) -> Response:
    if not origin or not allowed:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(status_code=204, headers={
        **cors_headers(origin), "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": CORS_MAX_AGE,
    })


def error_response(error: ChorusError, origin: str | None) -> Response:
    headers = {**error.headers, **(cors_headers(origin) if origin else {})}
    return problem_response(error.status, error.detail, title=error.title,
                            type_slug=error.type_slug, errors=error.errors, headers=headers)
