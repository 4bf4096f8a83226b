"""JSON bodies mean what JSON says: a boolean is ``true`` or ``false``, an integer is a number,
a date or a time is an ISO 8601 string. Pydantic's lax mode would take ``0``, ``"true"``,
``"5"`` or a count of seconds; every request body refuses them, field by field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.conversions.schemas import ConversionCreate
from app.core.schemas import Strict
from tests.builders import Api, Role
from tests.routes import iter_api_routes

Loc = tuple[str | int, ...]

WRONG: dict[str, tuple[Any, ...]] = {
    "boolean": (0, 1, 1.0, "true", "false", "1", "yes"),
    "integer": ("5", True),
    "date": (0, 20240101, 1.5),
    "date-time": (0, 1700000000, 1.7e9),
}
RIGHT: dict[str, Any] = {
    "boolean": True, "integer": 5, "date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z",
}
TYPE_ERRORS = {"bool_type", "int_type", "date_type", "datetime_type"}


def _subclasses(cls: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def body_models(app: FastAPI) -> list[type[BaseModel]]:
    """Every request body of the app's routes, and every ``Strict`` model (bodies read by
    hand, such as the browser snippet's conversion, and the models nested in bodies)."""
    models = {cls for cls in _subclasses(Strict) if cls.__module__.startswith("app.")}
    for _, route in iter_api_routes(app):
        kind = route.body_field.field_info.annotation if route.body_field else None
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            models.add(kind)
    return sorted(models, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def typed_fields(schema: dict[str, Any], defs: dict[str, Any],
                 loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Where a JSON Schema wants a boolean, an integer, a date or a date-time."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for alternative in schema.get("anyOf", ()):
        yield from typed_fields(alternative, defs, loc)
    kind = schema.get("type")
    if kind in ("boolean", "integer"):
        yield loc, kind
    elif kind == "string" and schema.get("format") in ("date", "date-time"):
        yield loc, schema["format"]
    elif kind == "array" and isinstance(schema.get("items"), dict):
        yield from typed_fields(schema["items"], defs, (*loc, 0))
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            yield from typed_fields(sub, defs, (*loc, name))
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            names = schema.get("propertyNames", {})
            if "$ref" in names:
                names = defs[names["$ref"].rsplit("/", 1)[-1]]
            yield from typed_fields(values, defs, (*loc, names.get("enum", ["key"])[0]))


def _placed(loc: Loc, value: Any) -> Any:
    """``value`` at ``loc`` inside otherwise empty objects and lists."""
    for part in reversed(loc):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def _errors(model: type[BaseModel], data: Any) -> list[dict[str, Any]]:
    try:
        # As FastAPI validates a body: the parsed JSON, in Python mode.
        TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        return [dict(error) for error in exc.errors()]
    return []


def cases(app: FastAPI) -> list[tuple[type[BaseModel], Loc, str]]:
    found = []
    for model in body_models(app):
        schema = model.model_json_schema()
        found += [(model, loc, kind)
                  for loc, kind in typed_fields(schema, schema.get("$defs", {}))]
    return found


def test_every_kind_of_typed_field_is_found(app: FastAPI) -> None:
    """The walk reaches booleans, integers, dates and times, nested ones included."""
    found = {(model.__name__, loc): kind for model, loc, kind in cases(app)}
    assert found[("MeUpdate", ("leaderboard_opt_out",))] == "boolean"
    assert found[("MeUpdate", ("follower_counts", "linkedin"))] == "integer"
    assert found[("PostCreate", ("publish_at",))] == "date-time"
    assert found[("PilotCreate", ("starts_on",))] == "date"
    assert found[("PilotCreate", ("baseline", "paid_visits"))] == "integer"
    assert found[("ConversionCreate", ("occurred_at",))] == "date-time"


def test_lax_values_are_refused_in_every_body(app: FastAPI) -> None:
    accepted = []
    for model, loc, kind in cases(app):
        for value in WRONG[kind]:
            errors = _errors(model, _placed(loc, value))
            if not any(err["type"] in TYPE_ERRORS and 0 < len(err["loc"]) <= len(loc)
                       and tuple(err["loc"]) == loc[:len(err["loc"])] for err in errors):
                accepted.append(f"{model.__name__}.{'.'.join(map(str, loc))} = {value!r}")
        right = _errors(model, _placed(loc, RIGHT[kind]))
        assert not [err for err in right if tuple(err["loc"]) == loc], (model, loc, right)
    assert not accepted, f"taken for a {', '.join(accepted)}"


def test_a_conversion_value_is_still_a_string_or_a_number() -> None:
    for value in ("49.90", 49.9, 50):
        model = ConversionCreate.model_validate(
            {"type": "signup", "external_id": "crm-1", "value": value, "currency": "EUR"})
        assert model.value is not None


@pytest.mark.parametrize(("body", "status"), [
    ({"leaderboard_opt_out": 0}, 422), ({"leaderboard_opt_out": "true"}, 422),
    ({"reminders_opt_out": 1}, 422), ({"follower_counts": {"linkedin": "120"}}, 422),
    ({"leaderboard_opt_out": True, "follower_counts": {"linkedin": 120}}, 200),
])
async def test_the_api_answers_422_naming_the_field(api: Api, body: dict[str, Any],
                                                    status: int) -> None:
    headers = await api.headers(Role.advocate)
    response = await api.client.patch("/api/v1/me", headers=headers, json=body)
    assert response.status_code == status, response.text
    if status == 422:
        assert response.headers["content-type"] == "application/problem+json"
        assert [err["loc"] for err in response.json()["errors"]] == [["body", *body]]
