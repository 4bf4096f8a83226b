"""Building a tracked link's redirect target (CONTRACT §4).

The target is the stored post URL with the UTM parameters and the click id added. The
post URL's own query is kept byte for byte (re-encoding it could change what the site
receives); a ``utm_*`` the marketer wrote wins over ours; no parameter appears twice.
Nothing from the request ever reaches the target.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
CODE_LENGTH = 8
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{7,32}$")
CLICK_ID_BYTES = 16  # 22 characters of [A-Za-z0-9_-]


def new_code() -> str:
    """8 random characters: 62⁸ ≈ 2·10¹⁴ codes, unguessable and never sequential."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_click_id() -> str:
    """Random and unguessable; it starts with a letter or digit, so no spreadsheet reads it
    as a formula and no exporter has to escape it."""
    while True:
        click_id = secrets.token_urlsafe(CLICK_ID_BYTES)
        if click_id[0].isalnum():
            return click_id


def _key(pair: str) -> str:
    return unquote_plus(pair.split("=", 1)[0])


def redirect_target(post_url: str, *, network: str, campaign: str | None, code: str,
                    click_param: str, click_id: str) -> str:
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
    added.append((click_param, click_id))
    query = "&".join([*pairs, urlencode(added)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
