"""What one manifest file says, as frozen plain data.

These cross the process-pool boundary and the content-hash cache, so they hold only
strings, numbers, tuples and other frozen dataclasses. They record what the manifest
*says* (with the line of each value, for evidence); deciding what it *means* (which
objects are stores, where they run) happens later, across files, in ``stores.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from residency_audit.model import ScanError, SourceRef

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LabelRequirement:
    """One node-label condition: ``nodeSelector`` entries are ``In`` with a single value."""

    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, Gt, Lt
    values: tuple[str, ...]
    line: int
    field: str  # where it was read, for evidence: "nodeSelector", "nodeAffinity", ...
    file: str = ""  # set only when it comes from another file than its object (a patch)


@dataclass(frozen=True)
class SelectorTerm:
    """Requirements that must all hold (a node selector term, a topology term)."""

    requirements: tuple[LabelRequirement, ...]


@dataclass(frozen=True)
class Scheduling:
    """Where one kind of pod may run: ``node_selector`` AND any one of ``node_affinity``.

    ``node_affinity`` holds only the *required* terms; preferred ones do not constrain.
    """

    line: int
    node_selector: tuple[LabelRequirement, ...] = ()
    node_affinity: tuple[SelectorTerm, ...] = ()

    @property
    def terms(self) -> tuple[SelectorTerm, ...]:
        """The constraint in disjunctive form: the pod runs where one of these terms holds."""
        if not self.node_affinity:
            return (SelectorTerm(self.node_selector),) if self.node_selector else ()
        return tuple(
            SelectorTerm(self.node_selector + term.requirements) for term in self.node_affinity
        )


@dataclass(frozen=True)
class EnvVar:
    name: str
    line: int
    value: str | None = None
    ref_kind: str | None = None  # "secret", "configmap", "field", "resource"
    ref_name: str | None = None
    ref_key: str | None = None


@dataclass(frozen=True)
class EnvFrom:
    ref_kind: str  # "secret" or "configmap"
    ref_name: str
    prefix: str
    line: int


@dataclass(frozen=True)
class Container:
    name: str
    image: str | None
    line: int
    init: bool = False
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFrom, ...] = ()


@dataclass(frozen=True)
class PodVolume:
    name: str
    line: int
    claim_name: str | None = None
    host_path: str | None = None


@dataclass(frozen=True)
class PodTemplate:
    line: int
    containers: tuple[Container, ...] = ()
    volumes: tuple[PodVolume, ...] = ()


@dataclass(frozen=True)
class ClaimSpec:
    """Storage requested by an object: a PVC, a volumeClaimTemplate, an operator's storage.

    ``storage_class`` is None when the manifest does not name one (the cluster default
    applies) and "" when it explicitly asks for no class (static provisioning).
    """

    line: int
    name: str | None = None
    storage_class: str | None = None
    volume_name: str | None = None


@dataclass(frozen=True)
class StorageClassSpec:
    line: int
    provisioner: str | None
    provisioner_line: int
    allowed_topologies: tuple[SelectorTerm, ...] = ()
    parameters: Pairs = ()
    is_default: bool = False


@dataclass(frozen=True)
class VolumeSpec:
    """A PersistentVolume: where its data physically is."""

    line: int
    driver: str | None = None  # CSI driver, or the in-tree plugin's provisioner name
    driver_line: int | None = None
    volume_handle: str | None = None
    storage_class: str | None = None
    node_affinity: tuple[SelectorTerm, ...] = ()
    claim_namespace: str | None = None
    claim_name: str | None = None


@dataclass(frozen=True)
class ConfigEntry:
    """One key of a ConfigMap or Secret; ``value`` is None when it is not readable text."""

    key: str
    value: str | None
    line: int


@dataclass(frozen=True)
class CopyTarget:
    """Somewhere an object ships copies of its data (a backup bucket, a snapshot store)."""

    kind: str  # an EdgeKind value: "backup", "replica", "copy"
    line: int
    field: str  # e.g. "spec.backup.barmanObjectStore.destinationPath"
    url: str | None = None
    bucket: str | None = None
    endpoint: str | None = None
    endpoint_line: int | None = None
    region: str | None = None
    provider: str | None = None
    via: str | None = None  # "Kind/name" of an object in the same namespace that says more


@dataclass(frozen=True)
class ReplicaSource:
    """Where a replica cluster copies its data from (CloudNativePG ``spec.replica``).

    ``name`` is the ``externalClusters`` entry the replica follows; the entry gives a host
    to stream from and/or the source's object store to restore WAL from (``archive``).
    """

    name: str
    line: int
    field: str
    host: str | None = None
    host_line: int | None = None
    archive: CopyTarget | None = None


@dataclass(frozen=True)
class K8sObject:
    api_version: str
    kind: str
    name: str | None
    namespace: str | None
    file: str
    line: int
    labels: Pairs = ()
    annotations: Pairs = ()
    pod: PodTemplate | None = None
    schedules: tuple[Scheduling, ...] = ()
    claims: tuple[ClaimSpec, ...] = ()
    storage_class: StorageClassSpec | None = None
    volume: VolumeSpec | None = None
    config: tuple[ConfigEntry, ...] = ()
    copy_targets: tuple[CopyTarget, ...] = ()
    external_name: str | None = None
    replica_of: tuple[ReplicaSource, ...] = ()

    @property
    def group(self) -> str:
        """The API group ("" for the core group), e.g. ``postgresql.cnpg.io``."""
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.file, self.line, f"{self.kind} {self.name or '(unnamed)'}")


@dataclass(frozen=True)
class KustomizePatch:
    path: str | None  # relative to the kustomization's directory; None for an inline patch
    line: int


@dataclass(frozen=True)
class Kustomization:
    """A kustomization file: which manifests it deploys and how it renames them."""

    file: str
    line: int
    resources: tuple[tuple[str, int], ...] = ()  # (relative path, line)
    patches: tuple[KustomizePatch, ...] = ()
    namespace: str | None = None
    name_prefix: str = ""
    name_suffix: str = ""


@dataclass(frozen=True)
class KubernetesFacts:
    file: str
    objects: tuple[K8sObject, ...] = ()
    kustomization: Kustomization | None = None
    errors: tuple[ScanError, ...] = ()
    notes: tuple[SourceRef, ...] = ()
