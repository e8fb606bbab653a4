"""Copies in Terraform, scanned by the real CLI: exact edges, derived stores and findings."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import run_cli

RDS_HOST = "bi-reporting.c9akciq32lce.eu-central-1.rds.amazonaws.com"
REPORTING = f'terraform:yandex_datatransfer_endpoint.reporting_target.on_premise["{RDS_HOST}"]'
PROFILES_US = 'terraform:aws_dynamodb_table.profiles.replica["us-east-1"]'
SESSIONS = "terraform:module.sessions.aws_dynamodb_table.this"
ONBOARDING = "terraform:azurerm_storage_account.onboarding"
FRAUD = "terraform:azurerm_cosmosdb_account.fraud"

CUSTOMERS = "infra/aws/customers"
BILLING = "infra/aws/billing"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/tf-copies", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def _stores(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {store["id"]: store for store in report["stores"]}


def test_every_copy_is_an_edge_at_the_line_that_creates_it(report: dict[str, Any]) -> None:
    edges = [(e["from"], e["to"], e["kind"], e["file"], e["line"]) for e in report["edges"]]
    vault = "terraform:aws_backup_vault"
    invoices = "terraform:aws_db_instance.invoices"
    ledger = "terraform:aws_rds_global_cluster.ledger"
    primary = "terraform:aws_rds_cluster.ledger_primary"
    secondary = "terraform:aws_rds_cluster.ledger_secondary"
    assert edges == [
        (f"{vault}.primary", f"{vault}.dr", "backup", f"{CUSTOMERS}/backup.tf", 23),
        (
            invoices,
            "terraform:aws_db_instance.invoices_reporting",
            "replica",
            f"{BILLING}/invoices.tf",
            33,
        ),
        (
            invoices,
            "terraform:aws_db_instance_automated_backups_replication.invoices",
            "backup",
            f"{BILLING}/invoices.tf",
            42,
        ),
        (
            "terraform:aws_dynamodb_table.profiles",
            f"{vault}.primary",
            "backup",
            f"{CUSTOMERS}/backup.tf",
            47,
        ),
        (
            "terraform:aws_dynamodb_table.profiles",
            PROFILES_US,
            "replica",
            f"{CUSTOMERS}/profiles.tf",
            20,
        ),
        (primary, ledger, "replica", f"{BILLING}/ledger.tf", 13),
        (secondary, ledger, "replica", f"{BILLING}/ledger.tf", 36),
        (ledger, primary, "replica", f"{BILLING}/ledger.tf", 13),
        (ledger, secondary, "replica", f"{BILLING}/ledger.tf", 36),
        (
            "terraform:aws_s3_bucket.audit_logs",
            "terraform:aws_s3_bucket.audit_archive",
            "replica",
            f"{BILLING}/audit.tf",
            18,
        ),
        (
            "terraform:aws_s3_bucket.kyc_documents",
            "terraform:aws_s3_bucket.kyc_documents_dr",
            "replica",
            f"{CUSTOMERS}/documents.tf",
            65,
        ),
        (
            FRAUD,
            f'{FRAUD}.geo_location["germanywestcentral"]',
            "replica",
            "infra/azure/cosmos.tf",
            19,
        ),
        (
            "terraform:azurerm_mssql_server.primary",
            "terraform:azurerm_mssql_server.secondary",
            "replica",
            "infra/azure/sql.tf",
            28,
        ),
        (
            ONBOARDING,
            f'{ONBOARDING}.account_replication_type["northeurope"]',
            "replica",
            "infra/azure/storage.tf",
            7,
        ),
        (
            SESSIONS,
            f'{SESSIONS}.replica["eu-west-1"]',
            "replica",
            "infra/aws/modules/global-table/main.tf",
            16,
        ),
        (
            "terraform:yandex_mdb_postgresql_cluster.orders",
            REPORTING,
            "copy",
            "infra/yandex/transfer.tf",
            42,
        ),
    ]


def test_findings_are_exact(report: dict[str, Any]) -> None:
    stores = _stores(report)
    findings = [
        (
            f["category"],
            f["store_id"],
            f["file"],
            f["line"],
            ",".join(stores[f["store_id"]]["location"]["countries"]) or "unknown",
        )
        for f in report["findings"]
    ]
    foreign = "foreign_storage"
    assert findings == [
        (foreign, "terraform:aws_backup_vault.dr", f"{CUSTOMERS}/backup.tf", 5, "IE"),
        (foreign, "terraform:aws_backup_vault.primary", f"{CUSTOMERS}/backup.tf", 1, "DE"),
        (foreign, "terraform:aws_db_instance.invoices", f"{BILLING}/invoices.tf", 2, "DE"),
        (
            foreign,
            "terraform:aws_db_instance.invoices_reporting",
            f"{BILLING}/invoices.tf",
            30,
            "IE",
        ),
        (
            foreign,
            "terraform:aws_db_instance_automated_backups_replication.invoices",
            f"{BILLING}/invoices.tf",
            40,
            "IE",
        ),
        (foreign, "terraform:aws_dynamodb_table.profiles", f"{CUSTOMERS}/profiles.tf", 3, "DE"),
        (foreign, PROFILES_US, f"{CUSTOMERS}/profiles.tf", 20, "US"),
        (foreign, "terraform:aws_rds_cluster.ledger_primary", f"{BILLING}/ledger.tf", 9, "DE"),
        (foreign, "terraform:aws_rds_cluster.ledger_secondary", f"{BILLING}/ledger.tf", 31, "US"),
        (foreign, "terraform:aws_rds_global_cluster.ledger", f"{BILLING}/ledger.tf", 2, "DE"),
        (foreign, "terraform:aws_s3_bucket.audit_archive", "infra/aws/archive/main.tf", 15, "SE"),
        (foreign, "terraform:aws_s3_bucket.audit_logs", f"{BILLING}/audit.tf", 3, "DE"),
        (foreign, "terraform:aws_s3_bucket.kyc_documents", f"{CUSTOMERS}/documents.tf", 2, "DE"),
        (
            foreign,
            "terraform:aws_s3_bucket.kyc_documents_dr",
            f"{CUSTOMERS}/documents.tf",
            18,
            "IE",
        ),
        (foreign, FRAUD, "infra/azure/cosmos.tf", 2, "NL"),
        (foreign, f'{FRAUD}.geo_location["germanywestcentral"]', "infra/azure/cosmos.tf", 19, "DE"),
        (foreign, "terraform:azurerm_mssql_server.primary", "infra/azure/sql.tf", 1, "NL"),
        (foreign, "terraform:azurerm_mssql_server.secondary", "infra/azure/sql.tf", 14, "IE"),
        (foreign, ONBOARDING, "infra/azure/storage.tf", 2, "NL"),
        (
            foreign,
            f'{ONBOARDING}.account_replication_type["northeurope"]',
            "infra/azure/storage.tf",
            7,
            "IE",
        ),
        (
            foreign,
            "terraform:google_storage_bucket.clickstream",
            "infra/gcp/main.tf",
            31,
            "BE,DE,ES,FI,FR,IT,NL,PL,SE",
        ),
        (foreign, "terraform:google_storage_bucket.risk_exports", "infra/gcp/main.tf", 16, "BE,FI"),
        (foreign, SESSIONS, "infra/aws/modules/global-table/main.tf", 1, "DE"),
        (
            foreign,
            f'{SESSIONS}.replica["eu-west-1"]',
            "infra/aws/modules/global-table/main.tf",
            16,
            "IE",
        ),
        ("cross_border_transfer", REPORTING, "infra/yandex/transfer.tf", 26, "DE"),
    ]
    assert report["errors"] == []
    assert report["summary"]["by_severity"]["high"] == 24
    assert report["summary"]["by_severity"]["medium"] == 1


def test_the_transfer_out_of_russia_is_a_cross_border_copy(report: dict[str, Any]) -> None:
    (finding,) = [f for f in report["findings"] if f["category"] == "cross_border_transfer"]
    assert finding["rule_id"] == "RU-152FZ-CROSS-BORDER"
    assert finding["severity"] == "medium"
    assert finding["message"] == (
        "A copy of Russian users' personal data (from "
        "terraform:yandex_mdb_postgresql_cluster.orders) is kept in eu-central-1 (DE), "
        "outside Russia"
    )
    assert {
        "file": "infra/yandex/transfer.tf",
        "line": 26,
        "note": "yandex_datatransfer_endpoint.reporting_target "
        f'settings.postgres_target.connection.on_premise.hosts = "{RDS_HOST}" '
        "(aws eu-central-1)",
    } in finding["evidence"]
    orders = _stores(report)["terraform:yandex_mdb_postgresql_cluster.orders"]
    assert orders["location"]["countries"] == ["RU"]


def test_derived_stores_take_the_source_kind_and_name(report: dict[str, Any]) -> None:
    stores = _stores(report)
    summary = {
        sid: (
            stores[sid]["kind"],
            stores[sid]["name"],
            stores[sid]["file"],
            stores[sid]["line"],
            stores[sid]["location"]["region"],
            stores[sid]["personal_data"]["status"],
        )
        for sid in (
            PROFILES_US,
            f'{ONBOARDING}.account_replication_type["northeurope"]',
            "terraform:aws_db_instance_automated_backups_replication.invoices",
            REPORTING,
        )
    }
    assert summary == {
        PROFILES_US: (
            "key_value",
            "acme-pay-prod-profiles",
            f"{CUSTOMERS}/profiles.tf",
            20,
            "us-east-1",
            "yes",
        ),
        f'{ONBOARDING}.account_replication_type["northeurope"]': (
            "object_storage",
            "acmepayonboarding",
            "infra/azure/storage.tf",
            7,
            "northeurope",
            "yes",
        ),
        "terraform:aws_db_instance_automated_backups_replication.invoices": (
            "relational_db",
            "acme-pay-invoices",
            f"{BILLING}/invoices.tf",
            40,
            "eu-west-1",
            "yes",
        ),
        REPORTING: (
            "relational_db",
            "orders",
            "infra/yandex/transfer.tf",
            26,
            "eu-central-1",
            "yes",
        ),
    }
    replica = stores[PROFILES_US]["personal_data"]
    assert replica["evidence"][0] == {
        "file": f"{CUSTOMERS}/profiles.tf",
        "line": 20,
        "note": f"replica: terraform:aws_dynamodb_table.profiles -> {PROFILES_US} "
        '(aws_dynamodb_table.profiles replica.region_name = "us-east-1")',
    }
    assert len(report["stores"]) == 28


def test_a_dual_region_bucket_is_located_in_its_two_regions(report: dict[str, Any]) -> None:
    bucket = _stores(report)["terraform:google_storage_bucket.risk_exports"]["location"]
    assert (bucket["status"], bucket["region"], bucket["countries"]) == (
        "multi",
        "europe-west1,europe-north1",
        ["BE", "FI"],
    )
    assert [e["line"] for e in bucket["evidence"]] == [18, 22, 22]
