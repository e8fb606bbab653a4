"""An operator-managed Postgres whose copies leave the cluster, scanned by the real CLI.

``fixtures/k8s-operator-pg``: a CloudNativePG cluster in the Moscow cluster ships its WAL
archive to S3 in Stockholm; a replica cluster in Frankfurt restores from that archive;
Velero backs the Moscow cluster up to a bucket Terraform declares in Ireland.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import run_cli

PRIMARY = "k8s:Cluster/billing/billing-pg"
REPLICA = "k8s:Cluster/billing/billing-pg-reports"
OFFSITE = "code:s3://acme-billing-offsite"
VELERO = "terraform:aws_s3_bucket.velero_dr"
POSTGRES = "clusters/moscow/billing/postgres.yaml"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/k8s-operator-pg", "--format", "json")
    # Copies abroad are medium: the gate at the default (high) passes, --fail-on medium fails.
    assert run.exit_code == 0, run.stderr
    return run.json()


def stores(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {store["id"]: store for store in report["stores"]}


def test_stores_and_where_they_are(report: dict[str, Any]) -> None:
    assert [
        (
            s["id"],
            s["kind"],
            s["source"],
            s["file"],
            s["line"],
            s["location"]["provider"],
            s["location"]["region"],
            s["location"]["countries"],
            s["personal_data"]["status"],
        )
        for s in report["stores"]
    ] == [
        (OFFSITE, "object_storage", "kubernetes", POSTGRES, 26, "aws", "eu-north-1", ["SE"], "yes"),
        (
            PRIMARY,
            "relational_db",
            "kubernetes",
            POSTGRES,
            3,
            "yandex",
            "ru-central1",
            ["RU"],
            "yes",
        ),
        (
            REPLICA,
            "relational_db",
            "kubernetes",
            "clusters/frankfurt/billing/replica.yaml",
            3,
            "aws",
            "eu-central-1",
            ["DE"],
            "yes",
        ),
        # The Velero bucket is the one Terraform declares, not a second store of the manifest.
        (
            VELERO,
            "object_storage",
            "terraform",
            "infra/aws/main.tf",
            15,
            "aws",
            "eu-west-1",
            ["IE"],
            "yes",
        ),
    ]


def test_backup_replica_and_velero_edges(report: dict[str, Any]) -> None:
    assert report["edges"] == [
        {"from": PRIMARY, "to": OFFSITE, "kind": "backup", "file": POSTGRES, "line": 26},
        {
            "from": PRIMARY,
            "to": REPLICA,
            "kind": "replica",
            "file": "clusters/frankfurt/billing/replica.yaml",
            "line": 18,
        },
        {
            "from": PRIMARY,
            "to": VELERO,
            "kind": "backup",
            "file": "clusters/moscow/velero/backup-location.yaml",
            "line": 9,
        },
    ]


def test_every_copy_abroad_is_a_cross_border_transfer(report: dict[str, Any]) -> None:
    assert [
        (f["rule_id"], f["category"], f["severity"], f["store_id"], f["file"], f["line"])
        for f in report["findings"]
    ] == [
        ("RU-152FZ-CROSS-BORDER", "cross_border_transfer", "medium", OFFSITE, POSTGRES, 26),
        (
            "RU-152FZ-CROSS-BORDER",
            "cross_border_transfer",
            "medium",
            REPLICA,
            "clusters/frankfurt/billing/replica.yaml",
            3,
        ),
        (
            "RU-152FZ-CROSS-BORDER",
            "cross_border_transfer",
            "medium",
            VELERO,
            "infra/aws/main.tf",
            15,
        ),
    ]
    assert report["findings"][1]["message"] == (
        "A copy of Russian users' personal data (from k8s:Cluster/billing/billing-pg) is kept "
        "in eu-central-1 (DE), outside Russia"
    )


def test_the_copies_say_how_the_data_got_there(report: dict[str, Any]) -> None:
    by_id = stores(report)
    assert by_id[OFFSITE]["location"]["evidence"] == [
        {
            "file": POSTGRES,
            "line": 26,
            "note": "Cluster billing-pg: spec.backup.barmanObjectStore.destinationPath "
            "s3://acme-billing-offsite/billing-pg",
        },
        {
            "file": POSTGRES,
            "line": 27,
            "note": "Cluster billing-pg: endpoint host s3.eu-north-1.amazonaws.com is aws (aws-s3)",
        },
    ]
    assert by_id[REPLICA]["personal_data"]["evidence"][0] == {
        "file": "clusters/frankfurt/billing/replica.yaml",
        "line": 18,
        "note": f"replica: {PRIMARY} -> {REPLICA} (Cluster billing-pg-reports: "
        f"spec.replica.source billing-pg makes it a replica of {PRIMARY})",
    }
    assert by_id[PRIMARY]["personal_data"]["evidence"][0] == {
        "file": POSTGRES,
        "line": 3,
        "note": 'label data-classification = "pii"',
    }


def test_fail_on_medium_fails_the_gate() -> None:
    run = run_cli("scan", "fixtures/k8s-operator-pg", "--format", "json", "--fail-on", "medium")
    assert run.exit_code == 1, run.stderr
    assert run.json()["summary"]["by_severity"]["medium"] == 3
