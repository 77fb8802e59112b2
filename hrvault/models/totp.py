"""Second factors: TOTP credentials (seed sealed, never plain) and hashed recovery codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from hrvault.models.base import Base, TenantOwned
from hrvault.vocabulary import FieldGroup


class TotpCredential(Base):
    """One per user: ``id`` is the user's id, so the sealed seed is bound to that user.

    ``last_step`` is the last accepted 30-second step: a code is never accepted twice.
    The seed is in ``seed_sealed`` (the tenant data key, ``crypto.columns.TOTP_SEED``), or,
    if it was enrolled before seeds moved there, in ``platform_sealed_seed`` until its
    next accepted code re-seals it.
    """

    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "totp_credentials"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        CheckConstraint("(seed_sealed IS NULL) <> (platform_sealed_seed IS NULL)", name="one_seed"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seed_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    platform_sealed_seed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(TenantOwned, Base):
    __field_group__ = FieldGroup.ADMINISTRATION
    __tablename__ = "recovery_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
    )

    user_id: Mapped[uuid.UUID]
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None]
