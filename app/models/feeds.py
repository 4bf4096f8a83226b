"""Tables of the feeds domain (filled in by issue 12's feeds work)."""

from __future__ import annotations
