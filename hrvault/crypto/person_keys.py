"""Person keys: one random key per employee, wrapped by the tenant data key.

Each employee's sensitive values are sealed under their own key, so erasing one person
is destroying one small key row (``hrvault.crypto.shredding``), and every copy of their
values, in backups too, becomes unreadable. The wrapped key's associated data binds the
tenant, the employee, the key's version and the version of the tenant key that wraps it.

``PersonKeyMaker`` gives a writing transaction a usable key per person: it locks the
active key rows, reserves a block of seals on them (the count that keeps each key far
below AES-GCM's bound), and replaces a key that is worn out or wrapped by a tenant key
that is no longer active, or creates the first one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto import events, person_store
from hrvault.crypto.binding import person_key_ad
from hrvault.crypto.errors import DataIntegrityError, MissingKeyError
from hrvault.crypto.formats import NONCE_BYTES
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.material import KeyMaterial
from hrvault.crypto.metrics import CryptoMetrics
from hrvault.crypto.person_store import NewPersonKey, PersonKeyRow


def unwrap_person_key(
    tenant_key: AESGCM,
    wrapped: bytes,
    tenant_id: uuid.UUID,
    row: PersonKeyRow,
    metrics: CryptoMetrics,
) -> AESGCM:
    if row.tenant_key_version is None:
        raise DataIntegrityError(f"person key version {row.version} has no wrapping key")
    ad = person_key_ad(tenant_id, row.employee_id, row.version, row.tenant_key_version)
    try:
        raw = tenant_key.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], ad)
    except InvalidTag:
        metrics.integrity_failures += 1
        events.integrity_failure(
            "person key does not unwrap",
            tenant=tenant_id,
            employee=row.employee_id,
            version=row.version,
        )
        raise DataIntegrityError(f"person key version {row.version} does not unwrap") from None
    metrics.person_key_unwraps += 1
    return AESGCM(raw)


class PersonKeyMaker:
    """Usable person keys for one writing transaction, under one active tenant data key."""

    def __init__(
        self,
        keyring: TenantKeyring,
        db: AsyncSession,
        tenant_id: uuid.UUID,
        tenant_version: int,
        tenant_key: AESGCM,
    ) -> None:
        self._keyring = keyring
        self._db = db
        self._tenant_id = tenant_id
        self._tenant_version = tenant_version
        self._tenant_key = tenant_key

    async def writable(
        self, employee_ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, int, AESGCM]]:
        """``(employee, key version, key)`` per person, locked until the transaction ends."""
        limits = self._keyring.limits
        rows = await person_store.reserve(
            self._db, self._tenant_id, employee_ids, limits.person_block
        )
        replace = sorted(
            row.employee_id
            for row in rows
            if row.tenant_key_version != self._tenant_version
            or row.seals_reserved > limits.rotate_after
        )
        usable = [row for row in rows if row.employee_id not in replace]
        missing = set(employee_ids) - {row.employee_id for row in rows}
        if replace:
            await person_store.demote(self._db, self._tenant_id, replace)
        result = [self._usable(row) for row in usable]
        wanted = sorted(missing | set(replace))
        created = await self._create(wanted)
        lost = set(wanted) - {employee_id for employee_id, _, _ in created}
        if lost:  # another transaction gave them their first key meanwhile: use that one
            again = await person_store.reserve(self._db, self._tenant_id, lost, limits.person_block)
            result += [self._usable(row) for row in again]
            lost -= {row.employee_id for row in again}
        if lost:
            raise MissingKeyError(f"no person key could be made for {len(lost)} people")
        return result + created

    def _usable(self, row: PersonKeyRow) -> tuple[uuid.UUID, int, AESGCM]:
        if row.wrapped is None:
            raise DataIntegrityError(f"active person key version {row.version} has no key")
        aead = unwrap_person_key(
            self._tenant_key, row.wrapped, self._tenant_id, row, self._keyring.metrics
        )
        return row.employee_id, row.version, aead

    async def _create(
        self, employee_ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, int, AESGCM]]:
        if not employee_ids:
            return []
        versions = await person_store.next_versions(self._db, self._tenant_id, employee_ids)
        keys: dict[uuid.UUID, KeyMaterial] = {}
        new = []
        for employee_id in employee_ids:
            key = keys[employee_id] = KeyMaterial.generate()
            version = versions[employee_id]
            ad = person_key_ad(self._tenant_id, employee_id, version, self._tenant_version)
            nonce = os.urandom(NONCE_BYTES)
            wrapped = nonce + self._tenant_key.encrypt(nonce, key.reveal(), ad)
            new.append(
                NewPersonKey(
                    employee_id,
                    version,
                    self._tenant_version,
                    wrapped,
                    self._keyring.limits.person_block,
                )
            )
        await self._keyring.reserve_tenant_seals(
            self._db, self._tenant_id, self._tenant_version, count=len(new)
        )
        inserted = await person_store.insert_new(self._db, self._tenant_id, new)
        return [
            (key.employee_id, key.version, AESGCM(keys[key.employee_id].reveal()))
            for key in new
            if key.employee_id in inserted
        ]
