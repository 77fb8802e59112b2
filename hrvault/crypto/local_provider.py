"""The ``local`` key provider: master key versions from a key file or ``HRVAULT_MASTER_KEY``.

Key file format (text, one version per line; ``#`` starts a comment)::

    1 <base64 of 32 random bytes>
    2 <base64 of 32 random bytes>

The highest version wraps new keys; lower versions still unwrap what they wrapped until
``hrvault keys rotate-master`` has re-wrapped it. The file must be a regular file that
only its owner can access (mode 0600): anything looser stops the process, because a key
that others could read is no longer a secret. ``HRVAULT_MASTER_KEY`` holds either one
base64 key (version 1) or ``<version>:<base64>`` entries separated by commas.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hrvault.config import Settings
from hrvault.crypto.binding import master_wrap_ad
from hrvault.crypto.errors import DataIntegrityError, MasterKeyError
from hrvault.crypto.formats import NONCE_BYTES, TAG_BYTES
from hrvault.crypto.material import KEY_BYTES, KeyMaterial
from hrvault.crypto.provider import WrappedKey

ENV_VARIABLE = "HRVAULT_MASTER_KEY"
_WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
_HEADER = (
    "# hrvault master key file: one key version per line, '<version> <base64 of 32 bytes>'.\n"
    "# The highest version wraps new keys. Keep this file secret: mode 0600, never in git.\n"
)


class LocalKeyProvider:
    """Master keys held in this process, one AES-256-GCM key per version."""

    name = "local"

    def __init__(self, keys: Mapping[int, KeyMaterial], *, source: str) -> None:
        if not keys:
            raise MasterKeyError(f"{source} holds no master key")
        self._keys = dict(keys)
        self._aeads = {version: AESGCM(key.reveal()) for version, key in keys.items()}
        self.source = source

    @property
    def primary_version(self) -> int:
        return max(self._keys)

    @property
    def versions(self) -> frozenset[int]:
        return frozenset(self._keys)

    async def wrap(self, key: KeyMaterial, context: bytes) -> WrappedKey:
        version = self.primary_version
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[version].encrypt(nonce, key.reveal(), master_wrap_ad(version, context))
        return WrappedKey(version, nonce + sealed)

    async def unwrap(self, wrapped: WrappedKey, context: bytes) -> KeyMaterial:
        aead = self._aeads.get(wrapped.master_version)
        if aead is None:
            raise MasterKeyError(
                f"master key version {wrapped.master_version} is not in {self.source}"
            )
        if len(wrapped.blob) != _WRAPPED_BYTES:
            raise DataIntegrityError("a wrapped key has the wrong length")
        nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        try:
            plain = aead.decrypt(nonce, sealed, master_wrap_ad(wrapped.master_version, context))
        except InvalidTag:
            raise DataIntegrityError(
                f"a key wrapped under master version {wrapped.master_version} does not open: "
                "wrong master key, or the key store was altered"
            ) from None
        return KeyMaterial(plain)

    def with_new_version(self) -> LocalKeyProvider:
        """The same keys plus a fresh one, one version higher, that becomes primary."""
        return LocalKeyProvider(
            {**self._keys, self.primary_version + 1: KeyMaterial.generate()}, source=self.source
        )

    def __repr__(self) -> str:
        return f"LocalKeyProvider(source={self.source!r}, versions={sorted(self._keys)})"


def _decode_key(encoded: str, where: str) -> KeyMaterial:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{where}: the key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise MasterKeyError(f"{where}: a master key is {KEY_BYTES} bytes, this one is {len(raw)}")
    return KeyMaterial(raw)


def _version(text: str, where: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise MasterKeyError(f"{where}: the version must be a whole number from 1")
    return int(text)


def _add(keys: dict[int, KeyMaterial], version: int, key: KeyMaterial, where: str) -> None:
    if version in keys:
        raise MasterKeyError(f"{where}: version {version} appears twice")
    keys[version] = key


def parse_environment_keys(value: str) -> LocalKeyProvider:
    """``<base64>`` (version 1) or ``<version>:<base64>,...``; errors never echo the value."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    keys: dict[int, KeyMaterial] = {}
    for position, entry in enumerate(entries, start=1):
        where = f"{ENV_VARIABLE} entry {position}"
        version_text, colon, encoded = entry.partition(":")
        if not colon:
            if len(entries) != 1:
                raise MasterKeyError(f"{where}: several keys need '<version>:<base64>' each")
            _add(keys, 1, _decode_key(entry, where), where)
        else:
            _add(keys, _version(version_text, where), _decode_key(encoded, where), where)
    return LocalKeyProvider(keys, source=ENV_VARIABLE)


def read_key_file(path: Path) -> LocalKeyProvider:
    """Read and check a key file; refuses a file that group or others may access."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise MasterKeyError(
            f"no master key: {path} does not exist; create it with `hrvault keys init` "
            f"or set {ENV_VARIABLE}"
        ) from None
    except OSError as exc:
        raise MasterKeyError(f"cannot open the master key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r", encoding="ascii") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise MasterKeyError(f"the master key file {path} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise MasterKeyError(
                f"the master key file {path} is accessible to group or others "
                f"(mode {mode:04o}); run: chmod 600 {path}"
            )
        try:
            lines = handle.read().splitlines()
        except UnicodeDecodeError:
            raise MasterKeyError(f"the master key file {path} is not a key file") from None
    keys: dict[int, KeyMaterial] = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path} line {number}"
        version_text, _, encoded = line.partition(" ")
        _add(keys, _version(version_text, where), _decode_key(encoded, where), where)
    return LocalKeyProvider(keys, source=str(path))


def _write_new_file(path: Path, provider: LocalKeyProvider) -> None:
    body = _HEADER + "".join(
        f"{version} {base64.b64encode(key.reveal()).decode()}\n"
        for version, key in sorted(provider._keys.items())
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())


def create_key_file(path: Path) -> LocalKeyProvider:
    """Write a new key file with one fresh version; never overwrites an existing file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    provider = LocalKeyProvider({1: KeyMaterial.generate()}, source=str(path))
    try:
        _write_new_file(path, provider)
    except FileExistsError:
        raise MasterKeyError(
            f"{path} already exists; `hrvault keys rotate-master` adds a new version"
        ) from None
    return provider


def add_key_file_version(path: Path) -> LocalKeyProvider:
    """Append a fresh master key version to a key file, replacing the file atomically."""
    provider = read_key_file(path).with_new_version()
    staging = path.with_name(path.name + ".new")
    try:
        _write_new_file(staging, provider)
    except FileExistsError:
        raise MasterKeyError(
            f"{staging} exists: another rotation is running or was interrupted; "
            "check it, remove it, and run again"
        ) from None
    os.replace(staging, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return provider


def load_key_provider(settings: Settings) -> LocalKeyProvider:
    """The provider the settings name; raises MasterKeyError when there is no usable key."""
    if settings.master_key is not None:
        return parse_environment_keys(settings.master_key.reveal())
    return read_key_file(settings.master_key_path)
