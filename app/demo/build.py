"""``chorus demo``: a realistic program, built through the same services the API uses.

Eight weeks of history: posts are queued with past publish times and the real publisher
runs at each past day, so the demo's sequence obeys the 6-3-1 rule the way production would;
then shares, clicks and conversions are replayed in time order (see ``history``), so that
points and badges come out as they would have live. Nothing is dated after now.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import users as users_service
from app.auth.passwords import hash_password
from app.content import publisher
from app.content import service as content_service
from app.content import topics as topics_service
from app.content.schemas import Captions, PostCreate
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.demo.data import ADVOCATE_NAMES, FIRST_ADVOCATE_GROUP, GROUPS, STAFF, TOPICS
from app.demo.history import History
from app.demo.posts import CATALOGUE, SUGGESTED, Idea, captions
from app.demo.program import add_program
from app.demo.sharing import add_sharing_policy
from app.demo.stats import add_snapshots
from app.gamification.jobs import award_monthly_badges
from app.gamification.periods import Period, local_day, midnight, start_of
from app.models import Post, Topic, User
from app.models.enums import Category, PostStatus, Role

DEMO_PASSWORD = "chorus-demo"
WEEKS = 8
UPCOMING = 6  # posts still queued, due in the coming days


async def build_demo(settings: Settings, *, seed: int, if_empty: bool) -> None:
    db = Database(settings.database_url, tz=settings.tz)
    now = utcnow().replace(microsecond=0)
    try:
        async with db.transaction() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                if if_empty:
                    typer.echo("The database already has data: demo skipped.")
                    return
                raise ValueError("chorus demo fills an empty database; this one has data")
            await _fill(session, random.Random(seed), now)
        await _award_months(db, settings, start=now - timedelta(weeks=WEEKS), now=now)
    finally:
        await db.dispose()
    _print_logins(settings)


async def _fill(session: AsyncSession, rng: random.Random, now: datetime) -> None:
    start = now - timedelta(weeks=WEEKS)
    topics = {name: await topics_service.create(session, name=name, slug=None, description=d)
              for name, d in TOPICS}
    people, followed = await _people(session, rng, start=start, topics=list(topics.values()))
    topics_of = await _posts(session, rng, start=start, now=now, topics=topics)
    day = start
    # The publisher runs every day of the past eight weeks, as the scheduled job would have.
    with typer.progressbar(length=WEEKS * 7 + 1, label="publish ") as bar:
        while day <= now:
            await publisher.run(session, now=min(now, day.replace(hour=9, minute=0, second=0)))
            day += timedelta(days=1)
            bar.update(1)
    advocates = [u for u in people if u.role == Role.advocate]
    await _suggestions(session, rng, now=now, advocates=advocates, topics=topics)

    history = History(rng, start=start, now=now)
    published = list(await session.scalars(
        select(Post).where(Post.status == PostStatus.published).order_by(Post.published_at)))
    history.plan_shares(people, published, followed=followed, topics_of=topics_of)
    await history.replay(session)
    importer = next(u for u in people if u.email == "paula@chorus.test")
    await add_snapshots(session, rng, now=now, shares=history.shares, people=people,
                        importer=importer)
    await add_program(session, rng, now=now, people=people, first_advocate=advocates[0])
    await add_sharing_policy(session, people=people, newcomer=advocates[0],
                             accepted_at=start)


async def _people(session: AsyncSession, rng: random.Random, *, start: datetime,
                  topics: list[Topic]) -> tuple[list[User], dict[str, set[str]]]:
    password_hash = await hash_password(DEMO_PASSWORD)
    groups = [await users_service.group_by_name(session, name) for name in GROUPS]
    group_ids = {g.name: g.id for g in groups}
    rows: list[tuple[str, str, Role, str]] = [
        (email, name, role, rng.choice(groups).id) for email, name, role in STAFF]
    for i, name in enumerate(ADVOCATE_NAMES):
        group_id = group_ids[FIRST_ADVOCATE_GROUP] if i == 0 else rng.choice(groups).id
        rows.append((f"{name.split()[0].lower()}@chorus.test", name, Role.advocate, group_id))
    people: list[User] = []
    followed: dict[str, set[str]] = {}
    with typer.progressbar(rows, label="people  ") as bar:
        for email, name, role, group_id in bar:
            follows = rng.sample([t.id for t in topics], k=rng.choice([0, 1, 2, 2, 3]))
            user = await users_service.create(
                session, email=email, name=name, role=role, password_hash=password_hash,
                group_ids=[group_id], topic_ids=follows)
            user.created_at = start - timedelta(days=3)
            user.follower_counts = {
                "linkedin": rng.randint(80, 3000), "x": rng.randint(0, 1500),
                "facebook": rng.randint(0, 800),
            }
            people.append(user)
            followed[user.id] = set(follows)
    return people, followed


async def _posts(session: AsyncSession, rng: random.Random, *, start: datetime, now: datetime,
                 topics: dict[str, Topic]) -> dict[str, set[str]]:
    """Every idea of the catalogue once, spread over the eight weeks (the last few still to
    come), each with its category's captions; returns each post's topic ids."""
    ideas: list[tuple[Idea, Category]] = [(idea, category) for category, items in CATALOGUE.items()
                                     for idea in items]
    rng.shuffle(ideas)
    topics_of: dict[str, set[str]] = {}
    with typer.progressbar(list(enumerate(ideas)), label="posts   ") as rows:
        for i, (idea, category) in rows:
            due = start + timedelta(days=i * WEEKS * 7 / len(ideas), hours=rng.randint(7, 17))
            if i >= len(ideas) - UPCOMING:
                due = now + timedelta(days=i - len(ideas) + UPCOMING + 1)
            topic_ids = [topics[name].id for name in idea.topics]
            post = await content_service.create(session, data=PostCreate(
                url=idea.url, title=idea.title, summary=idea.summary, category=category,
                topic_ids=topic_ids, captions=Captions(**captions(idea)),
                publish_at=due, campaign=idea.campaign,
            ))
            post.created_at = min(due, now) - timedelta(days=2)
            topics_of[post.id] = set(topic_ids)
    await session.flush()
    return topics_of


async def _suggestions(session: AsyncSession, rng: random.Random, *, now: datetime,
                       advocates: list[User], topics: dict[str, Topic]) -> None:
    """Links advocates suggested this week, waiting for review (one already turned down);
    the title and summary are what the preview fetch would have read."""
    for i, idea in enumerate(SUGGESTED):
        suggestion = await content_service.suggest(
            session, user=rng.choice(advocates), url=idea.url, note=idea.take,
            topic_ids=[topics[name].id for name in idea.topics])
        suggestion.created_at = now - timedelta(hours=rng.randint(2, 6 * 24))
        await content_service.update(session, suggestion, {"title": idea.title,
                                                           "summary": idea.summary})
        if i == len(SUGGESTED) - 1:
            await content_service.reject(session, suggestion, reason="Behind a paywall.")
    await session.flush()


async def _award_months(db: Database, settings: Settings, *, start: datetime,
                        now: datetime) -> None:
    """The monthly top-three badges of the months the history covers, each at the month's
    end, as the daily job would have granted them."""
    month = start_of(Period.month, local_day(start, settings.tz))
    while True:
        month = start_of(Period.month, month + timedelta(days=32))
        moment = midnight(month, settings.tz)
        if moment > now:
            return
        await award_monthly_badges(db, now=moment)


def _print_logins(settings: Settings) -> None:
    typer.echo("")
    typer.echo(f"Demo ready. Sign in at {settings.base_url} with password '{DEMO_PASSWORD}':")
    for email, name, role in STAFF:
        typer.echo(f"  {role.value:<9} {email:<28} {name}")
    first = ADVOCATE_NAMES[0].split()[0].lower()
    typer.echo(f"  advocate  {first + '@chorus.test':<28} (and {len(ADVOCATE_NAMES) - 1} more)")
