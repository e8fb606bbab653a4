"""Which Python files are worth parsing, decided from their bytes alone.

Parsing with libcst is the expensive part of the Python analysis, and most files of a
repository (tests, utilities, vendored code) can change nothing: they import no store
client, ORM, settings reader or model base, read no environment variable, define no
module-level constant or model, and contain no sign of whose data they handle. A file that
matches none of the byte patterns cannot produce a fact the linker uses, so it is skipped.
The patterns come from the data tables (the import roots of every client, reader and
framework name) plus data/signals.yaml; tests check on every fixture that linking the
prefiltered files gives the same result as linking all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from residency_audit.sources.python.catalog import client_catalog, frameworks, readers, signals


def might_matter(data: bytes) -> bool:
    """False only for files the full analysis would get nothing from."""
    return any(pattern.search(data) is not None for pattern in _patterns())


def might_hold_markers(data: bytes) -> bool:
    """False only for files in which no literal can match a subject or code marker."""
    return any(pattern.search(data) is not None for pattern in _marker_patterns())


def import_roots() -> frozenset[str]:
    """Top-level packages named by the tables (``boto3``, ``sqlalchemy``, ``environ`` ...)."""
    catalog = client_catalog()
    fw = frameworks()
    rd = readers()
    names: list[str] = [
        *catalog.constructor_calls,
        *catalog.write_function_calls,
        *(c for row in rd.functions for c in row.calls),
        *(c for row in rd.instances for c in row.constructors),
        *rd.settings_bases,
        *(b for b, _ in fw.orm_bases),
        *fw.sqlmodel_bases,
        *fw.declarative_factories,
        *fw.document_bases,
        *fw.document_decorators,
        *(b for row in fw.storage_backends for b in row.backends),
        *fw.dependency_markers,
        fw.django_settings_object,
        *(c for row in signals().context_calls for c in row.calls),
    ]
    return frozenset(_root(name) for name in names if _root(name) not in _EVERYWHERE)


# Imported by nearly every file; the names of theirs that matter are byte patterns instead.
_EVERYWHERE = frozenset(
    {"os", "typing", "typing_extensions", "dataclasses", "locale", "attr", "attrs", "builtins"}
)
# Namespace packages: only a sub-package says anything (google.cloud, not google.protobuf).
_NAMESPACES = frozenset({"google", "azure"})


def _root(name: str) -> str:
    parts = name.split(".")
    if parts[0] in _NAMESPACES and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def _imports_of(roots: Iterable[str]) -> bytes:
    alternatives = "|".join(sorted(re.escape(r) for r in roots))
    # a root followed by a word boundary: "redis" but not "redistribute"
    return rb"(?m)^[ \t]*(?:from|import)[ \t]+(?:" + alternatives.encode() + rb")\b"


@cache
def _patterns() -> tuple[re.Pattern[bytes], ...]:
    """Searched one by one: Python's engine scans a single big alternation slower than
    these separately, and most kept files stop at the first."""
    table = signals()
    return tuple(
        re.compile(p)
        for p in (_imports_of(import_roots()), *table.prefilter_patterns, *table.marker_patterns)
    )


@cache
def _marker_patterns() -> tuple[re.Pattern[bytes], ...]:
    return tuple(re.compile(p) for p in signals().marker_patterns)
