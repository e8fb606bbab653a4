"""The JSON report of the contract (schema_version 1).

Field order and list order are fixed, and nothing time- or machine-dependent is written,
so the same tree always gives byte-identical output (golden files rely on it).
"""

from __future__ import annotations

import json
from typing import Any

from residency_audit.model import (
    Edge,
    Finding,
    ScanResult,
    Severity,
    SourceRef,
    Store,
    SuppressedFinding,
)

SCHEMA_VERSION = "1"


def _evidence(refs: tuple[SourceRef, ...]) -> list[dict[str, Any]]:
    return [{"file": r.file, "line": r.line, "note": r.note} for r in refs]


def _store(store: Store) -> dict[str, Any]:
    location = store.location
    personal = store.personal_data
    return {
        "id": store.id,
        "name": store.name,
        "kind": store.kind,
        "source": store.source,
        "file": store.file,
        "line": store.line,
        "location": {
            "status": location.status.value,
            "provider": location.provider,
            "region": location.region,
            "countries": list(location.countries),
            "evidence": _evidence(location.evidence),
        },
        "personal_data": {
            "status": personal.status.value,
            "categories": list(personal.categories),
            "subjects": list(personal.subjects),
            "evidence": _evidence(personal.evidence),
        },
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "category": finding.category,
        "severity": finding.severity.value,
        "store_id": finding.store_id,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "evidence": _evidence(finding.evidence),
        "fingerprint": finding.fingerprint,
    }


def _edge(edge: Edge) -> dict[str, Any]:
    # The schema types file/line as string/integer, so an edge without a place omits them.
    document: dict[str, Any] = {"from": edge.source, "to": edge.target, "kind": edge.kind.value}
    if edge.file is not None:
        document["file"] = edge.file
    if edge.line is not None:
        document["line"] = edge.line
    return document


def _suppressed(item: SuppressedFinding) -> dict[str, Any]:
    return {**_finding(item.finding), "reason": item.reason}


def to_document(result: ScanResult) -> dict[str, Any]:
    by_severity = {s.value: 0 for s in Severity}
    for finding in result.findings:
        by_severity[finding.severity.value] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "residency-audit", "version": result.tool_version},
        "root": result.root,
        "policies": [{"id": p.id, "title": p.title} for p in result.policies],
        "stores": [_store(s) for s in result.stores],
        "edges": [_edge(e) for e in result.edges],
        "findings": [_finding(f) for f in result.findings],
        "suppressed": [_suppressed(s) for s in result.suppressed],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in result.errors],
        "hints": list(result.hints),
        "summary": {
            "files_scanned": result.files_scanned,
            "stores": len(result.stores),
            "findings": len(result.findings),
            "by_severity": by_severity,
        },
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_document(result), indent=2, ensure_ascii=False) + "\n"
