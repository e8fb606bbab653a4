"""A baseline: the findings a team has accepted for now, so a gate fails only on new ones.

A baseline lists fingerprints, and a fingerprint is a hash of the rule and the store id
only, so moving a resource block, reformatting a file or editing a message does not turn an
old finding into a new one. Rule and store id are written beside each fingerprint for the
people who review the file; the scan reads only the fingerprints. Any JSON document with
``findings: [{"fingerprint": ...}]`` is accepted, so a saved JSON report works as a
baseline too. The file has no timestamps and a fixed order, so regenerating it without
changes gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from residency_audit.config import ConfigError
from residency_audit.model import Finding

BASELINE_VERSION = 1
DEFAULT_BASELINE_FILE = ".residency-audit-baseline.json"
_FINGERPRINT = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    rule_id: str = ""
    store_id: str = ""


@dataclass(frozen=True)
class Baseline:
    """The accepted findings, and the file name they are cited by in reasons and hints."""

    file: str
    entries: tuple[BaselineEntry, ...]

    def fingerprints(self) -> frozenset[str]:
        return frozenset(entry.fingerprint for entry in self.entries)

    def stale(self, fingerprints: Iterable[str]) -> tuple[BaselineEntry, ...]:
        """Entries no finding has any more: fixed, renamed or removed stores."""
        current = set(fingerprints)
        return tuple(e for e in self.entries if e.fingerprint not in current)

    def stale_hint(self, fingerprints: Iterable[str]) -> tuple[str, ...]:
        gone = self.stale(fingerprints)
        if not gone:
            return ()
        entries = "1 baseline entry matches" if len(gone) == 1 else f"{len(gone)} entries match"
        return (
            f"{self.file}: {entries} no finding any more (fixed, or the store was renamed); "
            "regenerate it with `residency-audit baseline` so it cannot hide a new finding later",
        )


def render_baseline(findings: Sequence[Finding], tool_version: str) -> str:
    entries = sorted({(f.store_id, f.rule_id, f.fingerprint) for f in findings})
    document = {
        "residency_audit_baseline": BASELINE_VERSION,
        "tool_version": tool_version,
        "findings": [
            {"fingerprint": fingerprint, "rule_id": rule_id, "store_id": store_id}
            for store_id, rule_id, fingerprint in entries
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    """Read a baseline (or a JSON report); a file that cannot serve is a ConfigError.

    Errors name the path as the user gave it; ``display`` (the path relative to the
    scanned root) is how reasons and hints cite the baseline in the report.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(name, None, "baseline file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, None, f"cannot read baseline: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(name, None, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    return Baseline(display or name, _entries(document, name))


def _entries(document: Any, name: str) -> tuple[BaselineEntry, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(name, "findings", "a baseline is a JSON object with a `findings` list")
    entries: list[BaselineEntry] = []
    for index, item in enumerate(document["findings"]):
        key = f"findings[{index}].fingerprint"
        fingerprint = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
            raise ConfigError(name, key, f"expected a hexadecimal fingerprint, got {fingerprint!r}")
        rule_id, store_id = item.get("rule_id", ""), item.get("store_id", "")
        entries.append(
            BaselineEntry(
                fingerprint,
                rule_id if isinstance(rule_id, str) else "",
                store_id if isinstance(store_id, str) else "",
            )
        )
    return tuple(entries)
