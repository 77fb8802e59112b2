"""Searching people by what a directory shows: names, work e-mail, employee number.

Every path is served by an index, so a search costs what it returns, not the size of the
tenant (PostgreSQL core only: no trigram extension):

- names: each word of the search is a prefix of a word of the first, last or preferred
  name, in any order (full-text search over ``NAME_VECTOR`` with the ``simple``
  configuration: no stemming, no stop words; a GIN index serves it);
- a work e-mail, matched whole, ignoring case;
- an employee number, matched whole, ignoring case.

A person matches if any path does. Parts of a word inside it ("mit" for "Smith") and
parts of e-mails or numbers do not match.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import ColumnElement, false, func, literal_column, or_, select

from hrvault.models import Employee
from hrvault.models.employee import NAME_VECTOR

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def name_query(term: str) -> str | None:
    """The tsquery text for ``term``: every word as a prefix (words are letters, digits
    and underscores, so nothing the user typed reaches tsquery syntax)."""
    words = _WORD.findall(term.lower())[:MAX_WORDS]
    return " & ".join(f"{word}:*" for word in words) or None


def matches(term: str) -> ColumnElement[bool]:
    """People matching ``term`` by name words, work e-mail or employee number."""
    term = term.strip()
    if not term:
        return false()
    exact = term.lower()
    paths: list[ColumnElement[bool]] = [
        func.lower(Employee.work_email) == exact,
        func.lower(Employee.employee_number) == exact,
    ]
    query = name_query(term)
    if query is not None:
        vector: ColumnElement[Any] = literal_column(NAME_VECTOR)
        paths.append(vector.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), query)))
    return or_(*paths)


def among_matches(tenant_id: uuid.UUID, term: str) -> ColumnElement[bool]:
    """``employees.id`` among the tenant's matches, found first through the indexes (a
    materialised CTE), so that no plan computes the name words of every person in
    name order looking for a match that may not exist."""
    matched = (
        select(Employee.id)
        .where(Employee.tenant_id == tenant_id, matches(term))
        .cte("search_matches")
        .prefix_with("MATERIALIZED")
    )
    return Employee.id.in_(select(matched.c.id))
