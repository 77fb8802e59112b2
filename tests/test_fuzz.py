"""Property-based fuzzing of the GraphQL endpoint: random and malformed documents,
variables and request bodies. Whatever arrives, the answer is a well-formed GraphQL
result or error with a known code, never an internal error, and a request that fails
leaves the database exactly as it was.

Session-ending operations (logout) are left out, as they would end the session the
fuzzer uses; login gets a test of its own, since it counts attempts by design.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.buckets import Rate
from hrvault.config import Settings
from hrvault.errors import ErrorCode
from hrvault.schema.build import build_schema
from hrvault.schema.credentials import credential_fields
from tests.conftest import OpenApi
from tests.support import TenantFactory, TenantHandle

SCHEMA = build_schema()._schema
# Credential operations count every attempt by design (tested in test_throttle.py), and
# the session-ending ones would log the fuzzer out.
LEFT_OUT = {"login", "staffLogin", "logout", "logoutEverywhere"}
# Operations that check a password or a one-time code: each attempt is counted (in
# credential_buckets) whatever its outcome, by design.
CREDENTIAL_FIELDS = credential_fields(SCHEMA) | {
    name
    for name, field in (SCHEMA.mutation_type.fields if SCHEMA.mutation_type else {}).items()
    if "code" in field.args
}
KNOWN_CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL_SERVER_ERROR.value}
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "psycopg", 'File "', "SELECT ", "INSERT ")
FINGERPRINTED = (
    "tenants",
    "users",
    "sessions",
    "employees",
    "employments",
    "job_assignments",
    "reporting_lines",
    "departments",
    "offices",
    "absence_types",
    "absences",
    "credential_buckets",
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Strings that have broken real systems: NUL (PostgreSQL refuses it), LIKE wildcards,
# quotes, right-to-left marks, non-BMP characters, escapes, lone surrogates (which no UTF-8
# encoder takes), a byte-order mark, long text, dates outside any working life.
NASTY = [
    "\x00",
    "a\x00b",
    "%",
    "_%\\",
    "'; --",
    "\u202e",
    "\U0001f600",
    "\\u0000",
    " ",
    "\n",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "é" * 3000,
    "9999-12-31",
    "0001-01-01T00:00:00+05:00",
    "2026-02-30",
    "2026-01-01T00:00:00",
    "1e999",
]
HUGE_NUMBERS = [2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**39, 10**41, 1e308, -1e-320]
strings = st.text(max_size=24) | st.sampled_from(NASTY)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.sampled_from(HUGE_NUMBERS)
    | st.floats(allow_nan=False, allow_infinity=False)
    | strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)


def literal(value: Any) -> str:
    """A JSON value written as a GraphQL literal."""
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + " ".join(literal(v) for v in value) + "]"
    return json.dumps(value)


class Writer:
    """Writes one document from the schema: mostly valid, so that most requests get as far
    as the resolvers, with a mistake now and then. Hypothesis draws the odd values (and
    the seed of the odds, so that a failure replays)."""

    def __init__(self, draw: st.DrawFn, ids: list[str]) -> None:
        self.draw = draw
        self.odds = draw(st.randoms(use_true_random=True))
        self.ids = ids
        self.careless = draw(st.booleans())

    def chance(self, one_in: int) -> bool:
        return self.odds.randrange(one_in) == 0

    def mistake(self, one_in: int) -> bool:
        """Only a careless writer makes mistakes; a careful one writes valid documents."""
        return self.careless and self.chance(one_in)

    def some_of(self, types: dict[str, Any]) -> list[str]:
        """The required names and some optional ones; now and then one required is missing."""
        required = [name for name, type_ in types.items() if isinstance(type_, GraphQLNonNull)]
        optional = [name for name in types if name not in required]
        chosen = required + self.odds.sample(optional, self.odds.randint(0, len(optional)))
        if chosen and self.mistake(15):
            chosen.pop(self.odds.randrange(len(chosen)))
        return chosen

    def value(self, type_: GraphQLInputType) -> str:
        if self.mistake(12):
            return literal(self.draw(json_values))
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type)
        if isinstance(type_, GraphQLList):
            return (
                "["
                + " ".join(self.value(type_.of_type) for _ in range(self.odds.randint(0, 3)))
                + "]"
            )
        if isinstance(type_, GraphQLEnumType):
            return self.odds.choice(list(type_.values)) if not self.mistake(8) else self.draw(names)
        if isinstance(type_, GraphQLInputObjectType):
            fields = type_.fields
            chosen = self.some_of({n: f.type for n, f in fields.items()})
            return "{" + " ".join(f"{n}: {self.value(fields[n].type)}" for n in chosen) + "}"
        if isinstance(type_, GraphQLScalarType) and not self.mistake(10):
            return self.scalar(type_.name)
        return json.dumps(self.draw(json_values))

    def scalar(self, name: str) -> str:
        """A value of the scalar, mostly one a user could mean."""
        if name == "ID":
            known = self.odds.choice(self.ids)
            if self.mistake(4):  # another tenant's, a deleted one, or no id at all
                known = self.odds.choice([str(uuid.uuid4()), self.draw(strings)])
            return json.dumps(known)
        if name in {"Int", "Float"}:
            if self.mistake(6):
                return json.dumps(self.odds.choice(HUGE_NUMBERS))
            return str(self.odds.randint(-3, 120))
        if name == "Boolean":
            return self.odds.choice(["true", "false"])
        day = f"2026-{self.odds.randint(1, 12):02}-{self.odds.randint(1, 28):02}"
        plausible = {
            "Date": day,
            "DateTime": f"{day}T09:00:00+00:00",
            "Decimal": f"{self.odds.randint(0, 100)}.5",
        }
        if name in plausible:
            if self.mistake(6):
                return json.dumps(self.odds.choice(NASTY[-5:]))
            return json.dumps(plausible[name])
        return json.dumps(
            self.odds.choice(["SE", "Europe/Paris", "x", "N1"])
            if self.chance(2)
            else self.draw(st.text(max_size=24))
        )

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        available = [n for n in type_.fields if not (type_.name == "Mutation" and n in LEFT_OUT)]
        parts = []
        for name in self.odds.sample(available, self.odds.randint(1, min(3, len(available)))):
            field = type_.fields[name]
            part = f"{self.draw(names)}_{name}: {name}" if self.chance(4) else name
            arguments = self.some_of({n: a.type for n, a in field.args.items()})
            if arguments:
                part += (
                    "("
                    + " ".join(f"{a}: {self.value(field.args[a].type)}" for a in arguments)
                    + ")"
                )
            if self.chance(6):
                part += self.odds.choice([" @include(if: true)", " @skip(if: false)"])
            if self.mistake(10):
                part += " @nope"
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType):
                inner = self.selection(target, depth - 1) if depth > 0 else "__typename"
                part += " { " + (inner if not self.mistake(20) else "") + " }"
            parts.append(part)
        if self.mistake(20):
            parts.append(self.draw(names))  # a field that does not exist
        return " ".join(parts)

    def document(self) -> str:
        root = self.odds.choice(["query", "mutation", ""] + ["subscription"] * self.careless)
        root_type = SCHEMA.mutation_type if root == "mutation" else SCHEMA.query_type
        if root_type is None:  # pragma: no cover - the schema has both
            raise AssertionError
        document = f"{root} {{ {self.selection(root_type, self.odds.randint(0, 3))} }}"
        if self.mistake(3):  # then break it somewhere
            cut = self.odds.randrange(len(document))
            junk = self.draw(st.text(alphabet="{}()[]:$@!.\"'#,=\\ \n\t\u0000abc", max_size=4))
            document = document[:cut] + junk + document[cut + self.odds.randint(0, 3) :]
        return document


@st.composite
def documents(draw: st.DrawFn, ids: list[str]) -> str:
    return Writer(draw, ids).document()


async def fingerprint(owner_engine: AsyncEngine) -> dict[str, str | None]:
    async with owner_engine.connect() as conn:
        return {
            table: await conn.scalar(
                text(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t")
            )
            for table in FINGERPRINTED
        }


def check_well_formed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in {200, 400}, response.text
    assert not any(leak in response.text for leak in LEAKS), response.text
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) <= {"data", "errors", "extensions"}
    if response.status_code == 400 or "errors" in body:
        assert isinstance(body["errors"], list)
        assert body["errors"]
        for error in body["errors"]:
            assert isinstance(error["message"], str)
            assert error["extensions"]["code"] in KNOWN_CODES, error
    if response.status_code == 200:
        assert "data" in body
    result: dict[str, Any] = body
    return result


class Target:
    """The app under fuzzing, its tenant, and the database as the last request left it."""

    def __init__(self, http: httpx.AsyncClient, tenant: TenantHandle, owner: AsyncEngine) -> None:
        self.http = http
        self.tenant = tenant
        self.owner = owner
        self.ids = [str(i) for i in [*tenant.employees, *tenant.departments.values()]]
        self.state: dict[str, str | None] = {}
        self.volatile: set[str] = set()
        """Tables a refused request may change by design (credential attempt counts)."""

    async def send(self, document: str | None, **request: Any) -> dict[str, Any]:
        headers = {}
        if request.pop("authenticated", True):
            headers["authorization"] = f"Bearer {self.tenant.token}"
        # Taken right before each request: whatever else settles in the database between
        # requests (a previous login's bookkeeping) is not this request's doing.
        self.state = await fingerprint(self.owner)
        payload = request.pop("payload") if "payload" in request else {"query": document, **request}
        # Escaped as ASCII, so that lone surrogates arrive as the escapes a client sends.
        response = await self.http.post(
            "/graphql",
            content=json.dumps(payload).encode(),
            headers={**headers, "content-type": "application/json"},
        )
        body = check_well_formed(response)
        after = await fingerprint(self.owner)
        if "errors" in body or response.status_code != 200:
            changed = {t for t in after if after[t] != self.state[t]} - self.volatile
            assert not changed, f"a refused request changed {changed}"
        return body


@pytest.fixture
async def target(
    settings: Settings, open_api: OpenApi, tenants: TenantFactory, owner_engine: AsyncEngine
) -> AsyncIterator[Target]:
    tenant = await tenants.create(employees=3)
    unlimited = replace(
        settings,
        request_limit=Rate(1_000_000, 1),
        credential_limit_ip=Rate(1_000_000, 1),
    )
    async with open_api(unlimited) as api:
        yield Target(api.client, tenant, owner_engine)


@FUZZ
@given(data=st.data())
async def test_generated_documents_get_clean_answers(target: Target, data: st.DataObject) -> None:
    document = data.draw(documents(target.ids))
    assume(not any(name in document for name in LEFT_OUT))
    if any(name in document for name in CREDENTIAL_FIELDS):
        target.volatile = {"credential_buckets"}  # every code attempt counts, by design
    await target.send(document, authenticated=data.draw(st.booleans()))


@FUZZ
@given(
    document=st.text(
        alphabet="{}()[]:$@!.,\"'#=\\ \n\u0000query mutation fragment on employees id", max_size=120
    ),
    variables=st.none() | st.dictionaries(names, json_values, max_size=3),
)
async def test_random_text_gets_clean_answers(
    target: Target, document: str, variables: dict[str, Any] | None
) -> None:
    assume(not any(name in document for name in LEFT_OUT))
    await target.send(document, variables=variables)


VALID = [
    "query($n: Int!, $a: String) { employees(first: $n, after: $a) { nodes { id name } } }",
    "query($id: ID!) { employee(id: $id) { name manager { name } } }",
    "query($f: EmployeeFilter) { employees(filter: $f) { pageInfo { hasNextPage } } }",
    "mutation($i: CreateOfficeInput!) { createOffice(input: $i) { id } }",
    "mutation($id: ID!, $i: UpdateEmployeeInput!) { updateEmployee(id: $id, input: $i) { id } }",
    "mutation($i: RequestAbsenceInput!) { requestAbsence(input: $i) { id status } }",
]


@FUZZ
@given(
    document=st.sampled_from(VALID),
    variables=st.dictionaries(
        st.sampled_from(["n", "a", "id", "f", "i", "x"]), json_values, max_size=3
    ),
    operation_name=st.none() | st.sampled_from([1, [], "Nope", ""]),
)
async def test_random_variables_get_clean_answers(
    target: Target, document: str, variables: dict[str, Any], operation_name: Any
) -> None:
    await target.send(document, variables=variables, operationName=operation_name)


@settings(FUZZ, max_examples=25)  # each one checks a password hash
@given(tenant=strings, email=strings, password=strings)
async def test_random_credentials_get_the_one_login_failure(
    target: Target, tenant: str, email: str, password: str
) -> None:
    """Whatever the tenant, email and password, a wrong login answers the same way;
    only the credential attempt counts change."""
    target.volatile = {"credential_buckets"}
    login = (
        "mutation($t: String!, $e: String!, $p: String!) {"
        " login(tenant: $t, email: $e, password: $p) { token } }"
    )
    body = await target.send(login, variables={"t": tenant, "e": email, "p": password})
    codes = [e["extensions"]["code"] for e in body["errors"]]
    if not all(is_text(value) for value in (tenant, email, password)):
        assert codes == ["BAD_REQUEST"]  # refused before any credential is looked at
    else:
        assert codes in (["UNAUTHENTICATED"], ["TOO_MANY_ATTEMPTS"])


def is_text(value: str) -> bool:
    """Whether the string is Unicode text (no lone surrogate)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


@FUZZ
@given(payload=json_values)
async def test_random_request_bodies_get_clean_answers(target: Target, payload: Any) -> None:
    await target.send(None, payload=payload)


async def test_a_failing_root_field_cancels_its_siblings_cleanly(
    target: Target, tenants: TenantFactory
) -> None:
    """Found by the fuzzer: a non-null root field that fails voids the result, and
    graphql-core cancels its siblings mid-statement; the answer is still the typed error."""
    body = await target.send('{ departments { id } employee(id: "") { id } }')
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


PATHS = ["/graphql", "/healthz", "/readyz", "/files/", "/files/x/../../etc", "/", "/graphql/x"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/graphql",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
]
raw_bodies = (
    st.binary(max_size=64)
    | st.sampled_from(
        [
            b'{"query": "{ __typename }"}',
            b'{"query": "{ \xff }"}',
            b'{"variables": {"n": "\\ud800"}, "query": "{ __typename }"}',
            b"[" * 5000,
            b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--b--\r\n',
            b"\xef\xbb\xbf{}",
        ]
    )
    | json_values.map(lambda value: json.dumps(value).encode())
)


@settings(FUZZ, max_examples=80)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD"]),
    path=st.sampled_from(PATHS) | names.map(lambda name: f"/files/{name}"),
    content_type=st.sampled_from(CONTENT_TYPES),
    encoding=st.sampled_from([None, "gzip", "identity", "br, gzip"]),
    csrf=st.booleans(),
    body=raw_bodies,
)
async def test_any_method_path_and_body_gets_a_typed_json_answer(
    target: Target,
    method: str,
    path: str,
    content_type: str,
    encoding: str | None,
    csrf: bool,
    body: bytes,
) -> None:
    """Below GraphQL: whatever the method, path, content type, coding and bytes, every
    answer is JSON with a typed code (a HEAD answer has the headers of one), no answer
    is a 5xx, and a refused request changes nothing. (It asks for JSON: a development
    server shows a browser that asks for any type the GraphQL IDE.)"""
    headers = {"authorization": f"Bearer {target.tenant.token}", "accept": "application/json"}
    if content_type:
        headers["content-type"] = content_type
    if encoding:
        headers["content-encoding"] = encoding
    if csrf:
        headers["x-requested-with"] = "fuzz"
    before = await fingerprint(target.owner)
    response = await target.http.request(method, path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    refused = response.status_code >= 400
    if method != "HEAD":
        answer = response.json()
        for error in answer.get("errors", []):
            assert error["extensions"]["code"] in KNOWN_CODES, error
        if refused:
            assert answer["errors"], answer
        refused = refused or "errors" in answer
    if refused:
        assert await fingerprint(target.owner) == before
