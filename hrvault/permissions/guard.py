"""The per-field check on ``Employee``: a field of a group the viewer may not see for this
person resolves to null, its path is listed as restricted, and its resolver never runs
(so nothing is loaded or decrypted for it).

It wraps the resolver itself rather than adding a Strawberry field extension: the check
is one dictionary look-up, while a field extension alone costs about 1.6x on a large list
(shared/reference/perf-baseline.md). ``bench/permissions_overhead.py`` measures the whole.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from hrvault.vocabulary import FieldGroup

Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def may_see(info: Any, person: Any, group: FieldGroup) -> bool:
    """The check itself, for a person's row: allowed reads are audited, refusals marked."""
    if info.context.policy.can_see(person, group):
        info.context.audit.read(group, person.id)
        return True
    info.context.restrict(info.path.as_list())
    return False


def guard_resolver(group: FieldGroup, resolve: Resolver) -> Resolver:
    """``resolve`` behind the check; it must take ``self`` (an Employee) and ``info``."""

    def allowed(employee: Any, info: Any) -> bool:
        return may_see(info, employee.row, group)

    # One plain function serves sync and async resolvers alike: for an async one it hands
    # the resolver's coroutine to the executor, which awaits it. A denied field is then
    # null at once, and an allowed one costs no coroutine of the guard's own (two fewer
    # per field and row than an ``async def`` guard, which Strawberry wraps again).
    @functools.wraps(resolve)
    def checked(self: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return resolve(self, info, *args, **kwargs) if allowed(self, info) else None

    guarded: Any = checked
    guarded.field_group = group  # lets tools (and tests) see the declared guard
    result: Resolver = guarded
    return result
