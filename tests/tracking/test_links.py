"""The redirect target (CONTRACT §4), as a pure function."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from app.tracking.links import CODE_PATTERN, new_click_id, new_code, redirect_target


def _target(url: str, campaign: str | None = "launch") -> str:
    return redirect_target(url, network="linkedin", campaign=campaign, code="AbC1234x",
                           click_param="chorus_cid", click_id="CLICKID_0123456789ab")


def test_adds_utm_parameters_and_the_click_id() -> None:
    params = dict(parse_qsl(urlsplit(_target("https://example.com/a")).query))
    assert params == {"utm_source": "linkedin", "utm_medium": "employee_advocacy",
                      "utm_campaign": "launch", "utm_content": "AbC1234x",
                      "chorus_cid": "CLICKID_0123456789ab"}


def test_the_whole_target_is_the_url_then_the_parameters_then_the_click_id() -> None:
    assert _target("https://example.com/a") == (
        "https://example.com/a?utm_source=linkedin&utm_medium=employee_advocacy"
        "&utm_campaign=launch&utm_content=AbC1234x&chorus_cid=CLICKID_0123456789ab")
    assert _target("http://example.com/a?b=1#frag", campaign=None) == (
        "http://example.com/a?b=1&utm_source=linkedin&utm_medium=employee_advocacy"
        "&utm_content=AbC1234x&chorus_cid=CLICKID_0123456789ab#frag")


def test_the_click_id_is_encoded_and_the_click_parameter_is_configurable() -> None:
    target = redirect_target("https://example.com/", network="x", campaign="c", code="Code123",
                             click_param="cid", click_id="a b+c")
    assert target.endswith("&utm_content=Code123&cid=a+b%2Bc")
    assert dict(parse_qsl(urlsplit(target).query))["cid"] == "a b+c"


def test_a_marketers_parameter_is_recognised_whatever_its_value_or_encoding() -> None:
    # A value holding "=" and a percent-encoded name are still the marketer's utm_*.
    target = _target("https://example.com/?utm_source=news=letter&utm%5Fmedium=email")
    query = urlsplit(target).query
    assert query.startswith("utm_source=news=letter&utm%5Fmedium=email&")
    keys = [k for k, _ in parse_qsl(query)]
    assert keys.count("utm_source") == 1 and keys.count("utm_medium") == 1


def test_the_marketers_own_utm_wins_and_nothing_appears_twice() -> None:
    target = _target("https://example.com/a?utm_campaign=spring&utm_source=newsletter")
    pairs = parse_qsl(urlsplit(target).query)
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys))
    assert dict(pairs)["utm_campaign"] == "spring"
    assert dict(pairs)["utm_source"] == "newsletter"
    assert dict(pairs)["utm_medium"] == "employee_advocacy"


def test_own_query_and_fragment_are_kept_byte_for_byte() -> None:
    target = _target("https://example.com/p/a%20b?q=a%2Bb&empty=&flag#section-2")
    parts = urlsplit(target)
    assert parts.path == "/p/a%20b"
    assert parts.query.startswith("q=a%2Bb&empty=&flag&")
    assert parts.fragment == "section-2"


def test_a_click_parameter_already_in_the_url_is_replaced() -> None:
    target = _target("https://example.com/?chorus_cid=forged&x=1")
    pairs = parse_qsl(urlsplit(target).query)
    assert [v for k, v in pairs if k == "chorus_cid"] == ["CLICKID_0123456789ab"]


def test_no_campaign_leaves_utm_campaign_out() -> None:
    params = dict(parse_qsl(urlsplit(_target("https://example.com/", campaign=None)).query))
    assert "utm_campaign" not in params


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example", "/relative",
                                 "data:text/html,hi", "ftp://example.com/x", "https:///no-host",
                                 "http://:80/no-host"])
def test_only_http_urls_are_ever_targets(url: str) -> None:
    with pytest.raises(ValueError,
                       match=r"^a tracked link only ever redirects to an http\(s\) post URL$"):
        _target(url)


@pytest.mark.parametrize("url", ["HTTPS://Example.com/a", "Http://example.com/a"])
def test_schemes_are_compared_case_insensitively(url: str) -> None:
    assert urlsplit(_target(url)).hostname == "example.com"


@given(st.sampled_from(["https://example.com/", "http://sub.example.org/path?x=1#f"]),
       st.text(min_size=1, max_size=30))
def test_the_target_host_is_always_the_stored_one(url: str, code: str) -> None:
    target = redirect_target(url, network="x", campaign=code, code=code,
                             click_param="chorus_cid", click_id=new_click_id())
    assert urlsplit(target).netloc == urlsplit(url).netloc
    assert urlsplit(target).scheme == urlsplit(url).scheme


def test_codes_and_click_ids_are_random_and_well_formed() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(CODE_PATTERN.match(c) for c in codes)
    ids = {new_click_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert {len(i) for i in ids} == {31}  # the mark, 8 of time, 22 of 16 random bytes
    assert all(len(i) >= 16 and i[0].isalnum() and set(i) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for i in ids)


def test_click_ids_carry_sixteen_independent_random_bytes() -> None:
    """128 random bits each (their last 22 characters), and no id's random part is a
    shifted copy of another's: knowing one click id tells nothing about the next."""
    raw = [base64.urlsafe_b64decode(i[-22:] + "==") for i in (new_click_id() for _ in range(3000))]
    assert {len(r) for r in raw} == {16}
    windows = [r[k:k + 8] for r in raw for k in range(9)]
    assert len(set(windows)) == len(windows)


def test_click_ids_sort_by_the_millisecond_they_were_made() -> None:
    made = []
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False) as clock:
        for step in (0.001, 0.002, 0.5, 61, 86_400, 400 * 86_400):
            made.append(new_click_id())
            clock.shift(step)
    assert sorted(made) == made and len({i[:9] for i in made}) == len(made)
    # The same millisecond: the same first nine characters, a random rest.
    moment = datetime(2031, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        same = [new_click_id() for _ in range(50)]
    assert len({i[:9] for i in same}) == 1 and len(set(same)) == 50
    # The mark, then the millisecond since 1970 in base 64, digits in ASCII order.
    digits = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    value = 0
    for character in same[0][1:9]:
        value = value * 64 + digits.index(character)
    assert same[0][0] == "c" and value == int(moment.timestamp() * 1000)
