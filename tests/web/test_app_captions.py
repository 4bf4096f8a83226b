"""The advocate's own caption as /app reads and checks it (app/web/advocate/captions.py)
before anything is shared, and what X would count of it."""

from __future__ import annotations

import pytest

from app.sharing.policy import SharingSettings
from app.web.advocate.captions import CaptionProblem, own_words, problem_with, x_room

SETTINGS = SharingSettings(disclosure="#team", blocked_words=["Secret", "ความลับ"])


@pytest.mark.parametrize(("typed", "expected"), [
    (None, None),
    ("", None),
    ("   \n ", None),
    ("The post's words", None),
    ("  The post's words  ", None),
    ("The post's words #team", None),  # the disclosure the page showed is not theirs
    ("My words", "My words"),
    ("  My words #team  ", "My words"),
])
def test_own_words_are_what_differs_from_the_posts(typed: str | None,
                                                   expected: str | None) -> None:
    assert own_words(typed, corporate="The post's words", disclosure="#team") == expected


@pytest.mark.parametrize(("words", "locked", "expected"), [
    (None, True, None),
    ("Fine words", False, None),
    ("Our SECRET plan", False, CaptionProblem("blocked", "Secret")),
    ("แผนความลับของเรา", False, CaptionProblem("blocked", "ความลับ")),
    ("Fine words", True, CaptionProblem("locked")),
    ("x" * 3001, False, CaptionProblem("too_long")),
    ("x" * 3000, False, None),
    ("nul\x00here", False, CaptionProblem("unreadable")),
])
def test_what_stops_a_caption(words: str | None, locked: bool,
                              expected: CaptionProblem | None) -> None:
    assert problem_with(words, locked=locked, settings=SETTINGS) == expected


def test_x_counts_the_disclosure_and_the_link() -> None:
    # "Hello #team" is 11 characters, the link 23 and a space before it: 35 of 280.
    assert x_room("Hello", "#team") == 280 - 35
    assert x_room("y" * 300, "") == 280 - 324
