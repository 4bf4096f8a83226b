"""X: the public metrics of a post, read with the deploying company's app token
(``CHORUS_X_BEARER_TOKEN``), no member connection needed.

``GET https://api.x.com/2/tweets?ids=…&tweet.fields=public_metrics`` answers up to 100 posts
at once; the metrics map as CONTRACT §3 says (impressions = ``impression_count``, likes =
``like_count``, comments = ``reply_count``, reshares = ``retweet_count`` + ``quote_count``),
a missing field is unknown. A post the API cannot give comes back in ``errors[]`` of a 200
answer. A 429 names its reset time in ``x-rate-limit-reset`` (Unix seconds).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.fetch import FetchError
from app.models.enums import Network
from app.networks.http import call
from app.networks.providers.base import Metric, PostRef, Pulled, Status, Unresolvable, count, short

API = "https://api.x.com/2/tweets"
VERSION = "2"
BATCH = 100
HOSTS = frozenset({"x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com",
                   "mobile.twitter.com"})
_STATUS_PATH = re.compile(r"^/(?:[A-Za-z0-9_]{1,50}|i/web|i)/status(?:es)?/(\d{1,19})(?:/|$)")
_MAX_ID = 2**63 - 1
# When a 429 names no reset: X's windows are 15 minutes long.
_DEFAULT_WAIT = timedelta(minutes=15)


class XProvider:
    network = Network.x
    supported = True

    def capabilities(self, settings: Settings) -> frozenset[Metric]:
        return frozenset(Metric) if settings.x_bearer_token is not None else frozenset()

    def parse_ref(self, external_url: str) -> PostRef | Unresolvable:
        parts = urlsplit(external_url.strip())
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or host not in HOSTS:
            if host == "t.co":
                return Unresolvable("a t.co short link: paste the post's own x.com address")
            return Unresolvable("not the address of a post on X")
        match = _STATUS_PATH.match(parts.path)
        if match is None or int(match.group(1)) > _MAX_ID:
            return Unresolvable("not the address of a post on X (x.com/<name>/status/<id>)")
        return PostRef(Network.x, "post", match.group(1))

    async def pull(self, refs: Sequence[PostRef], token: str) -> dict[str, Pulled]:
        """Every post's outcome by id (see ``batches``)."""
        outcomes: dict[str, Pulled] = {}
        async for answered in self.batches(refs, token):
            outcomes.update(answered)
        return outcomes

    async def batches(self, refs: Sequence[PostRef], token: str
                      ) -> AsyncIterator[dict[str, Pulled]]:
        """The posts' outcomes by id, asked and given ``BATCH`` ids at a time (so that each
        batch can be kept before the next is asked). After a 429 nothing more is asked: the
        posts not asked share its wait."""
        ids = list(dict.fromkeys(ref.id for ref in refs))
        for start in range(0, len(ids), BATCH):
            answered = await self._batch(ids[start:start + BATCH], token)
            waiting = next((p for p in answered.values() if p.status is Status.rate_limited),
                           None)
            if waiting is not None:
                answered.update(dict.fromkeys(ids[start + BATCH:], waiting))
                yield answered
                return
            yield answered

    async def _batch(self, ids: list[str], token: str) -> dict[str, Pulled]:
        url = f"{API}?ids={','.join(ids)}&tweet.fields=public_metrics"
        try:
            answer = await call(url, headers={"Authorization": f"Bearer {token}"})
        except FetchError as exc:
            return dict.fromkeys(ids, Pulled(Status.failed, detail=exc.reason))
        body = answer.json()
        if answer.status == 429:
            return dict.fromkeys(ids, Pulled(Status.rate_limited,
                                             retry_at=_reset(answer.headers.get(
                                                 "x-rate-limit-reset")),
                                             detail=_problem(body) or "X's rate limit"))
        if answer.status in (401, 402, 403):
            # The app's token or its account: an administrator's matter, not a retry's.
            detail = _problem(body) or f"X refused the app's token ({answer.status})"
            return dict.fromkeys(ids, Pulled(Status.not_permitted, detail=detail))
        if answer.status != 200 or not isinstance(body, dict):
            return dict.fromkeys(ids, Pulled(Status.failed,
                                             detail=f"X answered {answer.status}"))
        return _outcomes(ids, body)


def _outcomes(ids: list[str], body: Mapping[str, Any]) -> dict[str, Pulled]:
    found: dict[str, Pulled] = {}
    for item in body.get("data") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            found[item["id"]] = _metrics(item)
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        post_id = error.get("resource_id") or error.get("value")
        if not isinstance(post_id, str) or post_id in found:
            continue  # a field the token may not read: the post's own entry decides
        kind = str(error.get("type") or "")
        detail = short(str(error.get("detail") or error.get("title") or kind))
        if kind.endswith("/resource-not-found"):
            found[post_id] = Pulled(Status.not_found, detail=detail)
        elif kind.endswith("/not-authorized-for-resource"):
            found[post_id] = Pulled(Status.not_permitted, detail=detail)
        else:
            found[post_id] = Pulled(Status.failed, detail=detail)
    missing = Pulled(Status.failed, detail="X's answer did not mention this post")
    return {i: found.get(i, missing) for i in ids}


def _metrics(item: Mapping[str, Any]) -> Pulled:
    public = item.get("public_metrics")
    public = public if isinstance(public, dict) else {}
    private = item.get("non_public_metrics")
    private = private if isinstance(private, dict) else {}
    impressions = count(public.get("impression_count"))
    if impressions is None:  # older documents list impressions as non-public
        impressions = count(private.get("impression_count"))
    retweets, quotes = count(public.get("retweet_count")), count(public.get("quote_count"))
    reshares = None if retweets is None or quotes is None else retweets + quotes
    metrics = {Metric.impressions: impressions, Metric.likes: count(public.get("like_count")),
               Metric.comments: count(public.get("reply_count")),
               Metric.reshares: count(reshares)}
    extra = {k: v for k, v in ((k, count(v)) for k, v in public.items()) if v is not None}
    pulled = Pulled(Status.ok, metrics=metrics, version=VERSION, extra=extra or None)
    return pulled if pulled.known else Pulled(Status.empty, version=VERSION, extra=extra or None)


def _reset(header: str | None) -> datetime:
    now = utcnow()
    try:
        reset = datetime.fromtimestamp(int(header or ""), UTC)
    except (ValueError, OverflowError, OSError):
        return now + _DEFAULT_WAIT
    # At least a second away (clocks differ), at most a day (a nonsense header).
    return min(max(reset, now + timedelta(seconds=1)), now + timedelta(days=1))


def _problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    text = body.get("detail") or body.get("title")
    return short(str(text)) if text else None
