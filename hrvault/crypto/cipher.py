"""``TenantCipher``: seal and open one tenant's sensitive values inside one transaction.

How the GraphQL layer uses it, once per request (the request's transaction is already
bound to the tenant)::

    cipher = TenantCipher(keyring, db, tenant_id)       # no I/O yet

    # reading a list: after the rows are loaded and the permission check decided which
    # rows may show the field group, load those people's keys in one query ...
    await cipher.load_people(permitted_employee_ids)
    # ... then each field resolver opens synchronously (no coroutine per field):
    birth_date = cipher.open_field(BIRTH_DATE, row.birth_date_sealed,
                                   row_id=row.id, person_id=row.employee_id)

    # tenant-keyed columns (no person): ``await cipher.load_tenant_keys()`` first

    # writing (a batch touching many people calls ``prepare_writes(ids)`` once first):
    row.birth_date_sealed = await cipher.seal_field(BIRTH_DATE, "1990-01-01",
                                                    row_id=row.id, person_id=row.employee_id)
    row.national_id_index = await cipher.blind_index(NATIONAL_ID_INDEX, national_id)
    # exact-match filter: WHERE national_id_index = await cipher.blind_index(...)

    # files (issue 9): the body goes to storage, the key header to the row
    sealer = await cipher.file_sealer(DOCUMENT_KEY, document_id=doc.id, person_id=doc.employee_id)
    doc.file_key_sealed = sealer.key_header
    for chunk in sealer.seal(upload_pieces): storage.write(chunk)
    body = cipher.file_opener(DOCUMENT_KEY, doc.file_key_sealed, document_id=doc.id,
                              person_id=doc.employee_id).open(storage_file)

A denied field is never opened: call ``open_field`` only after the permission check. A
value that does not open raises ``DataIntegrityError`` (map it to ``DATA_INTEGRITY``,
the field becomes null); a value whose key was destroyed raises ``KeyDestroyedError``.

Keys: person-scoped columns seal under the person's own key (wrapped by the tenant data
key); tenant-scoped columns seal under the tenant data key. A transaction keeps the
person keys it unwrapped; the process keeps tenant keys (``TenantKeyring``). Load rows
first and keys after, in the same transaction: re-encryption waits for such readers
before it retires an old key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto import events, person_store, store
from hrvault.crypto.binding import NO_PERSON, document_binding, field_ad
from hrvault.crypto.blind_index import BlindIndex
from hrvault.crypto.columns import SealedColumn, SealedKind
from hrvault.crypto.errors import (
    DataIntegrityError,
    KeyDestroyedError,
    KeyNotLoadedError,
    MissingKeyError,
)
from hrvault.crypto.formats import (
    FIELD_V1,
    HEADER_BYTES,
    STREAM_V1,
    KeyScope,
    key_header,
    read_header,
)
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.keystore_schema import KeyPurpose
from hrvault.crypto.person_keys import PersonKeyMaker, unwrap_person_key
from hrvault.crypto.rotation import rotate_if_worn
from hrvault.crypto.sealing import MIN_FIELD_BYTES, open_value, seal_value
from hrvault.crypto.streaming import (
    FILE_KEY_HEADER_BYTES,
    StreamOpener,
    StreamSealer,
    open_file_key,
    seal_file_key,
)

_FIELD_TAG = FIELD_V1.tag


@dataclass
class _KeySet:
    """The versions of one key (a person's, or the tenant's data key) this transaction knows."""

    live: dict[int, AESGCM] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    corrupt: set[int] = field(default_factory=set)


@dataclass
class _Writable:
    version: int
    aead: AESGCM
    remaining: int


class TenantCipher:
    def __init__(self, keyring: TenantKeyring, db: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self._keyring = keyring
        self._metrics = keyring.metrics
        self._db = db
        self._tenant = tenant_id.bytes
        self._people: dict[uuid.UUID, _KeySet] = {}
        self._tenant_keys: _KeySet | None = None
        self._writable_people: dict[uuid.UUID, _Writable] = {}
        self._writable_tenant: tuple[int, AESGCM] | None = None

    def __repr__(self) -> str:
        return f"TenantCipher(tenant_id={self.tenant_id}, people_loaded={len(self._people)})"

    # reading -----------------------------------------------------------------------------

    async def load_people(self, employee_ids: Iterable[uuid.UUID]) -> None:
        """Unwrap the keys of these people (one query), so their fields open synchronously."""
        wanted = {e for e in employee_ids if e not in self._people}
        if not wanted:
            return
        rows = await person_store.fetch(self._db, self.tenant_id, wanted)
        for employee_id in wanted:
            self._people[employee_id] = _KeySet()
        for row in rows:
            keys = self._people[row.employee_id]
            if row.wrapped is None or row.tenant_key_version is None:
                keys.gone.add(row.version)
                continue
            if row.version in keys.live:
                continue
            try:
                tenant_key = await self._keyring.data_key(
                    self._db, self.tenant_id, row.tenant_key_version
                )
                keys.live[row.version] = unwrap_person_key(
                    tenant_key, row.wrapped, self.tenant_id, row, self._metrics
                )
            except KeyDestroyedError:
                keys.gone.add(row.version)
            except DataIntegrityError:
                keys.corrupt.add(row.version)

    async def load_tenant_keys(self) -> None:
        """Unwrap the tenant's data key versions, so tenant-scoped fields open synchronously."""
        if self._tenant_keys is not None:
            return
        keys = _KeySet()
        for row in await store.all_keys(self._db, self.tenant_id, KeyPurpose.DATA):
            if row.wrapped is None:
                keys.gone.add(row.version)
                continue
            try:
                keys.live[row.version] = await self._keyring.data_key(
                    self._db, self.tenant_id, row.version
                )
            except DataIntegrityError:
                keys.corrupt.add(row.version)
        self._tenant_keys = keys

    def _keys_of(self, scope: KeyScope, person_id: uuid.UUID | None) -> _KeySet:
        keys = self._tenant_keys if person_id is None else self._people.get(person_id)
        if keys is None:
            hint = "load_tenant_keys" if scope is KeyScope.TENANT else "load_people"
            raise KeyNotLoadedError(f"call {hint} before opening (person {person_id})")
        return keys

    def _opening_key(self, scope: KeyScope, version: int, person_id: uuid.UUID | None) -> AESGCM:
        keys = self._keys_of(scope, person_id)
        aead = keys.live.get(version)
        if aead is not None:
            return aead
        if version in keys.gone:
            raise KeyDestroyedError(f"{scope.name.lower()} key version {version} is gone")
        if version in keys.corrupt:
            raise DataIntegrityError(f"key version {version} does not unwrap")
        raise DataIntegrityError(f"names {scope.name.lower()} key version {version}, unknown")

    @staticmethod
    def _person(column: SealedColumn, person_id: uuid.UUID | None) -> bytes:
        if (person_id is None) != (column.scope is KeyScope.TENANT):
            raise ValueError(f"{column.name}: person_id is given exactly for person-keyed columns")
        return NO_PERSON if person_id is None else person_id.bytes

    def open_field(
        self,
        column: SealedColumn,
        sealed: bytes,
        *,
        row_id: uuid.UUID,
        person_id: uuid.UUID | None = None,
    ) -> str:
        """The plaintext of one sealed value, if it was sealed for exactly this place.

        This runs once per sensitive field of every row shown, so the common case reads
        the header bytes in place; anything unexpected takes the slow, precise path.
        """
        if column.holds is not SealedKind.VALUE:
            raise ValueError(f"{column.name} holds file keys, not values")
        person = self._person(column, person_id)
        try:
            if len(sealed) < MIN_FIELD_BYTES or sealed[0] != _FIELD_TAG:
                read_header(sealed, FIELD_V1, MIN_FIELD_BYTES)
            if sealed[1] != column.scope:
                raise DataIntegrityError("sealed under another kind of key than its column uses")
            version = int.from_bytes(sealed[2:HEADER_BYTES], "big")
            aead = self._keys_of(column.scope, person_id).live.get(version)
            if aead is None:
                aead = self._opening_key(column.scope, version, person_id)
            ad = field_ad(sealed[:HEADER_BYTES], self._tenant, person, row_id.bytes, column.binding)
            value = open_value(aead, sealed, ad).decode()
        except DataIntegrityError as exc:
            self._integrity_failure(exc, column, row_id)
            raise
        self._metrics.field_opens += 1
        return value

    def _integrity_failure(
        self, exc: DataIntegrityError, column: SealedColumn, row_id: uuid.UUID
    ) -> None:
        self._metrics.integrity_failures += 1
        events.integrity_failure(str(exc), tenant=self.tenant_id, column=column.name, row=row_id)

    def is_current(
        self, column: SealedColumn, sealed: bytes, *, person_id: uuid.UUID | None = None
    ) -> bool:
        """Whether a value is sealed under the key new writes use (after ``prepare_writes``)."""
        if column.scope is KeyScope.PERSON and person_id is not None:
            writable = self._writable_people.get(person_id)
            version = None if writable is None else writable.version
        else:
            version = None if self._writable_tenant is None else self._writable_tenant[0]
        if version is None:
            return False
        return sealed[:HEADER_BYTES] == key_header(column.holds.format.tag, column.scope, version)

    # writing -----------------------------------------------------------------------------

    async def _tenant_key_for_writing(self) -> tuple[int, AESGCM]:
        """The active data key, locked ``FOR KEY SHARE`` for this transaction; rotated if worn."""
        if self._writable_tenant is None:
            current = await store.active_key(self._db, self.tenant_id, KeyPurpose.DATA)
            if current is None:
                raise MissingKeyError(f"tenant {self.tenant_id} has no active data key")
            if current.seals_reserved >= self._keyring.limits.rotate_after:
                await rotate_if_worn(self._db, self._keyring, self.tenant_id)
            locked = None
            for _ in range(2):  # a rotation that committed while we waited shows on a re-read
                locked = await store.active_key(
                    self._db, self.tenant_id, KeyPurpose.DATA, lock="key_share"
                )
                if locked is not None:
                    break
            if locked is None:
                raise MissingKeyError(f"tenant {self.tenant_id} has no active data key")
            aead = await self._keyring.data_key(self._db, self.tenant_id, locked.version)
            self._writable_tenant = (locked.version, aead)
            if self._tenant_keys is not None:
                self._tenant_keys.live.setdefault(locked.version, aead)
        return self._writable_tenant

    async def prepare_writes(self, employee_ids: Iterable[uuid.UUID]) -> None:
        """Lock these people's keys for sealing (creating or re-keying them as needed).

        A person's key is replaced when the tenant data key that wraps it is no longer the
        active one (after ``keys rotate``) or when it has sealed ``rotate_after`` values;
        values under the old key stay readable until re-encryption moves them.
        """
        wanted = sorted(
            e
            for e in set(employee_ids)
            if e not in self._writable_people or self._writable_people[e].remaining == 0
        )
        if not wanted:
            return
        tenant_version, tenant_key = await self._tenant_key_for_writing()
        maker = PersonKeyMaker(self._keyring, self._db, self.tenant_id, tenant_version, tenant_key)
        for employee_id, version, aead in await maker.writable(wanted):
            self._writable_people[employee_id] = _Writable(
                version, aead, self._keyring.limits.person_block
            )
        await self.load_people(wanted)
        for employee_id in wanted:
            writable = self._writable_people[employee_id]
            self._people[employee_id].live.setdefault(writable.version, writable.aead)

    async def seal_field(
        self,
        column: SealedColumn,
        value: str,
        *,
        row_id: uuid.UUID,
        person_id: uuid.UUID | None = None,
    ) -> bytes:
        """Seal ``value`` for this tenant, column, row (and person), under the current key."""
        if column.holds is not SealedKind.VALUE:
            raise ValueError(f"{column.name} holds file keys, not values")
        person = self._person(column, person_id)
        version, aead = await self._key_for_writing(column, person_id)
        header = key_header(FIELD_V1.tag, column.scope, version)
        ad = field_ad(header, self._tenant, person, row_id.bytes, column.binding)
        sealed = seal_value(aead, header, value.encode(), ad)
        self._metrics.field_seals += 1
        return sealed

    # blind indexes and files -------------------------------------------------------------

    async def blind_index(self, index: BlindIndex, value: str) -> bytes:
        """The tenant's digest of ``value`` for ``index`` (for writes and exact-match filters)."""
        key = await self._keyring.index_key(self._db, self.tenant_id)
        return index.digest(key, value)

    async def _key_for_writing(
        self, column: SealedColumn, person_id: uuid.UUID | None
    ) -> tuple[int, AESGCM]:
        """The current key of a column's scope, with one seal counted against it."""
        if person_id is not None:
            writable = self._writable_people.get(person_id)
            if writable is None or writable.remaining == 0:
                await self.prepare_writes([person_id])
                writable = self._writable_people[person_id]
            writable.remaining -= 1
            return writable.version, writable.aead
        version, aead = await self._tenant_key_for_writing()
        await self._keyring.reserve_tenant_seals(self._db, self.tenant_id, version)
        return version, aead

    def _document(
        self, column: SealedColumn, document_id: uuid.UUID, person_id: uuid.UUID | None
    ) -> bytes:
        if column.holds is not SealedKind.FILE_KEY:
            raise ValueError(f"{column.name} does not hold file keys")
        person = self._person(column, person_id)
        return document_binding(self._tenant, person, document_id.bytes, column.binding)

    async def file_sealer(
        self, column: SealedColumn, *, document_id: uuid.UUID, person_id: uuid.UUID | None = None
    ) -> StreamSealer:
        """A sealer for one document; store its ``key_header`` in ``column`` of the row."""
        document = self._document(column, document_id, person_id)
        version, aead = await self._key_for_writing(column, person_id)
        return StreamSealer(key_header(STREAM_V1.tag, column.scope, version), aead, document)

    def _file_key(
        self, column: SealedColumn, key_header: bytes, document: bytes, person_id: uuid.UUID | None
    ) -> bytes:
        ref = read_header(key_header, STREAM_V1, FILE_KEY_HEADER_BYTES)
        if ref.scope is not column.scope:
            raise DataIntegrityError("the file key is sealed under another kind of key")
        aead = self._opening_key(ref.scope, ref.version, person_id)
        return open_file_key(aead, key_header, document)

    def file_opener(
        self,
        column: SealedColumn,
        key_header: bytes,
        *,
        document_id: uuid.UUID,
        person_id: uuid.UUID | None = None,
    ) -> StreamOpener:
        """An opener for one document body; load its person's (or the tenant's) keys first."""
        document = self._document(column, document_id, person_id)
        try:
            file_key = self._file_key(column, key_header, document, person_id)
        except DataIntegrityError as exc:
            self._integrity_failure(exc, column, document_id)
            raise
        return StreamOpener(file_key, document)

    async def reseal(
        self,
        column: SealedColumn,
        sealed: bytes,
        *,
        row_id: uuid.UUID,
        person_id: uuid.UUID | None = None,
    ) -> bytes:
        """The same value (or file key) sealed again under the current key (re-encryption)."""
        if column.holds is SealedKind.VALUE:
            value = self.open_field(column, sealed, row_id=row_id, person_id=person_id)
            return await self.seal_field(column, value, row_id=row_id, person_id=person_id)
        document = self._document(column, row_id, person_id)
        file_key = self._file_key(column, sealed, document, person_id)
        version, aead = await self._key_for_writing(column, person_id)
        return seal_file_key(
            aead, key_header(STREAM_V1.tag, column.scope, version), file_key, document
        )
