"""The executor that runs every operation: no list longer than its declared bound.

Lists are cut at their bound (``hrvault.schema.bounds``) in this one place, whatever the
resolver returned, and a cut list's path is noted for ``extensions.truncated``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from graphql import GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hrvault.schema.bounds import Bounds


def bounded_executor(
    bounds: Bounds, max_page_size: int
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """The executor class for a schema with these list bounds."""

    class BoundedExecutor(StrawberryGraphQLCoreExecutionContext):
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
