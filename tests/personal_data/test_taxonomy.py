"""Taxonomy: every row of data/categories.yaml, checked against fideslang 3.2.0."""

from __future__ import annotations

import re

import pytest

from residency_audit.personal_data.taxonomy import Category, all_categories, category

# fideslang 3.2.0 data_files/data_categories.csv: keys not deprecated, as far as this project
# uses them (ethyca/fideslang).
FIDESLANG_CURRENT = {
    "user",
    "user.account",
    "user.account.username",
    "user.authorization",
    "user.authorization.credentials",
    "user.behavior",
    "user.behavior.purchase_history",
    "user.biometrics",
    "user.biometrics.fingerprint",
    "user.biometrics.retinal",
    "user.biometrics.voice",
    "user.children",
    "user.contact",
    "user.contact.address",
    "user.contact.address.city",
    "user.contact.address.country",
    "user.contact.address.mailing_address",
    "user.contact.address.postal_code",
    "user.contact.address.state",
    "user.contact.address.street",
    "user.contact.email",
    "user.contact.fax_number",
    "user.contact.phone_number",
    "user.contact.social_url",
    "user.content",
    "user.content.private",
    "user.content.self_image",
    "user.criminal_history",
    "user.demographic",
    "user.demographic.age_range",
    "user.demographic.citizenship_or_immigration_status",
    "user.demographic.date_of_birth",
    "user.demographic.gender",
    "user.demographic.language",
    "user.demographic.marital_status",
    "user.demographic.philosophical_belief",
    "user.demographic.political_opinion",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.demographic.union_membership",
    "user.device",
    "user.device.cookie_id",
    "user.device.device_id",
    "user.device.ip_address",
    "user.financial",
    "user.financial.bank_account",
    "user.financial.credit_card",
    "user.government_id",
    "user.government_id.birth_certificate",
    "user.government_id.drivers_license_number",
    "user.government_id.immigration",
    "user.government_id.national_identification_number",
    "user.government_id.passport_number",
    "user.government_id.vehicle_registration",
    "user.health",
    "user.health.condition",
    "user.health.genetic",
    "user.health.insurance_beneficiary_id",
    "user.health.medical_diagnosis",
    "user.health.medications",
    "user.health.prescriptions",
    "user.health.record_id",
    "user.location",
    "user.location.coarse",
    "user.location.precise",
    "user.name",
    "user.name.first",
    "user.name.last",
    "user.professional_information",
    "user.professional_information.job_title",
    "user.professional_information.workplace",
    "user.social_activity",
    "user.unique_id",
}

# Deprecated in fideslang 3.2.0, with the key that replaced each.
FIDESLANG_DEPRECATED = {
    "user.biometric": "user.biometrics",
    "user.biometric.health": "user.biometrics",
    "user.biometric.fingerprint": "user.biometrics.fingerprint",
    "user.biometric.retinal": "user.biometrics.retinal",
    "user.biometric.voice": "user.biometrics.voice",
    "user.childrens": "user.children",
    "user.contact.organization": "user.contact",
    "user.contact.url": "user.contact.social_url",
    "user.health_and_medical": "user.health",
    "user.health_and_medical.genetic": "user.health.genetic",
    "user.health_and_medical.insurance_beneficiary_id": "user.health.insurance_beneficiary_id",
    "user.health_and_medical.record_id": "user.health.record_id",
    "user.job_title": "user.professional_information.job_title",
    "user.location.imprecise": "user.location.coarse",
    "user.social": "user.social_activity",
    "user.workplace": "user.professional_information.workplace",
}

ROWS = all_categories()


def known(name: str) -> Category:
    found = category(name)
    assert found is not None, name
    return found


def test_table_is_sorted_and_complete() -> None:
    names = [c.name for c in ROWS]
    assert names == sorted(names)
    assert len(names) == len(set(names)) == 82


@pytest.mark.parametrize("row", ROWS, ids=lambda c: c.name)
def test_every_row(row: Category) -> None:
    assert re.fullmatch(r"user(\.[a-z_]+)*", row.name)
    assert row.title and row.title == row.title.strip()
    if row.parent is not None:
        assert category(row.parent) is not None, f"{row.name}: parent missing"
    # Standard names are exported as themselves; our additions name a real fideslang key.
    assert row.fideslang in FIDESLANG_CURRENT
    if row.name in FIDESLANG_CURRENT:
        assert row.fideslang == row.name
    else:
        assert row.fideslang != row.name
        assert row.fideslang == row.parent or row.name in {
            "user.government_id.oms_policy",
            "user.government_id.snils",
            "user.government_id.inn",
            "user.government_id.ogrnip",
            "user.government_id.internal_passport",
        }
    for alias in row.aliases:
        assert FIDESLANG_DEPRECATED[alias] == row.name
        assert category(alias) == row
    if row.russian_specific:
        assert row.name.startswith("user.government_id.")
    assert not (row.special and row.biometric)


def test_every_deprecated_fideslang_key_resolves() -> None:
    assert {alias: known(alias).name for alias in FIDESLANG_DEPRECATED} == FIDESLANG_DEPRECATED


def test_russian_specific_identifiers() -> None:
    assert {c.name for c in ROWS if c.russian_specific} == {
        "user.government_id.inn",
        "user.government_id.internal_passport",
        "user.government_id.ogrnip",
        "user.government_id.oms_policy",
        "user.government_id.snils",
    }


def test_special_and_biometric_categories() -> None:
    special = {c.name for c in ROWS if c.special}
    assert special == {
        "user.criminal_history",
        "user.demographic.philosophical_belief",
        "user.demographic.political_opinion",
        "user.demographic.race_ethnicity",
        "user.demographic.religious_belief",
        "user.demographic.sexual_orientation",
        "user.health",
        "user.health.condition",
        "user.health.genetic",
        "user.health.medical_diagnosis",
        "user.health.medications",
        "user.health.prescriptions",
        "user.health.record_id",
    }
    assert {c.name for c in ROWS if c.biometric} == {
        "user.biometrics",
        "user.biometrics.face",
        "user.biometrics.fingerprint",
        "user.biometrics.retinal",
        "user.biometrics.voice",
    }
    # Citizenship is not "national origin"; union membership is special under GDPR only.
    assert known("user.demographic.citizenship_or_immigration_status").sensitive is False
    assert known("user.demographic.union_membership").sensitive is False
    assert known("user.health.insurance_beneficiary_id").sensitive is False
    assert known("user.biometrics.face").sensitive is True


def test_lookup_forgives_case_and_blanks_only() -> None:
    snils = known("  User.Government_ID.SNILS ")
    assert snils.name == "user.government_id.snils"
    assert snils.fideslang == "user.government_id.national_identification_number"
    assert snils.parent == "user.government_id"
    assert category("user.government_id.snils.number") is None
    assert category("user/contact/email") is None
    assert category("") is None
    assert known("user").parent is None
