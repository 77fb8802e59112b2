"""The one way to declare a root field, with its access marker (deny by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from hrvault.permissions.access import Authenticated, Public

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


def public_mutation(**options: Any) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[Public], **options
    )
    return decorator
