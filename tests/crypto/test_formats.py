"""Byte formats: the tag registry, headers, padding, and key bytes that never show."""

from __future__ import annotations

import pickle

import pytest

from hrvault.crypto.errors import DataIntegrityError
from hrvault.crypto.formats import (
    FIELD_V1,
    STREAM_V1,
    FormatRegistryError,
    KeyScope,
    key_header,
    read_header,
    register_format,
    registered_formats,
)
from hrvault.crypto.material import KeyMaterial
from hrvault.crypto.sealing import PAD_BLOCK, pad, unpad


@pytest.mark.parametrize("tag", [FIELD_V1.tag, STREAM_V1.tag])
def test_a_taken_format_tag_is_refused(tag: int) -> None:
    with pytest.raises(FormatRegistryError, match="taken"):
        register_format(tag, "impostor")
    assert [f.name for f in registered_formats()] == ["field-v1", "stream-v1"]


@pytest.mark.parametrize("tag", [0, 256, -1])
def test_a_format_tag_is_one_byte(tag: int) -> None:
    with pytest.raises(FormatRegistryError, match="one byte"):
        register_format(tag, "out of range")


def test_a_header_names_format_scope_and_version() -> None:
    header = key_header(FIELD_V1.tag, KeyScope.PERSON, 258)
    assert header == b"\x01\x02\x00\x00\x01\x02"
    ref = read_header(header + bytes(60), FIELD_V1, 18)
    assert (ref.scope, ref.version) == (KeyScope.PERSON, 258)


@pytest.mark.parametrize(
    ("sealed", "message"),
    [
        (b"\x01\x02", "too short"),
        (b"\x02\x01" + bytes(60), "found stream-v1"),
        (b"\x7f\x01" + bytes(60), "unknown tag 0x7f"),
        (b"\x01\x09" + bytes(60), "unknown key scope"),
    ],
)
def test_foreign_bytes_are_an_integrity_error(sealed: bytes, message: str) -> None:
    with pytest.raises(DataIntegrityError, match=message):
        read_header(sealed, FIELD_V1, 18)


@pytest.mark.parametrize("value", [b"", b"x", b"95000.00", b"a" * 31, b"a" * 32, b"a" * 100])
def test_padding_round_trips_to_whole_blocks(value: bytes) -> None:
    padded = pad(value)
    assert len(padded) % PAD_BLOCK == 0
    assert len(padded) > len(value)
    assert unpad(padded) == value


def test_padding_hides_the_magnitude_of_an_amount() -> None:
    assert len(pad(b"9500.00")) == len(pad(b"1250000.00"))


def test_malformed_padding_is_an_integrity_error() -> None:
    with pytest.raises(DataIntegrityError):
        unpad(b"abc" + bytes(29))


def test_key_material_never_shows_or_pickles() -> None:
    key = KeyMaterial.generate()
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert key.reveal().hex() not in shown
        assert "hidden" in shown
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(key)


def test_key_material_is_256_bits() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyMaterial(b"short")
    assert KeyMaterial.generate().reveal() != KeyMaterial.generate().reveal()
