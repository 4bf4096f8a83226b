"""RFC 9457 problem+json for every error path: domain errors, validation, routing, crashes."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import ChorusError

log = logging.getLogger("chorus.errors")

PROBLEM_JSON = "application/problem+json"
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)


class ProblemItem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is: body, query, path, row…")
    msg: str


class Problem(BaseModel):
    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None


def problem_response(status: int, detail: str, *, title: str | None = None,
                     type_slug: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://chorus.dev/problems/{type_slug or phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _jsonable_loc(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _chorus_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ChorusError)
    return problem_response(exc.status, exc.detail, title=exc.title, type_slug=exc.type_slug,
                            errors=exc.errors, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": _jsonable_loc(err.get("loc", ())), "msg": str(err.get("msg", ""))}
              for err in exc.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem_response(422, detail, title="Invalid input", type_slug="invalid",
                            errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No resource at this address."
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "The server failed to handle this request.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ChorusError, _chorus_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _crash)


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """Declare problem+json error responses on every operation of the OpenAPI document."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for defs_name, defs in schemas["Problem"].pop("$defs", {}).items():
        schemas.setdefault(defs_name, defs)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's own shape; ours is the problem below
            for status in ERROR_STATUSES:
                responses.setdefault(str(status), {
                    "description": HTTPStatus(status).phrase,
                    "content": {PROBLEM_JSON: {"schema": ref}},
                })
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return openapi
