"""Reading an RSS or Atom document into the entries that can become posts.

feedparser does the parsing (RSS 0.9x/1.0/2.0 and Atom, namespaces, relative links, dates,
HTML sanitising); this module decides what an entry gives a post: its link (an absolute
http(s) URL), a plain-text title and summary (markup stripped with a real HTML parser), an
image from ``media:content``, an image enclosure or ``media:thumbnail``, and the key that
identifies it across reads (its id, else its link).

A document that is not well-formed XML is refused as a whole, even where feedparser's
lenient parser recovers some entries: what it recovers from a broken document may be cut
short (a title without its end, an entry without its link), and posts go out under the
company's name. The next read after the publisher fixes the feed imports its entries.
"""

from __future__ import annotations

import calendar
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType
from pydantic import TypeAdapter, ValidationError
from selectolax.lexbor import LexborHTMLParser

from app.core.text import one_line
from app.core.types import HttpUrl

TITLE_CHARS = 500
SUMMARY_CHARS = 2_000
# Only what a post can hold (CONTRACT §3: absolute http(s) URLs of at most 2,048 characters).
_HTTP_URL: TypeAdapter[str] = TypeAdapter(HttpUrl)
# feedparser's notes that a document was read anyway: the charset it declared was wrong, or
# it was served with a non-XML type. Neither loses anything.
_HARMLESS = (CharacterEncodingOverride, NonXMLContentType)
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_BLOCKS = "p,br,div,li,dd,dt,tr,h1,h2,h3,h4,h5,h6,blockquote,pre,figure,figcaption,hr"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


class NotAFeed(ValueError):
    """The document gives no entries: not XML, not well-formed, or not RSS or Atom."""


@dataclass(frozen=True)
class Entry:
    key: str
    """SHA-256 of the entry's id, else of its link: the same entry on every read."""
    url: str
    title: str | None
    summary: str | None
    image_url: str | None
    when: datetime | None
    """When it was published (else updated), if the feed says."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: list[Entry]
    """Newest first, each key once."""
    unusable: int
    """Entries left out: no link that is an absolute http(s) URL."""


def http_url(value: object, base: str | None = None) -> str | None:
    """``value`` as an absolute http(s) URL a post can hold (resolved against ``base``), or
    None."""
    if not isinstance(value, str) or not value.strip():
        return None
    url = urljoin(base, value.strip()) if base else value.strip()
    try:
        return _HTTP_URL.validate_python(url)
    except ValidationError:
        return None


def plain_text(value: str, *, html: bool, limit: int) -> str | None:
    """Text without markup (entities decoded, blocks separated by a space), whitespace
    collapsed, cut to ``limit`` characters with an ellipsis."""
    if html:
        tree = LexborHTMLParser(value)
        tree.strip_tags(["script", "style", "template", "noscript"])
        for node in tree.css(_BLOCKS):
            node.insert_after(" ")
        value = tree.body.text(separator="") if tree.body is not None else ""
    return one_line(value, limit)


def _text(detail: Mapping[str, Any] | None, limit: int) -> str | None:
    if not detail or not isinstance(detail.get("value"), str):
        return None
    kind = str(detail.get("type") or "text/plain").lower()
    return plain_text(detail["value"], html=kind in _HTML_TYPES, limit=limit)


def _looks_like_image(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES)


def _image(entry: Mapping[str, Any], base: str) -> str | None:
    """The entry's picture: ``media:content`` that is an image, else an image enclosure,
    else ``media:thumbnail``."""
    candidates: list[str] = []
    for media in entry.get("media_content") or []:
        kind = str(media.get("type") or "").lower()
        medium = str(media.get("medium") or "").lower()
        url = media.get("url")
        if isinstance(url, str) and (kind.startswith("image/") or medium == "image" or (
                not kind and not medium and _looks_like_image(url))):
            candidates.append(url)
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type") or "").lower().startswith("image/"):
            candidates.append(enclosure.get("href"))
    candidates += [thumb.get("url") for thumb in entry.get("media_thumbnail") or []]
    return next((url for c in candidates if (url := http_url(c, base))), None)


def _when(entry: Mapping[str, Any]) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _entry(raw: Mapping[str, Any], base: str) -> Entry | None:
    url = http_url(raw.get("link"), base)
    if url is None:
        return None
    entry_id = raw.get("id")
    key = _key("id", entry_id.strip()) if isinstance(entry_id, str) and entry_id.strip() \
        else _key("url", url)
    summary = raw.get("summary_detail")
    if not summary and raw.get("content"):
        summary = raw["content"][0]
    return Entry(key=key, url=url, title=_text(raw.get("title_detail"), TITLE_CHARS),
                 summary=_text(summary, SUMMARY_CHARS), image_url=_image(raw, url),
                 when=_when(raw))


def _newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """By date, newest first; entries without one after, in the document's order (feeds
    list their newest first)."""
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(entries, key=lambda e: e.when or oldest, reverse=True)


def parse(body: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    """The feed in ``body``, fetched from ``url`` (relative links resolve against it).

    Raises ``NotAFeed`` saying why nothing can be taken from it.
    """
    if not body.strip():
        raise NotAFeed("the feed is empty")
    # A stream, never bytes or str: given those, feedparser may open a file or a URL.
    parsed = feedparser.parse(
        io.BytesIO(body), sanitize_html=True, resolve_relative_uris=True,
        response_headers={"content-location": url,
                          "content-type": content_type or "application/xml"})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and not isinstance(problem, _HARMLESS):
        raise NotAFeed(f"not well-formed XML: {problem}"[:500])
    if not parsed.get("version"):
        raise NotAFeed("not an RSS or Atom feed")
    found: dict[str, Entry] = {}
    unusable = 0
    for raw in parsed.get("entries") or []:
        entry = _entry(raw, url)
        if entry is None:
            unusable += 1
        else:
            found.setdefault(entry.key, entry)
    feed = parsed.get("feed") or {}
    return ParsedFeed(title=_text(feed.get("title_detail"), TITLE_CHARS),
                      entries=_newest_first(found.values()), unusable=unusable)
