"""The request's DataLoader: batches of bounded size, keys as one array parameter, and a
failed batch is one short error.

Keys travel as one array parameter (``= ANY(:keys)``), so a statement's parameter count
never grows with the batch. A batch's rows become objects in one synchronous stretch
after the statement returns: a batch of thousands of keys held the event loop for half a
second while requests beside it waited. Batches of at most ``MAX_BATCH`` keys run one
after another, with the loop free between them.

Every field waiting on a batch receives the batch's exception, and graphql-core makes
each field's error from the exception's text. A batch of 70,000 keys that failed in the
database carried its statement (~1 MB) in that text, so the response held a 1 MB copy
per field and memory grew until the process died. Here a failure that is not one of
ours becomes one ``BatchFailed`` with a short message, shared by every waiting field
(the response then holds one error for it, see ``schema.errors.one_per_cause``); the
cause stays chained for the server log.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Uuid, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from strawberry.dataloader import DataLoader

from hrvault.errors import HrvaultError

MAX_BATCH = 100

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def keys_param(name: str) -> BindParameter[list[uuid.UUID]]:
    array: Any = ARRAY(Uuid())
    return bindparam(name, type_=array)


def among(column: Any, keys: BindParameter[list[uuid.UUID]]) -> ColumnElement[bool]:
    """``column = ANY(keys)``: one parameter for the whole batch."""
    condition: ColumnElement[bool] = column == any_(keys)
    return condition


class BatchFailed(Exception):
    """Loading one batch failed; the cause is chained (``__cause__``)."""


class Loader(DataLoader[K, T]):
    def __init__(
        self, load_fn: Callable[[list[K]], Awaitable[Sequence[T]]], **options: Any
    ) -> None:
        async def load(keys: list[K]) -> Sequence[T]:
            try:
                return await load_fn(keys)
            except HrvaultError:
                raise  # typed already, with a message written for the client
            except Exception as exc:
                raise BatchFailed(f"loading a batch of {len(keys)} failed") from exc

        super().__init__(load, max_batch_size=MAX_BATCH, **options)
