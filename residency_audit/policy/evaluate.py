"""Turn classified stores into findings under a policy.

The evaluator knows the condition vocabulary (personal-data status, location relative to
the allowed countries, how the store receives the data) and nothing about any country.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from residency_audit.graph import ResidencyGraph
from residency_audit.model import Finding, PersonalDataStatus, Severity, SourceRef, Store
from residency_audit.policy.model import LocationClass, Policy, Receives, Rule


def fingerprint(rule_id: str, store_id: str) -> str:
    """Stable across runs and line moves: only the rule and the store identify a finding."""
    return hashlib.sha256(f"{rule_id}\x00{store_id}".encode()).hexdigest()[:32]


def location_class(store: Store, policy: Policy) -> LocationClass:
    if not store.location.is_known or not store.location.countries:
        return LocationClass.UNKNOWN
    allowed = set(policy.allowed_countries)
    return (
        LocationClass.INSIDE
        if all(c in allowed for c in store.location.countries)
        else LocationClass.OUTSIDE
    )


def receives(store: Store, graph: ResidencyGraph, policy: Policy) -> Receives:
    origins = store.personal_data.copied_from
    if not origins:
        return Receives.DIRECT
    inside = all(location_class(graph.stores[o], policy) is LocationClass.INSIDE for o in origins)
    return Receives.COPY_OF_INSIDE if inside else Receives.COPY_OF_OUTSIDE


def in_scope(store: Store, policy: Policy) -> bool:
    """Personal data of the subjects this policy protects."""
    return store.personal_data.is_personal and bool(
        set(store.personal_data.subjects) & set(policy.subjects)
    )


def evaluate(graph: ResidencyGraph, policies: Iterable[Policy]) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    for policy in policies:
        for store in sorted(graph.stores.values(), key=lambda s: s.id):
            if not in_scope(store, policy):
                continue
            where = location_class(store, policy)
            how = receives(store, graph, policy)
            for rule in policy.rules:
                if _matches(rule, store, where, how):
                    findings.append(_finding(rule, policy, store))
    return tuple(findings)


def _matches(rule: Rule, store: Store, where: LocationClass, how: Receives) -> bool:
    condition = rule.when
    return (
        store.personal_data.status in condition.personal_data
        and (condition.location is None or where in condition.location)
        and (condition.receives is None or how in condition.receives)
    )


def _finding(rule: Rule, policy: Policy, store: Store) -> Finding:
    severity: Severity = rule.severity
    if store.personal_data.status is PersonalDataStatus.LIKELY and rule.severity_if_likely:
        severity = rule.severity_if_likely
    reason = store.location.evidence[-1].note if store.location.evidence else "no location"
    values = {
        "store": store.id,
        "name": store.name or store.id,
        "location": store.location.describe(),
        "region": store.location.region or "?",
        "countries": ", ".join(store.location.countries) or "?",
        "reason": reason,
        "copied_from": ", ".join(store.personal_data.copied_from) or "-",
        "subjects": ", ".join(store.personal_data.subjects),
    }
    message = rule.message.format_map(values)
    if store.personal_data.status is PersonalDataStatus.LIKELY:
        message += " (personal data inferred from the store's name only)"
    evidence = _dedupe((*store.location.evidence, *store.personal_data.evidence))
    return Finding(
        rule_id=rule.id,
        category=rule.category,
        severity=severity,
        store_id=store.id,
        file=store.file,
        line=store.line,
        message=message,
        evidence=evidence,
        fingerprint=fingerprint(rule.id, store.id),
        policy_id=policy.id,
    )


def _dedupe(refs: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
    return tuple(dict.fromkeys(refs))
