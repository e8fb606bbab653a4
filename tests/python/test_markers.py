"""Signs in code of whose data it handles, with their lines and enclosing functions."""

from __future__ import annotations

import textwrap

from residency_audit.sources.python import parse_python


def hits(text: str) -> list[tuple[str, str, str, int, str, str]]:
    facts = parse_python("app/users.py", textwrap.dedent(text).encode())
    assert facts.errors == ()
    return [(h.marker, h.subject, h.text, h.line, h.function, h.class_name) for h in facts.markers]


def test_country_checks_in_comparisons_keywords_and_dict_keys() -> None:
    found = hits(
        """\
        def eligible(user, payload):
            if user.country == "RU":
                return True
            if payload["citizenship"] in ("KZ", "BY"):
                return False
            return register(country_code="RU", profile={"nationality": "RUS"})
        """
    )
    assert found == [
        ("country-code-ru", "RU", "RU", 2, "app.users.eligible", ""),
        ("country-code-kz", "KZ", "KZ", 4, "app.users.eligible", ""),
        ("country-code-by", "BY", "BY", 4, "app.users.eligible", ""),
        ("country-code-ru", "RU", "RU", 6, "app.users.eligible", ""),
        ("country-code-ru", "RU", "RUS", 6, "app.users.eligible", ""),
    ]


def test_a_literal_only_counts_in_its_context() -> None:
    # "RU" compared with a status, "ru" as an API path: not a country, not a locale
    assert hits('def f(order):\n    return order.status == "RU" or "/ru/" in order.url\n') == []


def test_phone_locale_and_library_calls() -> None:
    found = hits(
        """\
        import phonenumbers
        from faker import Faker

        PHONE_RE = r"^\\+7\\d{10}$"
        LANGUAGE_CODE = "ru-ru"
        fake = Faker("ru_RU")


        class Profile:
            def normalise(self, raw):
                number = phonenumbers.parse(raw, "RU")
                return f"+7{number.national_number}"
        """
    )
    assert found == [
        ("phone-plus7-regex", "RU", "^\\+7\\d{10}$", 4, "", ""),
        ("locale-ru", "RU", "ru-ru", 5, "", ""),
        ("locale-ru", "RU", "ru_RU", 6, "", ""),
        ("country-code-ru", "RU", "RU", 11, "app.users.Profile.normalise", ""),
        ("phone-plus7-prefix", "RU", "+7", 12, "app.users.Profile.normalise", ""),
    ]


def test_text_and_email_literals_but_not_docstrings() -> None:
    found = hits(
        '''\
        """Users from all of Россия sign in through esia.gosuslugi.ru."""


        class Patient:
            snils_label = "СНИЛС"
            tz = "Europe/Moscow"


        def seed():
            """Test data: ivan@mail.ru"""
            return {"email": "ivan.petrov@mail.ru"}
        '''
    )
    assert found == [
        ("russian-identifier-words", "RU", "СНИЛС", 5, "", "app.users.Patient"),
        ("timezone-ru", "RU", "Europe/Moscow", 6, "", "app.users.Patient"),
        ("email-ru-domain", "RU", "ivan.petrov@mail.ru", 11, "app.users.seed", ""),
    ]
