"""Plain Kubernetes manifests scanned by the real CLI: multi-document files, a ``kind: List``
export, operator resources, labelled claims, a Helm chart left out with a hint, and broken
YAML reported as errors while the rest is scanned."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import run_cli

Row = tuple[str, str, str, int, str, str | None, str | None, tuple[str, ...], str]


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/k8s-shop", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def rows(report: dict[str, Any]) -> list[Row]:
    return [
        (
            s["id"],
            s["kind"],
            s["file"],
            s["line"],
            s["location"]["status"],
            s["location"]["provider"],
            s["location"]["region"],
            tuple(s["location"]["countries"]),
            s["personal_data"]["status"],
        )
        for s in report["stores"]
    ]


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {store["id"]: store for store in report["stores"]}


def test_every_store_with_its_declaration_and_location(shop: dict[str, Any]) -> None:
    assert rows(shop) == [
        (
            "code:s3://acme-cluster-backups",
            "object_storage",
            "deploy/ru/velero.yaml",
            10,
            "resolved",
            "yandex",
            "ru-central1",
            ("RU",),
            "yes",
        ),
        (
            "code:s3://acme-orders-pg-backups",
            "object_storage",
            "deploy/ru/orders-pg.yaml",
            21,
            "resolved",
            "aws",
            "eu-west-1",
            ("IE",),
            "yes",
        ),
        (
            "k8s:Cluster/orders/orders-pg",
            "relational_db",
            "deploy/ru/orders-pg.yaml",
            1,
            "resolved",
            "yandex",
            "ru-central1",
            ("RU",),
            "yes",
        ),
        # An item of a `kind: List` export, at the line of the item itself.
        (
            "k8s:Deployment/shop/fragment-cache",
            "cache",
            "deploy/eu/list.yaml",
            17,
            "resolved",
            "aws",
            "eu-central-1",
            ("DE",),
            "unknown",
        ),
        (
            "k8s:Deployment/shop/session-cache",
            "key_value",
            "deploy/eu/redis.yaml",
            1,
            "resolved",
            "aws",
            "eu-central-1",
            ("DE",),
            "unknown",
        ),
        (
            "k8s:PersistentVolumeClaim/default/customer-uploads",
            "block_storage",
            "deploy/staging/uploads-pvc.yaml",
            1,
            "unknown",
            None,
            None,
            (),
            "yes",
        ),
        (
            "k8s:StatefulSet/analytics/events-clickhouse",
            "warehouse",
            "deploy/legacy/clickhouse.yaml",
            1,
            "unknown",
            None,
            "eu-west-3",
            (),
            "unknown",
        ),
        (
            "k8s:StatefulSet/catalog/catalog-search",
            "search",
            "deploy/legacy/search.yaml",
            1,
            "resolved",
            "aws",
            "eu-west-3",
            ("FR",),
            "unknown",
        ),
        (
            "k8s:StatefulSet/profiles/profiles-mongo",
            "document_db",
            "deploy/ru/mongo.yaml",
            3,
            "resolved",
            "yandex",
            "ru-central1",
            ("RU",),
            "likely",
        ),
        # The second document of postgres.yaml (after its Service).
        (
            "k8s:StatefulSet/shop/users-db",
            "relational_db",
            "deploy/eu/postgres.yaml",
            16,
            "resolved",
            "aws",
            "eu-central-1",
            ("DE",),
            "yes",
        ),
        (
            "k8s:StatefulSet/staging/rabbitmq",
            "message_queue",
            "deploy/staging/rabbitmq.yaml",
            1,
            "unknown",
            None,
            None,
            (),
            "unknown",
        ),
    ]


def test_findings_point_at_the_declaring_documents(shop: dict[str, Any]) -> None:
    assert [
        (f["rule_id"], f["category"], f["severity"], f["store_id"], f["file"], f["line"])
        for f in shop["findings"]
    ] == [
        (
            "RU-152FZ-LOCALIZATION",
            "foreign_storage",
            "high",
            "k8s:StatefulSet/shop/users-db",
            "deploy/eu/postgres.yaml",
            16,
        ),
        (
            "RU-152FZ-CROSS-BORDER",
            "cross_border_transfer",
            "medium",
            "code:s3://acme-orders-pg-backups",
            "deploy/ru/orders-pg.yaml",
            21,
        ),
        (
            "RU-152FZ-UNKNOWN-LOCATION",
            "unknown_location",
            "medium",
            "k8s:PersistentVolumeClaim/default/customer-uploads",
            "deploy/staging/uploads-pvc.yaml",
            1,
        ),
    ]
    assert shop["summary"] == {
        "files_scanned": 18,
        "stores": 11,
        "findings": 3,
        "by_severity": {"critical": 0, "high": 1, "medium": 2, "low": 0, "info": 0},
    }
    assert shop["errors"] == []


def test_storage_class_in_another_file_places_the_statefulset(shop: dict[str, Any]) -> None:
    users = by_id(shop)["k8s:StatefulSet/shop/users-db"]
    assert users["location"]["evidence"] == [
        {
            "file": ".residency-audit.yaml",
            "line": 4,
            "note": "kubernetes.clusters maps deploy/eu/postgres.yaml (deploy/eu/**) to aws "
            "eu-central-1",
        },
        {
            "file": "deploy/eu/postgres.yaml",
            "line": 68,
            "note": "StatefulSet users-db claims storage data of class gp3-encrypted",
        },
        {"file": "deploy/eu/storageclass.yaml", "line": 2, "note": "StorageClass gp3-encrypted"},
        {
            "file": "deploy/eu/storageclass.yaml",
            "line": 19,
            "note": "StorageClass gp3-encrypted: allowedTopologies topology.ebs.csi.aws.com/zone "
            "In [eu-central-1a, eu-central-1b]",
        },
    ]
    # Subjects from the store's own annotation, ahead of the project's data_subjects.
    assert users["personal_data"]["subjects"] == ["RU"]
    assert users["personal_data"]["evidence"] == [
        {
            "file": "deploy/eu/postgres.yaml",
            "line": 16,
            "note": 'label residency-audit/personal-data = "true"',
        },
        {
            "file": "deploy/eu/postgres.yaml",
            "line": 16,
            "note": 'label residency-audit/data-subjects = "RU"',
        },
    ]


def test_backups_are_copy_edges_to_buckets_located_by_endpoint(shop: dict[str, Any]) -> None:
    assert shop["edges"] == [
        {
            "from": "k8s:Cluster/orders/orders-pg",
            "to": "code:s3://acme-cluster-backups",
            "kind": "backup",
            "file": "deploy/ru/velero.yaml",
            "line": 10,
        },
        {
            "from": "k8s:Cluster/orders/orders-pg",
            "to": "code:s3://acme-orders-pg-backups",
            "kind": "backup",
            "file": "deploy/ru/orders-pg.yaml",
            "line": 21,
        },
        {
            "from": "k8s:StatefulSet/profiles/profiles-mongo",
            "to": "code:s3://acme-cluster-backups",
            "kind": "backup",
            "file": "deploy/ru/velero.yaml",
            "line": 10,
        },
    ]
    offsite = by_id(shop)["code:s3://acme-orders-pg-backups"]
    assert offsite["location"]["evidence"][-1] == {
        "file": "deploy/ru/orders-pg.yaml",
        "line": 22,
        "note": "Cluster orders-pg: endpoint host s3.eu-west-1.amazonaws.com is aws (aws-s3)",
    }


def test_unplaced_stores_say_what_to_declare(shop: dict[str, Any]) -> None:
    clickhouse = by_id(shop)["k8s:StatefulSet/analytics/events-clickhouse"]
    assert clickhouse["location"]["evidence"][-1] == {
        "file": "deploy/legacy/clickhouse.yaml",
        "line": 18,
        "note": "StatefulSet events-clickhouse: nodeSelector topology.kubernetes.io/region In "
        "[eu-west-3] pins eu-west-3, but nothing says which cloud the cluster runs in; "
        "declare it under kubernetes.clusters in the config",
    }


def test_the_helm_chart_is_skipped_with_one_hint(shop: dict[str, Any]) -> None:
    assert [h for h in shop["hints"] if "Helm" in h] == [
        "Helm chart charts/shop not scanned (2 template file(s)): scan its rendered output "
        "instead, saved in the repository (helm template charts/shop > rendered.yaml) or piped "
        "in (helm template charts/shop | residency-audit scan --k8s-stdin)"
    ]
    assert not any(s["file"].startswith("charts/") for s in shop["stores"])


def test_broken_manifests_are_errors_and_templates_are_hints() -> None:
    run = run_cli("scan", "fixtures/k8s-broken", "--format", "json")
    assert run.exit_code == 0, run.stderr
    report = run.json()
    assert report["errors"] == [
        {
            "file": "alias-bomb.yaml",
            "line": 11,
            "message": "YAML document would expand to more than 500000 nodes (alias bomb or "
            "generated data); not read",
        },
        {
            "file": "broken.yaml",
            "line": 18,
            "message": "YAML syntax error: did not find expected '-' indicator",
        },
        {
            "file": "latin1.yaml",
            "line": 6,
            "message": "not valid UTF-8 text (byte 0xE9 at line 6); manifests must be UTF-8",
        },
    ]
    assert report["hints"] == [
        "unquoted-template.yaml:7: template syntax ({{ ... }}) makes this file invalid YAML: "
        "skipped. Scan the rendered manifests (helm template, gomplate, ...) to include what it "
        "deploys"
    ]
    assert report["stores"] == []
    assert report["summary"]["files_scanned"] == 5
