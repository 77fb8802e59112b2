"""The check before anyone consents to share data with a partner or mints a partner token.

Consent and tokens hand data to a third party, so they take a person in a live login
session (never a partner token, never the system) who verified a TOTP code within the
tenant's step-up window.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from hrvault.auth.principal import Principal, PrincipalKind, require_step_up
from hrvault.errors import Forbidden


def require_step_up_for_integrations(principal: Principal, now: datetime) -> uuid.UUID:
    """The id of the user who may go ahead; FORBIDDEN for anyone else, STEP_UP_REQUIRED
    for a user without a recent step-up."""
    if (
        principal.kind is not PrincipalKind.USER
        or principal.session_id is None
        or principal.actor_id is None
    ):
        raise Forbidden(
            "consenting to a partner integration needs a person's login session",
            reason="step_up_required",
        )
    require_step_up(principal, now)
    return principal.actor_id
