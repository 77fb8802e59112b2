"""Checking a chain: every record's hash, its link to the one before, and the checkpoints.

Works on plain mappings, so the same code checks the live database and an exported file
(``hrvault.audit.offline_verify``), tenants' chains and staff members' chains alike. It
reports the first sequence number that is wrong. The chain head (its last sequence number
and hash, moved by the database with every record) shows a removed tail even where no
checkpoint was signed yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hrvault.audit.records import GENESIS_HASH, hash_material, record_hash
from hrvault.audit.signing import checkpoint_payload, signature_is_valid


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    records: int
    last_seq: int
    checkpoints: int
    first_broken_seq: int | None = None
    problem: str | None = None


def _broken(records: int, last: int, checkpoints: int, seq: int, problem: str) -> IntegrityReport:
    return IntegrityReport(False, records, last, checkpoints, seq, problem)


def tenant_record_hash(record: Mapping[str, Any]) -> bytes:
    return record_hash(hash_material(record))


def verify_chain(
    records: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    head: Mapping[str, Any] | None = None,
    hash_of: Callable[[Mapping[str, Any]], bytes] = tenant_record_hash,
) -> IntegrityReport:
    """``records`` in ascending ``seq`` order, with the columns of ``audit_log`` (or of
    the chain ``hash_of`` hashes); ``head`` with ``seq`` and ``hash``, where known."""
    hashes: dict[int, bytes] = {}
    expected, prev, count = 1, GENESIS_HASH, 0
    for record in records:
        count += 1
        seq = record["seq"]
        if seq != expected:
            problem = f"record {expected} is missing" if seq > expected else "records out of order"
            return _broken(count - 1, expected - 1, 0, expected, problem)
        if bytes(record["prev_hash"]) != prev:
            return _broken(count, seq, 0, seq, "the link to the previous record is broken")
        if hash_of(record) != bytes(record["hash"]):
            return _broken(count, seq, 0, seq, "the record was changed after it was written")
        prev = bytes(record["hash"])
        hashes[seq] = prev
        expected += 1
    last = expected - 1
    if head is not None:
        problem_at = _against_head(head, last, hashes)
        if problem_at is not None:
            return _broken(count, last, 0, *problem_at)
    checked = 0
    for checkpoint in sorted(checkpoints, key=lambda c: c["seq"]):
        checked += 1
        key = public_keys.get(checkpoint["key_id"])
        signed_at: datetime = checkpoint["signed_at"]
        payload = checkpoint_payload(
            checkpoint["tenant_id"], checkpoint["seq"], bytes(checkpoint["hash"]), signed_at
        )
        if key is None or not signature_is_valid(key, payload, bytes(checkpoint["signature"])):
            return _broken(
                count, last, checked, checkpoint["seq"], "a checkpoint signature is invalid"
            )
        if checkpoint["seq"] > last:
            return _broken(
                count,
                last,
                checked,
                last + 1,
                f"records after {last} were removed (checkpoint at {checkpoint['seq']})",
            )
        if hashes[checkpoint["seq"]] != bytes(checkpoint["hash"]):
            return _broken(count, last, checked, checkpoint["seq"], "differs from its checkpoint")
    return IntegrityReport(True, count, last, checked)


def _against_head(
    head: Mapping[str, Any], last: int, hashes: Mapping[int, bytes]
) -> tuple[int, str] | None:
    """Where the records disagree with the chain head, and how; None when they agree."""
    head_seq = int(head["seq"])
    if head_seq > last:
        return last + 1, f"records {last + 1} to {head_seq} were removed (the head says {head_seq})"
    if head_seq < last:
        return head_seq + 1, f"records after {head_seq} are not in the chain its head names"
    if last and hashes[last] != bytes(head["hash"]):
        return last, "the last record differs from the chain head"
    return None
