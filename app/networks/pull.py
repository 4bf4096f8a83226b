"""``pull_stats`` (CONTRACT §9): the engagement of shares whose post on the network is
known (``external_url``), asked of the network's API and stored as dated snapshots with
source ``api``.

Which shares: those younger than 30 days every hour, then every day up to 90 days, whose
network can be read here: X with the company's app token, LinkedIn with the sharer's own
connection. A share whose URL names no post the API knows, or whose network has no API for
it (Facebook), is noted once and left to the manual path until its URL changes. A share
LinkedIn refused (403) waits for the member to connect again. Rate limits are waited out:
X's until its reset (a follow-up run is scheduled then), LinkedIn's until midnight UTC.

The work is re-derived from the database on every run, and no transaction is held open
while a network is asked, so a run may stop anywhere and the next one carries on.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import Cipher, cipher_for
from app.core.db import Database, dialect_insert
from app.jobs.spec import JobContext
from app.models import Share, StatsSnapshot, User
from app.models.enums import Network
from app.models.networks import NetworkConnection, SharePull
from app.networks import connections, oauth
from app.networks.providers import LINKEDIN, PROVIDERS, X
from app.networks.providers.base import Metric, PostRef, Pulled, Status, Unresolvable
from app.networks.providers.facebook import NOT_SUPPORTED

log = logging.getLogger("chorus.networks")

HOURLY_UNTIL = timedelta(days=30)
DAILY_UNTIL = timedelta(days=90)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# A run started a little early (the hourly cron drifts) still finds last hour's shares due.
SLACK = timedelta(minutes=5)
# Outcomes that stand until the share's URL changes.
SETTLED = frozenset({Status.unresolvable, Status.not_supported, Status.not_found})
# X's rate limits reset within 15 minutes: a follow-up run is worth scheduling for them.
FOLLOW_UP_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class LastPull:
    url: str
    status: str
    attempted_at: datetime
    retry_at: datetime | None


@dataclass(frozen=True)
class Candidate:
    share_id: str
    user_id: str
    network: Network
    url: str
    created_at: datetime
    last: LastPull | None
    active: bool


def is_due(candidate: Candidate, now: datetime, *, forced: bool = False,
           reconnected_at: datetime | None = None) -> bool:
    """Whether the schedule asks for this share now (``forced``: whatever its last pull's
    time, as when it was asked for by id)."""
    age = now - candidate.created_at
    if age >= DAILY_UNTIL:
        return False
    last = candidate.last
    if last is None or last.url != candidate.url:
        return True
    if last.status in SETTLED:
        return False
    if last.retry_at is not None:
        # A rate limit's wait: over once its time has come, whatever the interval.
        return last.retry_at <= now
    if last.status == Status.not_permitted and candidate.network == Network.linkedin:
        # LinkedIn said no to this member for this post: ask again once they reconnect.
        return reconnected_at is not None and reconnected_at > last.attempted_at
    interval = DAY if age >= HOURLY_UNTIL or last.status == Status.not_permitted else HOUR
    return forced or now - last.attempted_at >= interval - SLACK


@dataclass(frozen=True)
class Connection:
    id: str
    access_token: str
    """As stored (encrypted)."""
    connected_at: datetime


async def _candidates(session: AsyncSession, now: datetime,
                      share_ids: Sequence[str]) -> list[Candidate]:
    stmt = (select(Share.id, Share.user_id, Share.network, Share.external_url,
                   Share.created_at, User.deactivated_at, SharePull.url, SharePull.status,
                   SharePull.attempted_at, SharePull.retry_at)
            .join(User, User.id == Share.user_id)
            .outerjoin(SharePull, SharePull.share_id == Share.id)
            .where(Share.external_url.is_not(None), Share.network.in_(list(PROVIDERS)),
                   Share.created_at > now - DAILY_UNTIL)
            .order_by(Share.created_at, Share.id))
    if share_ids:
        stmt = stmt.where(Share.id.in_(list(share_ids)))
    found = []
    for (share_id, user_id, network, url, created_at, deactivated_at, last_url, status,
         attempted_at, retry_at) in await session.execute(stmt):
        last = (LastPull(last_url, status, attempted_at, retry_at)
                if last_url is not None else None)
        found.append(Candidate(share_id, user_id, Network(network), str(url), created_at,
                               last, deactivated_at is None))
    return found


async def _linkedin_connections(session: AsyncSession, now: datetime,
                                user_ids: set[str]) -> dict[str, Connection]:
    """The usable LinkedIn connections of these members, by member."""
    if not user_ids:
        return {}
    rows = await session.scalars(select(NetworkConnection).where(
        NetworkConnection.network == Network.linkedin,
        NetworkConnection.user_id.in_(user_ids),
        NetworkConnection.status == connections.CONNECTED))
    return {c.user_id: Connection(c.id, c.access_token, c.connected_at) for c in rows
            if (c.paused_until is None or c.paused_until <= now)
            and connections.status_of(c, now) == connections.CONNECTED}


class Run:
    """One run of ``pull_stats``: what was due, asked network by network, recorded as it
    goes, counted per outcome."""

    def __init__(self, db: Database, settings: Settings, share_ids: Sequence[str]) -> None:
        self.db = db
        self.settings = settings
        self.share_ids = share_ids
        self.counts: Counter[str] = Counter()
        self.follow_up: datetime | None = None

    async def __call__(self) -> dict[str, int]:
        now = utcnow()
        async with self.db.transaction() as session:
            candidates = await _candidates(session, now, self.share_ids)
            linked = await _linkedin_connections(
                session, now, {c.user_id for c in candidates
                               if c.network == Network.linkedin and c.active})
            cipher = await cipher_for(session, self.settings)
        forced = bool(self.share_ids)
        due: dict[Network, list[Candidate]] = defaultdict(list)
        for candidate in candidates:
            connection = linked.get(candidate.user_id)
            if is_due(candidate, now, forced=forced,
                      reconnected_at=connection.connected_at if connection else None):
                due[candidate.network].append(candidate)
        await self._facebook(due[Network.facebook])
        await self._x(due[Network.x])
        await self._linkedin(due[Network.linkedin], linked, cipher)
        return dict(sorted(self.counts.items()))

    async def _facebook(self, due: list[Candidate]) -> None:
        await self._record([(c, Pulled(Status.not_supported, detail=NOT_SUPPORTED))
                            for c in due])

    async def _x(self, due: list[Candidate]) -> None:
        token = self.settings.x_bearer_token
        if token is None or not due:
            return
        outcomes: list[tuple[Candidate, Pulled]] = []
        refs: dict[str, PostRef] = {}
        for candidate in due:
            ref = X.parse_ref(candidate.url)
            if isinstance(ref, Unresolvable):
                outcomes.append((candidate, Pulled(Status.unresolvable, detail=ref.reason)))
            else:
                refs[candidate.share_id] = ref
        await self._record(outcomes)
        sharers: dict[str, list[Candidate]] = defaultdict(list)  # one post, several shares
        for candidate in due:
            if candidate.share_id in refs:
                sharers[refs[candidate.share_id].id].append(candidate)
        async for answers in X.batches(list(refs.values()), token.get_secret_value()):
            pulled = [(c, p) for post_id, p in answers.items() for c in sharers[post_id]]
            await self._record(pulled)
            waits = [p.retry_at for _, p in pulled
                     if p.status is Status.rate_limited and p.retry_at is not None]
            if waits and min(waits) - utcnow() <= FOLLOW_UP_WITHIN:
                self.follow_up = min(waits)

    async def _linkedin(self, due: list[Candidate], linked: dict[str, Connection],
                        cipher: Cipher) -> None:
        if not oauth.configured(self.settings):
            return
        by_member: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in due:
            if candidate.active and candidate.user_id in linked:
                by_member[candidate.user_id].append(candidate)
        for user_id, shares in by_member.items():
            if not await self._member(shares, linked[user_id], cipher):
                return  # LinkedIn's quota ran out: nobody else is asked today

    async def _member(self, due: list[Candidate], connection: Connection,
                      cipher: Cipher) -> bool:
        """One member's shares, with their token; False when LinkedIn rate-limited us."""
        stored = connection.access_token
        token = connections.decrypt(cipher, stored)
        outcomes: list[tuple[Candidate, Pulled]] = []
        refreshed = False
        going = True
        for candidate in due:
            ref = LINKEDIN.parse_ref(candidate.url)
            if isinstance(ref, Unresolvable):
                outcomes.append((candidate, Pulled(Status.unresolvable, detail=ref.reason)))
                continue
            if token is None:
                pulled = Pulled(Status.needs_reauth,
                                detail="the stored token cannot be decrypted with the "
                                       "configured secret keys")
            else:
                pulled = await LINKEDIN.pull(ref, token)
            if pulled.status is Status.needs_reauth and token is not None and not refreshed:
                refreshed = True
                try:
                    renewed = await connections.refreshed_token(
                        self.db, self.settings, connection_id=connection.id, refused=stored)
                except connections.RefreshUnavailable as exc:
                    outcomes.append((candidate, Pulled(Status.failed, detail=str(exc))))
                    break
                if renewed is not None:
                    token, stored = renewed
                    pulled = await LINKEDIN.pull(ref, token)
            outcomes.append((candidate, pulled))
            if pulled.status is Status.needs_reauth:
                if await connections.mark_needs_reauth(self.db, connection_id=connection.id,
                                                       refused=stored):
                    log.info("a LinkedIn connection needs the member to connect again",
                             extra={"connection": connection.id})
                break
            if pulled.status is Status.rate_limited:
                if pulled.retry_at is not None:
                    await connections.pause(self.db, connection_id=connection.id,
                                            until=pulled.retry_at)
                going = False
                break
        await self._record(outcomes)
        return going

    async def _record(self, outcomes: list[tuple[Candidate, Pulled]]) -> None:
        """Each share's outcome and, for a pull with a value, its snapshot: one unit of
        work per batch, so that what was asked is never asked again for nothing."""
        if not outcomes:
            return
        now = utcnow()
        async with self.db.transaction() as session:
            rows = [{"share_id": c.share_id, "url": c.url, "status": str(p.status),
                     "detail": p.detail, "attempted_at": now,
                     "pulled_at": now if p.status is Status.ok else None,
                     "retry_at": p.retry_at} for c, p in outcomes]
            insert = dialect_insert(session)(SharePull)
            await session.execute(insert.on_conflict_do_update(
                index_elements=["share_id"],
                set_={"url": insert.excluded.url, "status": insert.excluded.status,
                      "detail": insert.excluded.detail,
                      "attempted_at": insert.excluded.attempted_at,
                      "retry_at": insert.excluded.retry_at,
                      "pulled_at": func.coalesce(insert.excluded.pulled_at,
                                                 SharePull.pulled_at)}), rows)
            for candidate, pulled in outcomes:
                self.counts[str(pulled.status)] += 1
                if pulled.status is Status.ok:
                    session.add(StatsSnapshot(
                        share_id=candidate.share_id, taken_at=now, source="api",
                        impressions=pulled.metrics.get(Metric.impressions),
                        likes=pulled.metrics.get(Metric.likes),
                        comments=pulled.metrics.get(Metric.comments),
                        reshares=pulled.metrics.get(Metric.reshares),
                        provider_version=pulled.version,
                        extra=dict(pulled.extra) if pulled.extra else None))


async def pull_stats(ctx: JobContext, *share_ids: str) -> dict[str, int]:
    """``pull_stats``: every due share (or, given ids, those shares now, whatever their
    last pull's time). Answers how many shares had each outcome."""
    run = Run(ctx.db, ctx.settings, share_ids)
    counts = await run()
    if run.follow_up is not None:
        # A second late rather than early: the limit must have reset when it runs.
        wait = max(0.0, (run.follow_up - utcnow()).total_seconds()) + 1
        await ctx.jobs.enqueue("pull_stats", *share_ids, defer=wait)
        counts["follow_up_in_s"] = round(wait)
    return counts
