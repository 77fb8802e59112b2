"""Blind indexes: equal for formatting variants, different per tenant key and per index."""

from __future__ import annotations

import pytest

from hrvault.crypto.blind_index import (
    BlindIndex,
    normalize_exact,
    normalize_iban,
    normalize_national_id,
)
from hrvault.crypto.material import KeyMaterial

IBAN = BlindIndex("test.iban", normalize_iban)
NATIONAL_ID = BlindIndex("test.national_id", normalize_national_id)
EXACT = BlindIndex("test.exact", normalize_exact)


@pytest.mark.parametrize(
    ("index", "variants"),
    [
        (
            IBAN,
            [
                "SE35 5000 0000 0549 1000 0003",
                "se3550000000054910000003",
                " SE35500000000549 10000003 ",
            ],
        ),
        (NATIONAL_ID, ["19900101-1234", "199001011234", "19900101 1234", "19900101+1234"]),
        (NATIONAL_ID, ["ab 12.34/56", "AB123456"]),
    ],
)
def test_formatting_variants_share_a_digest(index: BlindIndex, variants: list[str]) -> None:
    key = KeyMaterial.generate()
    assert len({index.digest(key, variant) for variant in variants}) == 1


def test_digests_differ_per_tenant_key_per_index_and_per_value() -> None:
    first, second = KeyMaterial.generate(), KeyMaterial.generate()
    value = "199001011234"
    digests = {
        NATIONAL_ID.digest(first, value),
        NATIONAL_ID.digest(second, value),
        EXACT.digest(first, value),
        NATIONAL_ID.digest(first, "199001011235"),
    }
    assert len(digests) == 4
    assert all(len(digest) == 32 for digest in digests)


def test_exact_index_keeps_case() -> None:
    key = KeyMaterial.generate()
    assert EXACT.digest(key, "Ab") != EXACT.digest(key, "ab")


def test_two_indexes_cannot_share_a_name() -> None:
    with pytest.raises(ValueError, match="exists already"):
        BlindIndex("test.iban", normalize_iban)


def test_an_empty_value_has_no_index() -> None:
    with pytest.raises(ValueError, match="empty"):
        IBAN.digest(KeyMaterial.generate(), "  ")
