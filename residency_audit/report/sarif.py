"""The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.

One run, one driver. Rules come from the policies (title, help and legal references), so
a reviewer reading an alert sees why it matters and what the law says. Results point at
the store's declaration; every evidence fact with a file becomes a related location, so
the chain that decided the region can be followed in the viewer. The partial fingerprint
is the finding's own (rule + store), which keeps an alert the same alert when lines move.
Suppressed findings stay in the log with an external suppression and its justification,
so code scanning shows them as dismissed rather than forgetting them. Nothing time- or
machine-dependent is written: the same scan gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from residency_audit.model import Finding, ScanResult, Severity, SourceRef, Store
from residency_audit.policy.model import Policy, Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "residency-audit"
INFORMATION_URI = "https://pypi.org/project/residency-audit/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "residencyAudit/v1"
PARSE_ERROR_NOTIFICATION = "RA0001"
HINT_NOTIFICATION = "RA0002"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

# GitHub code scanning turns this numeric score into its critical/high/medium/low labels
# (>= 9.0, 7.0-8.9, 4.0-6.9, 0.1-3.9) for rules tagged "security".
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}


def rule_name(rule_id: str) -> str:
    """A PascalCase identifier for ``reportingDescriptor.name`` (``RU-152FZ-LOCALIZATION``
    -> ``Ru152fzLocalization``), as SARIF suggests names be identifiers, not sentences."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def artifact_uri(path: str) -> str:
    """A URI reference for a repository path: relative paths stay relative (to %SRCROOT%),
    characters that are not allowed in a URI are percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/-._~")


def _artifact(path: str) -> dict[str, Any]:
    if path.startswith("/"):
        return {"uri": "file://" + artifact_uri(path)}
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def _physical(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return physical


def _references_text(policy: Policy | None, rule: Rule) -> list[str]:
    references = list(rule.references)
    if policy is not None:
        references.append(f"Policy {policy.id}: {policy.title}")
    return references


def _rule_descriptor(policy: Policy | None, rule: Rule) -> dict[str, Any]:
    references = _references_text(policy, rule)
    help_text = rule.help or rule.title
    text = markdown = help_text
    if references:
        text += "\n\nReferences:" + "".join(f"\n- {r}" for r in references)
        markdown += "\n\n**References**\n\n" + "\n".join(f"- {r}" for r in references)
    tags = ["data-residency", "privacy", "security", rule.category]
    properties: dict[str, Any] = {
        "category": rule.category,
        "severity": rule.severity.value,
        "tags": tags,
        "references": list(rule.references),
    }
    if policy is not None:
        properties["policy"] = policy.id
    if rule.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": help_text},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _unknown_rule_descriptor(finding: Finding) -> dict[str, Any]:
    """A finding whose rule is in none of the given policies still needs a descriptor."""
    return {
        "id": finding.rule_id,
        "name": rule_name(finding.rule_id),
        "shortDescription": {"text": finding.rule_id},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {"category": finding.category, "tags": [finding.category]},
    }


def _rules(
    result: ScanResult, policies: Sequence[Policy]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for policy in policies:
        for rule in policy.rules:
            if rule.id not in index:
                index[rule.id] = len(descriptors)
                descriptors.append(_rule_descriptor(policy, rule))
    every = (*result.findings, *(s.finding for s in result.suppressed))
    for finding in every:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(descriptors)
            descriptors.append(_unknown_rule_descriptor(finding))
    return descriptors, index


def _related(evidence: tuple[SourceRef, ...]) -> list[dict[str, Any]]:
    related: list[dict[str, Any]] = []
    for ref in evidence:
        if not ref.file:
            continue
        related.append(
            {
                "id": len(related) + 1,
                "physicalLocation": _physical(ref.file, ref.line),
                "message": {"text": ref.note or ref.file},
            }
        )
    return related


def _result(
    finding: Finding, store: Store | None, rule_index: int, reason: str | None
) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": _physical(finding.file, finding.line),
        "logicalLocations": [
            {"name": finding.store_id, "fullyQualifiedName": finding.store_id, "kind": "resource"}
        ],
    }
    properties: dict[str, Any] = {
        "store": finding.store_id,
        "category": finding.category,
        "severity": finding.severity.value,
        "countries": list(store.location.countries) if store is not None else [],
    }
    if store is not None:
        properties["locationStatus"] = store.location.status.value
        if store.location.provider:
            properties["provider"] = store.location.provider
        if store.location.region:
            properties["region"] = store.location.region
    if finding.policy_id:
        properties["policy"] = finding.policy_id
    document: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
    }
    related = _related(finding.evidence)
    if related:
        document["relatedLocations"] = related
    document["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if reason is not None:
        document["suppressions"] = [{"kind": "external", "justification": reason}]
    document["properties"] = properties
    return document


def _notifications(result: ScanResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if result.errors:
        invocation["toolExecutionNotifications"] = [
            {
                "descriptor": {"id": PARSE_ERROR_NOTIFICATION},
                "level": "warning",
                "message": {"text": error.message},
                "locations": [{"physicalLocation": _physical(error.file, error.line)}],
            }
            for error in result.errors
        ]
    if result.hints:
        invocation["toolConfigurationNotifications"] = [
            {"descriptor": {"id": HINT_NOTIFICATION}, "level": "note", "message": {"text": hint}}
            for hint in result.hints
        ]
    return invocation


_NOTIFICATION_DESCRIPTORS = [
    {
        "id": PARSE_ERROR_NOTIFICATION,
        "name": "FileNotRead",
        "shortDescription": {
            "text": "A file could not be read or parsed; the rest of the tree was scanned."
        },
        "defaultConfiguration": {"level": "warning"},
    },
    {
        "id": HINT_NOTIFICATION,
        "name": "ConfigurationHint",
        "shortDescription": {"text": "The configuration could tell the scan more."},
        "defaultConfiguration": {"level": "note"},
    },
]


def to_sarif(result: ScanResult, policies: Sequence[Policy]) -> dict[str, Any]:
    """The SARIF log as plain data (what ``render_sarif`` serialises)."""
    rules, rule_index = _rules(result, policies)
    stores = {store.id: store for store in result.stores}
    results = [
        _result(f, stores.get(f.store_id), rule_index[f.rule_id], None) for f in result.findings
    ]
    results += [
        _result(s.finding, stores.get(s.finding.store_id), rule_index[s.finding.rule_id], s.reason)
        for s in result.suppressed
    ]
    driver = {
        "name": TOOL_NAME,
        "version": result.tool_version,
        "semanticVersion": result.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
        "notifications": _NOTIFICATION_DESCRIPTORS,
    }
    run = {
        "tool": {"driver": driver},
        "invocations": [_notifications(result)],
        "results": results,
        "properties": {
            "root": result.root,
            "filesScanned": result.files_scanned,
            "stores": len(result.stores),
            "policies": [{"id": p.id, "title": p.title} for p in result.policies],
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(result: ScanResult, policies: Sequence[Policy]) -> str:
    return json.dumps(to_sarif(result, policies), indent=2, ensure_ascii=False) + "\n"
