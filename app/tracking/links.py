"""Building a tracked link's redirect target (CONTRACT §4).

The target is the stored post URL with the UTM parameters and the click id added. The
post URL's own query is kept byte for byte (re-encoding it could change what the site
receives); a ``utm_*`` the marketer wrote wins over ours; no parameter appears twice.
Nothing from the request ever reaches the target.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from urllib.parse import quote_plus, unquote_plus, urlencode, urlsplit, urlunsplit

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
CODE_LENGTH = 8
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{7,32}$")
CLICK_ID_BYTES = 16  # the random part: 22 characters of [A-Za-z0-9_-]


def new_code() -> str:
    """8 random characters: 62⁸ ≈ 2·10¹⁴ codes, unguessable and never sequential."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# base64's 64 characters in ASCII order, so that the encoded time sorts as the time does.
_SORTED_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CLICK_ID_MARK = "c"  # ids start with a letter: no spreadsheet reads one as a formula


def _time_prefix(milliseconds: int) -> str:
    return _CLICK_ID_MARK + "".join(_SORTED_ALPHABET[(milliseconds >> shift) & 63]
                                    for shift in range(42, -1, -6))


class _ClickIds:
    """Click ids: the millisecond they were made (8 characters that sort as time does),
    then 16 bytes from the system's CSPRNG (22 characters), read a few kilobytes at a time
    (one system call per 256 clicks on the hottest path). Ids made one after the other sort
    together, so the unique indexes that hold them (the clicks', the points ledger's) grow
    at one end instead of on a random page each: a batch of clicks rewrites a few pages of
    each, not hundreds. The random part keeps them unguessable."""

    CHUNK = 256

    def __init__(self) -> None:
        self._random: list[str] = []
        self._millisecond = -1
        self._prefix = ""

    def next(self) -> str:
        milliseconds = time.time_ns() // 1_000_000
        if milliseconds != self._millisecond:
            self._millisecond, self._prefix = milliseconds, _time_prefix(milliseconds)
        if not self._random:
            pool = secrets.token_bytes(CLICK_ID_BYTES * self.CHUNK)
            self._random = [base64.urlsafe_b64encode(pool[i:i + CLICK_ID_BYTES]).rstrip(b"=")
                            .decode() for i in range(0, len(pool), CLICK_ID_BYTES)]
        return self._prefix + self._random.pop()


new_click_id = _ClickIds().next


def _key(pair: str) -> str:
    return unquote_plus(pair.split("=", 1)[0])


def redirect_parts(post_url: str, *, network: str, campaign: str | None, code: str,
                   click_param: str) -> tuple[str, str]:
    """The target split around its click id: ``prefix + click_id + suffix``. Everything but
    the click id depends only on the share, so a busy link builds it once."""
    parts = urlsplit(post_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("a tracked link only ever redirects to an http(s) post URL")
    pairs = [p for p in parts.query.split("&") if p]
    # Our click id is authoritative: a click parameter already in the URL is replaced.
    pairs = [p for p in pairs if _key(p) != click_param]
    present = {_key(p) for p in pairs}
    defaults = {
        "utm_source": network,
        "utm_medium": "employee_advocacy",
        "utm_campaign": campaign,
        "utm_content": code,
    }
    added = [(k, v) for k, v in defaults.items() if v and k not in present]
    query = "&".join([*pairs, urlencode([*added, (click_param, "")])])
    prefix = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return prefix, f"#{parts.fragment}" if parts.fragment else ""


def redirect_target(post_url: str, *, network: str, campaign: str | None, code: str,
                    click_param: str, click_id: str) -> str:
    prefix, suffix = redirect_parts(post_url, network=network, campaign=campaign, code=code,
                                    click_param=click_param)
    return f"{prefix}{quote_plus(click_id)}{suffix}"
