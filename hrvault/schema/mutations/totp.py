"""Second factor: enrolment, the second login step, step-up, disable and admin reset.

These work for tenant users and support staff alike (the session says which); each
successful code renews the session token.
"""

from __future__ import annotations

import strawberry

from hrvault.auth.staff import ABSOLUTE_LIFETIME
from hrvault.permissions.access import OwnSession, SteppedUp, requires
from hrvault.permissions.delegation import Act
from hrvault.resolvers import second_factor
from hrvault.resolvers.validation import parse_id
from hrvault.schema import fields
from hrvault.schema.cookies import set_session_cookie
from hrvault.schema.delegating import Exempt
from hrvault.schema.types.base import Info
from hrvault.schema.types.support import SessionRenewal, TotpEnrollment
from hrvault.vocabulary import Ability


def _renewed(info: Info, renewed: second_factor.Renewed) -> SessionRenewal:
    ctx = info.context
    now = ctx.clock.now()
    ends_at = ctx.session.ends_at if ctx.session else None
    set_session_cookie(
        ctx.response, ctx.request, renewed.token, (ends_at or now + ABSOLUTE_LIFETIME) - now
    )
    return SessionRenewal.of(renewed)


@strawberry.type
class TotpMutations:
    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="A new seed; active once confirmed.",
    )
    async def start_totp_enrollment(self, info: Info) -> TotpEnrollment:
        return TotpEnrollment.of(await second_factor.start_enrollment(info.context))

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="Activate TOTP with a code; returns recovery codes.",
    )
    async def confirm_totp_enrollment(self, info: Info, code: str) -> SessionRenewal:
        return _renewed(info, await second_factor.confirm_enrollment(info.context, code))

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="Second login step: a TOTP code or a recovery code.",
    )
    async def complete_login(self, info: Info, code: str) -> SessionRenewal:
        return _renewed(info, await second_factor.complete_login(info.context, code))

    @fields.mutation(
        access=OwnSession,
        delegation=Exempt.OWN_ACCOUNT,
        description="Mark the session as recently verified (sensitive work).",
    )
    async def verify_step_up(self, info: Info, code: str) -> SessionRenewal:
        return _renewed(info, await second_factor.verify_step_up(info.context, code))

    @fields.mutation(
        access=SteppedUp,
        delegation=Exempt.OWN_ACCOUNT,
        description="Remove your TOTP; your other sessions end. Returns how many.",
    )
    async def disable_totp(self, info: Info) -> int:
        return await second_factor.disable_own(info.context)

    @fields.mutation(
        access=requires(Ability.MANAGE_USERS, step_up=True),
        delegation=Act.ACTS_ON,
        description="Remove a user's TOTP (lost device); all their sessions end. Only for a "
        "user holding no more powers than you.",
    )
    async def reset_totp(self, info: Info, user_id: strawberry.ID) -> int:
        return await second_factor.reset_for(info.context, parse_id(user_id, "userId"))
