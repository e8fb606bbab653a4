"""Inline suppression comments: where they are found, and what happens when one is wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from residency_audit.config import load_config
from residency_audit.model import Finding, Severity, SourceRef
from residency_audit.suppress import InlineSuppression, apply_suppressions, inline_suppressions

LOCALIZATION = "RU-152FZ-LOCALIZATION"
UNKNOWN = "RU-152FZ-UNKNOWN-LOCATION"


def _finding(file: str, line: int, rule: str = LOCALIZATION, store: str = "s") -> Finding:
    return Finding(
        rule,
        "foreign_storage",
        Severity.HIGH,
        store,
        file,
        line,
        "Personal data of Russian users is stored in eu-west-1 (IE), outside Russia",
        (SourceRef(file, line, 'tag DataClassification = "PII"'),),
        f"fp-{store}-{rule}",
    )


def test_hash_comment_above_a_terraform_resource() -> None:
    text = """\
# Monthly member exports for the marketing agency's CRM.
# residency-audit: ignore[RU-152FZ-LOCALIZATION] agency contract ends 2026-12, ticket LOY-88
resource "aws_s3_bucket" "member_exports" {
  bucket = "loyalty-member-exports"
}
"""
    assert inline_suppressions(text, 3) == (
        InlineSuppression(2, (LOCALIZATION,), "agency contract ends 2026-12, ticket LOY-88"),
    )


def test_double_slash_comment_trailing_on_the_declaration_line() -> None:
    text = """\
resource "aws_dynamodb_table" "events" { // residency-audit: ignore[RU-152FZ-*] - replica only
  name = "events"
}
"""
    assert inline_suppressions(text, 1) == (InlineSuppression(1, ("RU-152FZ-*",), "replica only"),)


def test_block_comment_above_with_several_rules() -> None:
    text = """\
locals {
  prefix = "loyalty"
}
/*
 * Legacy export bucket.
 * residency-audit: ignore[RU-152FZ-LOCALIZATION, RU-152FZ-UNKNOWN-LOCATION] decommission LOY-91
 */
resource "aws_s3_bucket" "legacy" {
  bucket = "${local.prefix}-legacy"
}
"""
    assert inline_suppressions(text, 8) == (
        InlineSuppression(6, (LOCALIZATION, UNKNOWN), "decommission LOY-91"),
    )


def test_one_line_block_comment_above() -> None:
    text = (
        "/* residency-audit: ignore[RU-152FZ-LOCALIZATION] test fixture bucket */\n"
        'resource "aws_s3_bucket" "fixtures" {}\n'
    )
    assert inline_suppressions(text, 2) == (
        InlineSuppression(1, (LOCALIZATION,), "test fixture bucket"),
    )


def test_yaml_comment_above_a_manifest_document() -> None:
    text = """\
---
# Session cache of the EU storefront; EU customers only.
# residency-audit: ignore[RU-152FZ-LOCALIZATION]: holds EU customers only, see DPA-7
apiVersion: apps/v1
kind: StatefulSet
"""
    assert inline_suppressions(text, 4) == (
        InlineSuppression(3, (LOCALIZATION,), "holds EU customers only, see DPA-7"),
    )


def test_python_comment_above_a_call() -> None:
    text = """\
import boto3

s3 = boto3.client("s3", region_name="eu-west-1")
# residency-audit: ignore[RU-152FZ-LOCALIZATION] anonymised aggregates only
s3.put_object(Bucket="loyalty-stats", Key=key, Body=body)
"""
    assert inline_suppressions(text, 5) == (
        InlineSuppression(4, (LOCALIZATION,), "anonymised aggregates only"),
    )


def test_a_blank_line_or_code_ends_the_comment_block() -> None:
    separated = """\
# residency-audit: ignore[RU-152FZ-LOCALIZATION] about something else

resource "aws_s3_bucket" "b" {}
"""
    assert inline_suppressions(separated, 3) == ()
    after_code = """\
bucket = "x" # residency-audit: ignore[RU-152FZ-LOCALIZATION] trailing on the line before
resource "aws_s3_bucket" "b" {}
"""
    assert inline_suppressions(after_code, 2) == ()


def test_marker_text_outside_a_comment_is_not_a_suppression() -> None:
    text = 'resource "aws_s3_bucket" "b" { bucket = "residency-audit: ignore[X] no" }\n'
    assert inline_suppressions(text, 1) == ()


def test_line_outside_the_file_finds_nothing() -> None:
    assert inline_suppressions("# residency-audit: ignore[X] y\n", 7) == ()
    assert inline_suppressions("", 1) == ()


def test_inline_suppression_moves_the_finding_with_its_reason(tmp_path: Path) -> None:
    sources = {
        "infra/exports.tf": (
            "# residency-audit: ignore[RU-152FZ-LOCALIZATION] agency contract ends 2026-12\n"
            'resource "aws_s3_bucket" "member_exports" {}\n'
        ),
        "infra/other.tf": 'resource "aws_s3_bucket" "other" {}\n',
    }
    reads: list[str] = []

    def read(path: str) -> str | None:
        reads.append(path)
        return sources.get(path)

    findings = [
        _finding("infra/exports.tf", 2, store="exports"),
        _finding("infra/exports.tf", 2, UNKNOWN, store="exports"),
        _finding("infra/other.tf", 1, store="other"),
    ]
    outcome = apply_suppressions(
        findings, load_config(tmp_path), dt.date(2026, 5, 1), read_source=read
    )
    assert [(f.store_id, f.rule_id) for f in outcome.findings] == [
        ("exports", UNKNOWN),
        ("other", LOCALIZATION),
    ]
    assert [(s.finding.store_id, s.reason) for s in outcome.suppressed] == [
        ("exports", "agency contract ends 2026-12 [infra/exports.tf:1]")
    ]
    assert outcome.hints == ()
    assert sorted(set(reads)) == ["infra/exports.tf", "infra/other.tf"]
    assert len(reads) == 2  # each file with findings is read once


def test_suppression_without_reason_stays_a_finding_and_says_so(tmp_path: Path) -> None:
    text = '# residency-audit: ignore[RU-152FZ-LOCALIZATION]\nresource "aws_s3_bucket" "b" {}\n'
    outcome = apply_suppressions(
        [_finding("main.tf", 2)], load_config(tmp_path), read_source=lambda _p: text
    )
    assert [f.store_id for f in outcome.findings] == ["s"]
    assert outcome.suppressed == ()
    assert outcome.hints == (
        "main.tf:1: inline suppression of RU-152FZ-LOCALIZATION gives no reason, so it is "
        "ignored; write why after the bracket: "
        "`residency-audit: ignore[RU-152FZ-LOCALIZATION] <reason>`",
    )


def test_suppression_naming_another_rule_or_none_is_reported(tmp_path: Path) -> None:
    text = (
        "# residency-audit: ignore[RU-152FZ-LOCALISATION] typo in the rule id\n"
        "# residency-audit: ignore[] forgot the rule\n"
        'resource "aws_s3_bucket" "b" {}\n'
    )
    outcome = apply_suppressions(
        [_finding("main.tf", 3)], load_config(tmp_path), read_source=lambda _p: text
    )
    assert len(outcome.findings) == 1
    assert outcome.hints == (
        "main.tf:1: inline suppression ignore[RU-152FZ-LOCALISATION] matches no finding of "
        "this declaration (its findings: RU-152FZ-LOCALIZATION); it is ignored",
        "main.tf:2: inline suppression names no rule; it is ignored",
    )


def test_unreadable_file_means_no_inline_suppression(tmp_path: Path) -> None:
    outcome = apply_suppressions(
        [_finding("gone.tf", 2)], load_config(tmp_path), read_source=lambda _p: None
    )
    assert len(outcome.findings) == 1
    assert outcome.hints == ()


def test_inline_wins_over_config_and_config_still_applies_elsewhere(tmp_path: Path) -> None:
    (tmp_path / ".residency-audit.yaml").write_text(
        "suppress:\n"
        "  - rule: RU-152FZ-LOCALIZATION\n"
        '    reason: "all exports accepted until the move, ticket LOY-90"\n'
        "    until: 2027-01-01\n"
    )
    sources = {
        "a.tf": '# residency-audit: ignore[RU-152FZ-*] bucket a: test data\nresource "x" "a" {}\n'
    }
    outcome = apply_suppressions(
        [_finding("a.tf", 2, store="a"), _finding("b.tf", 1, store="b")],
        load_config(tmp_path),
        dt.date(2026, 5, 1),
        read_source=sources.get,
    )
    assert outcome.findings == ()
    assert [(s.finding.store_id, s.reason) for s in outcome.suppressed] == [
        ("a", "bucket a: test data [a.tf:1]"),
        (
            "b",
            "all exports accepted until the move, ticket LOY-90 (until 2027-01-01) "
            "[.residency-audit.yaml:2]",
        ),
    ]
