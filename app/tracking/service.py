"""Following a tracked link: the 302 of §4 and the click it records."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import bindparam, select

from app.auth.principal import SESSION_COOKIE
from app.auth.tokens import token_hash
from app.core.clock import utcnow
from app.core.db import Database
from app.models import Post, PostTopic, Share, Topic
from app.tracking.bots import is_bot
from app.tracking.device import device_class
from app.tracking.links import CODE_PATTERN, new_click_id, redirect_target
from app.tracking.recorder import ClickDraft, ClickRecorder
from app.tracking.visitors import Visitors

REDIRECT_HEADERS = {
    "Cache-Control": "private, no-store",
    # The code is in our URL: nothing about it travels to the target site.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not found</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto;">
<h1>This link does not exist</h1>
<p>Check that it was copied in full. If someone shared it with you, ask them for it again.</p>
</body></html>
"""


@dataclass(frozen=True)
class Target:
    share_id: str
    advocate_id: str
    network: str
    url: str
    campaign: str | None


_FIRST_TOPIC = (
    select(Topic.slug).join(PostTopic, PostTopic.topic_id == Topic.id)
    .where(PostTopic.post_id == Post.id).order_by(Topic.slug).limit(1).scalar_subquery()
)
_TARGET = (
    select(Share.id, Share.user_id, Share.network, Post.url, Post.campaign, _FIRST_TOPIC)
    .join(Post, Post.id == Share.post_id).where(Share.code == bindparam("code"))
)


async def find_target(db: Database, code: str) -> Target | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(_TARGET, {"code": code})).first()
    if row is None:
        return None
    share_id, advocate_id, network, url, campaign, topic_slug = row
    return Target(share_id, advocate_id, str(network), url, campaign or topic_slug)


class Targets:
    """Codes resolved in the last few seconds, so a burst on one link reads the database
    once. A post's new URL or campaign reaches its links within ``TTL`` seconds."""

    TTL = 5.0
    MAX = 50_000

    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: dict[str, tuple[float, Target | None]] = {}

    async def get(self, code: str) -> Target | None:
        now = time.monotonic()
        hit = self._known.get(code)
        if hit is not None and hit[0] > now:
            return hit[1]
        target = await find_target(self._db, code)
        if len(self._known) >= self.MAX:
            self._known.clear()
        self._known[code] = (now + self.TTL, target)
        return target


def not_found() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND_HTML, status_code=404,
                        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


def _referrer_host(request: Request) -> str | None:
    referrer = request.headers.get("referer")
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:255] if host else None


async def follow(request: Request, code: str, *, click_param: str, recorder: ClickRecorder,
                 visitors: Visitors, targets: Targets) -> Response:
    """Redirect to the stored post URL; a GET is recorded as a click before the 302 leaves."""
    target = await targets.get(code) if CODE_PATTERN.match(code) else None
    if target is None:
        return not_found()
    click_id = new_click_id()
    location = redirect_target(target.url, network=target.network, campaign=target.campaign,
                               code=code, click_param=click_param, click_id=click_id)
    response = Response(status_code=302, headers={**REDIRECT_HEADERS, "Location": location})
    if request.method == "HEAD":
        return response
    now = utcnow()
    user_agent = request.headers.get("user-agent")
    address = request.client.host if request.client else None
    day, hashed = await visitors.hash(now, address, user_agent)
    bot = is_bot(user_agent, request.headers)
    cookie = request.cookies.get(SESSION_COOKIE)
    await recorder.record(ClickDraft(
        share_id=target.share_id, advocate_id=target.advocate_id, click_id=click_id,
        occurred_at=now, day=day, visitor_hash=hashed,
        device=device_class(user_agent or "", bot=bot), referrer_host=_referrer_host(request),
        bot=bot, session_token_hash=token_hash(cookie) if cookie else None,
    ))
    return response
