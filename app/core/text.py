"""Text a page or a post shows on one line."""

from __future__ import annotations


def one_line(value: str | None, limit: int) -> str | None:
    """``value`` with its whitespace collapsed, cut to ``limit`` characters with an
    ellipsis; None when nothing is left."""
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value or None
