"""Tables of the digests domain (filled in by issue 12's digests work)."""

from __future__ import annotations
