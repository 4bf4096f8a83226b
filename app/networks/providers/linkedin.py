"""LinkedIn: the analytics of a member's own post, read with that member's token (scope
``r_member_postAnalytics``, which the deploying company must have approved).

``GET /rest/memberCreatorPostAnalytics?q=entity&entity=(share:urn%3Ali%3Ashare%3A…)``
(``(ugc:urn%3Ali%3AugcPost%3A…)`` for a ugcPost) answers one metric per call, so a pull is
four calls: IMPRESSION, REACTION, COMMENT and RESHARE, lifetime totals. ``metricType`` is an
object (``{"com.linkedin…CreatorPostAnalyticsMetricTypeV1": "COMMENT"}``) before version
202605 and a plain string after; both are read. An empty ``elements`` is unknown, not 0.

Only share and ugcPost ids name a post the API knows: an ``activity`` URL (what the feed's
"Copy link" often gives) cannot be turned into one without another API the member's token
cannot use, so it falls back to the manual path. Quotas are daily and reset at midnight UTC,
so a 429 waits until then.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.fetch import FetchError
from app.models.enums import Network
from app.networks.http import Answer, call
from app.networks.providers.base import Metric, PostRef, Pulled, Status, Unresolvable, count, short

API = "https://api.linkedin.com/rest/memberCreatorPostAnalytics"
VERSION = "202610"
"""The pinned ``LinkedIn-Version`` (YYYYMM). LinkedIn supports a version for about a year:
move it forward (and check the answers' shapes) at least once a year."""
SCOPE = "r_member_postAnalytics"
QUERY_TYPES = {Metric.impressions: "IMPRESSION", Metric.likes: "REACTION",
               Metric.comments: "COMMENT", Metric.reshares: "RESHARE"}
# The key of each post kind in the `entity` union.
ENTITY_KEYS = {"share": "share", "ugcPost": "ugc"}

_URN = re.compile(r"urn:li:(share|ugcPost|activity):(\d{1,20})(?!\d)")
_SLUG = re.compile(r"^/posts/[^/]*-(share|ugcPost|activity)-(\d{1,20})(?:-[^/]*)?/?$")
_ACTIVITY = ("an activity link, which LinkedIn's API cannot read: paste the post's "
             "embed link (… menu, Embed this post) or enter its stats by hand")


class AnalyticsElement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    count: Any = None
    metricType: str | dict[str, str] | None = None  # noqa: N815 - LinkedIn's name

    def metric(self) -> str | None:
        if isinstance(self.metricType, dict):
            return next(iter(self.metricType.values()), None)
        return self.metricType


class AnalyticsAnswer(BaseModel):
    """An answer of memberCreatorPostAnalytics, in either shape."""

    model_config = ConfigDict(extra="ignore")

    elements: list[AnalyticsElement]

    def value(self, query_type: str) -> int | None:
        counts = [count(e.count) for e in self.elements if e.metric() in (None, query_type)]
        known = [c for c in counts if c is not None]
        return sum(known) if known else None


def analytics_url(ref: PostRef, query_type: str) -> str:
    urn = quote(f"urn:li:{ref.kind}:{ref.id}", safe="")
    return (f"{API}?q=entity&entity=({ENTITY_KEYS[ref.kind]}:{urn})"
            f"&queryType={query_type}&aggregation=TOTAL")


def api_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": VERSION,
            "X-Restli-Protocol-Version": "2.0.0"}


def next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=now.tzinfo)


class LinkedInProvider:
    network = Network.linkedin
    supported = True

    def capabilities(self, settings: Settings) -> frozenset[Metric]:
        configured = settings.linkedin_client_id and settings.linkedin_client_secret
        return frozenset(QUERY_TYPES) if configured else frozenset()

    def parse_ref(self, external_url: str) -> PostRef | Unresolvable:
        parts = urlsplit(external_url.strip())
        host = (parts.hostname or "").lower()
        if host == "lnkd.in":
            return Unresolvable("a lnkd.in short link: paste the post's own linkedin.com "
                                "address")
        if parts.scheme not in ("http", "https") or not (
                host == "linkedin.com" or host.endswith(".linkedin.com")):
            return Unresolvable("not the address of a post on LinkedIn")
        path = unquote(parts.path)
        match = _URN.search(path) if "/update/" in path else _SLUG.match(path)
        if match is None:
            return Unresolvable("not the address of a post on LinkedIn")
        kind, post_id = match.groups()
        if kind == "activity":
            return Unresolvable(_ACTIVITY)
        return PostRef(Network.linkedin, kind, post_id)

    async def pull(self, ref: PostRef, token: str) -> Pulled:
        """The post's four metrics, one call each; the first call that fails decides."""
        metrics: dict[Metric, int | None] = {}
        for metric, query_type in QUERY_TYPES.items():
            try:
                answer = await call(analytics_url(ref, query_type), headers=api_headers(token))
            except FetchError as exc:
                return Pulled(Status.failed, detail=exc.reason, version=VERSION)
            refused = _refusal(answer)
            if refused is not None:
                return refused
            try:
                parsed = AnalyticsAnswer.model_validate(answer.json())
            except ValidationError:
                return Pulled(Status.failed, detail="LinkedIn's answer has no elements",
                              version=VERSION)
            metrics[metric] = parsed.value(query_type)
        pulled = Pulled(Status.ok, metrics=metrics, version=VERSION)
        return pulled if pulled.known else Pulled(Status.empty, version=VERSION)


def _refusal(answer: Answer) -> Pulled | None:
    if answer.status == 200:
        return None
    body = answer.json()
    message = body.get("message") if isinstance(body, dict) else None
    detail = short(f"LinkedIn answered {answer.status}" + (f": {message}" if message else ""))
    status = {401: Status.needs_reauth, 403: Status.not_permitted, 404: Status.not_found,
              429: Status.rate_limited}.get(answer.status, Status.failed)
    retry_at = next_midnight(utcnow()) if status is Status.rate_limited else None
    return Pulled(status, detail=detail, retry_at=retry_at, version=VERSION)
