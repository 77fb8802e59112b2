"""Bounds for DataLoader batches: how many keys one statement carries, and how.

Keys travel as one array parameter (``= ANY(:keys)``), so a statement's parameter count
never grows with the batch, and a batch holds at most ``MAX_BATCH`` keys, so one
statement's work and answer stay bounded however many rows a response names: a larger
batch is split into several statements.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Uuid, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

MAX_BATCH = 1000


def keys_param(name: str) -> BindParameter[list[uuid.UUID]]:
    array: Any = ARRAY(Uuid())
    return bindparam(name, type_=array)


def among(column: Any, keys: BindParameter[list[uuid.UUID]]) -> ColumnElement[bool]:
    """``column = ANY(keys)``: one parameter for the whole batch."""
    condition: ColumnElement[bool] = column == any_(keys)
    return condition
