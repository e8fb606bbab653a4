"""Tag / label / annotation classifier: every table row, realistic label sets, negatives."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from residency_audit.model import SourceRef
from residency_audit.personal_data.labels import LabelVerdict, classify_labels
from residency_audit.personal_data.lexicon import tokenise

DATA: Any = yaml.safe_load(
    resources.files("residency_audit.personal_data").joinpath("data/labels.yaml").read_text()
)
TF = "infra/storage.tf"


def verdict(*labels: tuple[str, str], kind: str = "label") -> LabelVerdict:
    return classify_labels(tuple(labels), TF, 14, kind=kind)


def ref(note: str) -> SourceRef:
    return SourceRef(TF, 14, note)


# --- every row of data/labels.yaml --------------------------------------------------------


def test_keys_are_listed_once_across_tables() -> None:
    compact = [
        "".join(tokenise(str(k)))
        for k in (
            *(row["key"] for row in DATA["flag_keys"]),
            *DATA["negated_flag_keys"],
            *DATA["classification_keys"],
            *DATA["category_keys"],
            *DATA["subject_keys"],
            *DATA["conditional_subject_keys"],
        )
    ]
    assert all(compact)
    assert len(compact) == len(set(compact))


@pytest.mark.parametrize("row", DATA["flag_keys"], ids=lambda r: str(r["key"]))
def test_every_flag_key(row: dict[str, Any]) -> None:
    implied = (row["category"],) if "category" in row else ()
    yes = verdict((str(row["key"]), "true"))
    assert (yes.personal, yes.categories) == (True, implied)
    no = verdict((str(row["key"]), "false"))
    assert (no.personal, no.categories) == (False, ())
    negated = verdict((f"no-{row['key']}", "true"))
    assert negated.personal is False


@pytest.mark.parametrize("key", DATA["negated_flag_keys"])
def test_every_negated_flag_key(key: str) -> None:
    assert verdict((key, "true")).personal is False
    assert verdict((key, "false")).personal is True


@pytest.mark.parametrize("key", DATA["classification_keys"])
def test_every_classification_key(key: str) -> None:
    assert verdict((key, "PII")).personal is True
    assert verdict((key, "public")).personal is False
    assert verdict((key, "restricted")).personal is None


@pytest.mark.parametrize("key", DATA["category_keys"])
def test_every_category_key(key: str) -> None:
    found = verdict((key, "email, user.name"))
    assert (found.personal, found.categories) == (True, ("user.contact.email", "user.name"))
    assert verdict((key, "none")).personal is False


@pytest.mark.parametrize("key", DATA["subject_keys"])
def test_every_subject_key(key: str) -> None:
    found = verdict((key, "RU"))
    assert (found.personal, found.subjects, found.conditional_subjects) == (True, ("RU",), ())


@pytest.mark.parametrize("key", DATA["conditional_subject_keys"])
def test_every_conditional_subject_key(key: str) -> None:
    found = verdict((key, "RU"))
    assert (found.personal, found.subjects, found.conditional_subjects) == (None, (), ("RU",))


@pytest.mark.parametrize("row", DATA["values"]["personal"], ids=lambda r: str(r["value"]))
def test_every_personal_value(row: dict[str, Any]) -> None:
    found = verdict(("DataClassification", str(row["value"])))
    implied = (row["category"],) if "category" in row else ()
    assert (found.personal, found.categories) == (True, implied)
    assert verdict(("DataClassification", f"non-{row['value']}")).personal is False


@pytest.mark.parametrize("value", DATA["values"]["not_personal"])
def test_every_not_personal_value(value: str) -> None:
    assert verdict(("data_classification", value)).personal is False


@pytest.mark.parametrize("value", DATA["values"]["neutral"])
def test_every_neutral_value(value: str) -> None:
    assert verdict(("data_classification", value)) == LabelVerdict(personal=None)


@pytest.mark.parametrize("value", DATA["true_values"])
def test_every_true_value(value: str) -> None:
    assert verdict(("pii", value)).personal is True


@pytest.mark.parametrize("value", DATA["false_values"])
def test_every_false_value(value: str) -> None:
    assert verdict(("pii", value)).personal is False


@pytest.mark.parametrize(
    ("code", "alias"),
    [(code, str(alias)) for code, aliases in DATA["subject_aliases"].items() for alias in aliases],
)
def test_every_subject_alias(code: str, alias: str) -> None:
    assert verdict(("data_subjects", alias)).subjects == (code,)


@pytest.mark.parametrize("kind", DATA["subject_kinds"])
def test_every_subject_kind(kind: str) -> None:
    for value in (kind, f"{kind}s"):
        found = verdict(("data_subjects", value))
        assert (found.personal, found.subjects) == (True, ()), value


# --- realistic label sets -----------------------------------------------------------------


def test_aws_tags_on_an_s3_bucket() -> None:
    tags = (
        ("Name", "acme-customers-prod"),
        ("Environment", "production"),
        ("Owner", "payments-team"),
        ("CostCenter", "CC-1042"),
        ("DataClassification", "PII"),
        ("Country", "RU"),
    )
    assert classify_labels(tags, TF, 14, kind="tag") == LabelVerdict(
        personal=True,
        categories=(),
        subjects=("RU",),
        evidence=(ref('tag DataClassification = "PII"'), ref('tag Country = "RU"')),
        subject_evidence=(ref('tag Country = "RU"'),),
        conditional_subjects=("RU",),
        conditional_evidence=(ref('tag Country = "RU"'),),
    )


def test_gcp_labels_are_lower_case_only() -> None:
    labels = (
        ("env", "prod"),
        ("team", "identity"),
        ("dataclassification", "confidential-pii"),
        ("data_subjects", "ru"),
        ("goog-terraform-provisioned", "true"),
    )
    assert verdict(*labels) == LabelVerdict(
        personal=True,
        subjects=("RU",),
        evidence=(
            ref('label dataclassification = "confidential-pii"'),
            ref('label data_subjects = "ru"'),
        ),
        subject_evidence=(ref('label data_subjects = "ru"'),),
    )


def test_kubernetes_annotations_with_prefixes() -> None:
    annotations = (
        ("kubectl.kubernetes.io/last-applied-configuration", '{"metadata":{"pii":"true"}}'),
        ("app.kubernetes.io/name", "users-db"),
        ("privacy.acme.io/personal-data", "true"),
        ("privacy.acme.io/data-subjects", "RU,KZ"),
        ("privacy.acme.io/data-categories", "user.contact.email,user.government_id.snils"),
    )
    assert verdict(*annotations, kind="annotation") == LabelVerdict(
        personal=True,
        categories=("user.contact.email", "user.government_id.snils"),
        subjects=("KZ", "RU"),
        # In label order: every one of the three declares personal data.
        evidence=(
            ref('annotation privacy.acme.io/personal-data = "true"'),
            ref('annotation privacy.acme.io/data-subjects = "RU,KZ"'),
            ref(
                "annotation privacy.acme.io/data-categories = "
                '"user.contact.email,user.government_id.snils"'
            ),
        ),
        subject_evidence=(ref('annotation privacy.acme.io/data-subjects = "RU,KZ"'),),
    )


def test_eu_only_subjects_stay_eu() -> None:
    found = verdict(("pii", "true"), ("data_subjects", "EU"))
    assert (found.personal, found.subjects) == (True, ("EU",))


@pytest.mark.parametrize(
    ("value", "subjects"),
    [
        ("RU,KZ", ("KZ", "RU")),
        ("ru kz", ("KZ", "RU")),
        ("ru;by|uz", ("BY", "RU", "UZ")),
        ("Russian Federation", ("RU",)),
        ("russian-citizens", ("RU",)),
        ("EU customers", ("EU",)),
        ("Россия", ("RU",)),
        ("customers", ()),
    ],
)
def test_subject_lists(value: str, subjects: tuple[str, ...]) -> None:
    found = verdict(("data_subjects", value))
    assert (found.personal, found.subjects) == (True, subjects)


@pytest.mark.parametrize(
    ("labels", "personal"),
    [
        ((("data-classification", "pii"),), True),
        ((("DataClassification", "PII"),), True),
        ((("pii", "true"),), True),
        ((("personal_data", "yes"),), True),
        ((("contains-pii", "true"),), True),
        ((("gdpr/personal-data", "true"),), True),
        ((("acme:data-classification", "Restricted-PII"),), True),
        ((("classification", "confidential-pii"),), True),
        ((("classification", "non-pii"),), False),
        ((("DataClassification", "Public"),), False),
        ((("pii", "false"),), False),
        ((("no-pii", "true"),), False),
        ((("non_personal_data", "true"),), False),
        ((("subjects", "none"),), False),
        # A secrecy level alone does not say the data is about people.
        ((("Confidentiality", "Restricted"),), None),
        ((("classification", "internal"),), None),
        ((("pii", "maybe"),), None),
        ((("Name", "users"), ("Environment", "prod"), ("ManagedBy", "terraform")), None),
        ((("image-classification-model", "pii"),), None),
        ((), None),
    ],
)
def test_personal_flag(labels: tuple[tuple[str, str], ...], personal: bool | None) -> None:
    assert classify_labels(labels, TF, None).personal is personal


def test_flag_value_naming_categories() -> None:
    found = verdict(("pii", "email,phone,passport"))
    assert found.categories == (
        "user.contact.email",
        "user.contact.phone_number",
        "user.government_id.passport_number",
    )
    assert verdict(("contains-phi", "true")).categories == ("user.health",)
    assert verdict(("pii_types", "snils inn")).categories == (
        "user.government_id.inn",
        "user.government_id.snils",
    )


def test_positive_declaration_wins_over_negative() -> None:
    found = verdict(("pii", "true"), ("data-classification", "public"))
    assert (found.personal, found.evidence) == (True, (ref('label pii = "true"'),))
    negative = verdict(("pii", "false"), ("data-classification", "public"))
    assert negative.evidence == (
        ref('label pii = "false"'),
        ref('label data-classification = "public"'),
    )


def test_country_counts_only_on_a_personal_store() -> None:
    found = verdict(("country", "RU"), ("team", "growth"))
    assert found == LabelVerdict(
        personal=None,
        conditional_subjects=("RU",),
        conditional_evidence=(ref('label country = "RU"'),),
    )
    assumed = found.assuming_personal()
    assert (assumed.personal, assumed.subjects, assumed.subject_evidence) == (
        None,
        ("RU",),
        (ref('label country = "RU"'),),
    )
    assert verdict(("team", "growth")).assuming_personal() == LabelVerdict(personal=None)
