"""Russian identifier checks. Vectors marked stdnum come from python-stdnum's doctests
(stdnum/ru/snils.py, inn.py); the others were computed by hand from pii-ru.md §1."""

from __future__ import annotations

import pytest

from residency_audit.personal_data.identifiers import (
    is_card_number,
    is_company_inn,
    is_inn,
    is_ogrnip,
    is_oms_policy,
    is_personal_inn,
    is_ru_passport,
    is_ru_phone,
    is_snils,
    luhn_ok,
    normalise_plus7_phone,
    plus7_country,
    snils_check_number,
)


@pytest.mark.parametrize(
    "value",
    [
        "112-233-445 95",  # stdnum, S = 95
        "11223344595",  # stdnum, undelimited
        "010-242-368 77",  # stdnum
        "148-481-255 85",  # stdnum __main__
        "114-402-426 99",  # S = 99
        "302-243-306 00",  # S = 100 -> 00
        "161-302-051 00",  # S = 101 -> 00
        "526-018-159 61",  # S = 162 -> 162 mod 101
        "464-460-495 00",  # S = 201 -> 100 -> 00
        "123-456-789 64",
        "987-654-321 83",
        "123-456-789-64",  # hyphen before the check pair
        "123\u00a0456\u00a0789\u00a064",  # NBSP as typed in Word documents
        "１２３４５６７８９６４",  # full-width digits
        "001-001-998 00",  # issued before check numbers: format only
        "000-123-456 99",
    ],
)
def test_valid_snils(value: str) -> None:
    assert is_snils(value)


@pytest.mark.parametrize(
    "value",
    [
        "010-242-368 00",  # stdnum: wrong check pair
        "112-233-445 96",
        "123-456-789 65",
        "001-001-999 00",  # first number that has a check pair: S = 65
        "000-000-000 00",
        "1122334459",  # 10 digits
        "112233445950",  # 12 digits
        "112-233-445 9a",
        "١١٢٢٣٣٤٤٥٩٥",  # Arabic-Indic digits are not ASCII
        "",
    ],
)
def test_invalid_snils(value: str) -> None:
    assert not is_snils(value)


def test_snils_check_number() -> None:
    assert [snils_check_number(b) for b in ("112233445", "302243306", "464460495")] == [
        "95",
        "00",
        "00",
    ]


@pytest.mark.parametrize(
    ("value", "personal", "company"),
    [
        ("123456789047", True, False),  # stdnum
        ("500312345614", True, False),
        ("773620754381", True, False),
        ("123456789037", False, False),  # stdnum: wrong check digits
        ("500312345615", False, False),
        ("7707083893", False, True),  # Sberbank, widely cited
        ("7736207543", False, True),
        ("1234567894", False, True),  # stdnum
        ("1234567895", False, False),  # stdnum: wrong check digit
        ("000000000000", False, False),
        ("0000000000", False, False),
        ("12345678904", False, False),  # 11 digits
        ("ИНН 123456789047", False, False),  # callers pass the number, not the sentence
    ],
)
def test_inn(value: str, personal: bool, company: bool) -> None:
    assert (is_personal_inn(value), is_company_inn(value), is_inn(value)) == (
        personal,
        company,
        personal or company,
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("317594002573632", True),  # remainder 12 -> 2 (python-stdnum 2.2 rejects it)
        ("304770400100021", True),  # remainder 1
        ("312774600000017", True),  # remainder 7
        ("317594002573631", False),
        ("117594002573632", False),  # OGRNIP starts with 3 (or 4)
        ("1022200525819", False),  # a 13-digit OGRN of a company
    ],
)
def test_ogrnip(value: str, valid: bool) -> None:
    assert is_ogrnip(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("7754 1234 5678 9012", True),
        ("7754123456789012", True),
        ("775412345678901", False),
        ("0000000000000000", False),
        ("7754-1234-5678-901X", False),
    ],
)
def test_oms_policy_by_length_only(value: str, valid: bool) -> None:
    assert is_oms_policy(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("45 06 123456", True),
        ("4506 123456", True),
        ("4506123456", True),
        ("4506 №123456", True),
        ("4506 № 123456", True),
        ("4506-123456", True),
        ("45\u00a006\u00a0123456", True),
        ("00 06 123456", False),  # no region 00
        ("4506 000000", False),
        ("4506 12345", False),
        ("450 6123456", False),
        ("4506 1234567", False),
        ("AB06 123456", False),
    ],
)
def test_ru_passport(value: str, valid: bool) -> None:
    assert is_ru_passport(value) is valid


@pytest.mark.parametrize(
    ("value", "normalised", "country"),
    [
        ("+7 (916) 123-45-67", "+79161234567", "RU"),
        ("8 (916) 123-45-67", "+79161234567", "RU"),
        ("89161234567", "+79161234567", "RU"),
        ("79161234567", "+79161234567", "RU"),
        ("+7 495 123 45 67", "+74951234567", "RU"),
        ("8-800-555-35-35", "+78005553535", "RU"),
        ("+7 (978) 123-45-67", "+79781234567", "RU"),  # RU numbering plan, see docstring
        ("+7 701 123 45 67", "+77011234567", "KZ"),
        ("8 (727) 123-45-67", "+77271234567", "KZ"),
        ("+7 600 123 45 67", "+76001234567", None),  # unassigned
        ("+8 916 123 45 67", None, None),  # "+8" is no prefix of the +7 plan
        ("9161234567", None, None),  # no prefix at all
        ("+7 916 123 45 678", None, None),
        ("+44 20 7946 0958", None, None),
        ("phone", None, None),
    ],
)
def test_plus7_phones(value: str, normalised: str | None, country: str | None) -> None:
    assert normalise_plus7_phone(value) == normalised
    assert plus7_country(value) == country
    assert is_ru_phone(value) is (country == "RU")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("4111 1111 1111 1111", True),
        ("2200 0000 0000 0004", True),  # Mir range
        ("5555555555554444", True),
        ("2200000000000000", False),
        ("1234567890123456", False),
        ("411111111111", False),  # 12 digits
    ],
)
def test_card_numbers(value: str, valid: bool) -> None:
    assert is_card_number(value) is valid


def test_card_check_tells_cards_from_enp() -> None:
    enp = "7754123456789012"
    assert is_oms_policy(enp)
    assert not is_card_number(enp)
    assert not luhn_ok("12a4")
