"""Each network's share intent (CONTRACT §3), with every value percent-encoded."""

from __future__ import annotations

from urllib.parse import quote

from app.models.enums import Network


def _enc(value: str) -> str:
    return quote(value, safe="")


def caption_for(captions: dict[str, str], network: Network) -> str:
    """The network's own caption where it has one, else the default one."""
    return captions.get(network.value) or captions.get("default") or ""


def share_url(network: Network, *, tracked_url: str, caption: str, title: str) -> str:
    u, c = _enc(tracked_url), _enc(caption)
    match network:
        case Network.linkedin:
            return f"https://www.linkedin.com/sharing/share-offsite/?url={u}"
        case Network.x:
            return f"https://x.com/intent/tweet?text={c}&url={u}"
        case Network.facebook:
            return f"https://www.facebook.com/sharer/sharer.php?u={u}"
        case Network.whatsapp:
            return f"https://wa.me/?text={c}%20{u}"
        case Network.email:
            return f"mailto:?subject={_enc(title)}&body={c}%0A%0A{u}"
        case Network.copy | Network.native:
            return tracked_url
