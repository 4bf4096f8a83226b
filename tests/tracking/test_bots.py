"""Bot detection measured on user-agent corpora (CONTRACT §4, issue: ≤ 1 % of real browsers
dropped; ≥ 95 % of crawlers caught on the shared corpora, ≥ 90 % on held-out lists)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import crawleruseragents
import pytest

from app.tracking.bots import is_bot, is_bot_user_agent

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def _lines(name: str) -> list[str]:
    path = CORPORA / name
    if not path.exists():
        pytest.fail(f"the user-agent corpus {path} is missing: clone the project with "
                    "../shared beside it")
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]


def _rate(agents: list[str]) -> float:
    return sum(is_bot_user_agent(ua) for ua in agents) / len(agents)


def _report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():  # the rates belong in the test run's output
        print(line)  # noqa: T201


def test_shared_corpora_rates(capsys: pytest.CaptureFixture[str]) -> None:
    browsers = _lines("browsers-uap-core.txt")
    crawlers = _lines("crawlers-crawler-detect.txt")
    dropped, caught = _rate(browsers), _rate(crawlers)
    _report(capsys, f"\nshared corpora: {dropped:.2%} of {len(browsers)} browsers dropped, "
          f"{caught:.2%} of {len(crawlers)} crawlers caught")
    assert dropped <= 0.01
    assert caught >= 0.95


def test_held_out_corpora_rates(capsys: pytest.CaptureFixture[str]) -> None:
    """Lists nobody here wrote or tuned against: crawler-user-agents' examples and
    fake-useragent's real browser strings."""
    crawlers = [ua for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA
                for ua in entry.get("instances", [])]
    data = resources.files("fake_useragent").joinpath("data/browsers.jsonl")
    browsers = sorted({json.loads(line)["useragent"]
                       for line in data.read_text("utf-8").splitlines() if line.strip()})
    dropped, caught = _rate(browsers), _rate(crawlers)
    _report(capsys, f"\nheld-out corpora: {dropped:.2%} of {len(browsers)} browsers dropped, "
          f"{caught:.2%} of {len(crawlers)} crawlers caught")
    assert len(crawlers) > 1000 and len(browsers) > 500
    assert dropped <= 0.01
    assert caught >= 0.90


@pytest.mark.parametrize("agent", [
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0 A",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-httpx/0.28.1",
    "",
    "   ",
])
def test_link_preview_fetchers_and_tools_are_bots(agent: str) -> None:
    assert is_bot_user_agent(agent)


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15G77 [FBAN/FBIOS;FBAV/194.0.0.38.99;FBCR/OrangeBotswana;FBID/phone]",
])
def test_people_in_browsers_and_in_app_browsers_are_not_bots(agent: str) -> None:
    assert not is_bot_user_agent(agent)


def test_prefetch_requests_are_bots_whatever_the_agent() -> None:
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
    assert is_bot(chrome, {"sec-purpose": "prefetch;prerender"})
    assert is_bot(chrome, {"purpose": "prefetch"})
    assert not is_bot(chrome, {})
    assert is_bot(None, {})
