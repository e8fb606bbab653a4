"""Format and checksum tests for Russian personal identifiers (pii-ru.md §1–2).

A string literal in scanned code that passes one of these tests is value evidence: a
checksum-valid SNILS in a fixture says more than a column merely called ``snils``. Every
test is a pure function of the string, never raises, and accepts only ASCII digits after
removing the separators people type (spaces, NBSP, hyphens; brackets and dots in phone
numbers); full-width digits are folded to ASCII first.

Most of these numbers are short runs of digits, so a pass is only a signal: the caller
should also have a field name or keyword nearby (pii-ru.md §2, "needs context").

The same literals carry the other half of the story, whose people they are:
:func:`subject_markers` lists the patterns (``country == "RU"``, ``+7`` masks, ``ru_RU``,
Moscow time) from ``data/subject_markers.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from residency_audit.datafiles import load_yaml

_PACKAGE = "residency_audit.personal_data"

_FULL_WIDTH = {0xFF10 + d: str(d) for d in range(10)}
_BLANKS = {0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x2010: "-", 0x2011: "-", 0x2013: "-"}


def _digits(value: str, separators: str = " -") -> str | None:
    """``value`` without separators if only ASCII digits remain, else ``None``."""
    text = value.translate(_FULL_WIDTH).translate(_BLANKS).strip()
    for sep in separators:
        text = text.replace(sep, "")
    return text if text.isascii() and text.isdigit() else None


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


# --- SNILS --------------------------------------------------------------------------------

_SNILS_UNCHECKED_UP_TO = 1_001_998  # 001-001-998: issued before check pairs were assigned


def is_snils(value: str) -> bool:
    """SNILS: 9 digits and a 2-digit check number (``112-233-445 95``).

    The check is the sum of the body digits weighted 9..1, reduced as the Social Fund does:
    kept if below 100, ``00`` for 100 and 101, otherwise ``mod 101`` with 100 again
    becoming ``00``. Numbers up to 001-001-998 predate the check and pass on format alone;
    an all-zero body never passes.
    """
    digits = _digits(value)
    if digits is None or len(digits) != 11:
        return False
    body = int(digits[:9])
    if body == 0:
        return False
    if body <= _SNILS_UNCHECKED_UP_TO:
        return True
    return digits[9:] == snils_check_number(digits[:9])


def snils_check_number(body: str) -> str:
    """The two check digits for a 9-digit SNILS body."""
    total = _weighted(body, (9, 8, 7, 6, 5, 4, 3, 2, 1))
    if total > 101:
        total %= 101
    return "00" if total >= 100 else f"{total:02d}"


# --- INN ----------------------------------------------------------------------------------

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(_weighted(digits, weights) % 11 % 10)


def is_personal_inn(value: str) -> bool:
    """12-digit INN of a natural person (or individual entrepreneur): two check digits."""
    digits = _digits(value)
    return (
        digits is not None
        and len(digits) == 12
        and int(digits) != 0
        and digits[10] == _inn_digit(digits[:10], _INN11)
        and digits[11] == _inn_digit(digits[:11], _INN12)
    )


def is_company_inn(value: str) -> bool:
    """10-digit INN of a legal entity: one check digit. Not personal data by itself."""
    digits = _digits(value)
    return (
        digits is not None
        and len(digits) == 10
        and int(digits) != 0
        and digits[9] == _inn_digit(digits[:9], _INN10)
    )


def is_inn(value: str) -> bool:
    """Either form of INN."""
    return is_personal_inn(value) or is_company_inn(value)


# --- OGRNIP -------------------------------------------------------------------------------


def is_ogrnip(value: str) -> bool:
    """15-digit registration number of an individual entrepreneur (a natural person).

    Check digit: the last digit of ``int(first 14) mod 13`` (pii-ru.md §1.3, [P]); unlike
    python-stdnum 2.2 this accepts remainders 10–12. First digit 3 (stdnum also allows 4).
    """
    digits = _digits(value)
    return (
        digits is not None
        and len(digits) == 15
        and digits[0] in "34"
        and digits[14] == str(int(digits[:14]) % 13 % 10)
    )


# --- OMS / ENP ----------------------------------------------------------------------------


def is_oms_policy(value: str) -> bool:
    """16-digit unified OMS policy number (ENP), by length only.

    No primary source for a check digit was found (pii-ru.md §1.6, [U]), and 16 digits is
    also the length of most bank cards: this needs a field name such as ``polis_oms``.
    """
    digits = _digits(value)
    return digits is not None and len(digits) == 16 and int(digits) != 0


# --- passport -----------------------------------------------------------------------------

_PASSPORT = re.compile(r"(\d{2}) ?(\d{2})[ -]?(?:№ ?|N ?)?(\d{6})")


def is_ru_passport(value: str) -> bool:
    """Series and number of a Russian internal passport: ``45 06 123456``, ``4506 №123456``.

    There is no checksum; series ``00`` and number ``000000`` are never issued. Any
    10-digit number has this shape, so it needs a field name or keyword.
    """
    text = value.translate(_FULL_WIDTH).translate(_BLANKS).strip()
    text = re.sub(r"\s+", " ", text)
    found = _PASSPORT.fullmatch(text)
    return found is not None and found[1] != "00" and found[3] != "000000"


# --- phone numbers ------------------------------------------------------------------------

_PHONE_SEPARATORS = " -().\t"


def normalise_plus7_phone(value: str) -> str | None:
    """``+7XXXXXXXXXX`` for a number in the shared +7 numbering plan, else ``None``.

    Accepts ``+7 (916) 123-45-67``, ``8 916 123 45 67`` (trunk prefix 8) and
    ``79161234567``; a bare 10-digit number is not accepted, because without a prefix it
    is as likely an account or passport number.
    """
    text = value.translate(_FULL_WIDTH).translate(_BLANKS).strip()
    plus = text.startswith("+")
    digits = _digits(text.removeprefix("+"), _PHONE_SEPARATORS)
    if digits is None or len(digits) != 11:
        return None
    if digits[0] == "7" or (digits[0] == "8" and not plus):
        return "+7" + digits[1:]
    return None


def plus7_country(value: str) -> str | None:
    """``RU`` or ``KZ`` for a +7 number, by its first national digit.

    Kazakhstan has the ``7xx`` codes; Russia's plan starts with 3, 4, 8 or 9 (pii-ru.md
    §1.7, checked against libphonenumber). ``+7 6xx`` and other starts are unassigned.
    Abkhazia's 840/940 and Crimea's 978 are reported as ``RU`` because they are in the
    Russian numbering plan, which says nothing about territory.
    """
    number = normalise_plus7_phone(value)
    if number is None:
        return None
    first = number[2]
    if first == "7":
        return "KZ"
    if first in "3489":
        return "RU"
    return None


def is_ru_phone(value: str) -> bool:
    """A phone number of the Russian numbering plan."""
    return plus7_country(value) == "RU"


# --- payment cards ------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The Luhn mod-10 check used by card numbers and IMEIs."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card_number(value: str) -> bool:
    """A 13–19 digit card number passing Luhn; tells a card apart from a 16-digit ENP."""
    digits = _digits(value)
    return digits is not None and 13 <= len(digits) <= 19 and int(digits) != 0 and luhn_ok(digits)


# --- subject markers ----------------------------------------------------------------------

MARKER_CONTEXTS = ("country", "phone", "locale", "currency", "email", "text", "dependency")
MARKER_STRENGTHS = ("strong", "medium", "weak")


@dataclass(frozen=True)
class SubjectMarker:
    """A pattern in code that says whose data it handles (``subject``, e.g. ``RU``).

    ``context`` tells the analyser which literals to try it on (see the data file's
    header); ``strength`` is ``strong``, ``medium`` or ``weak``.
    """

    id: str
    subject: str
    context: str
    strength: str
    pattern: str
    note: str

    def matches(self, text: str) -> bool:
        return _compiled(self.pattern).search(text) is not None


class MarkerTableError(ValueError):
    """The shipped marker table is malformed: a packaging bug, never user input."""


@cache
def subject_markers() -> tuple[SubjectMarker, ...]:
    """Every marker, in the data file's order."""
    text = resources.files(_PACKAGE).joinpath("data/subject_markers.yaml").read_text("utf-8")
    markers = tuple(
        SubjectMarker(
            id=str(row["id"]),
            subject=str(row["subject"]),
            context=str(row["context"]),
            strength=str(row["strength"]),
            pattern=str(row["pattern"]),
            note=str(row["note"]),
        )
        for row in load_yaml(text)["markers"]
    )
    for marker in markers:
        if marker.context not in MARKER_CONTEXTS or marker.strength not in MARKER_STRENGTHS:
            raise MarkerTableError(f"marker {marker.id}: bad context or strength")
        _compiled(marker.pattern)
    return markers


def markers_for(context: str, text: str) -> tuple[SubjectMarker, ...]:
    """The markers of ``context`` that ``text`` (one literal) matches."""
    return tuple(m for m in subject_markers() if m.context == context and m.matches(text))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
