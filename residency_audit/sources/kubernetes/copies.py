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
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from residency_audit.model import Edge, EdgeKind, Location, SourceRef, Store
from residency_audit.sources.kubernetes.clusters import ClusterMap, ClusterPlacement
from residency_audit.sources.kubernetes.connections import object_id
from residency_audit.sources.kubernetes.facts import CopyTarget, K8sObject, KubernetesFacts
from residency_audit.sources.kubernetes.kustomize import DeployContext, deploy_contexts
from residency_audit.sources.kubernetes.placement import Locate


class HostMatch(Protocol):
    """What ``residency_audit.geo.endpoints.match_host`` tells about a host."""

    @property
    def provider(self) -> str: ...

    @property
    def region(self) -> str | None: ...

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
    contexts = deploy_contexts(ordered)
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
        for context in contexts.get(file_facts.file, ()):
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
                    sources = _sources(obj, context, by_id, cluster_map, stores)
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
    return CopyGraph(tuple(sorted(edges)), tuple(sorted(targets.values(), key=lambda s: s.id)))


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
            and (found := cluster_map.lookup((store.file,))) is not None
            and found[0] is here[0]
        ]
    own = by_id.get(object_id(obj, context), [])
    return [store for store in own if store.file == obj.file and store.line == obj.line]


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
