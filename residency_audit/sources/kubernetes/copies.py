"""Backup edges: from a store to the bucket its operator (or Velero) ships copies to.

The target is a store of its own, named the way code would name it
(``code:s3://<bucket>``, ``code:gs://<bucket>``, ``code:https://<account host>/<container>``)
so that the same bucket seen from Python or Terraform merges with it. Its location comes
from the endpoint host when the manifest gives one (an S3-compatible endpoint decides the
country, not the ``region`` string beside it), else from the provider the URL scheme or
Velero plugin implies plus the stated region; otherwise it is unknown, with the reason.

Velero backs up a whole cluster, so a BackupStorageLocation gets an edge from every store
the cluster mapping puts in the same cluster as the location's own file; without a cluster
mapping there is no way to tell which stores it copies, and no edge is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urlsplit

from residency_audit.model import Edge, EdgeKind, Location, SourceRef, Store
from residency_audit.sources.kubernetes.clusters import ClusterMap, ClusterPlacement
from residency_audit.sources.kubernetes.facts import (
    CopyTarget,
    K8sObject,
    KubernetesFacts,
    ReplicaSource,
)
from residency_audit.sources.kubernetes.ids import ObjectIds
from residency_audit.sources.kubernetes.kustomize import DeployContext
from residency_audit.sources.kubernetes.placement import Locate


class HostMatch(Protocol):
    """What ``residency_audit.geo.endpoints.match_host`` tells about a host."""

    @property
    def provider(self) -> str: ...

    @property
    def region(self) -> str | None: ...

    @property
    def service(self) -> str: ...

    @property
    def pattern(self) -> str: ...


MatchHost = Callable[[str], HostMatch | None]


@dataclass(frozen=True)
class CopyGraph:
    edges: tuple[Edge, ...]
    targets: tuple[Store, ...]


def build_copy_edges(
    facts: Sequence[KubernetesFacts],
    stores: Sequence[Store],
    clusters: Sequence[ClusterPlacement],
    locate: Locate,
    match_host: MatchHost,
) -> CopyGraph:
    """Backup edges from ``stores`` (as :func:`build_stores` returned them) to their targets."""
    ordered = sorted(facts, key=lambda f: f.file)
    ids = ObjectIds(ordered)
    cluster_map = ClusterMap(clusters)
    by_id: dict[str, list[Store]] = {}
    for store in stores:
        by_id.setdefault(store.id, []).append(store)
    object_stores = {
        (obj.namespace or "default", obj.name): obj
        for f in ordered
        for obj in f.objects
        if obj.kind == "ObjectStore" and obj.copy_targets
    }
    edges: dict[Edge, None] = {}
    targets: dict[str, Store] = {}
    for file_facts in ordered:
        for context in ids.contexts.get(file_facts.file, ()):
            for obj in file_facts.objects:
                for target in obj.copy_targets:
                    resolved = _follow(obj, target, object_stores)
                    if resolved is None:
                        continue
                    target_obj, copy = resolved
                    target_store = _target_store(target_obj, copy, locate, match_host)
                    if target_store is None:
                        continue
                    targets.setdefault(target_store.id, target_store)
                    sources = _sources(obj, context, ids, by_id, cluster_map, stores)
                    for source in sources:
                        note = f"{obj.kind} {obj.name}: {copy.field} ships backups of {source.id}"
                        edge = Edge(
                            source.id,
                            target_store.id,
                            EdgeKind(copy.kind),
                            target_obj.file,
                            copy.line,
                            note,
                        )
                        edges.setdefault(edge)
    for file_facts in ordered:
        for context in ids.contexts.get(file_facts.file, ()):
            for obj in file_facts.objects:
                replica_id = ids.of(obj, context)
                if not obj.replica_of or replica_id not in by_id:
                    continue
                for followed in obj.replica_of:
                    origins = _replica_origins(obj, context, followed, replica_id, stores)
                    if not origins and followed.archive is not None:
                        archive = _target_store(obj, followed.archive, locate, match_host)
                        if archive is not None:
                            origins = [targets.setdefault(archive.id, archive).id]
                    for origin in origins:
                        note = (
                            f"{obj.kind} {obj.name}: {followed.field} {followed.name} "
                            f"makes it a replica of {origin}"
                        )
                        edge = Edge(
                            origin, replica_id, EdgeKind.REPLICA, obj.file, followed.line, note
                        )
                        edges.setdefault(edge)
    return CopyGraph(tuple(sorted(edges)), tuple(sorted(targets.values(), key=lambda s: s.id)))


_CNPG_CLUSTER = "postgresql.cnpg.io/Cluster"
_CNPG_SERVICE_SUFFIXES = ("-rw", "-ro", "-r")


def _replica_origins(
    obj: K8sObject,
    context: DeployContext,
    source: ReplicaSource,
    replica_id: str,
    stores: Sequence[Store],
) -> list[str]:
    """The stores a replica cluster follows: the cluster whose Service its external
    cluster's host names (``orders-pg-rw.orders.svc``), else the cluster named like the
    external cluster entry (CloudNativePG's examples name it after the source cluster).
    A host outside the cluster (a load balancer's DNS name) names no store here; the
    entry's object store, if any, is then the origin (the caller's fallback)."""
    clusters = [
        store
        for store in stores
        if store.resource_type == _CNPG_CLUSTER and store.id != replica_id and store.name
    ]
    if source.host is not None:
        service = _cnpg_service(source.host, context.namespace(obj) or "default")
        if service is None:
            return []
        name, namespace = service
        return [
            store.id
            for store in clusters
            if store.name == name and _namespace(store.id) == namespace
        ]
    return [store.id for store in clusters if store.name == source.name]


def _cnpg_service(host: str, namespace: str) -> tuple[str, str] | None:
    """``orders-pg-rw.orders.svc`` -> (orders-pg, orders); a bare ``orders-pg-rw`` is in
    the replica's own namespace."""
    labels = host.lower().rstrip(".").removesuffix(".cluster.local").split(".")
    if len(labels) == 3 and labels[2] == "svc":
        service, namespace = labels[0], labels[1]
    elif len(labels) == 2:
        service, namespace = labels
    elif len(labels) == 1:
        service = labels[0]
    else:
        return None
    for suffix in _CNPG_SERVICE_SUFFIXES:
        if service.endswith(suffix):
            return service.removesuffix(suffix), namespace
    return None


def _namespace(store_id: str) -> str | None:
    """``k8s:Cluster/orders/orders-pg@deploy/eu`` -> ``orders``."""
    parts = store_id.partition(":")[2].split("@", 1)[0].split("/")
    return parts[1] if len(parts) == 3 else None


def link_declared_targets(graph: CopyGraph, declared: Sequence[Store]) -> CopyGraph:
    """A backup bucket another source declares (Terraform's ``aws_s3_bucket`` of that name)
    is that store: the edges go to it, and the manifest's stand-in is dropped, so the
    declaration (not the manifest's endpoint) says where the copies are."""
    buckets: dict[str, list[Store]] = {}
    for store in declared:
        if store.kind == "object_storage" and store.name:
            buckets.setdefault(store.name, []).append(store)
    redirect: dict[str, list[str]] = {}
    kept: list[Store] = []
    for target in graph.targets:
        scheme = target.id.partition("://")[0]
        provider = target.location.provider
        matches = [
            store.id
            for store in buckets.get(target.name or "", [])
            if scheme in ("code:s3", "code:gs")
            and (provider is None or store.location.provider in (None, provider))
        ]
        if matches:
            redirect[target.id] = matches
        else:
            kept.append(target)
    if not redirect:
        return graph
    edges = {
        replace(edge, source=source, target=target): None
        for edge in graph.edges
        for source in redirect.get(edge.source, [edge.source])
        for target in redirect.get(edge.target, [edge.target])
    }
    return CopyGraph(tuple(sorted(edges)), tuple(kept))


def _follow(
    obj: K8sObject,
    target: CopyTarget,
    object_stores: dict[tuple[str, str | None], K8sObject],
) -> tuple[K8sObject, CopyTarget] | None:
    """A target that names another object (CloudNativePG's barman-cloud plugin names an
    ObjectStore) resolved to that object's destination."""
    if target.via is None:
        return obj, target
    kind, _, name = target.via.partition("/")
    found = object_stores.get((obj.namespace or "default", name)) if kind == "ObjectStore" else None
    if found is None or not found.copy_targets:
        return None
    return found, found.copy_targets[0]


def _sources(
    obj: K8sObject,
    context: DeployContext,
    ids: ObjectIds,
    by_id: dict[str, list[Store]],
    cluster_map: ClusterMap,
    stores: Sequence[Store],
) -> list[Store]:
    if obj.kind == "BackupStorageLocation":
        here = cluster_map.lookup(context.cluster_paths(obj.file))
        if here is None:
            return []
        return [
            store
            for store in stores
            if store.source == "kubernetes"
            and store.id.startswith("k8s:")
            and (found := cluster_map.lookup(_store_paths(store, ids))) is not None
            and found[0] is here[0]
        ]
    own = by_id.get(ids.of(obj, context), [])
    return [store for store in own if store.file == obj.file and store.line == obj.line]


def _store_paths(store: Store, ids: ObjectIds) -> tuple[str, ...]:
    """The paths the cluster mapping knows a store by: its overlays first, then its file."""
    context = ids.context_of(store.id)
    return context.cluster_paths(store.file) if context is not None else (store.file,)


def target_id(copy: CopyTarget) -> str | None:
    if copy.url:
        parts = urlsplit(copy.url)
        scheme = parts.scheme.lower()
        if scheme in ("s3", "gs") and parts.netloc:
            return f"code:{scheme}://{parts.netloc}"
        if scheme in ("http", "https") and parts.netloc and copy.bucket:
            return f"code:{scheme}://{parts.netloc.lower()}/{copy.bucket}"
    if copy.bucket:
        scheme = "gs" if copy.provider == "gcp" else "s3"
        return f"code:{scheme}://{copy.bucket}"
    return None


def _target_store(
    obj: K8sObject, copy: CopyTarget, locate: Locate, match_host: MatchHost
) -> Store | None:
    ident = target_id(copy)
    if ident is None:
        return None
    shown = copy.url or copy.bucket
    where = SourceRef(obj.file, copy.line, f"{obj.kind} {obj.name}: {copy.field} {shown}")
    return Store(
        id=ident,
        kind="object_storage",
        source="kubernetes",
        file=obj.file,
        line=copy.line,
        location=_target_location(obj, copy, where, locate, match_host),
        name=copy.bucket,
        resource_type="backup destination",
    )


def _target_location(
    obj: K8sObject, copy: CopyTarget, where: SourceRef, locate: Locate, match_host: MatchHost
) -> Location:
    if copy.endpoint:
        host = _host(copy.endpoint)
        match = match_host(host) if host else None
        line = copy.endpoint_line or copy.line
        ref = SourceRef(obj.file, line, f"{obj.kind} {obj.name}: endpoint {copy.endpoint}")
        if match is None:
            why = SourceRef(
                obj.file,
                line,
                f"endpoint host {host or copy.endpoint} is not a known provider endpoint; "
                "declare it under endpoints in the config",
            )
            return Location.unknown(why, (where,))
        note = f"{obj.kind} {obj.name}: endpoint host {host} is {match.provider} ({match.pattern})"
        host_ref = SourceRef(ref.file, ref.line, note)
        region = match.region or copy.region
        if region is None:
            why = SourceRef(obj.file, line, f"endpoint {host} of {match.provider} names no region")
            return Location.unknown(why, (where, host_ref), provider=match.provider)
        return locate(match.provider, region, (where,), host_ref)
    if copy.provider is None:
        why = SourceRef(obj.file, copy.line, "the backup destination names no provider")
        return Location.unknown(why, (where,))
    if copy.region is None:
        why = SourceRef(
            obj.file,
            copy.line,
            f"the manifest does not say in which {copy.provider} region bucket "
            f"{copy.bucket} is; the bucket's own declaration (Terraform) may",
        )
        return Location.unknown(why, (where,), provider=copy.provider)
    return locate(copy.provider, copy.region, (), where)


def _host(endpoint: str) -> str | None:
    text = endpoint.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    return parts.hostname
