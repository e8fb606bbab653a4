"""Baseline files: written deterministically, read strictly, applied by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from residency_audit.baseline import Baseline, BaselineEntry, load_baseline, render_baseline
from residency_audit.config import ConfigError, load_config
from residency_audit.model import Finding, Severity
from residency_audit.policy.evaluate import fingerprint
from residency_audit.suppress import apply_suppressions

EXPORTS = "terraform:aws_s3_bucket.member_exports"
EVENTS = "terraform:aws_dynamodb_table.events"


def _finding(rule: str, store: str, line: int = 2) -> Finding:
    return Finding(
        rule,
        "foreign_storage",
        Severity.HIGH,
        store,
        "infra/exports.tf",
        line,
        "m",
        (),
        fingerprint(rule, store),
    )


def test_render_is_sorted_deterministic_and_loads_back(tmp_path: Path) -> None:
    findings = [
        _finding("RU-152FZ-UNKNOWN-LOCATION", EVENTS),
        _finding("RU-152FZ-LOCALIZATION", EXPORTS),
        _finding("RU-152FZ-LOCALIZATION", EXPORTS),  # twice (two policies): listed once
    ]
    text = render_baseline(findings, "0.1.0")
    assert text == render_baseline(list(reversed(findings)), "0.1.0")
    assert json.loads(text) == {
        "residency_audit_baseline": 1,
        "tool_version": "0.1.0",
        "findings": [
            {
                "fingerprint": fingerprint("RU-152FZ-UNKNOWN-LOCATION", EVENTS),
                "rule_id": "RU-152FZ-UNKNOWN-LOCATION",
                "store_id": EVENTS,
            },
            {
                "fingerprint": fingerprint("RU-152FZ-LOCALIZATION", EXPORTS),
                "rule_id": "RU-152FZ-LOCALIZATION",
                "store_id": EXPORTS,
            },
        ],
    }
    path = tmp_path / "baseline.json"
    path.write_text(text)
    loaded = load_baseline(path, "baseline.json")
    assert loaded.file == "baseline.json"
    assert loaded.fingerprints() == {f.fingerprint for f in findings}


def test_a_json_report_serves_as_a_baseline(tmp_path: Path) -> None:
    report = {
        "schema_version": "1",
        "findings": [
            {"rule_id": "RU-152FZ-LOCALIZATION", "store_id": EXPORTS, "fingerprint": "ab" * 16}
        ],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert load_baseline(path).entries == (
        BaselineEntry("ab" * 16, "RU-152FZ-LOCALIZATION", EXPORTS),
    )


@pytest.mark.parametrize(
    ("content", "key", "message"),
    [
        ("{not json", None, "invalid JSON at line 1: Expecting property name enclosed in "),
        ("[]", "findings", "a baseline is a JSON object with a `findings` list"),
        ('{"findings": {}}', "findings", "a baseline is a JSON object with a `findings` list"),
        (
            '{"findings": [{"rule_id": "X"}]}',
            "findings[0].fingerprint",
            "expected a hexadecimal fingerprint, got None",
        ),
        (
            '{"findings": ["e33486fcb391ea52"]}',
            "findings[0].fingerprint",
            "expected a hexadecimal fingerprint, got None",
        ),
        (
            '{"findings": [{"fingerprint": "not a hash"}]}',
            "findings[0].fingerprint",
            "expected a hexadecimal fingerprint, got 'not a hash'",
        ),
    ],
)
def test_bad_baselines_name_the_file_and_key(
    tmp_path: Path, content: str, key: str | None, message: str
) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_baseline(path, "ci/b.json")
    assert raised.value.file == str(path)
    assert raised.value.key == key
    assert raised.value.message.startswith(message)


def test_missing_baseline_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="baseline file not found"):
        load_baseline(tmp_path / "nope.json", "nope.json")


def test_baselined_findings_are_suppressed_and_stale_entries_reported(tmp_path: Path) -> None:
    old = _finding("RU-152FZ-LOCALIZATION", EXPORTS, line=40)  # moved down since: same print
    new = _finding("RU-152FZ-LOCALIZATION", "terraform:aws_s3_bucket.new_exports")
    baseline = Baseline(
        ".residency-audit-baseline.json",
        (
            BaselineEntry(fingerprint("RU-152FZ-LOCALIZATION", EXPORTS)),
            BaselineEntry(fingerprint("RU-152FZ-LOCALIZATION", "terraform:aws_s3_bucket.gone")),
        ),
    )
    outcome = apply_suppressions([old, new], load_config(tmp_path), baseline=baseline)
    assert outcome.findings == (new,)
    assert [(s.finding, s.reason) for s in outcome.suppressed] == [
        (old, "in baseline .residency-audit-baseline.json")
    ]
    assert outcome.hints == (
        ".residency-audit-baseline.json: 1 baseline entry matches no finding any more (fixed, "
        "or the store was renamed); regenerate it with `residency-audit baseline` so it cannot "
        "hide a new finding later",
    )
