"""Inline suppressions and baselines through the real CLI, on a copy of a small repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import FIXTURES, run_cli

EXPORTS = "terraform:aws_s3_bucket.member_exports"
LOCALIZATION = "RU-152FZ-LOCALIZATION"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "workflow-shop", root)
    return root


def _scan(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    run = run_cli("scan", str(root), "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, run.json()


def _live(document: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(f["rule_id"], f["store_id"], f["file"], f["line"]) for f in document["findings"]]


def _suppressed(document: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [(s["store_id"], s["file"], s["line"], s["reason"]) for s in document["suppressed"]]


def test_fixture_has_exactly_one_violation(shop: Path) -> None:
    code, document = _scan(shop)
    assert code == 1
    assert _live(document) == [(LOCALIZATION, EXPORTS, "infra/exports.tf", 2)]
    assert document["suppressed"] == []


def test_hcl_comment_above_the_resource_suppresses_with_reason(shop: Path) -> None:
    exports = shop / "infra" / "exports.tf"
    exports.write_text(
        exports.read_text().replace(
            "# Monthly member exports for the marketing agency's CRM.\n",
            "# Monthly member exports for the marketing agency's CRM.\n"
            "# residency-audit: ignore[RU-152FZ-LOCALIZATION] agency contract ends 2026-12, "
            "ticket LOY-88\n",
        )
    )
    code, document = _scan(shop)
    assert code == 0
    assert document["findings"] == []
    assert _suppressed(document) == [
        (
            EXPORTS,
            "infra/exports.tf",
            3,
            "agency contract ends 2026-12, ticket LOY-88 [infra/exports.tf:2]",
        )
    ]
    assert document["summary"]["findings"] == 0


def test_reasonless_inline_suppression_keeps_the_gate_closed(shop: Path) -> None:
    exports = shop / "infra" / "exports.tf"
    exports.write_text(
        exports.read_text().replace(
            'resource "aws_s3_bucket" "member_exports" {',
            'resource "aws_s3_bucket" "member_exports" {'
            " // residency-audit: ignore[RU-152FZ-LOCALIZATION]",
        )
    )
    code, document = _scan(shop)
    assert code == 1
    assert _live(document) == [(LOCALIZATION, EXPORTS, "infra/exports.tf", 2)]
    assert (
        "infra/exports.tf:2: inline suppression of RU-152FZ-LOCALIZATION gives no reason, so it "
        "is ignored; write why after the bracket: "
        "`residency-audit: ignore[RU-152FZ-LOCALIZATION] <reason>`"
    ) in document["hints"]
    table = run_cli("scan", str(shop), "--format", "table")
    assert "gives no reason" in table.stdout


def test_yaml_comment_above_a_manifest_suppresses(tmp_path: Path) -> None:
    (tmp_path / ".residency-audit.yaml").write_text(
        "data_subjects: [RU]\n"
        "kubernetes:\n"
        "  clusters:\n"
        '    - paths: ["deploy/eu/**"]\n'
        "      provider: aws\n"
        "      region: eu-central-1\n"
    )
    manifest = tmp_path / "deploy" / "eu" / "sessions.yaml"
    manifest.parent.mkdir(parents=True)
    body = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: sessions
  namespace: storefront
  annotations:
    privacy.example.ru/personal-data: "true"
spec:
  serviceName: sessions
  selector:
    matchLabels: {app: sessions}
  template:
    metadata:
      labels: {app: sessions}
    spec:
      containers:
        - name: redis
          image: redis:7.2
"""
    manifest.write_text(body)
    code, document = _scan(tmp_path)
    assert code == 1
    assert _live(document) == [
        (LOCALIZATION, "k8s:StatefulSet/storefront/sessions", "deploy/eu/sessions.yaml", 1)
    ]
    manifest.write_text(
        "# Carts of the EU storefront.\n"
        "# residency-audit: ignore[RU-152FZ-*] EU customers only, separate shop, DPA-7\n" + body
    )
    code, document = _scan(tmp_path)
    assert code == 0
    assert _suppressed(document) == [
        (
            "k8s:StatefulSet/storefront/sessions",
            "deploy/eu/sessions.yaml",
            3,
            "EU customers only, separate shop, DPA-7 [deploy/eu/sessions.yaml:2]",
        )
    ]


def test_baseline_accepts_old_findings_across_line_moves_and_catches_new_ones(
    shop: Path,
) -> None:
    made = run_cli("baseline", str(shop))
    assert (made.exit_code, made.stdout) == (0, "")
    assert (
        made.stderr
        == f"baseline of 1 finding(s) written to {shop / '.residency-audit-baseline.json'}\n"
    )
    baseline = shop / ".residency-audit-baseline.json"
    entries = json.loads(baseline.read_text())["findings"]
    assert [(e["rule_id"], e["store_id"]) for e in entries] == [(LOCALIZATION, EXPORTS)]

    # The resource block moves down (a new block above it): same finding, new line.
    exports = shop / "infra" / "exports.tf"
    exports.write_text(
        'resource "aws_s3_bucket_public_access_block" "member_exports" {\n'
        "  bucket                  = aws_s3_bucket.member_exports.id\n"
        "  block_public_acls       = true\n"
        "  restrict_public_buckets = true\n"
        "}\n\n" + exports.read_text()
    )
    code, document = _scan(shop, "--baseline", str(baseline))
    assert code == 0
    assert document["findings"] == []
    assert _suppressed(document) == [
        (EXPORTS, "infra/exports.tf", 8, "in baseline .residency-audit-baseline.json")
    ]
    assert document["suppressed"][0]["fingerprint"] == entries[0]["fingerprint"]

    # A new violation is not in the baseline: the gate fails on it alone.
    (shop / "infra" / "receipts.tf").write_text(
        'resource "aws_s3_bucket" "receipts" {\n'
        '  bucket = "loyalty-receipts"\n\n'
        "  tags = {\n"
        '    DataClassification = "PII"\n'
        "  }\n"
        "}\n"
    )
    code, document = _scan(shop, "--baseline", str(baseline))
    assert code == 1
    assert _live(document) == [
        (LOCALIZATION, "terraform:aws_s3_bucket.receipts", "infra/receipts.tf", 1)
    ]
    assert len(document["suppressed"]) == 1


def test_baseline_with_stale_entry_says_so(shop: Path) -> None:
    assert run_cli("baseline", str(shop), "-o", str(shop / "b.json")).exit_code == 0
    (shop / "infra" / "exports.tf").unlink()  # the violation is fixed by removing the bucket
    code, document = _scan(shop, "--baseline", str(shop / "b.json"))
    assert code == 0
    assert document["hints"] == [
        "b.json: 1 baseline entry matches no finding any more (fixed, or the store was "
        "renamed); regenerate it with `residency-audit baseline` so it cannot hide a new "
        "finding later"
    ]


def test_unreadable_baseline_is_exit_2(shop: Path) -> None:
    run = run_cli("scan", str(shop), "--baseline", str(shop / "missing.json"))
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == f"error: {shop / 'missing.json'}: baseline file not found\n"
