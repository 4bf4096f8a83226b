"""``chorus audit [--repair]`` (CONTRACT §1): the derived numbers recomputed from the raw
records, as the command line and as the tests' oracle (:func:`app.analytics.audit.audit`).

The audit has to be right both ways: a program built through the API (every kind of event:
shares, clicks from several addresses and browsers, bots, the advocate's own clicks, the
address cap, the daily cap under changed rules, conversions, approved suggestions, a
deactivated user, the monthly badge job) and the demo audit clean, and the audit rebuilds
every derived table from nothing exactly as the application wrote it; each kind of wrong
number is reported, exits 1, and ``--repair`` fixes it in one transaction (decided click
flags and badges already held excepted).

The organisation is in Tokyo (UTC+9), so a local day, which the daily cap and the periods
use, is not the salt's UTC day, which uniqueness uses.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update

from app.analytics import audit as audit_module
from app.analytics.audit import AuditReport, audit
from app.core.config import Settings
from app.core.db import Database, new_id
from app.gamification.jobs import award_monthly_badges
from app.models import (
    AddressVisit,
    Badge,
    Click,
    PeriodStats,
    PointsEntry,
    Share,
    ShareDay,
    UniqueVisit,
)
from app.tracking.links import new_click_id
from app.tracking.projection import ClickDraft
from app.tracking.recorder import ClickRecorder
from tests.builders import Api, Role
from tests.databases import empty_database
from tests.gamification.support import (
    approve,
    at,
    conversions_key,
    convert,
    set_rules,
    share_via_api,
    suggest,
    zoned_settings,
)

ZONE = "Asia/Tokyo"
CHORUS = str(Path(sys.executable).with_name("chorus"))
SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.4 Safari/605.1.15")
BROWSERS = [SAFARI] + [
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"Chrome/{version}.0.0.0 Safari/537.36" for version in (120, 121, 122, 123, 124)]
BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
# May 2026 is the program's month; the job grants its top three on 1 June (Tokyo), and the
# in-process audits look at it the day after.
MONTH_ENDS = datetime(2026, 5, 31, 15, 0, tzinfo=UTC)
AUDITED = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return zoned_settings(db_url, ZONE)


# ---------------------------------------------------------------------- the program

class Browsers:
    """People following tracked links: one client per address, any user agent."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def follow(self, code: str, when: datetime, *, address: str, agent: str = SAFARI,
                     headers: dict[str, str] | None = None) -> str:
        client = self._clients.get(address)
        if client is None:
            transport = httpx.ASGITransport(app=self._app, client=(address, 40000))
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            self._clients[address] = client
        with at(when):
            response = await client.get(f"/s/{code}",
                                        headers={"user-agent": agent, **(headers or {})})
        assert response.status_code == 302, response.text
        return dict(parse_qsl(urlsplit(response.headers["location"]).query))["chorus_cid"]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@dataclass
class Program:
    app: FastAPI
    users: dict[str, str] = field(default_factory=dict)  # name -> id
    shares: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> share
    clicks: dict[str, str] = field(default_factory=dict)  # label -> click id


async def build_program(api: Api, app: FastAPI) -> Program:
    """A month of a small program, through the API and the tracked links."""
    program = Program(app)
    admin = await api.headers(Role.admin, name="Admin")
    marketer = await api.headers(Role.marketer, name="Mira")
    headers: dict[str, dict[str, str]] = {}
    for name, role in [("Aoi", Role.advocate), ("Ben", Role.advocate),
                       ("Chie", Role.advocate), ("Dai", Role.manager)]:
        user, headers[name] = await api.user(role, name=name)
        program.users[name] = user.id
    browsers = Browsers(app)
    try:
        # Aoi shares ten times over four weeks (ten shares, a four-week streak).
        for label, day in [("a1", 4), ("a2", 5), ("a3", 6), ("a4", 12), ("a5", 13),
                           ("a6", 14), ("a7", 19), ("a8", 20), ("a9", 26), ("a10", 27)]:
            program.shares[label] = await share_via_api(api, headers["Aoi"], utc(day, 1))
        program.shares["b1"] = await share_via_api(api, headers["Ben"], utc(5, 2), "x")
        program.shares["c1"] = await share_via_api(api, headers["Chie"], utc(6, 2))
        program.shares["d1"] = await share_via_api(api, headers["Dai"], utc(7, 2), "facebook")
        a1, a2, a4 = (program.shares[k]["code"] for k in ("a1", "a2", "a4"))

        # a1: a reader before and after Tokyo midnight of one UTC day (two local days, one
        # salt day: unique once), a link-preview bot, the advocate's own click.
        program.clicks["first"] = await browsers.follow(a1, utc(4, 14), address="198.51.100.1")
        program.clicks["again"] = await browsers.follow(a1, utc(4, 16), address="198.51.100.1")
        await browsers.follow(a1, utc(4, 14, 5), address="198.51.100.2", agent=BOT)
        program.clicks["own"] = await browsers.follow(a1, utc(4, 15), address="198.51.100.3",
                                                      headers=headers["Aoi"])
        # a2: six browsers behind one office address (three can be unique), and a reader
        # the next UTC day (a new salt day: unique again).
        for i, agent in enumerate(BROWSERS):
            program.clicks[f"office{i}"] = await browsers.follow(
                a2, utc(5, 6, i), address="203.0.113.50", agent=agent)
        program.clicks["next-day"] = await browsers.follow(a2, utc(6, 6), address="198.51.100.1")
        program.clicks["next-day-again"] = await browsers.follow(a2, utc(6, 7),
                                                                 address="198.51.100.1")

        # From 10 May a unique click earns 3, at most 7 a day: the fourth of one Tokyo day
        # earns 0 (3, 3, 1, 0), the first of the next Tokyo day 3 again.
        await set_rules(api, admin, utc(10, 0), unique_click=3, unique_click_daily_cap=7)
        for i in range(4):
            program.clicks[f"capped{i}"] = await browsers.follow(
                a4, utc(12, 3 + i), address=f"198.51.100.{20 + i}")
        await browsers.follow(a4, utc(12, 16), address="198.51.100.30")

        for label, code, day in [("ben", program.shares["b1"]["code"], 5),
                                 ("chie", program.shares["c1"]["code"], 6),
                                 ("dai", program.shares["d1"]["code"], 7)]:
            for i in range(3):
                program.clicks[f"{label}{i}"] = await browsers.follow(
                    code, utc(day, 10, i), address=f"198.51.100.{40 + i}")

        # Conversions: two attributed, one naming the advocate's own click (unattributed).
        key = await conversions_key(api, admin)
        await convert(api, key, utc(4, 20), "crm-1", program.clicks["first"])
        await convert(api, key, utc(6, 12), "crm-2", program.clicks["chie0"])
        await convert(api, key, utc(4, 21), "crm-3", program.clicks["own"])

        # Ben's suggestions: three approved (curator), one turned down.
        for i in range(4):
            post_id = await suggest(api, headers["Ben"], utc(15, i), f"https://ben.example/{i}")
            if i < 3:
                await approve(api, marketer, post_id, utc(16, i))
            else:
                with at(utc(16, 5)):
                    response = await api.client.post(f"/api/v1/posts/{post_id}/reject",
                                                     headers=marketer,
                                                     json={"reason": "Paywalled."})
                assert response.status_code == 200, response.text

        # Chie leaves before the month ends: no top-three badge for her.
        with at(utc(28, 0)):
            response = await api.client.delete(f"/api/v1/users/{program.users['Chie']}",
                                               headers=admin)
        assert response.status_code == 204, response.text
    finally:
        await browsers.close()
    await award_monthly_badges(api.db, now=MONTH_ENDS + timedelta(minutes=5))
    return program


@pytest.fixture
async def program(api: Api, app: FastAPI) -> Program:
    built = await build_program(api, app)
    report = await audit(api.db, now=AUDITED)
    assert report.found == [], "\n".join(map(str, report.found))
    return built


# ---------------------------------------------------------------------- helpers

def run_cli(db_url: str, *args: str, cwd: Path, zone: str = ZONE
            ) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env = {**inherited, "CHORUS_DATABASE_URL": db_url, "CHORUS_TIMEZONE": zone}
    return subprocess.run([CHORUS, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


async def cli(db_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, db_url, *args, cwd=cwd)


def tables(report: AuditReport, *, remaining: bool = False) -> set[str]:
    return {d.table for d in (report.remaining if remaining else report.found)}


def lines(report: AuditReport) -> list[str]:
    return [str(d) for d in report.found]


async def change(db: Database, statement: Any) -> None:
    async with db.transaction() as session:
        result = await session.execute(statement)
        assert getattr(result, "rowcount", 1) == 1


async def click_ledger(db: Database, click_id: str) -> tuple[str, int] | None:
    async with db.transaction() as session:
        row = (await session.execute(select(PointsEntry.kind, PointsEntry.points).where(
            PointsEntry.event_key == f"click:{click_id}"))).first()
    return None if row is None else (row[0], row[1])


# ---------------------------------------------------------------------- right numbers

async def test_a_program_built_through_the_api_audits_clean(
        program: Program, api: Api, db_url: str, tmp_path: Path) -> None:
    """The fixture already audited it in-process; the command line agrees and says so."""
    # The program holds what the audit must get right: the values below are the
    # contract's, worked out by hand.
    assert await click_ledger(api.db, program.clicks["first"]) == ("click", 2)
    assert await click_ledger(api.db, program.clicks["own"]) is None
    assert [await click_ledger(api.db, program.clicks[f"capped{i}"]) for i in range(4)] == [
        ("click", 3), ("click", 3), ("click", 1), ("click", 0)]
    office = [await click_ledger(api.db, program.clicks[f"office{i}"]) for i in range(6)]
    assert office == [("click", 2)] * 3 + [("click", 0)] * 3
    result = await cli(db_url, "audit", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("audit: clean (")


async def test_the_audit_rebuilds_every_derived_table_as_the_application_wrote_it(
        program: Program, api: Api) -> None:
    """The strongest check of the oracle: with every derived row deleted, the repair writes
    back exactly the rows the application had written as the events arrived."""
    before = await derived_rows(api.db)
    assert len(before["points_ledger"]) > 30 and before["badges"]
    async with api.db.transaction() as session:
        for model in (PointsEntry, ShareDay, PeriodStats, Badge, AddressVisit, UniqueVisit):
            await session.execute(delete(model))
    report = await audit(api.db, repair=True, now=AUDITED)
    assert tables(report) == {"share_days", "points_ledger", "period_stats", "badges",
                              "address_visits"}
    assert report.clean, "\n".join(map(str, report.remaining))
    after = await derived_rows(api.db)
    assert after == before
    # Past salt days' visits are deleted by rotate_salt anyway: none is written back.
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(UniqueVisit)) == 0


async def derived_rows(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Every derived row but its id and creation time (and a badge's exact time, which
    depends on how clicks were batched)."""
    async with db.transaction() as session:
        async def rows(*columns: Any) -> set[tuple[Any, ...]]:
            return {tuple(r) for r in (await session.execute(select(*columns))).all()}

        return {
            "points_ledger": await rows(PointsEntry.event_key, PointsEntry.user_id,
                                        PointsEntry.kind, PointsEntry.points,
                                        PointsEntry.occurred_at, PointsEntry.share_id),
            "share_days": await rows(ShareDay.share_id, ShareDay.day, ShareDay.user_id,
                                     ShareDay.network, ShareDay.post_id, ShareDay.clicks,
                                     ShareDay.unique_clicks, ShareDay.click_points),
            "period_stats": await rows(PeriodStats.user_id, PeriodStats.period,
                                       PeriodStats.starts_on, PeriodStats.points,
                                       PeriodStats.shares, PeriodStats.clicks,
                                       PeriodStats.conversions),
            "badges": await rows(Badge.user_id, Badge.key),
            "address_visits": await rows(AddressVisit.share_id, AddressVisit.day,
                                         AddressVisit.address_hash, AddressVisit.uniques),
        }


async def test_badges_of_the_program(program: Program, api: Api) -> None:
    """The badges the application granted, which the audit recomputed (the fixture found no
    difference): written out by hand from the contract."""
    users = {v: k for k, v in program.users.items()}
    async with api.db.transaction() as session:
        held = {(users[u], k) for u, k in (await session.execute(
            select(Badge.user_id, Badge.key))).all()}
    assert held == {
        ("Aoi", "first-share"), ("Aoi", "ten-shares"), ("Aoi", "streak-4"),
        ("Aoi", "first-click"), ("Aoi", "first-conversion"), ("Aoi", "top-3"),
        ("Ben", "first-share"), ("Ben", "first-click"), ("Ben", "curator"), ("Ben", "top-3"),
        ("Chie", "first-share"), ("Chie", "first-click"), ("Chie", "first-conversion"),
        ("Dai", "first-share"), ("Dai", "first-click"), ("Dai", "top-3"),
    }


# ---------------------------------------------------------------------- wrong numbers

@dataclass(frozen=True)
class Corruption:
    """A wrong number: how to make it, what the audit must say, whether it is repaired."""

    make: Callable[[Database, Program], Awaitable[None]]
    tables: set[str]
    says: str
    remains: str | None = None  # the table still reported after the repair


async def _share_days_count(db: Database, program: Program) -> None:
    # The four clicks of 12 May in Tokyo, one more.
    share_id = program.shares["a4"]["id"]
    await change(db, update(ShareDay).where(ShareDay.share_id == share_id,
                                            ShareDay.day == utc(12, 0).date())
                 .values(clicks=ShareDay.clicks + 1))


async def _ledger_row_deleted(db: Database, program: Program) -> None:
    await change(db, delete(PointsEntry).where(
        PointsEntry.event_key == f"click:{program.clicks['capped2']}"))


async def _ledger_points(db: Database, program: Program) -> None:
    await change(db, update(PointsEntry).where(
        PointsEntry.event_key == f"share:{program.shares['b1']['id']}").values(points=15))


async def _extra_ledger_row(db: Database, program: Program) -> None:
    async with db.transaction() as session:
        session.add(PointsEntry(id=new_id(), event_key="conversion:no-such-conversion",
                                user_id=program.users["Dai"], kind="conversion", points=20,
                                occurred_at=utc(20, 0), share_id=program.shares["d1"]["id"]))


async def _period_total(db: Database, program: Program) -> None:
    await change(db, update(PeriodStats).where(
        PeriodStats.user_id == program.users["Ben"], PeriodStats.period == "month")
        .values(points=PeriodStats.points + 1))


async def _badge_deleted(db: Database, program: Program) -> None:
    await change(db, delete(Badge).where(Badge.user_id == program.users["Ben"],
                                         Badge.key == "curator"))


async def _badge_unearned(db: Database, program: Program) -> None:
    async with db.transaction() as session:
        session.add(Badge(user_id=program.users["Dai"], key="ten-shares",
                          earned_at=utc(20, 0)))


async def _flag_flipped(db: Database, program: Program) -> None:
    # The office's fourth browser was not unique (the address had given three): now it is.
    await change(db, update(Click).where(Click.click_id == program.clicks["office3"])
                 .values(is_unique=True))


async def _address_count(db: Database, program: Program) -> None:
    await change(db, update(AddressVisit).where(
        AddressVisit.share_id == program.shares["a2"]["id"], AddressVisit.uniques == 3)
        .values(uniques=2))


async def _visit_extra(db: Database, program: Program) -> None:
    async with db.transaction() as session:
        session.add(UniqueVisit(share_id=program.shares["a3"]["id"],
                                day=utc(6, 0).date(), visitor_hash="0" * 64))


async def _log_entry_pending(db: Database, program: Program) -> None:
    """A click logged by the redirect and not projected yet, as if the process had been
    killed right after its 302: the app's projector, which each click woke and which then
    polls the log in the background of the test's event loop, is stopped first."""
    await program.app.state.projector.close()
    share = program.shares["a10"]
    async with db.transaction() as session:
        stored = await session.get(Share, share["id"])
        assert stored is not None
        advocate_id, post_id = stored.user_id, stored.post_id
    when = utc(27, 5)
    recorder = ClickRecorder(db)
    try:
        await recorder.record(ClickDraft(
            share_id=share["id"], advocate_id=advocate_id, network="linkedin",
            post_id=post_id, click_id=PENDING_CLICK, occurred_at=when, day=when.date(),
            visitor_hash="f" * 64, device="desktop", referrer_host=None, bot=False,
            session_token_hash=None, address_hash="e" * 64))
    finally:
        await recorder.close()


PENDING_CLICK = new_click_id()
CORRUPTIONS = {
    "a share_days count changed": Corruption(_share_days_count, {"share_days"},
                                             "clicks=5; recomputed clicks=4"),
    "a ledger row deleted": Corruption(_ledger_row_deleted, {"points_ledger"},
                                       "stored none; recomputed user_id="),
    "a ledger row's points changed": Corruption(_ledger_points, {"points_ledger"},
                                                "stored points=15; recomputed points=10"),
    "an extra ledger row": Corruption(_extra_ledger_row, {"points_ledger"},
                                      "points_ledger[conversion:no-such-conversion]"),
    "a period total changed": Corruption(_period_total, {"period_stats"}, "period=month"),
    "a badge deleted": Corruption(_badge_deleted, {"badges"},
                                  "key=curator]: stored none; recomputed earned_at="),
    "a badge not earned": Corruption(_badge_unearned, {"badges"},
                                     "key=ten-shares]: stored earned_at=", remains="badges"),
    "a unique flag flipped": Corruption(
        _flag_flipped, {"clicks", "address_visits", "share_days", "points_ledger",
                        "period_stats"},
        "stored unique=true; recomputed unique=false (flags never change: not repaired)",
        remains="clicks"),
    "an address count changed": Corruption(_address_count, {"address_visits"},
                                           "stored uniques=2; recomputed uniques=3"),
    "an extra unique visit": Corruption(_visit_extra, {"unique_visits"},
                                        "stored present; recomputed none"),
    "a log entry pending": Corruption(_log_entry_pending, {"click_log"},
                                      "1 click logged and not yet processed"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
async def test_a_wrong_number_is_reported_and_repaired(
        name: str, program: Program, api: Api, db_url: str, tmp_path: Path) -> None:
    corruption = CORRUPTIONS[name]
    await corruption.make(api.db, program)

    report = await audit(api.db, now=AUDITED)
    assert tables(report) == corruption.tables, "\n".join(lines(report))
    assert any(corruption.says in line for line in lines(report)), "\n".join(lines(report))

    result = await cli(db_url, "audit", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert corruption.says in result.stdout
    assert "audit: " in result.stdout.splitlines()[-1]

    repaired = await cli(db_url, "audit", "--repair", cwd=tmp_path)
    assert "rewritten in one transaction" in repaired.stdout, repaired.stdout
    after = await audit(api.db, now=AUDITED)
    if corruption.remains is None:
        assert repaired.returncode == 0, repaired.stdout + repaired.stderr
        assert repaired.stdout.splitlines()[-1] == "audit after repair: clean"
        assert after.found == [], "\n".join(lines(after))
    else:
        # Decided flags never change and badges are never taken back: reported still.
        assert repaired.returncode == 1, repaired.stdout + repaired.stderr
        assert tables(after) == {corruption.remains}
        assert all(not d.repairable for d in after.found)


async def test_a_pending_click_is_projected_by_the_repair_and_counted(
        program: Program, api: Api) -> None:
    await _log_entry_pending(api.db, program)
    assert await click_ledger(api.db, PENDING_CLICK) is None
    report = await audit(api.db, repair=True, now=AUDITED)
    assert tables(report) == {"click_log"} and report.repaired == 1 and report.clean
    # A new visitor from a new address on 27 May, under the 3-point rules.
    assert await click_ledger(api.db, PENDING_CLICK) == ("click", 3)
    async with api.db.transaction() as session:
        click = await session.scalar(select(Click).where(Click.click_id == PENDING_CLICK))
    assert click is not None and click.is_unique and click.seq is not None


async def test_a_flipped_flag_stays_and_the_counts_follow_the_stored_flags(
        program: Program, api: Api) -> None:
    """Flags never change: the repair leaves the flag and makes every count agree with it
    (a click flipped to unique is counted as unique, with the points it then earns)."""
    await _flag_flipped(api.db, program)
    report = await audit(api.db, repair=True, now=AUDITED)
    assert [str(d) for d in report.remaining] == [
        f"clicks[click_id={program.clicks['office3']}, seq={seq}]: stored unique=true; "
        "recomputed unique=false (flags never change: not repaired)"
        for seq in [await _seq(api.db, program.clicks["office3"])]]
    assert await click_ledger(api.db, program.clicks["office3"]) == ("click", 2)


async def _seq(db: Database, click_id: str) -> int | None:
    async with db.transaction() as session:
        return await session.scalar(select(Click.seq).where(Click.click_id == click_id))


async def test_the_repair_is_one_transaction(program: Program, api: Api,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A repair that fails half-way leaves nothing half-repaired."""
    for corrupt in (_share_days_count, _ledger_points, _period_total, _badge_deleted):
        await corrupt(api.db, program)
    before = await audit(api.db, now=AUDITED)
    assert len(before.found) == 4
    real_apply = audit_module.apply

    def failing(session: Any, differences: Any) -> int:
        real_apply(session, differences)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit_module, "apply", failing)
    with pytest.raises(RuntimeError, match="disk is full"):
        await audit(api.db, repair=True, now=AUDITED)
    still = await audit(api.db, now=AUDITED)
    assert lines(still) == lines(before)
    monkeypatch.setattr(audit_module, "apply", real_apply)
    assert (await audit(api.db, repair=True, now=AUDITED)).clean


async def test_an_unfinished_month_has_no_top_three_yet(program: Program, api: Api) -> None:
    """Audited inside May, the top-three badges the job granted at its end are early."""
    report = await audit(api.db, now=utc(30, 0))
    assert tables(report) == {"badges"}
    assert all("key=top-3" in line and "not earned" in line for line in lines(report))


# ---------------------------------------------------------------------- a production bug

async def test_a_click_logged_before_midnight_and_projected_after_the_rotation(
        api: Api, app: FastAPI, settings: Settings) -> None:
    """``rotate_salt`` keeps yesterday's visits: a restart runs it before the projector
    catches up, and a visitor counted that salt day must not be unique a second time."""
    from app.gamification import service as gamification_service
    from app.jobs.queue import NoJobs
    from app.jobs.spec import JobContext
    from app.tracking.jobs import rotate_salt
    from app.tracking.projector import ClickProjector

    _, headers = await api.user(name="Aoi")
    share = await share_via_api(api, headers, utc(4, 1))
    browsers = Browsers(app)
    try:
        first = await browsers.follow(share["code"], utc(4, 23, 59), address="198.51.100.9")
    finally:
        await browsers.close()
    async with api.db.transaction() as session:
        click = await session.scalar(select(Click).where(Click.click_id == first))
        stored = await session.get(Share, share["id"])
    assert click is not None and click.is_unique and stored is not None
    # The same browser again a second before midnight: logged, its 302 sent, and the
    # process killed before the projector got to it.
    await app.state.projector.close()
    recorder = ClickRecorder(api.db)
    again = utc(4, 23, 59) + timedelta(seconds=58)
    try:
        await recorder.record(ClickDraft(
            share_id=stored.id, advocate_id=stored.user_id, network=str(stored.network),
            post_id=stored.post_id, click_id=new_click_id(), occurred_at=again,
            day=again.date(), visitor_hash=click.visitor_hash, device=click.device,
            referrer_host=None, bot=False, session_token_hash=None,
            address_hash=click.address_hash))
    finally:
        await recorder.close()
    # The restart, just after midnight: rotate_salt runs at start-up, the projector
    # catches up with the log after it (the job's own settling of the log is left out
    # here: the visits it keeps must suffice).
    api.db.projector = None
    with at(utc(5, 0, 0) + timedelta(seconds=5)):
        await rotate_salt(JobContext(db=api.db, settings=settings, jobs=NoJobs()))
        projector = ClickProjector(api.db, hooks=[gamification_service.award_clicks])
        try:
            assert await projector.catch_up() == 1
        finally:
            await projector.close()
    report = await audit(api.db, now=utc(5, 0, 1))
    # The second click of one visitor on one share in one salt day is not unique (§4).
    assert report.found == [], "\n".join(lines(report))


# ---------------------------------------------------------------------- the demo

@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chorus demo`` into a new migrated database, now (its eight weeks end today)."""
    folder = tmp_path_factory.mktemp("audit-demo")
    with empty_database(folder, "audit-demo") as url:
        migrated = run_cli(url, "migrate", cwd=folder, zone="UTC")
        assert migrated.returncode == 0, migrated.stderr
        built = run_cli(url, "demo", "--seed", "5", cwd=folder, zone="UTC")
        assert built.returncode == 0, built.stderr
        yield url


async def test_the_demo_audits_clean(demo_url: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    result = await asyncio.to_thread(run_cli, demo_url, "audit", cwd=tmp_path, zone="UTC")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [result.stdout.splitlines()[-1]]
    assert result.stdout.startswith("audit: clean (")
    assert elapsed < 60


@pytest.fixture
async def demo_db(demo_url: str) -> AsyncIterator[Database]:
    from zoneinfo import ZoneInfo

    db = Database(demo_url, tz=ZoneInfo("UTC"))
    yield db
    await db.dispose()


async def test_the_demo_is_rebuilt_exactly(demo_db: Database) -> None:
    """Last (it rewrites the module's demo): every derived row deleted, then repaired."""
    before = await derived_rows(demo_db)
    async with demo_db.transaction() as session:
        for model in (PointsEntry, ShareDay, PeriodStats, Badge):
            await session.execute(delete(model))
    report = await audit(demo_db, repair=True)
    assert report.clean, "\n".join(map(str, report.remaining))
    assert len(report.found) > 500
    assert await derived_rows(demo_db) == before
