"""The executor that runs every operation: no list longer than its declared bound, and no
request holding the event loop for long.

graphql-core completes a response synchronously between awaits: when a loader batch
answers, every field waiting on it continues at once and completes everything beneath it
before the loop runs anything else. A large response so held the loop for seconds, and
a ``{ me }`` beside it waited as long; the request's own time limit could not fire
either. Here the executor gives the loop a turn after every ``PAUSE_EVERY_FIELDS``
fields it starts, so other requests (and the time limit) get in between.

Lists are cut at their bound (``hrvault.schema.bounds``) in this one place, whatever the
resolver returned, and a cut list's path is noted for ``extensions.truncated``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from graphql import GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hrvault.schema.bounds import Bounds

PAUSE_EVERY_FIELDS = 200
"""Fields started between two turns of the loop: a few milliseconds of work."""


def bounded_executor(
    bounds: Bounds, max_page_size: int
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The executor class for a schema with these list bounds."""

    class BoundedExecutor(StrawberryGraphQLCoreExecutionContext):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._fields_before_pause = PAUSE_EVERY_FIELDS

        def execute_fields(self, *args: Any, **kwargs: Any) -> Any:
            fields = args[3] if len(args) > 3 else kwargs["grouped_field_set"]
            self._fields_before_pause -= len(fields)
            if self._fields_before_pause > 0:
                return super().execute_fields(*args, **kwargs)
            self._fields_before_pause = PAUSE_EVERY_FIELDS
            execute = super().execute_fields

            async def after_a_pause() -> Any:
                await asyncio.sleep(0)
                result = execute(*args, **kwargs)
                return await result if self.is_awaitable(result) else result

            return after_a_pause()

        def complete_list_value(
            self,
            return_type: Any,
            field_details_list: Any,
            info: GraphQLResolveInfo[Any],
            path: Path,
            result: Any,
            *args: Any,
        ) -> Any:
            bound = bounds.get((info.parent_type.name, info.field_name))
            if bound is not None and isinstance(result, Iterable):
                most = bound.largest(max_page_size)
                items: Sequence[Any] = (
                    result if isinstance(result, Sequence) else list(islice(result, most + 1))
                )
                if len(items) > most:
                    self.context_value.truncate(path.as_list())
                    items = items[:most]
                result = items
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, *args
            )

    return BoundedExecutor
