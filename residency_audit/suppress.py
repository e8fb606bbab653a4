"""Accepting known findings on purpose, with a reason, for a limited time.

Three ways to accept a finding, tried in this order: an inline comment at the declaration
(``# residency-audit: ignore[RULE-ID] reason``), the config's ``suppress:`` entries, and a
baseline file of fingerprints (``scan --baseline``). Suppressed findings are never dropped:
they move to ``suppressed`` with their reason, so an auditor sees what was accepted and
why. A suppression that has expired, that gives no reason, or that names no rule of the
finding next to it does not apply; the scan says so in its hints instead of hiding it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from residency_audit.baseline import Baseline
from residency_audit.config import Config, Suppression
from residency_audit.model import Finding, SuppressedFinding

# Reads a file of the scanned tree by its report path; None when it cannot be read.
SourceReader = Callable[[str], str | None]

MARKER = re.compile(r"residency-audit:\s*ignore\[(?P<rules>[^\]]*)\](?P<reason>.*)")
# A marker on the declaration line itself must sit in a comment, not in a string value.
_TRAILING = re.compile(r"(?:#|//|/\*)[^\n]*?residency-audit:\s*ignore\[")
# How far up a comment block is searched: a licence header far above is not a suppression.
MAX_COMMENT_LINES = 40


@dataclass(frozen=True)
class SuppressionOutcome:
    findings: tuple[Finding, ...]
    suppressed: tuple[SuppressedFinding, ...]
    hints: tuple[str, ...]


@dataclass(frozen=True)
class InlineSuppression:
    """One ``residency-audit: ignore[...]`` comment: its line, rule patterns and reason."""

    line: int
    rules: tuple[str, ...]
    reason: str

    def covers(self, rule_id: str) -> bool:
        return any(_glob(pattern, rule_id) for pattern in self.rules)


def _glob(pattern: str | None, value: str) -> bool:
    return pattern is None or pattern == value or fnmatch.fnmatchcase(value, pattern)


def _applies(rule: Suppression, finding: Finding) -> bool:
    return _glob(rule.rule, finding.rule_id) and _glob(rule.store, finding.store_id)


def _marker(text: str, line: int) -> InlineSuppression | None:
    match = MARKER.search(text)
    if match is None:
        return None
    rules = tuple(r.strip() for r in match["rules"].split(",") if r.strip())
    reason = match["reason"].strip()
    reason = reason.removesuffix("*/").strip().lstrip("-:—–").strip()
    return InlineSuppression(line, rules, reason)


def _comment_block_above(lines: Sequence[str], index: int) -> list[int]:
    """Indexes of the comment lines directly above ``lines[index]``, nearest first.

    A comment line starts with ``#`` or ``//`` (Python, HCL, YAML), or belongs to a
    ``/* ... */`` block that ends on its own line. A blank line or code ends the block: a
    comment separated from the declaration by a blank line is about something else.
    """
    found: list[int] = []
    i = index - 1
    in_block = False
    while i >= 0 and len(found) < MAX_COMMENT_LINES:
        stripped = lines[i].strip()
        if in_block:
            found.append(i)
            in_block = "/*" not in stripped
        elif stripped.startswith(("#", "//")):
            found.append(i)
        elif stripped.endswith("*/") and (stripped.startswith("/*") or "/*" not in stripped):
            found.append(i)
            in_block = not stripped.startswith("/*")
        else:
            break  # code (perhaps with a trailing comment of its own) or a blank line
        i -= 1
    return found


def inline_suppressions(text: str, line: int) -> tuple[InlineSuppression, ...]:
    """The suppression comments that belong to the declaration on ``line`` (1-based).

    They are on that line (after the code, as a trailing comment) or in the comment block
    directly above it, with no blank line in between. Pure and cheap: it is applied only
    to the few files that have findings, after the scan.
    """
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ()
    found: list[InlineSuppression] = []
    own = lines[line - 1]
    if _TRAILING.search(own):
        marker = _marker(own, line)
        if marker is not None:
            found.append(marker)
    for i in _comment_block_above(lines, line - 1):
        marker = _marker(lines[i], i + 1)
        if marker is not None:
            found.append(marker)
    return tuple(sorted(found, key=lambda m: m.line))


def _config_suppressions(
    config: Config, today: dt.date
) -> tuple[list[tuple[Suppression, str]], list[str]]:
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
    return active, hints


class _InlineIndex:
    """Inline markers per declaration, reading each file with findings once."""

    def __init__(self, read_source: SourceReader | None) -> None:
        self._read = read_source
        self._texts: dict[str, str | None] = {}

    def at(self, file: str, line: int) -> tuple[InlineSuppression, ...]:
        if self._read is None:
            return ()
        if file not in self._texts:
            self._texts[file] = self._read(file)
        text = self._texts[file]
        return () if text is None else inline_suppressions(text, line)


def _inline_hints(
    findings: Sequence[Finding], index: _InlineIndex, suppressed: set[int]
) -> list[str]:
    """Markers that did not apply, said out loud: no reason, no rule, or the wrong rule."""
    hints: list[str] = []
    by_place: dict[tuple[str, int], list[Finding]] = {}
    for finding in findings:
        by_place.setdefault((finding.file, finding.line), []).append(finding)
    for (file, line), here in sorted(by_place.items()):
        rule_ids = sorted({f.rule_id for f in here})
        for marker in index.at(file, line):
            where = f"{file}:{marker.line}"
            covered = [r for r in rule_ids if marker.covers(r)]
            if not marker.rules:
                hints.append(f"{where}: inline suppression names no rule; it is ignored")
            elif not covered:
                hints.append(
                    f"{where}: inline suppression ignore[{', '.join(marker.rules)}] matches no "
                    f"finding of this declaration (its findings: {', '.join(rule_ids)}); "
                    "it is ignored"
                )
            elif not marker.reason and any(id(f) not in suppressed for f in here):
                hints.append(
                    f"{where}: inline suppression of {', '.join(covered)} gives no reason, so "
                    "it is ignored; write why after the bracket: "
                    f"`residency-audit: ignore[{covered[0]}] <reason>`"
                )
    return hints


def apply_suppressions(
    findings: Iterable[Finding],
    config: Config,
    today: dt.date | None = None,
    *,
    read_source: SourceReader | None = None,
    baseline: Baseline | None = None,
) -> SuppressionOutcome:
    """Split findings into live and suppressed; say why any suppression did not apply.

    ``read_source`` gives the text of a finding's file for inline comments (only files
    with findings are read); ``baseline`` accepts the findings it lists by fingerprint.
    """
    today = today or dt.date.today()
    active, hints = _config_suppressions(config, today)
    index = _InlineIndex(read_source)
    all_findings = list(findings)
    accepted = baseline.fingerprints() if baseline is not None else frozenset()
    in_baseline = f"in baseline {baseline.file}" if baseline is not None else ""

    kept: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for finding in all_findings:
        reason = _inline_reason(finding, index)
        if reason is None:
            reason = next((why for rule, why in active if _applies(rule, finding)), None)
        if reason is None and finding.fingerprint in accepted:
            reason = in_baseline
        if reason is None:
            kept.append(finding)
        else:
            suppressed.append(SuppressedFinding(finding, reason))

    done = {id(s.finding) for s in suppressed}
    hints.extend(_inline_hints(all_findings, index, done))
    if baseline is not None:
        hints.extend(baseline.stale_hint({f.fingerprint for f in all_findings}))
    return SuppressionOutcome(tuple(kept), tuple(suppressed), tuple(hints))


def _inline_reason(finding: Finding, index: _InlineIndex) -> str | None:
    for marker in index.at(finding.file, finding.line):
        if marker.reason and marker.covers(finding.rule_id):
            return f"{marker.reason} [{finding.file}:{marker.line}]"
    return None
