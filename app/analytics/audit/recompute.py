"""Every derived number recomputed from the raw records, apart from the code that keeps it.

Nothing here calls what writes the derived tables (the click projection, the daily counts,
the points service, the badge job): it reads the raw records (clicks with their decided
flags, shares, conversions, approved suggestions, users) and CONTRACT §4 and §5, and uses
of the application only the definitions those depend on: the organisation's local days and
periods (``app.gamification.periods``), the point rules in force at a moment
(``RuleBook.at``) and the badge keys.

What a correct system stores, row by row:

- ``unique_visits``: one row per (share, salt day, visitor hash) with a counted click (not
  bot, not self); rows of past salt days are deleted by ``rotate_salt``, so only today's
  must all be there. ``address_visits``: per (share, salt day, address hash), the number of
  unique clicks from that address.
- ``clicks.is_unique`` (never rewritten, only checked): replaying the counted clicks of a
  salt day in processing order (``seq``, those without first, then id), a click is unique
  when it is its visitor's first on the share that day and its address (when known) has
  given the share fewer than 3 unique clicks that day. Bot and self clicks are never unique.
- ``points_ledger``: ``share:<id>`` (share_created, at the share's time) for every share;
  ``click:<click id>`` for every counted click, with ``unique_click`` points for a unique
  one, cut so that a share's click points of one local day never pass the day's cap, in
  processing order; ``conversion:<id>`` (attributed_conversion) for every attributed
  conversion; ``suggestion:<post id>`` (suggestion_approved) for every approved suggestion;
  each under the rules in force at the event's time.
- ``share_days``: per share and local day, its counted clicks, unique ones and click points.

Every count follows the flags as stored (they are the record, and KPIs read them too): a
flag the replay disagrees with is reported, and the counts still agree with the stored one.
- ``period_stats``: per user, period (week, month, quarter, all) and its first local day,
  the points of the ledger plus the shares, counted clicks and attributed conversions.
- ``badges``: first-share, ten-shares, streak-4 (shares in four consecutive weeks),
  first-click (a counted click), first-conversion, curator (three approved suggestions),
  top-3 (rank ≤ 3 in a finished month, among users with points who were active at its end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app.analytics.audit.report import (
    NONE,
    TABLES,
    Change,
    Difference,
    compare,
    key_text,
    show,
)
from app.gamification.badges import NAMES as BADGE_NAMES
from app.gamification.periods import Period, local_day, midnight, next_start, start_of
from app.gamification.rules import RuleBook, read_point_rules
from app.models import (
    AddressVisit,
    Badge,
    Click,
    Conversion,
    PeriodStats,
    PointsEntry,
    Post,
    Share,
    ShareDay,
    UniqueVisit,
    User,
)
from app.models.enums import PostStatus

UNIQUE_PER_ADDRESS = 3  # CONTRACT §4: unique clicks per client address, share and salt day
STREAK_WEEKS = 4
TEN = 10
CURATOR_APPROVALS = 3
TOP = 3
APPROVED = [PostStatus.queued, PostStatus.published, PostStatus.archived]
COUNTED = and_(Click.bot.is_(False), Click.is_self.is_(False))
PROCESSING_ORDER = (Click.seq.asc().nulls_first(), Click.id)
STREAM = {"yield_per": 5000}
LEDGER_FIELDS = ("user_id", "kind", "points", "occurred_at", "share_id")
COUNTERS = ("points", "shares", "clicks", "conversions")


class Progress(Protocol):
    """Where long work reports how far it is (the command line's progress bars)."""

    def phase(self, label: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def phase(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class ShareFacts:
    user_id: str
    post_id: str
    network: str
    created_at: datetime


def _ledger_row(*, user_id: str, kind: str, points: int, occurred_at: datetime,
                share_id: str | None) -> dict[str, Any]:
    return {"user_id": user_id, "kind": kind, "points": points, "occurred_at": occurred_at,
            "share_id": share_id}


def _stored_ledger(row: Any, offset: int = 0) -> dict[str, Any] | None:
    values = tuple(row[offset:offset + len(LEDGER_FIELDS)])
    if values[0] is None:  # no such row (an outer join)
        return None
    return dict(zip(LEDGER_FIELDS, values, strict=True))


class Recomputation:
    """One audit: read, recompute and compare, in the caller's transaction (a snapshot)."""

    def __init__(self, session: Session, *, tz: ZoneInfo, now: datetime,
                 progress: Progress | None = None) -> None:
        self.session = session
        self.tz = tz
        self.now = now
        self.progress = progress or NoProgress()
        self.book: RuleBook = RuleBook()
        self.found: dict[str, list[Difference]] = defaultdict(list)
        self.checked: dict[str, int] = {}
        self.shares: dict[str, ShareFacts] = {}
        self.ledger: dict[str, dict[str, Any]] = {}  # non-click events, by event key
        # Per user and local day first; spread over the periods once every event is in.
        self.days: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.periods: dict[tuple[str, str, date], list[int]] = {}
        self.share_days: dict[tuple[str, date], dict[str, Any]] = {}
        self.badges: dict[tuple[str, str], datetime] = {}

    # ------------------------------------------------------------------ running

    def run(self) -> list[Difference]:
        self.book = read_point_rules(self.session)
        self._shares()
        self._conversions()
        self._suggestions()
        self._click_points()
        self._click_flags()
        self._visits()
        self._other_ledger_rows()
        self._share_days()
        self._spread_over_periods()
        self._periods()
        self._badges()
        return [d for table in self._order() for d in self.found[table]]

    def _order(self) -> list[str]:
        return [*TABLES, *sorted(set(self.found) - set(TABLES))]

    def _report(self, difference: Difference | None) -> None:
        if difference is not None:
            self.found[difference.table].append(difference)

    # ------------------------------------------------------------------ helpers

    def _day(self, moment: datetime) -> date:
        return local_day(moment, self.tz)

    def _count(self, user_id: str, moment: datetime, *, points: int = 0, shares: int = 0,
               clicks: int = 0, conversions: int = 0) -> None:
        """Add to the user's totals of the event's local day."""
        row = self.days[(user_id, self._day(moment))]
        row[0] += points
        row[1] += shares
        row[2] += clicks
        row[3] += conversions

    def _spread_over_periods(self) -> None:
        """Each local day's totals added to every period the day falls into."""
        periods: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for (user_id, day), counts in self.days.items():
            for period in Period:
                row = periods[(user_id, period.value, start_of(period, day))]
                for i, n in enumerate(counts):
                    row[i] += n
        self.periods = dict(periods)

    def _grant(self, user_id: str, key: str, at: datetime) -> None:
        self.badges.setdefault((user_id, key), at)

    def _rows(self, stmt: Any) -> Iterator[Any]:
        yield from self.session.execute(stmt, execution_options=STREAM)

    # ------------------------------------------------------------------ events

    def _shares(self) -> None:
        """``share:<id>`` for every share, its period totals, and the share badges, in the
        order shares were made."""
        rows = self.session.execute(
            select(Share.id, Share.user_id, Share.post_id, Share.network, Share.created_at)
            .order_by(Share.created_at, Share.id)).all()
        self.checked["shares"] = len(rows)
        made: dict[str, int] = defaultdict(int)
        weeks: dict[str, set[date]] = defaultdict(set)
        for share_id, user_id, post_id, network, created_at in rows:
            self.shares[share_id] = ShareFacts(user_id, post_id, str(network), created_at)
            points = self.book.at(created_at).share_created
            key = f"share:{share_id}"
            self.ledger[key] = _ledger_row(user_id=user_id, kind="share", points=points,
                                           occurred_at=created_at, share_id=share_id)
            self._count(user_id, created_at, points=points, shares=1)
            made[user_id] += 1
            self._grant(user_id, "first-share", created_at)
            if made[user_id] == TEN:
                self._grant(user_id, "ten-shares", created_at)
            week = start_of(Period.week, self._day(created_at))
            weeks[user_id].add(week)
            if all(week - timedelta(weeks=i) in weeks[user_id] for i in range(STREAK_WEEKS)):
                self._grant(user_id, "streak-4", created_at)

    def _conversions(self) -> None:
        rows = self.session.execute(
            select(Conversion.id, Conversion.advocate_id, Conversion.share_id,
                   Conversion.occurred_at)
            .where(Conversion.attributed.is_(True), Conversion.advocate_id.is_not(None))
            .order_by(Conversion.created_at, Conversion.id)).all()
        self.checked["attributed conversions"] = len(rows)
        for conversion_id, advocate_id, share_id, occurred_at in rows:
            user_id = str(advocate_id)
            points = self.book.at(occurred_at).attributed_conversion
            self.ledger[f"conversion:{conversion_id}"] = _ledger_row(
                user_id=user_id, kind="conversion", points=points, occurred_at=occurred_at,
                share_id=share_id)
            self._count(user_id, occurred_at, points=points, conversions=1)
            self._grant(user_id, "first-conversion", occurred_at)

    def _suggestions(self) -> None:
        """Approved suggestions. Their approval time is recorded only in their ledger row
        (a post's ``updated_at`` moves with each later edit): the audit takes it from there,
        and from ``updated_at`` for a suggestion that has no ledger row."""
        stored = aliased(PointsEntry)
        rows = self.session.execute(
            select(Post.id, Post.suggested_by, Post.updated_at, stored.occurred_at)
            .outerjoin(stored, stored.event_key == literal("suggestion:").concat(Post.id))
            .where(Post.suggested_by.is_not(None), Post.status.in_(APPROVED))).all()
        self.checked["approved suggestions"] = len(rows)
        approvals: dict[str, list[datetime]] = defaultdict(list)
        for post_id, suggested_by, updated_at, recorded_at in sorted(
                rows, key=lambda r: (r[3] or r[2], r[0])):
            user_id = str(suggested_by)
            at = recorded_at or updated_at
            points = self.book.at(at).suggestion_approved
            self.ledger[f"suggestion:{post_id}"] = _ledger_row(
                user_id=user_id, kind="suggestion", points=points, occurred_at=at,
                share_id=None)
            self._count(user_id, at, points=points)
            approvals[user_id].append(at)
            if len(approvals[user_id]) == CURATOR_APPROVALS:
                self._grant(user_id, "curator", at)

    # ------------------------------------------------------------------ clicks

    def _click_points(self) -> None:
        """Counted clicks in processing order: each one's ledger row (compared here, as the
        clicks stream by), its share's daily totals, the daily cap, its period totals."""
        self.checked["clicks"] = self.session.scalar(
            select(func.count()).select_from(Click)) or 0
        total = self.session.scalar(select(func.count()).select_from(Click).where(COUNTED))
        self.checked["counted clicks"] = total or 0
        self.progress.phase("points ", total or 0)
        stored = aliased(PointsEntry)
        stmt = (select(Click.click_id, Click.share_id, Click.occurred_at, Click.is_unique,
                       *(getattr(stored, f) for f in LEDGER_FIELDS))
                .outerjoin(stored, stored.event_key == literal("click:").concat(Click.click_id))
                .where(COUNTED).order_by(*PROCESSING_ORDER))
        first_click: set[str] = set()
        done = 0
        for row in self._rows(stmt):
            click_id, share_id, occurred_at, is_unique = row[:4]
            share = self.shares[share_id]
            day = self._day(occurred_at)
            totals = self.share_days.get((share_id, day))
            if totals is None:
                totals = self.share_days[(share_id, day)] = {
                    "user_id": share.user_id, "network": share.network,
                    "post_id": share.post_id, "clicks": 0, "unique_clicks": 0,
                    "click_points": 0}
            points = 0
            if is_unique:
                rules = self.book.at(occurred_at)
                points = max(0, min(rules.unique_click,
                                    rules.unique_click_daily_cap - totals["click_points"]))
            totals["clicks"] += 1
            totals["unique_clicks"] += bool(is_unique)
            totals["click_points"] += points
            self._count(share.user_id, occurred_at, points=points, clicks=1)
            if share.user_id not in first_click:
                first_click.add(share.user_id)
                self._grant(share.user_id, "first-click", occurred_at)
            event_key = f"click:{click_id}"
            self._report(compare(
                "points_ledger", PointsEntry, {"event_key": event_key},
                _stored_ledger(row, 4),
                _ledger_row(user_id=share.user_id, kind="click", points=points,
                            occurred_at=occurred_at, share_id=share_id),
                label=event_key))
            done += 1
            if done % 1000 == 0:
                self.progress.advance(1000)
        self.progress.advance(done % 1000)
        self.progress.finish()

    def _click_flags(self) -> None:
        """The ``unique`` flags replayed salt day by salt day in processing order (a flag
        depends only on earlier clicks of its share and salt day). Reported, never
        rewritten: a decided flag never changes (CONTRACT §4)."""
        self.progress.phase("flags  ", self.checked.get("counted clicks", 0))
        stmt = (select(Click.click_id, Click.seq, Click.share_id, Click.day,
                       Click.visitor_hash, Click.address_hash, Click.is_unique)
                .where(COUNTED).order_by(Click.day, *PROCESSING_ORDER))
        current: date | None = None
        visitors: set[tuple[str, str]] = set()
        addresses: dict[tuple[str, str], int] = defaultdict(int)
        done = 0
        for click_id, seq, share_id, day, visitor, address, stored in self._rows(stmt):
            if day != current:
                current, visitors, addresses = day, set(), defaultdict(int)
            unique = False
            if (share_id, visitor) not in visitors:
                visitors.add((share_id, visitor))
                if address is None:
                    unique = True
                elif addresses[(share_id, address)] < UNIQUE_PER_ADDRESS:
                    addresses[(share_id, address)] += 1
                    unique = True
            if bool(stored) != unique:
                self._flag(click_id, seq, stored, unique)
            done += 1
            if done % 1000 == 0:
                self.progress.advance(1000)
        self.progress.advance(done % 1000)
        self.progress.finish()
        for click_id, seq, stored in self.session.execute(
                select(Click.click_id, Click.seq, Click.is_unique)
                .where(or_(Click.bot.is_(True), Click.is_self.is_(True)),
                       Click.is_unique.is_(True))
                .order_by(*PROCESSING_ORDER)):
            self._flag(click_id, seq, stored, False)

    def _flag(self, click_id: str, seq: int | None, stored: bool, unique: bool) -> None:
        self._report(Difference(
            "clicks", f"click_id={click_id}, seq={show(seq)}", f"unique={show(bool(stored))}",
            f"unique={show(unique)}", None, "flags never change: not repaired"))

    def _visits(self) -> None:
        """``unique_visits`` and ``address_visits`` from the clicks as they are."""
        today = self.now.date()
        counted = (select(Click.share_id, Click.day, Click.visitor_hash).where(COUNTED)
                   .distinct())
        kept = select(UniqueVisit.share_id, UniqueVisit.day, UniqueVisit.visitor_hash)
        # rotate_salt deletes the rows of past salt days: only today's must all be there.
        missing = self.session.execute(
            counted.where(Click.day >= today).except_(kept)).all()
        extra = self.session.execute(kept.except_(counted)).all()
        for row in sorted(missing):
            visit = {"share_id": row[0], "day": row[1], "visitor_hash": row[2]}
            self._report(Difference("unique_visits", key_text(visit), NONE, "present",
                                    Change(UniqueVisit, "insert", visit)))
        for row in sorted(extra):
            visit = {"share_id": row[0], "day": row[1], "visitor_hash": row[2]}
            self._report(Difference("unique_visits", key_text(visit), "present", NONE,
                                    Change(UniqueVisit, "delete", visit)))
        address = (Click.share_id, Click.day, Click.address_hash)
        expected: dict[tuple[str, date, str | None], int] = {
            (r[0], r[1], r[2]): r[3] for r in self.session.execute(
                select(*address, func.count()).where(Click.is_unique.is_(True),
                                                     Click.address_hash.is_not(None))
                .group_by(*address))}
        stored: dict[tuple[str, date, str | None], int] = {
            (r[0], r[1], r[2]): r[3] for r in self.session.execute(
                select(AddressVisit.share_id, AddressVisit.day, AddressVisit.address_hash,
                       AddressVisit.uniques))}
        for key in sorted(expected.keys() | stored.keys()):
            self._report(compare(
                "address_visits", AddressVisit,
                {"share_id": key[0], "day": key[1], "address_hash": key[2]},
                _maybe({"uniques": stored.get(key)}), _maybe({"uniques": expected.get(key)})))

    # ------------------------------------------------------------------ derived tables

    def _other_ledger_rows(self) -> None:
        """The ledger rows of shares, conversions and suggestions, and rows of no event
        (click rows were compared with their clicks)."""
        stored_rows = self.session.execute(
            select(PointsEntry.event_key, *(getattr(PointsEntry, f) for f in LEDGER_FIELDS))
            .where(~PointsEntry.event_key.startswith("click:"))).all()
        stored = {row[0]: _stored_ledger(row, 1) for row in stored_rows}
        for event_key in sorted(stored.keys() | self.ledger.keys()):
            self._report(compare("points_ledger", PointsEntry, {"event_key": event_key},
                                 stored.get(event_key), self.ledger.get(event_key),
                                 label=event_key))
        no_click = ~exists(select(Click.id).where(
            Click.click_id == func.substr(PointsEntry.event_key, len("click:") + 1), COUNTED))
        for row in self.session.execute(
                select(PointsEntry.event_key, *(getattr(PointsEntry, f) for f in LEDGER_FIELDS))
                .where(PointsEntry.event_key.startswith("click:"), no_click)
                .order_by(PointsEntry.event_key)):
            self._report(compare("points_ledger", PointsEntry, {"event_key": row[0]},
                                 _stored_ledger(row, 1), None, label=row[0]))

    def _share_days(self) -> None:
        stored = {(r.share_id, r.day): {
            "user_id": r.user_id, "network": r.network, "post_id": r.post_id,
            "clicks": r.clicks, "unique_clicks": r.unique_clicks,
            "click_points": r.click_points} for r in self.session.execute(select(
                ShareDay.share_id, ShareDay.day, ShareDay.user_id, ShareDay.network,
                ShareDay.post_id, ShareDay.clicks, ShareDay.unique_clicks,
                ShareDay.click_points))}
        for share_id, day in sorted(stored.keys() | self.share_days.keys()):
            self._report(compare("share_days", ShareDay, {"share_id": share_id, "day": day},
                                 stored.get((share_id, day)),
                                 self.share_days.get((share_id, day))))

    def _periods(self) -> None:
        stored = {(r[0], r[1], r[2]): list(r[3:]) for r in self.session.execute(select(
            PeriodStats.user_id, PeriodStats.period, PeriodStats.starts_on,
            *(getattr(PeriodStats, c) for c in COUNTERS)))}
        for key in sorted(stored.keys() | self.periods.keys()):
            user_id, period, starts_on = key
            held, expected = _counters(stored.get(key)), _counters(self.periods.get(key))
            if expected is not None and not any(expected.values()):
                expected = None  # no row, or a row of zeros: every reader reads 0
            if held is not None and not any(held.values()) and expected is None:
                continue
            self._report(compare(
                "period_stats", PeriodStats,
                {"user_id": user_id, "period": period, "starts_on": starts_on},
                held, expected))

    def _badges(self) -> None:
        """Badges are only ever added: one missing is inserted; one held without being
        earned is reported and kept."""
        self._top_three()
        stored = {(u, k): at for u, k, at in self.session.execute(
            select(Badge.user_id, Badge.key, Badge.earned_at))}
        self.checked["badges"] = len(stored)
        for user_id, key in sorted(stored.keys() | self.badges.keys()):
            ids = {"user_id": user_id, "key": key}
            if (user_id, key) not in stored:
                earned_at = self.badges[(user_id, key)]
                self._report(Difference("badges", key_text(ids), NONE,
                                        f"earned_at={show(earned_at)}",
                                        Change(Badge, "insert", ids, {"earned_at": earned_at})))
            elif (user_id, key) not in self.badges:
                why = "not a badge" if key not in BADGE_NAMES else "not earned"
                self._report(Difference(
                    "badges", key_text(ids), f"earned_at={show(stored[(user_id, key)])}",
                    f"{NONE} ({why})", None, "badges are never taken back: not repaired"))

    def _top_three(self) -> None:
        """``top-3``: each finished month's rank ≤ 3 by points (equal points share a rank),
        among users with points who were active when the month ended; earned at its end."""
        deactivated = dict(self.session.execute(select(User.id, User.deactivated_at)).all())
        months: dict[date, dict[str, int]] = defaultdict(dict)
        for (user_id, period, starts_on), counts in self.periods.items():
            if period == Period.month.value and counts[0] > 0:
                months[starts_on][user_id] = counts[0]
        for month, points in months.items():
            following = next_start(Period.month, month)
            assert following is not None
            ends = midnight(following, self.tz)
            if ends > self.now:
                continue
            active = {u: p for u, p in points.items()
                      if deactivated.get(u) is None or _after(deactivated[u], ends)}
            for user_id, mine in active.items():
                if 1 + sum(p > mine for p in active.values()) <= TOP:
                    self._grant(user_id, "top-3", ends)


def _after(moment: datetime | None, ends: datetime) -> bool:
    return moment is not None and moment > ends


def _maybe(values: dict[str, Any]) -> dict[str, Any] | None:
    return None if all(v is None for v in values.values()) else values


def _counters(counts: list[int] | None) -> dict[str, int] | None:
    return None if counts is None else dict(zip(COUNTERS, counts, strict=True))
