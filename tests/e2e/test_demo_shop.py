"""The demo repository, scanned by the real CLI: exact findings, exit codes, golden JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.e2e.conftest import REPO, run_cli

GOLDEN = REPO / "tests" / "golden" / "demo-shop.json"


def _findings(document: dict[str, Any]) -> list[tuple[str, str, str, int, str]]:
    stores = {s["id"]: s for s in document["stores"]}
    return [
        (
            f["category"],
            f["store_id"],
            f["file"],
            f["line"],
            ",".join(stores[f["store_id"]]["location"]["countries"]) or "unknown",
        )
        for f in document["findings"]
    ]


def test_demo_findings_are_exact() -> None:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    assert _findings(document) == [
        (
            "foreign_storage",
            "terraform:aws_s3_bucket.customer_documents",
            "infra/aws/storage.tf",
            6,
            "DE",
        ),
        (
            "unknown_location",
            "terraform:aws_dynamodb_table.customer_events",
            "infra/aws/analytics.tf",
            2,
            "unknown",
        ),
    ]
    foreign = document["findings"][0]
    assert foreign["severity"] == "high"
    assert foreign["rule_id"] == "RU-152FZ-LOCALIZATION"
    assert {
        "file": "infra/aws/variables.tf",
        "line": 4,
        "note": 'variable "aws_region" default = "eu-central-1"',
    } in foreign["evidence"]
    assert document["errors"] == []


def test_demo_inventory_covers_compliant_and_non_personal_stores() -> None:
    document = run_cli("scan", "fixtures/demo-shop", "--format", "json").json()
    stores = {s["id"]: s for s in document["stores"]}
    orders = stores["terraform:yandex_mdb_postgresql_cluster.orders"]
    assert orders["location"]["countries"] == ["RU"]
    assert orders["personal_data"]["status"] == "yes"
    assert (orders["file"], orders["line"]) == ("infra/yandex/main.tf", 31)
    assets = stores["terraform:aws_s3_bucket.static_assets"]
    assert assets["location"]["countries"] == ["DE"]
    assert assets["personal_data"]["status"] == "no"
    sessions = stores["k8s:StatefulSet/shop/sessions-redis"]
    assert sessions["location"]["status"] == "resolved"
    assert sessions["location"]["countries"] == ["RU"]
    assert stores["terraform:aws_dynamodb_table.customer_events"]["location"]["status"] == "unknown"


def test_fail_on_threshold_and_stdout_purity(tmp_path: Path) -> None:
    assert (
        run_cli("scan", "fixtures/demo-shop", "--format", "json", "--fail-on", "critical").exit_code
        == 0
    )
    assert (
        run_cli("scan", "fixtures/demo-shop", "--format", "json", "--fail-on", "none").exit_code
        == 0
    )
    assert (
        run_cli("scan", "fixtures/demo-shop", "--format", "json", "--fail-on", "medium").exit_code
        == 1
    )
    out = tmp_path / "report.json"
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json", "-o", str(out))
    assert run.exit_code == 1
    assert run.stdout == ""
    assert json.loads(out.read_text())["summary"]["findings"] == 2


def test_table_report_for_people() -> None:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "table")
    assert run.exit_code == 1
    assert (
        "HIGH     RU-152FZ-LOCALIZATION  terraform:aws_s3_bucket.customer_documents" in run.stdout
    )
    assert (
        'infra/aws/providers.tf:2  provider "aws" region = var.aws_region (eu-central-1)'
        in run.stdout
    )
    assert run.stdout.rstrip().endswith(
        "2 finding(s) (1 high, 1 medium), 0 suppressed, 5 store(s), 14 file(s) scanned, 0 error(s)"
    )


def test_golden_json() -> None:
    """Any change to the demo report must be deliberate: UPDATE_GOLDEN=1 rewrites the file."""
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json")
    run.json()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(run.stdout)
    assert run.stdout == GOLDEN.read_text()


def test_same_tree_gives_identical_output() -> None:
    first = run_cli("scan", "fixtures/demo-shop", "--format", "json").stdout
    second = run_cli("scan", "fixtures/demo-shop", "--format", "json").stdout
    assert first == second
