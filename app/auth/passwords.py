"""Argon2 password hashing (pwdlib), off the event loop because it is deliberately slow."""

from __future__ import annotations

from functools import lru_cache

from anyio import to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 8


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache
def _decoy_hash() -> str:
    return _hasher().hash("decoy password for unknown accounts")


def hash_password_sync(password: str) -> str:
    return _hasher().hash(password)


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(hash_password_sync, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account has a password, so timing reveals nothing."""
    target = password_hash or _decoy_hash()
    ok = await to_thread.run_sync(_hasher().verify, password, target)
    return bool(ok and password_hash)
