"""``hrvault staff create | reset-totp``: support staff exist and recover only through
these commands, never through the API. Each is recorded in the staff audit log."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.staff_events import operator, record_staff_event
from hrvault.auth.second_factor import forget_second_factor
from hrvault.auth.seed_sealing import SeedOwner
from hrvault.auth.staff import create_staff, end_all_staff_sessions, find_staff
from hrvault.clock import SystemClock
from hrvault.commands.common import CommandError, emit, in_transaction
from hrvault.config import Secret, Settings
from hrvault.db import resolve_database
from hrvault.errors import Conflict, not_found
from hrvault.models import SupportStaff


def cmd_staff_create(args: argparse.Namespace, settings: Settings) -> None:
    if not args.password_stdin:
        raise CommandError("pass the password on standard input with --password-stdin")
    password = Secret(sys.stdin.readline().rstrip("\r\n"))
    now = SystemClock().now()

    async def work(db: AsyncSession) -> SupportStaff:
        staff = await create_staff(db, email=args.email, name=args.name, password=password, now=now)
        details = {"email": staff.email, "name": staff.display_name}
        await record_staff_event(
            db, staff.id, "create", actor=operator("staff create"), now=now, details=details
        )
        return staff

    staff = in_transaction(resolve_database(settings), work)
    emit(
        args,
        {"id": str(staff.id), "email": staff.email, "name": staff.display_name},
        f"created support staff {staff.email} (id {staff.id}); TOTP enrolment at first login",
    )


def cmd_staff_reset_totp(args: argparse.Namespace, settings: Settings) -> None:
    """A lost device: the seed and recovery codes go, every session ends, and the next
    login enrols again (after the password, like the first login)."""
    now = SystemClock().now()

    async def work(db: AsyncSession) -> tuple[SupportStaff, int]:
        staff = await find_staff(db, args.email)
        if staff is None:
            raise not_found("staff member")
        if staff.totp_confirmed_at is None:
            raise Conflict("this staff member has no TOTP enrolled")
        await forget_second_factor(db, SeedOwner(None, staff.id))
        ended = await end_all_staff_sessions(db, staff.id, now=now)
        await record_staff_event(
            db,
            staff.id,
            "totp_reset",
            actor=operator("staff reset-totp"),
            now=now,
            details={"sessions_ended": ended, "reason": args.reason},
        )
        return staff, ended

    staff, ended = in_transaction(resolve_database(settings), work)
    emit(
        args,
        {"id": str(staff.id), "email": staff.email, "sessions_ended": ended},
        f"reset TOTP of {staff.email}: {ended} session(s) ended; enrolment at next login",
    )


def register(commands: Any, command: Callable[..., Any]) -> None:
    staff = commands.add_parser("staff", help="the vendor's support staff")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    create = command("create", cmd_staff_create, "create a staff member", staff_commands)
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password-stdin", action="store_true")
    reset = command(
        "reset-totp", cmd_staff_reset_totp, "remove a staff member's TOTP", staff_commands
    )
    reset.add_argument("--email", required=True)
    reset.add_argument("--reason", required=True, help="why, e.g. the ticket of the lost device")
