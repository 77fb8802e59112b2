"""Staff logout and "log out everywhere": the session ends at once, whatever its stage,
and the next request with its token is refused; a user's logout is no staff logout."""

from __future__ import annotations

from datetime import timedelta

from tests.support import PASSWORD, Api, StaffLogin, TenantFactory, error_codes, staff_session

STAFF_LOGIN = (
    "mutation($e: String!, $p: String!) { staffLogin(email: $e, password: $p) { token nextStep } }"
)
ASK = 'mutation($t: String!) { requestSupportAccess(tenant: $t, input: {reason: "Help"}) { id } }'
NO_TENANT = {"t": "no-such-tenant"}  # a live staff session gets NOT_FOUND, a dead one not
PEOPLE = "{ employees { nodes { id } } }"


async def _pending(api: Api, staff: StaffLogin) -> str:
    data = await api.data(STAFF_LOGIN, {"e": staff.email, "p": PASSWORD})
    token: str = data["staffLogin"]["token"]
    return token


async def _another_session(api: Api, staff: StaffLogin) -> str:
    done = await api.data(
        "mutation($c: String!) { completeLogin(code: $c) { token } }",
        {"c": api.code(staff.account)},
        token=await _pending(api, staff),
    )
    token: str = done["completeLogin"]["token"]
    return token


async def _alive(api: Api, token: str) -> bool:
    codes = error_codes(await api.gql(ASK, NO_TENANT, token=token))
    assert codes in (["NOT_FOUND"], ["UNAUTHENTICATED"]), codes
    return codes == ["NOT_FOUND"]


async def test_staff_logout_ends_this_session_at_once_and_the_tenant_sees_it(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    other = await _another_session(api, staff)
    await tenants.step_up(tenant)
    grant = await api.data(
        'mutation { createSupportGrant(input: {reason: "Export fails"}) { id } }',
        token=tenant.token,
    )
    grant_id = grant["createSupportGrant"]["id"]
    await api.data(
        "mutation($t: String!, $g: ID!) { activateSupportGrant(tenant: $t, grantId: $g) { id } }",
        {"t": tenant.slug, "g": grant_id},
        token=staff.token,
    )
    assert "errors" not in await api.gql(PEOPLE, token=staff.token)
    assert (await api.data("mutation { staffLogout }", token=staff.token))["staffLogout"] is True
    # Same instant: the session is not idle nor old, it is revoked.
    assert error_codes(await api.gql(PEOPLE, token=staff.token)) == ["UNAUTHENTICATED"]
    assert not await _alive(api, staff.token)
    assert error_codes(await api.gql("mutation { staffLogout }", token=staff.token)) == [
        "UNAUTHENTICATED"
    ]
    api.clock.advance(timedelta(minutes=1))
    assert await _alive(api, other)  # the staff member's other session goes on
    seen = await api.data(
        "{ supportAccess { id actions { action entityType } } }", token=tenant.token
    )
    actions = next(g["actions"] for g in seen["supportAccess"] if g["id"] == grant_id)
    assert {"action": "logout", "entityType": "StaffSession"} in actions


async def test_staff_logout_everywhere_ends_every_session_of_that_staff_member(
    api: Api, tenants: TenantFactory
) -> None:
    staff = await staff_session(api, tenants)
    colleague = await staff_session(api, tenants)
    sessions = [staff.token, await _another_session(api, staff), await _pending(api, staff)]
    ended = await api.data("mutation { staffLogoutEverywhere }", token=sessions[0])
    assert ended["staffLogoutEverywhere"] == 3
    assert [await _alive(api, token) for token in sessions[:2]] == [False, False]
    code = api.code(staff.account)
    late = await api.gql(
        "mutation($c: String!) { completeLogin(code: $c) { token } }",
        {"c": code},
        token=sessions[2],
    )
    assert error_codes(late) == ["UNAUTHENTICATED"]  # the pending login ended too
    assert await _alive(api, colleague.token)


async def test_a_pending_staff_login_can_log_out(api: Api, tenants: TenantFactory) -> None:
    staff = await staff_session(api, tenants)
    pending = await _pending(api, staff)
    assert (await api.data("mutation { staffLogout }", token=pending))["staffLogout"] is True
    late = await api.gql(
        "mutation($c: String!) { completeLogin(code: $c) { token } }",
        {"c": api.code(staff.account)},
        token=pending,
    )
    assert error_codes(late) == ["UNAUTHENTICATED"]
    assert await _alive(api, staff.token)


async def test_user_and_staff_logouts_do_not_mix(api: Api, tenants: TenantFactory) -> None:
    """``logout`` with a staff token would end no staff session: it is refused, and the
    staff logouts refuse a user's token; each session lives on."""
    tenant = await tenants.create(employees=1)
    staff = await staff_session(api, tenants)
    for document in ("mutation { logout }", "mutation { logoutEverywhere }"):
        refused = await api.gql(document, token=staff.token)
        assert refused["errors"][0]["extensions"] == {
            "code": "FORBIDDEN",
            "reason": "staff_session",
        }
    assert await _alive(api, staff.token)
    for document in ("mutation { staffLogout }", "mutation { staffLogoutEverywhere }"):
        assert error_codes(await api.gql(document, token=tenant.token)) == ["UNAUTHENTICATED"]
    assert "errors" not in await api.gql("{ me { displayName } }", token=tenant.token)
