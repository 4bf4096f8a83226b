"""The advocate's own words within the company's sharing policy (CONTRACT §3): captions,
the disclosure, the accepted policy, the daily cap, blocked words, and the feed's
``native_url`` and ``can_share``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from app.content import publisher
from app.content.schemas import Captions
from app.core.config import Settings
from app.models import Share, ShareReservation
from tests.builders import Api, Role, bearer, make_post, token_for
from tests.conftest import SECRET

API = "/api/v1"
BASE = "http://127.0.0.1:8000"
HUMAN = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    # Bangkok is UTC+7: the cap's day starts at 17:00 UTC, which the tests below rely on.
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                    timezone="Asia/Bangkok")


async def _published(api: Api, **fields: Any) -> str:
    async with api.db.transaction() as session:
        post = await make_post(session, **fields)
        await publisher.run(session)
    return post.id


async def _sharing(api: Api, **settings: Any) -> None:
    _, admin = await api.user(Role.admin)
    body = {"disclosure": "", "policy": None, "daily_share_cap": None, "blocked_words": [],
            **settings}
    response = await api.client.put(f"{API}/settings/sharing", headers=admin, json=body)
    assert response.status_code == 200, response.text


async def _share(api: Api, headers: dict[str, str], post_id: str,
                 **body: Any) -> Any:
    return await api.client.post(f"{API}/posts/{post_id}/shares", headers=headers,
                                 json={"network": "linkedin", **body})


async def test_own_words_get_the_disclosure_and_a_new_caption_updates_the_share(
        api: Api) -> None:
    await _sharing(api, disclosure="#employee")
    post_id = await _published(api, captions=Captions(default="Our Q3 report is out.",
                                                      x="Q3 report!"))
    _, headers = await api.user()
    default = await _share(api, headers, post_id, network="x")
    assert default.status_code == 201
    assert default.json()["caption"] == "Q3 report! #employee"
    mine = await _share(api, headers, post_id, caption="  Proud of this team.  ")
    assert mine.status_code == 201
    assert mine.json()["caption"] == "Proud of this team. #employee"
    # Sent back as the page shows it (disclosure included): not doubled.
    same = await _share(api, headers, post_id, caption="Proud of this team. #employee")
    assert same.status_code == 200 and same.json()["caption"] == "Proud of this team. #employee"
    edited = await _share(api, headers, post_id, caption="Numbers I helped build.")
    assert edited.status_code == 200
    assert edited.json()["caption"] == "Numbers I helped build. #employee"
    assert edited.json()["code"] == mine.json()["code"]
    # Without a caption, an existing share keeps its own.
    kept = await _share(api, headers, post_id)
    assert kept.json()["caption"] == "Numbers I helped build. #employee"
    # The disclosure cannot be removed: an empty caption is the disclosure alone.
    empty = await _share(api, headers, post_id, network="facebook", caption="")
    assert empty.json()["caption"] == "#employee"


async def test_a_locked_caption_is_shared_as_written(api: Api) -> None:
    await _sharing(api, disclosure="#ad")
    post_id = await _published(api, captions=Captions(default="Regulated wording."),
                               lock_caption=True)
    _, headers = await api.user()
    refused = await _share(api, headers, post_id, caption="My spin on it")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "caption"]
    assert "locked" in refused.json()["detail"]
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Share)) == 0
    as_written = await _share(api, headers, post_id, caption="Regulated wording. #ad")
    assert as_written.status_code == 201
    assert as_written.json()["caption"] == "Regulated wording. #ad"
    plain = await _share(api, headers, post_id, network="x")
    assert plain.json()["caption"] == "Regulated wording. #ad"


async def test_the_post_says_whether_its_caption_is_locked(api: Api) -> None:
    _, marketer = await api.user(Role.marketer)
    created = await api.client.post(f"{API}/posts", headers=marketer, json={
        "url": "https://example.com/a", "category": "owned", "topic_ids": [],
        "captions": {"default": "As written"}, "lock_caption": True})
    assert created.status_code == 201 and created.json()["lock_caption"] is True
    post_id = created.json()["id"]
    patched = await api.client.patch(f"{API}/posts/{post_id}", headers=marketer,
                                     json={"lock_caption": False})
    assert patched.json()["lock_caption"] is False
    unlocked = await api.client.post(f"{API}/posts", headers=marketer, json={
        "url": "https://example.com/b", "category": "owned", "topic_ids": [],
        "captions": {"default": "Free"}})
    assert unlocked.json()["lock_caption"] is False


@pytest.mark.parametrize(("caption", "word"), [
    ("This is CONFIDENTIAL news", "confidential"),
    ("ดูข่าวลับนี้สิ", "ลับ"),  # Thai has no spaces: a substring match finds the word
])
async def test_a_blocked_word_in_my_own_caption_is_named(api: Api, caption: str,
                                                        word: str) -> None:
    await _sharing(api, blocked_words=["confidential", "ลับ"])
    post_id = await _published(api, captions=Captions(default="Read our confidential-free "
                                                              "report"))
    _, headers = await api.user()
    refused = await _share(api, headers, post_id, caption=caption)
    assert refused.status_code == 422
    assert f'"{word}"' in refused.json()["detail"]
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Share)) == 0
    # The marketer's own caption is not the advocate's words: it is not checked.
    assert (await _share(api, headers, post_id)).status_code == 201


async def test_sharing_needs_the_current_policy_accepted(api: Api) -> None:
    await _sharing(api, policy={"version": "2026-12", "text": "Be honest. Disclose."})
    post_id = await _published(api)
    _, headers = await api.user()
    me = (await api.client.get(f"{API}/me", headers=headers)).json()
    assert me["policy_accepted_version"] is None
    refused = await _share(api, headers, post_id)
    assert refused.status_code == 409 and "2026-12" in refused.json()["detail"]
    feed = (await api.client.get(f"{API}/feed", headers=headers)).json()["items"]
    assert feed[0]["can_share"] == {"allowed": False, "reason": "policy"}
    assert feed[0]["native_url"] is None
    wrong = await api.client.post(f"{API}/me/policy", headers=headers,
                                  json={"version": "2026-11"})
    assert wrong.status_code == 409 and "2026-12" in wrong.json()["detail"]
    accepted = await api.client.post(f"{API}/me/policy", headers=headers,
                                     json={"version": "2026-12"})
    assert accepted.status_code == 200
    assert accepted.json()["policy_accepted_version"] == "2026-12"
    assert (await _share(api, headers, post_id)).status_code == 201
    # A new version must be accepted again before the next new share.
    await _sharing(api, policy={"version": "2027-01", "text": "Updated."})
    assert (await _share(api, headers, post_id, network="x")).status_code == 409
    # ...but the existing share's caption can still be edited.
    assert (await _share(api, headers, post_id, caption="Edited")).status_code == 200


async def test_no_policy_to_accept_is_a_conflict(api: Api) -> None:
    _, headers = await api.user()
    response = await api.client.post(f"{API}/me/policy", headers=headers, json={"version": "1"})
    assert response.status_code == 409


async def test_the_daily_cap_counts_new_shares_per_local_day(api: Api) -> None:
    await _sharing(api, daily_share_cap=2)
    posts = [await _published(api) for _ in range(3)]
    _, headers = await api.user()
    # 2026-12-02 16:30 UTC is 23:30 in Bangkok; 17:00 UTC starts the next local day.
    with time_machine.travel(datetime(2026, 12, 2, 16, 30, tzinfo=UTC), tick=False):
        assert (await _share(api, headers, posts[0])).status_code == 201
        assert (await _share(api, headers, posts[1])).status_code == 201
        capped = await _share(api, headers, posts[2])
        assert capped.status_code == 429
        assert capped.headers["Retry-After"] == str(30 * 60 + 1)
        assert "2" in capped.json()["detail"]
        # Editing a caption is not a new share.
        assert (await _share(api, headers, posts[0], caption="Mine")).status_code == 200
        feed = (await api.client.get(f"{API}/feed", headers=headers)).json()["items"]
        assert {i["can_share"]["reason"] for i in feed} == {"cap"}
        assert all(i["native_url"] is None for i in feed)
    with time_machine.travel(datetime(2026, 12, 2, 17, 0, tzinfo=UTC), tick=False):
        assert (await _share(api, headers, posts[2])).status_code == 201
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Share)) == 3


async def test_the_feed_reserves_one_native_link_per_post(api: Api) -> None:
    first, second = await _published(api), await _published(api)
    me, headers = await api.user()
    feed = (await api.client.get(f"{API}/feed", headers=headers)).json()["items"]
    assert all(i["can_share"] == {"allowed": True, "reason": None} for i in feed)
    urls = {i["id"]: i["native_url"] for i in feed}
    assert all(u.startswith(f"{BASE}/s/") for u in urls.values())
    assert len(set(urls.values())) == 2
    again = (await api.client.get(f"{API}/feed", headers=headers)).json()["items"]
    assert {i["id"]: i["native_url"] for i in again} == urls
    _, other = await api.user()
    theirs = (await api.client.get(f"{API}/feed", headers=other)).json()["items"]
    assert not {i["native_url"] for i in theirs} & set(urls.values())
    # The page confirms the share sheet: the share takes the reserved code.
    confirmed = await _share(api, headers, first, network="native")
    assert confirmed.status_code == 201
    assert confirmed.json()["tracked_url"] == urls[first]
    # A reserved link followed before any confirmation makes the share itself, once.
    code = urls[second].rsplit("/", 1)[1]
    head = await api.client.head(f"/s/{code}", headers=HUMAN)
    assert head.status_code == 302
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Share)) == 1
    followed = await api.client.get(f"/s/{code}", headers=HUMAN)
    assert followed.status_code == 302
    assert followed.headers["location"].startswith("https://example.com/")
    late = await _share(api, headers, second, network="native")
    assert late.status_code == 200 and late.json()["tracked_url"] == urls[second]
    async with api.db.transaction() as session:
        shares = list(await session.scalars(select(Share).order_by(Share.code)))
        assert sorted(s.code for s in shares) == sorted(u.rsplit("/", 1)[1]
                                                        for u in urls.values())
        assert {s.network for s in shares} == {"native"}
        assert await session.scalar(select(func.count()).select_from(ShareReservation)
                                    .where(ShareReservation.user_id == me.id)) == 2


async def test_an_unknown_code_is_still_not_found(api: Api) -> None:
    response = await api.client.get("/s/Zz9Zz9Zz9", headers=HUMAN)
    assert response.status_code == 404
    assert "style=" not in response.text


async def test_sharing_settings_are_the_admins(api: Api) -> None:
    _, marketer = await api.user(Role.marketer)
    assert (await api.client.get(f"{API}/settings/sharing", headers=marketer)).status_code == 403
    _, admin = await api.user(Role.admin)
    default = await api.client.get(f"{API}/settings/sharing", headers=admin)
    assert default.json() == {"disclosure": "", "policy": None, "daily_share_cap": None,
                              "blocked_words": []}
    for bad in ({"daily_share_cap": 0}, {"policy": {"version": "", "text": "x"}},
                {"blocked_words": [""]}, {"disclosure": "x" * 201}):
        response = await api.client.put(f"{API}/settings/sharing", headers=admin, json=bad)
        assert response.status_code == 422, bad
    saved = await api.client.put(f"{API}/settings/sharing", headers=admin, json={
        "disclosure": " #employee ", "blocked_words": ["Secret", "secret", "NDA"],
        "daily_share_cap": 5, "policy": {"version": "v1", "text": "Policy"}})
    assert saved.json() == {"disclosure": "#employee", "blocked_words": ["Secret", "NDA"],
                            "daily_share_cap": 5, "policy": {"version": "v1", "text": "Policy"}}
    assert (await api.client.get(f"{API}/settings/sharing", headers=admin)).json() == saved.json()


async def test_refusals_say_what_to_do_where(api: Api) -> None:
    """The messages a page shows next to the caption, word for word."""
    await _sharing(api, blocked_words=["secret"], disclosure="#employee")
    locked = await _published(api, captions=Captions(default="As written."), lock_caption=True)
    free = await _published(api)
    _, headers = await api.user()
    word = await _share(api, headers, free, caption="A SECRET plan")
    assert word.json()["detail"] == ('Your caption contains the blocked word "secret"; '
                                     "please reword it.")
    assert word.json()["errors"] == [{"loc": ["body", "caption"],
                                      "msg": word.json()["detail"]}]
    lock = await _share(api, headers, locked, caption="Mine")
    assert lock.json()["detail"] == ("This post's caption is locked by the marketing team; "
                                     "share it as written.")
    assert lock.json()["errors"][0]["loc"] == ["body", "caption"]
    none = await api.client.post(f"{API}/me/policy", headers=headers, json={"version": "v1"})
    assert none.json()["detail"] == "There is no sharing policy to accept."
    await _sharing(api, policy={"version": "v1", "text": "Be fair."})
    policy = await _share(api, headers, free)
    assert policy.json()["detail"] == "Accept the sharing policy (version v1) before sharing."
    await api.client.post(f"{API}/me/policy", headers=headers, json={"version": "v1"})
    await _sharing(api, policy={"version": "v1", "text": "Be fair."}, daily_share_cap=1)
    assert (await _share(api, headers, free)).status_code == 201
    capped = await _share(api, headers, locked)
    assert capped.json()["detail"] == ("You have reached today's limit of 1 new shares; "
                                       "you can share again tomorrow.")


async def test_a_caption_sent_back_with_its_disclosure_and_trailing_space_is_not_doubled(
        api: Api) -> None:
    await _sharing(api, disclosure="#employee")
    post_id = await _published(api)
    _, headers = await api.user()
    shared = await _share(api, headers, post_id, caption="  Proud of us #employee  \n")
    assert shared.json()["caption"] == "Proud of us #employee"


async def test_the_cap_counts_my_shares_of_this_local_day_only(api: Api) -> None:
    await _sharing(api, daily_share_cap=1)
    posts = [await _published(api) for _ in range(4)]
    me, mine = await api.user()
    _, theirs = await api.user()

    async def signed_in_again() -> dict[str, str]:  # a day later the first session is over
        async with api.db.transaction() as session:
            return bearer(await token_for(session, me))

    # Bangkok's 2026-12-03 runs from 2026-12-02 17:00 UTC to 2026-12-03 17:00 UTC.
    with time_machine.travel(datetime(2026, 12, 2, 16, 59, 59, tzinfo=UTC), tick=False):
        assert (await _share(api, mine, posts[0])).status_code == 201  # the day before
    with time_machine.travel(datetime(2026, 12, 2, 17, 0, tzinfo=UTC), tick=False):
        assert (await _share(api, theirs, posts[1])).status_code == 201  # someone else's
        assert (await _share(api, mine, posts[1])).status_code == 201  # my first today
    with time_machine.travel(datetime(2026, 12, 3, 16, 59, 59, tzinfo=UTC), tick=False):
        assert (await _share(api, await signed_in_again(), posts[2])).status_code == 429
    with time_machine.travel(datetime(2026, 12, 3, 17, 0, tzinfo=UTC), tick=False):
        assert (await _share(api, await signed_in_again(), posts[3])).status_code == 201
