"""Read the fields that matter for stores and placement out of one Kubernetes object.

Manifests written by people are sloppy in ways the API server forgives (a number where a
string belongs, a missing list): every accessor here tolerates a wrong shape by treating
it as absent, so one odd field never loses the rest of the object.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from residency_audit.sources.kubernetes.backups import copy_targets, replica_sources
from residency_audit.sources.kubernetes.facts import (
    ClaimSpec,
    ConfigEntry,
    Container,
    EnvFrom,
    EnvVar,
    K8sObject,
    LabelRequirement,
    Pairs,
    PodTemplate,
    PodVolume,
    Scheduling,
    SelectorTerm,
    StorageClassSpec,
    VolumeSpec,
)
from residency_audit.sources.kubernetes.yamltree import (
    YMap,
    YNode,
    YScalar,
    YSeq,
    child,
    items,
    line_of,
    mapping,
    string_pairs,
    text,
)

# Where each workload kind keeps its pod spec.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts
}

# In-tree volume plugins of a PersistentVolume, as their provisioner names.
_IN_TREE_VOLUMES: dict[str, str] = {
    "awsElasticBlockStore": "kubernetes.io/aws-ebs",
    "gcePersistentDisk": "kubernetes.io/gce-pd",
    "azureDisk": "kubernetes.io/azure-disk",
    "azureFile": "kubernetes.io/azure-file",
    "cinder": "kubernetes.io/cinder",
    "local": "local",
    "hostPath": "local",
}

_DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"

# Keys whose subtrees never hold scheduling or storage of the object itself.
_SKIPPED_SUBTREES = frozenset({"status", "metadata", "env", "containers", "initContainers"})


def extract_object(root: YMap, file: str, api_version: str, kind: str) -> K8sObject:
    metadata = mapping(root, "metadata")
    labels = string_pairs(child(metadata, "labels"))
    annotations = string_pairs(child(metadata, "annotations"))
    obj = K8sObject(
        api_version=api_version,
        kind=kind,
        name=text(metadata, "name") or text(metadata, "generateName"),
        namespace=text(metadata, "namespace"),
        file=file,
        line=root.line,
        labels=labels,
        annotations=annotations,
    )
    pod_path = _POD_SPEC_PATHS.get(kind)
    if pod_path is not None:
        pod_spec = mapping(root, *pod_path)
        if pod_spec is None:
            return obj
        claims = _volume_claim_templates(root) if kind == "StatefulSet" else ()
        return replace(
            obj,
            pod=_pod_template(pod_spec),
            schedules=_schedules(pod_spec),
            claims=claims,
        )
    group = obj.group
    if group == "" and kind == "PersistentVolumeClaim":
        return replace(obj, claims=(_claim(root, root.line, obj.name, annotations),))
    if group == "" and kind == "PersistentVolume":
        return replace(obj, volume=_volume(root))
    if group == "storage.k8s.io" and kind == "StorageClass":
        return replace(obj, storage_class=_storage_class(root, annotations))
    if group == "" and kind == "ConfigMap":
        return replace(obj, config=_config_map(root))
    if group == "" and kind == "Secret":
        return replace(obj, config=_secret(root))
    if group == "" and kind == "Service":
        spec = mapping(root, "spec")
        if text(spec, "type") == "ExternalName":
            return replace(obj, external_name=text(spec, "externalName"))
        return obj
    if "." in group and not group.endswith("k8s.io"):
        spec = mapping(root, "spec")
        return replace(
            obj,
            schedules=_schedules(spec),
            claims=_operator_claims(spec),
            copy_targets=copy_targets(group, kind, spec),
            replica_of=replica_sources(group, kind, obj.name, spec),
        )
    return obj


# --- pods -------------------------------------------------------------------------------


def _pod_template(spec: YMap) -> PodTemplate:
    containers = tuple(
        container
        for key, init in (("initContainers", True), ("containers", False))
        for node in items(spec, key)
        if (container := _container(node, init)) is not None
    )
    volumes = tuple(
        PodVolume(
            name=text(node, "name") or "",
            line=node.line,
            claim_name=text(node, "persistentVolumeClaim", "claimName"),
            host_path=text(node, "hostPath", "path"),
        )
        for node in items(spec, "volumes")
        if isinstance(node, YMap)
    )
    return PodTemplate(spec.line, containers, volumes)


def _container(node: YNode, init: bool) -> Container | None:
    if not isinstance(node, YMap):
        return None
    env = tuple(var for item in items(node, "env") if (var := _env_var(item)) is not None)
    env_from = tuple(ref for item in items(node, "envFrom") if (ref := _env_from(item)) is not None)
    return Container(
        name=text(node, "name") or "",
        image=text(node, "image"),
        line=node.line,
        init=init,
        env=env,
        env_from=env_from,
    )


def _env_var(node: YNode) -> EnvVar | None:
    name = text(node, "name")
    if not isinstance(node, YMap) or not name:
        return None
    value_from = mapping(node, "valueFrom")
    if value_from is None:
        return EnvVar(name, node.line, value=text(node, "value") or "")
    for key, kind in (("secretKeyRef", "secret"), ("configMapKeyRef", "configmap")):
        ref = mapping(value_from, key)
        if ref is not None:
            return EnvVar(
                name, node.line, ref_kind=kind, ref_name=text(ref, "name"), ref_key=text(ref, "key")
            )
    if mapping(value_from, "fieldRef") is not None:
        return EnvVar(
            name, node.line, ref_kind="field", ref_key=text(value_from, "fieldRef", "fieldPath")
        )
    return EnvVar(name, node.line, ref_kind="resource")


def _env_from(node: YNode) -> EnvFrom | None:
    for key, kind in (("secretRef", "secret"), ("configMapRef", "configmap")):
        name = text(node, key, "name")
        if name:
            return EnvFrom(kind, name, text(node, "prefix") or "", node.line)
    return None


def _schedules(spec: YMap | None) -> tuple[Scheduling, ...]:
    """Every scheduling scope under ``spec``: a mapping holding ``nodeSelector`` and/or
    ``nodeAffinity`` (directly, or under ``affinity`` as in a pod spec).

    Operators nest pod settings in their own places (CloudNativePG ``spec.affinity``, ECK
    ``nodeSets[].podTemplate.spec``, Strimzi ``template.pod.affinity``), so we look for the
    shape rather than a path. Each scope describes one kind of pod; they are alternatives.
    """
    found: list[Scheduling] = []
    used: set[int] = set()
    stack: list[YNode] = [spec] if spec is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YSeq):
            stack.extend(reversed(node.items))
            continue
        if not isinstance(node, YMap):
            continue
        affinity = mapping(node, "nodeAffinity") or mapping(node, "affinity", "nodeAffinity")
        selector = _node_selector(mapping(node, "nodeSelector"))
        terms: tuple[SelectorTerm, ...] = ()
        if affinity is not None and id(affinity) not in used:
            used.add(id(affinity))
            required = child(affinity, "requiredDuringSchedulingIgnoredDuringExecution")
            terms = _selector_terms(items(required, "nodeSelectorTerms"), "nodeAffinity")
        if selector or terms:
            found.append(Scheduling(node.line, selector, terms))
        stack.extend(
            value for key, value in reversed(node.entries.items()) if key not in _SKIPPED_SUBTREES
        )
    return tuple(found)


def _node_selector(node: YMap | None) -> tuple[LabelRequirement, ...]:
    if node is None:
        return ()
    return tuple(
        LabelRequirement(key, "In", (value.value or "",), value.line, "nodeSelector")
        for key, value in node.entries.items()
        if isinstance(value, YScalar)
    )


def _selector_terms(terms: list[YNode], field: str) -> tuple[SelectorTerm, ...]:
    result: list[SelectorTerm] = []
    for term in terms:
        expressions = items(term, "matchExpressions") or items(term, "matchLabelExpressions")
        requirements = tuple(
            req for expr in expressions if (req := _requirement(expr, field)) is not None
        )
        if requirements:
            result.append(SelectorTerm(requirements))
    return tuple(result)


def _requirement(node: YNode, field: str) -> LabelRequirement | None:
    key = text(node, "key")
    if not key or not isinstance(node, YMap):
        return None
    values = tuple(v.value for v in items(node, "values") if isinstance(v, YScalar) and v.value)
    # StorageClass topology expressions have no operator: they always mean In.
    operator = text(node, "operator") or "In"
    values_node = child(node, "values")
    return LabelRequirement(key, operator, values, line_of(values_node, node.line), field)


# --- storage ----------------------------------------------------------------------------


def _claim(node: YMap, line: int, name: str | None, annotations: Pairs) -> ClaimSpec:
    storage_class = text(node, "spec", "storageClassName")
    if storage_class is None:
        storage_class = dict(annotations).get(_CLASS_ANNOTATION)
    return ClaimSpec(line, name, storage_class, text(node, "spec", "volumeName"))


def _volume_claim_templates(root: YMap) -> tuple[ClaimSpec, ...]:
    claims: list[ClaimSpec] = []
    for template in items(root, "spec", "volumeClaimTemplates"):
        if isinstance(template, YMap):
            annotations = string_pairs(child(template, "metadata", "annotations"))
            claims.append(
                _claim(template, template.line, text(template, "metadata", "name"), annotations)
            )
    return tuple(claims)


def _operator_claims(spec: YMap | None) -> tuple[ClaimSpec, ...]:
    """Storage classes an operator resource asks for, wherever its schema puts them.

    ``storageClassName`` (PVC templates: ECK, Crunchy, Altinity, MongoDB, RabbitMQ),
    ``storageClass`` (CloudNativePG ``spec.storage``, Zalando ``spec.volume``) and Strimzi's
    ``{type: persistent-claim, class: ...}``.
    """
    claims: list[ClaimSpec] = []
    stack: list[YNode] = [spec] if spec is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YSeq):
            stack.extend(reversed(node.items))
            continue
        if not isinstance(node, YMap):
            continue
        for key in ("storageClassName", "storageClass"):
            value = child(node, key)
            if isinstance(value, YScalar) and value.value is not None:
                claims.append(ClaimSpec(value.line, None, value.value))
        if text(node, "type") == "persistent-claim":
            value = child(node, "class")
            claims.append(
                ClaimSpec(
                    line_of(value, node.line),
                    None,
                    value.value if isinstance(value, YScalar) else None,
                )
            )
        stack.extend(
            value for key, value in reversed(node.entries.items()) if key not in _SKIPPED_SUBTREES
        )
    return tuple(claims)


def _volume(root: YMap) -> VolumeSpec:
    spec = mapping(root, "spec")
    driver: str | None = None
    driver_line: int | None = None
    handle: str | None = None
    csi = mapping(spec, "csi")
    if csi is not None:
        driver = text(csi, "driver")
        driver_line = line_of(child(csi, "driver"), csi.line)
        handle = text(csi, "volumeHandle")
    else:
        for key, provisioner in _IN_TREE_VOLUMES.items():
            source = child(spec, key)
            if isinstance(source, YMap):
                driver, driver_line = provisioner, source.line
                handle = (
                    text(source, "volumeID") or text(source, "pdName") or text(source, "diskURI")
                )
                break
    required = child(spec, "nodeAffinity", "required")
    return VolumeSpec(
        line=root.line,
        driver=driver,
        driver_line=driver_line,
        volume_handle=handle,
        storage_class=text(spec, "storageClassName"),
        node_affinity=_selector_terms(
            items(required, "nodeSelectorTerms"), "PersistentVolume nodeAffinity"
        ),
        claim_namespace=text(spec, "claimRef", "namespace"),
        claim_name=text(spec, "claimRef", "name"),
    )


def _storage_class(root: YMap, annotations: Pairs) -> StorageClassSpec:
    provisioner = child(root, "provisioner")
    notes = dict(annotations)
    return StorageClassSpec(
        line=root.line,
        provisioner=provisioner.value if isinstance(provisioner, YScalar) else None,
        provisioner_line=line_of(provisioner, root.line),
        allowed_topologies=_selector_terms(items(root, "allowedTopologies"), "allowedTopologies"),
        parameters=string_pairs(child(root, "parameters")),
        is_default=any(notes.get(key, "").lower() == "true" for key in _DEFAULT_CLASS_ANNOTATIONS),
    )


# --- configuration ----------------------------------------------------------------------


def _config_map(root: YMap) -> tuple[ConfigEntry, ...]:
    data = mapping(root, "data")
    if data is None:
        return ()
    return tuple(
        ConfigEntry(key, value.value or "", value.line)
        for key, value in data.entries.items()
        if isinstance(value, YScalar)
    )


def _secret(root: YMap) -> tuple[ConfigEntry, ...]:
    entries: dict[str, ConfigEntry] = {}
    data = mapping(root, "data")
    if data is not None:
        for key, value in data.entries.items():
            if isinstance(value, YScalar):
                entries[key] = ConfigEntry(key, decode_secret_value(value.value or ""), value.line)
    string_data = mapping(root, "stringData")
    if string_data is not None:  # the API server lets stringData win over data
        for key, value in string_data.entries.items():
            if isinstance(value, YScalar):
                entries[key] = ConfigEntry(key, value.value or "", value.line)
    return tuple(entries.values())


MAX_SECRET_VALUE = 64 * 1024


def decode_secret_value(encoded: str) -> str | None:
    """A Secret ``data`` value as text, or None when it is not base64 of UTF-8 text.

    Only text can hold a URL or a host name, so binary values (keystores, certificates in
    DER) are dropped rather than guessed at; oversized ones are not decoded at all.
    """
    compact = "".join(encoded.split())
    if len(compact) > MAX_SECRET_VALUE:
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if any(ord(char) < 32 and char not in "\t\n\r" for char in decoded):
        return None
    return decoded
