"""Static files under ``/static/<version>/…``, where the version is a hash of their content.

One version covers the whole tree, so the ES modules can import each other by relative URL
(``import {csrfFetch} from "./csrf.js"``) and still get immutable, hashed addresses: a
module is loaded once, whichever page or module asks for it. Any change to any file is a new
version, and the service worker's cache (named after it) is replaced on the next visit.

Files are read and hashed once per process; bodies are kept in memory, gzipped on first use.
A request for another version of a known file is redirected (relative ``Location``) to the
current one, so a page from before a deploy still gets its styles; anything else is 404.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

STATIC_DIR = Path(__file__).parent / "static"
PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"
VERSION_LENGTH = 10
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = ("text/", "application/json", "application/manifest+json", "image/svg+xml")


def _media_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    return _TYPES.get(path.suffix.lower()) or guessed or "application/octet-stream"


@dataclass
class Asset:
    path: Path
    media_type: str
    digest: str
    _plain: bytes | None = field(default=None, repr=False)
    _packed: bytes | None = field(default=None, repr=False)

    @property
    def compressible(self) -> bool:
        return self.media_type.startswith(_COMPRESSIBLE)

    def plain(self) -> bytes:
        if self._plain is None:
            self._plain = self.path.read_bytes()
        return self._plain

    def packed(self) -> bytes | None:
        """The gzip of a text file, when it is smaller; else None."""
        if not self.compressible:
            return None
        if self._packed is None:
            self._packed = gzip.compress(self.plain(), compresslevel=9, mtime=0)
        return self._packed if len(self._packed) < len(self.plain()) else None


class Assets:
    """The static tree of one process: each file's type and digest, and the tree's version."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            if path.is_file() and not any(p.startswith(".") for p in path.parts):
                name = path.relative_to(root).as_posix()
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                self.files[name] = Asset(path, _media_type(path), digest)
        tree = "".join(f"{name}\0{a.digest}\n" for name, a in self.files.items())
        self.version = hashlib.sha256(tree.encode()).hexdigest()[:VERSION_LENGTH]

    def url(self, name: str) -> str:
        """The hashed URL of ``name`` (a path under ``app/web/static``); unknown is an error."""
        if name not in self.files:
            raise LookupError(f"no static file {name!r} under {self.root}")
        return f"{PREFIX}/{self.version}/{name}"


@lru_cache
def load(root: Path = STATIC_DIR) -> Assets:
    return Assets(root)


def accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


router = APIRouter(include_in_schema=False)


@router.api_route(PREFIX + "/{version}/{name:path}", methods=["GET", "HEAD"])
async def static_file(version: str, name: str, request: Request) -> Response:
    """A static file at its hashed address."""
    assets: Assets = request.app.state.assets
    asset = assets.files.get(name)
    if asset is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    if version != assets.version:
        return Response(status_code=302, headers={"Location": assets.url(name),
                                                  "Cache-Control": "no-cache"})
    headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{asset.digest[:32]}"'}
    # Off the event loop: the first read and gzip of a large vendored bundle take a while.
    body = await run_in_threadpool(asset.plain)
    if asset.compressible:
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request.headers.get("accept-encoding")):
            packed = await run_in_threadpool(asset.packed)
            if packed is not None:
                body = packed
                headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)
