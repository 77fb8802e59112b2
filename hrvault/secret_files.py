"""Platform secrets kept in files outside the database (audit signing key, partner token
key, TOTP seed key): created once with mode 0600, refused when others can read them.

A leaf module: the three keys differ in content and in the error their callers report,
not in how the file is made and guarded.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path


def read_or_create_secret(
    path: Path, make: Callable[[], bytes], *, what: str, error: type[Exception]
) -> bytes:
    """The file's bytes; ``make()`` fills it first if it does not exist.

    Several processes may start at once: the first to create the file wins, and every
    process then reads that one. A file that group or others can read raises ``error``.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(make())
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(f"the {what} {path} is readable by others; run chmod 600 on it")
    return path.read_bytes()
