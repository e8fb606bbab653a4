"""Kubernetes manifests: which objects are data stores, where they run, what they copy.

``parse_manifests`` (and ``parse_stdin`` for piped ``helm template`` output) is the pure
per-file stage; the rest works across all files' facts: ``build_stores``, then
``build_copy_edges`` / ``link_declared_targets`` for backups and replicas, and
``link_external`` for the managed databases workloads connect to. Ids of deployed objects
come from ``ObjectIds`` so that all of them agree. ``personal.apply_workload_labels`` runs
after the classify stage (it is not imported here, to keep the parse stage light).
"""

from __future__ import annotations

from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.connections import (
    ConfigValue,
    EnvBinding,
    config_values,
    env_bindings,
)
from residency_audit.sources.kubernetes.copies import (
    CopyGraph,
    MatchHost,
    build_copy_edges,
    link_declared_targets,
)
from residency_audit.sources.kubernetes.external import (
    ExternalStores,
    WorkloadWrite,
    link_external,
    read_connection,
)
from residency_audit.sources.kubernetes.facts import K8sObject, KubernetesFacts, Kustomization
from residency_audit.sources.kubernetes.ids import ObjectIds, natural_id
from residency_audit.sources.kubernetes.parse import (
    is_kustomization_path,
    looks_like_manifest,
    parse_manifests,
)
from residency_audit.sources.kubernetes.placement import Locate
from residency_audit.sources.kubernetes.stores import LabelledPersonal, build_stores
from residency_audit.sources.kubernetes.templates import (
    STDIN_PATH,
    parse_stdin,
    read_piped,
    template_hints,
)

__all__ = [
    "STDIN_PATH",
    "ClusterPlacement",
    "ConfigValue",
    "CopyGraph",
    "EnvBinding",
    "ExternalStores",
    "K8sObject",
    "KubernetesFacts",
    "Kustomization",
    "LabelledPersonal",
    "Locate",
    "MatchHost",
    "ObjectIds",
    "WorkloadWrite",
    "build_copy_edges",
    "build_stores",
    "config_values",
    "env_bindings",
    "is_kustomization_path",
    "link_declared_targets",
    "link_external",
    "looks_like_manifest",
    "natural_id",
    "parse_manifests",
    "parse_stdin",
    "read_connection",
    "read_piped",
    "template_hints",
]
