"""``hrvault keys init | rotate | reencrypt | rotate-master``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN, record_system
from hrvault.clock import SystemClock
from hrvault.commands.common import (
    CommandError,
    emit,
    in_keyed_transaction,
    in_transaction,
    nothing,
    with_keys,
)
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import (
    add_key_file_version,
    create_key_file,
    load_key_provider,
)
from hrvault.crypto.reencrypt import ReencryptProgress, reencrypt_tenant
from hrvault.crypto.rotation import rewrap_under_primary, rotate_tenant_key
from hrvault.db import DatabaseUrls, bind_tenant, create_engine, resolve_database
from hrvault.maintenance import list_tenants
from hrvault.tenancy import resolve_tenant


def cmd_keys_init(args: argparse.Namespace, settings: Settings) -> None:
    if settings.master_key is not None:
        raise CommandError("HRVAULT_MASTER_KEY is set; unset it to create a key file instead")
    path = settings.master_key_path
    provider = create_key_file(path)
    emit(
        args,
        {"created": str(path), "master_version": provider.primary_version},
        f"created the master key file {path} (mode 0600); back it up apart from the database",
    )


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession, keyring: TenantKeyring) -> Any:
        tenant = await resolve_tenant(db, args.tenant)
        rotation = await rotate_tenant_key(db, keyring, tenant.id)
        changes = (
            Change("data_key_version", ADMIN, rotation.previous_version, rotation.active_version),
        )
        entry = Entry("rotate_key", "TenantKey", str(tenant.id), changes=changes)
        await record_system(db, tenant.id, [entry], operation="keys rotate", now=_now())
        return rotation

    rotation = in_keyed_transaction(settings, resolve_database(settings), work)
    emit(
        args,
        {
            "tenant_id": str(rotation.tenant_id),
            "previous_version": rotation.previous_version,
            "active_version": rotation.active_version,
        },
        f"tenant {rotation.tenant_id}: data key version {rotation.active_version} seals new "
        "values now; run `hrvault keys reencrypt` to move the existing ones",
    )


def _show_progress(step: ReencryptProgress) -> None:
    total = f"/{step.total}" if step.total else ""
    print(f"reencrypt: {step.stage} {step.done}{total}", file=sys.stderr, flush=True)


def cmd_keys_reencrypt(args: argparse.Namespace, settings: Settings) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> Any:
        async with sessions() as db:
            tenant_id = (await resolve_tenant(db, args.tenant)).id
        return await reencrypt_tenant(
            sessions,
            keyring,
            tenant_id,
            batch_size=args.batch_size,
            wait_seconds=args.wait_seconds,
            progress=_show_progress,
        )

    urls = resolve_database(settings)
    result = with_keys(settings, urls, work)
    entry = Entry(
        "reencrypt",
        "TenantKey",
        str(result.tenant_id),
        changes=(
            Change("values_resealed", ADMIN, None, result.values_resealed),
            Change("people_rekeyed", ADMIN, None, result.people_rekeyed),
            Change("retired_versions", ADMIN, None, list(result.retired_tenant_versions)),
        ),
    )
    _record(settings, urls, result.tenant_id, entry, "keys reencrypt")
    state = "complete" if result.complete else f"incomplete: {result.note}"
    emit(
        args,
        asdict(result),
        f"tenant {result.tenant_id}: {result.values_resealed} values re-sealed, "
        f"{result.people_rekeyed} people re-keyed, retired tenant key versions "
        f"{result.retired_tenant_versions or 'none'}; {state}",
    )


def cmd_keys_rotate_master(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    provider = load_key_provider(settings)
    with_keys(settings, urls, nothing, provider)  # never add a version to a wrong key file
    if not args.rewrap_only:
        if settings.master_key is not None:
            raise CommandError(
                "the master key comes from HRVAULT_MASTER_KEY: add a new '<version>:<base64>' "
                "entry there, then run `hrvault keys rotate-master --rewrap-only`"
            )
        provider = add_key_file_version(settings.master_key_path)

    async def work(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> Any:
        return await rewrap_under_primary(sessions, keyring)

    rewrap = with_keys(settings, urls, work, provider)
    entry = Entry(
        "rotate_master",
        "MasterKey",
        str(rewrap.master_version),
        changes=(Change("master_version", ADMIN, None, rewrap.master_version),),
    )
    for tenant_id in _tenants(urls):
        _record(settings, urls, tenant_id, entry, "keys rotate-master")
    emit(
        args,
        {
            "master_version": rewrap.master_version,
            "rewrapped": rewrap.rewrapped,
            "tenants": rewrap.tenants,
        },
        f"{rewrap.rewrapped} tenant keys of {rewrap.tenants} tenants re-wrapped under master "
        f"key version {rewrap.master_version}",
    )


def _now() -> datetime:
    return SystemClock().now()


def _record(
    settings: Settings, urls: DatabaseUrls, tenant_id: uuid.UUID, entry: Entry, operation: str
) -> None:
    """Key operations go into each affected tenant's audit chain, like any other change."""

    async def work(db: AsyncSession) -> None:
        await bind_tenant(db, tenant_id)
        await record_system(db, tenant_id, [entry], operation=operation, now=_now())

    in_transaction(urls, work)


def _tenants(urls: DatabaseUrls) -> list[uuid.UUID]:
    async def run() -> list[uuid.UUID]:
        engine = create_engine(urls.owner, pool_size=1)
        try:
            return await list_tenants(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def register(commands: Any, command: Callable[..., Any]) -> None:
    keys = commands.add_parser("keys", help="master and tenant key management")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    command("init", cmd_keys_init, "create the local master key file", key_commands)
    rotate = command("rotate", cmd_keys_rotate, "new tenant data key for new writes", key_commands)
    rotate.add_argument("--tenant", required=True, help="tenant id or slug")
    reencrypt = command(
        "reencrypt", cmd_keys_reencrypt, "re-seal a tenant's values, retire old keys", key_commands
    )
    reencrypt.add_argument("--tenant", required=True, help="tenant id or slug")
    reencrypt.add_argument("--batch-size", type=int, default=100)
    reencrypt.add_argument(
        "--wait-seconds",
        type=float,
        default=60.0,
        help="how long to wait for older transactions before retiring keys",
    )
    rotate_master = command(
        "rotate-master", cmd_keys_rotate_master, "re-wrap tenant keys, new master", key_commands
    )
    rotate_master.add_argument(
        "--rewrap-only",
        action="store_true",
        help="add no master key version; re-wrap under the provider's newest (resume, env keys)",
    )
