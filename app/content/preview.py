"""Link previews (``fetch_preview``, CONTRACT §9): a post's title, summary and image filled
from its page's Open Graph tags, Twitter card or ``<title>``, when the marketer left them
empty.

The page is fetched through the SSRF-safe fetcher (public addresses only, 5 s, at most 5
redirects each re-checked, the first 2 MB: metadata lives in the head) and parsed with a real
HTML parser (selectolax's Lexbor), never with regular expressions. Only ``text/html`` (and
XHTML) is parsed; a link straight to an image becomes the post's image.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.fetch import Fetched, FetchError, FetchFailed, NameNotResolved, fetch
from app.core.text import one_line
from app.jobs.queue import enqueue_after_commit
from app.jobs.spec import JobContext, RetryLater
from app.models import Post

log = logging.getLogger("chorus.preview")

FIELDS = ("title", "summary", "image_url")
MAX_BYTES = 2_000_000
TIMEOUT = 5.0
MAX_REDIRECTS = 5
_TITLE_CHARS = 500
_SUMMARY_CHARS = 2_000
_URL_CHARS = 2_048
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
RETRIES = 3
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Preview:
    title: str | None = None
    summary: str | None = None
    image_url: str | None = None

    def get(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value


def _absolute_http(base: str, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    url = urljoin(base, value.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > _URL_CHARS:
        return None
    return url


def decode(body: bytes, content_type: str | None) -> str:
    """The page's text: the charset the server names, else the page's own ``<meta>``, else
    UTF-8 (undecodable bytes replaced rather than refused)."""
    candidates: list[str] = []
    if content_type and "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=", 1)[1].split(";")[0]
                          .strip(" \"'"))
    found = _CHARSET.search(body[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, errors="replace")
    return body.decode("utf-8", errors="replace")


def parse(html: str, page_url: str) -> Preview:
    """Title, summary and image of a page: Open Graph first, then the Twitter card, then
    ``<title>`` and ``<meta name="description">``."""
    tree = LexborHTMLParser(html)
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attributes = node.attributes
        key = (attributes.get("property") or attributes.get("name") or "").strip().lower()
        content = attributes.get("content")
        if key and content is not None and key not in meta:
            meta[key] = content

    def first(*keys: str) -> str | None:
        return next((meta[k] for k in keys if meta.get(k, "").strip()), None)

    title_node = tree.css_first("title")
    title = first("og:title", "twitter:title") or (title_node.text() if title_node else None)
    image = _absolute_http(page_url, first("og:image:secure_url", "og:image", "og:image:url",
                                           "twitter:image", "twitter:image:src"))
    return Preview(title=one_line(title, _TITLE_CHARS),
                   summary=one_line(first("og:description", "twitter:description", "description"),
                                 _SUMMARY_CHARS),
                   image_url=image)


def preview_of(fetched: Fetched) -> Preview:
    """What a fetched answer gives; raises ``ValueError`` saying why it gives nothing."""
    if not 200 <= fetched.status < 300:
        raise ValueError(f"the page answered HTTP {fetched.status}")
    kind = fetched.content_type
    if kind is not None and kind.startswith("image/"):
        return Preview(image_url=_absolute_http(fetched.url, fetched.url))
    if kind not in _HTML_TYPES:
        raise ValueError(f"not an HTML page ({kind or 'no content type'})")
    return parse(decode(fetched.body, fetched.headers.get("content-type")), fetched.url)


def missing(post: Post) -> list[str]:
    return [name for name in FIELDS if not getattr(post, name)]


def request_preview(session: AsyncSession, post: Post) -> None:
    """Ask for a preview of ``post`` if it lacks a title, summary or image (after commit)."""
    if not missing(post):
        post.preview_state = None
        return
    post.preview_state = "pending"
    post.preview_error = None
    enqueue_after_commit(session, "fetch_preview", post.id)


def url_changed(post: Post, explicit: set[str]) -> None:
    """The post has a new URL: what the old page's preview filled goes (unless this change
    sets it), so that the new page's preview replaces it."""
    for name in post.preview_fields or []:
        if name not in explicit:
            setattr(post, name, None)
    post.preview_fields = None


async def fetch_preview(ctx: JobContext, post_id: str) -> dict[str, object]:
    """``fetch_preview``: fill what the post lacks from its page; idempotent."""
    async with ctx.db.transaction() as session:
        post = await session.get(Post, post_id)
        if post is None or post.preview_state != "pending":
            return {"skipped": True}
        url = post.url
    error: str | None = None
    preview = Preview()
    try:
        fetched = await fetch(url, max_bytes=MAX_BYTES, timeout=TIMEOUT,
                              max_redirects=MAX_REDIRECTS, truncate=True,
                              allow_private=ctx.settings.allow_private_webhooks,
                              accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
        if fetched.status >= 500 and ctx.attempt < RETRIES:
            raise RetryLater(RETRY_SECONDS * ctx.attempt,
                             f"the page answered HTTP {fetched.status}")
        preview = preview_of(fetched)
    except NameNotResolved as exc:
        error = exc.reason
    except FetchFailed as exc:
        if ctx.attempt < RETRIES:
            raise RetryLater(RETRY_SECONDS * ctx.attempt, exc.reason) from exc
        error = exc.reason
    except FetchError as exc:
        error = exc.reason
    except ValueError as exc:
        error = str(exc)
    return await _store(ctx, post_id, url, preview, error)


async def _store(ctx: JobContext, post_id: str, url: str, preview: Preview,
                 error: str | None) -> dict[str, object]:
    async with ctx.db.transaction() as session:
        post = await session.scalar(select(Post).where(Post.id == post_id).with_for_update())
        # The URL changed while we fetched: that change asked for its own preview.
        if post is None or post.url != url or post.preview_state != "pending":
            return {"skipped": True}
        filled = [name for name in missing(post) if preview.get(name)]
        for name in filled:
            setattr(post, name, preview.get(name))
        post.preview_fields = sorted({*(post.preview_fields or []), *filled}) or None
        post.preview_state = "failed" if error and not filled else "done"
        post.preview_error = error
        post.previewed_at = utcnow()
    if error:
        log.info("no link preview", extra={"post_id": post_id, "reason": error})
    return {"filled": filled, "error": error}


async def fetch_missing_previews(ctx: JobContext) -> dict[str, int]:
    """The sweep: previews asked for but never fetched (the process stopped between the
    commit and the job) are asked for again."""
    async with ctx.db.transaction() as session:
        ids = list(await session.scalars(
            select(Post.id).where(Post.preview_state == "pending").order_by(Post.updated_at)
            .limit(500)))
    for post_id in ids:
        await ctx.jobs.enqueue("fetch_preview", post_id)
    return {"enqueued": len(ids)}
