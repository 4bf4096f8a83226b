"""The advocate's own caption, checked before anything is shared (CONTRACT §3).

The rules are the sharing policy's (:mod:`app.sharing.policy`): they are applied again by
``share()``; checking here first lets the page name what to fix (the blocked word, the locked
post) in the reader's language, and never start a share that would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.schemas import storable
from app.sharing import policy
from app.sharing.policy import SharingSettings

MAX_CAPTION = 3000  # the API's limit (ShareCreate.caption)
X_LIMIT = 280
# X counts every link as 23 characters (t.co), and the intent puts a space before it.
X_LINK = 23 + 1

ProblemKind = Literal["blocked", "locked", "too_long", "unreadable"]


@dataclass(frozen=True)
class CaptionProblem:
    kind: ProblemKind
    word: str | None = None


def own_words(raw: str | None, *, corporate: str, disclosure: str) -> str | None:
    """The advocate's own caption, or None when they kept the post's (nothing typed, only
    blanks, or the same words; the disclosure, if they left it on, is not part of them)."""
    if raw is None:
        return None
    words = policy.without_disclosure(raw, disclosure).strip()
    if not words or words == corporate.strip():
        return None
    return words


def problem_with(words: str | None, *, locked: bool,
                 settings: SharingSettings) -> CaptionProblem | None:
    """What stops ``words`` (from :func:`own_words`) from being shared, if anything."""
    if words is None:
        return None
    if not storable(words):
        return CaptionProblem("unreadable")
    if len(words) > MAX_CAPTION:
        return CaptionProblem("too_long")
    if locked:
        return CaptionProblem("locked")
    word = policy.blocked_word_in(words, settings.blocked_words)
    if word is not None:
        return CaptionProblem("blocked", word)
    return None


def x_room(text: str, disclosure: str) -> int:
    """Characters left on X for ``text`` with the disclosure and the link (negative: over)."""
    return X_LIMIT - len(policy.with_disclosure(text, disclosure)) - X_LINK
