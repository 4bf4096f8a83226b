"""/console pages (CONTRACT §8), for marketers and admins: each route reads its input, makes
one call to the console's views, and answers with a page, a fragment (htmx) or a 303."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from app.content import publisher
from app.core.routing import DbSession
from app.models.enums import PostStatus
from app.web.access import MarketerPage
from app.web.console import editing, feeds, posts, queue, suggestions
from app.web.forms import PageForm
from app.web.routing import page_router
from app.web.templating import render

router = page_router(prefix="/console")
TopicParam = Annotated[str | None, Query(max_length=64)]
CursorParam = Annotated[str | None, Query(max_length=512)]
IdParam = Annotated[str | None, Query(max_length=64)]


def _see_other(path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("")
async def queue_page(request: Request, user: MarketerPage, session: DbSession,
                     topic: TopicParam = None, cursor: CursorParam = None,
                     saved: IdParam = None,
                     published: Annotated[str | None, Query(max_length=2000)] = None,
                     count: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Response:
    """The queue in publish order, why each post waits, and the 6-3-1 mix."""
    screen = await queue.queue_screen(
        session, topic_id=topic, cursor=cursor, saved_id=saved, published_count=count,
        published=None if published is None else [i for i in published.split(",") if i])
    return render(request, "console/queue.html", {"screen": screen, "pending": screen.pending})


@router.post("/publish")
async def publish_now(user: MarketerPage, session: DbSession) -> Response:
    """Publish what is due now, as ``POST /api/v1/publisher/run`` does."""
    ids = [post.id for post in await publisher.run(session)]
    return _see_other("/console", published=",".join(ids[:queue.MAX_PUBLISHED_SHOWN]),
                      count=str(len(ids)))


@router.get("/posts")
async def post_list(request: Request, user: MarketerPage, session: DbSession,
                    status: Annotated[PostStatus | None, Query()] = None,
                    cursor: CursorParam = None, archived: IdParam = None) -> Response:
    """Posts by status, newest first, with their edit and archive actions."""
    screen = await posts.posts_screen(session, status=status, cursor=cursor,
                                      archived_id=archived)
    return render(request, "console/posts.html", {"screen": screen, "pending": screen.pending})


@router.get("/posts/new")
async def new_post(request: Request, user: MarketerPage, session: DbSession) -> Response:
    """The form for a new post."""
    page = await editing.new_page(session, zone=request.app.state.settings.tz)
    return render(request, "console/post_form.html", {"page": page})


@router.post("/posts")
async def create_post(request: Request, form: PageForm, user: MarketerPage,
                      session: DbSession) -> Response:
    """Queue a post; a refused form comes back with what to fix."""
    result = await editing.create(session, form, zone=request.app.state.settings.tz)
    if isinstance(result, editing.Saved):
        return _saved(result.post_id)
    return render(request, "console/post_form.html", {"page": result}, status=result.status)


@router.get("/posts/{post_id}/edit")
async def edit_post(request: Request, post_id: str, user: MarketerPage,
                    session: DbSession) -> Response:
    """The form for an existing post."""
    page = await editing.edit_page(session, post_id, zone=request.app.state.settings.tz)
    return render(request, "console/post_form.html", {"page": page})


@router.post("/posts/{post_id}/edit")
async def update_post(request: Request, post_id: str, form: PageForm, user: MarketerPage,
                      session: DbSession) -> Response:
    """Save an edited post."""
    result = await editing.update(session, post_id, form, zone=request.app.state.settings.tz)
    if isinstance(result, editing.Saved):
        return _saved(result.post_id)
    return render(request, "console/post_form.html", {"page": result}, status=result.status)


def _saved(post_id: str) -> RedirectResponse:
    response = _see_other("/console", saved=post_id)
    response.headers["Location"] += f"#entry-{post_id}"
    return response


@router.get("/posts/{post_id}/archive")
async def confirm_archive(request: Request, post_id: str, user: MarketerPage,
                          session: DbSession) -> Response:
    """Ask before archiving (a page, so that it works without JavaScript)."""
    page = await posts.archive_page(session, post_id)
    return render(request, "console/archive.html", {"page": page})


@router.post("/posts/{post_id}/archive")
async def archive_post(request: Request, post_id: str, user: MarketerPage,
                       session: DbSession) -> Response:
    """Archive a published post: it leaves feeds, its links keep working."""
    result = await posts.archive(session, post_id)
    if isinstance(result, posts.Archived):
        return _see_other("/console/posts", status=PostStatus.archived.value,
                          archived=result.post_id)
    return render(request, "console/archive.html", {"page": result}, status=result.status)


@router.get("/suggestions")
async def suggestion_list(request: Request, user: MarketerPage, session: DbSession,
                          approved: IdParam = None, rejected: IdParam = None) -> Response:
    """Suggestions waiting for review."""
    screen = await suggestions.screen(
        session, done_id=approved or rejected,
        outcome="approved" if approved else "rejected" if rejected else None)
    return render(request, "console/suggestions.html", {"screen": screen,
                                                            "pending": screen.pending})


@router.post("/suggestions/{post_id}/approve")
async def approve_suggestion(request: Request, post_id: str, form: PageForm,
                             user: MarketerPage, session: DbSession) -> Response:
    """Approve a suggestion into the queue with its category."""
    card = await suggestions.approve(session, post_id, form)
    return await _reviewed(request, session, card)


@router.post("/suggestions/{post_id}/reject")
async def reject_suggestion(request: Request, post_id: str, form: PageForm,
                            user: MarketerPage, session: DbSession) -> Response:
    """Reject a suggestion with a reason."""
    card = await suggestions.reject(session, post_id, form)
    return await _reviewed(request, session, card)


async def _reviewed(request: Request, session: DbSession, card: suggestions.Card) -> Response:
    """htmx swaps the card in place; a plain form gets the page (303 on success)."""
    if _is_htmx(request):
        return render(request, "console/_suggestion.html", {"card": card}, status=card.status)
    if card.outcome is not None:
        return _see_other("/console/suggestions", **{card.outcome: card.post.id})
    screen = await suggestions.screen(session, refused=card)
    return render(request, "console/suggestions.html",
                  {"screen": screen, "pending": screen.pending}, status=card.status)


@router.get("/feeds")
async def feed_list(request: Request, user: MarketerPage, session: DbSession,
                    added: IdParam = None, deleted: Annotated[bool, Query()] = False
                    ) -> Response:
    """The registered feeds, how each one's last read went, and the form to add one."""
    screen = await feeds.screen(session, added_id=added, deleted=deleted)
    return render(request, "console/feeds.html", {"screen": screen, "pending": screen.pending})


@router.post("/feeds")
async def add_feed(request: Request, form: PageForm, user: MarketerPage,
                   session: DbSession) -> Response:
    """Register a feed; a refused form comes back with what to fix."""
    result = await feeds.add(session, form,
                             allow_private=request.app.state.settings.allow_private_webhooks)
    if isinstance(result, feeds.Added):
        return _see_other("/console/feeds", added=result.feed_id)
    return render(request, "console/feeds.html", {"screen": result, "pending": result.pending},
                  status=result.status)


@router.post("/feeds/{feed_id}/delete")
async def delete_feed(feed_id: str, user: MarketerPage, session: DbSession) -> Response:
    """Stop reading a feed; the posts it gave stay."""
    await feeds.remove(session, feed_id)
    return _see_other("/console/feeds", deleted="1")
