from __future__ import annotations

import datetime as dt
from pathlib import Path

from residency_audit.config import load_config
from residency_audit.model import Finding, Severity
from residency_audit.suppress import apply_suppressions


def _finding(store: str) -> Finding:
    return Finding(
        "RU-152FZ-LOCALIZATION",
        "foreign_storage",
        Severity.HIGH,
        store,
        "infra/main.tf",
        3,
        "m",
        (),
        "fp",
    )


def test_suppressions_with_reason_until_and_globs(tmp_path: Path) -> None:
    (tmp_path / ".residency-audit.yaml").write_text(
        """\
suppress:
  - rule: RU-152FZ-LOCALIZATION
    store: "terraform:aws_s3_bucket.legacy"
    reason: migration ticket 123
    until: 2027-01-01
  - store: "terraform:module.old.*"
    reason: decommissioned in Q1
  - store: "terraform:aws_s3_bucket.expired"
    reason: was fine last year
    until: 2026-01-01
  - store: "terraform:aws_s3_bucket.silent"
"""
    )
    config = load_config(tmp_path)
    findings = [
        _finding("terraform:aws_s3_bucket.legacy"),
        _finding("terraform:module.old.aws_s3_bucket.b"),
        _finding("terraform:aws_s3_bucket.expired"),
        _finding("terraform:aws_s3_bucket.silent"),
    ]
    outcome = apply_suppressions(findings, config, today=dt.date(2026, 11, 23))
    assert [f.store_id for f in outcome.findings] == [
        "terraform:aws_s3_bucket.expired",
        "terraform:aws_s3_bucket.silent",
    ]
    assert [s.reason for s in outcome.suppressed] == [
        "migration ticket 123 (until 2027-01-01) [.residency-audit.yaml:2]",
        "decommissioned in Q1 [.residency-audit.yaml:6]",
    ]
    assert outcome.hints == (
        ".residency-audit.yaml:8: suppression expired on 2026-01-01; it no longer applies",
        ".residency-audit.yaml:11: a suppression without a reason is ignored; add `reason:`",
    )
