from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    marketer = "marketer"
    manager = "manager"
    advocate = "advocate"


class Category(StrEnum):
    curated = "curated"
    owned = "owned"
    promotional = "promotional"


class PostStatus(StrEnum):
    suggested = "suggested"
    queued = "queued"
    rejected = "rejected"
    published = "published"
    archived = "archived"


class Network(StrEnum):
    linkedin = "linkedin"
    x = "x"
    facebook = "facebook"
    whatsapp = "whatsapp"
    email = "email"
    copy = "copy"
    native = "native"


class Language(StrEnum):
    """The languages the pages are written in (gettext catalogs under app/web)."""

    en = "en"
    th = "th"
