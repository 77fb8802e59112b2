"""Password hashing (argon2id) and the minimum-strength rule.

Hashing is deliberately slow, so it runs in a worker thread and never blocks the event
loop. A login for an unknown account still verifies against a dummy hash, so response
time does not tell whether an account exists.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hrvault.config import Secret

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 5
_COMMON = frozenset(
    {
        "password1234",
        "passwordpassword",
        "123456789012",
        "qwertyuiopas",
        "letmeinletmein",
        "welcome12345",
        "changemechangeme",
        "administrator",
    }
)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("hrvault-timing-equaliser")


class WeakPasswordError(ValueError):
    """The password fails the strength rule; the message says which part."""


def check_strength(password: str, *, email: str | None = None) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"must be at most {MAX_LENGTH} characters long")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise WeakPasswordError(f"must use at least {MIN_DISTINCT_CHARACTERS} different characters")
    lowered = password.lower()
    if lowered in _COMMON:
        raise WeakPasswordError("is too common")
    if email:
        local_part = email.split("@", 1)[0].lower()
        if len(local_part) >= 4 and local_part in lowered:
            raise WeakPasswordError("must not contain the email address")


async def hash_password(password: Secret) -> str:
    return await asyncio.to_thread(_hasher.hash, password.reveal())


async def verify_password(stored_hash: str | None, password: Secret) -> bool:
    """True when the password matches; always spends the same effort, hash or no hash."""

    def verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password.reveal()) and (
                stored_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
