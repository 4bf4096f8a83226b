"""Facebook: no API reads the stats of a member's personal post (``user_posts`` may not be
used for an employer's analytics, and share dialogs give no post id), so the stats of a
Facebook share are entered by hand or imported (CONTRACT §3)."""

from __future__ import annotations

from app.core.config import Settings
from app.models.enums import Network
from app.networks.providers.base import Metric, PostRef, Unresolvable

NOT_SUPPORTED = ("Facebook gives no API to read a member's personal post: enter its stats "
                 "by hand or import them")


class FacebookProvider:
    network = Network.facebook
    supported = False

    def capabilities(self, settings: Settings) -> frozenset[Metric]:
        return frozenset()

    def parse_ref(self, external_url: str) -> PostRef | Unresolvable:
        return Unresolvable(NOT_SUPPORTED)
