"""The one way to declare a root field, with its access marker (deny by default).

``access`` is ``Authenticated`` unless said otherwise: per-person checks then happen on
the data itself (field guards, mutation checks). Administration passes
``access=requires(Ability...)``; the handful of pre-login operations use ``public_mutation``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.permission import BasePermission

from hrvault.permissions.access import Authenticated, Public

Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def query(
    *, access: type[BasePermission] = Authenticated, **options: Any
) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.field(
        permission_classes=[access], **options
    )
    return decorator


def mutation(
    *, access: type[BasePermission] = Authenticated, **options: Any
) -> Callable[[Resolver], Resolver]:
    decorator: Callable[[Resolver], Resolver] = strawberry.mutation(
        permission_classes=[access], **options
    )
    return decorator


def public_mutation(**options: Any) -> Callable[[Resolver], Resolver]:
    return mutation(access=Public, **options)
