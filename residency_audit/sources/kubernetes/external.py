"""Managed databases the workloads connect to: a ``DATABASE_URL`` pointing at RDS abroad.

A cluster in Moscow whose Deployment writes to ``orders.c9akciq32.eu-central-1.rds.
amazonaws.com`` keeps its users' data in Frankfurt, whatever the cluster's own placement
says. So every workload variable that names a managed data-store host (recognised by
``geo.endpoints``, and listed in ``data/managed_services.csv``) becomes a ``writes`` edge
from the workload to that store:

* to the Terraform store that declares it, when the host carries the instance's own name
  (RDS, DocumentDB, ElastiCache, Azure servers) and a declared store of a matching kind has
  that name: the declaration, not the manifest, then says where it is;
* else to a store known only from the manifest, with the contract's code-only id
  ``code:<scheme>://<host>[/<database>]`` spelled as the Python source spells it (so the
  code that reads the variable names the same store), located from the host.

Values resolve through ConfigMaps and Secrets (``connections.env_bindings``); a bare host
counts only in a variable whose name says it is a host (``DB_HOST``, ``PG_ENDPOINT``).
In-cluster hosts (``orders-pg-rw.orders.svc``) are left to the Python linking, which knows
the Kubernetes stores behind Services. What the workload's own labels say about personal
data travels with each edge (:class:`WorkloadWrite`) for the classify stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from residency_audit.geo.endpoints import hosts_of
from residency_audit.model import Edge, EdgeKind, Location, SourceRef, Store
from residency_audit.sources.kubernetes.catalog import (
    ConnectionScheme,
    ManagedService,
    connection_scheme,
    managed_service,
    scheme_of_env_name,
)
from residency_audit.sources.kubernetes.connections import EnvBinding, env_bindings
from residency_audit.sources.kubernetes.copies import HostMatch, MatchHost
from residency_audit.sources.kubernetes.facts import KubernetesFacts, Pairs
from residency_audit.sources.kubernetes.ids import ObjectIds
from residency_audit.sources.kubernetes.placement import Locate, combine
from residency_audit.sources.kubernetes.stores import object_labels

__all__ = [
    "Connection",
    "ExternalStores",
    "WorkloadWrite",
    "link_external",
    "read_connection",
]

# Name tokens of a variable that holds a bare host (no scheme) rather than a URL.
_HOST_TOKENS = frozenset({"HOST", "HOSTNAME", "ENDPOINT", "SERVER", "ADDR", "ADDRESS"})
# Prefixes of endpoint hosts that come before the instance's name (ElastiCache primary).
_ROLE_LABELS = frozenset({"master", "replica"})
# The only stores spoken to over http(s): Elasticsearch / OpenSearch.
_HTTP_STORE_KIND = "search"
# Store kinds a host's engine and a declared store may both be called.
_KIND_FAMILIES = {"cache": "key_value"}


@dataclass(frozen=True)
class Connection:
    """What one connection value names: a managed store's engine, hosts and database."""

    scheme: str
    store_kind: str
    hosts: tuple[str, ...]
    database: str | None
    service: ManagedService
    match: HostMatch

    @property
    def store_id(self) -> str:
        suffix = f"/{self.database}" if self.database else ""
        return f"code:{self.scheme}://{self.hosts[0]}{suffix}"

    @property
    def identifier(self) -> str | None:
        """The instance name the host starts with, where the service names hosts so."""
        if not self.service.identifier_host:
            return None
        labels = self.hosts[0].split(".")
        if labels[0] in _ROLE_LABELS and len(labels) > 1:
            return labels[1]
        return labels[0]


@dataclass(frozen=True)
class WorkloadWrite:
    """A ``writes`` edge with the writing workload's labels, for the classify stage: a
    workload labelled as handling personal data puts it in the stores it writes."""

    edge: Edge
    labels: Pairs
    workload: SourceRef


@dataclass(frozen=True)
class ExternalStores:
    stores: tuple[Store, ...]  # managed stores known only from the manifests
    edges: tuple[Edge, ...]  # writes: k8s:<Kind>/<ns>/<name> -> store id
    writers: tuple[WorkloadWrite, ...]


def read_connection(name: str, value: str, match_host: MatchHost) -> Connection | None:
    """The managed store a variable ``name`` = ``value`` points at, or None.

    URLs count by their scheme (``postgresql+psycopg://``, ``jdbc:mysql://``; ``https://``
    only for a search service host); a bare ``host[:port]`` only in a variable named like
    a host, its engine told by the variable's name or the service.
    """
    text = value.strip()
    if text.lower().startswith("jdbc:"):
        text = text[len("jdbc:") :]
    is_url = "://" in text
    scheme: ConnectionScheme | None
    if is_url:
        spelling = text.split("://", 1)[0].lower()
        scheme = connection_scheme(spelling)
        if scheme is None and spelling not in ("http", "https"):
            return None
    else:
        tokens = set(re.split(r"[_.\-]", name.upper()))
        if not tokens & _HOST_TOKENS:
            return None
        scheme = scheme_of_env_name(name)
    hosts = hosts_of(text)
    if not hosts:
        return None
    match = match_host(hosts[0])
    service = managed_service(match.service) if match is not None else None
    if match is None or service is None:
        return None
    over_http = is_url and scheme is None
    if scheme is None and service.scheme is not None:
        scheme = connection_scheme(service.scheme)
    if over_http and (scheme is None or scheme.store_kind != _HTTP_STORE_KIND):
        return None  # https:// to a database host is an API or a console, not its data
    kind = scheme.store_kind if scheme is not None else service.store_kind
    if kind is None:
        return None
    database = _database(text) if is_url and scheme is not None and scheme.with_database else None
    return Connection(
        scheme.scheme if scheme is not None else service.service,
        kind,
        hosts,
        database,
        service,
        match,
    )


def _database(url: str) -> str | None:
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    first = unquote(path).strip("/").split("/", 1)[0]
    return first or None


def link_external(
    facts: Sequence[KubernetesFacts],
    declared: Sequence[Store],
    locate: Locate,
    match_host: MatchHost,
) -> ExternalStores:
    """Edges from workloads to the managed stores their environment names.

    ``declared`` are the stores other sources declare (Terraform); a connection whose host
    names one of them is linked to it instead of becoming a store of its own.
    """
    ordered = sorted(facts, key=lambda f: f.file)
    ids = ObjectIds(ordered)
    stores: dict[str, Store] = {}
    edges: dict[Edge, None] = {}
    writers: dict[WorkloadWrite, None] = {}
    for binding in env_bindings(ordered):
        if binding.value is None or binding.site is None:
            continue
        connection = read_connection(binding.name, binding.value, match_host)
        if connection is None:
            continue
        targets = [store.id for store in _declared_matches(connection, declared)]
        if not targets:
            store = stores.setdefault(
                connection.store_id, _connection_store(connection, binding, locate, match_host)
            )
            targets = [store.id]
        workload = ids.object_of(binding.workload_id)
        for target in targets:
            note = f"{binding.site.note} names {connection.hosts[0]}"
            edge = Edge(
                binding.workload_id,
                target,
                EdgeKind.WRITES,
                binding.site.file,
                binding.site.line,
                note,
            )
            edges.setdefault(edge)
            if workload is not None:
                writers.setdefault(WorkloadWrite(edge, object_labels(workload), workload.ref))
    return ExternalStores(
        tuple(sorted(stores.values(), key=lambda s: s.id)), tuple(sorted(edges)), tuple(writers)
    )


def _declared_matches(connection: Connection, declared: Sequence[Store]) -> list[Store]:
    identifier = connection.identifier
    if identifier is None:
        return []
    family = _KIND_FAMILIES.get(connection.store_kind, connection.store_kind)
    return [
        store
        for store in declared
        if store.name is not None
        and store.name.lower() == identifier
        and _KIND_FAMILIES.get(store.kind, store.kind) == family
        and store.location.provider in (None, connection.match.provider)
    ]


def _connection_store(
    connection: Connection, binding: EnvBinding, locate: Locate, match_host: MatchHost
) -> Store:
    written = binding.source
    parts: list[Location] = []
    for host in connection.hosts:
        match = match_host(host)
        if match is None:
            why = SourceRef(
                written.file,
                written.line,
                f"host {host} is not a known provider endpoint; declare it under endpoints "
                "in the config",
            )
            parts.append(Location.unknown(why, (written,)))
            continue
        note = f"host {host} is {match.provider} {match.service} ({match.pattern})"
        host_ref = SourceRef(written.file, written.line, note)
        if match.region is None:
            why = SourceRef(
                written.file,
                written.line,
                f"endpoint {host} of {match.provider} names no region; the store's own "
                "declaration (Terraform) may",
            )
            parts.append(Location.unknown(why, (written, host_ref), provider=match.provider))
            continue
        parts.append(locate(match.provider, match.region, (written,), host_ref))
    return Store(
        id=connection.store_id,
        kind=connection.store_kind,
        source="kubernetes",
        file=written.file,
        line=written.line or 1,
        location=combine(_distinct(parts)),
        name=connection.database or connection.hosts[0],
        resource_type="connection string",
    )


def _distinct(parts: Sequence[Location]) -> list[Location]:
    """One location per distinct answer, so two hosts in one region stay ``resolved``."""
    chosen: dict[tuple[object, ...], Location] = {}
    for part in parts:
        chosen.setdefault((part.status, part.provider, part.region, part.countries), part)
    return list(chosen.values())
