"""The one way to declare a root field, with its access marker (deny by default).

``access`` is ``Authenticated`` unless said otherwise: per-person checks then happen on
the data itself (field guards, mutation checks). Administration passes
``access=requires(Ability...)``. The pre-login operations that check a secret are
``credential_mutation``s: public, throttled, and at most one per request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.permission import BasePermission

from hrvault.auth.throttle import CredentialKind
from hrvault.permissions.access import Authenticated, Public
from hrvault.permissions.delegation import Act
from hrvault.schema.credentials import AccountOf, CredentialAttempt
from hrvault.schema.delegating import (
    DELEGATION_KEY,
    ConsultsDelegationRule,
    Declaration,
    Exempt,
)

Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def query(
    *, access: type[BasePermission] = Authenticated, **options: Any
) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.field(
        permission_classes=[access], **options
    )
    return decorator


def mutation(
    *,
    access: type[BasePermission] = Authenticated,
    delegation: Declaration | None = None,
    **options: Any,
) -> Callable[[Resolver], Resolver]:
    """``delegation`` marks a mutation that hands out or acts on powers (``Act``, then
    enforced at run time) or says why one that writes them needs no check (``Exempt``)."""
    if delegation is not None:
        options["metadata"] = {**options.get("metadata", {}), DELEGATION_KEY: delegation}
        if isinstance(delegation, Act):
            options["extensions"] = [*options.get("extensions", []), ConsultsDelegationRule()]
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[access], **options
    )
    return decorator


def credential_mutation(
    kind: CredentialKind, *, account: AccountOf, **options: Any
) -> Callable[[Resolver], Resolver]:
    """A public mutation that checks a secret: throttled, and once per request at most."""
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[Public],
        extensions=[CredentialAttempt(kind, account)],
        metadata={DELEGATION_KEY: Exempt.OWN_ACCOUNT},
        **options,
    )
    return decorator
