"""The Kubernetes data tables: store images, operator kinds, storage drivers, node labels.

They are data (``data/*.csv``) so that adding an image or a CSI driver is a one-line change
with a test that checks every row; this module only loads them and answers lookups.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from importlib import resources

STORE_KINDS: frozenset[str] = frozenset(
    {
        "relational_db",
        "document_db",
        "key_value",
        "cache",
        "search",
        "warehouse",
        "wide_column",
        "message_queue",
        "object_storage",
        "graph_db",
        "time_series",
        "block_storage",
    }
)
"""Store kinds this source emits; ``block_storage`` is a persistent volume of unknown content."""

LABEL_LEVELS: frozenset[str] = frozenset({"region", "zone", "provider"})


@dataclass(frozen=True)
class ImagePattern:
    pattern: str
    store_kind: str
    engine: str

    def matches(self, repository: str) -> bool:
        wanted = self.pattern.split("/")
        parts = repository.split("/")
        if len(parts) < len(wanted):
            return False
        tail = parts[len(parts) - len(wanted) :]
        return all(fnmatchcase(part, glob) for part, glob in zip(tail, wanted, strict=True))


@dataclass(frozen=True)
class OperatorKind:
    group: str
    kind: str
    store_kind: str
    engine: str
    confidence: str


@dataclass(frozen=True)
class StorageDriver:
    driver: str
    provider: str | None
    medium: str


@dataclass(frozen=True)
class NodeLabel:
    key: str
    prefix: bool
    level: str  # region | zone | provider
    provider: str | None

    def matches(self, key: str) -> bool:
        return key.startswith(self.key) if self.prefix else key == self.key


@dataclass(frozen=True)
class ConnectionScheme:
    scheme: str
    store_kind: str
    with_database: bool
    spellings: tuple[str, ...]
    env_tokens: tuple[str, ...]


@dataclass(frozen=True)
class ManagedService:
    service: str
    scheme: str | None
    store_kind: str | None
    identifier_host: bool


def _rows(name: str) -> Iterator[dict[str, str]]:
    """Rows of a shipped CSV; lines starting with '#' document the table."""
    text = (
        resources.files("residency_audit.sources.kubernetes")
        .joinpath("data", name)
        .read_text("utf-8")
    )
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    yield from csv.DictReader(lines)


def _check_kind(table: str, kind: str) -> str:
    if kind not in STORE_KINDS:
        raise ValueError(f"{table}: unknown store kind {kind!r}")
    return kind


@cache
def image_patterns() -> tuple[ImagePattern, ...]:
    return tuple(
        ImagePattern(row["pattern"], _check_kind("images.csv", row["store_kind"]), row["engine"])
        for row in _rows("images.csv")
    )


@cache
def operator_kinds() -> dict[tuple[str, str], OperatorKind]:
    table: dict[tuple[str, str], OperatorKind] = {}
    for row in _rows("operators.csv"):
        entry = OperatorKind(
            row["group"],
            row["kind"],
            _check_kind("operators.csv", row["store_kind"]),
            row["engine"],
            row["confidence"],
        )
        if (entry.group, entry.kind) in table:
            raise ValueError(f"operators.csv: {entry.group} {entry.kind} is listed twice")
        table[(entry.group, entry.kind)] = entry
    return table


@cache
def storage_drivers() -> dict[str, StorageDriver]:
    table: dict[str, StorageDriver] = {}
    for row in _rows("storage_drivers.csv"):
        if row["driver"] in table:
            raise ValueError(f"storage_drivers.csv: {row['driver']} is listed twice")
        table[row["driver"]] = StorageDriver(row["driver"], row["provider"] or None, row["medium"])
    return table


@cache
def velero_providers() -> dict[str, str]:
    """Velero plugin name -> the provider whose object storage it writes to."""
    table: dict[str, str] = {}
    for row in _rows("velero_providers.csv"):
        if row["plugin"] in table:
            raise ValueError(f"velero_providers.csv: {row['plugin']} is listed twice")
        table[row["plugin"]] = row["provider"]
    return table


@cache
def node_labels() -> tuple[NodeLabel, ...]:
    labels: list[NodeLabel] = []
    for row in _rows("node_labels.csv"):
        if row["match"] not in ("exact", "prefix") or row["level"] not in LABEL_LEVELS:
            raise ValueError(f"node_labels.csv: bad row for {row['key']!r}")
        labels.append(
            NodeLabel(row["key"], row["match"] == "prefix", row["level"], row["provider"] or None)
        )
    return tuple(labels)


@cache
def connection_schemes() -> dict[str, ConnectionScheme]:
    """By every spelling (``postgres``, ``postgresql``) and by the scheme itself."""
    table: dict[str, ConnectionScheme] = {}
    for row in _rows("connection_schemes.csv"):
        if row["with_database"] not in ("yes", "no"):
            raise ValueError(f"connection_schemes.csv: bad with_database for {row['scheme']!r}")
        entry = ConnectionScheme(
            row["scheme"],
            _check_kind("connection_schemes.csv", row["store_kind"]),
            row["with_database"] == "yes",
            tuple(row["spellings"].split()),
            tuple(row["env_tokens"].split()),
        )
        for spelling in {entry.scheme, *entry.spellings}:
            if spelling in table:
                raise ValueError(f"connection_schemes.csv: {spelling!r} is listed twice")
            table[spelling] = entry
    return table


@cache
def managed_services() -> dict[str, ManagedService]:
    table: dict[str, ManagedService] = {}
    for row in _rows("managed_services.csv"):
        service = row["service"]
        if service in table or row["identifier_host"] not in ("yes", "no"):
            raise ValueError(f"managed_services.csv: bad or repeated row for {service!r}")
        kind = row["store_kind"] or None
        table[service] = ManagedService(
            service,
            row["scheme"] or None,
            _check_kind("managed_services.csv", kind) if kind else None,
            row["identifier_host"] == "yes",
        )
    return table


def connection_scheme(spelling: str) -> ConnectionScheme | None:
    """The store scheme a URL scheme means (``postgresql+asyncpg`` -> postgresql), if any."""
    text = spelling.strip().lower()
    table = connection_schemes()
    return table.get(text) or table.get(text.split("+", 1)[0])


def scheme_of_env_name(name: str) -> ConnectionScheme | None:
    """The engine a variable's name points at (``PG_HOST`` -> postgresql), if exactly one."""
    tokens = set(name.upper().replace("-", "_").replace(".", "_").split("_"))
    found = {
        row.scheme: row for row in connection_schemes().values() if tokens & set(row.env_tokens)
    }
    return next(iter(found.values())) if len(found) == 1 else None


def managed_service(service: str) -> ManagedService | None:
    return managed_services().get(service)


def image_repository(image: str) -> str:
    """The repository path of an image reference, without registry host, tag or digest.

    ``docker.io/bitnami/postgresql:16.2.0@sha256:ab..`` -> ``bitnami/postgresql``.
    """
    ref = image.strip().lower().split("@", 1)[0]
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    last = parts[-1].split(":", 1)[0]
    return "/".join([*parts[:-1], last])


_Ranked = tuple[int, ImagePattern]


@lru_cache(maxsize=4096)
def match_image(image: str) -> ImagePattern | None:
    """The data store an image runs, or None for anything else (apps, exporters, proxies).
    Cached: a monorepo runs the same few hundred images in thousands of manifests."""
    repository = image_repository(image)
    if not repository:
        return None
    by_last, globbed = _image_index()
    candidates: list[_Ranked] = [*by_last.get(repository.rsplit("/", 1)[-1], []), *globbed]
    for _, pattern in sorted(candidates, key=lambda c: c[0]):
        if pattern.matches(repository):
            return pattern
    return None


@cache
def _image_index() -> tuple[dict[str, list[_Ranked]], list[_Ranked]]:
    """Patterns by their literal last component (most rows), and those whose last component
    is a glob; each with its row number, since the first matching row wins."""
    by_last: dict[str, list[_Ranked]] = {}
    globbed: list[_Ranked] = []
    for order, pattern in enumerate(image_patterns()):
        last = pattern.pattern.rsplit("/", 1)[-1]
        if any(char in last for char in "*?["):
            globbed.append((order, pattern))
        else:
            by_last.setdefault(last, []).append((order, pattern))
    return by_last, globbed


def operator_kind(api_version: str, kind: str) -> OperatorKind | None:
    group = api_version.rpartition("/")[0]
    return operator_kinds().get((group, kind))


def storage_driver(driver: str) -> StorageDriver | None:
    return storage_drivers().get(driver.strip())


def node_label(key: str) -> NodeLabel | None:
    for label in node_labels():
        if label.matches(key):
            return label
    return None
