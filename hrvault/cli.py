"""``hrvault`` command line: serve, migrate, demo, tenant, user and key administration.

Every command accepts ``--json`` and then prints exactly one JSON object on stdout (the
scripting contract for operators); without it, it prints text for people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from typing import Any, TypeVar

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.auth.users import create_user
from hrvault.clock import SystemClock
from hrvault.config import ConfigError, Secret, Settings, load_settings
from hrvault.crypto.errors import CryptoError, MasterKeyError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import (
    LocalKeyProvider,
    add_key_file_version,
    create_key_file,
    load_key_provider,
)
from hrvault.crypto.reencrypt import ReencryptProgress, reencrypt_tenant
from hrvault.crypto.rotation import rewrap_under_primary, rotate_tenant_key
from hrvault.db import DatabaseUrls, create_engine, resolve_database, session_factory
from hrvault.embedded_db import EmbeddedDatabaseError
from hrvault.errors import HrvaultError
from hrvault.models.migrations import upgrade_to_head
from hrvault.resolvers.validation import parse_id
from hrvault.tenancy import create_tenant, resolve_tenant

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, default=str) if args.json else text, flush=True)


def _in_transaction(urls: DatabaseUrls, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction as the application role (row-level security applies)."""

    async def run() -> T:
        engine = create_engine(urls.app, pool_size=1)
        try:
            async with session_factory(engine)() as db:
                result = await work(db)
                await db.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_keys(
    settings: Settings,
    urls: DatabaseUrls,
    work: Callable[[async_sessionmaker[AsyncSession], TenantKeyring], Awaitable[T]],
    provider: LocalKeyProvider | None = None,
) -> T:
    """Run ``work`` with a keyring whose master key was checked against the database first."""
    provider = provider or load_key_provider(settings)

    async def run() -> T:
        engine = create_engine(urls.app, pool_size=2)
        try:
            sessions = session_factory(engine)
            keyring = TenantKeyring.from_settings(settings, provider, sessions)
            async with sessions() as db:
                await keyring.verify(db)
                await db.commit()
            return await work(sessions, keyring)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _in_keyed_transaction(
    settings: Settings,
    urls: DatabaseUrls,
    work: Callable[[AsyncSession, TenantKeyring], Awaitable[T]],
) -> T:
    async def run(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> T:
        async with sessions() as db:
            result = await work(db, keyring)
            await db.commit()
            return result

    return _with_keys(settings, urls, run)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    upgrade_to_head(urls.owner)
    _emit(args, {"migrated": True}, "database is up to date")


def cmd_tenant_create(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    now = SystemClock().now()
    tenant = _in_keyed_transaction(
        settings,
        urls,
        lambda db, keyring: create_tenant(
            db, name=args.name, slug=args.slug, now=now, keyring=keyring
        ),
    )
    _emit(
        args,
        {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
        f"created tenant {tenant.name} (slug {tenant.slug}, id {tenant.id})",
    )


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> None:
    if not args.password_stdin:
        raise CommandError("pass the password on standard input with --password-stdin")
    password = Secret(sys.stdin.readline().rstrip("\r\n"))
    employee_id = parse_id(args.employee, "employee") if args.employee else None
    urls = resolve_database(settings)
    now = SystemClock().now()

    async def work(db: AsyncSession) -> Any:
        tenant = await resolve_tenant(db, args.tenant)
        return await create_user(
            db,
            tenant_id=tenant.id,
            email=args.email,
            password=password,
            employee_id=employee_id,
            actor_id=None,
            now=now,
        )

    user = _in_transaction(urls, work)
    _emit(
        args,
        {"id": str(user.id), "tenant_id": str(user.tenant_id), "email": user.email},
        f"created user {user.email} (id {user.id})",
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(0)


def _serve(settings: Settings, urls: DatabaseUrls, host: str, port: int) -> None:
    from hrvault.app import create_app

    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into a normal exit
    # lets exit handlers run, so the embedded PostgreSQL is released instead of orphaned.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    uvicorn.run(
        create_app(settings, database=urls),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        server_header=False,
    )


async def _nothing(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> None:
    """The work of a command that only needs the master key check ``_with_keys`` makes."""


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    _with_keys(settings, urls, _nothing)  # a missing or wrong master key stops us here
    host, port = args.host or settings.host, args.port or settings.port
    _emit(
        args, {"url": f"http://{host}:{port}/graphql"}, f"serving on http://{host}:{port}/graphql"
    )
    _serve(settings, urls, host, port)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from hrvault.demo import ACME, DEMO_PASSWORD, GLOBEX, seed_company

    if args.data_dir:
        settings = replace(settings, data_dir=args.data_dir)
    urls = resolve_database(settings)
    upgrade_to_head(urls.owner)
    if settings.master_key is None and not settings.master_key_path.exists():
        create_key_file(settings.master_key_path)  # a demo needs no setup; production does
    now = SystemClock().now()

    async def seed(db: AsyncSession, keyring: TenantKeyring) -> list[Any]:
        return [
            *await seed_company(db, ACME, now, keyring),
            *await seed_company(db, GLOBEX, now, keyring),
        ]

    created = _in_keyed_transaction(settings, urls, seed)
    host, port = args.host or settings.host, args.port or settings.port
    url = f"http://{host}:{port}/graphql"
    logins = [
        {"tenant": slug, "persona": persona, "email": f"{persona}@{slug}.example"}
        for slug in (ACME.slug, GLOBEX.slug)
        for persona in ("owner", "hr", "manager", "teamlead", "employee", "payroll", "auditor")
    ]
    lines = [f"hrvault demo: {url}", f"demo data {'created' if created else 'already present'}"]
    lines += [
        f"  tenant {entry['tenant']:<7} {entry['persona']:<9} {entry['email']}" for entry in logins
    ]
    lines.append(f"password for every demo login: {DEMO_PASSWORD}")
    payload = {"url": url, "created": bool(created), "logins": logins, "password": DEMO_PASSWORD}
    _emit(args, payload, "\n".join(lines))
    if not args.no_serve:
        _serve(settings, urls, host, port)


def cmd_keys_init(args: argparse.Namespace, settings: Settings) -> None:
    if settings.master_key is not None:
        raise CommandError("HRVAULT_MASTER_KEY is set; unset it to create a key file instead")
    path = settings.master_key_path
    provider = create_key_file(path)
    _emit(
        args,
        {"created": str(path), "master_version": provider.primary_version},
        f"created the master key file {path} (mode 0600); back it up apart from the database",
    )


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession, keyring: TenantKeyring) -> Any:
        tenant = await resolve_tenant(db, args.tenant)
        return await rotate_tenant_key(db, keyring, tenant.id)

    rotation = _in_keyed_transaction(settings, resolve_database(settings), work)
    _emit(
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

    result = _with_keys(settings, resolve_database(settings), work)
    state = "complete" if result.complete else f"incomplete: {result.note}"
    _emit(
        args,
        asdict(result),
        f"tenant {result.tenant_id}: {result.values_resealed} values re-sealed, "
        f"{result.people_rekeyed} people re-keyed, retired tenant key versions "
        f"{result.retired_tenant_versions or 'none'}; {state}",
    )


def cmd_keys_rotate_master(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    provider = load_key_provider(settings)
    _with_keys(settings, urls, _nothing, provider)  # never add a version to a wrong key file
    if not args.rewrap_only:
        if settings.master_key is not None:
            raise CommandError(
                "the master key comes from HRVAULT_MASTER_KEY: add a new '<version>:<base64>' "
                "entry there, then run `hrvault keys rotate-master --rewrap-only`"
            )
        provider = add_key_file_version(settings.master_key_path)

    async def work(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> Any:
        return await rewrap_under_primary(sessions, keyring)

    rewrap = _with_keys(settings, urls, work, provider)
    _emit(
        args,
        {
            "master_version": rewrap.master_version,
            "rewrapped": rewrap.rewrapped,
            "tenants": rewrap.tenants,
        },
        f"{rewrap.rewrapped} tenant keys of {rewrap.tenants} tenants re-wrapped under master "
        f"key version {rewrap.master_version}",
    )


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from hrvault.schema.build import build_schema

    sdl = str(build_schema())
    _emit(args, {"schema": sdl}, sdl)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hrvault", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[..., None], help: str, into: Any = commands) -> Any:
        sub = into.add_parser(name, help=help)
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        sub.set_defaults(handler=handler)
        return sub

    serve = command("serve", cmd_serve, "run the API server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    command("migrate", cmd_migrate, "bring the database schema up to date")
    demo = command("demo", cmd_demo, "run the API with two demo companies")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--data-dir", type=lambda p: __import__("pathlib").Path(p))
    demo.add_argument("--no-serve", action="store_true", help="seed and print, do not serve")
    command("schema", cmd_schema, "print the GraphQL schema (SDL)")

    tenant = commands.add_parser("tenant", help="tenant administration")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = command("create", cmd_tenant_create, "create a tenant", tenant_commands)
    create.add_argument("--name", required=True)
    create.add_argument("--slug", help="login name of the tenant (default: from the name)")

    user = commands.add_parser("user", help="user administration")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create_user_cmd = command("create", cmd_user_create, "create a user", user_commands)
    create_user_cmd.add_argument("--tenant", required=True, help="tenant id or slug")
    create_user_cmd.add_argument("--email", required=True)
    create_user_cmd.add_argument("--password-stdin", action="store_true")
    create_user_cmd.add_argument("--employee", help="id of the employee this user is")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        logging.getLogger("hrvault").setLevel(settings.log_level)
        args.handler(args, settings)
    except (ConfigError, EmbeddedDatabaseError, CommandError, HrvaultError, CryptoError) as exc:
        code = exc.code.value if isinstance(exc, HrvaultError) else type(exc).__name__
        if args.json:
            print(json.dumps({"error": {"code": code, "message": str(exc)}}))
        else:
            print(f"hrvault: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError | MasterKeyError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
