"""Field-name and store-name lexicons: every data row, realistic models, false friends."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from residency_audit.personal_data.lexicon import (
    FieldMatch,
    NameHint,
    match_field,
    skeleton,
    store_name_hint,
    tokenise,
)
from residency_audit.personal_data.taxonomy import category


def load(name: str) -> Any:
    text = resources.files("residency_audit.personal_data").joinpath(f"data/{name}").read_text()
    return yaml.safe_load(text)


FIELDS = load("fields.yaml")
STORES = load("store_names.yaml")
LIST_NAMES = {"names", "weak", "exact", "translit", "translit_exact", "cyrillic", "cyrillic_exact"}


def field_rows() -> list[tuple[str, str, str]]:
    return [
        (family["key"], list_name, str(spelling))
        for family in FIELDS["families"]
        for list_name in LIST_NAMES
        for spelling in family.get(list_name, ())
    ]


# --- data rows ----------------------------------------------------------------------------


def test_field_families_are_well_formed() -> None:
    keys = [f["key"] for f in FIELDS["families"]]
    assert len(keys) == len(set(keys))
    for family in FIELDS["families"]:
        assert set(family) <= {"key", "category", "not_before"} | LIST_NAMES, family["key"]
        assert category(family["category"]) is not None, family["key"]
        assert any(family.get(n) for n in LIST_NAMES), family["key"]
    for list_name in ("not_after", "not_before"):
        words = FIELDS["context"][list_name]
        assert len(words) == len(set(words)), list_name
        assert all(w == w.lower() and tokenise(w) == (w,) for w in words), list_name


@pytest.mark.parametrize(("key", "list_name", "spelling"), field_rows())
def test_every_spelling_matches_its_own_family(key: str, list_name: str, spelling: str) -> None:
    """Each listed spelling, used as a field name on its own, lands in its family with the
    strength and script its list promises. This catches spellings shadowed by another
    family or killed by the context words."""
    written = spelling.replace("*", "")
    match = match_field(written)
    assert match is not None, spelling
    assert match.key == key, (spelling, match)
    assert match.weak == (list_name in {"weak", "exact", "translit_exact", "cyrillic_exact"})
    assert match.russian_name == (list_name not in {"names", "weak", "exact"})


def test_no_spelling_is_listed_twice() -> None:
    seen: dict[tuple[str, ...], str] = {}
    for key, list_name, spelling in field_rows():
        script = "en" if list_name in {"names", "weak", "exact"} else list_name.split("_")[0]
        form = (script, *tokenise(spelling.replace("*", "")))
        assert form not in seen, (spelling, key, seen.get(form))
        seen[form] = key


def test_store_name_lists_are_well_formed() -> None:
    subject_spellings: set[str] = set()
    for row in STORES["subjects"]:
        assert category(row["category"]) is not None, row["key"]
        assert row["note"].strip(), row["key"]
        for list_name in ("names", "translit"):
            subject_spellings.update(row.get(list_name, ()))
    lists = [set(STORES[n]) for n in ("noise", "record_heads", "not_with")]
    for words in lists:
        assert all(w == w.lower() and tokenise(w) == (w,) for w in words)
    assert not lists[1] & lists[0]
    assert not lists[2] & lists[1]
    assert not (lists[0] | lists[1] | lists[2]) & subject_spellings


@pytest.mark.parametrize(
    ("key", "spelling"),
    [
        (row["key"], str(s))
        for row in STORES["subjects"]
        for list_name in ("names", "translit")
        for s in row.get(list_name, ())
    ],
)
def test_every_subject_spelling_is_a_hint(key: str, spelling: str) -> None:
    hint = store_name_hint(f"acme-prod-{spelling}")
    assert hint is not None, spelling
    assert hint.key == key


# --- tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("firstName", ("first", "name")),
        ("PassportSeriesNumber", ("passport", "series", "number")),
        ("IPAddress", ("ip", "address")),
        ("userIDs", ("user", "ids")),
        ("x-forwarded-for", ("x", "forwarded", "for")),
        ("user.contact.email", ("user", "contact", "email")),
        ('"Customer Email"', ("customer", "email")),
        ("address_line2", ("address", "line", "2")),
        ("icd10Code", ("icd", "10", "code")),
        ("ДатаРождения", ("дата", "рождения")),
        ("СтраховойНомерПФР", ("страховой", "номер", "пфр")),
        ("Отчёство", ("отчество",)),
        ("__init__", ("init",)),
        ("", ()),
    ],
)
def test_tokenise(name: str, tokens: tuple[str, ...]) -> None:
    assert tokenise(name) == tokens


@pytest.mark.parametrize(
    ("spellings", "folded"),
    [
        (("familiya", "familija", "familia", "familiia", "familya"), "famila"),
        (("rozhdeniya", "rojdenia", "rozhdenia"), "rozdena"),
        (("registratsiya", "registraciya", "registratciia"), "registraca"),
        (("strahovoy", "strakhovoy", "strahovoj", "strakhovoi"), "strahovo"),
        (("vydan", "vidan"), "vidan"),
    ],
)
def test_skeleton_folds_romanisations(spellings: tuple[str, ...], folded: str) -> None:
    assert {skeleton(s) for s in spellings} == {folded}


def test_skeleton_keeps_distinct_words_apart() -> None:
    assert skeleton("poll") != skeleton("pol")
    assert skeleton("policy") != skeleton("polis")


# --- realistic models ---------------------------------------------------------------------


def fm(
    key: str, cat: str, *, weak: bool = False, ru: bool = False, rn: bool = False, v: str
) -> FieldMatch:
    return FieldMatch(key, cat, russian_specific=ru, weak=weak, russian_name=rn, variant=v)


# class Customer(models.Model) in a Russian e-commerce Django app.
DJANGO_CUSTOMER = {
    "last_name": fm("last_name", "user.name.last", v="last_name"),
    "first_name": fm("first_name", "user.name.first", v="first_name"),
    "middle_name": fm("patronymic", "user.name", v="middle_name"),
    "email": fm("email", "user.contact.email", v="email"),
    "phone": fm("phone", "user.contact.phone_number", v="phone"),
    "birth_date": fm("birth_date", "user.demographic.date_of_birth", v="birth_date"),
    "passport_series": fm(
        "internal_passport", "user.government_id.internal_passport", ru=True, v="passport_series"
    ),
    "passport_number": fm("passport", "user.government_id.passport_number", v="passport_number"),
    "passport_issued_by": fm(
        "internal_passport", "user.government_id.internal_passport", ru=True, v="passport_issued_by"
    ),
    "snils": fm("snils", "user.government_id.snils", ru=True, v="snils"),
    "inn": fm("inn", "user.government_id.inn", ru=True, v="inn"),
    "registration_address": fm("address", "user.contact.address", v="registration_address"),
    "shipping_address_line2": fm("address", "user.contact.address", v="shipping_address"),
    "city": fm("city", "user.contact.address.city", weak=True, v="city"),
    "postal_code": fm("postal_code", "user.contact.address.postal_code", v="postal_code"),
    "last_login_ip": fm("ip_address", "user.device.ip_address", v="last_login_ip"),
    "name": fm("full_name", "user.name", weak=True, v="name"),
    "id": None,
    "slug": None,
    "is_active": None,
    "created_at": None,
    "updated_at": None,
    "email_verified": None,
    "phone_confirmed_at": None,
    "email_template_id": None,
    "user_id": None,
    "status": None,
}

# SQLAlchemy models of a clinic and an HR system with transliterated column names.
SQLALCHEMY_TRANSLIT = {
    "familiya": fm("last_name", "user.name.last", rn=True, v="familiya"),
    "Familia": fm("last_name", "user.name.last", rn=True, v="familiya"),
    "imya": fm("first_name", "user.name.first", weak=True, rn=True, v="imya"),
    "otchestvo": fm("patronymic", "user.name", rn=True, v="otchestvo"),
    "fio_pacienta": fm("full_name", "user.name", rn=True, v="fio_pacienta"),
    "data_rozhdeniya": fm(
        "birth_date", "user.demographic.date_of_birth", rn=True, v="data_rozhdeniya"
    ),
    "data_rojdenia": fm(
        "birth_date", "user.demographic.date_of_birth", rn=True, v="data_rozhdeniya"
    ),
    "mesto_rozhdeniya": fm(
        "birth_place", "user.demographic.place_of_birth", rn=True, v="mesto_rozhdeniya"
    ),
    "pasport_seriya": fm(
        "internal_passport",
        "user.government_id.internal_passport",
        ru=True,
        rn=True,
        v="pasport_seriya",
    ),
    "kem_vidan": fm(
        "internal_passport", "user.government_id.internal_passport", ru=True, rn=True, v="kem_vydan"
    ),
    "kod_podrazdeleniya": fm(
        "internal_passport",
        "user.government_id.internal_passport",
        ru=True,
        rn=True,
        v="kod_podrazdeleniya",
    ),
    "polis_oms_number": fm(
        "oms_policy", "user.government_id.oms_policy", ru=True, rn=True, v="polis_oms_number"
    ),
    "unifiedPolicyNumber": fm(
        "oms_policy", "user.government_id.oms_policy", ru=True, v="unified_policy_number"
    ),
    "adres_registracii": fm("address", "user.contact.address", rn=True, v="adres_registracii"),
    "adres_prozhivaniya": fm("address", "user.contact.address", rn=True, v="adres_prozhivaniya"),
    "telefon": fm("phone", "user.contact.phone_number", rn=True, v="telefon"),
    "diagnoz": fm("diagnosis", "user.health.medical_diagnosis", rn=True, v="diagnoz"),
    "mkb10_kod": fm("diagnosis", "user.health.medical_diagnosis", rn=True, v="mkb10"),
    "gruppa_krovi": fm("health_condition", "user.health.condition", rn=True, v="gruppa_krovi"),
    "dolzhnost": fm("job_title", "user.professional_information.job_title", rn=True, v="dolzhnost"),
    "tabelny_nomer": fm(
        "employee_number", "user.professional_information", rn=True, v="tabelny_nomer"
    ),
    "raschetny_schet": fm(
        "bank_account", "user.financial.bank_account", rn=True, v="raschetny_schet"
    ),
    "strakhovoy_nomer": fm(
        "snils", "user.government_id.snils", ru=True, rn=True, v="strahovoy_nomer"
    ),
}

# 1C-style exports and Python identifiers in Cyrillic (PEP 3131), and verbose_name texts.
CYRILLIC = {
    "Фамилия": fm("last_name", "user.name.last", rn=True, v="фамили*"),
    "ДатаРождения": fm("birth_date", "user.demographic.date_of_birth", rn=True, v="дата_рождения"),
    "Дата рождения": fm("birth_date", "user.demographic.date_of_birth", rn=True, v="дата_рождения"),
    "СтраховойНомерПФР": fm(
        "snils", "user.government_id.snils", ru=True, rn=True, v="страховой_номер_пфр"
    ),
    "СНИЛС": fm("snils", "user.government_id.snils", ru=True, rn=True, v="снилс"),
    "ИНН": fm("inn", "user.government_id.inn", ru=True, rn=True, v="инн"),
    "СерияПаспорта": fm(
        "internal_passport",
        "user.government_id.internal_passport",
        ru=True,
        rn=True,
        v="серия_паспорта",
    ),
    "Паспортные данные": fm(
        "internal_passport", "user.government_id.internal_passport", ru=True, rn=True, v="паспорт*"
    ),
    "пол": fm("gender", "user.demographic.gender", weak=True, rn=True, v="пол"),
    "имя_файла": None,
    "Иннокентий": None,
}

# Names that look personal to a substring matcher but are not a person's data.
FALSE_FRIENDS = {
    name: None
    for name in (
        "hostname",
        "file_name",
        "table_name",
        "bucket_name",
        "innodb_buffer_pool_size",
        "inner_join",
        "dinner_time",
        "smtp_server_address",
        "bind_address",
        "mac_addr_prefix",
        "server_ip",
        "ip_whitelist",
        "mobile_app_version",
        "zip_file",
        "race_condition",
        "policy",
        "poll",
        "polling_interval",
        "support_email",
        "company_phone",
        "legal_address",
        "telegram_bot_token",
        "email_subject",
        "phone_number_type",
        "address_type",
        "oms_order_id",
        "position",
        "client_id",
        "document_type",
        "has_passport",
    )
}

NAMED_EXTRAS = {
    "username": fm("username", "user.account.username", v="username"),
    "user_name": fm("username", "user.account.username", v="user_name"),
    "emailAddress": fm("email", "user.contact.email", v="email_address"),
    "customer_emails": fm("email", "user.contact.email", v="email"),
    "ip_address": fm("ip_address", "user.device.ip_address", v="ip_address"),
    "REMOTE_ADDR": fm("ip_address", "user.device.ip_address", v="remote_addr"),
    "company_contact_phone": fm("phone", "user.contact.phone_number", v="phone"),
    "card_number": fm("card_number", "user.financial.credit_card", v="card_number"),
    "face_embedding": fm("face_template", "user.biometrics.face", v="face_embedding"),
    "nationality": fm(
        "citizenship", "user.demographic.citizenship_or_immigration_status", v="nationality"
    ),
    "natsionalnost": fm("ethnicity", "user.demographic.race_ethnicity", rn=True, v="natsionalnost"),
    "kz_iin": fm("national_id", "user.government_id.national_identification_number", v="iin"),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *DJANGO_CUSTOMER.items(),
        *SQLALCHEMY_TRANSLIT.items(),
        *CYRILLIC.items(),
        *FALSE_FRIENDS.items(),
        *NAMED_EXTRAS.items(),
    ],
)
def test_match_field(name: str, expected: FieldMatch | None) -> None:
    assert match_field(name) == expected


# --- store names --------------------------------------------------------------------------


def nh(key: str, cat: str, token: str, note: str) -> NameHint:
    return NameHint(key, cat, token, note)


USERS = ("users", "user", "user records")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("users", nh("users", "user", "users", "user records")),
        ("acme-prod-users", nh("users", "user", "users", "user records")),
        ("auth_user", nh("users", "user", "user", "user records")),
        ("users-v2-backup", nh("users", "user", "users", "user records")),
        ("user-service-db", nh("users", "user", "user", "user records")),
        ("Customers", nh("customers", "user", "customers", "customer records")),
        ("customer-data-eu-west-1", nh("customers", "user", "customer", "customer records")),
        ("klienty", nh("customers", "user", "klienty", "customer records")),
        ("polzovateli", nh("users", "user", "polzovateli", "user records")),
        ("patsienty", nh("patients", "user.health", "patsienty", "patient records")),
        ("patient-records", nh("patients", "user.health", "patient", "patient records")),
        (
            "sotrudniki",
            nh("employees", "user.professional_information", "sotrudniki", "employee records"),
        ),
        (
            "hr-documents",
            nh("employees", "user.professional_information", "hr", "employee records"),
        ),
        (
            "passports",
            nh("passports", "user.government_id.passport_number", "passports", "passport data"),
        ),
        (
            "acme-passport-scans",
            nh("passports", "user.government_id.passport_number", "passport", "passport data"),
        ),
        ("kyc", nh("kyc", "user.government_id", "kyc", "identity-verification (KYC) documents")),
        (
            "kyc-docs",
            nh("kyc", "user.government_id", "kyc", "identity-verification (KYC) documents"),
        ),
        ("team-members", nh("people", "user", "members", "records about people")),
        ("accounts", nh("accounts", "user.account", "accounts", "user accounts")),
        ("user-profiles", nh("profiles", "user", "user profiles", "user profiles")),
        (
            "customer-addresses",
            nh("address", "user.contact.address", "addresses", "stored postal address"),
        ),
        ("user_emails", nh("email", "user.contact.email", "emails", "stored email address")),
        (
            "phone_numbers",
            nh("phone", "user.contact.phone_number", "phone numbers", "stored phone number"),
        ),
        # The head noun decides: users only qualify what these hold.
        ("user-uploads-thumbnails", None),
        ("user-uploads", None),
        ("user-events", None),
        ("user_sessions", None),
        ("customer-invoices", None),
        # Software clients and accounts, fixtures.
        ("oauth_clients", None),
        ("service-accounts", None),
        ("chart_of_accounts", None),
        ("fake-users", None),
        # Plainly not people.
        ("static-assets", None),
        ("logs", None),
        ("access-logs", None),
        ("tfstate", None),
        ("acme-terraform-state", None),
        ("email-templates", None),
        ("orders", None),
        ("cities", None),
        ("prod-backup", None),
        ("", None),
    ],
)
def test_store_name_hint(name: str, expected: NameHint | None) -> None:
    assert store_name_hint(name) == expected
