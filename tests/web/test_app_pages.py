"""/app's other pages: me, the leaderboard, suggestions, pilot feedback, goals, settings and
"More", for a visitor, with no data, with data, their forms, and in Thai."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.analytics.okr import service as okr_service
from app.analytics.okr.schemas import KeyResultIn, ObjectiveCreate
from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import PilotCreate
from app.auth import groups as groups_service
from app.content import publisher
from app.content import service as content_service
from app.core.clock import utcnow
from app.models import Feedback, Post, User, user_topics
from app.models.enums import Network, PostStatus
from app.sharing import service as sharing_service
from tests.builders import Api, Role, make_post, make_topic
from tests.web.pages import browser_of, csrf_of

UTC = ZoneInfo("UTC")
PAGES = ["/app/me", "/app/leaderboard", "/app/suggest", "/app/feedback", "/app/goals",
         "/app/settings", "/app/more"]


async def publish(api: Api, **fields: Any) -> Post:
    async with api.db.transaction() as session:
        post = await make_post(session, **fields)
        await publisher.run(session)
    return post


async def share(api: Api, user: User, post: Post, network: Network = Network.linkedin) -> None:
    async with api.db.transaction() as session:
        await sharing_service.share(session, user=user, post_id=post.id, network=network,
                                    caption=None, tz=UTC)


async def pilot_for(api: Api, user: User, *, starts: date, ends: date, name: str) -> str:
    async with api.db.transaction() as session:
        pilot = await pilots_service.create(session, data=PilotCreate(
            name=name, starts_on=starts, ends_on=ends, user_ids=[user.id]))
        return pilot.id


def today() -> date:
    return utcnow().date()


@pytest.mark.parametrize("path", PAGES)
async def test_a_visitor_gets_the_login_form(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert 'action="/login"' in response.text and f'name="next" value="{path}"' in response.text


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", PAGES)
async def test_every_role_opens_every_page_with_no_data(api: Api, path: str, role: Role) -> None:
    await browser_of(api, role)
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.text.count("<h1") == 1
    assert '<nav class="app-nav" aria-label="App">' in response.text


async def _form_posts(api: Api, user: User) -> dict[str, dict[str, str]]:
    """Each form of /app, filled in correctly but for the token."""
    pilot_id = await pilot_for(api, user, starts=today() - timedelta(days=1),
                               ends=today() + timedelta(days=30), name="P")
    return {
        "/app/suggest": {"url": "https://blog.example/a"},
        f"/app/feedback/{pilot_id}": {"score": "7"},
        "/app/settings": {"language": "th", "followers_linkedin": "12"},
    }


async def _changes(api: Api, user: User) -> tuple[object, ...]:
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        return (await _suggestions(api), await _feedback(api), stored.language,
                dict(stored.follower_counts))


@pytest.mark.parametrize("attack", ["no token", "another site"])
async def test_forms_refuse_a_post_without_the_token_or_from_another_site(
        api: Api, attack: str) -> None:
    user, _ = await browser_of(api)
    forms = await _form_posts(api, user)
    before = await _changes(api, user)
    token = csrf_of((await api.client.get("/app/settings")).text)
    for path, fields in forms.items():
        if attack == "no token":
            response = await api.client.post(path, data=fields)
        else:
            response = await api.client.post(
                path, data={**fields, "csrf_token": token},
                headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
        assert response.status_code == 403, path
        assert "Form not accepted" in response.text
    assert await _changes(api, user) == before


async def test_me_with_no_activity(api: Api) -> None:
    await browser_of(api)
    html = (await api.client.get("/app/me")).text
    assert "No badge yet" in html and "No points yet" in html
    assert re.search(r'<dt class="stat__label">Points</dt><dd class="stat__value">0</dd>', html)


async def test_me_shows_points_badges_and_history(api: Api) -> None:
    post = await publish(api, title="Our launch")
    user, _ = await browser_of(api)
    await share(api, user, post)
    html = (await api.client.get("/app/me")).text
    assert '<dt class="stat__label">Your rank</dt><dd class="stat__value">#1</dd>' in html
    assert '<dt class="stat__label">Points</dt><dd class="stat__value">10</dd>' in html
    assert '<dt class="stat__label">Shares</dt><dd class="stat__value">1</dd>' in html
    assert '<span class="badge-list__name">First share</span>' in html
    day = utcnow().strftime("%b %-d, %Y")
    assert f'<span class="badge-list__date">Earned on {day}</span>' in html
    assert '<span class="history__points">+10</span>' in html
    assert "You shared “Our launch” (LinkedIn)" in html
    assert '<a href="/app/me?period=week" hx-get="/app/me?period=week"' in html
    assert 'hx-select="#my-stats"' in html


async def test_me_for_another_period_and_an_unknown_one(api: Api) -> None:
    await browser_of(api)
    month = await api.client.get("/app/me", params={"period": "all"})
    assert month.status_code == 200
    assert 'href="/app/me?period=all" hx-get="/app/me?period=all" hx-target="#my-stats" ' \
           'hx-select="#my-stats" hx-swap="outerHTML" hx-push-url="true" aria-current="page"' \
        in month.text
    assert "Since you joined." in month.text
    unknown = await api.client.get("/app/me", params={"period": "decade"})
    assert unknown.status_code == 422


async def test_points_history_pages_back(api: Api) -> None:
    user, _ = await browser_of(api)
    posts = [await publish(api, title=f"Story {i}") for i in range(21)]
    for post in posts:
        await share(api, user, post)
    html = (await api.client.get("/app/me")).text
    assert html.count('<li class="history__line">') == 20
    older = re.search(r'<a class="button button--secondary button--block" href="([^"]+)#history">'
                      r"Older points</a>", html)
    assert older
    rest = (await api.client.get(older.group(1).replace("&amp;", "&"))).text
    assert rest.count('<li class="history__line">') == 1
    assert "Older points" not in rest


async def test_leaderboard_highlights_the_viewer(api: Api) -> None:
    post = await publish(api)
    others = [(await api.user(name=name))[0] for name in ("Bea Best", "Carl Zed")]
    await share(api, others[0], post)
    await share(api, others[0], post, Network.x)
    user, _ = await browser_of(api, name="Ana Mid")
    await share(api, user, post)
    html = (await api.client.get("/app/leaderboard")).text
    rows = re.findall(r'<tr(?: class="board__me" aria-current="true")?>\s*<td class="num">(\d+)'
                      r'</td>\s*<th scope="row">([^<]+)', html)
    assert [(rank, name.strip()) for rank, name in rows][:3] == [
        ("1", "Bea Best"), ("2", "Ana Mid"), ("3", "Carl Zed")]
    assert '<tr class="board__me" aria-current="true">' in html
    assert "You are #2 in the whole program, with 10 points." in html


async def test_an_opted_out_viewer_still_sees_their_rank(api: Api) -> None:
    post = await publish(api)
    user, _ = await browser_of(api, name="Hidden Hana")
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.leaderboard_opt_out = True
    await share(api, user, post)
    html = (await api.client.get("/app/leaderboard")).text
    assert "Hidden Hana" not in html
    assert "You are #1 in the whole program, with 10 points." in html
    assert "Only you see your rank" in html


async def test_leaderboard_by_group_and_period(api: Api) -> None:
    async with api.db.transaction() as session:
        alpha = await groups_service.create(session, name="Alpha", description=None)
        sales = await groups_service.create(session, name="Sales", description=None)
        zeta = await groups_service.create(session, name="Zeta", description=None)
    await api.user(name="Sam Sales", group_ids=[sales.id])
    await browser_of(api, name="Olga Other", group_ids=[zeta.id])
    html = (await api.client.get("/app/leaderboard", params={"group": sales.id,
                                                              "period": "month"})).text
    assert "Sam Sales" in html and "Olga Other" not in html.split("<table")[1]
    assert f'<option value="{sales.id}" selected>Sales</option>' in html
    # The viewer's own groups come first.
    assert re.findall(r'<option value="([^"]*)"', html) == ["", zeta.id, alpha.id, sales.id]
    assert '<caption id="board-caption">This month · Sales</caption>' in html
    missing = await api.client.get("/app/leaderboard", params={"group": "nope"},
                                   headers={"Accept": "text/html"})
    assert missing.status_code == 404


async def _suggestions(api: Api) -> list[tuple[str, str | None]]:
    async with api.db.transaction() as session:
        rows = await session.execute(select(Post.url, Post.suggestion_note)
                                     .where(Post.status == PostStatus.suggested))
        return [(url, note) for url, note in rows]


async def test_suggesting_a_link(api: Api) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Engineering")
    await browser_of(api)
    token = csrf_of((await api.client.get("/app/suggest")).text)
    response = await api.client.post("/app/suggest", data={
        "csrf_token": token, "url": "https://blog.example/post", "note": "Great read",
        "topic_ids": topic.id})
    assert response.status_code == 303 and response.headers["location"] == "/app/suggest?sent=true"
    assert await _suggestions(api) == [("https://blog.example/post", "Great read")]
    html = (await api.client.get("/app/suggest", params={"sent": "true"})).text
    assert "Thank you! Your suggestion is waiting for review." in html
    assert '<span class="suggestions__title">https://blog.example/post</span>' in html
    assert '<span class="badge badge--info">Waiting for review</span>' in html


async def test_a_suggestion_that_is_not_a_link_is_sent_back(api: Api) -> None:
    await browser_of(api)
    token = csrf_of((await api.client.get("/app/suggest")).text)
    response = await api.client.post("/app/suggest", data={
        "csrf_token": token, "url": "javascript:alert(1)", "note": "x"})
    assert response.status_code == 422
    assert "Enter the full address of a web page" in response.text
    assert 'aria-invalid="true"' in response.text
    unknown = await api.client.post("/app/suggest", data={
        "csrf_token": token, "url": "https://ok.example", "topic_ids": "nope"})
    assert unknown.status_code == 422 and "Choose topics from the list." in unknown.text
    assert await _suggestions(api) == []


async def test_suggesting_without_the_form_token_changes_nothing(api: Api) -> None:
    await browser_of(api)
    response = await api.client.post("/app/suggest", data={"url": "https://blog.example"})
    assert response.status_code == 403
    assert await _suggestions(api) == []


async def test_a_rejected_suggestion_shows_its_reason(api: Api) -> None:
    user, _ = await browser_of(api)
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        post = await content_service.suggest(session, user=stored, url="https://x.example",
                                             note=None, topic_ids=[])
        await content_service.reject(session, post, reason="Behind a paywall.")
    html = (await api.client.get("/app/suggest")).text
    assert '<span class="badge badge--danger">Not accepted</span>' in html
    assert "Reason: Behind a paywall." in html


async def test_feedback_when_not_enrolled(api: Api) -> None:
    await browser_of(api)
    html = (await api.client.get("/app/feedback")).text
    assert "You are not enrolled in a pilot at the moment." in html


async def _feedback(api: Api) -> list[tuple[int, str | None]]:
    async with api.db.transaction() as session:
        return [(s, c) for s, c in await session.execute(select(Feedback.score,
                                                                Feedback.comment))]


async def test_giving_this_weeks_feedback(api: Api) -> None:
    user, _ = await browser_of(api)
    pilot_id = await pilot_for(api, user, starts=today() - timedelta(days=7),
                               ends=today() + timedelta(days=30), name="Rollout pilot")
    html = (await api.client.get("/app/feedback")).text
    assert "Rollout pilot" in html
    assert html.count('type="radio" name="score"') == 11
    response = await api.client.post(f"/app/feedback/{pilot_id}", data={
        "csrf_token": csrf_of(html), "score": "9", "comment": "Easy to share."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/app/feedback?sent={pilot_id}#pilot-{pilot_id}"
    assert await _feedback(api) == [(9, "Easy to share.")]
    thanks = (await api.client.get(response.headers["location"])).text
    assert "Thank you! Your feedback for this week is recorded." in thanks
    again = await api.client.post(f"/app/feedback/{pilot_id}", data={
        "csrf_token": csrf_of(html), "score": "3"})
    assert again.status_code == 409
    assert "You already gave this week's feedback for this pilot." in again.text
    assert await _feedback(api) == [(9, "Easy to share.")]
    later = (await api.client.get("/app/feedback")).text
    assert "You gave this week's feedback. Come back next week." in later


async def test_feedback_needs_a_score_from_0_to_10(api: Api) -> None:
    user, _ = await browser_of(api)
    pilot_id = await pilot_for(api, user, starts=today() - timedelta(days=1),
                               ends=today() + timedelta(days=30), name="P")
    token = csrf_of((await api.client.get("/app/feedback")).text)
    for score in ("", "11", "-1", "seven"):
        response = await api.client.post(f"/app/feedback/{pilot_id}",
                                         data={"csrf_token": token, "score": score})
        assert response.status_code == 422, score
        assert "Choose a score from 0 to 10." in response.text
    assert await _feedback(api) == []


async def test_feedback_outside_the_pilots_dates(api: Api) -> None:
    user, _ = await browser_of(api)
    ended = await pilot_for(api, user, starts=today() - timedelta(days=60),
                            ends=today() - timedelta(days=2), name="Old pilot")
    await pilot_for(api, user, starts=today() + timedelta(days=3),
                    ends=today() + timedelta(days=40), name="Next pilot")
    html = (await api.client.get("/app/feedback")).text
    assert "This pilot ended on" in html and "Feedback opens when the pilot starts" in html
    assert 'type="radio"' not in html
    response = await api.client.post(f"/app/feedback/{ended}", data={
        "csrf_token": csrf_of(html), "score": "8"})
    assert response.status_code == 422
    assert "This pilot is not taking feedback today." in response.text
    assert await _feedback(api) == []


async def test_feedback_for_a_pilot_one_is_not_in(api: Api) -> None:
    other, _ = await api.user()
    pilot_id = await pilot_for(api, other, starts=today() - timedelta(days=1),
                               ends=today() + timedelta(days=30), name="Theirs")
    await browser_of(api)
    token = csrf_of((await api.client.get("/app/feedback")).text)
    forbidden = await api.client.post(f"/app/feedback/{pilot_id}",
                                      data={"csrf_token": token, "score": "5"})
    assert forbidden.status_code == 403
    missing = await api.client.post("/app/feedback/nope", data={"csrf_token": token,
                                                                "score": "5"})
    assert missing.status_code == 404
    assert await _feedback(api) == []


async def test_goals_show_each_key_results_progress(api: Api) -> None:
    async with api.db.transaction() as session:
        await okr_service.create(session, data=ObjectiveCreate(
            title="Grow our reach", starts_on=today() - timedelta(days=10),
            ends_on=today() + timedelta(days=20),
            key_results=[KeyResultIn(title="Shares this quarter", metric="shares",
                                     target=Decimal(40)),
                         KeyResultIn(title="Participation", metric="participation_rate",
                                     target=Decimal("0.5"))]))
        await okr_service.create(session, data=ObjectiveCreate(
            title="Last year's goal", starts_on=today() - timedelta(days=400),
            ends_on=today() - timedelta(days=300),
            key_results=[KeyResultIn(title="Clicks", metric="clicks", target=Decimal(10))]))
    await browser_of(api)
    html = (await api.client.get("/app/goals")).text
    assert "Grow our reach" in html and "Shares this quarter" in html
    assert re.search(r'<progress id="kr-[^"]+" max="1" value="0(\.0)?">0\.0%</progress>', html)
    assert "0 of 40" in html and "0% of 50%" in html.replace("0.0%", "0%")
    assert '<details class="app-section past-goals">' in html and "Last year&#39;s goal" in html
    assert "css/charts.css" in html


async def test_no_goals_yet(api: Api) -> None:
    await browser_of(api)
    assert "No goal is set for now." in (await api.client.get("/app/goals")).text


async def test_settings_show_and_save_the_viewers_choices(api: Api) -> None:
    async with api.db.transaction() as session:
        eng = await make_topic(session, name="Engineering")
        ops = await make_topic(session, name="Operations")
    user, _ = await browser_of(api, topic_ids=[eng.id])
    html = (await api.client.get("/app/settings")).text
    assert f'<input type="checkbox" name="topic_ids" value="{eng.id}" checked>' in html
    assert f'<input type="checkbox" name="topic_ids" value="{ops.id}">' in html
    assert '<input type="radio" name="language" value="" checked>' in html
    assert '<input type="checkbox" name="reminders" checked>' in html
    response = await api.client.post("/app/settings", data={
        "csrf_token": csrf_of(html), "topic_ids": [ops.id], "language": "th",
        "leaderboard": "on", "followers_linkedin": "1,250", "followers_x": "",
        "followers_facebook": "80"})
    assert response.status_code == 303
    assert response.headers["location"] == "/app/settings?saved=true"
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        followed = list(await session.scalars(select(user_topics.c.topic_id).where(
            user_topics.c.user_id == user.id)))
    assert stored is not None and followed == [ops.id]
    assert stored.language == "th" and stored.reminders_opt_out is True
    assert stored.leaderboard_opt_out is False
    assert stored.follower_counts == {"linkedin": 1250, "x": 0, "facebook": 80}
    saved = (await api.client.get("/app/settings", params={"saved": "true"})).text
    assert '<html lang="th">' in saved


async def test_settings_that_do_not_read_are_sent_back_unsaved(api: Api) -> None:
    user, _ = await browser_of(api)
    token = csrf_of((await api.client.get("/app/settings")).text)
    response = await api.client.post("/app/settings", data={
        "csrf_token": token, "language": "fr", "followers_linkedin": "lots",
        "topic_ids": "nope", "reminders": "on"})
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert "Enter a whole number, such as 250." in response.text
    assert "Choose one of the languages listed." in response.text
    assert "Choose topics from the list." in response.text
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
    assert stored is not None and stored.language is None and stored.follower_counts == {}


async def test_choosing_the_browsers_language_forgets_the_header_switch(api: Api) -> None:
    await browser_of(api)
    api.client.cookies.set("chorus_lang", "th")
    token = csrf_of((await api.client.get("/app/settings")).text)
    response = await api.client.post("/app/settings", data={"csrf_token": token,
                                                            "language": ""})
    assert response.status_code == 303
    assert any(c.startswith('chorus_lang=""') for c in response.headers.get_list("set-cookie"))


async def test_more_says_when_feedback_is_waiting(api: Api) -> None:
    user, _ = await browser_of(api)
    await pilot_for(api, user, starts=today() - timedelta(days=1),
                    ends=today() + timedelta(days=30), name="P")
    html = (await api.client.get("/app/more")).text
    for path in ("/app/suggest", "/app/feedback", "/app/goals", "/app/settings"):
        assert f'<a href="{path}">' in html
    assert '<span class="badge badge--warning">1 waiting</span>' in html
    assert '<a href="/app/more" aria-current="page">' in html


async def test_the_pages_in_thai(api: Api) -> None:
    post = await publish(api, title="ข่าว")
    user, _ = await browser_of(api)
    async with api.db.transaction() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.language = "th"
    await share(api, user, post)
    me = (await api.client.get("/app/me")).text
    assert '<html lang="th">' in me and "กิจกรรมของคุณ" in me
    assert re.search(r'<span class="badge-list__date">[^<]*\d{1,2} [ก-๙.]+ \d{4}</span>', me)
    board = (await api.client.get("/app/leaderboard")).text
    assert "อันดับ" in board
