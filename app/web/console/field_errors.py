"""What to say next to a form field that was not accepted.

The API's rules are Pydantic models and domain errors whose ``loc`` names the field; the
console maps each ``loc`` to its field and says, in the page's language, how to fix it.
Messages are English gettext ids (``N_``) with parameters, translated where they are shown:
``{{ _(error.text, **error.params) }}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.core.errors import ChorusError
from app.web.i18n import N_


@dataclass(frozen=True)
class FieldError:
    text: str
    params: Mapping[str, object] = field(default_factory=dict)


FieldErrors = dict[str, FieldError]
FORM = "form"  # an error about the form as a whole, shown above it

REQUIRED = {
    "url": N_("Enter the link to share."),
    "captions.default": N_("Write a default caption: networks without a caption of their "
                           "own use it."),
    "category": N_("Choose a category."),
    "reason": N_("Give a reason: the person who suggested the link will see it."),
}
ADDRESS = N_("Enter a full address that starts with https:// or http://.")
TOO_LONG = N_("At most %(max)s characters: this has %(count)s.")
UNKNOWN_TOPIC = N_("A chosen topic no longer exists: choose the topics again.")
TOO_MANY = N_("Choose at most %(max)s.")
NOT_A_TIME = N_("Enter a date and time, for example 2026-12-01 09:00.")
EXPIRES_FIRST = N_("The expiry must be after the publish time.")
NOT_ACCEPTED = N_("This value is not accepted: check it and try again.")
_ADDRESSES = {"url", "image_url"}


def field_name(loc: Sequence[object]) -> str:
    """``("body", "captions", "x")`` → ``captions.x``; list indexes are dropped (a topic
    is one field of checkboxes)."""
    parts = [str(p) for p in loc if isinstance(p, str) and p != "body"]
    return ".".join(parts) or FORM


def _message(name: str, kind: str, ctx: Mapping[str, Any], value: object) -> FieldError:
    if kind == "missing" and name in REQUIRED:
        return FieldError(REQUIRED[name])
    if kind == "string_too_long":
        count = len(value) if isinstance(value, str) else ctx.get("max_length", 0)
        return FieldError(TOO_LONG, {"max": ctx.get("max_length", 0), "count": count})
    if kind in ("too_long", "list_too_long"):
        return FieldError(TOO_MANY, {"max": ctx.get("max_length", 0)})
    if name in _ADDRESSES:
        return FieldError(ADDRESS)
    if name == "topic_ids":
        return FieldError(UNKNOWN_TOPIC)
    return FieldError(NOT_ACCEPTED)


def _collect(entries: Iterable[Mapping[str, Any]], prefix: Sequence[str] = ()) -> FieldErrors:
    found: FieldErrors = {}
    for entry in entries:
        name = field_name([*prefix, *entry.get("loc", ())])
        found.setdefault(name, _message(name, str(entry.get("type", "")),
                                        entry.get("ctx") or {}, entry.get("input")))
    return found


def from_validation(exc: ValidationError, prefix: Sequence[str] = ()) -> FieldErrors:
    """A Pydantic model's refusal, field by field (the first problem of each field)."""
    return _collect(exc.errors(include_url=False), prefix)


def from_domain(exc: ChorusError) -> FieldErrors:
    """A service's 422 (``Invalid``): its ``errors`` name the fields; unknown ids in a list
    are the only kind a console form can cause (a topic deleted meanwhile)."""
    entries = [{"loc": e.get("loc", ()), "type": "domain"} for e in exc.errors or []]
    return _collect(entries) or {FORM: FieldError(NOT_ACCEPTED)}
