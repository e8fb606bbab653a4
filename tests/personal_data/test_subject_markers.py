"""Subject markers: every row of data/subject_markers.yaml against its own examples."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from residency_audit.personal_data.identifiers import (
    MARKER_CONTEXTS,
    MARKER_STRENGTHS,
    SubjectMarker,
    markers_for,
    subject_markers,
)

ROWS: list[dict[str, Any]] = yaml.safe_load(
    resources.files("residency_audit.personal_data")
    .joinpath("data/subject_markers.yaml")
    .read_text()
)["markers"]
BY_ID = {m.id: m for m in subject_markers()}


def test_rows_load_in_order_with_unique_ids() -> None:
    assert [m.id for m in subject_markers()] == [row["id"] for row in ROWS]
    assert len(BY_ID) == len(ROWS) == 23


@pytest.mark.parametrize("row", ROWS, ids=lambda r: str(r["id"]))
def test_every_marker(row: dict[str, Any]) -> None:
    marker = BY_ID[row["id"]]
    assert marker == SubjectMarker(
        id=row["id"],
        subject=row["subject"],
        context=row["context"],
        strength=row["strength"],
        pattern=row["pattern"],
        note=row["note"],
    )
    assert marker.context in MARKER_CONTEXTS
    assert marker.strength in MARKER_STRENGTHS
    assert marker.subject in {"RU", "KZ", "BY"}
    assert row["examples"] and row["not"]
    for text in row["examples"]:
        assert marker.matches(text), text
    for text in row["not"]:
        assert not marker.matches(text), text


@pytest.mark.parametrize(
    ("context", "literal", "ids"),
    [
        # if user.country == "RU":  /  country_code = models.CharField(default="RU")
        ("country", "RU", ["country-code-ru"]),
        # phonenumbers.parse(raw, "KZ")
        ("country", "KZ", ["country-code-kz"]),
        ("country", "DE", []),
        # PhoneNumberField(region="RU") is a country literal too
        ("country", "Russia", ["country-name-ru"]),
        # widgets.TextInput(attrs={"data-mask": "+7 (999) 999-99-99"})
        ("phone", "+7 (999) 999-99-99", ["phone-ru-number", "phone-plus7-mask"]),
        ("phone", "+7 (701) 555-12-34", ["phone-kz-number"]),
        ("phone", r"^\+7\d{10}$", ["phone-plus7-regex"]),
        # LANGUAGE_CODE = "ru-ru"
        ("locale", "ru-ru", ["locale-ru"]),
        ("locale", "en-us", []),
        # TIME_ZONE = "Europe/Moscow"
        ("text", "Europe/Moscow", ["timezone-ru"]),
        # Payment(amount=Decimal("990.00"), currency="RUB")
        ("currency", "RUB", ["currency-rub"]),
        # UserFactory(email="test.user@yandex.ru")
        ("email", "test.user@yandex.ru", ["email-ru-domain"]),
        # SOCIAL_AUTH_AUTHENTICATION_BACKENDS = ["social_core.backends.vk.VKOAuth2", ...]
        ("text", "social_core.backends.vk.VKOAuth2", ["social-auth-ru-backend"]),
        # verbose_name="СНИЛС"
        ("text", "СНИЛС", ["russian-identifier-words"]),
        # requirements.txt
        ("dependency", "yookassa", ["ru-payment-package"]),
        # the right pattern in the wrong context never fires
        ("text", "RU", []),
    ],
)
def test_markers_for_realistic_literals(context: str, literal: str, ids: list[str]) -> None:
    assert [m.id for m in markers_for(context, literal)] == ids
