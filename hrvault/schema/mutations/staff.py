"""Support staff sessions: log in (a TOTP code is always due next)."""

from __future__ import annotations

import strawberry

from hrvault.auth.staff import ABSOLUTE_LIFETIME, IDLE_TIMEOUT
from hrvault.auth.throttle import CredentialKind
from hrvault.config import Secret
from hrvault.resolvers import staff_sessions
from hrvault.schema import fields
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
