from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.config import ConfigError
from residency_audit.graph import ResidencyGraph
from residency_audit.model import (
    Edge,
    EdgeKind,
    Location,
    LocationStatus,
    PersonalData,
    PersonalDataStatus,
    Severity,
    SourceRef,
    Store,
)
from residency_audit.policy.evaluate import evaluate, fingerprint
from residency_audit.policy.load import builtin_policy_ids, load_policy, parse_policy


def _store(
    sid: str,
    countries: tuple[str, ...] | None,
    status: PersonalDataStatus = PersonalDataStatus.YES,
    subjects: tuple[str, ...] = ("RU",),
) -> Store:
    if countries is None:
        location = Location.unknown(SourceRef("infra/main.tf", 2, "var.region has no default"))
    else:
        location = Location(
            LocationStatus.RESOLVED,
            "aws",
            "eu-central-1",
            countries,
            (SourceRef("infra/main.tf", 3, "provider aws region eu-central-1"),),
        )
    personal = PersonalData(
        status,
        ("user.contact.email",),
        subjects,
        (SourceRef("infra/main.tf", 9, 'tag DataClassification = "PII"'),),
    )
    return Store(sid, "object_storage", "terraform", "infra/main.tf", 7, location, "b", personal)


def test_builtin_policy_loads() -> None:
    assert builtin_policy_ids() == ("ru-152fz",)
    policy = load_policy("ru-152fz")
    assert policy.subjects == ("RU",)
    assert policy.allowed_countries == ("RU",)
    assert [r.id for r in policy.rules] == [
        "RU-152FZ-LOCALIZATION",
        "RU-152FZ-CROSS-BORDER",
        "RU-152FZ-UNKNOWN-LOCATION",
    ]


def test_foreign_unknown_and_compliant_stores() -> None:
    graph = ResidencyGraph(
        [
            _store("terraform:aws_s3_bucket.abroad", ("DE",)),
            _store("terraform:aws_s3_bucket.home", ("RU",)),
            _store("terraform:aws_s3_bucket.nowhere", None),
            _store("terraform:aws_s3_bucket.eu_users", ("DE",), subjects=("EU",)),
            _store("terraform:aws_s3_bucket.assets", ("DE",), status=PersonalDataStatus.NO),
            _store("terraform:aws_s3_bucket.guess", ("DE",), status=PersonalDataStatus.LIKELY),
        ],
        [],
    )
    findings = evaluate(graph, [load_policy("ru-152fz")])
    summary = [(f.store_id, f.category, f.severity) for f in findings]
    assert summary == [
        ("terraform:aws_s3_bucket.abroad", "foreign_storage", Severity.HIGH),
        ("terraform:aws_s3_bucket.guess", "foreign_storage", Severity.MEDIUM),
        ("terraform:aws_s3_bucket.nowhere", "unknown_location", Severity.MEDIUM),
    ]
    abroad = findings[0]
    assert abroad.message == (
        "Personal data of Russian users is stored in eu-central-1 (DE), outside Russia"
    )
    assert abroad.file == "infra/main.tf" and abroad.line == 7
    assert [e.line for e in abroad.evidence] == [3, 9]
    assert abroad.fingerprint == fingerprint("RU-152FZ-LOCALIZATION", abroad.store_id)
    assert findings[2].message.endswith("var.region has no default")


def test_copies_abroad_of_russian_and_of_foreign_stores() -> None:
    home = _store("terraform:aws_s3_bucket.home", ("RU",))
    abroad = _store("terraform:aws_s3_bucket.abroad", ("DE",))
    replica_of_home = _store(
        "terraform:aws_s3_bucket.replica_a", ("FI",), status=PersonalDataStatus.UNKNOWN, subjects=()
    )
    replica_of_abroad = _store(
        "terraform:aws_s3_bucket.replica_b", ("US",), status=PersonalDataStatus.UNKNOWN, subjects=()
    )
    graph = ResidencyGraph(
        [home, abroad, replica_of_home, replica_of_abroad],
        [
            Edge(home.id, replica_of_home.id, EdgeKind.REPLICA, "infra/replication.tf", 4),
            Edge(abroad.id, replica_of_abroad.id, EdgeKind.BACKUP, "infra/backup.tf", 8),
        ],
    ).propagate_personal_data()
    copy = graph.stores[replica_of_home.id].personal_data
    assert copy.status is PersonalDataStatus.YES
    assert copy.subjects == ("RU",)
    assert copy.copied_from == (home.id,)
    assert copy.evidence[0] == SourceRef(
        "infra/replication.tf",
        4,
        "replica: terraform:aws_s3_bucket.home -> terraform:aws_s3_bucket.replica_a",
    )
    findings = {f.store_id: f for f in evaluate(graph, [load_policy("ru-152fz")])}
    assert findings[replica_of_home.id].category == "cross_border_transfer"
    assert findings[replica_of_home.id].rule_id == "RU-152FZ-CROSS-BORDER"
    assert findings[replica_of_abroad.id].category == "foreign_storage"
    assert home.id not in findings


def test_copy_cycles_terminate() -> None:
    a = _store("terraform:aws_s3_bucket.a", ("RU",))
    b = _store("terraform:aws_s3_bucket.b", ("DE",), status=PersonalDataStatus.UNKNOWN, subjects=())
    graph = ResidencyGraph(
        [a, b], [Edge(a.id, b.id, EdgeKind.REPLICA), Edge(b.id, a.id, EdgeKind.REPLICA)]
    ).propagate_personal_data()
    assert graph.stores[b.id].personal_data.copied_from == (a.id,)


def test_policy_file_mistakes_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_policy(
            "id: x\ntitle: t\nsubjects: [RU]\nallowed_countries: [RU]\nrules:\n"
            "  - id: R\n    category: foreign_storage\n    severity: severe\n"
            "    title: t\n    when: {}\n    message: m\n",
            "p.yaml",
        )
    assert raised.value.file == "p.yaml"
    assert raised.value.key == "rules.0.severity"
    with pytest.raises(ConfigError, match="no such policy"):
        load_policy("does-not-exist.yaml", tmp_path)
