"""Kubernetes manifests: which objects are data stores, where they run, what they copy.

``parse_manifests`` is the pure per-file stage; the rest works across all files' facts.
"""

from __future__ import annotations

from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.connections import (
    ConfigValue,
    EnvBinding,
    config_values,
    env_bindings,
)
from residency_audit.sources.kubernetes.copies import CopyGraph, MatchHost, build_copy_edges
from residency_audit.sources.kubernetes.facts import K8sObject, KubernetesFacts, Kustomization
from residency_audit.sources.kubernetes.parse import (
    is_kustomization_path,
    looks_like_manifest,
    parse_manifests,
)
from residency_audit.sources.kubernetes.placement import Locate
from residency_audit.sources.kubernetes.stores import LabelledPersonal, build_stores

__all__ = [
    "ClusterPlacement",
    "ConfigValue",
    "CopyGraph",
    "EnvBinding",
    "K8sObject",
    "KubernetesFacts",
    "Kustomization",
    "LabelledPersonal",
    "Locate",
    "MatchHost",
    "build_copy_edges",
    "build_stores",
    "config_values",
    "env_bindings",
    "is_kustomization_path",
    "looks_like_manifest",
    "parse_manifests",
]
