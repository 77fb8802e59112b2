"""The committed SDL is the reviewable record of who-can-see-what; it must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry

from hrvault.permissions.access import Authenticated
from hrvault.schema.build import build_schema
from hrvault.schema.checks import UndeclaredAccessError, check_declared_access
from hrvault.vocabulary import FieldGroup, in_group

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


@strawberry.type
class UndeclaredRoot:
    @strawberry.field
    def leaky(self) -> str:  # pragma: no cover - never resolved
        return "no decision was declared"


@strawberry.type
class Person:
    name: str = strawberry.field(metadata=in_group(FieldGroup.BASIC))
    salary: str  # no group: must be refused


@strawberry.type
class PersonRoot:
    @strawberry.field(permission_classes=[Authenticated])
    def person(self) -> Person:  # pragma: no cover - never resolved
        return Person(name="x", salary="y")


def test_committed_schema_matches_the_code() -> None:
    printed = str(build_schema()) + "\n"
    assert SCHEMA_FILE.read_text() == printed, (
        "schema.graphql is out of date: run `hrvault schema > schema.graphql` and review the diff"
    )


def test_root_field_without_access_marker_fails_the_build() -> None:
    schema = strawberry.Schema(UndeclaredRoot)
    with pytest.raises(UndeclaredAccessError, match=r"UndeclaredRoot\.leaky"):
        check_declared_access(schema, root_types={"UndeclaredRoot"}, structural_types=set())


def test_data_field_without_field_group_fails_the_build() -> None:
    schema = strawberry.Schema(PersonRoot)
    with pytest.raises(UndeclaredAccessError, match=r"Person\.salary") as raised:
        check_declared_access(schema, root_types={"PersonRoot"}, structural_types=set())
    assert "Person.name" not in str(raised.value)


@strawberry.type
class Patient:
    row: strawberry.Private[object]
    name: str = strawberry.field(metadata=in_group(FieldGroup.BASIC))
    diagnosis: str | None = strawberry.field(metadata=in_group(FieldGroup.ABSENCE_REASON))


@strawberry.type
class PatientRoot:
    @strawberry.field(permission_classes=[Authenticated])
    def patient(self) -> Patient:  # pragma: no cover - never resolved
        return Patient(row=None, name="x", diagnosis="y")


def test_an_unguarded_person_field_fails_the_build() -> None:
    schema = strawberry.Schema(PatientRoot)
    with pytest.raises(
        UndeclaredAccessError, match=r"Patient\.diagnosis: needs the absence_reason guard"
    ):
        check_declared_access(
            schema, root_types={"PatientRoot"}, structural_types=set(), subject_types={"Patient"}
        )
