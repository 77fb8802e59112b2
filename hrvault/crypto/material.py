"""Key bytes in a type that never shows them.

``repr``, ``str``, logging and tracebacks print a placeholder; pickling is refused, so key
bytes cannot slip into a cache, a queue or a crash dump by accident. Only code under
``hrvault.crypto`` calls ``reveal``. Python cannot wipe memory reliably (``bytes`` are
immutable and may be copied), so the protection is against disclosure by the program,
not against someone reading the process's memory.
"""

from __future__ import annotations

import os
from typing import NoReturn

KEY_BYTES = 32
"""AES-256 and HMAC-SHA-256 keys: 256 bits."""


class KeyMaterial:
    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        if len(value) != KEY_BYTES:
            raise ValueError(f"a key is {KEY_BYTES} bytes, got {len(value)}")
        self._value = bytes(value)

    @classmethod
    def generate(cls) -> KeyMaterial:
        """A fresh key from the operating system's random source."""
        return cls(os.urandom(KEY_BYTES))

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "KeyMaterial(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("key material is never pickled")
