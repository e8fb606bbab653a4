"""Which overlays deploy each manifest, so a base is placed once per overlay that uses it.

Teams keep one ``base/`` and an overlay per cluster (``overlays/eu``, ``overlays/ru``); the
overlay's path is what the cluster mapping knows, and its ``namespace`` / ``namePrefix``
decide the deployed object's id. We follow ``resources`` (and the older ``bases`` and
``components``) from every top-level kustomization, without running kustomize: remote
bases, generators' hashed names, replacements and JSON patches are not evaluated.
Strategic-merge patches that set scheduling (``nodeSelector``, node affinity) are applied,
because "the overlay pins the region" is the common way to place a shared base.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace

from residency_audit.model import SourceRef
from residency_audit.sources.kubernetes.facts import (
    K8sObject,
    KubernetesFacts,
    Kustomization,
    LabelRequirement,
    Scheduling,
    SelectorTerm,
)
from residency_audit.sources.kubernetes.parse import KUSTOMIZATION_FILE_NAMES


@dataclass(frozen=True)
class DeployContext:
    """One way a manifest file gets deployed: alone, or through a chain of kustomizations
    (outermost first, ending with the one that lists the file)."""

    chain: tuple[Kustomization, ...] = ()
    patches: tuple[K8sObject, ...] = ()

    @property
    def root(self) -> Kustomization | None:
        return self.chain[0] if self.chain else None

    def cluster_paths(self, file: str) -> tuple[str, ...]:
        """Paths to look up in the cluster mapping, the outermost overlay first."""
        return (*(k.file for k in self.chain), file)

    def namespace(self, obj: K8sObject) -> str | None:
        for kustomization in self.chain:
            if kustomization.namespace:
                return kustomization.namespace
        return obj.namespace

    def name(self, obj: K8sObject) -> str | None:
        if obj.name is None:
            return None
        prefix = "".join(k.name_prefix for k in self.chain)
        suffix = "".join(k.name_suffix for k in reversed(self.chain))
        return f"{prefix}{obj.name}{suffix}"

    def evidence(self) -> tuple[SourceRef, ...]:
        if not self.chain:
            return ()
        files = " -> ".join(k.file for k in self.chain)
        return (SourceRef(self.chain[0].file, self.chain[0].line, f"deployed through {files}"),)

    def patched(self, obj: K8sObject) -> K8sObject:
        """``obj`` with the scheduling of this context's strategic-merge patches for it."""
        schedules = obj.schedules
        for patch in self.patches:
            if patch.kind != obj.kind or patch.name != obj.name or not patch.schedules:
                continue
            schedules = _merge_schedules(schedules, patch.schedules[0], patch.file)
        return obj if schedules is obj.schedules else replace(obj, schedules=schedules)


def _merge_schedules(
    base: tuple[Scheduling, ...], patch: Scheduling, patch_file: str
) -> tuple[Scheduling, ...]:
    """A patch's nodeSelector keys replace the base's; its required affinity replaces the
    base's (strategic merge replaces ``nodeSelectorTerms`` lists wholesale)."""
    first = base[0] if base else Scheduling(patch.line)
    patched_keys = {req.key for req in patch.node_selector}
    selector: tuple[LabelRequirement, ...] = (
        *(req for req in first.node_selector if req.key not in patched_keys),
        *(replace(req, file=patch_file) for req in patch.node_selector),
    )
    affinity = (
        tuple(
            SelectorTerm(tuple(replace(req, file=patch_file) for req in term.requirements))
            for term in patch.node_affinity
        )
        or first.node_affinity
    )
    return (Scheduling(first.line, selector, affinity), *base[1:])


def deploy_contexts(facts: Sequence[KubernetesFacts]) -> dict[str, tuple[DeployContext, ...]]:
    """For every manifest file, the ways it is deployed.

    A file no kustomization lists is deployed alone (one empty context); a file only used
    as a patch has no context at all, so its partial objects are never taken for stores.
    """
    by_file = {f.file: f for f in facts}
    kustomizations = {f.file: f.kustomization for f in facts if f.kustomization is not None}
    by_dir = {posixpath.dirname(path): k for path, k in sorted(kustomizations.items())}
    children = {path: _children(k, by_file, by_dir) for path, k in kustomizations.items()}
    patch_files = {
        patch_file
        for k in kustomizations.values()
        for patch in k.patches
        if patch.path and (patch_file := _resolve(k, patch.path)) in by_file
    }
    included = {child for kids in children.values() for child in kids if child in kustomizations}
    contexts: dict[str, list[DeployContext]] = {}
    for root in sorted(set(kustomizations) - included):
        _walk(root, (), kustomizations, children, by_file, contexts)
    result: dict[str, tuple[DeployContext, ...]] = {}
    for f in facts:
        if f.kustomization is not None or not f.objects:
            continue
        if f.file in contexts:
            result[f.file] = tuple(contexts[f.file])
        elif f.file not in patch_files:
            result[f.file] = (DeployContext(),)
    return result


def _walk(
    path: str,
    chain: tuple[Kustomization, ...],
    kustomizations: dict[str, Kustomization],
    children: dict[str, tuple[str, ...]],
    by_file: dict[str, KubernetesFacts],
    contexts: dict[str, list[DeployContext]],
) -> None:
    kustomization = kustomizations[path]
    if kustomization in chain:  # a cycle: kustomize would refuse it, so do we
        return
    chain = (*chain, kustomization)
    for child in children[path]:
        if child in kustomizations:
            _walk(child, chain, kustomizations, children, by_file, contexts)
            continue
        placed = contexts.setdefault(child, [])
        if all(c.chain[0] is not chain[0] for c in placed):
            placed.append(DeployContext(chain, _patches(chain, by_file)))


def _patches(
    chain: tuple[Kustomization, ...], by_file: dict[str, KubernetesFacts]
) -> tuple[K8sObject, ...]:
    """Patch objects of the chain, innermost kustomization first so outer ones win."""
    found: list[K8sObject] = []
    for kustomization in reversed(chain):
        for patch in kustomization.patches:
            facts = by_file.get(_resolve(kustomization, patch.path)) if patch.path else None
            if facts is not None:
                found.extend(facts.objects)
    return tuple(found)


def _children(
    kustomization: Kustomization,
    by_file: dict[str, KubernetesFacts],
    by_dir: dict[str, Kustomization],
) -> tuple[str, ...]:
    """Files and kustomizations a kustomization includes, in its order; remote ones skipped."""
    found: list[str] = []
    for entry, _line in kustomization.resources:
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            continue
        target = _resolve(kustomization, entry)
        if target in by_file and by_file[target].kustomization is None:
            found.append(target)
        elif target in by_dir:
            found.append(by_dir[target].file)
        elif posixpath.basename(target) in KUSTOMIZATION_FILE_NAMES and target in by_file:
            found.append(target)
    return tuple(found)


def _resolve(kustomization: Kustomization, entry: str) -> str:
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(kustomization.file), entry))
    return "" if joined.startswith("..") else joined.removeprefix("./")
