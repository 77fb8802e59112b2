"""Every key an attacker could still get from what remains: the key store and the master key."""

from __future__ import annotations

import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.crypto.binding import person_key_ad, tenant_key_context
from hrvault.crypto.provider import KeyProvider, WrappedKey


async def every_remaining_key(owner_engine: AsyncEngine, provider: KeyProvider) -> list[AESGCM]:
    """Unwrap every live tenant key and every person key they unwrap, of every tenant."""
    async with owner_engine.connect() as conn:
        tenant_rows = (
            await conn.execute(
                text(
                    "SELECT tenant_id, purpose, version, master_version, wrapped"
                    " FROM keystore.tenant_keys WHERE wrapped IS NOT NULL"
                )
            )
        ).all()
        person_rows = (
            await conn.execute(
                text(
                    "SELECT tenant_id, employee_id, version, tenant_key_version, wrapped"
                    " FROM keystore.person_keys WHERE wrapped IS NOT NULL"
                )
            )
        ).all()
    tenant_keys: dict[tuple[uuid.UUID, int], AESGCM] = {}
    keys = []
    for row in tenant_rows:
        context = tenant_key_context(row.tenant_id, row.purpose, row.version)
        key = await provider.unwrap(WrappedKey(row.master_version, bytes(row.wrapped)), context)
        aead = AESGCM(key.reveal())
        keys.append(aead)
        if row.purpose == "data":
            tenant_keys[(row.tenant_id, row.version)] = aead
    for row in person_rows:
        wrapping = tenant_keys[(row.tenant_id, row.tenant_key_version)]
        ad = person_key_ad(row.tenant_id, row.employee_id, row.version, row.tenant_key_version)
        wrapped = bytes(row.wrapped)
        keys.append(AESGCM(wrapping.decrypt(wrapped[:12], wrapped[12:], ad)))
    return keys


def opens_with_any(keys: list[AESGCM], sealed: bytes, associated_data: bytes) -> bool:
    for key in keys:
        try:
            key.decrypt(sealed[6:18], sealed[18:], associated_data)
        except InvalidTag:
            continue
        return True
    return False
