"""The 6-3-1 rule in every advocate's feed (§7): examples through the API, each set up so
that one feed alone decides. Expected values are worked out by hand from the contract.

The marketer of ``Desk`` is an active user who follows no topic: the organisation's sequence
is its feed, and it counts as one advocate of ``[]`` and of every topic.
"""

from __future__ import annotations

from typing import Any

from app.auth import users as users_service
from app.models import User
from app.models.enums import Category, Role
from tests.builders import Api, make_user
from tests.content.desk import Desk
from tests.content.oracle import every_window_ok

CUR, OWN, PRO = Category.curated, Category.owned, Category.promotional


async def followers(api: Api, topics: list[str], count: int = 1, *,
                    active: bool = True) -> list[str]:
    async with api.db.transaction() as session:
        users = [await make_user(session, topic_ids=topics, active=active)
                 for _ in range(count)]
        return [u.id for u in users]


async def held_by(desk: Desk, post_id: str) -> Any:
    page = await desk.call("GET", "/queue")
    item = next(i for i in page["items"] if i["post"]["id"] == post_id)
    assert item["blocked_by"] == "mix"
    return item["held_by"]


async def test_an_advocate_following_two_topics_never_sees_two_promotional_posts_in_ten(
    api: Api,
) -> None:
    desk = await Desk.open(api)
    a, b, c = await desk.topic(), await desk.topic(), await desk.topic()
    _, headers = await api.user(Role.advocate, topic_ids=[a, b])
    await desk.publish(PRO, [a])
    await desk.publish_all([(CUR, [c])] * 9)
    # The organisation's last nine are curated and topic b is empty: only the feed of a + b,
    # which reads P, would break.
    held = await desk.queue(PRO, [b])
    assert await desk.run() == []
    assert await held_by(desk, held) == {"topic_ids": sorted([a, b]), "advocates": 1}
    assert (await desk.mix())["needs"] == {"curated": 9}
    assert (await desk.mix(b))["needs"] == {"curated": 9}
    fillers = [await desk.queue(CUR, [b]) for _ in range(8)]
    assert await desk.run() == fillers  # P is still ninth back in the feed
    last = await desk.queue(CUR, [a])
    assert await desk.run() == [last, held]
    response = await api.client.get("/api/v1/feed", headers=headers, params={"limit": 100})
    feed = [i["category"] for i in reversed(response.json()["items"])]
    assert feed == ["promotional"] + ["curated"] * 9 + ["promotional"]
    assert every_window_ok(feed)


async def test_held_by_names_the_breaking_feed_with_the_most_advocates(api: Api) -> None:
    desk = await Desk.open(api)
    a, b, c, d = [await desk.topic() for _ in range(4)]
    await followers(api, [a, b], 2)
    await followers(api, [b, c], 3)
    await followers(api, [a, c], 7, active=False)
    await desk.publish(PRO, [a])
    await desk.publish_all([(CUR, [d])] * 9)
    await desk.publish(PRO, [c])
    await desk.publish_all([(CUR, [d])] * 9)
    # P into b: topic b is empty, the organisation's last nine are curated; the feeds of
    # a + b (2 advocates) and of b + c (3) each read P; a + c has no active follower.
    held = await desk.queue(PRO, [b])
    assert await desk.run() == []
    assert await held_by(desk, held) == {"topic_ids": sorted([b, c]), "advocates": 3}
    # Into a and d, the feeds of a + b and a + c would show it, and topic a holds a P:
    # a's own sequence is seen by its 2 followers and the marketer.
    other = await desk.queue(PRO, [a, d])
    assert await desk.run() == []
    assert await held_by(desk, other) == {"topic_ids": [a], "advocates": 3}


async def test_a_topics_own_window_counts_its_followers_and_those_who_follow_none(
    api: Api,
) -> None:
    desk = await Desk.open(api)
    a, b, c = await desk.topic(), await desk.topic(), await desk.topic()
    await followers(api, [a, b], 2)
    await followers(api, [b], 1)
    await followers(api, [b, c], 3)
    await followers(api, [], 4)
    await desk.publish(PRO, [b])
    await desk.publish_all([(CUR, [])] * 9)
    held = await desk.queue(PRO, [b])
    assert await desk.run() == []
    # Topic b, and the feeds a + b and b + c, read P; b is seen by 2 + 1 + 3 followers and
    # by the marketer and 4 advocates who follow no topic.
    assert await held_by(desk, held) == {"topic_ids": [b], "advocates": 11}


async def test_the_organisations_window_is_reported_as_no_topic(api: Api) -> None:
    desk = await Desk.open(api)
    a = await desk.topic()
    await followers(api, [], 2)
    await followers(api, [a], 5)
    await desk.publish(PRO)
    held = await desk.queue(OWN, [a])
    other = await desk.queue(PRO, [a])
    assert await desk.run() == [held]
    # Topic a reads O: it allows a P; the organisation reads P O; its feed is the marketer's
    # and the two advocates' who follow no topic.
    assert await held_by(desk, other) == {"topic_ids": [], "advocates": 3}
    rows = dict(await desk.queue_rows())
    assert rows == {other: "mix"}


async def test_inactive_users_topic_sets_do_not_constrain(api: Api) -> None:
    desk = await Desk.open(api)
    a, b, c = await desk.topic(), await desk.topic(), await desk.topic()
    (gone,) = await followers(api, [a, b])
    await desk.publish(PRO, [a])
    await desk.publish_all([(CUR, [c])] * 9)
    async with api.db.transaction() as session:
        user = await session.get(User, gone)
        assert user is not None
        await users_service.deactivate(session, user)
    post = await desk.queue(PRO, [b])
    assert await desk.run() == [post]


async def test_a_feed_that_starts_out_of_bounds_still_takes_curated_posts(api: Api) -> None:
    desk = await Desk.open(api)
    a, b, d = await desk.topic(), await desk.topic(), await desk.topic()
    await desk.publish(PRO, [a])
    await desk.publish_all([(CUR, [d])] * 9)
    await desk.publish(PRO, [b])
    # Nobody followed a and b together while these went out: that feed now reads P P.
    await followers(api, [a, b])
    curated = await desk.queue(CUR, [a])
    owned = await desk.queue(OWN, [b])
    promotional = await desk.queue(PRO, [d, b])
    # Curated posts never break a bound, owned ones only the four owned-or-promotional one:
    # a + b goes to P P O C. The organisation's last nine (C×8 P) put owned first.
    assert await desk.run() == [owned, curated]
    assert await held_by(desk, promotional) == {"topic_ids": [b], "advocates": 2}
