"""``chorus demo``: a realistic program, built through the same services the API uses.

Eight weeks of history: posts are queued with past publish times and the real publisher
runs at each past day, so the demo's sequence obeys the 6-3-1 rule the way production would.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import typer
from sqlalchemy import func, select

from app.auth import users as users_service
from app.auth.passwords import hash_password
from app.content import publisher
from app.content import service as content_service
from app.content import topics as topics_service
from app.content.schemas import Captions, PostCreate
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.demo.data import ADVOCATE_NAMES, GROUPS, POST_IDEAS, STAFF, TOPICS
from app.models import User
from app.models.enums import Category, Role

DEMO_PASSWORD = "chorus-demo"
WEEKS = 8
POSTS = 60
MIX = [Category.curated] * 6 + [Category.owned] * 3 + [Category.promotional]


async def build_demo(settings: Settings, *, seed: int, if_empty: bool) -> None:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                if if_empty:
                    typer.echo("The database already has data: demo skipped.")
                    return
                raise ValueError("chorus demo fills an empty database; this one has data")
            await _fill(session, random.Random(seed), settings)
    finally:
        await db.dispose()
    _print_logins(settings)


async def _fill(session: object, rng: random.Random, settings: Settings) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(weeks=WEEKS)
    password_hash = await hash_password(DEMO_PASSWORD)

    topics = [await topics_service.create(session, name=n, slug=None, description=d)
              for n, d in TOPICS]
    groups = [await users_service.group_by_name(session, name) for name in GROUPS]
    people: list[User] = []
    staff: list[tuple[str, str, Role, str | None]] = [
        (email, name, role, None) for email, name, role in STAFF]
    advocates: list[tuple[str, str, Role, str | None]] = [
        (f"{name.split()[0].lower()}@chorus.test", name, Role.advocate, rng.choice(groups).id)
        for name in ADVOCATE_NAMES
    ]
    with typer.progressbar(staff + advocates, label="people  ") as rows:
        for email, name, role, group_id in rows:
            followed = rng.sample([t.id for t in topics], k=rng.choice([0, 1, 2, 2, 3]))
            user = await users_service.create(
                session, email=email, name=name, role=role, password_hash=password_hash,
                group_ids=[group_id] if group_id else [rng.choice(groups).id],
                topic_ids=followed,
            )
            user.created_at = start - timedelta(days=3)
            user.follower_counts = {
                "linkedin": rng.randint(80, 3000), "x": rng.randint(0, 1500),
                "facebook": rng.randint(0, 800),
            }
            people.append(user)

    ideas = list(POST_IDEAS)
    rng.shuffle(ideas)
    categories = [MIX[i % len(MIX)] for i in range(POSTS)]
    rng.shuffle(categories)
    with typer.progressbar(range(POSTS), label="posts   ") as indexes:
        for i in indexes:
            title, url = ideas[i % len(ideas)]
            day = start + timedelta(days=i * WEEKS * 7 / POSTS, hours=rng.randint(7, 17))
            post = await content_service.create(session, data=PostCreate(
                url=f"{url}?ref={i}", title=title, category=categories[i],
                topic_ids=rng.sample([t.id for t in topics], k=rng.choice([1, 1, 2])),
                captions=Captions(default=f"Worth a read: {title}"),
                publish_at=day if i < POSTS - 6 else now + timedelta(days=i - POSTS + 7),
                campaign="autumn-launch" if categories[i] == Category.promotional else None,
            ))
            post.created_at = min(day, now) - timedelta(days=2)
    await session.flush()
    # The publisher runs every day of the past eight weeks, as the scheduled job would have.
    day = start
    with typer.progressbar(length=WEEKS * 7, label="publish ") as bar:
        while day <= now:
            await publisher.run(session, now=_at(day, 9))
            day += timedelta(days=1)
            bar.update(1)
    advocates_only = [u for u in people if u.role == Role.advocate]
    for i, (title, url) in enumerate(ideas[-4:]):
        suggestion = await content_service.suggest(
            session, user=rng.choice(advocates_only), url=f"{url}?suggested={i}",
            note=f"Our customers keep asking about this: {title}",
            topic_ids=[rng.choice(topics).id],
        )
        if i == 0:
            await content_service.reject(session, suggestion, reason="Behind a paywall.")
    await session.flush()


def _at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0)


def _print_logins(settings: Settings) -> None:
    typer.echo("")
    typer.echo(f"Demo ready. Sign in at {settings.base_url} with password '{DEMO_PASSWORD}':")
    for email, name, role in STAFF:
        typer.echo(f"  {role.value:<9} {email:<28} {name}")
    first = ADVOCATE_NAMES[0].split()[0].lower()
    typer.echo(f"  advocate  {first + '@chorus.test':<28} (and {len(ADVOCATE_NAMES) - 1} more)")
