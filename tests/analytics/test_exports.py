"""Exports (CONTRACT §3): streamed raw records with a header row, flags as true/false,
formula-looking cells escaped, optional date bounds."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.analytics.exports import cell
from app.content import publisher
from app.core.clock import utcnow
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, Role, make_post, make_user

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def _program(api: Api) -> str:
    async with api.db.transaction() as session:
        post = await make_post(session, url="https://example.com/=cmd")
        await publisher.run(session)
        advocate = await make_user(session)
        share, _, _ = await sharing_service.get_or_create(session, user=advocate,
                                                          post_id=post.id, network=Network.email)
    await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    await api.client.get(f"/s/{share.code}", headers={"user-agent": "Twitterbot/1.0"})
    return share.id


async def test_clicks_csv_holds_every_request_with_its_flags(api: Api) -> None:
    share_id = await _program(api)
    manager = await api.headers(Role.manager)
    response = await api.client.get("/api/v1/exports/clicks.csv", headers=manager)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header = response.text.splitlines()[0].split(",")
    assert header[:12] == ["id", "occurred_at", "share_id", "post_id", "advocate_id", "network",
                           "click_id", "device", "referrer_host", "bot", "self", "unique"]
    rows = _rows(response.text)
    assert [(r["share_id"], r["bot"], r["self"], r["unique"]) for r in rows] == [
        (share_id, "false", "false", "true"), (share_id, "true", "false", "false")]


async def test_shares_and_conversions_csv_have_headers_even_when_empty(api: Api) -> None:
    manager = await api.headers(Role.manager)
    for kind in ("shares", "conversions"):
        response = await api.client.get(f"/api/v1/exports/{kind}.csv", headers=manager)
        assert response.status_code == 200
        assert response.text.count("\n") == 1 and response.text.startswith("id,")


async def test_date_bounds_filter_and_must_be_ordered(api: Api) -> None:
    await _program(api)
    manager = await api.headers(Role.manager)
    today = utcnow().date()
    inside = await api.client.get("/api/v1/exports/clicks.csv", headers=manager, params={
        "from": str(today), "to": str(today + timedelta(days=1))})
    assert len(_rows(inside.text)) == 2
    before = await api.client.get("/api/v1/exports/clicks.csv", headers=manager, params={
        "to": str(today)})
    assert _rows(before.text) == []
    backwards = await api.client.get("/api/v1/exports/clicks.csv", headers=manager, params={
        "from": str(today), "to": str(today)})
    assert backwards.status_code == 422


async def test_advocates_cannot_export(api: Api) -> None:
    advocate = await api.headers()
    assert (await api.client.get("/api/v1/exports/shares.csv",
                                 headers=advocate)).status_code == 403
    assert (await api.client.get("/api/v1/exports/nope.csv",
                                 headers=await api.headers(Role.manager))).status_code == 404


def test_formula_cells_are_escaped() -> None:
    assert [cell(v) for v in ["=SUM(A1)", "+1", "-2", "@x", "plain", True, None]] == [
        "'=SUM(A1)", "'+1", "'-2", "'@x", "plain", "true", ""]
