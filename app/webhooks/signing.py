"""Standard Webhooks signing (https://www.standardwebhooks.com), so that receivers can
verify our requests with any of its libraries.

A secret is ``whsec_`` + the base64 of a random key; each request carries ``webhook-id``
(the event, the same on every retry, so receivers can drop duplicates), ``webhook-timestamp``
(this attempt, in Unix seconds, so receivers can refuse replays) and ``webhook-signature``
(``v1,`` + the base64 HMAC-SHA256, under the key, of ``id.timestamp.body``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
KEY_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id=message_id, timestamp=timestamp,
                                       body=body),
        "Content-Type": "application/json",
    }
