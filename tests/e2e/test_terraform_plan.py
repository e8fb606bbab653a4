"""Saved Terraform plans (``terraform show -json``), scanned by the real CLI: found by their
content, merged with the .tf sources, or given with ``--plan``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.e2e.conftest import FIXTURES, run_cli

WITH_SOURCES = FIXTURES / "tf-plan" / "with-sources"
PLAN_ONLY = FIXTURES / "tf-plan" / "plan-only"
PLAN = "fixtures/tf-plan/with-sources/infra/prod/plan.json"


def _findings(document: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(f["category"], f["store_id"], f["file"], f["line"]) for f in document["findings"]]


def _locations(document: dict[str, Any]) -> dict[str, tuple[str, str | None, list[str]]]:
    return {
        s["id"]: (s["location"]["status"], s["location"]["region"], s["location"]["countries"])
        for s in document["stores"]
    }


WITH_SOURCES_FINDINGS = [
    ("foreign_storage", "terraform:aws_s3_bucket.audit_logs[0]", "infra/prod/storage.tf", 20),
    ("foreign_storage", "terraform:aws_s3_bucket.audit_logs[1]", "infra/prod/storage.tf", 20),
    ("foreign_storage", "terraform:aws_s3_bucket.customer_documents", "infra/prod/storage.tf", 2),
    (
        "foreign_storage",
        "terraform:aws_s3_bucket.customer_documents_dr",
        "infra/prod/storage.tf",
        10,
    ),
    (
        "foreign_storage",
        'terraform:module.customers_db["checkout"].aws_db_instance.this',
        "infra/modules/postgres/main.tf",
        1,
    ),
    (
        "foreign_storage",
        'terraform:module.customers_db["loyalty"].aws_db_instance.this',
        "infra/modules/postgres/main.tf",
        1,
    ),
]


def test_sources_alone_cannot_place_the_stores(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(WITH_SOURCES, root)
    (root / "infra" / "prod" / "plan.json").unlink()
    document = run_cli("scan", str(root), "--format", "json").json()
    assert _locations(document)["terraform:aws_s3_bucket.customer_documents"] == (
        "unknown",
        None,
        [],
    )
    assert "terraform:aws_s3_bucket.audit_logs" in _locations(document)


def test_a_plan_beside_the_sources_places_them_at_their_blocks() -> None:
    run = run_cli("scan", "fixtures/tf-plan/with-sources", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    assert document["errors"] == []
    assert _findings(document) == WITH_SOURCES_FINDINGS
    assert _locations(document) == {
        "terraform:aws_s3_bucket.audit_logs[0]": ("resolved", "eu-central-1", ["DE"]),
        "terraform:aws_s3_bucket.audit_logs[1]": ("resolved", "eu-central-1", ["DE"]),
        "terraform:aws_s3_bucket.customer_documents": ("resolved", "eu-central-1", ["DE"]),
        "terraform:aws_s3_bucket.customer_documents_dr": ("resolved", "eu-north-1", ["SE"]),
        'terraform:module.customers_db["checkout"].aws_db_instance.this': (
            "resolved",
            "eu-central-1",
            ["DE"],
        ),
        'terraform:module.customers_db["loyalty"].aws_db_instance.this': (
            "resolved",
            "eu-central-1",
            ["DE"],
        ),
    }
    documents = next(
        f for f in document["findings"] if f["store_id"].endswith("customer_documents")
    )
    assert documents["evidence"][:3] == [
        {
            "file": "infra/prod/plan.json",
            "line": 86,
            "note": "aws_s3_bucket.customer_documents is in the plan",
        },
        {
            "file": "infra/prod/plan.json",
            "line": 8,
            "note": 'plan variable aws_region = "eu-central-1"',
        },
        {
            "file": "infra/prod/plan.json",
            "line": 830,
            "note": 'provider "aws" region = var.aws_region (eu-central-1)',
        },
    ]
    tag = {"file": "infra/prod/storage.tf", "line": 2, "note": 'tag DataClassification = "PII"'}
    assert tag in documents["evidence"]
    assert document["summary"]["files_scanned"] == 10


def test_a_repository_with_only_a_plan_reports_at_the_plan_lines() -> None:
    run = run_cli("scan", "fixtures/tf-plan/plan-only", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    plan = "plans/prod.tfplan.json"
    assert document["errors"] == []
    assert _findings(document) == [
        ("foreign_storage", "terraform:google_sql_database_instance.accounts", plan, 89),
        ("foreign_storage", "terraform:google_storage_bucket.user_uploads", plan, 162),
        (
            "unknown_location",
            "terraform:module.crm[0].google_sql_database_instance.contacts",
            plan,
            400,
        ),
    ]
    locations = _locations(document)
    assert locations["terraform:yandex_mdb_postgresql_cluster.orders"] == (
        "resolved",
        "ru-central1",
        ["RU"],
    )
    assert locations["terraform:yandex_storage_bucket.receipts"] == (
        "resolved",
        "ru-central1",
        ["RU"],
    )
    assert locations['terraform:google_bigquery_dataset.analytics["marketing"]'] == (
        "resolved",
        "europe-west1",
        ["BE"],
    )
    unknown = document["findings"][2]
    assert unknown["evidence"][1] == {
        "file": plan,
        "line": 1132,
        "note": 'provider "google" (alias analytics) sets no region; region taken from the '
        "environment at apply time (GOOGLE_REGION, GCLOUD_REGION, CLOUDSDK_COMPUTE_REGION, "
        "GOOGLE_ZONE, GCLOUD_ZONE, CLOUDSDK_COMPUTE_ZONE)",
    }
    # The plan and the config file; renovate.json is JSON but not a plan, READMEs are prose.
    assert document["summary"]["files_scanned"] == 2


def test_a_plan_given_from_outside_the_tree_is_matched_by_addresses(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(WITH_SOURCES, root)
    (root / "infra" / "prod" / "plan.json").unlink()
    run = run_cli("scan", str(root), "--plan", PLAN, "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    assert document["errors"] == []
    assert _findings(document) == WITH_SOURCES_FINDINGS
    documents = next(s for s in document["stores"] if s["id"].endswith("customer_documents"))
    assert documents["location"]["evidence"][0] == {
        "file": PLAN,
        "line": 86,
        "note": "aws_s3_bucket.customer_documents is in the plan",
    }


def test_a_plan_given_inside_the_tree_is_read_once() -> None:
    run = run_cli(
        "scan",
        "fixtures/tf-plan/with-sources",
        "--plan",
        PLAN,
        "--plan",
        PLAN,
        "--format",
        "json",
    )
    document = run.json()
    assert _findings(document) == WITH_SOURCES_FINDINGS
    assert document["summary"]["stores"] == 6
    assert document["summary"]["files_scanned"] == 10


def test_unreadable_plans_are_errors_not_crashes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "format_version": "1.2",\n  "planned_values": {\n', encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text('{"format_version": "1.0", "values": {"root_module": {}}}', encoding="utf-8")
    missing = tmp_path / "missing.json"
    run = run_cli(
        "scan",
        "fixtures/tf-plan/plan-only",
        "--plan",
        str(broken),
        "--plan",
        str(state),
        "--plan",
        str(missing),
        "--format",
        "json",
    )
    assert run.exit_code == 1, run.stderr
    document = run.json()
    # Errors are sorted by file: broken.json, missing.json, state.json.
    assert document["errors"] == [
        {
            "file": str(broken),
            "line": 4,
            "message": "JSON syntax error: Expecting property name enclosed in double quotes",
        },
        {
            "file": str(missing),
            "line": None,
            "message": "cannot read: No such file or directory",
        },
        {
            "file": str(state),
            "line": None,
            "message": "Terraform JSON that is a state: no planned_values or resource_changes",
        },
    ]
    assert len(document["findings"]) == 3
