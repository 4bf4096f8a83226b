"""The points ledger read back for /app/me (app/gamification/history.py): one user's lines,
newest first, each with the post and network it came from, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.gamification.history import points_history
from app.models import PointsEntry, Share
from app.models.enums import Network
from tests.builders import Api, make_post, make_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_lines_name_their_post_and_network_newest_first(api: Api) -> None:
    async with api.db.transaction() as session:
        me, other = await make_user(session), await make_user(session)
        shared = await make_post(session, title="Launch day")
        suggested = await make_post(session, title="A good read")
        share = Share(code="Hist0001", user_id=me.id, post_id=shared.id,
                      network=Network.x, caption="c")
        session.add(share)
        await session.flush()
        session.add_all([
            PointsEntry(event_key=f"share:{share.id}", user_id=me.id, kind="share",
                        points=10, occurred_at=T0, share_id=share.id),
            PointsEntry(event_key="click:abc", user_id=me.id, kind="click", points=2,
                        occurred_at=T0 + timedelta(hours=1), share_id=share.id),
            PointsEntry(event_key=f"suggestion:{suggested.id}", user_id=me.id,
                        kind="suggestion", points=15, occurred_at=T0 + timedelta(hours=2)),
            PointsEntry(event_key="share:elsewhere", user_id=other.id, kind="share",
                        points=10, occurred_at=T0 + timedelta(hours=3)),
        ])
    async with api.db.transaction() as session:
        lines, cursor = await points_history(session, user_id=me.id, limit=10, cursor=None)
    assert cursor is None
    assert [(line.kind, line.points, line.post_title, line.network) for line in lines] == [
        ("suggestion", 15, "A good read", None),
        ("click", 2, "Launch day", "x"),
        ("share", 10, "Launch day", "x"),
    ]
    assert lines[0].post_id == suggested.id and lines[2].occurred_at == T0


async def test_a_line_whose_share_is_unknown_has_no_post(api: Api) -> None:
    async with api.db.transaction() as session:
        me = await make_user(session)
        session.add(PointsEntry(event_key="conversion:1", user_id=me.id, kind="conversion",
                                points=20, occurred_at=T0, share_id=None))
    async with api.db.transaction() as session:
        [line], _ = await points_history(session, user_id=me.id, limit=10, cursor=None)
    assert (line.kind, line.post_id, line.post_title, line.network) == (
        "conversion", None, None, None)


async def test_pages_follow_one_another_without_overlap(api: Api) -> None:
    async with api.db.transaction() as session:
        me = await make_user(session)
        # Two lines at the same instant: the id breaks the tie, so none is lost or repeated.
        session.add_all([PointsEntry(event_key=f"click:{i}", user_id=me.id, kind="click",
                                     points=2, occurred_at=T0 + timedelta(minutes=i // 2))
                         for i in range(5)])
    seen: list[str] = []
    cursor = None
    async with api.db.transaction() as session:
        for expected in (2, 2, 1):
            lines, cursor = await points_history(session, user_id=me.id, limit=2,
                                                 cursor=cursor)
            assert len(lines) == expected
            seen += [line.id for line in lines]
    assert cursor is None and len(set(seen)) == 5
