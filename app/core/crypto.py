"""Encrypting what Chorus must keep and read back (network tokens, webhook secrets).

cryptography's ``MultiFernet`` (AES-128-CBC with HMAC-SHA256, authenticated, timestamped):
the first key, derived from the current secret key, encrypts; every key, the current one and
those of ``CHORUS_SECRET_KEY_PREVIOUS``, decrypts, so that a rotation of the secret key
loses nothing. Keys are derived with HKDF-SHA256 under a purpose label, so the encryption key
is never the value that signs cookies. ``rotate`` re-encrypts a value under the current key.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.secret import load_secret_key

_INFO = b"chorus stored-secret encryption v1"


class DecryptionFailed(Exception):
    """The value was encrypted under a key this process no longer knows (or altered)."""


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=8)
def _cipher(current: str, previous: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(current), *(_fernet(p) for p in previous if p != current)])


class Cipher:
    def __init__(self, current: str, previous: list[str] | tuple[str, ...] = ()) -> None:
        self._multi = _cipher(current, tuple(previous))

    def encrypt(self, plain: str) -> str:
        return self._multi.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionFailed("the value cannot be decrypted with the known keys") from exc

    def rotate(self, token: str) -> str:
        """The same value encrypted under the current key."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionFailed("the value cannot be decrypted with the known keys") from exc


async def cipher_for(session: AsyncSession, settings: Settings) -> Cipher:
    """The cipher of this deployment: the configured secret key (or, in dev, the one
    generated once and kept in the database), plus the previous ones."""
    return Cipher(await load_secret_key(session, settings), settings.previous_secret_keys)
