"""Checking, before any use, that the master key is the one this database was set up with.

Each master key version that ever wrapped a key leaves a check value in
``keystore.master_keys``: a throwaway key wrapped under it. A process whose provider
holds a different key under that version cannot unwrap the check, and refuses to start
with a message saying so, instead of failing later on every sensitive field.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto import store
from hrvault.crypto.binding import MASTER_CHECK_CONTEXT
from hrvault.crypto.errors import DataIntegrityError, MasterKeyError
from hrvault.crypto.material import KeyMaterial
from hrvault.crypto.provider import KeyProvider, WrappedKey


async def _check(provider: KeyProvider, version: int, check: bytes) -> None:
    try:
        await provider.unwrap(WrappedKey(version, check), MASTER_CHECK_CONTEXT)
    except DataIntegrityError:
        raise MasterKeyError(
            f"wrong master key: version {version} of the {provider.name} key provider is not "
            "the key this database's keys were wrapped with"
        ) from None


async def _register_primary(db: AsyncSession, provider: KeyProvider) -> None:
    """Make sure the primary version has a check value, and that it matches; before wrapping."""
    version = provider.primary_version
    checks = await store.master_checks(db)
    if version not in checks:
        wrapped = await provider.wrap(KeyMaterial.generate(), MASTER_CHECK_CONTEXT)
        await store.add_master_check(db, version, provider.name, wrapped.blob)
        checks = await store.master_checks(db)
    await _check(provider, version, checks[version])


async def verify_master_key(db: AsyncSession, provider: KeyProvider) -> None:
    """The start-up check: every version the provider shares with the database matches it,
    and no live tenant key is wrapped under a version the provider lacks.

    Run it in a transaction of its own: it reads every tenant's key rows.
    """
    checks = await store.master_checks(db)
    for version in sorted(provider.versions & checks.keys()):
        await _check(provider, version, checks[version])
    await store.enable_scan(db)
    missing = {
        version: count
        for version, count in (await store.master_versions_in_use(db)).items()
        if version not in provider.versions
    }
    if missing:
        listed = ", ".join(f"version {v} ({n} keys)" for v, n in sorted(missing.items()))
        raise MasterKeyError(
            f"the {provider.name} key provider lacks master key {listed}, "
            "which still wraps tenant keys; restore it before starting"
        )
    await _register_primary(db, provider)
