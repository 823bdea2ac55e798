"""Identifier rules: both forms accepted, always prefixed, errors name value and rule."""

from __future__ import annotations

import pytest

from sas_core import (
    IdentifierError,
    Practitioner,
    Structure,
    parse_adeli,
    parse_finess,
    parse_idnps,
    parse_idnst,
    parse_rpps,
    parse_siret,
)


@pytest.mark.parametrize("value", ["10101288385", "810101288385", " 810101288385 "])
def test_rpps_accepts_both_forms(value: str) -> None:
    parsed = parse_rpps(value)
    assert parsed.value == "810101288385"
    assert parsed.unprefixed == "10101288385"


@pytest.mark.parametrize(
    "value", ["1010128838", "910101288385", "8101012883856", "8101O1288385", ""]
)
def test_rpps_rejects_malformed_with_value_and_rule(value: str) -> None:
    with pytest.raises(IdentifierError) as info:
        parse_rpps(value)
    message = str(info.value)
    assert repr(value) in message
    assert "11 digits" in message


def test_rpps_of_the_ig_examples_are_accepted() -> None:
    # Their Luhn keys do not verify, which is why only the shape is checked.
    for value in ("810100050075", "810002673899", "810002909371"):
        assert parse_rpps(value).value == value


def test_adeli_and_idnps_dispatch_on_length() -> None:
    assert parse_adeli("751234567").value == "0751234567"
    assert parse_idnps("0751234567").value == "0751234567"
    assert parse_idnps("10101288385").value == "810101288385"
    with pytest.raises(IdentifierError, match="IDNPS"):
        parse_idnps("12345")


def test_structure_ids() -> None:
    assert parse_finess("950047225").value == "1950047225"
    assert parse_finess("1950047225").value == "1950047225"
    assert parse_finess("2A0000123").value == "12A0000123"
    assert parse_siret("34173748400020").value == "334173748400020"
    assert parse_siret("334173748400020").value == "334173748400020"
    assert parse_idnst("412345678912345").kind == "rpps-rang"
    with pytest.raises(IdentifierError, match="FINESS"):
        parse_finess("95004722")
    with pytest.raises(IdentifierError, match="SIRET"):
        parse_siret("3341737484000201")
    with pytest.raises(IdentifierError, match="IDNST"):
        parse_idnst("x")


def test_models_normalise_identifiers() -> None:
    assert Practitioner(idnps="10101288385").idnps == "810101288385"
    assert Structure(idnst="1950047225").idnst == "1950047225"
    with pytest.raises(ValueError, match="invalid IDNPS '8123'"):
        Practitioner(idnps="8123")
