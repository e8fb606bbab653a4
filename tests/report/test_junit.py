"""JUnit XML: parsed back with the standard library, counts and contents asserted."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from residency_audit.model import ScanResult, SuppressedFinding
from residency_audit.policy.model import Policy
from residency_audit.report.junit import render_junit, xml_safe


def _parse(result: ScanResult, policy: Policy) -> ET.Element:
    text = render_junit(result, [policy])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    return ET.fromstring(text.encode("utf-8"))


def _counts(element: ET.Element) -> tuple[str, str, str, str]:
    return (
        element.attrib["tests"],
        element.attrib["failures"],
        element.attrib["errors"],
        element.attrib["skipped"],
    )


def _assert_suite_counts_match_cases(root: ET.Element) -> None:
    totals = [0, 0, 0, 0]
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        counted = (
            len(cases),
            sum(1 for c in cases if c.find("failure") is not None),
            sum(1 for c in cases if c.find("error") is not None),
            sum(1 for c in cases if c.find("skipped") is not None),
        )
        assert _counts(suite) == tuple(str(n) for n in counted), suite.attrib["name"]
        totals = [t + n for t, n in zip(totals, counted, strict=True)]
    assert _counts(root) == tuple(str(n) for n in totals)


def test_demo_suite_per_policy_case_per_store(demo_result: ScanResult, ru_policy: Policy) -> None:
    root = _parse(demo_result, ru_policy)
    assert root.tag == "testsuites"
    assert _counts(root) == ("5", "2", "0", "0")
    suites = root.findall("testsuite")
    assert [s.attrib["name"] for s in suites] == ["ru-152fz"]
    prop = suites[0].find("properties/property")
    assert prop is not None
    assert prop.attrib == {
        "name": "policy.title",
        "value": "Russia 152-FZ art. 18(5): personal data of Russian citizens stays in Russia",
    }
    cases = suites[0].findall("testcase")
    assert [(c.attrib["classname"], c.attrib["name"]) for c in cases] == [
        ("kubernetes.key_value", "k8s:StatefulSet/shop/sessions-redis"),
        ("terraform.key_value", "terraform:aws_dynamodb_table.customer_events"),
        ("terraform.object_storage", "terraform:aws_s3_bucket.customer_documents"),
        ("terraform.object_storage", "terraform:aws_s3_bucket.static_assets"),
        ("terraform.relational_db", "terraform:yandex_mdb_postgresql_cluster.orders"),
    ]
    assert [len(list(c)) for c in cases] == [0, 1, 1, 0, 0]
    _assert_suite_counts_match_cases(root)


def test_demo_failure_carries_category_message_and_evidence(
    demo_result: ScanResult, ru_policy: Policy
) -> None:
    root = _parse(demo_result, ru_policy)
    case = root.find("testsuite/testcase[@name='terraform:aws_s3_bucket.customer_documents']")
    assert case is not None
    assert (case.attrib["file"], case.attrib["line"]) == ("infra/aws/storage.tf", "6")
    failures = case.findall("failure")
    assert len(failures) == 1
    assert failures[0].attrib == {
        "type": "foreign_storage",
        "message": "RU-152FZ-LOCALIZATION: Personal data of Russian users is stored in "
        "eu-central-1 (DE), outside Russia",
    }
    assert failures[0].text == (
        "HIGH RU-152FZ-LOCALIZATION: Personal data of Russian users is stored in eu-central-1 "
        "(DE), outside Russia\n"
        "store: terraform:aws_s3_bucket.customer_documents\n"
        "declared at: infra/aws/storage.tf:6\n"
        "location: aws eu-central-1 (DE)\n"
        "evidence:\n"
        '  infra/aws/variables.tf:4  variable "aws_region" default = "eu-central-1"\n'
        '  infra/aws/providers.tf:2  provider "aws" region = var.aws_region (eu-central-1)\n'
        '  infra/aws/storage.tf:6  tag DataClassification = "PII"\n'
        "  services/checkout/checkout/documents.py:20  code writes passport_series "
        "(user.government_id.internal_passport)\n"
        "  services/checkout/checkout/documents.py:21  code writes passport_number "
        "(user.government_id.passport_number)\n"
        "  services/checkout/checkout/documents.py:20  code writes passport_series, a "
        "Russian-specific identifier (user.government_id.internal_passport)\n"
    )


def test_suppressed_is_skipped_and_parse_errors_are_errors(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    root = _parse(sample_result, ru_policy)
    assert _counts(root) == ("7", "3", "1", "1")
    _assert_suite_counts_match_cases(root)
    backup = root.find("testsuite/testcase[@name='terraform:aws_s3_bucket.orders_backup']")
    assert backup is not None
    skipped = backup.find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == (
        "RU-152FZ-CROSS-BORDER suppressed: PRIV-231: bucket emptied, deletion scheduled"
    )
    assert backup.find("failure") is None
    errors_suite = root.find("testsuite[@name='residency-audit: files not read']")
    assert errors_suite is not None
    assert _counts(errors_suite) == ("1", "0", "1", "0")
    error_case = errors_suite.find("testcase")
    assert error_case is not None
    assert error_case.attrib["name"] == "infra/broken.tf:3"
    error = error_case.find("error")
    assert error is not None
    # NUL and ESC cannot appear in XML 1.0 at all: replaced, and the document still parses
    assert error.attrib == {
        "type": "parse_error",
        "message": "unexpected token '}'\ufffd \ufffd[31m",
    }


def test_hostile_text_round_trips(sample_result: ScanResult, ru_policy: Policy) -> None:
    root = _parse(sample_result, ru_policy)
    case = root.find("testsuite/testcase[@name='terraform:aws_s3_bucket.uploads']")
    assert case is not None
    assert case.attrib["file"] == "infra/s3 | uploads.tf"
    failure = case.find("failure")
    assert failure is not None
    assert failure.text is not None
    assert "  infra/s3 | uploads.tf:7  bucket name <script>alert('x')</script>|`rm -rf /`\n" in (
        failure.text
    )
    assert "location: aws (DE, NL)\n" in failure.text
    assert "  (scan)  the scan could not place it\n" in failure.text


def test_a_store_with_live_and_suppressed_findings_fails(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    live = sample_result.findings[0]
    also = dataclasses.replace(live, rule_id="RU-152FZ-CROSS-BORDER", category="cross_border")
    result = dataclasses.replace(
        sample_result, suppressed=(SuppressedFinding(also, "accepted by DPO, ticket 77"),)
    )
    root = _parse(result, ru_policy)
    case = root.find("testsuite/testcase[@name='terraform:aws_db_instance.customers']")
    assert case is not None
    assert [child.tag for child in case] == ["failure", "system-out"]
    out = case.find("system-out")
    assert out is not None
    assert out.text == "RU-152FZ-CROSS-BORDER suppressed: accepted by DPO, ticket 77\n"
    assert _counts(root) == ("7", "3", "1", "0")
    _assert_suite_counts_match_cases(root)


def test_clean_result_passes(clean_result: ScanResult, ru_policy: Policy) -> None:
    root = _parse(clean_result, ru_policy)
    assert _counts(root) == ("1", "0", "0", "0")
    assert root.find(".//failure") is None
    assert root.find("testsuite[@name='residency-audit: files not read']") is None


def test_output_is_deterministic(sample_result: ScanResult, ru_policy: Policy) -> None:
    assert render_junit(sample_result, [ru_policy]) == render_junit(sample_result, [ru_policy])


def test_xml_safe_keeps_text_and_replaces_what_xml_cannot_carry() -> None:
    assert xml_safe("Привет <a> & \t\n") == "Привет <a> & \t\n"
    assert xml_safe("a\x00b\x0bc\ufffed") == "a\ufffdb\ufffdc\ufffdd"
