"""``hrvault tenant create | destroy``: a tenant's whole life, from the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.clock import SystemClock
from hrvault.commands.common import CommandError, emit, in_keyed_transaction, with_keys
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import resolve_database
from hrvault.models import Tenant
from hrvault.offboarding import (
    ErasureIncompleteError,
    OffboardingReceipt,
    erase_tenant,
    find_tenant,
    remove_tenant_files,
)
from hrvault.tenancy import create_tenant


def cmd_tenant_create(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    now = SystemClock().now()
    tenant = in_keyed_transaction(
        settings,
        urls,
        lambda db, keyring: create_tenant(
            db, name=args.name, slug=args.slug, now=now, keyring=keyring
        ),
    )
    emit(
        args,
        {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
        f"created tenant {tenant.name} (slug {tenant.slug}, id {tenant.id})",
    )


def check_confirmation(tenant: Tenant, confirm: str | None) -> None:
    """An irreversible erasure needs the tenant's slug typed out, whatever named the tenant."""
    if confirm != tenant.slug:
        mismatch = "" if confirm is None else f"{confirm!r} is not the tenant's slug. "
        raise CommandError(
            f"{mismatch}Destroying tenant {tenant.name!r} (slug {tenant.slug}, id {tenant.id})"
            f" erases all of its data for good; to go ahead, pass --confirm {tenant.slug}"
        )


def _operating_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the user database
        return f"uid {os.getuid()}"


def cmd_tenant_destroy(args: argparse.Namespace, settings: Settings) -> None:
    operator = args.operator or _operating_account()

    def remove_files(tenant_id: uuid.UUID) -> int:
        return remove_tenant_files(settings, tenant_id)

    async def work(
        sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring
    ) -> OffboardingReceipt:
        tenant = await find_tenant(sessions, args.tenant)
        check_confirmation(tenant, args.confirm)
        try:
            return await erase_tenant(
                sessions, keyring, tenant, operator=operator, remove_files=remove_files
            )
        except (ErasureIncompleteError, OSError) as exc:
            raise CommandError(
                f"{exc}; the tenant's keys are destroyed, its rows and files are not deleted"
                " yet: fix this and run the command again"
            ) from exc

    receipt = with_keys(settings, resolve_database(settings), work, as_owner=True)
    emit(args, receipt.as_dict(), _receipt_text(receipt))


def _receipt_text(receipt: OffboardingReceipt) -> str:
    rows = sum(receipt.rows_deleted.values())
    lines = [
        f"erasure receipt: tenant {receipt.slug} (id {receipt.tenant_id})",
        f"  keys destroyed at {receipt.keys_destroyed_at.isoformat()}:",
        *(f"    {key}" for key in receipt.destroyed_keys),
        f"  rows deleted: {rows} in {len(receipt.rows_deleted)} tables",
        *(f"    {table}: {count}" for table, count in sorted(receipt.rows_deleted.items())),
        f"  files removed: {receipt.files_removed}",
        f"  completed at {receipt.completed_at.isoformat()} by {receipt.operator}",
    ]
    return "\n".join(lines)


def register(commands: Any, command: Callable[..., Any]) -> None:
    tenant = commands.add_parser("tenant", help="tenant administration")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = command("create", cmd_tenant_create, "create a tenant", tenant_commands)
    create.add_argument("--name", required=True)
    create.add_argument("--slug", help="login name of the tenant (default: from the name)")
    destroy = command(
        "destroy",
        cmd_tenant_destroy,
        "offboard a tenant: destroy its keys, then delete its rows and files",
        tenant_commands,
    )
    destroy.add_argument("tenant", help="tenant id or slug")
    destroy.add_argument(
        "--confirm", metavar="SLUG", help="the tenant's slug, typed out: the erasure is final"
    )
    destroy.add_argument(
        "--operator", help="who is erasing, for the platform's record (default: the OS account)"
    )
