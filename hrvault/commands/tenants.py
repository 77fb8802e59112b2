"""``hrvault tenant create``: a tenant's life from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from hrvault.clock import SystemClock
from hrvault.commands.common import emit, in_keyed_transaction
from hrvault.config import Settings
from hrvault.db import resolve_database
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


def register(commands: Any, command: Callable[..., Any]) -> None:
    tenant = commands.add_parser("tenant", help="tenant administration")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = command("create", cmd_tenant_create, "create a tenant", tenant_commands)
    create.add_argument("--name", required=True)
    create.add_argument("--slug", help="login name of the tenant (default: from the name)")
