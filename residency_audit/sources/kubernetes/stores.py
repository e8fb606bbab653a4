"""Which Kubernetes objects are data stores, and where each one is.

A store is:

* a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, ReplicationController, Pod,
  Argo Rollout) with a container running a data-store image (``data/images.csv``);
* a StatefulSet with ``volumeClaimTemplates`` running anything else, as kind ``volume``:
  a StatefulSet exists to keep state, and an unknown image does not make it stateless;
* a database operator's custom resource (``data/operators.csv``);
* a PersistentVolumeClaim that no store workload mounts, *only* when its labels say it
  holds personal data (``labelled_personal``): every Prometheus and Grafana in a repo has
  one, and listing them all would bury the stores that matter.

Jobs and CronJobs running a database image are not stores: they are clients (dumps,
migrations) of a store that lives elsewhere. Init containers are ignored for the same
reason. A manifest deployed through several kustomize overlays gives one store per
overlay, each placed by its overlay; ids are ``k8s:<Kind>/<namespace>/<name>``, made unique
across the manifests by ``ids.ObjectIds`` (``@<file>``, or ``@<overlay dir>`` when one file
is deployed twice under the same name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from residency_audit.model import Store
from residency_audit.sources.kubernetes.catalog import match_image, operator_kind
from residency_audit.sources.kubernetes.clusters import ClusterMap, ClusterPlacement
from residency_audit.sources.kubernetes.facts import ClaimSpec, K8sObject, KubernetesFacts, Pairs
from residency_audit.sources.kubernetes.ids import ObjectIds
from residency_audit.sources.kubernetes.kustomize import DeployContext, deploy_contexts
from residency_audit.sources.kubernetes.placement import (
    Locate,
    ObjectIndex,
    claim_storage,
    place,
)

__all__ = [
    "STORE_WORKLOADS",
    "ClusterPlacement",
    "LabelledPersonal",
    "Locate",
    "build_stores",
    "object_labels",
    "resource_type",
    "store_claims",
    "store_kind",
]

LabelledPersonal = Callable[[Pairs], bool]
"""Whether labels/annotations declare personal data; the classifier's decision, injected."""

STORE_WORKLOADS = frozenset(
    {"StatefulSet", "Deployment", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"}
)
_WORKLOAD_GROUPS = frozenset({"", "apps", "extensions"})
_ROLLOUT = ("argoproj.io", "Rollout")

# Annotations that repeat the whole object or carry no meaning for classification.
_DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


def store_kind(obj: K8sObject) -> tuple[str, str] | None:
    """The store kind of an object and what made it one, or None if it is not a store."""
    operator = operator_kind(obj.api_version, obj.kind)
    if operator is not None:
        return operator.store_kind, operator.engine
    is_workload = (obj.kind in STORE_WORKLOADS and obj.group in _WORKLOAD_GROUPS) or (
        obj.group,
        obj.kind,
    ) == _ROLLOUT
    if not is_workload or obj.pod is None:
        return None
    for container in obj.pod.containers:
        if container.init or not container.image:
            continue
        image = match_image(container.image)
        if image is not None:
            return image.store_kind, f"{image.engine} (image {container.image})"
    if obj.kind == "StatefulSet" and obj.claims:
        return "block_storage", "StatefulSet volumeClaimTemplates"
    return None


def resource_type(obj: K8sObject) -> str:
    """``StatefulSet`` for built-in kinds, ``postgresql.cnpg.io/Cluster`` for custom ones."""
    if obj.group in _WORKLOAD_GROUPS or obj.group.endswith(".k8s.io"):
        return obj.kind
    return f"{obj.group}/{obj.kind}"


def build_stores(
    facts: Sequence[KubernetesFacts],
    clusters: Sequence[ClusterPlacement],
    locate: Locate,
    *,
    labelled_personal: LabelledPersonal | None = None,
) -> tuple[Store, ...]:
    """Every store the manifests declare, placed; in file and line order."""
    ordered = sorted(facts, key=lambda f: f.file)
    index = ObjectIndex(obj for f in ordered for obj in f.objects)
    cluster_map = ClusterMap(clusters)
    contexts = deploy_contexts(ordered)
    ids = ObjectIds(ordered, contexts)
    stores: dict[tuple[str, str, int, str], Store] = {}
    mounted: set[tuple[str, str]] = set()
    for file_facts in ordered:
        for context in contexts.get(file_facts.file, ()):
            for raw in file_facts.objects:
                obj = context.patched(raw)
                kind = store_kind(obj)
                if kind is None:
                    continue
                claims = store_claims(obj, index)
                mounted.update(
                    (obj.namespace or "default", name) for _, name in claims if name is not None
                )
                store = _store(
                    obj, ids.of(raw, context), kind[0], claims, context, index, cluster_map, locate
                )
                stores.setdefault(
                    (store.id, store.file, store.line, store.location.describe()), store
                )
    if labelled_personal is not None:
        for file_facts in ordered:
            for context in contexts.get(file_facts.file, ()):
                for obj in file_facts.objects:
                    if obj.kind != "PersistentVolumeClaim" or obj.group != "" or not obj.claims:
                        continue
                    key = (obj.namespace or "default", obj.name or "")
                    if key in mounted or not labelled_personal(object_labels(obj)):
                        continue
                    claims = ((obj.claims[0], obj.name),)
                    store = _store(
                        obj,
                        ids.of(obj, context),
                        "block_storage",
                        claims,
                        context,
                        index,
                        cluster_map,
                        locate,
                    )
                    stores.setdefault(
                        (store.id, store.file, store.line, store.location.describe()), store
                    )
    return tuple(sorted(stores.values(), key=lambda s: (s.file, s.line, s.id)))


def store_claims(obj: K8sObject, index: ObjectIndex) -> tuple[tuple[ClaimSpec, str | None], ...]:
    """The claims behind a store, each with the PVC name a PersistentVolume would be
    bound to (a ``<template>-<statefulset>-`` prefix for StatefulSet templates)."""
    if obj.kind == "PersistentVolumeClaim":
        return tuple((claim, obj.name) for claim in obj.claims)
    found: list[tuple[ClaimSpec, str | None]] = []
    for claim in obj.claims:
        if obj.kind == "StatefulSet" and claim.name and obj.name:
            found.append((claim, f"{claim.name}-{obj.name}-"))
        else:
            found.append((claim, None))
    if obj.pod is not None:
        namespace = obj.namespace or "default"
        for volume in obj.pod.volumes:
            if volume.claim_name is None:
                continue
            pvc = index.find("PersistentVolumeClaim", volume.claim_name, obj.file, namespace)
            if pvc is not None and pvc.claims:
                found.append((pvc.claims[0], volume.claim_name))
            else:
                found.append((ClaimSpec(volume.line, volume.claim_name, ""), volume.claim_name))
    return tuple(found)


def _store(
    obj: K8sObject,
    ident: str,
    kind: str,
    claims: tuple[tuple[ClaimSpec, str | None], ...],
    context: DeployContext,
    index: ObjectIndex,
    cluster_map: ClusterMap,
    locate: Locate,
) -> Store:
    name = context.name(obj)
    deploy_path = context.root.file if context.root is not None else obj.file
    storage = claim_storage(obj, claims, index, deploy_path)
    cluster = cluster_map.lookup(context.cluster_paths(obj.file))
    location = place(obj, storage, cluster, deploy_path, locate, context.evidence())
    return Store(
        id=ident,
        kind=kind,
        source="kubernetes",
        file=obj.file,
        line=obj.line,
        location=location,
        name=name,
        labels=object_labels(obj),
        resource_type=resource_type(obj),
    )


def object_labels(obj: K8sObject) -> Pairs:
    """Labels then annotations, as classification reads them."""
    return (
        *obj.labels,
        *((key, value) for key, value in obj.annotations if key not in _DROPPED_ANNOTATIONS),
    )
