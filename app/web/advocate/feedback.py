"""/app/feedback: the pilots the viewer is enrolled in, and this week's feedback for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.analytics.pilots import service as pilots_service
from app.analytics.pilots.schemas import FeedbackCreate, MyPilot
from app.core.clock import utcnow
from app.core.db import org_tz
from app.core.errors import Conflict, Invalid
from app.gamification.periods import local_day
from app.models import User

State = Literal["open", "given", "not_started", "ended"]
Problem = Literal["score", "comment", "given", "closed"]


@dataclass(frozen=True)
class FeedbackForm:
    score: str = ""
    comment: str = ""
    problem: Problem | None = None


@dataclass(frozen=True)
class PilotCard:
    pilot: MyPilot
    state: State
    form: FeedbackForm


@dataclass(frozen=True)
class FeedbackView:
    pilots: list[PilotCard]
    today: date


def state_of(pilot: MyPilot, today: date) -> State:
    if today < pilot.starts_on:
        return "not_started"
    if today > pilot.ends_on:
        return "ended"
    return "given" if pilot.feedback_given_this_week else "open"


async def feedback_view(session: AsyncSession, *, user: User, pilot_id: str | None = None,
                        form: FeedbackForm | None = None) -> FeedbackView:
    """The viewer's pilots; ``form`` is what they sent for ``pilot_id`` (shown again)."""
    today = local_day(utcnow(), org_tz(session))
    cards = []
    for pilot in await pilots_service.enrolled_in(session, user):
        sent = form if form is not None and pilot.id == pilot_id else FeedbackForm()
        cards.append(PilotCard(pilot=pilot, state=state_of(pilot, today), form=sent))
    return FeedbackView(pilots=cards, today=today)


def read_form(form: FormData) -> FeedbackForm:
    return FeedbackForm(score=str(form.get("score", "")).strip(),
                        comment=str(form.get("comment", "")).strip())


async def give(session: AsyncSession, *, user: User, pilot_id: str,
               form: FeedbackForm) -> FeedbackView | None:
    """Record this week's feedback; None when done, else the page again saying what to fix.
    404 for a pilot that does not exist, 403 for one the viewer is not enrolled in."""
    pilot = await pilots_service.get_or_raise(session, pilot_id)
    problem: Problem | None = None
    try:
        score = int(form.score) if form.score.isascii() and form.score.isdigit() else -1
        data = FeedbackCreate.model_validate({"score": score, "comment": form.comment or None})
        await pilots_service.give_feedback(session, pilot, user=user, data=data)
    except ValidationError as exc:
        fields = {e["loc"][0] for e in exc.errors() if e["loc"]}
        problem = "comment" if fields == {"comment"} else "score"
    except Conflict:
        problem = "given"
    except Invalid:
        problem = "closed"
    if problem is None:
        return None
    sent = FeedbackForm(score=form.score, comment=form.comment, problem=problem)
    return await feedback_view(session, user=user, pilot_id=pilot_id, form=sent)
