from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest

from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.kubernetes.facts import (
    ClaimSpec,
    Container,
    EnvFrom,
    EnvVar,
    KubernetesFacts,
    LabelRequirement,
    PodVolume,
    Scheduling,
    SelectorTerm,
)
from residency_audit.sources.kubernetes.parse import (
    HELM_NOTE,
    MAX_MANIFEST_BYTES,
    TEMPLATE_NOTE,
    looks_like_manifest,
    parse_manifests,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def read(tree: str, path: str) -> bytes:
    return (FIXTURES / tree / path).read_bytes()


def parse_fixture(tree: str, path: str) -> KubernetesFacts:
    return parse_manifests(path, read(tree, path))


def test_multi_document_lines_are_document_starts() -> None:
    facts = parse_fixture("k8s-shop", "deploy/eu/postgres.yaml")
    assert [(o.kind, o.name, o.namespace, o.line) for o in facts.objects] == [
        ("Service", "users-db", "shop", 1),
        ("StatefulSet", "users-db", "shop", 16),
    ]
    assert facts.errors == ()
    assert facts.notes == ()


def test_leading_separator_and_comment_do_not_shift_the_line() -> None:
    facts = parse_fixture("k8s-shop", "deploy/ru/mongo.yaml")
    assert [(o.kind, o.name, o.line) for o in facts.objects] == [
        ("StatefulSet", "profiles-mongo", 3)
    ]


def test_list_items_are_objects_at_their_own_lines() -> None:
    facts = parse_fixture("k8s-shop", "deploy/eu/list.yaml")
    assert [(o.api_version, o.kind, o.name, o.line) for o in facts.objects] == [
        ("v1", "Service", "fragment-cache", 7),
        ("apps/v1", "Deployment", "fragment-cache", 17),
    ]
    assert facts.objects[1].labels == (("tier", "cache"),)


def test_statefulset_facts() -> None:
    sts = parse_fixture("k8s-shop", "deploy/eu/postgres.yaml").objects[1]
    assert sts.api_version == "apps/v1"
    assert sts.group == "apps"
    assert sts.labels == (
        ("app.kubernetes.io/name", "users-db"),
        ("app.kubernetes.io/component", "database"),
    )
    assert sts.annotations == (
        ("residency-audit/personal-data", "true"),
        ("residency-audit/data-subjects", "RU"),
    )
    assert sts.claims == (ClaimSpec(line=68, name="data", storage_class="gp3-encrypted"),)
    assert sts.pod is not None
    assert sts.pod.line == 38  # the pod spec's first key
    assert sts.pod.containers == (
        Container("init-permissions", "busybox:1.36", 41, init=True),
        Container(
            "postgres",
            "postgres:16.2-bookworm",
            45,
            env=(
                EnvVar("POSTGRES_DB", 50, value="users"),
                EnvVar(
                    "POSTGRES_PASSWORD",
                    52,
                    ref_kind="secret",
                    ref_name="users-db-credentials",
                    ref_key="password",
                ),
                EnvVar("PGDATA", 57, value="/var/lib/postgresql/data/pgdata"),
            ),
        ),
        Container(
            "metrics",
            "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
            62,
            env=(EnvVar("DATA_SOURCE_URI", 65, value="localhost:5432/users?sslmode=disable"),),
        ),
    )
    assert sts.schedules == ()


def test_node_selector_and_required_affinity() -> None:
    redis = parse_fixture("k8s-shop", "deploy/eu/redis.yaml").objects[0]
    assert redis.schedules == (
        Scheduling(
            18,
            node_selector=(
                LabelRequirement("kubernetes.io/os", "In", ("linux",), 19, "nodeSelector"),
                LabelRequirement(
                    "topology.kubernetes.io/zone", "In", ("eu-central-1b",), 20, "nodeSelector"
                ),
            ),
        ),
    )
    mongo = parse_fixture("k8s-shop", "deploy/ru/mongo.yaml").objects[0]
    # The preferred term (ru-central1-d) constrains nothing and is not recorded.
    assert mongo.schedules == (
        Scheduling(
            23,
            node_affinity=(
                SelectorTerm(
                    (
                        LabelRequirement(
                            "topology.kubernetes.io/zone",
                            "In",
                            ("ru-central1-a", "ru-central1-b"),
                            30,
                            "nodeAffinity",
                        ),
                    )
                ),
            ),
        ),
    )


def test_storage_class_facts() -> None:
    (sc,) = parse_fixture("k8s-shop", "deploy/eu/storageclass.yaml").objects
    assert (sc.kind, sc.name, sc.namespace, sc.line) == ("StorageClass", "gp3-encrypted", None, 2)
    spec = sc.storage_class
    assert spec is not None
    assert (spec.provisioner, spec.provisioner_line, spec.is_default) == (
        "ebs.csi.aws.com",
        8,
        False,
    )
    assert spec.parameters == (("type", "gp3"), ("encrypted", "true"))
    assert spec.allowed_topologies == (
        SelectorTerm(
            (
                LabelRequirement(
                    "topology.ebs.csi.aws.com/zone",
                    "In",
                    ("eu-central-1a", "eu-central-1b"),
                    19,
                    "allowedTopologies",
                ),
            )
        ),
    )


def test_pod_volumes_and_standalone_claim() -> None:
    sts, pvc = parse_fixture("k8s-shop", "deploy/legacy/clickhouse.yaml").objects
    assert sts.pod is not None
    assert sts.pod.volumes == (PodVolume("data", 26, claim_name="events-clickhouse-data"),)
    assert (pvc.kind, pvc.line) == ("PersistentVolumeClaim", 30)
    assert pvc.claims == (ClaimSpec(line=30, name="events-clickhouse-data"),)


def test_config_map_secret_and_env_from() -> None:
    config, secret, api = parse_fixture("k8s-shop", "deploy/ru/orders-api.yaml").objects
    assert [(e.key, e.value, e.line) for e in config.config] == [
        ("REDIS_URL", "redis://orders-cache.orders.svc.cluster.local:6379/0", 7),
        ("S3_BUCKET", "acme-orders-invoices", 8),
        ("AWS_S3_ENDPOINT_URL", "https://storage.yandexcloud.net", 9),
        ("LOG_LEVEL", "info", 10),
    ]
    assert [(e.key, e.value, e.line) for e in secret.config] == [
        ("DATABASE_URL", "postgresql://orders:s3cr3t@orders-pg-rw.orders.svc:5432/orders", 20),
        ("SENTRY_DSN", "https://0123456789abcdef@o4505.ingest.de.sentry.io/4506", 22),
    ]
    assert api.pod is not None
    (container,) = api.pod.containers
    assert container.env_from == (EnvFrom("configmap", "orders-api-config", "", 43),)
    assert container.env == (
        EnvVar(
            "DATABASE_URL", 46, ref_kind="secret", ref_name="orders-api-db", ref_key="DATABASE_URL"
        ),
        EnvVar("AWS_REGION", 51, value="ru-central1"),
        EnvVar("POD_NAME", 53, ref_kind="field", ref_key="metadata.name"),
    )


def test_operator_resource_claims_and_scheduling() -> None:
    cluster, scheduled = parse_fixture("k8s-shop", "deploy/ru/orders-pg.yaml").objects
    assert (cluster.group, cluster.kind, cluster.line) == ("postgresql.cnpg.io", "Cluster", 1)
    assert cluster.claims == (ClaimSpec(line=13, storage_class="yc-network-ssd"),)
    assert cluster.schedules == (
        Scheduling(
            16,
            node_selector=(
                LabelRequirement(
                    "yandex.cloud/node-group-id",
                    "In",
                    ("cat1a2b3c4d5e6f7g8h9",),
                    17,
                    "nodeSelector",
                ),
            ),
        ),
    )
    assert (scheduled.kind, scheduled.line, scheduled.claims) == ("ScheduledBackup", 33, ())


def test_strimzi_storage_class_is_a_claim() -> None:
    text = b"""\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaNodePool
metadata:
  name: broker
  labels:
    strimzi.io/cluster: events
spec:
  replicas: 3
  roles: [broker]
  storage:
    type: jbod
    volumes:
      - id: 0
        type: persistent-claim
        size: 500Gi
        class: premium-rwo
        deleteClaim: false
"""
    (pool,) = parse_manifests("kafka/pool.yaml", text).objects
    assert pool.claims == (ClaimSpec(line=16, storage_class="premium-rwo"),)


def test_persistent_volume_facts() -> None:
    text = b"""\
apiVersion: v1
kind: PersistentVolume
metadata:
  name: mongo-pv
spec:
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce]
  csi:
    driver: disk-csi-driver.mks.ycloud.io
    fsType: ext4
    volumeHandle: fhm1a2b3c4d5e6f7g8h9
  storageClassName: yc-network-hdd
  claimRef:
    namespace: profiles
    name: mongo-data
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: topology.kubernetes.io/zone
              operator: In
              values: [ru-central1-a]
"""
    (pv,) = parse_manifests("pv.yaml", text).objects
    volume = pv.volume
    assert volume is not None
    assert (volume.driver, volume.driver_line, volume.volume_handle) == (
        "disk-csi-driver.mks.ycloud.io",
        10,
        "fhm1a2b3c4d5e6f7g8h9",
    )
    assert (volume.storage_class, volume.claim_namespace, volume.claim_name) == (
        "yc-network-hdd",
        "profiles",
        "mongo-data",
    )
    assert volume.node_affinity == (
        SelectorTerm(
            (
                LabelRequirement(
                    "topology.kubernetes.io/zone",
                    "In",
                    ("ru-central1-a",),
                    23,
                    "PersistentVolume nodeAffinity",
                ),
            )
        ),
    )


def test_in_tree_gce_disk_volume() -> None:
    text = b"""\
apiVersion: v1
kind: PersistentVolume
metadata: {name: legacy-disk}
spec:
  gcePersistentDisk:
    pdName: users-disk
    fsType: ext4
"""
    (pv,) = parse_manifests("pv.yaml", text).objects
    assert pv.volume is not None
    assert (pv.volume.driver, pv.volume.driver_line, pv.volume.volume_handle) == (
        "kubernetes.io/gce-pd",
        6,
        "users-disk",
    )


def test_yaml_merge_keys_are_applied() -> None:
    text = b"""\
apiVersion: v1
kind: Pod
metadata:
  name: scratch-db
  labels: &labels
    app: scratch-db
    tier: db
  annotations:
    <<: *labels
    owner: data-team
spec:
  containers:
    - name: db
      image: postgres:15
"""
    (pod,) = parse_manifests("pod.yaml", text).objects
    assert pod.labels == (("app", "scratch-db"), ("tier", "db"))
    assert pod.annotations == (("owner", "data-team"), ("app", "scratch-db"), ("tier", "db"))
    assert pod.pod is not None
    assert pod.pod.containers == (Container("db", "postgres:15", 13),)


def test_anchors_do_not_cross_documents() -> None:
    text = b"""\
apiVersion: v1
kind: ConfigMap
data: &shared {a: "1"}
---
apiVersion: v1
kind: ConfigMap
data: *shared
"""
    facts = parse_manifests("two.yaml", text)
    assert [o.line for o in facts.objects] == [1]
    assert facts.errors == (ScanError("two.yaml", 7, "YAML alias *shared refers to no anchor"),)


def test_json_manifest_is_yaml_too() -> None:
    text = b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {}}'
    (pod,) = parse_manifests("pod.json", text).objects
    assert (pod.kind, pod.name, pod.line) == ("Pod", "x", 1)


def test_utf8_bom_is_accepted() -> None:
    text = b"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    (ns,) = parse_manifests("ns.yaml", text).objects
    assert (ns.kind, ns.name, ns.line) == ("Namespace", "shop", 1)


# --- files that are not manifests, or not plain YAML -------------------------------------


@pytest.mark.parametrize(
    "path", ["charts/shop/values.yaml", "charts/shop/Chart.yaml", ".residency-audit.yaml"]
)
def test_files_that_are_not_kubernetes_give_nothing(path: str) -> None:
    facts = parse_fixture("k8s-shop", path)
    assert (facts.objects, facts.errors, facts.notes, facts.kustomization) == ((), (), (), None)


@pytest.mark.parametrize(
    "path", ["charts/shop/templates/statefulset.yaml", "charts/shop/templates/configmap.yaml"]
)
def test_helm_templates_are_skipped_with_a_note(path: str) -> None:
    # configmap.yaml is valid YAML (its templates are quoted), but its values are not real.
    facts = parse_fixture("k8s-shop", path)
    assert facts.objects == ()
    assert facts.errors == ()
    assert facts.notes == (SourceRef(path, 1, HELM_NOTE),)


def test_unquoted_template_outside_a_chart_is_a_note_not_an_error() -> None:
    facts = parse_fixture("k8s-broken", "unquoted-template.yaml")
    assert facts.objects == ()
    assert facts.errors == ()
    assert facts.notes == (SourceRef("unquoted-template.yaml", 7, TEMPLATE_NOTE),)


def test_template_text_inside_a_value_is_kept() -> None:
    facts = parse_fixture("k8s-broken", "alert-rules.yaml")
    assert [(o.kind, o.name) for o in facts.objects] == [("ConfigMap", "prometheus-rules")]
    assert "{{ $labels.persistentvolumeclaim }}" in (facts.objects[0].config[0].value or "")
    assert facts.notes == ()


def test_templated_name_outside_templates_dir_skips_that_object() -> None:
    text = b"""\
apiVersion: v1
kind: Service
metadata:
  name: "{{ .Release.Name }}-db"
---
apiVersion: v1
kind: Service
metadata:
  name: static-db
"""
    facts = parse_manifests("k8s/services.yaml", text)
    assert [o.name for o in facts.objects] == ["static-db"]
    assert facts.notes == (
        SourceRef(
            "k8s/services.yaml", 1, "Service with a templated name (Go template syntax): skipped"
        ),
    )


# --- broken and hostile input ------------------------------------------------------------


def test_broken_yaml_keeps_earlier_documents_and_reports_the_line() -> None:
    facts = parse_fixture("k8s-broken", "broken.yaml")
    assert [(o.kind, o.name) for o in facts.objects] == [("ConfigMap", "feature-flags")]
    assert facts.errors == (
        ScanError("broken.yaml", 18, "YAML syntax error: did not find expected '-' indicator"),
    )


def test_latin1_bytes_are_an_error_record() -> None:
    facts = parse_fixture("k8s-broken", "latin1.yaml")
    assert facts.objects == ()
    assert facts.errors == (
        ScanError(
            "latin1.yaml", 6, "not valid UTF-8 text (byte 0xE9 at line 6); manifests must be UTF-8"
        ),
    )


def test_alias_bomb_is_refused() -> None:
    facts = parse_fixture("k8s-broken", "alias-bomb.yaml")
    assert facts.objects == ()
    assert facts.errors == (
        ScanError(
            "alias-bomb.yaml",
            11,
            "YAML document would expand to more than 500000 nodes "
            "(alias bomb or generated data); not read",
        ),
    )


def test_recursive_alias_is_refused() -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\ndata: &loop\n  self: *loop\n"
    facts = parse_manifests("loop.yaml", text)
    assert facts.errors == (
        ScanError("loop.yaml", 4, "recursive YAML alias *loop refers to itself"),
    )


@pytest.mark.parametrize(
    ("tail", "line", "kept"),
    [
        (b"  x: " + b"[" * 300_000, 4, 0),
        (b"  x: " + b"{a: " * 300_000, 4, 0),
        (b"---\n" + b"- " * 300_000, 5, 1),  # the first document is whole and kept
    ],
)
def test_pathological_nesting_does_not_crash(tail: bytes, line: int, kept: int) -> None:
    # libyaml's own composer segfaults on this; ours stops at the depth limit.
    text = b"apiVersion: v1\nkind: ConfigMap\ndata:\n" + tail + b"1\n"
    facts = parse_manifests("deep.yaml", text)
    assert len(facts.objects) == kept
    assert facts.errors == (
        ScanError("deep.yaml", line, "YAML nested deeper than 200 levels; not read"),
    )


def test_oversized_file_is_an_error_without_parsing() -> None:
    data = b"apiVersion: v1\nkind: ConfigMap\n" + b"#" * MAX_MANIFEST_BYTES
    facts = parse_manifests("huge.yaml", data)
    assert facts.errors == (
        ScanError(
            "huge.yaml",
            None,
            f"file too large for a manifest ({len(data)} bytes > {MAX_MANIFEST_BYTES}); not read",
        ),
    )


def test_unsafe_tags_construct_nothing() -> None:
    text = b"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: !!python/object/apply:os.system ["touch /tmp/pwned-by-manifest"]
data:
  when: 2024-01-01
"""
    facts = parse_manifests("evil.yaml", text)
    assert facts.errors == ()
    (cm,) = facts.objects
    assert cm.name is None  # the tagged node is a sequence, not a name
    assert cm.config[0].value == "2024-01-01"  # timestamps stay text
    assert not Path("/tmp/pwned-by-manifest").exists()


# --- the prefilter -----------------------------------------------------------------------


def _all_fixture_files() -> list[Path]:
    return sorted(
        path
        for tree in FIXTURES.glob("k8s-*")
        for path in tree.rglob("*")
        if path.is_file() and path.suffix in (".yaml", ".yml")
    )


def test_prefilter_is_never_false_for_a_file_the_parser_uses() -> None:
    used = 0
    for path in _all_fixture_files():
        rel = path.relative_to(FIXTURES).as_posix()
        data = path.read_bytes()
        facts = parse_manifests(rel, data)
        if facts.objects or facts.kustomization or facts.errors or facts.notes:
            used += 1
            assert looks_like_manifest(data, rel), rel
        if not looks_like_manifest(data, rel):
            assert facts == type(facts)(rel)
    assert used >= 20


def test_prefilter_rejects_plain_yaml_and_accepts_kustomizations_by_name() -> None:
    assert not looks_like_manifest(b"replicaCount: 2\nimage:\n  repository: nginx\n")
    assert looks_like_manifest(b"apiVersion: v1\nkind: Pod\n")
    assert looks_like_manifest(b"resources:\n  - deploy.yaml\n", "k8s/base/kustomization.yaml")
    assert not looks_like_manifest(b"resources:\n  - deploy.yaml\n", "k8s/base/values.yaml")
    # A key spelled with escapes is invisible to the prefilter, so the parser ignores it too.
    escaped = b'"\\x61piVersion": v1\n"\\x6bind": Pod\n'
    assert not looks_like_manifest(escaped)
    assert parse_manifests("escaped.yaml", escaped).objects == ()


def test_facts_pickle_and_compare_equal() -> None:
    facts = parse_fixture("k8s-shop", "deploy/ru/orders-pg.yaml")
    copy = pickle.loads(pickle.dumps(facts))
    assert copy == facts
    assert hash(copy.objects[0].claims) == hash(facts.objects[0].claims)


def test_mangled_manifests_never_raise() -> None:
    """Truncations and byte flips of real manifests give facts or error records, never an
    exception: one bad file must not stop a scan."""
    rng = random.Random(20240611)
    sources = [path.read_bytes() for path in _all_fixture_files()]
    for _ in range(400):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 8)):
            if not data:
                break
            at = rng.randrange(len(data))
            data[at] = rng.choice(b"{}[]&*!|>-:'\"\t\n #%@`\xff\x00{")
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data) + 1)]
        facts = parse_manifests("mangled.yaml", b"apiVersion: v1\nkind: X\n" + bytes(data))
        pickle.dumps(facts)


def test_wrong_shapes_are_treated_as_absent() -> None:
    text = b"""\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: 42
  labels: {team: {nested: map}, tier: db, empty: }
spec:
  template:
    spec:
      nodeSelector: [topology.kubernetes.io/region]
      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: oops}}
      containers:
        - postgres:16
        - name: db
          image: [postgres]
          env: {DATABASE_URL: x}
      volumes: "none"
  volumeClaimTemplates: {data: {}}
"""
    facts = parse_manifests("odd.yaml", text)
    assert facts.errors == ()
    (sts,) = facts.objects
    assert (sts.name, sts.labels, sts.schedules, sts.claims) == (
        "42",
        (("tier", "db"), ("empty", "")),
        (),
        (),
    )
    assert sts.pod is not None
    assert sts.pod.containers == (Container("db", None, 13),)
    assert sts.pod.volumes == ()
