"""Where a store's data physically is, from what the manifests and the config say.

Strongest evidence first, because it is the most specific about the *data*:

1. the volumes' own topology: PersistentVolume node affinity, StorageClass
   ``allowedTopologies``, a GCE PD handle with a zone in it;
2. the pods' required scheduling on region/zone labels (``nodeSelector``, required node
   affinity); preferred affinity and spread constraints choose nothing and are ignored;
3. the config's ``kubernetes.clusters`` mapping for the file (or the overlay deploying it).

A region code means nothing without its provider, so the provider comes from the cluster
mapping, else from a provider-specific topology key, storage driver or node label. When no
provider can be found, the answer is "unknown, and here is what to declare" - never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from residency_audit.model import Location, LocationStatus, SourceRef
from residency_audit.sources.kubernetes.catalog import node_label, storage_driver
from residency_audit.sources.kubernetes.clusters import ClusterPlacement
from residency_audit.sources.kubernetes.facts import (
    ClaimSpec,
    K8sObject,
    SelectorTerm,
)

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]
"""``residency_audit.geo.regions.locate(provider, code, evidence, where)``."""

_GCE_PD_HANDLE = re.compile(r"projects/[^/]+/(?:zones|regions)/(?P<where>[a-z0-9-]+)/disks/")


@dataclass(frozen=True)
class Pin:
    """Region or zone codes that one source confines the data to (any one of them)."""

    codes: tuple[str, ...]
    where: SourceRef
    provider: str | None = None  # implied by the label key itself (topology.gke.io/zone)
    evidence: tuple[SourceRef, ...] = ()  # how we got from the store to this source


@dataclass(frozen=True)
class ProviderHint:
    provider: str
    ref: SourceRef


@dataclass(frozen=True)
class StorageFacts:
    """What a store's claims resolve to: topology pins and provider hints."""

    pins: tuple[Pin, ...] = ()
    hints: tuple[ProviderHint, ...] = ()


class ObjectIndex:
    """Cross-file lookups by kind and name, preferring the declaration nearest the user.

    The same StorageClass name is often declared once per cluster directory with different
    topology; the one sharing the longest directory prefix with the store wins.
    """

    def __init__(self, objects: Iterable[K8sObject]) -> None:
        self._by_kind_name: dict[tuple[str, str], list[K8sObject]] = {}
        self.volumes: list[K8sObject] = []
        self.default_classes: list[K8sObject] = []
        for obj in objects:
            if obj.name is not None:
                self._by_kind_name.setdefault((obj.kind, obj.name), []).append(obj)
            if obj.volume is not None:
                self.volumes.append(obj)
            if obj.storage_class is not None and obj.storage_class.is_default:
                self.default_classes.append(obj)

    def find(
        self, kind: str, name: str, near: str, namespace: str | None = None
    ) -> K8sObject | None:
        candidates = [
            obj
            for obj in self._by_kind_name.get((kind, name), ())
            if namespace is None or (obj.namespace or "default") == namespace
        ]
        return nearest(candidates, near)

    def claimed_volume(self, claim: str, namespace: str, near: str) -> K8sObject | None:
        """The PersistentVolume pre-bound to a claim (``claimRef``), if one is declared.

        A StatefulSet's claims are named ``<template>-<statefulset>-<ordinal>``; pass the
        ``<template>-<statefulset>-`` prefix (ending in "-") to match any ordinal.
        """
        candidates = [
            obj
            for obj in self.volumes
            if obj.volume is not None
            and obj.volume.claim_name is not None
            and (obj.volume.claim_namespace or "default") == namespace
            and (
                obj.volume.claim_name == claim
                or (claim.endswith("-") and obj.volume.claim_name.startswith(claim))
            )
        ]
        return nearest(candidates, near)


def nearest(candidates: Sequence[K8sObject], near: str) -> K8sObject | None:
    if not candidates:
        return None
    return max(candidates, key=lambda obj: (_common_dirs(obj.file, near), _reverse(obj.file)))


def _reverse(path: str) -> tuple[int, ...]:
    """Sort key that makes ``max`` pick the alphabetically first path on ties."""
    return tuple(-ord(char) for char in path)


def _common_dirs(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        count += 1
    return count


# --- reading topology -------------------------------------------------------------------


def term_pin(
    terms: Sequence[SelectorTerm], file: str, what: str, evidence: tuple[SourceRef, ...] = ()
) -> Pin | None:
    """The codes a disjunction of terms confines to, or None when some term leaves the
    region open (then the constraint does not pin anything)."""
    if not terms:
        return None
    codes: list[str] = []
    refs: list[SourceRef] = []
    provider: str | None = None
    for term in terms:
        chosen = None
        for level in ("region", "zone"):
            for req in term.requirements:
                label = node_label(req.key)
                if label is None or label.level != level or req.operator != "In" or not req.values:
                    continue
                chosen = (req, label.provider)
                break
            if chosen is not None:
                break
        if chosen is None:
            return None
        req, key_provider = chosen
        provider = provider or key_provider
        codes.extend(value for value in req.values if value not in codes)
        values = ", ".join(req.values)
        note = f"{what}: {req.field} {req.key} In [{values}]"
        refs.append(SourceRef(req.file or file, req.line, note))
    return Pin(tuple(codes), refs[0], provider, (*evidence, *refs[1:]))


def provider_labels(obj: K8sObject) -> tuple[ProviderHint, ...]:
    """Node labels that only one provider's nodes carry (``eks.amazonaws.com/nodegroup``)."""
    hints: list[ProviderHint] = []
    for schedule in obj.schedules:
        for term in schedule.terms:
            for req in term.requirements:
                label = node_label(req.key)
                if label is not None and label.provider is not None:
                    note = (
                        f"{obj.kind} {obj.name}: {req.field} {req.key} "
                        f"is a {label.provider} node label"
                    )
                    ref = SourceRef(req.file or obj.file, req.line, note)
                    hints.append(ProviderHint(label.provider, ref))
    return tuple(hints)


def claim_storage(
    obj: K8sObject,
    claims: Sequence[tuple[ClaimSpec, str | None]],
    index: ObjectIndex,
    near: str | None = None,
) -> StorageFacts:
    """Pins and provider hints from the volumes behind a store's claims.

    Each claim comes with the name of a PersistentVolumeClaim to look for pre-bound
    PersistentVolumes (or a ``<template>-<statefulset>-`` prefix), or None. Volumes and
    classes are looked up nearest to ``near`` (default: the object's file); a base manifest
    deployed by an overlay passes the overlay's kustomization, so that each overlay's own
    StorageClass of the shared name is the one that places it.
    """
    near = near or obj.file
    pins: list[Pin] = []
    hints: list[ProviderHint] = []
    namespace = obj.namespace or "default"
    for claim, claim_name in claims:
        start = SourceRef(obj.file, claim.line, _claim_note(obj, claim))
        volume = None
        if claim.volume_name:
            volume = index.find("PersistentVolume", claim.volume_name, near)
        if volume is None and claim_name:
            volume = index.claimed_volume(claim_name, namespace, near)
        class_name = claim.storage_class
        if volume is not None and volume.volume is not None:
            spec = volume.volume
            chain = (start, volume.ref)
            pin = term_pin(
                spec.node_affinity, volume.file, f"PersistentVolume {volume.name}", chain
            )
            if pin is None and spec.volume_handle:
                pin = _handle_pin(volume, chain)
            if pin is not None:
                pins.append(pin)
            if spec.driver:
                hint = _driver_hint(spec.driver, SourceRef(volume.file, spec.driver_line, ""))
                if hint is not None:
                    hints.append(hint)
            class_name = class_name or spec.storage_class
        storage_class = _storage_class(class_name, index, near)
        if storage_class is not None and storage_class.storage_class is not None:
            spec_sc = storage_class.storage_class
            chain = (start, storage_class.ref)
            what = f"StorageClass {storage_class.name}"
            pin = term_pin(spec_sc.allowed_topologies, storage_class.file, what, chain)
            if pin is not None:
                pins.append(pin)
            if spec_sc.provisioner:
                ref = SourceRef(storage_class.file, spec_sc.provisioner_line, "")
                hint = _driver_hint(spec_sc.provisioner, ref)
                if hint is not None:
                    hints.append(hint)
    return StorageFacts(tuple(pins), tuple(hints))


def _claim_note(obj: K8sObject, claim: ClaimSpec) -> str:
    name = f" {claim.name}" if claim.name else ""
    if claim.storage_class:
        return f"{obj.kind} {obj.name} claims storage{name} of class {claim.storage_class}"
    return f"{obj.kind} {obj.name} claims storage{name}"


def _storage_class(name: str | None, index: ObjectIndex, near: str) -> K8sObject | None:
    if name == "":
        return None  # explicitly no class: statically provisioned
    if name is not None:
        return index.find("StorageClass", name, near)
    if len(index.default_classes) == 1:
        return index.default_classes[0]
    return None


def _handle_pin(volume: K8sObject, chain: tuple[SourceRef, ...]) -> Pin | None:
    spec = volume.volume
    if spec is None or spec.volume_handle is None:
        return None
    match = _GCE_PD_HANDLE.search(spec.volume_handle)
    if match is None:
        return None
    note = f"PersistentVolume {volume.name}: disk handle {spec.volume_handle}"
    where = SourceRef(volume.file, spec.driver_line, note)
    return Pin((match["where"],), where, "gcp", chain)


def _driver_hint(driver: str, ref: SourceRef) -> ProviderHint | None:
    known = storage_driver(driver)
    if known is None or known.provider is None:
        return None
    note = f"storage driver {driver} creates {known.provider} {known.medium}s"
    return ProviderHint(known.provider, SourceRef(ref.file, ref.line, note))


# --- deciding ---------------------------------------------------------------------------


def place(
    obj: K8sObject,
    storage: StorageFacts,
    cluster: tuple[ClusterPlacement, str] | None,
    deploy_path: str,
    locate: Locate,
    context_evidence: tuple[SourceRef, ...] = (),
) -> Location:
    """The location of a store declared by ``obj``; ``deploy_path`` names it in messages."""
    pod_pins = [term_pin(s.terms, obj.file, f"{obj.kind} {obj.name}") for s in obj.schedules]
    pins: tuple[Pin, ...] = storage.pins
    if not pins and pod_pins and all(pin is not None for pin in pod_pins):
        # Every kind of pod is confined; one unconfined pod could put data anywhere.
        pins = tuple(pin for pin in pod_pins if pin is not None)
    provider, provider_refs = _provider(obj, storage, cluster, pins)
    evidence = (*context_evidence, *provider_refs)
    if pins:
        return _locate_pins(pins, provider, evidence, locate)
    if cluster is not None:
        entry, matched = cluster
        ref = entry.ref(matched)
        if entry.region is None:
            why = SourceRef(
                entry.file, entry.line, f"kubernetes.clusters entry for {matched} gives no region"
            )
            return Location.unknown(why, (*context_evidence, ref), provider=entry.provider)
        if entry.provider is None:
            why = SourceRef(
                entry.file,
                entry.line,
                f"kubernetes.clusters entry for {matched} gives region {entry.region} "
                "but no provider; a region code means nothing without its provider",
            )
            return Location.unknown(why, (*context_evidence, ref), region=entry.region)
        return locate(entry.provider, entry.region, tuple(context_evidence), ref)
    why = SourceRef(
        obj.file,
        obj.line,
        f"no cluster placement for {deploy_path}: add it to kubernetes.clusters in the config",
    )
    return Location.unknown(why, evidence, provider=provider)


def _provider(
    obj: K8sObject,
    storage: StorageFacts,
    cluster: tuple[ClusterPlacement, str] | None,
    pins: Sequence[Pin],
) -> tuple[str | None, tuple[SourceRef, ...]]:
    if cluster is not None and cluster[0].provider is not None:
        return cluster[0].provider, (cluster[0].ref(cluster[1]),)
    for pin in pins:
        if pin.provider is not None:
            return pin.provider, ()
    for hint in (*storage.hints, *provider_labels(obj)):
        return hint.provider, (hint.ref,)
    return None, ()


def _locate_pins(
    pins: Sequence[Pin],
    provider: str | None,
    evidence: tuple[SourceRef, ...],
    locate: Locate,
) -> Location:
    locations: list[Location] = []
    for pin in pins:
        chain = (*evidence, *pin.evidence)
        if provider is None:
            codes = ", ".join(pin.codes)
            why = SourceRef(
                pin.where.file,
                pin.where.line,
                f"{pin.where.note} pins {codes}, but nothing says which cloud the cluster runs "
                "in; declare it under kubernetes.clusters in the config",
            )
            single = pin.codes[0] if len(pin.codes) == 1 else None
            return Location.unknown(why, chain, region=single)
        locations.extend(locate(provider, code, chain, pin.where) for code in pin.codes)
    return combine(locations)


def combine(locations: Sequence[Location]) -> Location:
    """One location for data that may be in any of ``locations``.

    All in one region: that region. Any unknown: unknown (the first reason). Otherwise
    ``multi`` over every country involved.
    """
    if len(locations) == 1:
        return locations[0]
    for loc in locations:
        if not loc.is_known:
            return loc
    evidence = tuple(dict.fromkeys(ref for loc in locations for ref in loc.evidence))
    first = locations[0]
    if all((loc.provider, loc.region) == (first.provider, first.region) for loc in locations):
        return Location(first.status, first.provider, first.region, first.countries, evidence)
    countries = tuple(sorted({c for loc in locations for c in loc.countries}))
    providers = {loc.provider for loc in locations}
    provider = first.provider if len(providers) == 1 else None
    return Location(LocationStatus.MULTI, provider, None, countries, evidence)
