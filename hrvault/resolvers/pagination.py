"""Opaque, versioned keyset cursors for the employee list."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from hrvault.errors import bad_input

_PREFIX = "c1:"


@dataclass(frozen=True)
class EmployeeCursor:
    last_name: str
    first_name: str
    id: uuid.UUID

    def encode(self) -> str:
        payload = json.dumps([self.last_name, self.first_name, str(self.id)], separators=(",", ":"))
        return base64.urlsafe_b64encode((_PREFIX + payload).encode()).decode()

    @classmethod
    def decode(cls, cursor: str) -> EmployeeCursor:
        try:
            text = base64.urlsafe_b64decode(cursor.encode()).decode()
            if not text.startswith(_PREFIX):
                raise ValueError(cursor)
            last_name, first_name, row_id = json.loads(text[len(_PREFIX) :])
            decoded = cls(str(last_name), str(first_name), uuid.UUID(row_id))
            # Stored names never hold control characters, and PostgreSQL refuses NUL.
            if any(ord(c) < 32 for c in decoded.last_name + decoded.first_name):
                raise ValueError(cursor)
            return decoded
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad_input("after", "is not a cursor returned by this list") from None
