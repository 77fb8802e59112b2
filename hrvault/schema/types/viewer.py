"""The logged-in caller and login results."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hrvault.auth.principal import SessionStage
from hrvault.schema import caps
from hrvault.schema.bounds import capped
from hrvault.schema.types.admin import RoleRef
from hrvault.schema.types.base import AbilityEnum
from hrvault.schema.types.employee import Employee
from hrvault.vocabulary import Ability


@strawberry.type(description="The caller of this request.")
class Viewer:
    user_id: strawberry.ID
    display_name: str
    employee: Employee | None = strawberry.field(description="The caller's own employee record.")
    roles: list[RoleRef] = strawberry.field(metadata=capped(caps.ROLES_OF_USER))
    abilities: list[AbilityEnum] = strawberry.field(metadata=capped(len(Ability)))  # type: ignore[valid-type]


LoginStageEnum = strawberry.enum(SessionStage, name="LoginStage")


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(
        description="Session token for `Authorization: Bearer`; also set as an HttpOnly cookie."
    )
    expires_at: datetime = strawberry.field(description="Absolute end of the session.")
    idle_timeout_seconds: int = strawberry.field(description="Inactivity that ends the session.")
    next_step: LoginStageEnum = strawberry.field(  # type: ignore[valid-type]
        description="FULL: logged in. TOTP_PENDING: call completeLogin(code)."
        " ENROL_ONLY: your role requires TOTP; enrol before anything else."
    )
