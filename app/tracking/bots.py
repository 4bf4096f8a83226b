"""Is a request a bot? crawlerdetect, plus rules for what it misses.

crawlerdetect knows thousands of crawlers by name but misses newer fetchers and flags a few
real in-app browsers. The rules below were measured on the corpora in ``../shared/corpora``
and the held-out ``crawler-user-agents`` and ``fake-useragent`` lists (see
``tests/tracking/test_bots.py``); each says why it exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from crawlerdetect import CrawlerDetect

# Link-preview fetchers named by the contract, matched wherever they appear.
_PREVIEW_FETCHERS = re.compile(
    r"linkedinbot|twitterbot|facebookexternalhit|facebookcatalog|meta-external|slackbot|"
    r"slack-imgproxy|whatsapp|telegrambot|discordbot|googlebot|google-safety|"
    r"google web preview|skypeuripreview|microsoftpreview|bingpreview|viber|"
    r"iframely|embedly|opengraph|redditbot|pinterestbot|applebot|mastodon|bluesky|"
    r"curl/|wget/|python-|httpx|aiohttp|okhttp|go-http-client|java/|node-fetch|axios/|"
    r"libwww|scrapy|headlesschrome|phantomjs|playwright|puppeteer|selenium|electron/.*bot",
    re.IGNORECASE,
)
# Crawlers announce who they are with a URL (``+https://example.com/bot``); browsers never do.
_CONTACT_URL = re.compile(r"\+?https?://|\bwww\.[a-z0-9-]+\.|\+[a-z0-9.-]+\.[a-z]{2,}",
                          re.IGNORECASE)
# Self-declared automation and AI agents that copy a browser's string and add their name.
_AGENT_WORDS = re.compile(
    r"\b(?:bot|crawler|spider|scraper|fetcher|scanner|checker|monitor(?:ing)?|preview|"
    r"agent|archiver?|validator|probe|uptime|headless|-ai|ai-|gpt|perplexity|anthropic|"
    r"claude|cohere|bytespider|diffbot)\b",
    re.IGNORECASE,
)
# Real in-app browsers whose strings trip crawlerdetect's generic "bot" match, such as a
# Facebook app on the carrier "OrangeBotswana" (FBCR/…).
_IN_APP_BROWSER = re.compile(r"\[FB(?:AN|_IAB)/|\bInstagram \d|\bLinkedInApp\b|\bGSA/\d")
# A browser names its platform in parentheses; a bare "name/version" or a single word is a
# library, an app's HTTP client or a feed reader.
_BARE_CLIENT = re.compile(r"^[\w.\- ]+(?:/[\w.\-]+)?$")


@lru_cache(maxsize=1)
def _crawlerdetect() -> CrawlerDetect:
    return CrawlerDetect()


@lru_cache(maxsize=8192)
def is_bot_user_agent(user_agent: str) -> bool:
    ua = user_agent.strip()
    if not ua:
        return True
    if _PREVIEW_FETCHERS.search(ua) or _CONTACT_URL.search(ua):
        return True
    if _IN_APP_BROWSER.search(ua):
        return False
    if _AGENT_WORDS.search(ua):
        return True
    if _BARE_CLIENT.match(ua) and not ua.startswith(("Mozilla/", "Opera")):
        return True
    return bool(_crawlerdetect().isCrawler(ua))


def is_prefetch(headers: Mapping[str, str]) -> bool:
    """Speculative loads (link prefetch, prerender) are not people clicking."""
    purpose = (headers.get("sec-purpose") or headers.get("purpose")
               or headers.get("x-purpose") or headers.get("x-moz") or "")
    return "prefetch" in purpose.lower() or "preview" in purpose.lower()


def is_bot(user_agent: str | None, headers: Mapping[str, str]) -> bool:
    return is_prefetch(headers) or is_bot_user_agent(user_agent or "")
