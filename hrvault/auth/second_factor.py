"""Enrolling and checking a second factor, for tenant users and support staff alike.

One code is accepted at most once: the last accepted time step is advanced by a single
conditional UPDATE (``... WHERE last_step < :step``), so of two concurrent requests with
the same code the second waits for the first's row lock, re-reads the row, and matches
nothing. Recovery codes are spent the same way (``... WHERE used_at IS NULL``). Every
code, right or wrong, is first counted by the credential throttle (``throttle``), per
account and address, per account and per address; a right one is given back.

Only where things are stored differs: a user's seed and codes in ``totp_credentials``
and ``recovery_codes`` (tenant tables), a staff member's in ``support_staff`` and
``staff_recovery_codes`` (platform tables). Seeds are sealed by ``SeedSealing``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.auth import totp
from hrvault.auth.seed_sealing import SealedSeedError, SeedKey, SeedOwner, SeedSealing
from hrvault.auth.throttle import CredentialKind, CredentialThrottle
from hrvault.config import Secret
from hrvault.errors import Conflict, DataIntegrity, InvalidCode
from hrvault.models import RecoveryCode, StaffRecoveryCode, SupportStaff, TotpCredential

_ADVANCE_USER = text(
    "UPDATE totp_credentials SET last_step = :step, confirmed_at = COALESCE(confirmed_at, :now)"
    " WHERE tenant_id = :realm AND id = :account"
    " AND (confirmed_at IS NOT NULL) = :confirmed"
    " AND (last_step IS NULL OR last_step < :step) RETURNING 1"
)
_ADVANCE_STAFF = text(
    "UPDATE support_staff SET last_step = :step,"
    " totp_confirmed_at = COALESCE(totp_confirmed_at, :now)"
    " WHERE id = :account AND (totp_confirmed_at IS NOT NULL) = :confirmed"
    " AND (last_step IS NULL OR last_step < :step) RETURNING 1"
)

RecoveryCodeRow = RecoveryCode | StaffRecoveryCode


def _recovery_codes(owner: SeedOwner) -> tuple[type[RecoveryCodeRow], ColumnElement[bool]]:
    """The table of the owner's recovery codes, and the condition that selects theirs."""
    if owner.tenant_id is None:
        return StaffRecoveryCode, StaffRecoveryCode.staff_id == owner.account_id
    return RecoveryCode, and_(
        RecoveryCode.tenant_id == owner.tenant_id, RecoveryCode.user_id == owner.account_id
    )


def _recovery_code_row(owner: SeedOwner, digest: bytes) -> RecoveryCodeRow:
    if owner.tenant_id is None:
        return StaffRecoveryCode(id=uuid.uuid4(), staff_id=owner.account_id, code_hash=digest)
    return RecoveryCode(
        id=uuid.uuid4(), tenant_id=owner.tenant_id, user_id=owner.account_id, code_hash=digest
    )


async def forget_second_factor(db: AsyncSession, owner: SeedOwner) -> None:
    """Remove the seed and the recovery codes (disable or reset): the next login enrols."""
    model, theirs = _recovery_codes(owner)
    await db.execute(delete(model).where(theirs))
    if owner.tenant_id is None:
        await db.execute(
            update(SupportStaff)
            .where(SupportStaff.id == owner.account_id)
            .values(sealed_seed=None, totp_confirmed_at=None, last_step=None)
        )
        return
    await db.execute(
        delete(TotpCredential).where(
            TotpCredential.tenant_id == owner.tenant_id, TotpCredential.id == owner.account_id
        )
    )


@dataclass(frozen=True)
class _StoredSeed:
    sealed: bytes
    key: SeedKey


@dataclass(frozen=True)
class SecondFactor:
    """The second factor of one account, checked inside the request's transaction."""

    db: AsyncSession
    throttle: CredentialThrottle
    """Counts each code in a transaction of its own, which survives the refused request."""
    seeds: SeedSealing
    owner: SeedOwner
    client_ip: str | None

    @property
    def is_staff(self) -> bool:
        return self.owner.tenant_id is None

    async def _stored_seed(self, *, confirmed: bool) -> _StoredSeed | None:
        if self.is_staff:
            staff = await self.db.get(SupportStaff, self.owner.account_id)
            if staff is None or staff.sealed_seed is None:
                return None
            if (staff.totp_confirmed_at is not None) != confirmed:
                return None
            return _StoredSeed(staff.sealed_seed, SeedKey.PLATFORM)
        credential = await self.db.get(
            TotpCredential, (self.owner.tenant_id, self.owner.account_id)
        )
        if credential is None or (credential.confirmed_at is not None) != confirmed:
            return None
        if credential.seed_sealed is not None:
            return _StoredSeed(credential.seed_sealed, SeedKey.TENANT)
        if credential.platform_sealed_seed is not None:
            return _StoredSeed(credential.platform_sealed_seed, SeedKey.PLATFORM)
        return None

    async def is_enrolled(self) -> bool:
        return await self._stored_seed(confirmed=True) is not None

    async def start_enrollment(self, account_name: str, now: datetime) -> totp.Enrollment:
        """A fresh seed, sealed; it only counts once a code from it is confirmed."""
        if await self.is_enrolled():
            raise Conflict("TOTP is already enrolled; disable it first to enrol again")
        seed = totp.new_seed()
        sealed = await self.seeds.seal(self.db, seed, self.owner)
        if self.is_staff:
            await self.db.execute(
                update(SupportStaff)
                .where(SupportStaff.id == self.owner.account_id)
                .values(sealed_seed=sealed, last_step=None)
            )
        else:
            await forget_second_factor(self.db, self.owner)
            self.db.add(
                TotpCredential(
                    tenant_id=self.owner.tenant_id,
                    id=self.owner.account_id,
                    seed_sealed=sealed,
                    created_at=now,
                )
            )
            await self.db.flush()
        return totp.enrollment(seed, account_name)

    async def confirm_enrollment(self, code: str, now: datetime) -> list[Secret]:
        """Activate the pending seed with one of its codes; returns new recovery codes."""
        await self._check(code, now, confirmed=False, allow_recovery=False)
        return await self._replace_recovery_codes()

    async def verify(self, code: str, now: datetime) -> None:
        """Accept a current TOTP code or an unused recovery code once; raise otherwise."""
        await self._check(code, now, confirmed=True, allow_recovery=True)

    async def _check(
        self, code: str, now: datetime, *, confirmed: bool, allow_recovery: bool
    ) -> None:
        account = f"{self.owner.tenant_id or 'staff'}/{self.owner.account_id}"
        attempt = await self.throttle.reserve(CredentialKind.CODE, account, self.client_ip)
        if await self._accepts(code, now, confirmed=confirmed, allow_recovery=allow_recovery):
            await self.throttle.succeeded(attempt)
            return
        raise InvalidCode("the code is wrong, expired or already used")

    async def _accepts(
        self, code: str, now: datetime, *, confirmed: bool, allow_recovery: bool
    ) -> bool:
        if allow_recovery and totp.looks_like_recovery_code(code):
            return await self._spend_recovery_code(code, now)
        stored = await self._stored_seed(confirmed=confirmed)
        if stored is None:
            return False
        try:
            seed = await self.seeds.open(self.db, stored.sealed, self.owner, stored.key)
        except SealedSeedError:
            raise DataIntegrity(
                "the stored TOTP seed does not open; an administrator can reset TOTP"
            ) from None
        step = totp.matching_step(seed, code, now)
        if step is None:
            return False
        advanced = await self.db.execute(
            _ADVANCE_STAFF if self.is_staff else _ADVANCE_USER,
            {
                "step": step,
                "now": now,
                "realm": self.owner.tenant_id,
                "account": self.owner.account_id,
                "confirmed": confirmed,
            },
        )
        if advanced.first() is None:
            return False
        if stored.key is not self.owner.seed_key:
            await self._move_under_tenant_key(seed, stored.sealed)
        return True

    async def _move_under_tenant_key(self, seed: Secret, platform_sealed: bytes) -> None:
        """A user's seed enrolled before seeds moved under the tenant key: re-sealed once,
        as soon as a code from it was accepted (so what is re-sealed is the real seed)."""
        await self.db.execute(
            update(TotpCredential)
            .where(
                TotpCredential.tenant_id == self.owner.tenant_id,
                TotpCredential.id == self.owner.account_id,
                TotpCredential.platform_sealed_seed == platform_sealed,
            )
            .values(
                seed_sealed=await self.seeds.seal(self.db, seed, self.owner),
                platform_sealed_seed=None,
            )
        )

    async def _spend_recovery_code(self, code: str, now: datetime) -> bool:
        model, theirs = _recovery_codes(self.owner)
        spent = await self.db.execute(
            update(model)
            .where(theirs, model.code_hash == totp.recovery_digest(code), model.used_at.is_(None))
            .values(used_at=now)
            .returning(model.id)
        )
        return spent.first() is not None

    async def _replace_recovery_codes(self) -> list[Secret]:
        model, theirs = _recovery_codes(self.owner)
        await self.db.execute(delete(model).where(theirs))
        codes = totp.new_recovery_codes()
        self.db.add_all(
            _recovery_code_row(self.owner, totp.recovery_digest(code.reveal())) for code in codes
        )
        await self.db.flush()
        return codes

    async def remove(self) -> None:
        """Forget the seed and the recovery codes (disable or reset)."""
        await forget_second_factor(self.db, self.owner)
