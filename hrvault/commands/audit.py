"""``hrvault audit checkpoint | verify | export | public-key``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hrvault.audit.checkpoints import write_checkpoints
from hrvault.audit.operator import export_tenant, verify_tenant
from hrvault.audit.signing import CheckpointSigner, load_or_create_signer
from hrvault.audit.staff_chain import verify_staff_chains
from hrvault.clock import SystemClock
from hrvault.commands.common import emit, tenant_id_of, with_owner_engine
from hrvault.config import Settings


def _signer(settings: Settings) -> CheckpointSigner:
    return load_or_create_signer(settings.signing_key_path)


def cmd_audit_checkpoint(args: argparse.Namespace, settings: Settings) -> None:
    signer = _signer(settings)
    now = SystemClock().now()
    signed = with_owner_engine(settings, lambda engine: write_checkpoints(engine, signer, now))
    emit(args, {"signed": signed, "key_id": signer.key_id}, f"signed {signed} checkpoint(s)")


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> None:
    if args.staff:
        _verify_staff(args, settings)
        return
    tenant_id = tenant_id_of(settings, args.tenant)
    signer = _signer(settings)
    report = with_owner_engine(settings, lambda engine: verify_tenant(engine, tenant_id, signer))
    text = (
        f"ok: {report.records} records, {report.checkpoints} checkpoints"
        if report.ok
        else f"BROKEN at record {report.first_broken_seq}: {report.problem}"
    )
    emit(args, {"tenant_id": str(tenant_id), **asdict(report)}, text)
    if not report.ok:
        raise SystemExit(3)


def _verify_staff(args: argparse.Namespace, settings: Settings) -> None:
    """Every staff member's chain; the broken ones are named with their first bad record."""
    reports = with_owner_engine(settings, verify_staff_chains)
    broken = {staff_id: r for staff_id, r in reports.items() if not r.ok}
    lines = [
        f"BROKEN staff {staff_id} at record {r.first_broken_seq}: {r.problem}"
        for staff_id, r in broken.items()
    ]
    records = sum(r.records for r in reports.values())
    emit(
        args,
        {
            "ok": not broken,
            "staff_members": len(reports),
            "records": records,
            "broken": [{"staff_id": str(staff_id), **asdict(r)} for staff_id, r in broken.items()],
        },
        "\n".join(lines) or f"ok: {len(reports)} staff chains, {records} records",
    )
    if broken:
        raise SystemExit(3)


def cmd_audit_export(args: argparse.Namespace, settings: Settings) -> None:
    tenant_id = tenant_id_of(settings, args.tenant)
    lines = list(with_owner_engine(settings, lambda engine: export_tenant(engine, tenant_id)))
    args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    emit(
        args,
        {"tenant_id": str(tenant_id), "file": str(args.out), "lines": len(lines)},
        f"wrote {len(lines)} lines to {args.out}",
    )


def cmd_audit_public_key(args: argparse.Namespace, settings: Settings) -> None:
    public = _signer(settings).public()
    emit(args, {"key_id": public.key_id, "public_key_pem": public.pem}, public.pem.rstrip())


def register(commands: Any, command: Callable[..., Any]) -> None:
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    command("checkpoint", cmd_audit_checkpoint, "sign every tenant's chain head", audit_commands)
    verify = command(
        "verify", cmd_audit_verify, "check a tenant's (or every staff) chain", audit_commands
    )
    chain = verify.add_mutually_exclusive_group(required=True)
    chain.add_argument("--tenant", help="tenant id or slug")
    chain.add_argument("--staff", action="store_true", help="every staff member's chain")
    export = command("export", cmd_audit_export, "write a tenant's chain to a file", audit_commands)
    export.add_argument("--tenant", required=True, help="tenant id or slug")
    export.add_argument("--out", required=True, type=Path)
    command("public-key", cmd_audit_public_key, "print the checkpoint key", audit_commands)
