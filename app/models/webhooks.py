"""Tables of the webhooks domain (filled in by issue 12's webhooks work)."""

from __future__ import annotations
