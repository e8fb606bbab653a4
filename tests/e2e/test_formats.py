"""Every report format through the real CLI: exit code, stdout holds only the report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema

from tests.e2e.conftest import REPO, run_cli


def test_sarif_is_valid_and_points_at_declarations() -> None:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "sarif")
    assert run.exit_code == 1, run.stderr
    log = json.loads(run.stdout)
    schema = json.loads((REPO / "tests" / "data" / "sarif-2.1.0.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    places = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    ]
    assert places == [
        ("RU-152FZ-LOCALIZATION", "infra/aws/storage.tf", 6),
        ("RU-152FZ-UNKNOWN-LOCATION", "infra/aws/analytics.tf", 2),
    ]


def test_junit_markdown_and_html() -> None:
    junit = run_cli("scan", "fixtures/demo-shop", "--format", "junit")
    assert junit.exit_code == 1
    root = ET.fromstring(junit.stdout)
    failures = [
        case.get("name") for case in root.iter("testcase") if case.find("failure") is not None
    ]
    assert failures == [
        "terraform:aws_dynamodb_table.customer_events",
        "terraform:aws_s3_bucket.customer_documents",
    ]
    markdown = run_cli("scan", "fixtures/demo-shop", "--format", "markdown")
    assert markdown.exit_code == 1
    assert "terraform:aws_s3_bucket.customer_documents" in markdown.stdout
    html = run_cli("scan", "fixtures/demo-shop", "--format", "html")
    assert html.exit_code == 1
    assert html.stdout.lstrip().lower().startswith("<!doctype html>")
    assert "http://" not in html.stdout and "https://" not in html.stdout
