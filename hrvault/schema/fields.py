"""The one way to declare a root field, with its access marker (deny by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from hrvault.auth.throttle import CredentialKind
from hrvault.permissions.access import Authenticated, Public
from hrvault.schema.credentials import AccountOf, CredentialAttempt

Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def query(**options: Any) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.field(
        permission_classes=[Authenticated], **options
    )
    return decorator


def mutation(**options: Any) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[Authenticated], **options
    )
    return decorator


def credential_mutation(
    kind: CredentialKind, *, account: AccountOf, **options: Any
) -> Callable[[Resolver], Resolver]:
    """A public mutation that checks a secret: throttled, and once per request at most."""
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[Public], extensions=[CredentialAttempt(kind, account)], **options
    )
    return decorator
