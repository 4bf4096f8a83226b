"""What the providers read without calling anyone: post URLs into the networks' ids (or the
reason they cannot), and the networks' answers (every hand-written fixture) into metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from app.models.enums import Network
from app.networks.providers import FACEBOOK, LINKEDIN, PROVIDERS, X
from app.networks.providers.base import Metric, PostRef, Status, Unresolvable
from app.networks.providers.linkedin import AnalyticsAnswer, analytics_url
from app.networks.providers.x import _outcomes
from tests.networks.conftest import FIXTURES, fixture

LINKEDIN_URLS = [
    ("https://www.linkedin.com/feed/update/urn:li:share:7254981234567890123/",
     ("share", "7254981234567890123")),
    ("https://www.linkedin.com/feed/update/urn:li:ugcPost:7254981234567890124?utm_source=share",
     ("ugcPost", "7254981234567890124")),
    ("https://linkedin.com/feed/update/urn%3Ali%3Ashare%3A7254981234567890125",
     ("share", "7254981234567890125")),
    ("https://www.linkedin.com/embed/feed/update/urn:li:share:7254981234567890126",
     ("share", "7254981234567890126")),
    ("https://www.linkedin.com/posts/ana-lima_launch-week-share-7254981234567890127-Ab3d",
     ("share", "7254981234567890127")),
    ("https://www.linkedin.com/posts/ana-lima_our-new-report-ugcPost-7254981234567890128-x_Yz/"
     "?utm_source=share&utm_medium=member_desktop",
     ("ugcPost", "7254981234567890128")),
    ("https://uk.linkedin.com/posts/bo_x-share-7254981234567890129-QQ",
     ("share", "7254981234567890129")),
    ("https://www.linkedin.com/feed/update/urn:li:activity:7254981234567890130/",
     "activity"),
    ("https://www.linkedin.com/posts/ana-lima_launch-activity-7254981234567890131-Ab3d",
     "activity"),
    ("https://lnkd.in/eAbC123", "lnkd.in"),
    ("https://www.linkedin.com/in/ana-lima/", "not the address"),
    ("https://www.linkedin.com/feed/", "not the address"),
    ("https://evil.example/feed/update/urn:li:share:7254981234567890132", "not the address"),
    ("https://linkedin.com.evil.example/feed/update/urn:li:share:1", "not the address"),
    ("ftp://www.linkedin.com/feed/update/urn:li:share:1", "not the address"),
]

X_URLS = [
    ("https://x.com/ana_lima/status/1861234567890123456", "1861234567890123456"),
    ("https://twitter.com/ana_lima/status/1861234567890123456?s=20", "1861234567890123456"),
    ("https://mobile.twitter.com/ana_lima/status/1861234567890123456/photo/1",
     "1861234567890123456"),
    ("https://www.x.com/i/web/status/1861234567890123456", "1861234567890123456"),
    ("https://x.com/ana_lima/statuses/20", "20"),
    ("https://x.com/ana_lima", None),
    ("https://x.com/ana_lima/status/", None),
    ("https://x.com/ana_lima/status/99999999999999999999", None),  # past 64 bits
    ("https://t.co/AbCdEf", None),
    ("https://x.com.evil.example/a/status/1", None),
    ("https://www.linkedin.com/feed/update/urn:li:share:1", None),
]


@pytest.mark.parametrize(("url", "expected"), LINKEDIN_URLS)
def test_linkedin_urls(url: str, expected: tuple[str, str] | str) -> None:
    ref = LINKEDIN.parse_ref(url)
    if isinstance(expected, tuple):
        assert ref == PostRef(Network.linkedin, *expected)
    else:
        assert isinstance(ref, Unresolvable)
        assert expected in ref.reason


def test_an_activity_url_says_what_to_do_instead() -> None:
    ref = LINKEDIN.parse_ref("https://www.linkedin.com/feed/update/urn:li:activity:1/")
    assert isinstance(ref, Unresolvable)
    assert "embed" in ref.reason and "by hand" in ref.reason


@pytest.mark.parametrize(("url", "expected"), X_URLS)
def test_x_urls(url: str, expected: str | None) -> None:
    ref = X.parse_ref(url)
    if expected is None:
        assert isinstance(ref, Unresolvable)
    else:
        assert ref == PostRef(Network.x, "post", expected)


@pytest.mark.parametrize("url", ["https://www.facebook.com/ana/posts/123456",
                                 "https://www.facebook.com/permalink.php?story_fbid=1&id=2"])
def test_facebook_is_never_resolved(url: str) -> None:
    ref = FACEBOOK.parse_ref(url)
    assert isinstance(ref, Unresolvable) and "by hand" in ref.reason
    assert FACEBOOK.supported is False
    assert not FACEBOOK.capabilities(Settings(_env_file=None))


def test_capabilities_follow_the_configuration(settings: Settings) -> None:
    every = frozenset(Metric)
    assert X.capabilities(settings) == every and LINKEDIN.capabilities(settings) == every
    bare = Settings(_env_file=None)
    assert not X.capabilities(bare) and not LINKEDIN.capabilities(bare)
    assert set(PROVIDERS) == {Network.linkedin, Network.x, Network.facebook}


def test_the_entity_is_encoded_as_restli_wants() -> None:
    share = analytics_url(PostRef(Network.linkedin, "share", "123"), "IMPRESSION")
    ugc = analytics_url(PostRef(Network.linkedin, "ugcPost", "456"), "RESHARE")
    assert share == ("https://api.linkedin.com/rest/memberCreatorPostAnalytics?q=entity"
                     "&entity=(share:urn%3Ali%3Ashare%3A123)&queryType=IMPRESSION"
                     "&aggregation=TOTAL")
    assert "&entity=(ugc:urn%3Ali%3AugcPost%3A456)&queryType=RESHARE&" in ugc


@pytest.mark.parametrize("path", sorted((FIXTURES / "linkedin").glob("*_v20*.json")),
                         ids=lambda p: p.name)
def test_every_linkedin_analytics_fixture_parses_in_both_shapes(path: Path) -> None:
    name = path.name
    query_type = name.split("_")[0].upper()
    answer = AnalyticsAnswer.model_validate(fixture(f"linkedin/{name}"))
    expected = {"impression_v2025_object.json": 1520, "reaction_v2025_object.json": 48,
                "comment_v2025_object.json": 7, "reshare_v2025_object.json": 3,
                "impression_v2026_string.json": 2210, "reaction_v2026_string.json": 61,
                "comment_v2026_string.json": 9, "reshare_v2026_string.json": 4}[name]
    assert answer.value(query_type) == expected
    # An answer about another metric is not this one's value.
    assert answer.value("MEMBERS_REACHED") is None


def test_empty_elements_are_unknown_not_zero() -> None:
    answer = AnalyticsAnswer.model_validate(fixture("linkedin/empty_elements.json"))
    assert answer.value("IMPRESSION") is None


def test_x_batch_maps_metrics_as_the_contract_says() -> None:
    ids = ["1861234567890123456", "1861234567890123457", "1861234567890123458",
           "1861234567890123459", "1861234567890123460"]
    outcomes = _outcomes(ids, fixture("x/tweets_batch.json"))
    full = outcomes[ids[0]]
    assert full.status is Status.ok
    assert dict(full.metrics) == {Metric.impressions: 3100, Metric.likes: 42,
                                  Metric.comments: 3, Metric.reshares: 5 + 2}
    assert full.extra == {"retweet_count": 5, "reply_count": 3, "like_count": 42,
                          "quote_count": 2, "bookmark_count": 6, "impression_count": 3100}
    # No impression_count and no quote_count: unknown, and so are reshares (half a sum).
    partial = outcomes[ids[1]]
    assert partial.status is Status.ok
    assert dict(partial.metrics) == {Metric.impressions: None, Metric.likes: 9,
                                     Metric.comments: 0, Metric.reshares: None}
    assert outcomes[ids[2]].status is Status.not_found
    assert outcomes[ids[3]].status is Status.not_permitted
    assert outcomes[ids[4]].status is Status.failed  # not mentioned at all


def test_x_counts_that_are_not_counts_are_unknown() -> None:
    body = {"data": [{"id": "1", "public_metrics": {
        "impression_count": -1, "like_count": "12", "reply_count": True,
        "retweet_count": 2**40, "quote_count": 0}}]}
    pulled = _outcomes(["1"], body)["1"]
    assert pulled.status is Status.empty and not pulled.known
