"""The demo program, served for the browser: built once per test session with the real
``chorus demo`` (what ``make run`` shows a newcomer), copied for each test module, so that a
module may share, log in and change settings without touching another's data.

Browser tests run once, in the SQLite pass (``make test-sqlite``): what they add over the
API tests is the browser, not the database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page

from app.core.db import click_log_path
from tests.browser.support import CHORUS, chorus_env, csp_violations, free_port, serving

DEMO_SEED = "7"
DEMO_PASSWORD = "chorus-demo"
ARTEFACTS = Path(os.environ.get("CHORUS_ARTEFACTS", Path(__file__).parents[2] / "artefacts"))


@dataclass(frozen=True)
class Site:
    url: str
    database: Path

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.database}"


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    env = chorus_env(_sqlite_url(path), "http://127.0.0.1:8000")
    for command in (["migrate"], ["demo", "--seed", DEMO_SEED]):
        done = subprocess.run([CHORUS, *command], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    return path


@pytest.fixture(scope="module")
def site(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``chorus serve`` over a copy of the demo database, for one test module."""
    folder = tmp_path_factory.mktemp("site")
    database = folder / "chorus.db"
    shutil.copyfile(demo_database, database)
    log = click_log_path(_sqlite_url(demo_database))
    if log is not None and log.exists():  # the click log's own file goes with it
        shutil.copyfile(log, click_log_path(_sqlite_url(database)) or database)
    with serving(_sqlite_url(database), free_port(), folder, args=["--no-migrate"]) as url:
        yield Site(url=url, database=database)


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Where screenshots go (``CHORUS_ARTEFACTS``, else ``artefacts/`` in the checkout)."""
    folder = ARTEFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def api_as(site: Site, email: str) -> Iterator[httpx.Client]:
    """A demo user at the JSON API (bearer token): the tests' independent read of what the
    pages show, and their way to change settings."""
    with httpx.Client(base_url=site.url + "/api/v1", timeout=10) as client:
        login = client.post("/auth/login", json={"email": email, "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


async def visit(page: Page, path: str, status: int = 200) -> None:
    """Open a page, expecting ``status`` and no Content-Security-Policy violation."""
    response = await page.goto(path)
    assert response is not None and response.status == status, path
    assert await csp_violations(page) == [], path


async def sign_in(context: BrowserContext, email: str, *, start: str = "/login",
                  landing: str | re.Pattern[str]) -> Page:
    """Through the real login form (``start`` shows it to a visitor)."""
    page = await context.new_page()
    await visit(page, start)
    await page.fill("#login-email", email)
    await page.fill("#login-password", DEMO_PASSWORD)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await page.wait_for_url(re.compile(landing) if isinstance(landing, str) else landing)
    assert await csp_violations(page) == []
    return page
