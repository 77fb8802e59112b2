"""Support staff sessions: log in (a TOTP code is always due next) and log out."""

from __future__ import annotations

import strawberry

from hrvault.auth.staff import ABSOLUTE_LIFETIME, IDLE_TIMEOUT
from hrvault.auth.throttle import CredentialKind
from hrvault.config import Secret
from hrvault.permissions.access import OwnSession
from hrvault.resolvers import staff_sessions
from hrvault.schema import fields
from hrvault.schema.cookies import clear_session_cookie
from hrvault.schema.delegating import Exempt
from hrvault.schema.types.base import Info
from hrvault.schema.types.viewer import LoginPayload, LoginStageEnum


@strawberry.type
class StaffMutations:
    @fields.credential_mutation(
        CredentialKind.STAFF_LOGIN,
        account=lambda arguments: f"staff\0{arguments['email']}",
        description="Support staff login; a TOTP code is always due next.",
    )
    async def staff_login(self, info: Info, email: str, password: str) -> LoginPayload:
        ctx = info.context
        opened = await staff_sessions.log_in(ctx, email, Secret(password))
        return LoginPayload(
            token=opened.token.value.reveal(),
            expires_at=ctx.clock.now() + ABSOLUTE_LIFETIME,
            idle_timeout_seconds=int(IDLE_TIMEOUT.total_seconds()),
            next_step=LoginStageEnum(opened.stage.value),
        )

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="End this support staff session; its token stops at once.",
    )
    async def staff_logout(self, info: Info) -> bool:
        await staff_sessions.log_out(info.context)
        clear_session_cookie(info.context.response, info.context.request)
        return True

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="End every session of the calling staff member; returns how many ended.",
    )
    async def staff_logout_everywhere(self, info: Info) -> int:
        ended = await staff_sessions.log_out_everywhere(info.context)
        clear_session_cookie(info.context.response, info.context.request)
        return ended
