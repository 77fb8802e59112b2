"""The per-field check on ``Employee``: a field of a group the viewer may not see for this
person resolves to null, its path is listed as restricted, and its resolver never runs
(so nothing is loaded or decrypted for it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension

from hrvault.vocabulary import FieldGroup


class FieldGroupGuard(FieldExtension):
    def __init__(self, group: FieldGroup) -> None:
        super().__init__()
        self.group = group

    def _allowed(self, source: Any, info: Any) -> bool:
        if info.context.policy.can_see(source.row, self.group):
            return True
        info.context.restrict(info.path.as_list())
        return False

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs) if self._allowed(source, info) else None

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        return await next_(source, info, **kwargs) if self._allowed(source, info) else None
