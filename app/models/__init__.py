"""Every table, importable in one place (Alembic reads ``Base.metadata`` from here)."""

from app.core.db import Base

# Issue 12 domains; each module lists its own tables in its __all__.
from app.models import digests, feeds, networks, webhooks  # noqa: E402,F401
from app.models.auth import ApiKey, AuthToken
from app.models.content import Post, PostTopic, PublisherLock
from app.models.conversions import Conversion, SiteKey
from app.models.gamification import Badge, PeriodStats, PointsEntry, ShareDay
from app.models.jobs import JobRun
from app.models.media import PostImage
from app.models.people import Group, Topic, User, user_groups, user_topics
from app.models.programs import (
    CheckIn,
    Feedback,
    KeyResult,
    KeyResultSample,
    Objective,
    Pilot,
    ReportSchedule,
    ReportSend,
    pilot_groups,
    pilot_users,
)
from app.models.settings import AppSetting
from app.models.sharing import PolicyAcceptance, Share, ShareReservation, StatsSnapshot
from app.models.tracking import (
    AddressVisit,
    AdvocateVisitor,
    Click,
    ClickLogEntry,
    ClickProjection,
    UniqueVisit,
    VisitorSalt,
)

__all__ = [
    "JobRun",
    "Badge",
    "Feedback",
    "KeyResult",
    "KeyResultSample",
    "CheckIn",
    "ReportSchedule",
    "ReportSend",
    "Objective",
    "PeriodStats",
    "Pilot",
    "PointsEntry",
    "ShareDay",
    "pilot_groups",
    "pilot_users",
    "AddressVisit",
    "AdvocateVisitor",
    "ClickLogEntry",
    "ClickProjection",
    "Click",
    "Conversion",
    "PolicyAcceptance",
    "Share",
    "ShareReservation",
    "SiteKey",
    "StatsSnapshot",
    "UniqueVisit",
    "VisitorSalt",
    "ApiKey",
    "AppSetting",
    "AuthToken",
    "Base",
    "Group",
    "Post",
    "PostImage",
    "PostTopic",
    "PublisherLock",
    "Topic",
    "User",
    "user_groups",
    "user_topics",
]
