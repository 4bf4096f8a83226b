"""One stats provider per network (see ``base``): X, LinkedIn and Facebook."""

from __future__ import annotations

from app.models.enums import Network
from app.networks.providers.base import StatsProvider
from app.networks.providers.facebook import FacebookProvider
from app.networks.providers.linkedin import LinkedInProvider
from app.networks.providers.x import XProvider

X = XProvider()
LINKEDIN = LinkedInProvider()
FACEBOOK = FacebookProvider()
PROVIDERS: dict[Network, StatsProvider] = {Network.x: X, Network.linkedin: LINKEDIN,
                                           Network.facebook: FACEBOOK}
"""The networks whose posts have stats; shares on the others (WhatsApp, email, copy, the
share sheet) have no post to read."""
