"""The publisher, the queue and the mix (§3, §7) through the API, each test on a case where one
rule alone decides the outcome. Expected values are hand-computed from the contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models.enums import Category, PostStatus
from tests.builders import Api
from tests.content.desk import Desk, history, insert_post, insert_published, insert_topic

CUR, OWN, PRO = Category.curated, Category.owned, Category.promotional
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def counts(curated: int = 0, owned: int = 0, promotional: int = 0) -> dict[str, int]:
    return {"curated": curated, "owned": owned, "promotional": promotional}


# --- what a run publishes ------------------------------------------------------------------

async def test_the_organisations_window_is_its_latest_nine_posts(api: Api) -> None:
    desk = await Desk.open(api)
    await desk.publish_all([(PRO, [])] + [(CUR, [])] * 8)
    held = await desk.queue(PRO)
    assert await desk.run() == []  # the promotional post is the ninth back
    later = await desk.queue(CUR)
    # C first (the promotional post is not eligible yet), then it is the tenth back.
    assert await desk.run() == [later, held]


async def test_a_topics_window_is_its_own_latest_nine_posts(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    await desk.publish_all([(PRO, [topic])] + [(CUR, [topic])] * 8 + [(CUR, [])])
    # The organisation's window has moved past the promotional post; the topic's has not.
    held = await desk.queue(PRO, [topic])
    assert await desk.run() == []
    assert await desk.queue_rows() == [(held, "mix")]
    later = await desk.queue(CUR, [topic])
    assert await desk.run() == [later, held]


async def test_publication_times_increase_when_the_clock_stands_still_or_goes_back(
    api: Api,
) -> None:
    desk = await Desk.open(api)
    queued = {await desk.queue(CUR, when=T), await desk.queue(CUR, when=T)}
    first = await desk.run(T)
    assert set(first) == queued
    again = await desk.queue(CUR, when=T)
    assert await desk.run(T) == [again]
    back = await desk.queue(CUR, when=T - timedelta(hours=1))
    assert await desk.run(T - timedelta(hours=1)) == [back]
    published = await history(api.db)
    assert published.ids == [*first, again, back]
    assert published.stamps == [T, T + US, T + 2 * US, T + 3 * US]
    post = await desk.call("GET", f"/posts/{back}")
    assert post["updated_at"] == "2026-03-02T08:00:00Z"  # the run's time, not the stamp


async def test_a_post_is_due_from_its_publish_at_exactly(api: Api) -> None:
    desk = await Desk.open(api)
    on_time = await desk.queue(CUR, publish_at=T, when=T - timedelta(hours=1))
    early = await desk.queue(CUR, publish_at=T + US, when=T - timedelta(hours=1))
    unscheduled = await desk.queue(CUR, when=T)  # no publish_at: due since it was queued
    assert await desk.queue_rows(when=T) == [(on_time, None), (unscheduled, None),
                                             (early, "schedule")]
    assert await desk.run(T) == [on_time, unscheduled]
    assert await desk.run(T + US) == [early]


async def test_ties_go_to_the_earliest_created_then_the_smallest_id(api: Api) -> None:
    due = T - timedelta(hours=1)
    for post_id, hours in [("f" * 32, 3), ("8" * 32, 2), ("0" * 32, 2)]:
        await insert_post(api, post_id=post_id, category=CUR, status=PostStatus.queued,
                          created_at=T - timedelta(hours=hours), publish_at=due)
    assert await (await Desk.open(api)).run(T) == ["f" * 32, "0" * 32, "8" * 32]


# --- the queue -----------------------------------------------------------------------------

async def test_queue_order_held_by_category_preference_scheduled_by_due_time_suggestions_by_age(
    api: Api,
) -> None:
    desk = await Desk.open(api)
    start = T - timedelta(days=1)
    for category in (OWN, OWN, OWN, PRO):
        await desk.publish(category, when=start)
    owned_early = await desk.queue(OWN, publish_at=T - timedelta(hours=5), when=start)
    owned_late = await desk.queue(OWN, publish_at=T - timedelta(hours=4), when=start)
    promo = await desk.queue(PRO, publish_at=T - timedelta(hours=3), when=start)
    ready = await desk.queue(CUR, publish_at=T - timedelta(hours=2), when=start)
    late = await desk.queue(CUR, publish_at=T + timedelta(hours=2), when=start)
    soon = await desk.queue(CUR, publish_at=T + timedelta(hours=1), when=start)
    for post_id, hours in [("f" * 32, 1), ("0" * 32, 1), ("8" * 32, 2)]:
        await insert_post(api, post_id=post_id, category=None, status=PostStatus.suggested,
                          created_at=T - timedelta(hours=hours))
    # After the ready curated post the organisation reads OOOPC: curated 26, promotional -4,
    # owned -12 (tenths), so the held promotional post comes before the owned ones.
    assert await desk.queue_rows(when=T) == [
        (ready, None), (promo, "mix"), (owned_early, "mix"), (owned_late, "mix"),
        (soon, "schedule"), (late, "schedule"),
        ("8" * 32, "review"), ("0" * 32, "review"), ("f" * 32, "review"),
    ]
    page = await desk.call("GET", "/queue", T)
    eligible = {i["post"]["id"]: i["eligible_at"] for i in page["items"]}
    assert eligible[soon] == "2026-03-02T10:00:00Z"
    assert eligible["8" * 32] == "2026-03-02T07:00:00Z"


# --- the mix -------------------------------------------------------------------------------

async def test_mix_needs_the_fewest_curated_posts_over_the_held_posts(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    await desk.publish_all([(PRO, [topic])] + [(CUR, [])] * 6 + [(OWN, [])] * 4)
    # The organisation's last nine: CCCCCOOOO. An owned post needs six curated posts (to
    # leave three owned in the window); a promotional post in the topic needs nine (to push
    # the topic's promotional post out of its window). Held posts go by category preference
    # (C 10, P 10, O -10), so the promotional one is listed first.
    owned = await desk.queue(OWN)
    promo = await desk.queue(PRO, [topic])
    assert await desk.queue_rows() == [(promo, "mix"), (owned, "mix")]
    assert await desk.mix() == {"window": 10, "last": counts(6, 4, 0), "compliant": True,
                                "needs": {"curated": 6}}
    assert await desk.mix(topic) == {"window": 10, "last": counts(0, 0, 1), "compliant": True,
                                     "needs": {"curated": 9}}
    assert (await desk.call("GET", "/queue"))["mix"]["needs"] == {"curated": 6}


async def test_mix_counts_the_last_ten_in_publication_order(api: Api) -> None:
    letters = "POCPCCOCOCC"  # the promotional posts are 3 apart: the first window breaks
    imported = [({"C": CUR, "O": OWN, "P": PRO}[x], [], T + i * US) for i, x in
                enumerate(letters)]
    await insert_published(api, reversed(imported))  # stored in another order than published
    desk = await Desk.open(api)
    assert await desk.mix() == {"window": 10, "last": counts(6, 3, 1), "compliant": False,
                                "needs": {"curated": 0}}


async def test_mix_of_a_topic_whose_window_breaks_while_the_organisations_does_not(
    api: Api,
) -> None:
    desk = await Desk.open(api)
    broken, other = await desk.topic(), await desk.topic()
    # Organisation P CCCCCCCCC P: compliant. The topic "broken" gets both promotional posts
    # and only two curated ones between them.
    imported = [(PRO, [broken], T)]
    imported += [(CUR, [broken, other] if i < 2 else [], T + (i + 1) * US) for i in range(9)]
    imported += [(PRO, [broken], T + 10 * US)]
    await insert_published(api, imported)
    assert await desk.mix() == {"window": 10, "last": counts(9, 0, 1), "compliant": False,
                                "needs": {"curated": 0}}
    assert await desk.mix(broken) == {"window": 10, "last": counts(2, 0, 2),
                                      "compliant": False, "needs": {"curated": 0}}
    assert await desk.mix(other) == {"window": 10, "last": counts(2, 0, 0), "compliant": True,
                                     "needs": {"curated": 0}}


async def test_mix_reads_each_topic_in_publication_order(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    # Published P CCCCCCCCC P in the topic (compliant); stored with both P first.
    stamps = [T + i * US for i in range(11)]
    await insert_published(api, [(PRO, [topic], stamps[0]), (PRO, [topic], stamps[10])])
    await insert_published(api, [(CUR, [topic], stamps[i]) for i in range(1, 10)])
    assert await desk.mix() == {"window": 10, "last": counts(9, 0, 1), "compliant": True,
                                "needs": {"curated": 0}}
    assert await desk.mix(topic) == {"window": 10, "last": counts(9, 0, 1), "compliant": True,
                                     "needs": {"curated": 0}}


async def test_mix_checks_each_topic_on_its_own(api: Api) -> None:
    desk = await Desk.open(api)
    a, b = await insert_topic(api, "a" * 32), await insert_topic(api, "b" * 32)
    # Organisation P CCCCCCCCC P; topic a is P alone and so is topic b: every scope complies
    # (though a's sequence followed by b's would not).
    await insert_published(api, [(PRO, [b], T)] + [(CUR, [], T + i * US) for i in range(1, 10)]
                           + [(PRO, [a], T + 10 * US)])
    assert await desk.mix() == {"window": 10, "last": counts(9, 0, 1), "compliant": True,
                                "needs": {"curated": 0}}
