"""Access markers for root fields (queries and mutations): deny by default.

Every root field names exactly one marker in ``permission_classes``: ``Public`` for the
few operations a caller may use before logging in, ``Authenticated`` for everything
else. A root field with neither is refused when the schema is built (see
``hrvault.schema.checks``), so forgetting to declare access cannot ship.
"""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.permission import BasePermission

from hrvault.errors import Unauthenticated


class Public(BasePermission):
    """Explicitly open to callers without a session (login)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    """Needs a live session of the tenant; answers UNAUTHENTICATED otherwise."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()  # raises Unauthenticated with the reason
        return True

    def on_unauthorized(self) -> None:  # pragma: no cover - has_permission raises instead
        raise Unauthenticated("authentication required")


ACCESS_MARKERS: tuple[type[BasePermission], ...] = (Public, Authenticated)
