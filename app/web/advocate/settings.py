"""/app/settings: what the viewer follows, their language, the reminder and leaderboard
choices, and their follower counts (a share's reach), saved through ``users.update``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.auth import users as users_service
from app.models import User
from app.models.enums import Network
from app.web import i18n
from app.web.advocate.feed import TopicChip, topic_chips

# The networks whose audience a share reaches (WhatsApp, email and the share sheet have
# none to count).
FOLLOWER_NETWORKS = (Network.linkedin, Network.x, Network.facebook)
NETWORK_NAMES = {Network.linkedin: "LinkedIn", Network.x: "X", Network.facebook: "Facebook"}
MAX_FOLLOWERS = 1_000_000_000
BROWSER_LANGUAGE = ""


@dataclass
class SettingsForm:
    topic_ids: set[str]
    language: str  # en, th, or "" for the browser's
    reminders: bool
    on_leaderboard: bool
    followers: dict[str, str]
    errors: set[str] = field(default_factory=set)  # topics, language, or a network's name


@dataclass(frozen=True)
class SettingsView:
    form: SettingsForm
    topics: list[TopicChip]


async def current(session: AsyncSession, user: User) -> SettingsForm:
    read = await users_service.read_one(session, user)
    return SettingsForm(
        topic_ids=set(read.topic_ids), language=read.language or BROWSER_LANGUAGE,
        reminders=not read.reminders_opt_out, on_leaderboard=not read.leaderboard_opt_out,
        followers={n.value: str(read.follower_counts.get(n.value, 0)) for n in FOLLOWER_NETWORKS})


async def settings_view(session: AsyncSession, *, user: User,
                        form: SettingsForm | None = None) -> SettingsView:
    return SettingsView(form=form or await current(session, user),
                        topics=await topic_chips(session, user))


def read_form(form: FormData) -> SettingsForm:
    return SettingsForm(
        topic_ids={str(t) for t in form.getlist("topic_ids")},
        language=str(form.get("language", BROWSER_LANGUAGE)),
        reminders=form.get("reminders") == "on",
        on_leaderboard=form.get("leaderboard") == "on",
        followers={n.value: str(form.get(f"followers_{n.value}", "")).strip()
                   for n in FOLLOWER_NETWORKS})


def _count(text: str) -> int | None:
    digits = text.replace(",", "").replace(" ", "")
    if not digits:
        return 0
    if not (digits.isascii() and digits.isdigit()) or int(digits) > MAX_FOLLOWERS:
        return None
    return int(digits)


async def save(session: AsyncSession, *, user: User, form: SettingsForm) -> SettingsView | None:
    """Save the settings; None when done, else the page again with what to fix (nothing is
    saved then)."""
    counts = {network: _count(text) for network, text in form.followers.items()}
    form.errors = {network for network, count in counts.items() if count is None}
    language = i18n.supported(form.language)
    if form.language != BROWSER_LANGUAGE and language is None:
        form.errors.add("language")
    topics = await topic_chips(session, user)
    if not form.topic_ids <= {t.id for t in topics}:
        form.errors.add("topics")
    if form.errors:
        return SettingsView(form=form, topics=topics)
    await users_service.update(session, user, {
        "topic_ids": sorted(form.topic_ids), "language": language,
        "reminders_opt_out": not form.reminders, "leaderboard_opt_out": not form.on_leaderboard,
        "follower_counts": {n: c for n, c in counts.items() if c is not None}})
    return None
