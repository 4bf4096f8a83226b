"""A card's network links: ``GET /app/share/{post}/{network}?t=…``, each a signed capability.

Why links and not a form: a share on LinkedIn ends on LinkedIn's site, and the pages' CSP
(``form-action 'self'``) blocks a form whose answer redirects to another origin; a followed
link may be redirected anywhere. Following one records the share (``share()``, idempotent)
and answers 303 to the network's intent.

A GET that records a share must not be forgeable by another site. Each link therefore
carries ``t``, an HMAC of the post and the network keyed by the viewer's CSRF token (itself
an HMAC of the session under the secret key): another site can neither read it from our
page nor compute it, it stops working when the session ends, and it opens one post on one
network only. On top of that, a request the browser marks as coming from another site
(``Sec-Fetch-Site``) is refused, as a form would be. The optional ``caption`` parameter is
the advocate's own words, checked like the API's (blocked words, locked posts).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from app.models.enums import Network
from app.web import csrf
from app.web.access import FormRefused
from app.web.i18n import N_

# The network intents a card offers, in its order, with their names (brands stay as they are).
INTENTS: tuple[tuple[Network, str], ...] = (
    (Network.linkedin, "LinkedIn"),
    (Network.x, "X"),
    (Network.facebook, "Facebook"),
    (Network.whatsapp, "WhatsApp"),
    (Network.email, N_("Email")),
)
LINKABLE = frozenset({network for network, _ in INTENTS} | {Network.copy})
TOKEN_LENGTH = 32


@dataclass(frozen=True)
class NetworkLink:
    network: str
    name: str
    href: str


def token(csrf_token: str, post_id: str, network: Network) -> str:
    mac = hmac.new(csrf_token.encode(), f"share-link:{post_id}:{network.value}".encode(),
                   hashlib.sha256)
    return mac.hexdigest()[:TOKEN_LENGTH]


def href(csrf_token: str, post_id: str, network: Network, caption: str | None = None) -> str:
    query = {"t": token(csrf_token, post_id, network)}
    if caption is not None:
        query["caption"] = caption
    return f"/app/share/{post_id}/{network.value}?{urlencode(query)}"


def intents(csrf_token: str, post_id: str, caption: str | None) -> list[NetworkLink]:
    return [NetworkLink(network.value, name, href(csrf_token, post_id, network, caption))
            for network, name in INTENTS]


def linkable(network: str) -> Network | None:
    """The network a link may name (not ``native``: that one is the phone's share sheet)."""
    try:
        value = Network(network)
    except ValueError:
        return None
    return value if value in LINKABLE else None


def check(request: Request, *, csrf_token: str | None, post_id: str, network: Network,
          presented: str) -> None:
    """Refuse a link followed from another site, or not signed for this viewer."""
    if csrf.is_foreign(request, request.app.state.settings.base_url):
        raise FormRefused("share link followed from another site")
    if not csrf_token or not csrf.matches(token(csrf_token, post_id, network), presented):
        raise FormRefused("share link not signed for this session")
