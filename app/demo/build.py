"""``chorus demo``: a realistic program, built through the same services the API uses.

Eight weeks of history: posts are queued with past publish times and the real publisher
runs at each past day, so the demo's sequence obeys the 6-3-1 rule the way production would.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import Baseline, PilotCreate
from app.auth import users as users_service
from app.auth.passwords import hash_password
from app.content import publisher
from app.content import service as content_service
from app.content import topics as topics_service
from app.content.schemas import Captions, PostCreate
from app.conversions import service as conversions_service
from app.conversions.schemas import ConversionCreate
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database, dialect_insert, org_tz
from app.core.errors import Conflict, NotFound
from app.demo.data import ADVOCATE_NAMES, GROUPS, POST_IDEAS, STAFF, TOPICS
from app.gamification import service as gamification_service
from app.gamification.periods import Period, local_day, midnight, start_of
from app.models import AdvocateVisitor, Feedback, Group, Post, Share, User
from app.models.enums import Category, Network, PostStatus, Role
from app.sharing import service as sharing_service
from app.tracking.links import new_click_id
from app.tracking.recorder import ClickDraft, RecordedClick, write_clicks

DEMO_PASSWORD = "chorus-demo"
WEEKS = 8
POSTS = 60
MIX = [Category.curated] * 6 + [Category.owned] * 3 + [Category.promotional]


async def build_demo(settings: Settings, *, seed: int, if_empty: bool) -> None:
    db = Database(settings.database_url, tz=settings.tz)
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


async def _fill(session: AsyncSession, rng: random.Random, settings: Settings) -> None:
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
    await _activity(session, rng, now, people)
    await _pilot(session, rng, now, people)


def _at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0)


def _print_logins(settings: Settings) -> None:
    typer.echo("")
    typer.echo(f"Demo ready. Sign in at {settings.base_url} with password '{DEMO_PASSWORD}':")
    for email, name, role in STAFF:
        typer.echo(f"  {role.value:<9} {email:<28} {name}")
    first = ADVOCATE_NAMES[0].split()[0].lower()
    typer.echo(f"  advocate  {first + '@chorus.test':<28} (and {len(ADVOCATE_NAMES) - 1} more)")


async def _activity(session: AsyncSession, rng: random.Random, now: datetime,
                    people: list[User]) -> None:
    """Shares, clicks (bots and self-clicks mixed in) and conversions, through the same
    code paths as the API and the redirect."""
    posts = list(await session.scalars(
        select(Post).where(Post.status == PostStatus.published).order_by(Post.published_at)))
    networks = [Network.linkedin] * 5 + [Network.x] * 2 + [Network.facebook, Network.whatsapp,
                                                            Network.email, Network.copy]
    shares: list[tuple[Share, datetime]] = []
    with typer.progressbar(people, label="shares  ") as advocates:
        for person in advocates:
            keenness = rng.random()
            for post in posts:
                assert post.published_at is not None
                if rng.random() > 0.15 + 0.5 * keenness:
                    continue
                for network in rng.sample(networks, k=rng.choice([1, 1, 2])):
                    shared_at = min(now, post.published_at + timedelta(hours=rng.uniform(0.5, 72)))
                    try:
                        share, _, created = await sharing_service.get_or_create(
                            session, user=person, post_id=post.id, network=network,
                            now=shared_at)
                    except (NotFound, Conflict):  # not in their topics, or expired
                        break
                    if created:
                        shares.append((share, shared_at))
    await session.flush()
    visitors = [secrets.token_hex(32) for _ in range(400)]
    drafts: list[ClickDraft] = []
    for share, shared_at in shares:
        reach = share.follower_count or 50
        for _ in range(rng.randint(0, max(1, reach // 120))):
            at = min(now, shared_at + timedelta(hours=rng.expovariate(1 / 30)))
            dice = rng.random()
            bot = dice < 0.2
            drafts.append(ClickDraft(
                share_id=share.id, advocate_id=share.user_id, network=share.network,
                post_id=share.post_id, click_id=new_click_id(),
                occurred_at=at, day=at.date(),
                visitor_hash=(f"self-{share.user_id}" if 0.2 <= dice < 0.26
                              else rng.choice(visitors)),
                device="bot" if bot else rng.choice(["mobile", "mobile", "desktop", "tablet"]),
                referrer_host=None if bot else rng.choice(
                    ["www.linkedin.com", "t.co", "l.facebook.com", None]),
                bot=bot, session_token_hash=None))
    # A few advocates clicked their own links from the browser they work in.
    for share, _ in shares:
        for day in {d.day for d in drafts if d.visitor_hash == f"self-{share.user_id}"}:
            await session.execute(dialect_insert(session)(AdvocateVisitor).values(
                user_id=share.user_id, day=day, visitor_hash=f"self-{share.user_id}",
            ).on_conflict_do_nothing())
    drafts.sort(key=lambda d: d.occurred_at)
    recorded: list[RecordedClick] = []
    with typer.progressbar(range(0, len(drafts), 500), label="clicks  ") as chunks:
        for start in chunks:
            recorded += await write_clicks(session, drafts[start:start + 500], now=now,
                                           hooks=[gamification_service.award_clicks])
    counted = [c for c in recorded if c.is_unique]
    with typer.progressbar(counted, label="converts") as clicks:
        for n, click in enumerate(clicks):
            if rng.random() < 0.06:
                kind = rng.choice(["signup", "signup", "download", "webinar", "demo", "deal"])
                await conversions_service.record(session, source="api", data=ConversionCreate(
                    click_id=click.click_id, type=kind, external_id=f"demo-{n}",
                    value=str(rng.choice([0, 0, 49, 99, 1200, 4800])) if kind == "deal" else None,
                    # Minutes to hours after the click, but never later than now.
                    occurred_at=min(now, click.occurred_at
                                    + timedelta(minutes=rng.randint(2, 600))),
                ))


async def _pilot(session: AsyncSession, rng: random.Random, now: datetime,
                 people: list[User]) -> None:
    """A finished six-week pilot with a paid baseline, weekly feedback and two objectives."""
    tz = org_tz(session)
    this_monday = start_of(Period.week, local_day(now, tz))
    starts_on = this_monday - timedelta(weeks=7)
    ends_on = starts_on + timedelta(weeks=6, days=-1)
    groups = list(await session.scalars(select(Group).where(Group.name.in_(["Sales",
                                                                            "Engineering"]))))
    pilot = await pilots_service.create(session, data=PilotCreate(
        name="Autumn advocacy pilot", starts_on=starts_on, ends_on=ends_on,
        group_ids=[g.id for g in groups], user_ids=[people[0].id],
        baseline=Baseline(paid_visits=5200, paid_conversions=62)))
    cohort = await pilots_service.cohort_ids(session, pilot)
    for week in range(6):
        monday = starts_on + timedelta(weeks=week)
        for user_id in sorted(cohort):
            if rng.random() < 0.7:
                session.add(Feedback(
                    pilot_id=pilot.id, user_id=user_id, week_starts_on=monday,
                    score=rng.choices(range(11), weights=[1, 1, 1, 1, 2, 3, 5, 9, 12, 10, 8])[0],
                    comment=rng.choice([None, None, "Easy to share on my phone.",
                                        "More engineering content, please.",
                                        "The leaderboard keeps me going."]),
                    created_at=midnight(monday, tz) + timedelta(days=rng.randint(0, 4),
                                                                hours=rng.randint(9, 17))))
    await okr_service.create(session, data=ObjectiveCreate(
        title="Make advocacy a habit in Sales and Engineering", starts_on=starts_on,
        ends_on=ends_on, pilot_id=pilot.id, key_results=[
            KeyResultIn(title="Half the cohort shares", metric="participation_rate",
                        target=Decimal("0.5"), baseline=Decimal("0.1")),
            KeyResultIn(title="1,000 clicks from people, not bots", metric="clicks",
                        target=Decimal(1000)),
        ]))
    await okr_service.create(session, data=ObjectiveCreate(
        title="Advocacy brings in pipeline", starts_on=starts_on - timedelta(weeks=1),
        ends_on=local_day(now, tz), key_results=[
            KeyResultIn(title="80 attributed conversions", metric="conversions",
                        target=Decimal(80)),
            KeyResultIn(title="Convert 6 % of unique visitors", metric="conversion_rate",
                        target=Decimal("0.06"), baseline=Decimal("0.012")),
        ]))
    await session.flush()
