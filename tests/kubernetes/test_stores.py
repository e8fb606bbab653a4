from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from residency_audit.model import Location, LocationStatus, SourceRef, Store
from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.facts import KubernetesFacts, Pairs
from residency_audit.sources.kubernetes.parse import parse_manifests
from residency_audit.sources.kubernetes.stores import build_stores

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]
Tree = Callable[[str], list[KubernetesFacts]]

CONFIG = ".residency-audit.yaml"
SHOP_CLUSTERS = (
    ClusterPlacement(("deploy/eu/**",), "aws", "eu-central-1", CONFIG, 4),
    ClusterPlacement(("deploy/ru/**",), "yandex", "ru-central1", CONFIG, 7),
)


def personal_label(labels: Pairs) -> bool:
    return ("personal-data", "true") in labels


@pytest.fixture
def shop(tree: Tree, locate: Locate) -> dict[str, Store]:
    stores = build_stores(tree("k8s-shop"), SHOP_CLUSTERS, locate, labelled_personal=personal_label)
    return {store.id: store for store in stores}


def where(store: Store) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    loc = store.location
    return loc.status.value, loc.provider, loc.region, loc.countries


def test_shop_stores_ids_kinds_and_lines(shop: dict[str, Store]) -> None:
    assert [(s.id, s.kind, s.file, s.line, s.resource_type) for s in shop.values()] == [
        ("k8s:Deployment/shop/fragment-cache", "cache", "deploy/eu/list.yaml", 17, "Deployment"),
        (
            "k8s:StatefulSet/shop/users-db",
            "relational_db",
            "deploy/eu/postgres.yaml",
            16,
            "StatefulSet",
        ),
        (
            "k8s:Deployment/shop/session-cache",
            "key_value",
            "deploy/eu/redis.yaml",
            1,
            "Deployment",
        ),
        (
            "k8s:StatefulSet/analytics/events-clickhouse",
            "warehouse",
            "deploy/legacy/clickhouse.yaml",
            1,
            "StatefulSet",
        ),
        (
            "k8s:StatefulSet/catalog/catalog-search",
            "search",
            "deploy/legacy/search.yaml",
            1,
            "StatefulSet",
        ),
        (
            "k8s:StatefulSet/profiles/profiles-mongo",
            "document_db",
            "deploy/ru/mongo.yaml",
            3,
            "StatefulSet",
        ),
        (
            "k8s:Cluster/orders/orders-pg",
            "relational_db",
            "deploy/ru/orders-pg.yaml",
            1,
            "postgresql.cnpg.io/Cluster",
        ),
        (
            "k8s:StatefulSet/staging/rabbitmq",
            "message_queue",
            "deploy/staging/rabbitmq.yaml",
            1,
            "StatefulSet",
        ),
        (
            "k8s:PersistentVolumeClaim/default/customer-uploads",
            "block_storage",
            "deploy/staging/uploads-pvc.yaml",
            1,
            "PersistentVolumeClaim",
        ),
    ]
    for store in shop.values():
        assert store.source == "kubernetes"
        assert store.id.endswith(f"/{store.name}")


def test_labels_and_annotations_are_carried(shop: dict[str, Store]) -> None:
    assert shop["k8s:StatefulSet/shop/users-db"].labels == (
        ("app.kubernetes.io/name", "users-db"),
        ("app.kubernetes.io/component", "database"),
        ("residency-audit/personal-data", "true"),
        ("residency-audit/data-subjects", "RU"),
    )
    assert shop["k8s:Cluster/orders/orders-pg"].labels == (("data-classification", "pii"),)


def test_storage_class_topology_in_another_file_places_the_statefulset(
    shop: dict[str, Store],
) -> None:
    store = shop["k8s:StatefulSet/shop/users-db"]
    assert where(store) == ("resolved", "aws", "eu-central-1", ("DE",))
    assert store.location.evidence == (
        SourceRef(
            CONFIG,
            4,
            "kubernetes.clusters maps deploy/eu/postgres.yaml (deploy/eu/**) to aws eu-central-1",
        ),
        SourceRef(
            "deploy/eu/postgres.yaml",
            68,
            "StatefulSet users-db claims storage data of class gp3-encrypted",
        ),
        SourceRef("deploy/eu/storageclass.yaml", 2, "StorageClass gp3-encrypted"),
        SourceRef(
            "deploy/eu/storageclass.yaml",
            19,
            "StorageClass gp3-encrypted: allowedTopologies topology.ebs.csi.aws.com/zone "
            "In [eu-central-1a, eu-central-1b]",
        ),
    )


def test_zone_node_selector_places_the_deployment(shop: dict[str, Store]) -> None:
    store = shop["k8s:Deployment/shop/session-cache"]
    assert where(store) == ("resolved", "aws", "eu-central-1", ("DE",))
    assert store.location.evidence[-1] == SourceRef(
        "deploy/eu/redis.yaml",
        20,
        "Deployment session-cache: nodeSelector topology.kubernetes.io/zone In [eu-central-1b]",
    )


def test_required_affinity_over_two_zones_of_one_region(shop: dict[str, Store]) -> None:
    store = shop["k8s:StatefulSet/profiles/profiles-mongo"]
    assert where(store) == ("resolved", "yandex", "ru-central1", ("RU",))
    assert store.location.evidence[-1] == SourceRef(
        "deploy/ru/mongo.yaml",
        30,
        "StatefulSet profiles-mongo: nodeAffinity topology.kubernetes.io/zone "
        "In [ru-central1-a, ru-central1-b]",
    )


def test_cluster_mapping_places_an_operator_cluster(shop: dict[str, Store]) -> None:
    store = shop["k8s:Cluster/orders/orders-pg"]
    assert where(store) == ("resolved", "yandex", "ru-central1", ("RU",))
    assert store.location.evidence == (
        SourceRef(
            CONFIG,
            7,
            "kubernetes.clusters maps deploy/ru/orders-pg.yaml (deploy/ru/**) "
            "to yandex ru-central1",
        ),
    )


def test_provisioner_gives_the_provider_when_no_cluster_is_mapped(shop: dict[str, Store]) -> None:
    store = shop["k8s:StatefulSet/catalog/catalog-search"]
    assert where(store) == ("resolved", "aws", "eu-west-3", ("FR",))
    assert store.location.evidence[0] == SourceRef(
        "deploy/legacy/storage.yaml", 5, "storage driver ebs.csi.aws.com creates aws EBS volumes"
    )


def test_region_label_without_provider_is_unknown_with_advice(shop: dict[str, Store]) -> None:
    loc = shop["k8s:StatefulSet/analytics/events-clickhouse"].location
    assert (loc.status, loc.provider, loc.region, loc.countries) == (
        LocationStatus.UNKNOWN,
        None,
        "eu-west-3",
        (),
    )
    assert loc.evidence == (
        SourceRef(
            "deploy/legacy/clickhouse.yaml",
            18,
            "StatefulSet events-clickhouse: nodeSelector topology.kubernetes.io/region In "
            "[eu-west-3] pins eu-west-3, but nothing says which cloud the cluster runs in; "
            "declare it under kubernetes.clusters in the config",
        ),
    )


def test_no_placement_at_all_is_unknown_with_advice(shop: dict[str, Store]) -> None:
    loc = shop["k8s:StatefulSet/staging/rabbitmq"].location
    assert loc.status is LocationStatus.UNKNOWN
    assert loc.evidence == (
        SourceRef(
            "deploy/staging/rabbitmq.yaml",
            1,
            "no cluster placement for deploy/staging/rabbitmq.yaml: "
            "add it to kubernetes.clusters in the config",
        ),
    )


def test_standalone_claims_are_stores_only_when_labelled(tree: Tree, locate: Locate) -> None:
    facts = tree("k8s-shop")
    without = {s.id for s in build_stores(facts, SHOP_CLUSTERS, locate)}
    assert "k8s:PersistentVolumeClaim/default/customer-uploads" not in without
    assert not any(i.startswith("k8s:PersistentVolumeClaim/") for i in without)
    # A claim mounted by a store is part of that store, labelled or not.
    everything = {
        s.id for s in build_stores(facts, SHOP_CLUSTERS, locate, labelled_personal=lambda _: True)
    }
    assert {i for i in everything if i.startswith("k8s:PersistentVolumeClaim/")} == {
        "k8s:PersistentVolumeClaim/default/customer-uploads",
        "k8s:PersistentVolumeClaim/default/grafana-storage",
    }


def test_helm_templates_and_non_manifests_give_no_stores(shop: dict[str, Store]) -> None:
    assert not any(store.file.startswith("charts/") for store in shop.values())


def test_output_is_deterministic(tree: Tree, locate: Locate) -> None:
    facts = tree("k8s-shop")
    first = build_stores(facts, SHOP_CLUSTERS, locate)
    assert build_stores(list(reversed(facts)), SHOP_CLUSTERS, locate) == first


# --- placement rules on small inline manifests ------------------------------------------


def stores_of(
    *files: tuple[str, str], locate: Locate, clusters: Sequence[ClusterPlacement] = ()
) -> dict[str, Store]:
    facts = [parse_manifests(path, text.encode()) for path, text in files]
    return {s.id: s for s in build_stores(facts, clusters, locate)}


STATIC_PV = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: minio-disk-0
spec:
  capacity: {storage: 500Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  csi:
    driver: disk-csi-driver.mks.ycloud.io
    volumeHandle: fhm0abcdefghijklmnop
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: topology.kubernetes.io/zone
              operator: In
              values: [ru-central1-b]
"""

MINIO = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: minio-data
  namespace: storage
spec:
  storageClassName: ""
  volumeName: minio-disk-0
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 500Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: minio
  namespace: storage
spec:
  template:
    spec:
      containers:
        - name: minio
          image: quay.io/minio/minio:RELEASE.2024-05-10T01-41-38Z
          args: [server, /data]
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: minio-data
"""


def test_persistent_volume_affinity_is_strongest(locate: Locate) -> None:
    # The cluster mapping says kz1 (Kazakhstan), but the disk itself is in ru-central1-b: the
    # data is where the disk is.
    clusters = (ClusterPlacement(("k8s/**",), "yandex", "kz1", CONFIG, 3),)
    stores = stores_of(
        ("k8s/pv.yaml", STATIC_PV), ("k8s/minio.yaml", MINIO), locate=locate, clusters=clusters
    )
    store = stores["k8s:Deployment/storage/minio"]
    assert (store.kind, store.line) == ("object_storage", 12)
    assert where(store) == ("resolved", "yandex", "ru-central1", ("RU",))
    assert store.location.evidence == (
        SourceRef(CONFIG, 3, "kubernetes.clusters maps k8s/minio.yaml (k8s/**) to yandex kz1"),
        SourceRef("k8s/minio.yaml", 1, "Deployment minio claims storage minio-data"),
        SourceRef("k8s/pv.yaml", 1, "PersistentVolume minio-disk-0"),
        SourceRef(
            "k8s/pv.yaml",
            18,
            "PersistentVolume minio-disk-0: PersistentVolume nodeAffinity "
            "topology.kubernetes.io/zone In [ru-central1-b]",
        ),
    )


def test_csi_driver_gives_the_provider_of_a_volume(locate: Locate) -> None:
    stores = stores_of(("k8s/pv.yaml", STATIC_PV), ("k8s/minio.yaml", MINIO), locate=locate)
    store = stores["k8s:Deployment/storage/minio"]
    assert where(store) == ("resolved", "yandex", "ru-central1", ("RU",))
    assert store.location.evidence[0] == SourceRef(
        "k8s/pv.yaml",
        10,
        "storage driver disk-csi-driver.mks.ycloud.io creates yandex Compute disks",
    )


def test_gce_disk_handle_carries_the_zone(locate: Locate) -> None:
    pv = """\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pg-disk
spec:
  claimRef: {namespace: db, name: pgdata-pg-0}
  csi:
    driver: pd.csi.storage.gke.io
    volumeHandle: projects/acme-prod/zones/europe-west3-c/disks/pg-disk
"""
    sts = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  template:
    spec:
      containers: [{name: pg, image: "postgis/postgis:16-3.4"}]
  volumeClaimTemplates:
    - metadata: {name: pgdata}
      spec: {resources: {requests: {storage: 10Gi}}}
"""
    stores = stores_of(("gke/pv.yaml", pv), ("gke/pg.yaml", sts), locate=locate)
    store = stores["k8s:StatefulSet/db/pg"]
    assert where(store) == ("resolved", "gcp", "europe-west3", ("DE",))
    assert store.location.evidence[-1] == SourceRef(
        "gke/pv.yaml",
        8,
        "PersistentVolume pg-disk: disk handle "
        "projects/acme-prod/zones/europe-west3-c/disks/pg-disk",
    )


REDIS_TWO_REGIONS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: web}
spec:
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: topology.kubernetes.io/region, operator: In, values: [eu-central-1]}
              - matchExpressions:
                  - {key: topology.kubernetes.io/region, operator: In, values: [eu-west-1]}
      containers: [{name: redis, image: "bitnami/redis:7.2"}]
"""


def test_terms_in_two_regions_give_multi(locate: Locate) -> None:
    clusters = (ClusterPlacement(("**",), "aws", None, CONFIG, 2),)
    store = stores_of(("web/cache.yaml", REDIS_TWO_REGIONS), locate=locate, clusters=clusters)[
        "k8s:StatefulSet/web/cache"
    ]
    assert where(store) == ("multi", "aws", None, ("DE", "IE"))


def test_a_term_without_topology_leaves_the_region_open(locate: Locate) -> None:
    open_term = REDIS_TWO_REGIONS.replace(
        "{key: topology.kubernetes.io/region, operator: In, values: [eu-west-1]}",
        "{key: node.kubernetes.io/instance-type, operator: In, values: [r6g.large]}",
    )
    clusters = (ClusterPlacement(("web/**",), "aws", "eu-west-1", CONFIG, 2),)
    store = stores_of(("web/cache.yaml", open_term), locate=locate, clusters=clusters)[
        "k8s:StatefulSet/web/cache"
    ]
    assert where(store) == ("resolved", "aws", "eu-west-1", ("IE",))


def test_provider_node_label_with_region_label(locate: Locate) -> None:
    manifest = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: sessions}
spec:
  template:
    spec:
      nodeSelector:
        eks.amazonaws.com/nodegroup: stateful
        topology.kubernetes.io/region: eu-central-1
      containers: [{name: valkey, image: "valkey/valkey:7.2"}]
"""
    store = stores_of(("apps/sessions.yaml", manifest), locate=locate)[
        "k8s:Deployment/default/sessions"
    ]
    assert where(store) == ("resolved", "aws", "eu-central-1", ("DE",))
    assert store.location.evidence[0] == SourceRef(
        "apps/sessions.yaml",
        8,
        "Deployment sessions: nodeSelector eks.amazonaws.com/nodegroup is a aws node label",
    )


def test_provider_specific_zone_key_gives_the_provider(locate: Locate) -> None:
    manifest = """\
apiVersion: v1
kind: Pod
metadata: {name: scratch-mysql, namespace: dev}
spec:
  nodeSelector: {topology.gke.io/zone: europe-west3-c}
  containers: [{name: db, image: "mysql:8.4"}]
"""
    store = stores_of(("dev/pod.yaml", manifest), locate=locate)["k8s:Pod/dev/scratch-mysql"]
    assert where(store) == ("resolved", "gcp", "europe-west3", ("DE",))


def test_cluster_entry_without_region_or_provider(locate: Locate) -> None:
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers: [{image: mariadb}]\n"
    )
    no_region = (ClusterPlacement(("**",), "selectel", None, CONFIG, 9),)
    loc = stores_of(("a.yaml", manifest), locate=locate, clusters=no_region)[
        "k8s:Pod/default/db"
    ].location
    assert (loc.status, loc.provider, loc.evidence[-1]) == (
        LocationStatus.UNKNOWN,
        "selectel",
        SourceRef(CONFIG, 9, "kubernetes.clusters entry for a.yaml gives no region"),
    )
    no_provider = (ClusterPlacement(("**",), None, "ru-9", CONFIG, 9),)
    loc = stores_of(("a.yaml", manifest), locate=locate, clusters=no_provider)[
        "k8s:Pod/default/db"
    ].location
    assert (loc.status, loc.region) == (LocationStatus.UNKNOWN, "ru-9")
    assert loc.evidence[-1].note == (
        "kubernetes.clusters entry for a.yaml gives region ru-9 but no provider; "
        "a region code means nothing without its provider"
    )


def test_first_matching_cluster_entry_wins(locate: Locate) -> None:
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers: [{image: mongo}]\n"
    )
    clusters = (
        ClusterPlacement(("deploy/ru/**",), "yandex", "ru-central1", CONFIG, 3),
        ClusterPlacement(("deploy/**",), "aws", "eu-central-1", CONFIG, 6),
    )
    store = stores_of(("deploy/ru/db.yaml", manifest), locate=locate, clusters=clusters)
    assert where(store["k8s:Pod/default/db"]) == ("resolved", "yandex", "ru-central1", ("RU",))


def test_jobs_init_containers_and_unknown_images_are_not_stores(locate: Locate) -> None:
    manifest = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: pg-dump}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: dump, image: "postgres:16"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      initContainers: [{name: wait, image: "postgres:16"}]
      containers: [{name: api, image: "registry.acme.io/api:1.0"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: zookeeper}
spec:
  template:
    spec:
      containers: [{name: zk, image: "zookeeper:3.9"}]
"""
    assert stores_of(("jobs.yaml", manifest), locate=locate) == {}


def test_statefulset_with_claims_and_unknown_image_is_a_volume(locate: Locate) -> None:
    manifest = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: loki, namespace: logging}
spec:
  template:
    spec:
      containers: [{name: loki, image: "grafana/loki:3.0.0"}]
  volumeClaimTemplates:
    - metadata: {name: storage}
      spec: {resources: {requests: {storage: 10Gi}}}
"""
    store = stores_of(("loki.yaml", manifest), locate=locate)["k8s:StatefulSet/logging/loki"]
    assert (store.kind, store.resource_type) == ("block_storage", "StatefulSet")


def test_same_storage_class_name_in_two_clusters_uses_the_nearest(locate: Locate) -> None:
    def storage_class(zone: str) -> str:
        return f"""\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{name: fast}}
provisioner: ebs.csi.aws.com
allowedTopologies:
  - matchLabelExpressions:
      - {{key: topology.kubernetes.io/zone, values: [{zone}]}}
"""

    db = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  template: {spec: {containers: [{image: "postgres:16"}]}}
  volumeClaimTemplates: [{metadata: {name: data}, spec: {storageClassName: fast}}]
"""
    stores = build_stores(
        [
            parse_manifests("clusters/eu/sc.yaml", storage_class("eu-central-1a").encode()),
            parse_manifests("clusters/fr/sc.yaml", storage_class("eu-west-3a").encode()),
            parse_manifests("clusters/fr/apps/db.yaml", db.encode()),
        ],
        (),
        locate,
    )
    assert [(s.id, where(s)) for s in stores] == [
        ("k8s:StatefulSet/default/db", ("resolved", "aws", "eu-west-3", ("FR",)))
    ]


def test_claim_without_class_uses_the_single_default_class(locate: Locate) -> None:
    storage_class = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: yc-network-hdd
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: disk-csi-driver.mks.ycloud.io
allowedTopologies:
  - matchLabelExpressions:
      - key: topology.kubernetes.io/zone
        values: [ru-central1-a]
"""
    db = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: keydb, namespace: cache}
spec:
  template: {spec: {containers: [{image: "eqalpha/keydb:x86_64_v6.3.4"}]}}
  volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]
"""
    stores = stores_of(("cluster/sc.yaml", storage_class), ("apps/keydb.yaml", db), locate=locate)
    store = stores["k8s:StatefulSet/cache/keydb"]
    assert (store.kind, where(store)) == (
        "key_value",
        ("resolved", "yandex", "ru-central1", ("RU",)),
    )
    assert store.location.evidence[1] == SourceRef(
        "apps/keydb.yaml", 6, "StatefulSet keydb claims storage data"
    )


def test_not_in_and_exists_do_not_pin(locate: Locate) -> None:
    manifest = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: search}
spec:
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: topology.kubernetes.io/region, operator: NotIn, values: [eu-west-1]}
                  - {key: topology.kubernetes.io/zone, operator: Exists}
      containers: [{image: "opensearchproject/opensearch:2.14.0"}]
"""
    store = stores_of(("s.yaml", manifest), locate=locate)["k8s:Deployment/default/search"]
    assert store.location.evidence[-1].note == (
        "no cluster placement for s.yaml: add it to kubernetes.clusters in the config"
    )
