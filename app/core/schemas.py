"""The base of every request body."""

from __future__ import annotations

from datetime import date, datetime
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

_DATETIMES = (datetime, AwareDatetime, NaiveDatetime)


def storable(text: str) -> bool:
    """Text a database can store: no NUL (PostgreSQL refuses it) and valid UTF-8 (no lone
    surrogates, which JSON's \\ud800 escapes can smuggle in)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(value: Any, loc: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        if not storable(value):
            where = ".".join(str(p) for p in loc) or "body"
            raise ValueError(f"{where} holds a NUL character or invalid Unicode")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, loc)
            _check(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, (*loc, index))


def _bare(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` and ``... | None``; other unions as they are."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            types = [arg for arg in get_args(annotation) if arg is not NoneType]
            if len(types) != 1:
                return annotation
            annotation = types[0]
        else:
            return annotation


def _json_misfit(annotation: Any, value: Any) -> PydanticCustomError | None:
    """Why a JSON value cannot stand for this type, where Pydantic's lax mode would convert
    it: booleans are only true and false, integers only numbers, dates and times only
    strings (a number of seconds is not a time)."""
    kind = _bare(annotation)
    if kind is bool and not isinstance(value, bool):
        return PydanticCustomError("bool_type", "Input should be true or false")
    if kind is int and isinstance(value, bool | str):
        return PydanticCustomError("int_type", "Input should be a JSON integer")
    if kind in _DATETIMES and isinstance(value, int | float):
        return PydanticCustomError(
            "datetime_type", "Input should be an ISO 8601 date and time string")
    if kind is date and isinstance(value, int | float):
        return PydanticCustomError("date_type", "Input should be a date string, YYYY-MM-DD")
    origin, args = get_origin(kind), get_args(kind)
    items: list[Any] = []
    if origin is list and isinstance(value, list):
        items = value
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        items, args = list(value.values()), args[1:]
    for item in items:
        misfit = _json_misfit(args[0], item)
        if misfit is not None:
            return misfit
    return None


class Strict(BaseModel):
    """Unknown fields are refused, and so is text no database can store, and JSON values
    of the wrong kind that Pydantic would convert (``0`` or ``"true"`` for a boolean, a
    number for a date or a time, a string for an integer)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check(data, ())
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _json_kind(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or info.field_name is None:
            return value
        misfit = _json_misfit(cls.model_fields[info.field_name].annotation, value)
        if misfit is not None:
            raise misfit
        return value
