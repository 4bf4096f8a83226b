"""The base of every request body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


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


class Strict(BaseModel):
    """Unknown fields are refused, and so is text no database can store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check(data, ())
        return data
