"""Session token format.

``hrvs1_`` + base64url(tenant id (16 bytes) || secret (32 bytes)). The version prefix lets
the format change later while old tokens are still recognised. The tenant id in clear
lets a request bind its tenant before looking the session up, so the lookup itself runs
under row-level security. Only SHA-256 of the whole token is ever stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from hrvault.config import Secret

SESSION_TOKEN_PREFIX = "hrvs1_"  # noqa: S105 - a format marker, not a secret
_SECRET_BYTES = 32
_PAYLOAD_BYTES = 16 + _SECRET_BYTES
_ENCODED_LENGTH = len(SESSION_TOKEN_PREFIX) + 64  # 48 bytes in base64url, no padding


@dataclass(frozen=True)
class SessionToken:
    tenant_id: uuid.UUID
    value: Secret

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.value.reveal().encode()).digest()


def new_session_token(tenant_id: uuid.UUID) -> SessionToken:
    payload = tenant_id.bytes + secrets.token_bytes(_SECRET_BYTES)
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return SessionToken(tenant_id=tenant_id, value=Secret(SESSION_TOKEN_PREFIX + encoded))


def parse_session_token(raw: str) -> SessionToken | None:
    """The token's parts, or None when it is not a well-formed session token."""
    if len(raw) != _ENCODED_LENGTH or not raw.startswith(SESSION_TOKEN_PREFIX):
        return None
    try:
        payload = base64.b64decode(raw[len(SESSION_TOKEN_PREFIX) :], altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(payload) != _PAYLOAD_BYTES:
        return None
    return SessionToken(tenant_id=uuid.UUID(bytes=payload[:16]), value=Secret(raw))
