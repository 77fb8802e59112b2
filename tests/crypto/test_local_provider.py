"""The local key provider: key files that only their owner can read, clear refusals."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from hrvault.config import Secret, load_settings
from hrvault.crypto.errors import DataIntegrityError, MasterKeyError
from hrvault.crypto.local_provider import (
    LocalKeyProvider,
    add_key_file_version,
    create_key_file,
    load_key_provider,
    parse_environment_keys,
    read_key_file,
)
from hrvault.crypto.material import KeyMaterial

CONTEXT = b"tenant 1, data, v1"


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_init_creates_an_owner_only_file_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    provider = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert provider.versions == {1}
    before = path.read_bytes()
    with pytest.raises(MasterKeyError, match="already exists"):
        create_key_file(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o610])
def test_a_file_others_may_access_stops_the_process(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    create_key_file(path)
    path.chmod(mode)
    with pytest.raises(MasterKeyError, match=rf"mode {mode:04o}\); run: chmod 600"):
        read_key_file(path)


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="hrvault keys init"):
        read_key_file(tmp_path / "absent.key")


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "real.key"
    create_key_file(target)
    (tmp_path / "link.key").symlink_to(target)
    with pytest.raises(MasterKeyError, match="cannot open"):
        read_key_file(tmp_path / "link.key")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1 not-base64!\n", "line 1: the key is not valid base64"),
        (f"1 {_b64(b'short')}\n", "line 1: a master key is 32 bytes"),
        (f"# comment\n\n0 {_b64(bytes(32))}\n", "line 3: the version must be"),
        (f"1 {_b64(bytes(32))}\n1 {_b64(bytes(32))}\n", "line 2: version 1 appears twice"),
        ("# nothing\n", "holds no master key"),
    ],
)
def test_malformed_files_name_the_line_and_never_the_key(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "master.key"
    path.write_text(body)
    path.chmod(0o600)
    with pytest.raises(MasterKeyError, match=message) as caught:
        read_key_file(path)
    assert _b64(bytes(32)) not in str(caught.value)


def test_rotation_adds_a_primary_version_and_keeps_the_old(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    first = create_key_file(path)
    rotated = add_key_file_version(path)
    assert (rotated.versions, rotated.primary_version) == ({1, 2}, 2)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name("master.key.new").exists()
    assert read_key_file(path).versions == {1, 2}
    assert repr(first) != repr(rotated)


async def test_wrapping_round_trips_and_binds_the_context(tmp_path: Path) -> None:
    provider = create_key_file(tmp_path / "master.key")
    key = KeyMaterial.generate()
    wrapped = await provider.wrap(key, CONTEXT)
    assert key.reveal() not in wrapped.blob
    assert (await provider.unwrap(wrapped, CONTEXT)).reveal() == key.reveal()
    with pytest.raises(DataIntegrityError, match="does not open"):
        await provider.unwrap(wrapped, b"tenant 2, data, v1")
    stranger = create_key_file(tmp_path / "other.key")
    with pytest.raises(DataIntegrityError, match="wrong master key"):
        await stranger.unwrap(wrapped, CONTEXT)


async def test_an_unknown_master_version_is_a_master_key_error(tmp_path: Path) -> None:
    provider = create_key_file(tmp_path / "master.key")
    wrapped = await provider.with_new_version().wrap(KeyMaterial.generate(), CONTEXT)
    assert wrapped.master_version == 2
    with pytest.raises(MasterKeyError, match="version 2 is not in"):
        await provider.unwrap(wrapped, CONTEXT)


def test_environment_keys_one_or_versioned() -> None:
    one, two = os.urandom(32), os.urandom(32)
    assert parse_environment_keys(_b64(one)).versions == {1}
    both = parse_environment_keys(f"1:{_b64(one)}, 3:{_b64(two)}")
    assert (both.versions, both.primary_version) == ({1, 3}, 3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "holds no master key"),
        ("%%%", "not valid base64"),
        (_b64(bytes(16)), "32 bytes"),
        (f"{_b64(bytes(32))},{_b64(bytes(32))}", "several keys need"),
        (f"x:{_b64(bytes(32))}", "whole number"),
    ],
)
def test_bad_environment_keys_are_refused_without_echo(value: str, message: str) -> None:
    with pytest.raises(MasterKeyError, match=message) as caught:
        parse_environment_keys(value)
    if value:
        assert value not in str(caught.value)


def test_settings_prefer_the_environment_and_hide_it(tmp_path: Path) -> None:
    encoded = _b64(os.urandom(32))
    settings = load_settings(
        {"HRVAULT_MASTER_KEY": encoded, "HRVAULT_MASTER_KEY_FILE": str(tmp_path / "none")}
    )
    assert isinstance(settings.master_key, Secret)
    assert encoded not in repr(settings)
    provider = load_key_provider(settings)
    assert isinstance(provider, LocalKeyProvider)
    assert encoded not in repr(provider)
    file_settings = load_settings({"HRVAULT_DATA_DIR": str(tmp_path)})
    assert file_settings.master_key_path == tmp_path / "master.key"
    with pytest.raises(MasterKeyError, match="does not exist"):
        load_key_provider(file_settings)
