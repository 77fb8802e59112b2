"""Serialised reads on the request's single connection.

GraphQL resolves the fields of a query concurrently, but one transaction has one
connection, and a connection runs one statement at a time. Every read of a query goes
through here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class Reader:
    def __init__(self, db: AsyncSession) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    async def all(
        self, statement: Select[T], params: Mapping[str, Any] | None = None
    ) -> Sequence[T]:
        async with self._lock:
            return (await self._db.scalars(statement, params)).all()

    async def first(self, statement: Select[T]) -> T | None:
        async with self._lock:
            return (await self._db.scalars(statement.limit(1))).first()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[AsyncSession]:
        """The session itself, for work of several statements (nobody else reads meanwhile)."""
        async with self._lock:
            yield self._db

    async def rows(
        self, statement: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None
    ) -> Sequence[tuple[Any, ...]]:
        async with self._lock:
            return [tuple(row) for row in (await self._db.execute(statement, params)).all()]
