"""Tables of the networks domain (filled in by issue 12's networks work)."""

from __future__ import annotations
