"""Accepting known findings on purpose, with a reason, for a limited time.

Suppressed findings are never dropped: they move to ``suppressed`` with their reason, so an
auditor sees what was accepted and why. A suppression that has expired, or that gives no
reason, does not apply; the scan says so in its hints instead of hiding it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from residency_audit.config import Config, Suppression
from residency_audit.model import Finding, SuppressedFinding


@dataclass(frozen=True)
class SuppressionOutcome:
    findings: tuple[Finding, ...]
    suppressed: tuple[SuppressedFinding, ...]
    hints: tuple[str, ...]


def _glob(pattern: str | None, value: str) -> bool:
    return pattern is None or pattern == value or fnmatch.fnmatchcase(value, pattern)


def _applies(rule: Suppression, finding: Finding) -> bool:
    return _glob(rule.rule, finding.rule_id) and _glob(rule.store, finding.store_id)


def apply_suppressions(
    findings: Iterable[Finding], config: Config, today: dt.date | None = None
) -> SuppressionOutcome:
    today = today or dt.date.today()
    config_file = config.file or "config"
    active: list[tuple[Suppression, str]] = []
    hints: list[str] = []
    for index, rule in enumerate(config.model.suppress):
        where = f"{config_file}:{config.line_of(f'suppress[{index}]') or '?'}"
        if rule.rule is None and rule.store is None:
            hints.append(f"{where}: a suppression must name a rule or a store; it is ignored")
        elif not rule.reason.strip():
            hints.append(f"{where}: a suppression without a reason is ignored; add `reason:`")
        elif rule.until is not None and today > rule.until:
            hints.append(
                f"{where}: suppression expired on {rule.until.isoformat()}; it no longer applies"
            )
        else:
            until = f" (until {rule.until.isoformat()})" if rule.until else ""
            active.append((rule, f"{rule.reason.strip()}{until} [{where}]"))

    kept: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for finding in findings:
        reason = next((why for rule, why in active if _applies(rule, finding)), None)
        if reason is None:
            kept.append(finding)
        else:
            suppressed.append(SuppressedFinding(finding, reason))
    return SuppressionOutcome(tuple(kept), tuple(suppressed), tuple(hints))
