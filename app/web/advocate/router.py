"""/app, the advocates' phone app: the feed with one-tap sharing, their standing, the
leaderboard, suggestions, pilot feedback, the program's goals and their settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from app.core.pagination import Cursor
from app.core.routing import DbSession
from app.gamification.periods import Period
from app.web import i18n
from app.web.access import CurrentViewer, SignedInPage
from app.web.advocate import connections as my_connections
from app.web.advocate import feed, feedback, goals, leaderboard, me, sharing, suggestions
from app.web.advocate import settings as my_settings
from app.web.forms import PageForm
from app.web.routing import page_router
from app.web.templating import render

router = page_router()
IdParam = Annotated[str | None, Query(max_length=64)]
# The advocate's own caption, carried by a card's links (the API's limit).
CaptionParam = Annotated[str | None, Query(max_length=3000)]


def _see_other(path: str) -> RedirectResponse:
    # Relative (or the network's intent): never built from the request's Host.
    return RedirectResponse(path, status_code=303)


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/app")
async def home(request: Request, user: SignedInPage, viewer: CurrentViewer, session: DbSession,
               topic: IdParam = None, cursor: Cursor = None, policy: str | None = None
               ) -> Response:
    """The feed, newest first, ready to share; ``topic`` filters it."""
    config = request.app.state.settings
    view = await feed.feed_view(session, user=user, csrf_token=viewer.csrf_token or "",
                                topic_id=topic, cursor=cursor, base_url=config.base_url,
                                tz=config.tz)
    template = "advocate/_feed_page.html" if _htmx(request) and cursor else "advocate/feed.html"
    return render(request, template, {"view": view, "cursor": cursor,
                                      "policy_changed": policy == "changed"})


@router.get("/app/posts/{post_id}")
async def post_page(request: Request, post_id: str, user: SignedInPage, viewer: CurrentViewer,
                    session: DbSession, caption: CaptionParam = None, copied: bool = False
                    ) -> Response:
    """One post of the feed: its caption to edit (without JavaScript, "Use my caption"
    comes back here), and the link to copy once asked for."""
    config = request.app.state.settings
    view = await feed.post_view(session, user=user, csrf_token=viewer.csrf_token or "",
                                post_id=post_id, typed=caption, show_copied=copied,
                                base_url=config.base_url, tz=config.tz)
    status = 422 if view.card.problem is not None else 200
    return render(request, "advocate/post.html", {"view": view, "refused": None},
                  status=status)


@router.get("/app/share/{post_id}/{network}")
async def follow_share_link(request: Request, post_id: str, network: str, user: SignedInPage,
                            viewer: CurrentViewer, session: DbSession, t: str = "",
                            caption: CaptionParam = None) -> Response:
    """A card's network link: share (once) and go on to the network's share intent."""
    config = request.app.state.settings
    outcome = await sharing.follow_link(
        session, request=request, viewer=viewer, user=user, post_id=post_id, network=network,
        token=t, typed=caption, base_url=config.base_url, tz=config.tz)
    if isinstance(outcome, sharing.Refused):
        return render(request, "advocate/post.html", {"view": outcome.view, "refused": outcome},
                      status=outcome.status)
    return _see_other(outcome)


@router.post("/app/policy")
async def accept_policy(form: PageForm, user: SignedInPage, session: DbSession) -> Response:
    """Accept the sharing policy's current version."""
    accepted = await sharing.accept_policy(session, user=user, version=str(form.get("version", "")))
    return _see_other("/app" if accepted else "/app?policy=changed#policy")


@router.get("/app/me")
async def my_page(request: Request, user: SignedInPage, session: DbSession,
                  period: Period = Period.week, cursor: Cursor = None) -> Response:
    """Your points, rank and activity for a period, your badges and your points history."""
    view = await me.me_view(session, user=user, period=period, cursor=cursor)
    return render(request, "advocate/me.html", {"view": view, "periods": list(Period)})


@router.get("/app/leaderboard")
async def leaderboard_page(request: Request, user: SignedInPage, session: DbSession,
                           period: Period = Period.week, group: IdParam = None) -> Response:
    """Everyone's ranks for a period, or a group's; yours even when you are not listed."""
    view = await leaderboard.board_view(session, user=user, period=period, group_id=group)
    return render(request, "advocate/leaderboard.html", {"view": view, "periods": list(Period)})


@router.get("/app/suggest")
async def suggest_page(request: Request, user: SignedInPage, session: DbSession,
                       sent: bool = False) -> Response:
    """Suggest a link to the marketing team; your suggestions and what became of them."""
    view = await suggestions.suggest_view(session, user=user)
    return render(request, "advocate/suggest.html", {"view": view, "sent": sent})


@router.post("/app/suggest")
async def suggest(request: Request, form: PageForm, user: SignedInPage,
                  session: DbSession) -> Response:
    """Send a suggestion."""
    refused = await suggestions.suggest(session, user=user, form=suggestions.read_form(form))
    if refused is None:
        return _see_other("/app/suggest?sent=true")
    return render(request, "advocate/suggest.html", {"view": refused, "sent": False},
                  status=422)


@router.get("/app/feedback")
async def feedback_page(request: Request, user: SignedInPage, session: DbSession,
                        sent: IdParam = None) -> Response:
    """The pilots you are enrolled in, and this week's feedback for each."""
    view = await feedback.feedback_view(session, user=user)
    return render(request, "advocate/feedback.html", {"view": view, "sent": sent})


@router.post("/app/feedback/{pilot_id}")
async def give_feedback(request: Request, pilot_id: str, form: PageForm, user: SignedInPage,
                        session: DbSession) -> Response:
    """Give a pilot this week's feedback."""
    refused = await feedback.give(session, user=user, pilot_id=pilot_id,
                                  form=feedback.read_form(form))
    if refused is None:
        return _see_other(f"/app/feedback?sent={pilot_id}#pilot-{pilot_id}")
    status = 409 if any(p.form.problem == "given" for p in refused.pilots) else 422
    return render(request, "advocate/feedback.html", {"view": refused, "sent": None},
                  status=status)


@router.get("/app/goals")
async def goals_page(request: Request, user: SignedInPage, session: DbSession) -> Response:
    """The program's objectives and their key results' progress."""
    view = await goals.goals_view(session)
    return render(request, "advocate/goals.html", {"view": view, "formatter": goals.formatter,
                                                    "percent": goals.percent})


@router.get("/app/settings")
async def settings_page(request: Request, user: SignedInPage, session: DbSession,
                        saved: bool = False,
                        linkedin: Annotated[str | None, Query(max_length=32)] = None
                        ) -> Response:
    """Your topics, language, reminders, leaderboard listing and follower counts, and your
    network connections (``linkedin``: how connecting LinkedIn went)."""
    view = await my_settings.settings_view(session, user=user)
    networks = await my_connections.connections_view(
        session, request.app.state.settings, user=user, outcome=linkedin)
    return render(request, "advocate/settings.html",
                  {"view": view, "saved": saved, "connections": networks},
                  headers=my_connections.SETTINGS_HEADERS)


@router.post("/app/settings")
async def save_settings(request: Request, form: PageForm, user: SignedInPage,
                        session: DbSession) -> Response:
    """Save your settings."""
    sent = my_settings.read_form(form)
    refused = await my_settings.save(session, user=user, form=sent)
    if refused is not None:
        networks = await my_connections.connections_view(
            session, request.app.state.settings, user=user)
        return render(request, "advocate/settings.html",
                      {"view": refused, "saved": False, "connections": networks}, status=422,
                      headers=my_connections.SETTINGS_HEADERS)
    response = _see_other("/app/settings?saved=true")
    if sent.language == my_settings.BROWSER_LANGUAGE:
        # The header's switch may have left this browser's choice: the browser decides now.
        response.delete_cookie(i18n.LANGUAGE_COOKIE, path="/")
    return response


@router.post("/app/connections/linkedin")
async def connect_linkedin(request: Request, form: PageForm, user: SignedInPage,
                           session: DbSession) -> Response:
    """Connect LinkedIn: on to LinkedIn's consent page, which sends you back to settings."""
    config = request.app.state.settings
    view = await my_connections.connections_view(session, config, user=user)
    if not view.linkedin_connectable:
        return _see_other("/app/settings?linkedin=failed#connections")
    return _see_other(await my_connections.start(session, config, user=user))


@router.post("/app/connections/linkedin/disconnect")
async def disconnect_linkedin(form: PageForm, user: SignedInPage,
                              session: DbSession) -> Response:
    """Disconnect LinkedIn: its tokens are forgotten."""
    await my_connections.disconnect(session, user=user)
    return _see_other("/app/settings?linkedin=disconnected#connections")


@router.get("/app/more")
async def more_page(request: Request, user: SignedInPage, session: DbSession) -> Response:
    """Everything else: suggest a link, pilot feedback, goals, settings."""
    view = await feedback.feedback_view(session, user=user)
    waiting = sum(1 for card in view.pilots if card.state == "open")
    return render(request, "advocate/more.html", {"feedback_waiting": waiting})
