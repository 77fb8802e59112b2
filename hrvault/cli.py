"""``hrvault`` command line: serve, migrate, demo, tenant, user, staff and key
administration.

Every command accepts ``--json`` and then prints exactly one JSON object on stdout (the
scripting contract for operators); without it, it prints text for people.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import ssl
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.signing import SigningKeyError
from hrvault.audit.system import record_system, user_created
from hrvault.auth.users import create_user
from hrvault.clock import SystemClock
from hrvault.commands.audit import register as register_audit
from hrvault.commands.common import (
    CommandError,
    emit,
    in_keyed_transaction,
    in_transaction,
    nothing,
    with_keys,
)
from hrvault.commands.keys import register as register_keys
from hrvault.commands.staff import register as register_staff
from hrvault.commands.tenants import register as register_tenants
from hrvault.config import ConfigError, Secret, Settings, check_can_serve, load_settings
from hrvault.crypto.errors import CryptoError, MasterKeyError
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import (
    create_key_file,
)
from hrvault.db import DatabaseUrls, resolve_database
from hrvault.embedded_db import EmbeddedDatabaseError
from hrvault.errors import HrvaultError
from hrvault.migrate import migrate
from hrvault.permissions.membership import assign_role, find_role
from hrvault.resolvers.validation import parse_id
from hrvault.tenancy import resolve_tenant

# Options that are settings too: given on the command line, they stand in for the
# variable and are checked by the same code.
OPTION_SETTINGS = {"tls_cert": "HRVAULT_TLS_CERT", "tls_key": "HRVAULT_TLS_KEY"}


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    migrate(urls.owner)
    emit(args, {"migrated": True}, "database is up to date")


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> None:
    if not args.password_stdin:
        raise CommandError("pass the password on standard input with --password-stdin")
    password = Secret(sys.stdin.readline().rstrip("\r\n"))
    employee_id = parse_id(args.employee, "employee") if args.employee else None
    urls = resolve_database(settings)
    now = SystemClock().now()

    async def work(db: AsyncSession) -> Any:
        tenant = await resolve_tenant(db, args.tenant)
        roles = [await find_role(db, tenant.id, name) for name in args.role]
        user = await create_user(
            db,
            tenant_id=tenant.id,
            email=args.email,
            password=password,
            employee_id=employee_id,
            actor_id=None,
            now=now,
        )
        for role in roles:
            await assign_role(db, tenant.id, user.id, role.id, actor_id=None, now=now)
        names = [role.name for role in roles]
        await record_system(
            db, tenant.id, [user_created(user, names)], operation="user create", now=now
        )
        return user, names

    user, roles = in_transaction(urls, work)
    emit(
        args,
        {"id": str(user.id), "tenant_id": str(user.tenant_id), "email": user.email, "roles": roles},
        f"created user {user.email} (id {user.id}) with roles: {', '.join(roles) or 'none'}",
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(0)


def _freeze_start_up_heap() -> None:
    """Take what start-up built (modules, the schema, mappers) out of the cyclic collector.

    Those objects live as long as the process, yet every full collection would walk all
    of them, and a large page makes enough survivors to start one every few requests;
    that walk was about a third of the server's CPU at page size 100. Freezing leaves
    them to reference counting and the collector only what requests create.
    """
    gc.collect()
    gc.freeze()


def _url(settings: Settings, host: str, port: int) -> str:
    return f"{'https' if settings.tls else 'http'}://{host}:{port}/graphql"


TlsFactory = Callable[[uvicorn.Config, Callable[[], ssl.SSLContext]], ssl.SSLContext]


def _tls_factory(settings: Settings) -> TlsFactory | None:
    """uvicorn's own TLS options cannot set a minimum version; hrvault's context has it."""
    from hrvault.http.tls import server_tls_context

    if settings.tls is None:
        return None
    context = server_tls_context(settings.tls)

    def factory(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return context

    return factory


def _serve(
    settings: Settings, urls: DatabaseUrls, host: str, port: int, tls: TlsFactory | None
) -> None:
    from hrvault.app import create_app

    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into a normal exit
    # lets exit handlers run, so the embedded PostgreSQL is released instead of orphaned.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    app = create_app(settings, database=urls)
    _freeze_start_up_heap()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        # Proxy headers are handled inside the app, for HRVAULT_TRUSTED_PROXIES only.
        proxy_headers=False,
        server_header=False,
        ssl_context_factory=tls,
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    check_can_serve(settings)
    tls = _tls_factory(settings)
    urls = resolve_database(settings)
    with_keys(settings, urls, nothing)  # a missing or wrong master key stops us here
    host, port = args.host or settings.host, args.port or settings.port
    url = _url(settings, host, port)
    emit(args, {"url": url}, f"serving on {url}")
    _serve(settings, urls, host, port, tls)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from hrvault.demo import ACME, DEMO_PASSWORD, GLOBEX, seed_company

    if args.data_dir:
        settings = replace(settings, data_dir=args.data_dir)
    if not args.no_serve:
        check_can_serve(settings)
    tls = None if args.no_serve else _tls_factory(settings)
    urls = resolve_database(settings)
    migrate(urls.owner)
    if settings.master_key is None and not settings.master_key_path.exists():
        create_key_file(settings.master_key_path)  # a demo needs no setup; production does
    now = SystemClock().now()

    async def seed(db: AsyncSession, keyring: TenantKeyring) -> list[Any]:
        return [
            *await seed_company(db, ACME, now, keyring),
            *await seed_company(db, GLOBEX, now, keyring),
        ]

    created = in_keyed_transaction(settings, urls, seed)
    host, port = args.host or settings.host, args.port or settings.port
    url = _url(settings, host, port)
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
    emit(args, payload, "\n".join(lines))
    if not args.no_serve:
        _serve(settings, urls, host, port, tls)


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from hrvault.schema.build import build_schema

    sdl = str(build_schema())
    emit(args, {"schema": sdl}, sdl)


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
    serve.add_argument("--tls-cert", help="certificate chain (PEM): serve HTTPS")
    serve.add_argument("--tls-key", help="private key (PEM) of the certificate")
    command("migrate", cmd_migrate, "bring the database schema up to date")
    demo = command("demo", cmd_demo, "run the API with two demo companies")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--data-dir", type=Path)
    demo.add_argument("--no-serve", action="store_true", help="seed and print, do not serve")
    command("schema", cmd_schema, "print the GraphQL schema (SDL)")

    register_tenants(commands, command)

    user = commands.add_parser("user", help="user administration")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create_user_cmd = command("create", cmd_user_create, "create a user", user_commands)
    create_user_cmd.add_argument("--tenant", required=True, help="tenant id or slug")
    create_user_cmd.add_argument("--email", required=True)
    create_user_cmd.add_argument("--password-stdin", action="store_true")
    create_user_cmd.add_argument("--employee", help="id of the employee this user is")
    create_user_cmd.add_argument(
        "--role", action="append", default=[], help="role name, e.g. Owner (repeatable)"
    )
    register_audit(commands, command)
    register_keys(commands, command)
    register_staff(commands, command)
    return parser


def _environment(args: argparse.Namespace) -> Mapping[str, str]:
    given = {
        name: str(getattr(args, option))
        for option, name in OPTION_SETTINGS.items()
        if getattr(args, option, None)
    }
    return {**os.environ, **given}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(_environment(args))
        logging.getLogger("hrvault").setLevel(settings.log_level)
        args.handler(args, settings)
    except (
        ConfigError,
        EmbeddedDatabaseError,
        CommandError,
        HrvaultError,
        SigningKeyError,
        CryptoError,
    ) as exc:
        code = exc.code.value if isinstance(exc, HrvaultError) else type(exc).__name__
        if args.json:
            print(json.dumps({"error": {"code": code, "message": str(exc)}}))
        else:
            print(f"hrvault: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError | MasterKeyError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
