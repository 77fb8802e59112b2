"""Logging in and out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from hrvault.audit.auth_events import ADMIN, open_session, record_failed_login
from hrvault.audit.records import Change, Entry
from hrvault.auth import sessions
from hrvault.auth.throttle import CredentialKind
from hrvault.config import Secret
from hrvault.errors import Forbidden
from hrvault.permissions.access import OwnSession
from hrvault.resolvers.context import RequestContext
from hrvault.schema import fields
from hrvault.schema.cookies import clear_session_cookie, set_session_cookie
from hrvault.schema.delegating import Exempt
from hrvault.schema.types.base import Info
from hrvault.schema.types.viewer import LoginPayload, LoginStageEnum


def _login_account(arguments: Mapping[str, Any]) -> str:
    return f"{arguments['tenant']}\0{arguments['email']}"


def _refuse_staff(ctx: RequestContext) -> None:
    """A staff token is no user session: ending "the user's" sessions would end nothing."""
    if ctx.staff is not None:
        raise Forbidden(
            "support staff sessions end with staffLogout or staffLogoutEverywhere",
            reason="staff_session",
        )


@strawberry.type
class SessionMutations:
    @fields.credential_mutation(
        CredentialKind.LOGIN,
        account=_login_account,
        description="Open a session; the same answer for every failure.",
    )
    async def login(self, info: Info, tenant: str, email: str, password: str) -> LoginPayload:
        ctx = info.context
        try:
            opened = await open_session(ctx, tenant, email, Secret(password))
        except sessions.LoginFailed as failed:
            await record_failed_login(ctx, failed, email)
            raise
        set_session_cookie(
            ctx.response, ctx.request, opened.token.value, opened.expires_at - ctx.clock.now()
        )
        return LoginPayload(
            token=opened.token.value.reveal(),
            expires_at=opened.expires_at,
            idle_timeout_seconds=int(opened.idle_timeout.total_seconds()),
            next_step=LoginStageEnum(opened.stage.value),
        )

    @fields.mutation(
        access=OwnSession, delegation=Exempt.OWN_ACCOUNT, description="End this session."
    )
    async def logout(self, info: Info) -> bool:
        ctx = info.context
        _refuse_staff(ctx)
        principal = ctx.session or ctx.require_principal()
        await sessions.revoke_session(
            ctx.db, principal.tenant_id, principal.session_id, now=ctx.clock.now()
        )
        ctx.audit.add(Entry("logout", "Session", str(principal.session_id)))
        clear_session_cookie(ctx.response, ctx.request)
        return True

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="End every session of the caller; returns how many ended.",
    )
    async def logout_everywhere(self, info: Info) -> int:
        ctx = info.context
        _refuse_staff(ctx)
        principal = ctx.require_principal()
        ended = await sessions.revoke_all_sessions(ctx.db, principal, now=ctx.clock.now())
        ctx.audit.add(
            Entry(
                "logout_everywhere",
                "User",
                str(principal.actor_id),
                changes=(Change("sessions_ended", ADMIN, None, ended),),
            )
        )
        clear_session_cookie(ctx.response, ctx.request)
        return ended
