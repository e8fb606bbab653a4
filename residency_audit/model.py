"""The facts a scan produces, as frozen plain data.

Everything here is immutable and built from strings, numbers and tuples, so results can
cross process boundaries, be cached by content hash and be compared in tests. The JSON
report is a direct rendering of these types (see ``report/json_report.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LocationStatus(StrEnum):
    RESOLVED = "resolved"
    MULTI = "multi"
    UNKNOWN = "unknown"


class PersonalDataStatus(StrEnum):
    YES = "yes"
    LIKELY = "likely"
    NO = "no"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for ``--fail-on`` and for sorting."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class EdgeKind(StrEnum):
    """How two nodes of the residency graph are related.

    Copy kinds carry personal data from ``source`` to ``target``; ``writes`` goes from a
    code site to the store it writes.
    """

    WRITES = "writes"
    REPLICA = "replica"
    BACKUP = "backup"
    COPY = "copy"

    @property
    def is_copy(self) -> bool:
        return self is not EdgeKind.WRITES


@dataclass(frozen=True, order=True)
class SourceRef:
    """One checkable fact: a place in the repository and what it says."""

    file: str
    line: int | None
    note: str


@dataclass(frozen=True)
class Location:
    """Where a store physically lives.

    ``countries`` is sorted; ``evidence`` is the chain of places that decided the region,
    and for an unknown location it says why the region could not be determined.
    """

    status: LocationStatus
    provider: str | None = None
    region: str | None = None
    countries: tuple[str, ...] = ()
    evidence: tuple[SourceRef, ...] = ()

    @staticmethod
    def unknown(
        why: SourceRef,
        evidence: tuple[SourceRef, ...] = (),
        *,
        provider: str | None = None,
        region: str | None = None,
    ) -> Location:
        """An honest "we could not tell": ``why`` (the reason, where it arose) ends the chain."""
        return Location(LocationStatus.UNKNOWN, provider, region, (), (*evidence, why))

    @property
    def is_known(self) -> bool:
        return self.status is not LocationStatus.UNKNOWN

    def describe(self) -> str:
        """Human wording used in messages and tables, e.g. ``eu-central-1 (DE)``."""
        if not self.is_known:
            return "an unknown location"
        countries = ", ".join(self.countries)
        return f"{self.region} ({countries})" if self.region else f"({countries})"


@dataclass(frozen=True)
class PersonalData:
    """What a store holds about people, and whose data it is.

    ``copied_from`` is non-empty when the store holds personal data only because it is a
    replica/backup/copy of those stores (and nothing marks it personal by itself); policies
    treat such copies differently from primary stores.
    """

    status: PersonalDataStatus = PersonalDataStatus.UNKNOWN
    categories: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    evidence: tuple[SourceRef, ...] = ()
    copied_from: tuple[str, ...] = ()

    @property
    def is_personal(self) -> bool:
        return self.status in (PersonalDataStatus.YES, PersonalDataStatus.LIKELY)


@dataclass(frozen=True)
class Store:
    """A place where data persists: a bucket, a database, a cache, a volume.

    ``labels`` are the tags/labels/annotations the declaration carries, kept raw so that
    classification (a later stage) can read them without knowing the source format.
    """

    id: str
    kind: str
    source: str
    file: str
    line: int
    location: Location
    name: str | None = None
    personal_data: PersonalData = field(default_factory=PersonalData)
    labels: tuple[tuple[str, str], ...] = ()
    resource_type: str | None = None


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    file: str | None = None
    line: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Finding:
    rule_id: str
    category: str
    severity: Severity
    store_id: str
    file: str
    line: int
    message: str
    evidence: tuple[SourceRef, ...]
    fingerprint: str
    policy_id: str = ""


@dataclass(frozen=True)
class SuppressedFinding:
    finding: Finding
    reason: str


@dataclass(frozen=True, order=True)
class ScanError:
    """A file (or a piece of one) that could not be read; the scan goes on without it."""

    file: str
    line: int | None
    message: str


@dataclass(frozen=True)
class PolicyRef:
    id: str
    title: str


@dataclass(frozen=True)
class ScanResult:
    root: str
    tool_version: str
    policies: tuple[PolicyRef, ...]
    stores: tuple[Store, ...]
    edges: tuple[Edge, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[SuppressedFinding, ...]
    errors: tuple[ScanError, ...]
    files_scanned: int
    hints: tuple[str, ...] = ()

    def findings_at_or_above(self, threshold: Severity | None) -> tuple[Finding, ...]:
        """The findings that fail a gate set at ``threshold`` (``None`` fails nothing)."""
        if threshold is None:
            return ()
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)
