"""Background work of the content domain."""

from __future__ import annotations

import logging

from app.content import publisher
from app.core.db import Database

log = logging.getLogger("chorus.jobs")


async def publish_due(db: Database) -> list[str]:
    """``content.publish_due``: the publisher of §7, in its own unit of work."""
    async with db.transaction() as session:
        published = [p.id for p in await publisher.run(session)]
    if published:
        log.info("published due posts", extra={"count": len(published)})
    return published
