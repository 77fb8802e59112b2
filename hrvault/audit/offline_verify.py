"""Verify an exported audit chain with nothing but the file and the public key.

    python -m hrvault.audit.offline_verify ARCHIVE.jsonl PUBLIC_KEY.pem

Exits 0 and prints "ok" when every record's hash, every link, every checkpoint signature
and the chain head (when the file has one) hold; otherwise exits 1 naming the first
broken sequence number. It reads no
database and needs no secret.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from hrvault.audit.archive import load
from hrvault.audit.signing import key_id
from hrvault.audit.verify import IntegrityReport, verify_chain


def verify_archive(archive: Path, public_key_pem: Path) -> IntegrityReport:
    key = load_pem_public_key(public_key_pem.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{public_key_pem} is not an Ed25519 public key")
    with archive.open(encoding="utf-8") as lines:
        records, checkpoints, head = load(lines)
    records.sort(key=lambda record: record["seq"])
    return verify_chain(records, checkpoints, {key_id(key): key}, head=head)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = verify_archive(Path(argv[0]), Path(argv[1]))
    if report.ok:
        print(f"ok: {report.records} records, {report.checkpoints} checkpoints verified")
        return 0
    print(f"broken at record {report.first_broken_seq}: {report.problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
