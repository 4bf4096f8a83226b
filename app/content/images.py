"""Posts' images, shown by the pages from Chorus itself: pages load no asset from another
origin (CONTRACT §8), and a post's ``image_url`` names one on a third-party site.

A post's image is fetched once from its ``image_url`` with the SSRF-safe fetcher (public
addresses only unless ``CHORUS_ALLOW_PRIVATE_WEBHOOKS``), kept in ``post_images`` and served
from there; a new ``image_url`` is fetched again. Only raster images are kept: PNG, JPEG,
GIF, WebP and AVIF, as both the answer's content type and the bytes' own signature must say,
and never SVG, which can carry script. A failed attempt is kept with its error and is not
tried again for an hour.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database, dialect_insert
from app.core.errors import NotFound
from app.core.fetch import FetchError, fetch
from app.models import Post, PostImage

log = logging.getLogger("chorus.images")

MAX_BYTES = 5_000_000
RETRY_AFTER = timedelta(hours=1)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif")
_ACCEPT = ",".join(IMAGE_TYPES)


class NoImage(NotFound):
    title = "No image"


@dataclass(frozen=True)
class Image:
    """A post's image, or the error of the attempt to fetch it (``body`` is then None)."""

    post_id: str
    source_url: str
    fetched_at: datetime
    content_type: str | None = None
    body: bytes | None = None
    digest: str | None = None
    error: str | None = None
    fresh: bool = False
    """Fetched for this request and not stored yet: the caller stores it with ``keep``."""

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def image_type(body: bytes) -> str | None:
    """The allowed type the bytes' signature shows, if any."""
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if body[4:8] == b"ftyp" and _avif_brand(body):
        return "image/avif"
    return None


def _avif_brand(body: bytes) -> bool:
    """The ISO media file's ``ftyp`` box names AVIF as its major or a compatible brand."""
    size = int.from_bytes(body[:4], "big")
    brands = [body[8:12]] + [body[i:i + 4] for i in range(16, min(size, len(body)), 4)]
    return b"avif" in brands or b"avis" in brands


async def image_for(session: AsyncSession, post: Post, *, settings: Settings) -> Image:
    """The post's image: the stored one when it came from the current ``image_url`` (or that
    URL's failed attempt, for an hour), else a fresh fetch that the caller stores with
    ``keep``. Raises ``NoImage`` when the post has no ``image_url``."""
    if not post.image_url:
        raise NoImage("This post has no image.")
    stored = await session.get(PostImage, post.id)
    if stored is not None and stored.source_url == post.image_url and (
            stored.error is None or utcnow() - stored.fetched_at < RETRY_AFTER):
        return Image(post_id=stored.post_id, source_url=stored.source_url,
                     fetched_at=stored.fetched_at, content_type=stored.content_type,
                     body=stored.body, digest=stored.digest, error=stored.error)
    return await _fetch(post.id, post.image_url, allow_private=settings.allow_private_webhooks)


async def _fetch(post_id: str, url: str, *, allow_private: bool) -> Image:
    attempt = Image(post_id=post_id, source_url=url, fetched_at=utcnow(), fresh=True)
    try:
        fetched = await fetch(url, max_bytes=MAX_BYTES, allow_private=allow_private,
                              accept=_ACCEPT)
    except FetchError as exc:
        return _failed(attempt, exc.reason)
    if fetched.status != 200:
        return _failed(attempt, f"the server answered {fetched.status}")
    if fetched.content_type not in IMAGE_TYPES:
        return _failed(attempt, f"the answer's type is {fetched.content_type or 'not given'}")
    kind = image_type(fetched.body)
    if kind is None:
        return _failed(attempt, "the bytes are not a PNG, JPEG, GIF, WebP or AVIF image")
    return Image(post_id=post_id, source_url=url, fetched_at=attempt.fetched_at,
                 content_type=kind, body=fetched.body,
                 digest=hashlib.sha256(fetched.body).hexdigest(), fresh=True)


def _failed(attempt: Image, error: str) -> Image:
    log.info("image of post %s not kept: %s", attempt.post_id, error)
    return Image(post_id=attempt.post_id, source_url=attempt.source_url,
                 fetched_at=attempt.fetched_at, error=error, fresh=True)


async def keep(db: Database, image: Image) -> None:
    """Store a fresh fetch, image or failure, in its own unit of work once the request's has
    ended: a failure is answered 404, which rolls the request's work back, and must still be
    kept so that it is not tried again within the hour."""
    values = {"source_url": image.source_url, "content_type": image.content_type,
              "body": image.body, "digest": image.digest, "fetched_at": image.fetched_at,
              "error": image.error}
    try:
        async with db.transaction() as session:
            await session.execute(
                dialect_insert(session)(PostImage)
                .values(post_id=image.post_id, **values)
                .on_conflict_do_update(index_elements=[PostImage.post_id], set_=values)
            )
    except IntegrityError:
        log.info("post %s was deleted before its image was stored", image.post_id)
