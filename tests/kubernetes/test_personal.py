from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit.config import Config, load_config
from residency_audit.graph import ResidencyGraph
from residency_audit.model import (
    Edge,
    EdgeKind,
    Location,
    LocationStatus,
    PersonalData,
    PersonalDataStatus,
    SourceRef,
    Store,
)
from residency_audit.sources.kubernetes.external import WorkloadWrite
from residency_audit.sources.kubernetes.personal import apply_workload_labels

RDS = "terraform:aws_db_instance.orders"
SNAPSHOTS = "code:s3://orders-snapshots"
API = "k8s:Deployment/orders/api"
WORKLOAD = SourceRef("deploy/api.yaml", 1, "Deployment api")
DE = Location(LocationStatus.RESOLVED, "aws", "eu-central-1", ("DE",))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / ".residency-audit.yaml").write_text("fail_on: high\ndata_subjects: [RU]\n")
    return load_config(tmp_path, None)


def store(ident: str, personal: PersonalData | None = None) -> Store:
    return Store(
        ident, "relational_db", "terraform", "main.tf", 5, DE, "orders", personal or PersonalData()
    )


def write(labels: tuple[tuple[str, str], ...], target: str = RDS) -> WorkloadWrite:
    edge = Edge(API, target, EdgeKind.WRITES, "deploy/api.yaml", 20, "Deployment api env X names h")
    return WorkloadWrite(edge, labels, WORKLOAD)


def graph(*stores: Store) -> ResidencyGraph:
    backup = Edge(RDS, SNAPSHOTS, EdgeKind.BACKUP, "main.tf", 30, "")
    return ResidencyGraph(stores, (backup,))


def test_a_labelled_workload_makes_its_store_personal_and_the_copies_follow(
    config: Config,
) -> None:
    before = graph(store(RDS), store(SNAPSHOTS))
    after = apply_workload_labels(before, [write((("personal-data", "true"),))], config)
    rds = after.stores[RDS].personal_data
    assert (rds.status, rds.subjects, rds.copied_from) == (PersonalDataStatus.YES, ("RU",), ())
    assert rds.evidence == (
        SourceRef(
            "deploy/api.yaml",
            20,
            f"{API} connects to it and handles personal data (Deployment api env X names h)",
        ),
        SourceRef("deploy/api.yaml", 1, 'label personal-data = "true"'),
        SourceRef(".residency-audit.yaml", 2, "config declares the project's data subjects: RU"),
    )
    snapshots = after.stores[SNAPSHOTS].personal_data
    assert (snapshots.status, snapshots.copied_from) == (PersonalDataStatus.YES, (RDS,))


def test_unlabelled_workloads_change_nothing(config: Config) -> None:
    before = graph(store(RDS))
    assert apply_workload_labels(before, [write((("app", "api"),))], config) is before


def test_the_workloads_own_subjects_win_over_the_project(config: Config) -> None:
    labels = (("pii", "true"), ("data-subjects", "EU"))
    after = apply_workload_labels(graph(store(RDS)), [write(labels)], config)
    assert after.stores[RDS].personal_data.subjects == ("EU",)


def test_a_store_declared_not_personal_stays_so(config: Config) -> None:
    declared = PersonalData(PersonalDataStatus.NO, evidence=(SourceRef("main.tf", 9, "tag"),))
    after = apply_workload_labels(graph(store(RDS, declared)), [write((("pii", "true"),))], config)
    assert after.stores[RDS].personal_data == declared


def test_a_name_guess_becomes_a_yes_with_the_workload_as_evidence(config: Config) -> None:
    guessed = PersonalData(
        PersonalDataStatus.LIKELY,
        ("user.name",),
        ("RU",),
        (SourceRef("main.tf", 5, "name 'orders' suggests ..."),),
    )
    after = apply_workload_labels(graph(store(RDS, guessed)), [write((("pii", "true"),))], config)
    personal = after.stores[RDS].personal_data
    assert personal.status is PersonalDataStatus.YES
    assert personal.categories == ("user.name",)
    assert SourceRef("main.tf", 5, "name 'orders' suggests ...") not in personal.evidence
