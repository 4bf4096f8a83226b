"""Engagement snapshots for the demo's shares on LinkedIn, X and Facebook.

Most advocates who post on a network link their post (``external_url``) and its numbers are
entered by hand or imported by a manager (CONTRACT §3): a snapshot a day after sharing, after
three days and after a week, each counting a little more than the last. Impressions follow
the followers the share recorded; likes, comments and reshares are small fractions of them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Share, StatsSnapshot, User
from app.models.enums import Network
from app.sharing import service as sharing_service

WITH_STATS = 0.6
# Share of the followers who see the post: organic reach is a fraction of the audience.
SEEN_BY = {Network.linkedin: (0.08, 0.45), Network.x: (0.05, 0.3),
           Network.facebook: (0.1, 0.4)}
# Days after sharing, and how much of the final count had arrived by then.
CHECKPOINTS = ((1, 0.55, 0.75), (3, 0.85, 0.95), (7, 1.0, 1.0))


def _external_url(rng: random.Random, network: str, handle: str) -> str:
    if network == Network.linkedin:
        return f"https://www.linkedin.com/feed/update/urn:li:activity:{rng.getrandbits(62)}"
    if network == Network.x:
        return f"https://x.com/{handle}/status/{rng.getrandbits(60)}"
    return f"https://www.facebook.com/{handle}/posts/{rng.getrandbits(50)}"


async def add_snapshots(session: AsyncSession, rng: random.Random, *, now: datetime,
                        shares: Sequence[Share], people: Sequence[User],
                        importer: User) -> None:
    handles = {p.id: p.email.split("@")[0] for p in people}
    with typer.progressbar(shares, label="stats   ") as rows:
        for share in rows:
            if share.network not in SEEN_BY or rng.random() > WITH_STATS:
                continue
            await sharing_service.set_external_url(
                session, share, _external_url(rng, share.network, handles[share.user_id]))
            low, high = SEEN_BY[Network(share.network)]
            impressions = int(share.follower_count * rng.uniform(low, high)) + rng.randint(5, 40)
            likes = int(impressions * rng.uniform(0.01, 0.05))
            comments = int(impressions * rng.uniform(0.001, 0.008))
            reshares = int(impressions * rng.uniform(0.0005, 0.004))
            source, entered_by = (("import", importer.id) if rng.random() < 0.5
                                  else ("manual", share.user_id))
            for days, least, most in CHECKPOINTS:
                taken_at = share.created_at + timedelta(days=days,
                                                        minutes=rng.randint(0, 240))
                if taken_at > now:
                    break
                part = rng.uniform(least, most)
                session.add(StatsSnapshot(
                    share_id=share.id, taken_at=taken_at, source=source, entered_by=entered_by,
                    impressions=round(impressions * part), likes=round(likes * part),
                    comments=round(comments * part), reshares=round(reshares * part)))
    await session.flush()
