"""How long do the pages take on the server, and how heavy is the phone app's first load?

Two programs, both on PostgreSQL:

* the demo (``chorus demo``, what ``make run`` shows: ~30 advocates, ~60 posts, 8 weeks);
* the analytics bench's full size (``bench.analytics``: 10 000 advocates, 10 000 000 clicks,
  a pilot of 1 000 advocates; ``--scale`` shrinks it), loaded the same way that bench does.

The app runs in-process (``create_app`` behind ``httpx.ASGITransport``, no jobs). An
advocate, a marketer and a manager are signed in with the pages' session cookie, and after
a warm-up ``GET /app``, ``GET /console``, ``GET /dashboard/pilots/{id}`` and, as the
dashboard's baseline, the KPI report it is built on (``GET /api/v1/pilots/{id}/kpis``) are
timed ``--requests`` times each, round-robin. The report gives median and p95 per page and
size, and the goals of issue 11: ``/app`` and ``/console`` ≤ 50 ms median at full size;
``/dashboard`` ≤ the KPI report's own median + 50 ms.

Then the bytes a phone downloads on its first visit to ``/app`` at the demo size: the page
and every same-origin asset it references (stylesheets, module scripts and the modules they
import, icons, the manifest), each as transferred with ``Accept-Encoding: gzip``, post
images excepted (the goal: ≤ 100 KB).

It is a measurement, not an assertion: it exits 0 whatever it finds.

    .venv/bin/python -m bench.pages
    .venv/bin/python -m bench.pages --scale 0.1 --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.engine import URL, make_url

from app.auth.principal import SESSION_COOKIE
from app.auth.service import start_session
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from app.models import Pilot, User
from app.models.enums import Role
from bench.analytics import DEFAULT_URL, TZ, load, scale_value, sizes_for
from bench.postgres import pg_admin
from bench.publisher import Progress

APP_GOAL_MS = 50.0
CONSOLE_GOAL_MS = 50.0
DASHBOARD_MARGIN_MS = 50.0
FIRST_LOAD_GOAL_BYTES = 100_000
CHORUS = str(Path(sys.executable).with_name("chorus"))
# What a browser loads by itself: stylesheets, icons, the manifest, scripts and images (not
# the links a person may follow).
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="(/[^"]+)"')
IMPORT = re.compile(r'''(?:import|from)\s*\(?\s*["'](\.{1,2}/[^"']+)["']''')


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # {pilot_id} filled in
    role: Role


PAGES = (
    Page("/app", "/app", Role.advocate),
    Page("/console", "/console", Role.marketer),
    Page("/dashboard", "/dashboard/pilots/{pilot_id}", Role.manager),
    Page("KPI report", "/api/v1/pilots/{pilot_id}/kpis", Role.manager),
)


@dataclass
class Program:
    label: str
    url: str
    pilot_id: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def step(message: str) -> None:
    print(f"[pages] {message}", file=sys.stderr, flush=True)


def _scratch(base: URL, name: str, created: list[str]) -> str:
    asyncio.run(pg_admin(base, f'CREATE DATABASE "{name}"'))
    created.append(name)
    return base.set(database=name).render_as_string(hide_password=False)


def prepare_demo(base: URL, created: list[str]) -> Program:
    url = _scratch(base, f"chorus_bench_pages_{os.getpid()}_demo", created)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")},
           "CHORUS_DATABASE_URL": url}
    for command in (["migrate"], ["demo"]):
        step(f"demo: chorus {' '.join(command)}")
        subprocess.run([CHORUS, *command], env=env, check=True, stdout=subprocess.DEVNULL)
    return Program("demo", url, asyncio.run(_running_pilot(url)))


def prepare_full(base: URL, scale: float, created: list[str]) -> Program:
    size = sizes_for(scale)[-1]
    url = _scratch(base, f"chorus_bench_pages_{os.getpid()}_{size.advocates}", created)
    step(f"{size.label}: migrating")
    upgrade(url)
    built = asyncio.run(load(url, size, datetime.now(UTC)))
    step(f"{size.label}: loaded in {built.load_seconds:.1f}s")
    return Program(f"full x{scale:g} ({size.advocates:,} advocates)", url, built.pilot_id)


async def _running_pilot(url: str) -> str:
    db = Database(url)
    try:
        async with db.transaction() as session:
            pilot = await session.scalar(select(Pilot).order_by(Pilot.ends_on.desc()))
            assert pilot is not None, "the demo has no pilot"
            return pilot.id
    finally:
        await db.dispose()


async def _cookie_for(db: Database, role: Role) -> str:
    """A session for an existing user of ``role`` (the program's own advocates see its
    feed); a new one for the staff roles the analytics program lacks."""
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(
            User.role == role, User.deactivated_at.is_(None)).order_by(User.created_at))
        if user is None:
            user = User(email=f"{role.value}-{secrets.token_hex(4)}@bench.example",
                        name=f"Bench {role.value}", role=role, follower_counts={})
            session.add(user)
            await session.flush()
        return (await start_session(session, user=user)).token


async def measure(programs: Sequence[Program], requests: int) -> None:
    clients: list[tuple[Program, dict[Role, httpx.AsyncClient], Database]] = []
    try:
        for program in programs:
            settings = Settings(_env_file=None, database_url=program.url,
                                secret_key=secrets.token_urlsafe(32), timezone=TZ)
            app = create_app(settings, run_jobs=False)
            db: Database = app.state.db
            by_role = {}
            for role in (Role.advocate, Role.marketer, Role.manager):
                by_role[role] = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000",
                    timeout=120, cookies={SESSION_COOKIE: await _cookie_for(db, role)})
            clients.append((program, by_role, db))
        for program, by_role, _db in clients:  # warm-up
            for page in PAGES:
                response = await by_role[page.role].get(page.path.format(
                    pilot_id=program.pilot_id))
                if response.status_code != 200:
                    program.errors[page.name] = f"{response.status_code} {response.text[:200]}"
        progress = Progress("requests", requests * len(clients) * len(PAGES))
        progress.update(0)
        for round_ in range(requests):
            shift = round_ % len(clients)
            for program, by_role, _db in clients[shift:] + clients[:shift]:
                for page in PAGES:
                    if page.name in program.errors:
                        continue
                    started = time.perf_counter()
                    response = await by_role[page.role].get(
                        page.path.format(pilot_id=program.pilot_id))
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        program.errors[page.name] = f"{response.status_code}"
                        continue
                    program.samples.setdefault(page.name, []).append(elapsed)
            progress.update((round_ + 1) * len(clients) * len(PAGES))
        progress.finish()
    finally:
        for _program, by_role, db in clients:
            for client in by_role.values():
                await client.aclose()
            await db.dispose()


async def first_load(program: Program) -> list[tuple[str, int]]:
    """Each resource a first visit to /app downloads, with its bytes on the wire (gzip)."""
    settings = Settings(_env_file=None, database_url=program.url,
                        secret_key=secrets.token_urlsafe(32), timezone=TZ)
    app = create_app(settings, run_jobs=False)
    db: Database = app.state.db
    fetched: list[tuple[str, int]] = []
    try:
        cookie = await _cookie_for(db, Role.advocate)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1:8000",
                                     headers={"Accept-Encoding": "gzip"},
                                     cookies={SESSION_COOKIE: cookie}) as client:
            queue, seen = ["/app"], {"/app"}
            while queue:
                path = queue.pop(0)
                async with client.stream("GET", path) as response:
                    body = b"".join([chunk async for chunk in response.aiter_raw()])
                    text = (await _decoded(response, body)) if _is_text(response) else ""
                fetched.append((path, len(body)))
                for found in _references(path, text):
                    if found not in seen and not found.startswith("/media/"):
                        seen.add(found)
                        queue.append(found)
    finally:
        await db.dispose()
    return fetched


def _is_text(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return any(t in kind for t in ("html", "javascript", "css", "json"))


async def _decoded(response: httpx.Response, body: bytes) -> str:
    if response.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")


def _references(path: str, text: str) -> list[str]:
    found = [m for m in ASSET.findall(text) if not m.startswith("//")]
    found += [urlsplit(urljoin(f"http://x{path}", m)).path for m in IMPORT.findall(text)]
    if path.endswith(".webmanifest"):
        found += re.findall(r'"src"\s*:\s*"(/[^"]+)"', text)
    return [f.split("#")[0] for f in found]


def _ms(samples: Sequence[float] | None, how: str) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    if how == "median":
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def _cell(value: float | None) -> str:
    return f"{value:9.1f}" if value is not None else f"{'—':>9}"


def report(programs: Sequence[Program], requests: int, loaded: list[tuple[str, int]]) -> None:
    print(f"\nServer time per page, {requests} requests each (ms):")
    print(f"{'program':<34}{'page':<12}{'median':>9}{'p95':>9}")
    for program in programs:
        for page in PAGES:
            samples = program.samples.get(page.name)
            error = program.errors.get(page.name)
            print(f"{program.label:<34}{page.name:<12}{_cell(_ms(samples, 'median'))}"
                  f"{_cell(_ms(samples, 'p95'))}" + (f"  error: {error}" if error else ""))
    full = programs[-1]
    print("\nGoals at full size:")
    for name, goal in (("/app", APP_GOAL_MS), ("/console", CONSOLE_GOAL_MS)):
        median = _ms(full.samples.get(name), "median")
        verdict = "—" if median is None else ("met" if median <= goal else "MISSED")
        print(f"  {name:<11} median {_cell(median)} ms  ≤ {goal:.0f} ms: {verdict}")
    kpi = _ms(full.samples.get("KPI report"), "median")
    dash = _ms(full.samples.get("/dashboard"), "median")
    if kpi is not None and dash is not None:
        verdict = "met" if dash <= kpi + DASHBOARD_MARGIN_MS else "MISSED"
        print(f"  /dashboard  median {dash:9.1f} ms  ≤ KPI report {kpi:.1f} + "
              f"{DASHBOARD_MARGIN_MS:.0f} ms: {verdict} (the page adds {dash - kpi:.1f} ms)")
    total = sum(size for _, size in loaded)
    print(f"\nFirst load of /app at the demo size (bytes on the wire, gzip), "
          f"{len(loaded)} resources:")
    for path, size in loaded:
        print(f"  {size:>8,}  {path}")
    verdict = "met" if total <= FIRST_LOAD_GOAL_BYTES else "MISSED"
    print(f"  {total:>8,}  in all (goal ≤ {FIRST_LOAD_GOAL_BYTES:,}: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", type=scale_value, default=1.0,
                        help="size of the large program against the analytics bench's full")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    base = make_url(args.database_url)
    created: list[str] = []
    try:
        programs = [prepare_demo(base, created), prepare_full(base, args.scale, created)]
        asyncio.run(measure(programs, args.requests))
        loaded = asyncio.run(first_load(programs[0]))
        report(programs, args.requests, loaded)
    finally:
        if not args.keep:
            for name in created:
                asyncio.run(pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
