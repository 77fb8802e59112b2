"""Helpers for partner integration tests: register an integration, issue its tokens."""

from __future__ import annotations

from typing import Any

from tests.support import Api

REGISTER = (
    "mutation($i: RegisterIntegrationInput!) { registerIntegration(input: $i) {"
    " id version partnerName categories access processingCountry transferBasis"
    " consentedBy consentedByName consentedAt consent revokedAt } }"
)
CREATE_TOKEN = (
    "mutation($i: ID!, $d: Int) { createPartnerToken(integrationId: $i, expiresInDays: $d) {"
    " token info { id prefix expiresAt } } }"
)


def terms(**overrides: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "partnerName": "Payroll Partner",
        "purpose": "Monthly payroll run",
        "categories": ["BASIC", "JOB"],
        "access": "READ",
        "processingCountry": "DE",
    }
    given.update(overrides)
    return given


async def register(api: Api, admin_token: str, **overrides: Any) -> dict[str, Any]:
    data = await api.data(REGISTER, {"i": terms(**overrides)}, token=admin_token)
    integration: dict[str, Any] = data["registerIntegration"]
    return integration


async def issue(
    api: Api, admin_token: str, integration_id: str, days: int | None = None
) -> dict[str, Any]:
    data = await api.data(CREATE_TOKEN, {"i": integration_id, "d": days}, token=admin_token)
    issued: dict[str, Any] = data["createPartnerToken"]
    return issued
