"""P8 without an oracle: a reader shown a record's hash but not its values cannot confirm a
guessed value by hashing it, not even the correct guess."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hrvault.audit.archive import dump, load
from hrvault.audit.records import (
    GENESIS_HASH,
    HASHED_FIELDS,
    Change,
    hash_material,
    record_hash,
    salted,
)
from hrvault.audit.verify import verify_chain
from tests.support import Api, TenantFactory, TenantHandle

RECORD = """seq occurredAt actor { kind id name viaKind viaId viaReason } requestId clientIp
  userAgent operation action entityType entityId subjectId
  changes { field fieldGroup old new redacted } hash prevHash"""
LOG = (
    "query($f: AuditLogFilter) { auditLog(first: 10, filter: $f) { edges { node { "
    + RECORD
    + " } } } }"
)
GUESSED = {"absence_type_id", "start_date", "end_date"}
"""Withheld from an Auditor, and shown nowhere else in the record (unlike the person's id)."""
EXPORT = "query($f: AuditLogFilter) { auditLogExport(format: JSONL, filter: $f) }"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _with_guess(tenant: TenantHandle, shown: dict[str, Any], guess: list[dict[str, Any]]) -> bytes:
    """The record as its hash covered it in format 1, rebuilt from what the reader was
    shown plus a guess of the withheld values."""
    actor = shown["actor"]
    body = {
        "format_version": 1,
        "tenant_id": str(tenant.id),
        "seq": shown["seq"],
        "occurred_at": datetime.fromisoformat(shown["occurredAt"]).astimezone(UTC).isoformat(),
        "actor_kind": actor["kind"],
        "actor_id": actor["id"],
        "actor_name": actor["name"],
        "via_kind": actor["viaKind"],
        "via_id": actor["viaId"],
        "via_reason": actor["viaReason"],
        "request_id": shown["requestId"],
        "client_ip": shown["clientIp"],
        "user_agent": shown["userAgent"],
        "operation": shown["operation"],
        "action": shown["action"],
        "entity_type": shown["entityType"],
        "entity_id": shown["entityId"],
        "subject_id": shown["subjectId"],
        "changes": guess,
        "prev_hash": shown["prevHash"],
    }
    return hashlib.sha256(b"hrvault-audit-v1\n" + _canonical(body)).digest()


async def test_a_correct_guess_of_a_redacted_value_matches_nothing_shown(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=3)
    absence = await api.data(
        "mutation($e: ID!, $t: ID!) { requestAbsence(input: {employee: $e, absenceType: $t,"
        ' startDate: "2031-05-04", endDate: "2031-05-06"}) { id } }',
        {"e": str(tenant.employees[1]), "t": str(tenant.absence_types["vacation"])},
        token=tenant.token,
    )
    where = {"f": {"entityId": absence["requestAbsence"]["id"], "action": "create"}}
    auditor = await tenants.add_user(tenant, tenant.employees[2], ("auditor",))
    seen_body = await api.gql(LOG, where, token=auditor.token)
    [seen] = [edge["node"] for edge in seen_body["data"]["auditLog"]["edges"]]
    [truth] = [
        edge["node"]
        for edge in (await api.data(LOG, where, token=tenant.token))["auditLog"]["edges"]
    ]
    hidden = {c["field"] for c in seen["changes"] if c["redacted"]}
    assert hidden >= GUESSED
    assert seen["hash"] == truth["hash"]

    # The attacker's best guess is the truth itself (what the Owner is shown).
    guess = [
        {"field": c["field"], "group": c["fieldGroup"], "old": c["old"], "new": c["new"]}
        for c in truth["changes"]
    ]
    assert _with_guess(tenant, seen, guess).hex() != seen["hash"]

    export = (await api.data(EXPORT, where, token=auditor.token))["auditLogExport"]
    shown_text = json.dumps(seen_body) + export
    digests = set()
    for change in truth["changes"]:
        if change["field"] not in GUESSED:
            continue
        for value in (change["old"], change["new"]):
            encoded = _canonical(value)
            if value is not None:
                assert str(value) not in shown_text, change["field"]
            for prefix in (b"", b"hrvault-audit-value\n"):
                digests.add(hashlib.sha256(prefix + encoded).hexdigest())
    assert not any(digest in shown_text for digest in digests)
    assert "salt" not in shown_text  # the salts stay with the values they hide


async def test_a_reader_who_may_see_the_values_is_shown_them(
    api: Api, tenants: TenantFactory
) -> None:
    tenant = await tenants.create(employees=3)
    target = str(tenant.employees[1])
    await api.data(
        'mutation($id: ID!) { updateEmployee(id: $id, input: {version: 1, firstName: "Open"}) '
        "{ id } }",
        {"id": target},
        token=tenant.token,
    )
    auditor = await tenants.add_user(tenant, tenant.employees[2], ("auditor",))
    where = {"f": {"entityId": target, "action": "update"}}
    [seen] = [
        edge["node"]
        for edge in (await api.data(LOG, where, token=auditor.token))["auditLog"]["edges"]
    ]
    assert [(c["field"], c["new"], c["redacted"]) for c in seen["changes"]] == [
        ("first_name", "Open", False)
    ]
    integrity = await api.data("{ auditIntegrity { ok } }", token=auditor.token)
    assert integrity["auditIntegrity"]["ok"] is True


def _record(seq: int, version: int, prev: bytes, changes: list[dict[str, Any]]) -> dict[str, Any]:
    columns: dict[str, Any] = dict.fromkeys(HASHED_FIELDS)
    columns.update(
        format_version=version,
        tenant_id=uuid.UUID(int=7),
        seq=seq,
        occurred_at=datetime(2026, 1, seq, tzinfo=UTC),
        actor_kind="system",
        actor_name="test",
        action="update",
        entity_type="Employee",
        changes=changes,
        prev_hash=prev,
    )
    columns["hash"] = record_hash(hash_material(columns))
    return columns


def test_format_1_records_still_verify_beside_format_2_and_offline_with_the_head() -> None:
    old = _record(1, 1, GENESIS_HASH, [{"field": "x", "group": "basic", "old": None, "new": "a"}])
    new = _record(2, 2, old["hash"], salted([Change("x", "salary", "a", {"sealed": "AQ=="})]))
    head = {"seq": 2, "hash": new["hash"]}
    assert verify_chain([old, new], [], {}, head=head).ok
    whole = list(dump(uuid.UUID(int=7), [old, new], [], head=head))
    records, _, loaded_head = load(whole)
    assert verify_chain(records, [], {}, head=loaded_head).ok
    without_tail = [line for line in whole if '"seq": 2,' not in line or '"type": "head"' in line]
    records, _, loaded_head = load(without_tail)
    report = verify_chain(records, [], {}, head=loaded_head)
    assert (report.ok, report.first_broken_seq) == (False, 2), report
