"""Kubernetes manifests: one file's bytes in, :class:`KubernetesFacts` out.

Pure and total: no file system, no network, no exception for any input. A file that is not
Kubernetes (a Helm values file, a CI config) yields no objects and no error; a Helm chart
template yields a note, because it is not broken, only not plain YAML; broken YAML,
non-UTF-8 text, alias bombs and oversized input yield error records naming the line.
"""

from __future__ import annotations

import posixpath

from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.kubernetes.extract import extract_object
from residency_audit.sources.kubernetes.facts import (
    ConfigEntry,
    K8sObject,
    KubernetesFacts,
    Kustomization,
    KustomizePatch,
)
from residency_audit.sources.kubernetes.yamltree import (
    YamlProblem,
    YMap,
    YNode,
    YScalar,
    YSeq,
    compose_documents,
    items,
    text,
)

__all__ = [
    "KUSTOMIZATION_FILE_NAMES",
    "MAX_MANIFEST_BYTES",
    "KubernetesFacts",
    "is_kustomization_path",
    "looks_like_manifest",
    "parse_manifests",
]

MAX_MANIFEST_BYTES = 8 * 1024 * 1024
"""Hand-written manifests are kilobytes; beyond this it is generated data, not config."""

KUSTOMIZATION_FILE_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})

_UTF8_BOM = b"\xef\xbb\xbf"
_TEMPLATE_MARK = "{{"
_KUSTOMIZE_GROUP = "kustomize.config.k8s.io"

HELM_NOTE = (
    "Helm chart template (Go template syntax), not plain YAML: skipped. "
    "Scan the output of `helm template` to include what it deploys"
)
TEMPLATE_NOTE = (
    "template syntax ({{ ... }}) makes this file invalid YAML: skipped. "
    "Scan the rendered manifests (helm template, gomplate, ...) to include what it deploys"
)


def is_kustomization_path(path: str) -> bool:
    return posixpath.basename(path) in KUSTOMIZATION_FILE_NAMES


def looks_like_manifest(data: bytes, path: str | None = None) -> bool:
    """A cheap test on raw bytes: could this file hold Kubernetes objects?

    Never False for a file :func:`parse_manifests` would take anything from (it applies this
    very test first), so a caller may skip parsing when it says False. A kustomization file
    may omit ``apiVersion`` and ``kind``; pass ``path`` so that it is recognised by name.
    """
    if path is not None and is_kustomization_path(path):
        return True
    return b"apiVersion" in data and b"kind" in data


def parse_manifests(path: str, data: bytes) -> KubernetesFacts:
    """Every Kubernetes object of a YAML file (multi-document, ``kind: List``), with the
    1-based line of the document (its first key) each came from.

    ``path`` is the repository-relative path with ``/``. Documents before a syntax error are
    kept; the error is reported at its line.
    """
    if not looks_like_manifest(data, path):
        return KubernetesFacts(path)
    if len(data) > MAX_MANIFEST_BYTES:
        message = (
            f"file too large for a manifest ({len(data)} bytes > {MAX_MANIFEST_BYTES}); not read"
        )
        return KubernetesFacts(path, errors=(ScanError(path, None, message),))
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    try:
        source = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = body[exc.start]
        message = (
            f"not valid UTF-8 text (byte 0x{byte:02X} at line {line}); manifests must be UTF-8"
        )
        return KubernetesFacts(path, errors=(ScanError(path, line, message),))
    templated = _TEMPLATE_MARK in source
    if templated and _in_templates_dir(path):
        return KubernetesFacts(path, notes=(SourceRef(path, 1, HELM_NOTE),))
    return _read(path, source, templated)


def _in_templates_dir(path: str) -> bool:
    return "templates" in path.split("/")[:-1]


def _read(path: str, source: str, templated: bool) -> KubernetesFacts:
    objects: list[K8sObject] = []
    notes: list[SourceRef] = []
    errors: list[ScanError] = []
    kustomization: Kustomization | None = None
    kustomization_by_name = is_kustomization_path(path)
    try:
        for document in compose_documents(source):
            root = document.root
            if not isinstance(root, YMap):
                continue
            api_version, kind = text(root, "apiVersion"), text(root, "kind")
            is_kustomize = api_version is not None and api_version.startswith(_KUSTOMIZE_GROUP)
            if kustomization is None and (kustomization_by_name or is_kustomize):
                kustomization, generated = _kustomization(path, root)
                objects.extend(generated)
                continue
            if not api_version or not kind:
                continue
            if kind == "List" or (
                kind.endswith("List") and isinstance(root.entries.get("items"), YSeq)
            ):
                for item in items(root, "items"):
                    _add(path, item, objects, notes)
            else:
                _add(path, root, objects, notes)
    except YamlProblem as problem:
        if templated:
            # Go-template actions ({{ if }}, unquoted {{ .Values.x }}) are not YAML; what
            # was read before them cannot be trusted either.
            return KubernetesFacts(path, notes=(SourceRef(path, problem.line, TEMPLATE_NOTE),))
        errors.append(ScanError(path, problem.line, problem.message))
    return KubernetesFacts(path, tuple(objects), kustomization, tuple(errors), tuple(notes))


def _add(path: str, node: YNode, objects: list[K8sObject], notes: list[SourceRef]) -> None:
    if not isinstance(node, YMap):
        return
    api_version, kind = text(node, "apiVersion"), text(node, "kind")
    if not api_version or not kind:
        return
    obj = extract_object(node, path, api_version, kind)
    if any(_TEMPLATE_MARK in (value or "") for value in (obj.name, obj.namespace, kind)):
        notes.append(
            SourceRef(
                path, node.line, f"{kind} with a templated name (Go template syntax): skipped"
            )
        )
        return
    objects.append(obj)


def _kustomization(path: str, root: YMap) -> tuple[Kustomization, tuple[K8sObject, ...]]:
    resources = tuple(
        (entry.value, entry.line)
        for key in ("resources", "bases", "components")
        for entry in items(root, key)
        if isinstance(entry, YScalar) and entry.value
    )
    patches: list[KustomizePatch] = []
    for entry in items(root, "patchesStrategicMerge"):
        if isinstance(entry, YScalar) and entry.value:
            inline = "\n" in entry.value
            patches.append(KustomizePatch(None if inline else entry.value, entry.line))
    for entry in items(root, "patches"):
        if isinstance(entry, YMap):
            patches.append(KustomizePatch(text(entry, "path"), entry.line))
    namespace = text(root, "namespace")
    kustomization = Kustomization(
        file=path,
        line=root.line,
        resources=resources,
        patches=tuple(patches),
        namespace=namespace,
        name_prefix=text(root, "namePrefix") or "",
        name_suffix=text(root, "nameSuffix") or "",
    )
    generated = tuple(
        _generated(path, entry, kind, namespace)
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret"))
        for entry in items(root, key)
        if isinstance(entry, YMap) and text(entry, "name")
    )
    return kustomization, generated


def _generated(path: str, entry: YMap, kind: str, namespace: str | None) -> K8sObject:
    """A ConfigMap or Secret a generator creates, with the literals we can read in place."""
    entries: list[ConfigEntry] = []
    for literal in items(entry, "literals"):
        if isinstance(literal, YScalar) and literal.value and "=" in literal.value:
            key, _, value = literal.value.partition("=")
            entries.append(ConfigEntry(key.strip(), value.strip().strip("\"'"), literal.line))
    return K8sObject(
        api_version="v1",
        kind=kind,
        name=text(entry, "name"),
        namespace=text(entry, "namespace") or namespace,
        file=path,
        line=entry.line,
        config=tuple(entries),
    )
