"""Download links: short-lived, single-use, stored hashed, re-checked when used.

Token format (version 1): ``hrvdl1_`` + base64url(tenant id (16 bytes) || secret (32
bytes)), like session tokens: the tenant id lets the download bind its tenant before the
lookup (so the lookup runs under row-level security); only SHA-256 of the whole token is
stored. A new layout is a new version prefix.

A link works once (a conditional ``UPDATE ... WHERE used_at IS NULL``, so two concurrent
downloads cannot both win) and for ``LINK_LIFETIME``. It carries no permission of its
own: at download time the permission of the principal who created it is compiled anew
(``policy_at_download``), so a role change, a logout, a deactivated account or a revoked
support grant between creating the link and using it refuses the download.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth import staff, support
from hrvault.auth.principal import SessionStage
from hrvault.config import Secret
from hrvault.errors import Forbidden, LinkExpired, LinkUsed, NotFound, Unauthenticated
from hrvault.models import DocumentLink, StaffSession
from hrvault.permissions.compile import load_policy
from hrvault.permissions.policy import Policy

LINK_TOKEN_PREFIX = "hrvdl1_"  # noqa: S105 - a format marker, not a secret
LINK_LIFETIME = timedelta(minutes=2)
_SECRET_BYTES = 32
_PAYLOAD_BYTES = 16 + _SECRET_BYTES
_ENCODED_LENGTH = len(LINK_TOKEN_PREFIX) + 64  # 48 bytes in base64url, no padding


@dataclass(frozen=True)
class LinkToken:
    tenant_id: uuid.UUID
    value: Secret

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.value.reveal().encode()).digest()


def new_link_token(tenant_id: uuid.UUID) -> LinkToken:
    payload = tenant_id.bytes + secrets.token_bytes(_SECRET_BYTES)
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return LinkToken(tenant_id=tenant_id, value=Secret(LINK_TOKEN_PREFIX + encoded))


def parse_link_token(raw: str) -> LinkToken | None:
    """The token's parts, or None when it is not a well-formed link token (no I/O)."""
    if len(raw) != _ENCODED_LENGTH or not raw.startswith(LINK_TOKEN_PREFIX):
        return None
    try:
        payload = base64.b64decode(raw[len(LINK_TOKEN_PREFIX) :], altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(payload) != _PAYLOAD_BYTES:
        return None
    return LinkToken(tenant_id=uuid.UUID(bytes=payload[:16]), value=Secret(raw))


async def consume(db: AsyncSession, token: LinkToken, now: datetime) -> DocumentLink:
    """Use the link up (the transaction must be bound to its tenant), or say why not.

    Unknown tokens are NOT_FOUND; a link past its lifetime LINK_EXPIRED, a used one
    LINK_USED (the holder of a token may know what became of it).
    """
    used = (
        await db.execute(
            update(DocumentLink)
            .where(
                DocumentLink.tenant_id == token.tenant_id,
                DocumentLink.token_hash == token.digest,
                DocumentLink.used_at.is_(None),
                DocumentLink.expires_at > now,
            )
            .values(used_at=now)
            .returning(DocumentLink)
        )
    ).scalar_one_or_none()
    if used is not None:
        return used
    found = await db.scalar(
        select(DocumentLink).where(
            DocumentLink.tenant_id == token.tenant_id, DocumentLink.token_hash == token.digest
        )
    )
    if found is None:
        raise NotFound("download link not found")
    if found.used_at is not None:
        raise LinkUsed("this download link was used already; ask for a new one")
    raise LinkExpired("this download link has expired; ask for a new one")


_LIVE_USER_SESSION = text(
    """
    SELECT u.employee_id
      FROM sessions AS s
      JOIN tenants AS t ON t.id = s.tenant_id
      JOIN users AS u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
     WHERE s.tenant_id = :tenant AND s.id = :session AND s.user_id = :user
       AND s.revoked_at IS NULL AND s.stage = 'full' AND u.is_active
       AND s.last_seen_at
           > CAST(:now AS timestamptz) - make_interval(secs => t.idle_timeout_seconds)
       AND s.created_at
           > CAST(:now AS timestamptz) - make_interval(secs => t.absolute_lifetime_seconds)
    """
)


async def policy_at_download(
    db: AsyncSession, link: DocumentLink, now: datetime, today: date
) -> Policy:
    """The permissions the link's creator holds now (their session must still be live)."""
    if link.principal_kind == "user":
        row = (
            await db.execute(
                _LIVE_USER_SESSION,
                {
                    "tenant": link.tenant_id,
                    "session": link.session_id,
                    "user": link.actor_id,
                    "now": now,
                },
            )
        ).first()
        if row is None:
            raise Unauthenticated("the session that created this download link has ended")
        return await load_policy(
            db, link.tenant_id, viewer_employee_id=row[0], today=today, user_id=link.actor_id
        )
    if link.principal_kind == "support" and link.via_id is not None:
        await staff.name_staff(db, link.actor_id)
        session = await db.scalar(
            select(StaffSession).where(
                StaffSession.id == link.session_id,
                StaffSession.staff_id == link.actor_id,
                StaffSession.revoked_at.is_(None),
                StaffSession.stage == SessionStage.FULL.value,
                StaffSession.tenant_id == link.tenant_id,
                StaffSession.grant_id == link.via_id,
                StaffSession.last_seen_at > now - staff.IDLE_TIMEOUT,
                StaffSession.created_at > now - staff.ABSOLUTE_LIFETIME,
                StaffSession.stepped_up_at > now - staff.STEP_UP_WINDOW,
            )
        )
        if session is None:
            raise Unauthenticated("the support session that created this download link has ended")
        grant = await support.live_grant(db, link.tenant_id, link.via_id, link.actor_id, now)
        return support.grant_policy(grant)
    raise Forbidden("this kind of caller cannot download documents")
