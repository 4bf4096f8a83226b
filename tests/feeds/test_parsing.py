"""Reading RSS 2.0 and Atom documents into entries (app/feeds/parsing.py), on hand-written
fixtures: links made absolute, markup stripped to text, the image found, each entry once
(by its id, else its link), and broken or hostile documents refused as a whole."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import pytest

from app.feeds.parsing import NotAFeed, parse, plain_text
from tests.feeds.conftest import fixture

BLOG_URL = "https://blog.example.com/feed.xml"
NEWS_URL = "https://news.example.org/atom.xml"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_rss_feed_gives_its_entries_newest_first_each_once() -> None:
    feed = parse(fixture("blog.rss"), url=BLOG_URL, content_type="application/rss+xml")

    assert feed.title == "Acme Engineering Blog"
    assert [e.url for e in feed.entries] == [
        "https://blog.example.com/2026/11/fridays",
        "https://blog.example.com/2026/11/open-source",
        "https://blog.example.com/2026/11/retros",
    ]
    # The guid's second listing is the same entry: its first listing is kept.
    fridays, open_source, retros = feed.entries
    assert retros.title == "Why we run <short> retros"
    assert retros.key == _sha("id:acme-blog-101")
    assert fridays.key == _sha("id:acme-blog-102")
    # No guid: the link identifies it.
    assert open_source.key == _sha("url:https://blog.example.com/2026/11/open-source")
    assert feed.unusable == 1  # the javascript: link


def test_an_rss_entry_gives_text_image_and_date() -> None:
    fridays, open_source, retros = parse(fixture("blog.rss"), url=BLOG_URL,
                                         content_type=None).entries

    assert retros.summary == "Short retros, honest notes & one change a week. Read on."
    assert retros.image_url == "https://blog.example.com/img/retros.jpg"  # media:content
    assert fridays.image_url == "https://blog.example.com/img/fridays.png"  # enclosure
    assert open_source.image_url is None
    assert fridays.when == datetime(2026, 11, 26, 15, 30, tzinfo=UTC)


def test_an_atom_feed_resolves_links_and_strips_html() -> None:
    feed = parse(fixture("newsroom.atom"), url=NEWS_URL, content_type="application/atom+xml")

    assert feed.title == "Acme Newsroom"
    office, results = feed.entries
    assert office.url == "https://news.example.org/press/2026/bangkok-office"
    assert office.title == "Acme opens an office in Bangkok"
    assert office.summary == "Forty new jobs in Sathorn."
    assert office.image_url == "https://news.example.org/media/bangkok.jpg"
    assert office.key == _sha("id:urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
    assert results.summary == "Revenue grew 12 %."  # from its XHTML content
    assert results.image_url == "https://news.example.org/media/q3.jpg"
    assert results.when == datetime(2026, 10, 28, 7, 0, tzinfo=UTC)


def test_a_malformed_feed_is_refused_whole() -> None:
    with pytest.raises(NotAFeed, match="not well-formed XML: .*mismatched tag"):
        parse(fixture("malformed.rss"), url="https://broken.example.com/rss",
              content_type="application/rss+xml")


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "the feed is empty"),
    (b"<!doctype html><html><body><p>Our blog</p></body></html>", "not well-formed XML"),
    (b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', "not an RSS or Atom feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not well-formed XML"),
])
def test_what_is_not_a_feed_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(NotAFeed, match=reason):
        parse(body, url=BLOG_URL, content_type="text/html")


def test_an_entity_expansion_bomb_is_refused() -> None:
    levels = "".join(
        f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
            '<rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title>'
            "<link>https://blog.example.com/a</link></item></channel></rss>").encode()
    started = time.monotonic()

    with pytest.raises(NotAFeed, match="not well-formed XML"):
        parse(bomb, url=BLOG_URL, content_type="application/rss+xml")

    assert time.monotonic() - started < 10


def test_an_external_entity_is_not_read() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>t</title><item><title>Hello &x;</title>'
            b"<link>https://blog.example.com/a</link></item></channel></rss>")

    [entry] = parse(body, url=BLOG_URL, content_type="application/rss+xml").entries

    assert entry.title == "Hello"


def test_a_body_naming_a_local_file_is_parsed_not_opened() -> None:
    with pytest.raises(NotAFeed):
        parse(b"/etc/hostname", url=BLOG_URL, content_type="application/rss+xml")


def test_entries_without_dates_keep_the_feeds_order() -> None:
    items = "".join(f"<item><title>{n}</title><link>https://blog.example.com/{n}</link></item>"
                    for n in ("c", "a", "b"))
    body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()

    entries = parse(body, url=BLOG_URL, content_type=None).entries

    assert [e.title for e in entries] == ["c", "a", "b"]


def test_plain_text_separates_blocks_and_cuts_long_text() -> None:
    assert plain_text("<h2>One</h2><p>Two<br>three</p><ul><li>four</li></ul>", html=True,
                      limit=100) == "One Two three four"
    assert plain_text("a" * 30, html=False, limit=10) == "a" * 9 + "…"
    assert plain_text("<style>p{}</style> ", html=True, limit=10) is None
