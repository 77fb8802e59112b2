"""The key store's tables (PostgreSQL schema ``keystore``), apart from the data they protect.

Only wrapped keys live here, never key bytes. The schema is separate so that data backups
can leave it out (``pg_dump --exclude-schema=keystore``) and it can be backed up on its own
short retention: once a key is destroyed here and those backups have aged out, every copy
of the data it sealed is unreadable, data backups included.

Rows are never deleted; a retired or destroyed key keeps its row (without its wrapped
bytes) so its version is never reused and an erasure can be shown. A trigger refuses any
change to such a row. The migration ``0004_keystore`` creates these tables; they are not
on ``hrvault.models.Base.metadata`` because they belong to the key store, not the data.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)
from sqlalchemy import Uuid as SqlUuid


class KeyState(StrEnum):
    ACTIVE = "active"
    """Seals new values (exactly one per tenant and purpose, or per person)."""
    DECRYPT_ONLY = "decrypt_only"
    """Superseded: opens what it sealed until re-encryption has moved it."""
    RETIRED = "retired"
    """Nothing refers to it any more; its wrapped bytes are gone."""
    DESTROYED = "destroyed"
    """Crypto-shredded: whatever it sealed is unreadable."""


LIVE_STATES = (KeyState.ACTIVE.value, KeyState.DECRYPT_ONLY.value)


class KeyPurpose(StrEnum):
    DATA = "data"
    """Seals tenant-scoped values and wraps the tenant's person keys."""
    INDEX = "index"
    """HMAC key of the tenant's blind indexes."""


metadata = MetaData(schema="keystore")

master_keys = Table(
    "master_keys",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("check_value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

tenant_keys = Table(
    "tenant_keys",
    metadata,
    Column("tenant_id", SqlUuid, primary_key=True),
    Column("purpose", String(16), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("master_version", Integer),
    Column("wrapped", LargeBinary),
    Column("seals_reserved", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("retired_at", DateTime(timezone=True)),
)

person_keys = Table(
    "person_keys",
    metadata,
    Column("tenant_id", SqlUuid, primary_key=True),
    Column("employee_id", SqlUuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("tenant_key_version", Integer),
    Column("wrapped", LargeBinary),
    Column("seals_reserved", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("retired_at", DateTime(timezone=True)),
)
