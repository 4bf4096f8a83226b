from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.core.schemas import Strict
from app.core.types import HttpUrl, OutDatetime
from app.models.webhooks import EndpointStatus
from app.webhooks.outbox import EventType


def _distinct(events: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(events))


Events = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType),
                                          description="The event types to receive."),
                   AfterValidator(_distinct)]


class WebhookCreate(Strict):
    url: HttpUrl = Field(description="Where events are POSTed: https (http in dev or with "
                                     "CHORUS_ALLOW_PRIVATE_WEBHOOKS), at a public address.")
    events: Events


class WebhookUpdate(Strict):
    active: bool | None = Field(None, description="true re-enables a failing or paused "
                                                  "endpoint and sends what it missed; false "
                                                  "pauses it.")
    url: HttpUrl | None = None
    events: Events | None = None


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool = Field(description="Whether it receives events now.")
    status: EndpointStatus = Field(description="`active`; `failing` (its deliveries failed "
                                               "for 24 h); `disabled` (paused by an admin).")
    inactive_since: OutDatetime | None = Field(
        description="When it stopped receiving; its events since then are kept for a replay.")
    created_at: OutDatetime
    updated_at: OutDatetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="`whsec_` + base64 of the signing key: shown this once.")


class DeliveryAttemptRead(BaseModel):
    id: str
    event_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    event_type: str
    attempt: int = Field(description="1 for the first attempt of this event to this endpoint.")
    ok: bool = Field(description="The receiver answered 2xx: delivered.")
    status_code: int | None = Field(description="The receiver's HTTP status; null when it "
                                                "gave none (see `error`).")
    error: str | None = Field(description="Why no answer was had (DNS, refused address, "
                                          "time limit…).")
    duration_ms: int
    response_excerpt: str | None = Field(description="The first 500 characters of the answer.")
    attempted_at: OutDatetime
    next_attempt_at: OutDatetime | None = Field(
        description="When it will be tried again; null once delivered or given up.")
