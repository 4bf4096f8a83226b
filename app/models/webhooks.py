"""Tables of the webhooks domain (CONTRACT §3 webhooks, §9 ``deliver_webhook``).

``webhook_events`` is the outbox: each event is written in the transaction of the change
that caused it, so it exists exactly when the change does. The delivery job fans an event
out into one ``webhook_deliveries`` row per subscribed endpoint (unique per event and
endpoint, which is what makes a second run of the job a no-op), and logs every attempt in
``webhook_attempts`` (``GET /api/v1/webhooks/{id}/deliveries``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin, time_ordered_id


class EndpointStatus(StrEnum):
    active = "active"
    failing = "failing"
    """Its deliveries failed for 24 h: it receives nothing until an admin re-enables it."""
    disabled = "disabled"
    """Paused by an admin (``PATCH {active: false}``)."""


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    """Given up after 24 h of failed attempts; sent again when the endpoint is re-enabled."""


class WebhookEndpoint(IdMixin, Base):
    """A receiver of events; its signing secret is kept encrypted (we must sign with it)."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(Text)
    """``whsec_…`` encrypted with ``app.core.crypto``."""
    status: Mapped[str] = mapped_column(String(8), default=EndpointStatus.active)
    # When it stopped receiving (failing or disabled): a re-enable replays the events since.
    inactive_since: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(Base):
    """An event of CONTRACT §3, written with the change that caused it (the outbox)."""

    __tablename__ = "webhook_events"

    # Time-ordered (the events of one emit in their order): deliveries go out oldest first.
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True,
                                    default=time_ordered_id)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column()
    # False until the delivery job has made its deliveries (the sweep looks for these).
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_webhook_events_fanned_out", "fanned_out", "id"),
                      Index("ix_webhook_events_occurred_at", "occurred_at"))


class WebhookDelivery(Base):
    """One event for one endpoint, until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True,
                                    default=time_ordered_id)
    event_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default=DeliveryState.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When it is next due; a claimed delivery's is pushed out by a lease, so a worker that
    # dies mid-attempt leaves it to be claimed again when the lease ends.
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    deadline: Mapped[datetime] = mapped_column()
    """Retried until then (24 h from the event, or from the re-enable that replayed it)."""
    delivered_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_state", "endpoint_id", "state"),
    )


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the log an admin reads."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True,
                                    default=time_ordered_id)
    delivery_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    event_type: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "attempted_at", "id"),)


__all__ = ["DeliveryState", "EndpointStatus", "WebhookAttempt", "WebhookDelivery",
           "WebhookEndpoint", "WebhookEvent"]
