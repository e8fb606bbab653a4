"""Python applications through the real CLI: the code that writes personal data decides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_cli


def _scan(fixture: str) -> dict[str, Any]:
    run = run_cli("scan", f"fixtures/{fixture}", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def _findings(document: dict[str, Any]) -> list[tuple[str, str, str, int, list[str]]]:
    stores = {s["id"]: s for s in document["stores"]}
    return [
        (
            f["category"],
            f["store_id"],
            f["file"],
            f["line"],
            stores[f["store_id"]]["location"]["countries"],
        )
        for f in document["findings"]
    ]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "py-boto3-worker",
            [
                ("foreign_storage", "code:dynamodb://kyc-events", "worker/handlers.py", 34, ["DE"]),
                (
                    "unknown_location",
                    "k8s:StatefulSet/kyc/kyc-cache",
                    "deploy/worker.yaml",
                    34,
                    [],
                ),
            ],
        ),
        (
            "py-django-clinic",
            [
                (
                    "foreign_storage",
                    "code:elasticsearch://clinic-search.es.europe-west3.gcp.cloud.es.io",
                    "patients/search.py",
                    6,
                    ["DE"],
                ),
            ],
        ),
        (
            "py-fastapi-orders",
            [
                (
                    "foreign_storage",
                    "terraform:aws_db_instance.orders",
                    "infra/aws/main.tf",
                    19,
                    ["DE"],
                ),
                (
                    "foreign_storage",
                    "terraform:aws_dynamodb_table.audit",
                    "infra/aws/main.tf",
                    30,
                    ["IE"],
                ),
            ],
        ),
        (
            "py-psycopg-import",
            [
                (
                    "foreign_storage",
                    "code:postgresql://ep-cool-darkness-123456.eu-central-1.aws.neon.tech/analytics",
                    "export_report.py",
                    20,
                    ["DE"],
                ),
            ],
        ),
    ],
)
def test_findings_per_application(fixture: str, expected: list[tuple[Any, ...]]) -> None:
    assert _findings(_scan(fixture)) == expected


def test_code_is_evidence_on_the_declaring_store() -> None:
    """The Terraform declaration stays the store; the ORM code is its evidence and writer."""
    document = _scan("py-fastapi-orders")
    orders = next(s for s in document["stores"] if s["id"] == "terraform:aws_db_instance.orders")
    personal = orders["personal_data"]
    assert personal["status"] == "yes"
    assert personal["subjects"] == ["RU"]
    assert {"user.contact.email", "user.contact.phone_number"} <= set(personal["categories"])
    assert any(e["file"].startswith("app/") for e in personal["evidence"])
    writers = [e for e in document["edges"] if e["to"] == orders["id"]]
    assert all(e["kind"] == "writes" for e in writers)
    # ORM models and routers write it; so does the Deployment whose env names its endpoint.
    assert sorted(e["from"] for e in writers) == [
        "code:app/models.py:23",
        "code:app/models.py:9",
        "code:app/routers/customers.py:20",
        "code:app/routers/orders.py:15",
        "k8s:Deployment/orders/orders-api",
    ]


def test_russian_store_written_by_code_is_compliant() -> None:
    document = _scan("py-psycopg-import")
    registry = next(s for s in document["stores"] if s["id"].endswith("/registry"))
    assert registry["location"]["countries"] == ["RU"]
    assert "user.government_id.oms_policy" in registry["personal_data"]["categories"]
    assert all(f["store_id"] != registry["id"] for f in document["findings"])


def test_writes_to_a_store_the_code_does_not_name_are_a_hint(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "export.py").write_text(
        "import boto3\n\n"
        's3 = boto3.client("s3", region_name="eu-west-1")\n\n\n'
        "def export_customer(bucket: str, email: str) -> None:\n"
        '    s3.put_object(Bucket=bucket, Key="c.json", Body=b"{}", Metadata={"email": email})\n'
    )
    run = run_cli("scan", str(tmp_path), "--format", "json")
    assert run.exit_code == 0
    document = run.json()
    assert document["stores"] == []
    assert document["hints"] == [
        "1 write(s) in the code go to a store the scan cannot name, so they are not in the "
        "report; name the bucket/host in a constant, settings or the config's "
        "`endpoints:`/`stores:`:\n"
        "  app/export.py:7  put_object() writes to a s3 store the scan cannot name: the bucket "
        "is not known statically: parameter bucket is given by the caller"
    ]
