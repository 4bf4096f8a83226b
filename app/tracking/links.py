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
from urllib.parse import quote_plus, unquote_plus, urlencode, urlsplit, urlunsplit

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
CODE_LENGTH = 8
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{7,32}$")
CLICK_ID_BYTES = 16  # 22 characters of [A-Za-z0-9_-]


def new_code() -> str:
    """8 random characters: 62⁸ ≈ 2·10¹⁴ codes, unguessable and never sequential."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class _ClickIds:
    """Click ids from the system's CSPRNG, read a few kilobytes at a time: one system
    call per 256 clicks instead of one per click on the hottest path."""

    CHUNK = 256

    def __init__(self) -> None:
        self._ids: list[str] = []

    def next(self) -> str:
        while not self._ids:
            pool = secrets.token_bytes(CLICK_ID_BYTES * self.CHUNK)
            encoded = (base64.urlsafe_b64encode(pool[i:i + CLICK_ID_BYTES]).rstrip(b"=")
                       .decode() for i in range(0, len(pool), CLICK_ID_BYTES))
            # It starts with a letter or digit, so no spreadsheet reads it as a formula and
            # no exporter has to escape it.
            self._ids = [click_id for click_id in encoded if click_id[0].isalnum()]
        return self._ids.pop()


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
