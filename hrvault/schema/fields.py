"""The one way to declare a root field, with its access marker (deny by default)."""

from __future__ import annotations

from typing import Any

import strawberry

from hrvault.permissions.access import Authenticated, Public


def query(**options: Any) -> Any:
    return strawberry.field(permission_classes=[Authenticated], **options)


def mutation(**options: Any) -> Any:
    return strawberry.mutation(permission_classes=[Authenticated], **options)


def public_mutation(**options: Any) -> Any:
    return strawberry.mutation(permission_classes=[Public], **options)
