"""``hrvault`` command line: serve, migrate, demo, tenant and user administration.

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
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.checkpoints import write_checkpoints
from hrvault.audit.operator import export_tenant, verify_tenant
from hrvault.audit.signing import CheckpointSigner, SigningKeyError, load_or_create_signer
from hrvault.audit.system import record_system, user_created
from hrvault.auth.staff import create_staff
from hrvault.auth.users import create_user
from hrvault.clock import SystemClock
from hrvault.config import ConfigError, Secret, Settings, load_settings
from hrvault.db import DatabaseUrls, create_engine, resolve_database, session_factory
from hrvault.embedded_db import EmbeddedDatabaseError
from hrvault.errors import HrvaultError
from hrvault.migrate import migrate
from hrvault.permissions.membership import assign_role, find_role
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


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    migrate(urls.owner)
    _emit(args, {"migrated": True}, "database is up to date")


def cmd_tenant_create(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    now = SystemClock().now()
    tenant = _in_transaction(
        urls, lambda db: create_tenant(db, name=args.name, slug=args.slug, now=now)
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

    user, roles = _in_transaction(urls, work)
    _emit(
        args,
        {"id": str(user.id), "tenant_id": str(user.tenant_id), "email": user.email, "roles": roles},
        f"created user {user.email} (id {user.id}) with roles: {', '.join(roles) or 'none'}",
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


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    urls = resolve_database(settings)
    host, port = args.host or settings.host, args.port or settings.port
    _emit(
        args, {"url": f"http://{host}:{port}/graphql"}, f"serving on http://{host}:{port}/graphql"
    )
    _serve(settings, urls, host, port)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from dataclasses import replace

    from hrvault.demo import ACME, DEMO_PASSWORD, GLOBEX, seed_company

    if args.data_dir:
        settings = replace(settings, data_dir=args.data_dir)
    urls = resolve_database(settings)
    migrate(urls.owner)
    now = SystemClock().now()

    async def seed(db: AsyncSession) -> list[Any]:
        return [*await seed_company(db, ACME, now), *await seed_company(db, GLOBEX, now)]

    created = _in_transaction(urls, seed)
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


def _signer(settings: Settings) -> CheckpointSigner:
    return load_or_create_signer(settings.signing_key_path)


def _owner_engine_run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    urls = resolve_database(settings)

    async def run() -> T:
        engine = create_engine(urls.owner, pool_size=1)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tenant_id(settings: Settings, id_or_slug: str) -> uuid.UUID:
    urls = resolve_database(settings)
    return _in_transaction(urls, lambda db: resolve_tenant(db, id_or_slug)).id


def cmd_audit_checkpoint(args: argparse.Namespace, settings: Settings) -> None:
    signer = _signer(settings)
    now = SystemClock().now()
    signed = _owner_engine_run(settings, lambda engine: write_checkpoints(engine, signer, now))
    _emit(args, {"signed": signed, "key_id": signer.key_id}, f"signed {signed} checkpoint(s)")


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> None:
    tenant_id = _tenant_id(settings, args.tenant)
    signer = _signer(settings)
    report = _owner_engine_run(settings, lambda engine: verify_tenant(engine, tenant_id, signer))
    text = (
        f"ok: {report.records} records, {report.checkpoints} checkpoints"
        if report.ok
        else f"BROKEN at record {report.first_broken_seq}: {report.problem}"
    )
    _emit(args, {"tenant_id": str(tenant_id), **asdict(report)}, text)
    if not report.ok:
        raise SystemExit(3)


def cmd_audit_export(args: argparse.Namespace, settings: Settings) -> None:
    tenant_id = _tenant_id(settings, args.tenant)
    lines = list(_owner_engine_run(settings, lambda engine: export_tenant(engine, tenant_id)))
    args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    _emit(
        args,
        {"tenant_id": str(tenant_id), "file": str(args.out), "lines": len(lines)},
        f"wrote {len(lines)} lines to {args.out}",
    )


def cmd_audit_public_key(args: argparse.Namespace, settings: Settings) -> None:
    public = _signer(settings).public()
    _emit(args, {"key_id": public.key_id, "public_key_pem": public.pem}, public.pem.rstrip())


def cmd_schema(args: argparse.Namespace, settings: Settings) -> None:
    from hrvault.schema.build import build_schema

    sdl = str(build_schema())
    _emit(args, {"schema": sdl}, sdl)


def cmd_staff_create(args: argparse.Namespace, settings: Settings) -> None:
    """Support staff exist only through this command: no API creates them."""
    if not args.password_stdin:
        raise CommandError("pass the password on standard input with --password-stdin")
    password = Secret(sys.stdin.readline().rstrip("\r\n"))
    urls = resolve_database(settings)
    now = SystemClock().now()
    staff = _in_transaction(
        urls,
        lambda db: create_staff(db, email=args.email, name=args.name, password=password, now=now),
    )
    _emit(
        args,
        {"id": str(staff.id), "email": staff.email, "name": staff.display_name},
        f"created support staff {staff.email} (id {staff.id}); TOTP enrolment at first login",
    )


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
    demo.add_argument("--data-dir", type=Path)
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
    create_user_cmd.add_argument(
        "--role", action="append", default=[], help="role name, e.g. Owner (repeatable)"
    )
    staff = commands.add_parser("staff", help="the vendor's support staff")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    create_staff_cmd = command("create", cmd_staff_create, "create a staff member", staff_commands)
    create_staff_cmd.add_argument("--email", required=True)
    create_staff_cmd.add_argument("--name", required=True)
    create_staff_cmd.add_argument("--password-stdin", action="store_true")
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    command("checkpoint", cmd_audit_checkpoint, "sign every tenant's chain head", audit_commands)
    verify = command("verify", cmd_audit_verify, "check a tenant's whole chain", audit_commands)
    verify.add_argument("--tenant", required=True, help="tenant id or slug")
    export = command("export", cmd_audit_export, "write a tenant's chain to a file", audit_commands)
    export.add_argument("--tenant", required=True, help="tenant id or slug")
    export.add_argument("--out", required=True, type=Path)
    command("public-key", cmd_audit_public_key, "print the checkpoint key", audit_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        logging.getLogger("hrvault").setLevel(settings.log_level)
        args.handler(args, settings)
    except (ConfigError, EmbeddedDatabaseError, CommandError, HrvaultError, SigningKeyError) as exc:
        code = exc.code.value if isinstance(exc, HrvaultError) else type(exc).__name__
        if args.json:
            print(json.dumps({"error": {"code": code, "message": str(exc)}}))
        else:
            print(f"hrvault: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
