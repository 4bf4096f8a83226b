"""The post form: what the marketer typed, and the API's ``PostCreate``/``PostUpdate`` from it.

The form's times are the organisation's wall-clock time (``CHORUS_TIMEZONE``), as a
``datetime-local`` input gives them; the API's are UTC instants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from app.content.schemas import PostRead
from app.models.enums import PostStatus
from app.web.console.field_errors import (
    EXPIRES_FIRST,
    NOT_A_TIME,
    REQUIRED,
    FieldError,
    FieldErrors,
)

NETWORKS = ("default", "linkedin", "x", "facebook")
X_LIMIT = 280
FROZEN_WHEN_PUBLISHED = frozenset({"category", "topic_ids", "publish_at"})
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def to_local(value: datetime | None, tz: ZoneInfo) -> str:
    """A UTC instant as the value of a ``datetime-local`` input in the organisation's zone."""
    return value.astimezone(tz).strftime(_LOCAL_FORMAT) if value is not None else ""


def parse_local(text: str, tz: ZoneInfo) -> datetime | None:
    """``2026-12-01T09:00`` (or with a space, or seconds) in ``tz`` as a UTC instant; an
    explicit offset is honoured. Empty is None; anything else is ``ValueError``."""
    text = text.strip()
    if not text:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@dataclass
class PostFields:
    """The form's fields as shown: text as typed, so a refused form comes back as it was."""

    url: str = ""
    title: str = ""
    summary: str = ""
    image_url: str = ""
    captions: dict[str, str] = field(default_factory=lambda: dict.fromkeys(NETWORKS, ""))
    topic_ids: list[str] = field(default_factory=list)
    category: str = ""
    publish_at: str = ""
    expires_at: str = ""
    campaign: str = ""
    lock_caption: bool = False
    sent: frozenset[str] = frozenset()  # the fields the browser sent (disabled ones are not)

    @classmethod
    def of_post(cls, post: PostRead, tz: ZoneInfo) -> PostFields:
        captions = post.captions.model_dump()
        return cls(
            url=post.url, title=post.title or "", summary=post.summary or "",
            image_url=post.image_url or "",
            captions={n: captions.get(n) or "" for n in NETWORKS},
            topic_ids=list(post.topic_ids), category=post.category or "",
            publish_at=to_local(post.publish_at, tz), expires_at=to_local(post.expires_at, tz),
            campaign=post.campaign or "", lock_caption=post.lock_caption,
        )

    @classmethod
    def of_form(cls, form: FormData) -> PostFields:
        return cls(
            url=_text(form, "url").strip(), title=_text(form, "title").strip(),
            summary=_text(form, "summary").strip(), image_url=_text(form, "image_url").strip(),
            captions={n: _text(form, f"caption_{n}").strip() for n in NETWORKS},
            topic_ids=[t for t in form.getlist("topic_ids") if isinstance(t, str) and t],
            category=_text(form, "category"), publish_at=_text(form, "publish_at"),
            expires_at=_text(form, "expires_at"), campaign=_text(form, "campaign").strip(),
            lock_caption=_text(form, "lock_caption") == "on",
            sent=frozenset(str(k) for k in form),
        )


@dataclass
class Parsed:
    """The API body (``PostCreate``/``PostUpdate`` fields) and what the form got wrong first."""

    data: dict[str, Any]
    errors: FieldErrors


def _optional(text: str) -> str | None:
    return text or None


def parse(fields: PostFields, tz: ZoneInfo, *, current: PostRead | None = None) -> Parsed:
    """The body for ``PostCreate`` (no ``current``) or ``PostUpdate`` of ``current``.

    Checks only what the form itself makes (blank required text, unreadable times, an
    expiry before the publish time); the rest is the API models' and the service's to say.
    Editing a published post sends a frozen field only when it was sent and changed, so
    the service's refusal names what the marketer actually tried to change.
    """
    errors: FieldErrors = {}
    data: dict[str, Any] = {
        "url": fields.url, "title": _optional(fields.title),
        "summary": _optional(fields.summary), "image_url": _optional(fields.image_url),
        "captions": {n: (fields.captions[n] if n == "default" else
                         _optional(fields.captions[n])) for n in NETWORKS},
        "lock_caption": fields.lock_caption, "campaign": _optional(fields.campaign),
        "topic_ids": fields.topic_ids,
    }
    for name, value in (("url", fields.url), ("captions.default", fields.captions["default"])):
        if not value:
            errors[name] = FieldError(REQUIRED[name])
    times: dict[str, datetime | None] = {}
    for name in ("publish_at", "expires_at"):
        text = getattr(fields, name)
        if current is not None and text == to_local(getattr(current, name), tz):
            times[name] = getattr(current, name)  # unchanged (the form shows minutes only)
            continue
        try:
            times[name] = data[name] = parse_local(text, tz)
        except ValueError:
            errors[name] = FieldError(NOT_A_TIME)
    if current is None or current.category is not None:
        if fields.category:
            data["category"] = fields.category
        elif current is None:
            errors["category"] = FieldError(REQUIRED["category"])
    if current is not None and current.status == PostStatus.published:
        _keep_frozen(data, fields, current)
    publish_at, expires_at = times.get("publish_at"), times.get("expires_at")
    if publish_at is not None and expires_at is not None and expires_at <= publish_at:
        errors.setdefault("expires_at", FieldError(EXPIRES_FIRST))
    return Parsed(data, errors)


def _keep_frozen(data: dict[str, Any], fields: PostFields, current: PostRead) -> None:
    """Drop the frozen fields that were not sent (disabled inputs) or not changed."""
    if "category" not in fields.sent or fields.category == current.category:
        data.pop("category", None)
    if "topic_ids" not in fields.sent or sorted(fields.topic_ids) == sorted(current.topic_ids):
        data.pop("topic_ids", None)
    if "publish_at" not in fields.sent:
        data.pop("publish_at", None)
