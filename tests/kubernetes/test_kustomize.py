from __future__ import annotations

from collections.abc import Callable

from residency_audit.model import Location, SourceRef
from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.facts import ConfigEntry, KubernetesFacts, Kustomization
from residency_audit.sources.kubernetes.kustomize import deploy_contexts
from residency_audit.sources.kubernetes.parse import parse_manifests
from residency_audit.sources.kubernetes.stores import build_stores

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]
Tree = Callable[[str], list[KubernetesFacts]]

CONFIG = ".residency-audit.yaml"
CLUSTERS = (
    ClusterPlacement(("k8s/overlays/eu/**",), "aws", None, CONFIG, 4),
    ClusterPlacement(("k8s/overlays/ru/**",), "yandex", "ru-central1", CONFIG, 6),
)


def test_kustomization_files_are_read(tree: Tree) -> None:
    by_file = {f.file: f for f in tree("k8s-kustomize")}
    base = by_file["k8s/base/kustomization.yaml"]
    assert base.kustomization == Kustomization(
        "k8s/base/kustomization.yaml", 1, (("mysql.yaml", 4), ("service.yaml", 5))
    )
    (generated,) = base.objects
    assert (generated.kind, generated.name, generated.line) == ("ConfigMap", "accounts-config", 7)
    assert generated.config == (
        ConfigEntry("DB_HOST", "accounts-mysql", 9),
        ConfigEntry("DB_NAME", "accounts", 10),
    )
    # No apiVersion/kind at all: recognised by its file name.
    ru = by_file["k8s/overlays/ru/kustomization.yaml"].kustomization
    assert ru is not None
    assert (ru.namespace, ru.name_prefix, ru.resources) == (
        "accounts-ru",
        "ru-",
        (("../../base", 4),),
    )


def test_each_overlay_deploys_the_base_once(tree: Tree) -> None:
    contexts = deploy_contexts(tree("k8s-kustomize"))
    assert sorted(contexts) == ["k8s/base/mysql.yaml", "k8s/base/service.yaml"]
    roots = [c.root.file for c in contexts["k8s/base/mysql.yaml"] if c.root is not None]
    assert roots == ["k8s/overlays/eu/kustomization.yaml", "k8s/overlays/ru/kustomization.yaml"]


def test_overlays_place_and_rename_the_base(tree: Tree, locate: Locate) -> None:
    stores = build_stores(tree("k8s-kustomize"), CLUSTERS, locate)
    assert [
        (s.id, s.name, s.file, s.line, s.location.region, s.location.countries) for s in stores
    ] == [
        (
            "k8s:StatefulSet/accounts-eu/accounts-mysql",
            "accounts-mysql",
            "k8s/base/mysql.yaml",
            1,
            "eu-central-1",
            ("DE",),
        ),
        (
            "k8s:StatefulSet/accounts-ru/ru-accounts-mysql",
            "ru-accounts-mysql",
            "k8s/base/mysql.yaml",
            1,
            "ru-central1",
            ("RU",),
        ),
    ]
    eu, ru = stores
    # The eu cluster entry gives only the provider; the overlay's patch gives the region.
    assert eu.location.evidence == (
        SourceRef(
            "k8s/overlays/eu/kustomization.yaml",
            1,
            "deployed through k8s/overlays/eu/kustomization.yaml -> k8s/base/kustomization.yaml",
        ),
        SourceRef(
            CONFIG,
            4,
            "kubernetes.clusters maps k8s/overlays/eu/kustomization.yaml (k8s/overlays/eu/**) "
            "to aws",
        ),
        SourceRef(
            "k8s/overlays/eu/placement.yaml",
            10,
            "StatefulSet accounts-mysql: nodeSelector topology.kubernetes.io/region "
            "In [eu-central-1]",
        ),
    )
    assert ru.location.evidence[-1] == SourceRef(
        CONFIG,
        6,
        "kubernetes.clusters maps k8s/overlays/ru/kustomization.yaml (k8s/overlays/ru/**) "
        "to yandex ru-central1",
    )
    assert ru.labels == (("app", "accounts-mysql"), ("personal-data", "true"))


def test_a_patch_file_is_never_a_store_of_its_own(tree: Tree, locate: Locate) -> None:
    # placement.yaml carries an image, so read alone it would look like a MySQL StatefulSet.
    stores = build_stores(tree("k8s-kustomize"), CLUSTERS, locate)
    assert all(s.file == "k8s/base/mysql.yaml" for s in stores)


def test_remote_and_escaping_resources_are_ignored(locate: Locate) -> None:
    kustomization = b"""\
resources:
  - https://github.com/acme/platform//deploy/redis?ref=v1.2.0
  - ../../../outside
  - redis.yaml
"""
    redis = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache}
spec:
  template: {spec: {containers: [{image: "redis:7"}]}}
"""
    facts = [
        parse_manifests("apps/kustomization.yaml", kustomization),
        parse_manifests("apps/redis.yaml", redis),
    ]
    contexts = deploy_contexts(facts)
    (context,) = contexts["apps/redis.yaml"]
    assert context.root is not None and context.root.file == "apps/kustomization.yaml"
    (store,) = build_stores(facts, (), locate)
    assert store.id == "k8s:Deployment/default/cache"


def test_a_kustomization_cycle_terminates(locate: Locate) -> None:
    facts = [
        parse_manifests("a/kustomization.yaml", b"resources: [../b, db.yaml]\n"),
        parse_manifests("b/kustomization.yaml", b"resources: [../a]\n"),
        parse_manifests(
            "a/db.yaml",
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: db}\n"
            b"spec: {containers: [{image: postgres}]}\n",
        ),
    ]
    # Both kustomizations include each other, so neither is a root: the file is deployed
    # alone, and nothing loops.
    assert [c.root for c in deploy_contexts(facts)["a/db.yaml"]] == [None]
    assert [s.id for s in build_stores(facts, (), locate)] == ["k8s:Pod/default/db"]
