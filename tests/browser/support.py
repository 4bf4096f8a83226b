"""Driving Debian's Chromium against a real ``chorus serve``: the server, the browser, and
what every page test checks (no Content-Security-Policy violation, axe's verdict).

The browser is the system's (``/usr/bin/chromium``, installed by ``.ci/services.sh``), never
one downloaded by ``playwright install``. axe-core is vendored for the tests only
(``tests/vendor/axe-core``) and injected with ``page.evaluate``, which runs through the
DevTools protocol: the pages' CSP stays on while axe scans them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHORUS = str(Path(sys.executable).with_name("chorus"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Headless Chromium says "HeadlessChrome", which Chorus rightly counts as a bot; the tests
# play people, so they send ordinary browser strings.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; SM-G950F) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")
WAIT_MS = 10_000
START_SECONDS = 30.0
AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
# Every violation report the page's CSP produces, collected before any page script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
PHONE: dict[str, Any] = {  # Playwright's "Galaxy S8": 360 × 740, the phone
    "viewport": {"width": 360, "height": 740}, "device_scale_factor": 3,
    "is_mobile": True, "has_touch": True, "user_agent": PHONE_USER_AGENT,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800},
                           "user_agent": USER_AGENT}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chorus_env(db_url: str, base_url: str, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    return {**inherited, "CHORUS_DATABASE_URL": db_url, "CHORUS_BASE_URL": base_url, **extra}


@contextmanager
def serving(db_url: str, port: int, cwd: Path, env: Mapping[str, str] | None = None,
            args: Sequence[str] = ()) -> Iterator[str]:
    """``chorus serve`` on 127.0.0.1:port, its base URL that same address; stopped after."""
    url = f"http://127.0.0.1:{port}"
    log = cwd / f"chorus-serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen([CHORUS, "serve", "--port", str(port), *args], cwd=cwd,
                                  env=chorus_env(db_url, url, **(env or {})),
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "chorus serve did not start in time"
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


@asynccontextmanager
async def chorus_server(db_url: str, port: int, cwd: Path,
                        env: Mapping[str, str] | None = None) -> AsyncIterator[str]:
    """:func:`serving` for an async test (its start blocks the loop for a second or two)."""
    with serving(db_url, port, cwd, env) as url:
        yield url


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert os.access(CHROMIUM, os.X_OK), (
        f"{CHROMIUM} is missing: install Debian's chromium (bash .ci/services.sh)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=WAIT_MS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def browsing(browser: Browser, base_url: str, *, device: Mapping[str, Any],
                   **options: Any) -> AsyncIterator[BrowserContext]:
    """A fresh context (no cookies, no cache) that records CSP violations on every page."""
    context = await browser.new_context(base_url=base_url, **{**device, **options})
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    await context.add_init_script(CSP_LISTENER)
    try:
        yield context
    finally:
        await context.close()


async def csp_violations(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("() => window.__cspViolations || []")
    return found


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE.read_text()


async def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")
                         ) -> list[str]:
    """axe's WCAG 2.2 AA verdict on the page as it is now, as readable lines."""
    if await page.evaluate("() => typeof window.axe") == "undefined":
        await page.evaluate(_axe_source() + "\n;0")
    # Headless Chromium does not advance CSS transitions after emulate_media(): finished
    # now, axe reads the colours the page shows rather than a transition's first frame.
    await page.evaluate("() => document.getAnimations().forEach(a => a.finish())")
    found: list[dict[str, Any]] = await page.evaluate("""async () => (await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
        resultTypes: ['violations']})).violations""")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in found if v["impact"] in impacts]
