"""The JUnit XML report, so CI systems that only understand test results (GitLab, Jenkins,
Azure DevOps) can show residency findings in their test tabs.

Each policy is a test suite and each store is a test case checked against it: a store
that breaks a rule fails with one ``<failure>`` per finding (type = category, the body
is the evidence chain), a store whose only findings are suppressed is skipped with the
reason, a clean store passes. Files that could not be parsed are test cases with an
``<error>`` in their own suite, because they are a problem with the scan, not a finding.
Nothing time- or machine-dependent is written (``time`` is always 0).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from residency_audit.model import (
    Finding,
    Location,
    LocationStatus,
    ScanError,
    ScanResult,
    Store,
)
from residency_audit.policy.model import Policy
from residency_audit.report.wording import location_text, place

TOOL_NAME = "residency-audit"
ERRORS_SUITE = "residency-audit: files not read"
FALLBACK_SUITE = "residency-audit"

# Characters XML 1.0 cannot carry at all, even escaped: ElementTree would write them and
# produce a document no parser accepts, so they are replaced.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _failure_body(finding: Finding, store: Store | None) -> str:
    lines = [
        f"{finding.severity.value.upper()} {finding.rule_id}: {finding.message}",
        f"store: {finding.store_id}",
        f"declared at: {finding.file}:{finding.line}",
    ]
    if store is not None and store.location.is_known:
        lines.append(f"location: {location_text(store)}")
    lines.append("evidence:")
    lines.extend(f"  {place(ref)}  {ref.note}" for ref in finding.evidence)
    return xml_safe("\n".join(lines) + "\n")


@dataclass(frozen=True)
class _Suite:
    id: str
    title: str
    rule_ids: frozenset[str]


def _suites(result: ScanResult, policies: Sequence[Policy]) -> list[_Suite]:
    rules = {p.id: frozenset(r.id for r in p.rules) for p in policies}
    suites = [_Suite(p.id, p.title, rules.get(p.id, frozenset())) for p in result.policies]
    return suites or [_Suite(FALLBACK_SUITE, "residency-audit findings", frozenset())]


def _suite_of(finding: Finding, suites: list[_Suite]) -> str:
    """The policy a finding belongs to: its own id, else the policy that has its rule."""
    for suite in suites:
        if finding.policy_id == suite.id:
            return suite.id
    for suite in suites:
        if finding.rule_id in suite.rule_ids:
            return suite.id
    return suites[0].id


def _placeholder(finding: Finding) -> Store:
    return Store(
        id=finding.store_id,
        kind="unknown",
        source="unknown",
        file=finding.file,
        line=finding.line,
        location=Location(LocationStatus.UNKNOWN),
    )


def _set_counts(element: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))
    element.set("time", "0")


def _store_case(
    parent: ET.Element,
    store: Store,
    findings: list[Finding],
    suppressed: list[tuple[Finding, str]],
    stores: dict[str, Store],
) -> tuple[bool, bool]:
    """Add one store's test case; returns (failed, skipped)."""
    case = ET.SubElement(parent, "testcase")
    case.set("classname", xml_safe(f"{store.source}.{store.kind}"))
    case.set("name", xml_safe(store.id))
    case.set("file", xml_safe(store.file))
    case.set("line", str(store.line))
    case.set("time", "0")
    for finding in findings:
        failure = ET.SubElement(case, "failure")
        failure.set("type", xml_safe(finding.category))
        failure.set("message", xml_safe(f"{finding.rule_id}: {finding.message}"))
        failure.text = _failure_body(finding, stores.get(finding.store_id))
    if suppressed and not findings:
        skipped = ET.SubElement(case, "skipped")
        reasons = "; ".join(f"{f.rule_id} suppressed: {reason}" for f, reason in suppressed)
        skipped.set("message", xml_safe(reasons))
    elif suppressed:
        out = ET.SubElement(case, "system-out")
        out.text = xml_safe(
            "".join(f"{f.rule_id} suppressed: {reason}\n" for f, reason in suppressed)
        )
    return bool(findings), bool(suppressed) and not findings


def _policy_suite(
    root: ET.Element,
    suite: _Suite,
    result: ScanResult,
    findings: list[Finding],
    suppressed: list[tuple[Finding, str]],
) -> tuple[int, int, int]:
    element = ET.SubElement(root, "testsuite")
    element.set("name", xml_safe(suite.id))
    properties = ET.SubElement(element, "properties")
    prop = ET.SubElement(properties, "property")
    prop.set("name", "policy.title")
    prop.set("value", xml_safe(suite.title))
    stores = {store.id: store for store in result.stores}
    # A finding about a store missing from the inventory still gets a test case.
    every = list(result.stores)
    for finding in [*findings, *(f for f, _ in suppressed)]:
        if finding.store_id not in stores:
            placeholder = _placeholder(finding)
            stores[finding.store_id] = placeholder
            every.append(placeholder)
    live: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        live[finding.store_id].append(finding)
    accepted: dict[str, list[tuple[Finding, str]]] = defaultdict(list)
    for finding, reason in suppressed:
        accepted[finding.store_id].append((finding, reason))
    failures = skips = 0
    for store in every:
        failed, skipped = _store_case(element, store, live[store.id], accepted[store.id], stores)
        failures += failed
        skips += skipped
    _set_counts(element, len(every), failures, 0, skips)
    return len(every), failures, skips


def _errors_suite(root: ET.Element, errors: tuple[ScanError, ...]) -> None:
    element = ET.SubElement(root, "testsuite")
    element.set("name", ERRORS_SUITE)
    for error in errors:
        case = ET.SubElement(element, "testcase")
        case.set("classname", "scan.parse")
        where = f"{error.file}:{error.line}" if error.line else error.file
        case.set("name", xml_safe(where))
        case.set("file", xml_safe(error.file))
        if error.line:
            case.set("line", str(error.line))
        case.set("time", "0")
        failure = ET.SubElement(case, "error")
        failure.set("type", "parse_error")
        failure.set("message", xml_safe(error.message))
        failure.text = xml_safe(f"{where}: {error.message}\n")
    _set_counts(element, len(errors), 0, len(errors), 0)


def render_junit(result: ScanResult, policies: Sequence[Policy]) -> str:
    suites = _suites(result, policies)
    root = ET.Element("testsuites")
    root.set("name", TOOL_NAME)
    tests = failures = skipped = 0
    for suite in suites:
        findings = [f for f in result.findings if _suite_of(f, suites) == suite.id]
        suppressed = [
            (s.finding, s.reason)
            for s in result.suppressed
            if _suite_of(s.finding, suites) == suite.id
        ]
        counted = _policy_suite(root, suite, result, findings, suppressed)
        tests, failures, skipped = tests + counted[0], failures + counted[1], skipped + counted[2]
    if result.errors:
        _errors_suite(root, result.errors)
    _set_counts(root, tests + len(result.errors), failures, len(result.errors), skipped)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
