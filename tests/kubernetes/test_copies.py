from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from residency_audit.model import Edge, EdgeKind, Location, LocationStatus, SourceRef, Store
from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.copies import (
    CopyGraph,
    build_copy_edges,
    link_declared_targets,
)
from residency_audit.sources.kubernetes.facts import CopyTarget, KubernetesFacts
from residency_audit.sources.kubernetes.parse import parse_manifests
from residency_audit.sources.kubernetes.stores import build_stores

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]
Tree = Callable[[str], list[KubernetesFacts]]

CONFIG = ".residency-audit.yaml"
CLUSTERS = (
    ClusterPlacement(("deploy/eu/**",), "aws", "eu-central-1", CONFIG, 4),
    ClusterPlacement(("deploy/ru/**",), "yandex", "ru-central1", CONFIG, 7),
)


@dataclass(frozen=True)
class FakeMatch:
    provider: str
    region: str | None
    service: str
    pattern: str


HOSTS = {
    "s3.eu-west-1.amazonaws.com": FakeMatch("aws", "eu-west-1", "s3", "aws-s3-regional"),
    "storage.yandexcloud.net": FakeMatch("yandex", "ru-central1", "s3", "yandex-storage"),
    "hb.ru-msk.vkcloud-storage.ru": FakeMatch("vkcs", "ru-msk", "s3", "vk-s3"),
}


def match_host(host: str) -> FakeMatch | None:
    return HOSTS.get(host)


def test_cnpg_backup_to_s3_in_another_country(tree: Tree, locate: Locate) -> None:
    facts = tree("k8s-shop")
    stores = build_stores(facts, CLUSTERS, locate)
    graph = build_copy_edges(facts, stores, CLUSTERS, locate, match_host)
    edge = Edge(
        "k8s:Cluster/orders/orders-pg",
        "code:s3://acme-orders-pg-backups",
        EdgeKind.BACKUP,
        "deploy/ru/orders-pg.yaml",
        21,
        "Cluster orders-pg: spec.backup.barmanObjectStore.destinationPath ships backups of "
        "k8s:Cluster/orders/orders-pg",
    )
    assert edge in graph.edges
    target = {t.id: t for t in graph.targets}["code:s3://acme-orders-pg-backups"]
    assert (target.kind, target.name, target.file, target.line) == (
        "object_storage",
        "acme-orders-pg-backups",
        "deploy/ru/orders-pg.yaml",
        21,
    )
    loc = target.location
    assert (loc.status, loc.provider, loc.region, loc.countries) == (
        LocationStatus.RESOLVED,
        "aws",
        "eu-west-1",
        ("IE",),
    )
    assert loc.evidence == (
        SourceRef(
            "deploy/ru/orders-pg.yaml",
            21,
            "Cluster orders-pg: spec.backup.barmanObjectStore.destinationPath "
            "s3://acme-orders-pg-backups/orders-pg",
        ),
        SourceRef(
            "deploy/ru/orders-pg.yaml",
            22,
            "Cluster orders-pg: endpoint host s3.eu-west-1.amazonaws.com is aws (aws-s3-regional)",
        ),
    )


def test_velero_copies_every_store_of_its_cluster(tree: Tree, locate: Locate) -> None:
    facts = tree("k8s-shop")
    stores = build_stores(facts, CLUSTERS, locate)
    graph = build_copy_edges(facts, stores, CLUSTERS, locate, match_host)
    velero = [e for e in graph.edges if e.target == "code:s3://acme-cluster-backups"]
    assert [(e.source, e.kind, e.file, e.line) for e in velero] == [
        ("k8s:Cluster/orders/orders-pg", EdgeKind.BACKUP, "deploy/ru/velero.yaml", 10),
        ("k8s:StatefulSet/profiles/profiles-mongo", EdgeKind.BACKUP, "deploy/ru/velero.yaml", 10),
    ]
    target = {t.id: t for t in graph.targets}["code:s3://acme-cluster-backups"]
    assert (target.location.provider, target.location.region, target.location.countries) == (
        "yandex",
        "ru-central1",
        ("RU",),
    )
    assert target.location.evidence[-1] == SourceRef(
        "deploy/ru/velero.yaml",
        14,
        "BackupStorageLocation default: endpoint host storage.yandexcloud.net is yandex "
        "(yandex-storage)",
    )
    # Exactly the two backup targets of the shop; nothing from the eu cluster.
    assert sorted(t.id for t in graph.targets) == [
        "code:s3://acme-cluster-backups",
        "code:s3://acme-orders-pg-backups",
    ]


def test_velero_without_cluster_mapping_draws_no_edge(tree: Tree, locate: Locate) -> None:
    facts = tree("k8s-shop")
    stores = build_stores(facts, (), locate)
    graph = build_copy_edges(facts, stores, (), locate, match_host)
    assert [e.target for e in graph.edges] == ["code:s3://acme-orders-pg-backups"]


def _copy_graph(manifest: str, locate: Locate, path: str = "deploy/ru/db.yaml") -> CopyGraph:
    facts = [parse_manifests(path, manifest.encode())]
    stores = build_stores(facts, CLUSTERS, locate)
    return build_copy_edges(facts, stores, CLUSTERS, locate, match_host)


def test_barman_cloud_plugin_object_store(locate: Locate) -> None:
    manifest = """\
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata: {name: vk-backups, namespace: billing}
spec:
  configuration:
    destinationPath: s3://billing-wal/
    endpointURL: https://hb.ru-msk.vkcloud-storage.ru
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: billing-pg, namespace: billing}
spec:
  instances: 2
  storage: {size: 20Gi}
  plugins:
    - name: barman-cloud.cloudnative-pg.io
      isWALArchiver: true
      parameters:
        barmanObjectName: vk-backups
"""
    graph = _copy_graph(manifest, locate)
    assert [(e.source, e.target, e.line) for e in graph.edges] == [
        ("k8s:Cluster/billing/billing-pg", "code:s3://billing-wal", 6)
    ]
    (target,) = graph.targets
    # The fake catalog does not know vkcs ru-msk: the location says so instead of guessing.
    assert (target.location.status, target.location.provider, target.location.region) == (
        LocationStatus.UNKNOWN,
        "vkcs",
        "ru-msk",
    )


def test_unknown_endpoint_and_unstated_region(locate: Locate) -> None:
    manifest = """\
apiVersion: pgv2.percona.com/v2
kind: PerconaPGCluster
metadata: {name: ledger, namespace: fin}
spec:
  backups:
    pgbackrest:
      repos:
        - name: repo1
          s3:
            bucket: ledger-backups
            endpoint: minio.backup.acme.internal:9000
            region: us-east-1
        - name: repo2
          gcs:
            bucket: ledger-offsite
"""
    graph = _copy_graph(manifest, locate)
    targets = {t.id: t.location for t in graph.targets}
    assert sorted(targets) == ["code:gs://ledger-offsite", "code:s3://ledger-backups"]
    minio = targets["code:s3://ledger-backups"]
    assert minio.status is LocationStatus.UNKNOWN
    assert minio.evidence[-1] == SourceRef(
        "deploy/ru/db.yaml",
        11,
        "endpoint host minio.backup.acme.internal is not a known provider endpoint; "
        "declare it under endpoints in the config",
    )
    gcs = targets["code:gs://ledger-offsite"]
    assert (gcs.status, gcs.provider) == (LocationStatus.UNKNOWN, "gcp")
    assert gcs.evidence[-1].note == (
        "the manifest does not say in which gcp region bucket ledger-offsite is; "
        "the bucket's own declaration (Terraform) may"
    )


def test_percona_storages_read_bucket_and_region() -> None:
    manifest = b"""\
apiVersion: pxc.percona.com/v1
kind: PerconaXtraDBCluster
metadata: {name: shop-mysql}
spec:
  backup:
    storages:
      s3-eu:
        type: s3
        s3:
          bucket: shop-mysql-backups/daily
          region: eu-central-1
          credentialsSecret: backup-s3
"""
    (obj,) = parse_manifests("pxc.yaml", manifest).objects
    assert obj.copy_targets == (
        CopyTarget(
            "backup",
            10,
            "spec.backup.storages.s3-eu.s3",
            bucket="shop-mysql-backups",
            region="eu-central-1",
            provider="aws",
        ),
    )


PRIMARY_RU = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: ledger-pg, namespace: fin}
spec:
  instances: 3
  backup:
    barmanObjectStore:
      destinationPath: s3://ledger-wal/
      endpointURL: https://storage.yandexcloud.net
"""


def _replica(
    external: str, enabled: str = "replica:\n    enabled: true\n    source: ledger"
) -> str:
    return f"""\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {{name: ledger-pg-dr, namespace: fin}}
spec:
  instances: 1
  {enabled}
  externalClusters:
    - name: ledger
{external}"""


def _replica_graph(replica: str, locate: Locate) -> CopyGraph:
    facts = [
        parse_manifests("deploy/ru/ledger.yaml", PRIMARY_RU.encode()),
        parse_manifests("deploy/eu/ledger-dr.yaml", replica.encode()),
    ]
    stores = build_stores(facts, CLUSTERS, locate)
    return build_copy_edges(facts, stores, CLUSTERS, locate, match_host)


def test_replica_cluster_streaming_from_the_primary_service(locate: Locate) -> None:
    replica = _replica(
        "      connectionParameters:\n"
        "        host: ledger-pg-rw.fin.svc\n"
        "        user: streaming_replica\n"
    )
    graph = _replica_graph(replica, locate)
    assert [e for e in graph.edges if e.kind is EdgeKind.REPLICA] == [
        Edge(
            "k8s:Cluster/fin/ledger-pg",
            "k8s:Cluster/fin/ledger-pg-dr",
            EdgeKind.REPLICA,
            "deploy/eu/ledger-dr.yaml",
            8,
            "Cluster ledger-pg-dr: spec.replica.source ledger makes it a replica of "
            "k8s:Cluster/fin/ledger-pg",
        )
    ]


def test_replica_cluster_fed_from_the_archive_alone(locate: Locate) -> None:
    replica = _replica(
        "      barmanObjectStore:\n"
        "        destinationPath: s3://ledger-wal/\n"
        "        endpointURL: https://storage.yandexcloud.net\n"
    )
    graph = _replica_graph(replica, locate)
    # The entry's name matches no cluster: the archive (the primary's backup) is the origin.
    assert [(e.source, e.target, e.kind) for e in graph.edges] == [
        ("code:s3://ledger-wal", "k8s:Cluster/fin/ledger-pg-dr", EdgeKind.REPLICA),
        ("k8s:Cluster/fin/ledger-pg", "code:s3://ledger-wal", EdgeKind.BACKUP),
    ]


def test_a_host_outside_the_cluster_names_no_store(locate: Locate) -> None:
    replica = _replica("      connectionParameters:\n        host: pg.ru.acme.example\n")
    assert _replica_graph(replica, locate).edges[0].kind is EdgeKind.BACKUP
    assert len(_replica_graph(replica, locate).edges) == 1


@pytest.mark.parametrize(
    "replica_block",
    [
        "replica:\n    enabled: false\n    source: ledger",
        # Distributed topology: this cluster is the primary itself.
        "replica:\n    primary: ledger-pg-dr\n    source: ledger",
    ],
)
def test_a_cluster_that_is_not_a_replica(replica_block: str, locate: Locate) -> None:
    replica = _replica(
        "      connectionParameters:\n        host: ledger-pg-rw.fin.svc\n", replica_block
    )
    assert [e.kind for e in _replica_graph(replica, locate).edges] == [EdgeKind.BACKUP]


def test_distributed_topology_replica_follows_its_primary(locate: Locate) -> None:
    replica = _replica(
        "      connectionParameters:\n        host: ledger-pg-rw.fin.svc\n",
        "replica:\n    primary: ledger-pg\n    source: ledger",
    )
    assert EdgeKind.REPLICA in [e.kind for e in _replica_graph(replica, locate).edges]


def _bucket(name: str, provider: str) -> Store:
    location = Location(LocationStatus.RESOLVED, provider, "eu-west-1", ("IE",))
    return Store(
        f"terraform:aws_s3_bucket.{name}", "object_storage", "terraform", "s3.tf", 4, location, name
    )


def test_a_bucket_terraform_declares_replaces_the_manifests_stand_in(
    tree: Tree, locate: Locate
) -> None:
    facts = tree("k8s-shop")
    stores = build_stores(facts, CLUSTERS, locate)
    graph = build_copy_edges(facts, stores, CLUSTERS, locate, match_host)
    declared = [_bucket("acme-orders-pg-backups", "aws"), _bucket("acme-cluster-backups", "aws")]
    linked = link_declared_targets(graph, declared)
    # The Velero bucket is on Yandex's endpoint: an AWS bucket of that name is another one.
    assert [t.id for t in linked.targets] == ["code:s3://acme-cluster-backups"]
    assert [(e.source, e.target) for e in linked.edges] == [
        ("k8s:Cluster/orders/orders-pg", "code:s3://acme-cluster-backups"),
        ("k8s:Cluster/orders/orders-pg", "terraform:aws_s3_bucket.acme-orders-pg-backups"),
        ("k8s:StatefulSet/profiles/profiles-mongo", "code:s3://acme-cluster-backups"),
    ]
