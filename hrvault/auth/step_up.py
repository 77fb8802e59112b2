"""The check before anyone consents to share data with a partner or mints a partner token.

Consent and tokens hand data to a third party, so they take a person in a live login
session: never a partner token, never the system. The TOTP issue extends this same
function to also require a recent TOTP verification of that session.
"""

from __future__ import annotations

import uuid

from hrvault.auth.principal import Principal, PrincipalKind
from hrvault.errors import Forbidden


def require_step_up_for_integrations(principal: Principal) -> uuid.UUID:
    """The id of the user who may go ahead; FORBIDDEN for anyone else."""
    if (
        principal.kind is not PrincipalKind.USER
        or principal.session_id is None
        or principal.actor_id is None
    ):
        raise Forbidden(
            "consenting to a partner integration needs a person's login session",
            reason="step_up_required",
        )
    return principal.actor_id
