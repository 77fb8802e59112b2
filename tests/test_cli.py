"""The operator contract: every command takes --json and prints exactly one JSON object."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support import Api, error_codes


async def test_tenant_and_user_created_from_the_command_line_can_log_in(run: Any, api: Api) -> None:
    code, tenant = run("tenant", "create", "--name", "Initech Oy")
    assert code == 0
    assert tenant["slug"] == "initech-oy"
    assert set(tenant) == {"id", "slug", "name"}
    code, user = run(
        "user",
        "create",
        "--tenant",
        tenant["slug"],
        "--email",
        "boss@initech.test",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert code == 0
    code, again = run(
        "user",
        "create",
        "--tenant",
        tenant["id"],
        "--email",
        "BOSS@initech.test",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert (code, again["error"]["code"]) == (1, "CONFLICT")
    token = await api.login("initech-oy", "boss@initech.test", "a long enough passphrase")
    me = await api.data("{ me { userId displayName employee { id } } }", token=token)
    assert me["me"] == {"userId": user["id"], "displayName": "boss@initech.test", "employee": None}


def test_a_taken_slug_is_refused(run: Any) -> None:
    assert run("tenant", "create", "--name", "Umbrella", "--slug", "umbrella-cli")[0] == 0
    code, body = run("tenant", "create", "--name", "Umbrella 2", "--slug", "umbrella-cli")
    assert (code, body["error"]["code"]) == (1, "CONFLICT")


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 12"), ("aaaaaaaaaaaaaaaa", "different characters")],
)
def test_weak_passwords_are_refused(run: Any, password: str, reason: str) -> None:
    code, tenant = run("tenant", "create", "--name", f"Weak {secrets.token_hex(4)}")
    code, body = run(
        "user",
        "create",
        "--tenant",
        tenant["slug"],
        "--email",
        "x@weak.test",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert (code, body["error"]["code"]) == (1, "BAD_USER_INPUT")
    assert reason in body["error"]["message"]


def test_unknown_tenant_is_not_found(run: Any) -> None:
    code, body = run(
        "user",
        "create",
        "--tenant",
        "no-such-tenant",
        "--email",
        "x@y.test",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert (code, body["error"]["code"]) == (1, "NOT_FOUND")


def test_migrate_is_idempotent(run: Any) -> None:
    assert run("migrate") == (0, {"migrated": True})


def test_a_bad_setting_stops_the_command(run: Any) -> None:
    code, body = run("migrate", extra_env={"HRVAULT_PORT": "not-a-port"})
    assert code == 2
    assert "HRVAULT_PORT" in body["error"]["message"]


async def test_demo_seeds_two_companies_with_working_logins(run: Any, api: Api) -> None:
    code, demo = run("demo", "--no-serve")
    assert code == 0
    assert {entry["tenant"] for entry in demo["logins"]} == {"acme", "globex"}
    token = await api.login("acme", "manager@acme.example", demo["password"])
    page = await api.data(
        "{ me { employee { name directReports { name } } } employees(first: 100) { nodes { id } } }",
        token=token,
    )
    assert len(page["employees"]["nodes"]) >= 35
    assert page["me"]["employee"]["directReports"]
    code, again = run("demo", "--no-serve")  # a second run reuses the data
    assert (code, demo["created"], again["created"]) == (0, True, False)
    body = await api.gql("{ employees(first: 100) { nodes { id } } }", token=token)
    assert error_codes(body) == []
    assert len(body["data"]["employees"]["nodes"]) == len(page["employees"]["nodes"])


async def test_users_get_roles_from_the_command_line(run: Any, api: Api) -> None:
    code, tenant = run("tenant", "create", "--name", f"Roles {secrets.token_hex(4)}")
    code, user = run(
        "user",
        "create",
        "--tenant",
        tenant["slug"],
        "--email",
        "hr@roles.test",
        "--role",
        "HR Admin",
        "--role",
        "employee",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert (code, sorted(user["roles"])) == (0, ["Employee", "HR Admin"])
    token = await api.login(tenant["slug"], "hr@roles.test", "a long enough passphrase")
    me = await api.data("{ me { roles { name } abilities } }", token=token)
    assert "MANAGE_USERS" in me["me"]["abilities"]
    code, body = run(
        "user",
        "create",
        "--tenant",
        tenant["slug"],
        "--email",
        "x@roles.test",
        "--role",
        "Emperor",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert (code, body["error"]["code"]) == (1, "NOT_FOUND")


async def test_staff_are_created_only_from_the_command_line_and_must_enrol(
    run: Any, api: Api
) -> None:
    email = f"agent-{secrets.token_hex(3)}@vendor.test"
    args = ("staff", "create", "--email", email, "--name", "Ada Agent", "--password-stdin")
    code, staff = run(*args, stdin="a long enough passphrase\n")
    assert code == 0
    assert set(staff) == {"id", "email", "name"}
    code, again = run(*args, stdin="a long enough passphrase\n")
    assert (code, again["error"]["code"]) == (1, "CONFLICT")
    login = await api.data(
        'mutation($e: String!) { staffLogin(email: $e, password: "a long enough passphrase")'
        " { token nextStep } }",
        {"e": email},
    )
    assert login["staffLogin"]["nextStep"] == "ENROL_ONLY"
    token = login["staffLogin"]["token"]
    assert error_codes(await api.gql("{ employees { nodes { id } } }", token=token)) == [
        "TOTP_REQUIRED"
    ]
