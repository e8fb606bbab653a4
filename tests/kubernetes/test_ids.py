from __future__ import annotations

from collections.abc import Callable

from residency_audit.link import unique_ids
from residency_audit.model import Location, SourceRef
from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.connections import env_bindings
from residency_audit.sources.kubernetes.copies import build_copy_edges
from residency_audit.sources.kubernetes.facts import KubernetesFacts
from residency_audit.sources.kubernetes.ids import ObjectIds, natural_id
from residency_audit.sources.kubernetes.parse import parse_manifests
from residency_audit.sources.kubernetes.stores import build_stores

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]
Tree = Callable[[str], list[KubernetesFacts]]

CONFIG = ".residency-audit.yaml"
CLUSTERS = (
    ClusterPlacement(("apps/overlays/ru/**",), "yandex", "ru-central1", CONFIG, 3),
    ClusterPlacement(("apps/overlays/de/**",), "aws", "eu-central-1", CONFIG, 6),
)

BASE_KUSTOMIZATION = b"""\
resources:
  - db.yaml
  - api.yaml
namespace: shop
"""
DB = b"""\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: shop-pg
spec:
  instances: 2
  backup:
    barmanObjectStore:
      destinationPath: s3://acme-shop-pg-wal/
"""
API = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0
          env:
            - name: LOG_LEVEL
              value: info
"""


def overlay_tree() -> list[KubernetesFacts]:
    return [
        parse_manifests("apps/base/kustomization.yaml", BASE_KUSTOMIZATION),
        parse_manifests("apps/base/db.yaml", DB),
        parse_manifests("apps/base/api.yaml", API),
        parse_manifests("apps/overlays/ru/kustomization.yaml", b"resources: [../../base]\n"),
        parse_manifests("apps/overlays/de/kustomization.yaml", b"resources: [../../base]\n"),
    ]


def test_one_file_deployed_twice_is_told_apart_by_its_overlay(locate: Locate) -> None:
    stores = build_stores(overlay_tree(), CLUSTERS, locate)
    assert [(s.id, s.file, s.location.region) for s in stores] == [
        ("k8s:Cluster/shop/shop-pg@apps/overlays/de", "apps/base/db.yaml", "eu-central-1"),
        ("k8s:Cluster/shop/shop-pg@apps/overlays/ru", "apps/base/db.yaml", "ru-central1"),
    ]


def test_edges_and_env_bindings_name_the_final_ids(locate: Locate) -> None:
    facts = overlay_tree()
    stores = build_stores(facts, CLUSTERS, locate)
    graph = build_copy_edges(facts, stores, CLUSTERS, locate, lambda host: None)
    assert [(e.source, e.target) for e in graph.edges] == [
        ("k8s:Cluster/shop/shop-pg@apps/overlays/de", "code:s3://acme-shop-pg-wal"),
        ("k8s:Cluster/shop/shop-pg@apps/overlays/ru", "code:s3://acme-shop-pg-wal"),
    ]
    assert [b.workload_id for b in env_bindings(facts)] == [
        "k8s:Deployment/shop/api@apps/overlays/de",
        "k8s:Deployment/shop/api@apps/overlays/ru",
    ]


def test_same_id_in_two_files_gets_the_file(locate: Locate) -> None:
    redis = b"""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop}
spec:
  template: {spec: {containers: [{name: redis, image: "redis:7.2"}]}}
"""
    facts = [
        parse_manifests("deploy/eu/cache.yaml", redis),
        parse_manifests("deploy/ru/cache.yaml", redis),
    ]
    assert [s.id for s in build_stores(facts, (), locate)] == [
        "k8s:StatefulSet/shop/cache@deploy/eu/cache.yaml",
        "k8s:StatefulSet/shop/cache@deploy/ru/cache.yaml",
    ]


def test_a_unique_id_has_no_suffix_and_a_root_overlay_is_dot() -> None:
    facts = [
        parse_manifests("kustomization.yaml", b"resources: [db.yaml]\n"),
        parse_manifests("db.yaml", DB),
    ]
    ids = ObjectIds(facts)
    (context,) = ids.contexts["db.yaml"]
    (obj,) = facts[1].objects
    assert ids.of(obj, context) == natural_id(obj, context) == "k8s:Cluster/default/shop-pg"
    assert ids.context_of("k8s:Cluster/default/shop-pg") is context
    assert ids.object_of("k8s:Cluster/default/shop-pg") is obj


def test_kustomize_fixture_overlays_rename_so_no_suffix(tree: Tree) -> None:
    ids = ObjectIds(tree("k8s-kustomize"))
    assert ids.object_of("k8s:StatefulSet/accounts-eu/accounts-mysql") is not None
    assert ids.object_of("k8s:StatefulSet/accounts-ru/ru-accounts-mysql") is not None


def test_the_same_object_twice_in_one_file_still_gets_two_ids(locate: Locate) -> None:
    redis = b"""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache}
spec:
  template: {spec: {containers: [{name: redis, image: "redis:7.2"}]}}
"""
    facts = [parse_manifests("deploy/cache.yaml", redis + b"---\n" + redis)]
    stores = build_stores(facts, (), locate)
    assert [(s.id, s.line) for s in unique_ids(stores)] == [
        ("k8s:StatefulSet/default/cache@deploy/cache.yaml", 1),
        ("k8s:StatefulSet/default/cache@deploy/cache.yaml#2", 7),
    ]
