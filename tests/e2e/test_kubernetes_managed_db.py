"""Workloads pointing at managed databases outside the cluster, scanned by the real CLI.

``fixtures/k8s-managed-db``: the cluster runs in Yandex Cloud (Moscow), but the orders API
(labelled as handling personal data) writes to an RDS instance Terraform declares in
Frankfurt; a worker reads a Yandex managed PostgreSQL host from a ConfigMap; a CronJob
labelled PII exports to a legacy Azure MySQL server whose host names no region.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import run_cli

RDS = "terraform:aws_db_instance.orders"
YANDEX = "code:postgresql://rc1b-8kd3n2m4x7q1jz5w.mdb.yandexcloud.net"
AZURE = "code:mysql://acme-crm.mysql.database.azure.com/crm"
CONFIG_SUBJECTS = {
    "file": ".residency-audit.yaml",
    "line": 1,
    "note": "config declares the project's data subjects: RU",
}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/k8s-managed-db", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def stores(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {store["id"]: store for store in report["stores"]}


def test_managed_stores_are_linked_not_duplicated(report: dict[str, Any]) -> None:
    assert [
        (
            s["id"],
            s["name"],
            s["kind"],
            s["source"],
            s["file"],
            s["line"],
            s["location"]["status"],
            s["location"]["provider"],
            s["location"]["region"],
            s["location"]["countries"],
        )
        for s in report["stores"]
    ] == [
        (
            AZURE,
            "crm",
            "relational_db",
            "kubernetes",
            "deploy/crm/crm-sync.yaml",
            22,
            "unknown",
            "azure",
            None,
            [],
        ),
        (
            YANDEX,
            "rc1b-8kd3n2m4x7q1jz5w.mdb.yandexcloud.net",
            "relational_db",
            "kubernetes",
            "deploy/loyalty/loyalty.yaml",
            7,
            "resolved",
            "yandex",
            "ru-central1",
            ["RU"],
        ),
        # The RDS host starts with the instance identifier: the Terraform store it is.
        (
            RDS,
            "orders",
            "relational_db",
            "terraform",
            "infra/aws/main.tf",
            14,
            "resolved",
            "aws",
            "eu-central-1",
            ["DE"],
        ),
    ]


def test_writes_edges_start_at_the_workloads_env(report: dict[str, Any]) -> None:
    assert report["edges"] == [
        {
            "from": "k8s:CronJob/crm/crm-sync",
            "to": AZURE,
            "kind": "writes",
            "file": "deploy/crm/crm-sync.yaml",
            "line": 22,
        },
        {
            "from": "k8s:CronJob/crm/crm-sync",
            "to": RDS,
            "kind": "writes",
            "file": "deploy/crm/crm-sync.yaml",
            "line": 24,
        },
        # envFrom: the edge is at the envFrom entry, the value at the ConfigMap key.
        {
            "from": "k8s:Deployment/loyalty/loyalty-worker",
            "to": YANDEX,
            "kind": "writes",
            "file": "deploy/loyalty/loyalty.yaml",
            "line": 34,
        },
        # The URL is in a Secret; the edge is at the env entry that reads it.
        {
            "from": "k8s:Deployment/orders/orders-api",
            "to": RDS,
            "kind": "writes",
            "file": "deploy/orders/orders-api.yaml",
            "line": 34,
        },
    ]


def test_labelled_workloads_make_the_stores_they_write_personal(report: dict[str, Any]) -> None:
    rds = stores(report)[RDS]["personal_data"]
    assert (rds["status"], rds["subjects"]) == ("yes", ["RU"])
    assert rds["evidence"] == [
        {
            "file": "deploy/crm/crm-sync.yaml",
            "line": 24,
            "note": "k8s:CronJob/crm/crm-sync connects to it and handles personal data (CronJob "
            "crm-sync env SOURCE_DATABASE_URL names "
            "orders.c7x2kq9vbn4d.eu-central-1.rds.amazonaws.com)",
        },
        {
            "file": "deploy/crm/crm-sync.yaml",
            "line": 2,
            "note": 'label data-classification = "confidential-pii"',
        },
        {
            "file": "deploy/orders/orders-api.yaml",
            "line": 34,
            "note": "k8s:Deployment/orders/orders-api connects to it and handles personal data "
            "(Deployment orders-api env DATABASE_URL names "
            "orders.c7x2kq9vbn4d.eu-central-1.rds.amazonaws.com)",
        },
        {
            "file": "deploy/orders/orders-api.yaml",
            "line": 10,
            "note": 'label acme.io/personal-data = "true"',
        },
        CONFIG_SUBJECTS,
    ]


def test_findings_for_the_store_abroad_and_the_unplaceable_one(report: dict[str, Any]) -> None:
    assert [
        (f["rule_id"], f["severity"], f["store_id"], f["file"], f["line"], f["message"])
        for f in report["findings"]
    ] == [
        (
            "RU-152FZ-LOCALIZATION",
            "high",
            RDS,
            "infra/aws/main.tf",
            14,
            "Personal data of Russian users is stored in eu-central-1 (DE), outside Russia",
        ),
        (
            "RU-152FZ-UNKNOWN-LOCATION",
            "medium",
            AZURE,
            "deploy/crm/crm-sync.yaml",
            22,
            "Personal data of Russian users is stored where the scan cannot tell: endpoint "
            "acme-crm.mysql.database.azure.com of azure names no region; the store's own "
            "declaration (Terraform) may",
        ),
    ]


def test_connection_stores_are_located_from_the_host(report: dict[str, Any]) -> None:
    yandex = stores(report)[YANDEX]
    assert yandex["location"]["evidence"] == [
        {
            "file": "deploy/loyalty/loyalty.yaml",
            "line": 7,
            "note": "ConfigMap loyalty-db key PG_HOST",
        },
        {
            "file": "deploy/loyalty/loyalty.yaml",
            "line": 7,
            "note": "host rc1b-8kd3n2m4x7q1jz5w.mdb.yandexcloud.net is yandex mdb "
            "(yandex-mdb-host)",
        },
    ]


def test_passwords_in_connection_strings_never_reach_the_report(report: dict[str, Any]) -> None:
    text = json.dumps(report)
    assert "orders.c7x2kq9vbn4d" in text  # the hosts are there ...
    assert "hunter2" not in text  # ... the passwords beside them are not
    assert "change-me" not in text
