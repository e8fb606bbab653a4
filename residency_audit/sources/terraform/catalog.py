"""The Terraform store catalog: which resource types persist data and how they are located.

The facts (resource types, provider settings, copy relations, paired regions, registry
modules) change with every provider release, so they live in YAML under ``data/`` and are
checked against provider documentation row by row; this module only loads, validates and
serves them. Loading is strict and happens once: a malformed row is a packaging bug and must
fail the test suite, not surface as a silently missing store during a scan.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from residency_audit.datafiles import FastSafeLoader
from residency_audit.geo.regions import PROVIDERS as GEO_PROVIDERS
from residency_audit.model import EdgeKind

CATALOG_IDS: frozenset[str] = GEO_PROVIDERS  # one list: the geo catalog's provider ids
"""Provider ids of the geo catalog (regions table); every provider maps to one of them."""

_K = TypeVar("_K")
_V = TypeVar("_V")
_M = TypeVar("_M", bound=BaseModel)

_PUBLIC_REGISTRY_HOSTS = ("registry.terraform.io", "registry.opentofu.org")
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_PATH_RE = re.compile(rf"^{_NAME}(?:\[\*\])?(?:\.{_NAME}(?:\[\*\])?)*$")
_STEP_RE = re.compile(rf"^(?P<name>{_NAME})(?P<each>\[\*\])?$")


class CatalogError(ValueError):
    """The packaged catalog data is malformed (a bug in this package, never user input)."""


class Verified(StrEnum):
    YES = "yes"
    PARTIAL = "partial"
    NO = "no"


class LocationAs(StrEnum):
    """What a location value is, so the geo catalog knows how to read it."""

    REGION = "region"
    ZONE = "zone"
    LOCATION = "location"


class StoreRole(StrEnum):
    """``locator`` rows are not stores; they exist so a child's parent can be located."""

    STORE = "store"
    LOCATOR = "locator"


class CopyEndMode(StrEnum):
    SELF = "self"
    REFERENCE = "reference"
    LOCATION = "location"
    PAIRED_REGION = "paired_region"
    EXTERNAL = "external"
    REFERRERS = "referrers"


@dataclass(frozen=True)
class PathStep:
    name: str
    each: bool


@dataclass(frozen=True)
class AttrPath:
    """A parsed attribute path such as ``host[*].zone`` (syntax in _vocabulary.yaml)."""

    text: str
    steps: tuple[PathStep, ...]

    @staticmethod
    def parse(text: str) -> AttrPath:
        if not _PATH_RE.match(text):
            raise ValueError(f"not an attribute path: {text!r}")
        steps = []
        for part in text.split("."):
            match = _STEP_RE.match(part)
            assert match is not None  # guaranteed by _PATH_RE
            steps.append(PathStep(match.group("name"), match.group("each") is not None))
        return AttrPath(text, tuple(steps))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class LocationPath:
    path: AttrPath
    value_as: LocationAs
    pattern: str | None = None

    def extract(self, value: str) -> str | None:
        """The location code inside ``value``; None when a pattern is set and does not match."""
        if self.pattern is None:
            return value
        match = _compiled(self.pattern).fullmatch(value)
        return match.group("loc") if match else None


@dataclass(frozen=True)
class DefaultLocation:
    value: str
    value_as: LocationAs
    note: str


@dataclass(frozen=True)
class ParentRef:
    """``path`` references a resource of one of ``types`` whose attribute ``match`` equals it."""

    path: AttrPath
    types: tuple[str, ...]
    match: str


@dataclass(frozen=True)
class ResourceType:
    type_name: str
    provider: str
    kind: str
    role: StoreRole
    service: str | None
    name_paths: tuple[AttrPath, ...]
    location_paths: tuple[LocationPath, ...]
    inherits_provider_location: bool
    default_location: DefaultLocation | None
    labels_paths: tuple[AttrPath, ...]
    parent: tuple[ParentRef, ...]
    verified: Verified
    verified_by: str
    note: str

    @property
    def is_store(self) -> bool:
        return self.role is StoreRole.STORE


@dataclass(frozen=True)
class EndpointPath:
    """A provider argument that points it at another host, for the listed services."""

    path: AttrPath
    services: tuple[str, ...]

    def applies_to(self, service: str | None) -> bool:
        return "*" in self.services or (service is not None and service in self.services)


@dataclass(frozen=True)
class EndpointCatalog:
    host_suffix: str
    catalog: str


@dataclass(frozen=True)
class ProviderType:
    local_name: str
    sources: tuple[str, ...]
    resource_prefix: str
    catalog: str | None
    catalog_by_endpoint: tuple[EndpointCatalog, ...]
    region_paths: tuple[LocationPath, ...]
    env_vars: tuple[str, ...]
    default_region: str | None
    default_region_note: str
    endpoint_paths: tuple[EndpointPath, ...]
    labels_paths: tuple[AttrPath, ...]
    verified: Verified
    verified_by: str
    note: str

    def endpoint_paths_for(self, service: str | None) -> tuple[AttrPath, ...]:
        """Provider arguments whose value, when set, overrides the location of ``service``."""
        return tuple(e.path for e in self.endpoint_paths if e.applies_to(service))

    def catalog_for_host(self, host: str) -> str | None:
        """The geo-catalog id for an endpoint host, falling back to the fixed ``catalog``."""
        host = host.strip().lower().rstrip(".")
        for rule in self.catalog_by_endpoint:
            if host == rule.host_suffix or host.endswith("." + rule.host_suffix):
                return rule.catalog
        return self.catalog


@dataclass(frozen=True)
class CopyPath:
    path: AttrPath
    value_as: LocationAs | None = None
    pattern: str | None = None

    def extract(self, value: str) -> str | None:
        if self.pattern is None:
            return value
        match = _compiled(self.pattern).fullmatch(value)
        return match.group("loc") if match else None


@dataclass(frozen=True)
class CopyEnd:
    mode: CopyEndMode
    paths: tuple[CopyPath, ...] = ()
    referrer_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class CopyCondition:
    """``path`` must hold one of ``values`` (any set value when ``values`` is empty).

    With ``absent`` the condition instead holds when the attribute is not set at all, which
    lets two rules split on an optional argument (a copy goes to ``destination_region`` when
    it is set and stays in the resource's own region otherwise).
    """

    path: AttrPath
    values: tuple[str, ...]
    default: str | None = None
    absent: bool = False

    def matches(self, value: object) -> bool:
        """Whether a value read from the configuration (None when absent) satisfies this."""
        if value is None:
            value = self.default
        unset = value is None or value is False or value in ("", [], {}, ())
        if self.absent:
            return unset
        if unset:
            return False
        if not self.values:
            return not (isinstance(value, str) and value.strip().lower() == "false")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return text.strip().casefold() in {v.casefold() for v in self.values}


@dataclass(frozen=True)
class CopyRule:
    """A copy relation (see COPIES in _vocabulary.yaml).

    ``placement`` rules do not copy: their target locations are where the source store itself
    keeps its data (a GCS configurable dual-region), so they refine the store's location.
    ``mutual`` rules join members of a group (an Aurora global database): every member holds
    the data of every other, so the edge is drawn both ways.
    """

    id: str
    resource_type: str
    edge: EdgeKind
    source: CopyEnd
    target: CopyEnd
    when: tuple[CopyCondition, ...]
    verified: Verified
    verified_by: str
    note: str
    placement: bool = False
    mutual: bool = False


@dataclass(frozen=True)
class Indirection:
    """A non-store resource that stands for a store (or external hosts) in copy rules."""

    type_name: str
    provider: str
    store_paths: tuple[AttrPath, ...]
    external_host_paths: tuple[AttrPath, ...]
    verified: Verified
    verified_by: str
    note: str


@dataclass(frozen=True)
class ModuleLocationInput:
    """A module input (or a path inside an object-typed input) that places the store."""

    path: AttrPath
    value_as: LocationAs


@dataclass(frozen=True)
class RegistryModule:
    registry: str | None
    repositories: tuple[str, ...]
    subdir: str | None
    creates: tuple[str, ...]
    name_inputs: tuple[str, ...]
    tags_inputs: tuple[str, ...]
    location_inputs: tuple[ModuleLocationInput, ...]
    copy_inputs: tuple[str, ...]
    gate_inputs: tuple[str, ...]
    verified: Verified
    verified_by: str
    note: str


# --- public look-ups ----------------------------------------------------------------------


def resource_type(type_name: str) -> ResourceType | None:
    return _catalog().resource_types.get(type_name)


def all_resource_types() -> tuple[ResourceType, ...]:
    return tuple(sorted(_catalog().resource_types.values(), key=lambda r: r.type_name))


def store_kinds() -> tuple[str, ...]:
    """The kind vocabulary every resource type's ``kind`` is drawn from."""
    return _catalog().kinds


def provider_type(local_name: str) -> ProviderType | None:
    return _catalog().providers.get(local_name)


def all_provider_types() -> tuple[ProviderType, ...]:
    return tuple(sorted(_catalog().providers.values(), key=lambda p: p.local_name))


def provider_for_source(source: str) -> ProviderType | None:
    """The provider published at a ``required_providers`` source address, if known."""
    key = source.strip().lower()
    for host in _PUBLIC_REGISTRY_HOSTS:
        key = key.removeprefix(host + "/")
    return _catalog().providers_by_source.get(key)


def default_provider_for(type_name: str) -> ProviderType | None:
    """The provider Terraform picks for a resource type without a ``provider`` argument.

    Terraform uses the type-name prefix; several providers can share one (google and
    google-beta), in which case the provider whose local name equals the prefix wins.
    """
    prefix = type_name.split("_", 1)[0]
    found = provider_type(prefix)
    if found is not None and found.resource_prefix == prefix:
        return found
    for candidate in all_provider_types():
        if candidate.resource_prefix == prefix:
            return candidate
    return None


def copy_rules(type_name: str) -> tuple[CopyRule, ...]:
    """Copy relations expressed by resources of ``type_name`` (empty when none)."""
    return _catalog().copies_by_type.get(type_name, ())


def all_copy_rules() -> tuple[CopyRule, ...]:
    return _catalog().copies


def indirection(type_name: str) -> Indirection | None:
    return _catalog().indirections.get(type_name)


def all_indirections() -> tuple[Indirection, ...]:
    return tuple(sorted(_catalog().indirections.values(), key=lambda i: i.type_name))


def paired_region(catalog: str, region: str) -> str | None:
    """The region a provider's geo-redundant features copy ``region`` to, if it has one."""
    return _catalog().pairs.get((catalog, _region_key(region)))


def is_unpaired_region(catalog: str, region: str) -> bool:
    """True when the region is documented as having no pair (as opposed to not known)."""
    return (catalog, _region_key(region)) in _catalog().unpaired


def all_paired_regions(catalog: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((r, p) for (c, r), p in _catalog().pairs.items() if c == catalog))


def registry_module(source: str) -> RegistryModule | None:
    """The well-known module a ``module`` block's ``source`` refers to, if it is one.

    Accepts registry addresses (optionally with the public registry host), GitHub shorthand,
    ``git::https://``, ``git@host:`` and ``ssh://`` forms; ``?ref=`` and ``.git`` are ignored
    and a ``//subdir`` must match exactly, because a submodule usually creates something else.
    Local paths, archives and private registries never match.
    """
    parsed = _parse_module_source(source)
    if parsed is None:
        return None
    return _catalog().modules.get(parsed)


def all_registry_modules() -> tuple[RegistryModule, ...]:
    return _catalog().module_list


def check_data(directory: Traversable) -> None:
    """Raise CatalogError if the catalog files under ``directory`` are malformed.

    The packaged catalog is checked the same way when first used; this entry point lets tests
    and maintainers validate an edited copy of ``data/`` before it ships.
    """
    _build(directory)


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    kinds: tuple[str, ...]
    providers: Mapping[str, ProviderType]
    providers_by_source: Mapping[str, ProviderType]
    resource_types: Mapping[str, ResourceType]
    copies: tuple[CopyRule, ...]
    copies_by_type: Mapping[str, tuple[CopyRule, ...]]
    indirections: Mapping[str, Indirection]
    pairs: Mapping[tuple[str, str], str]
    unpaired: frozenset[tuple[str, str]]
    modules: Mapping[tuple[str, str | None], RegistryModule]
    module_list: tuple[RegistryModule, ...]


@functools.cache
def _catalog() -> _Catalog:
    data = resources.files("residency_audit.sources.terraform").joinpath("data")
    return _build(data)


def _build(data: Traversable) -> _Catalog:
    """Load and cross-check every data file under ``data`` (a directory like the packaged one)."""
    res_dir = data.joinpath("resources")
    vocabulary = _parse(_RawVocabulary, res_dir.joinpath("_vocabulary.yaml"))
    kinds = tuple(vocabulary.kinds)
    _check_vocabulary(vocabulary)

    raw_providers = _parse(_RawProvidersFile, data.joinpath("providers.yaml"))
    providers = {name: _provider(name, raw) for name, raw in raw_providers.providers.items()}
    by_source: dict[str, ProviderType] = {}
    for prov in providers.values():
        for src in prov.sources:
            _unique(by_source, src.lower(), prov, "provider source")

    types: dict[str, ResourceType] = {}
    copies: list[CopyRule] = []
    indirections: dict[str, Indirection] = {}
    pairs: dict[tuple[str, str], str] = {}
    unpaired: set[tuple[str, str]] = set()
    files = sorted(
        (f for f in res_dir.iterdir() if f.name.endswith(".yaml") and not f.name.startswith("_")),
        key=lambda f: f.name,
    )
    if not files:
        raise CatalogError("no resource files under data/resources")
    for file in files:
        raw = _parse(_RawResourceFile, file)
        where = f"resources/{file.name}"
        provider = providers.get(raw.provider)
        if provider is None:
            raise CatalogError(f"{where}: provider {raw.provider!r} is not in providers.yaml")
        for name, raw_type in raw.resource_types.items():
            _check_prefix(where, name, provider)
            _unique(types, name, _resource(where, name, raw.provider, raw_type, kinds), "type")
        for raw_copy in raw.copies:
            _check_prefix(where, raw_copy.resource_type, provider)
            copies.append(_copy(where, raw_copy))
        for name, raw_ind in raw.indirections.items():
            _check_prefix(where, name, provider)
            _unique(indirections, name, _indirection(where, name, raw.provider, raw_ind), "type")
        for catalog, raw_pairs in raw.paired_regions.items():
            _check_catalog(where, catalog)
            for pair in raw_pairs.pairs:
                _unique(pairs, (catalog, _region_key(pair.region)), pair.paired, "paired region")
            if raw_pairs.unpaired is not None:
                for region in raw_pairs.unpaired.regions:
                    unpaired.add((catalog, _region_key(region)))
        overlap = {r for c, r in unpaired if (c, r) in pairs}
        if overlap:
            raise CatalogError(f"{where}: regions both paired and unpaired: {sorted(overlap)}")

    _check_references(types, copies)
    ids = [c.id for c in copies]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CatalogError(f"duplicate copy rule ids: {dupes}")
    by_type: dict[str, tuple[CopyRule, ...]] = {}
    for rule in copies:
        by_type[rule.resource_type] = (*by_type.get(rule.resource_type, ()), rule)

    raw_modules = _parse(_RawModulesFile, data.joinpath("registry_modules.yaml"))
    modules: dict[tuple[str, str | None], RegistryModule] = {}
    module_list = []
    known = set(types) | set(by_type) | set(indirections)
    for raw_module in raw_modules.modules:
        module = _module(raw_module)
        missing = [t for t in module.creates if t not in known]
        if missing:
            raise CatalogError(f"registry_modules.yaml: {module.registry}: unknown {missing}")
        for key in _module_keys(module):
            _unique(modules, key, module, "registry module")
        module_list.append(module)

    return _Catalog(
        kinds=kinds,
        providers=providers,
        providers_by_source=by_source,
        resource_types=types,
        copies=tuple(copies),
        copies_by_type=by_type,
        indirections=indirections,
        pairs=pairs,
        unpaired=frozenset(unpaired),
        modules=modules,
        module_list=tuple(module_list),
    )


def _check_vocabulary(vocabulary: _RawVocabulary) -> None:
    """The documented vocabularies must be exactly the ones this code understands."""
    if set(vocabulary.location_as) != {m.value for m in LocationAs}:
        raise CatalogError("_vocabulary.yaml location_as does not match LocationAs")
    if set(vocabulary.copy_end_modes) != {m.value for m in CopyEndMode}:
        raise CatalogError("_vocabulary.yaml copy_end_modes does not match CopyEndMode")


def _check_prefix(where: str, type_name: str, provider: ProviderType) -> None:
    if not type_name.startswith(provider.resource_prefix + "_"):
        raise CatalogError(f"{where}: {type_name} does not belong to {provider.local_name}")


def _check_catalog(where: str, catalog: str | None) -> None:
    if catalog is not None and catalog not in CATALOG_IDS:
        raise CatalogError(f"{where}: unknown geo-catalog provider id {catalog!r}")


def _check_references(types: Mapping[str, ResourceType], copies: Iterable[CopyRule]) -> None:
    for rtype in types.values():
        for parent in rtype.parent:
            unknown = [t for t in parent.types if t not in types]
            if unknown:
                raise CatalogError(f"{rtype.type_name}: parent types not in catalog: {unknown}")
    for rule in copies:
        for end in (rule.source, rule.target):
            unknown = [t for t in end.referrer_types if t not in types]
            if unknown:
                raise CatalogError(f"copy {rule.id}: referrer types not in catalog: {unknown}")


def _unique(table: dict[_K, _V], key: _K, value: _V, what: str) -> None:
    if key in table:
        raise CatalogError(f"duplicate {what}: {key!r}")
    table[key] = value


def _region_key(region: str) -> str:
    """Azure spells regions both ``West Europe`` and ``westeurope``; compare them equal."""
    return region.strip().lower().replace(" ", "")


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _path(where: str, text: str) -> AttrPath:
    try:
        return AttrPath.parse(text)
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from exc


def _pattern(where: str, pattern: str | None) -> str | None:
    if pattern is None:
        return None
    try:
        compiled = _compiled(pattern)
    except re.error as exc:
        raise CatalogError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
    if "loc" not in compiled.groupindex:
        raise CatalogError(f"{where}: pattern {pattern!r} has no (?P<loc>...) group")
    return pattern


def _location(where: str, raw: _RawLocationPath) -> LocationPath:
    return LocationPath(_path(where, raw.path), LocationAs(raw.as_), _pattern(where, raw.pattern))


def _verified(where: str, verified: str, verified_by: str) -> Verified:
    level = Verified(verified)
    if level is not Verified.NO and not verified_by.strip():
        raise CatalogError(f"{where}: verified {verified} needs verified_by")
    return level


def _provider(name: str, raw: _RawProvider) -> ProviderType:
    where = f"providers.yaml: {name}"
    _check_catalog(where, raw.catalog)
    for rule in raw.catalog_by_endpoint:
        _check_catalog(where, rule.catalog)
    if raw.catalog is None and not raw.catalog_by_endpoint:
        raise CatalogError(f"{where}: neither catalog nor catalog_by_endpoint")
    if not raw.source:
        raise CatalogError(f"{where}: no source address")
    return ProviderType(
        local_name=name,
        sources=tuple(raw.source),
        resource_prefix=raw.resource_prefix,
        catalog=raw.catalog,
        catalog_by_endpoint=tuple(
            EndpointCatalog(r.host_suffix.lower(), r.catalog) for r in raw.catalog_by_endpoint
        ),
        region_paths=tuple(_location(where, p) for p in raw.region_paths),
        env_vars=tuple(raw.env_vars),
        default_region=raw.default_region,
        default_region_note=raw.default_region_note,
        endpoint_paths=tuple(
            EndpointPath(_path(where, e.path), tuple(e.services)) for e in raw.endpoint_paths
        ),
        labels_paths=tuple(_path(where, p) for p in raw.labels_paths),
        verified=_verified(where, raw.verified, raw.verified_by),
        verified_by=raw.verified_by,
        note=raw.note,
    )


def _resource(
    where: str, name: str, provider: str, raw: _RawResource, kinds: tuple[str, ...]
) -> ResourceType:
    where = f"{where}: {name}"
    if raw.kind not in kinds:
        raise CatalogError(f"{where}: kind {raw.kind!r} is not in the vocabulary")
    parents = raw.parent if isinstance(raw.parent, list) else [raw.parent] if raw.parent else []
    default = raw.default_location
    return ResourceType(
        type_name=name,
        provider=provider,
        kind=raw.kind,
        role=StoreRole(raw.role),
        service=raw.service,
        name_paths=tuple(_path(where, p) for p in raw.name_paths),
        location_paths=tuple(_location(where, p) for p in raw.location_paths),
        inherits_provider_location=raw.inherits_provider_location,
        default_location=(
            DefaultLocation(default.value, LocationAs(default.as_), default.note)
            if default is not None
            else None
        ),
        labels_paths=tuple(_path(where, p) for p in raw.labels_paths),
        parent=tuple(ParentRef(_path(where, p.path), tuple(p.types), p.match) for p in parents),
        verified=_verified(where, raw.verified, raw.verified_by),
        verified_by=raw.verified_by,
        note=raw.note,
    )


def _copy_end(where: str, raw: _RawCopyEnd) -> CopyEnd:
    mode = CopyEndMode(raw.mode)
    needs_paths = mode not in (CopyEndMode.SELF, CopyEndMode.PAIRED_REGION)
    if needs_paths != bool(raw.paths):
        raise CatalogError(f"{where}: mode {mode} {'needs' if needs_paths else 'takes no'} paths")
    if (mode is CopyEndMode.REFERRERS) != bool(raw.referrer_types):
        raise CatalogError(f"{where}: referrer_types go with mode referrers only")
    paths = []
    for raw_path in raw.paths:
        if (mode is CopyEndMode.LOCATION) != (raw_path.as_ is not None):
            raise CatalogError(f"{where}: `as` is required for location paths and only there")
        value_as = LocationAs(raw_path.as_) if raw_path.as_ is not None else None
        paths.append(
            CopyPath(_path(where, raw_path.path), value_as, _pattern(where, raw_path.pattern))
        )
    return CopyEnd(mode, tuple(paths), tuple(raw.referrer_types))


def _copy(where: str, raw: _RawCopy) -> CopyRule:
    where = f"{where}: copy {raw.id}"
    source = _copy_end(where + " source", raw.source)
    target = _copy_end(where + " target", raw.target)
    if source.mode is CopyEndMode.PAIRED_REGION:
        raise CatalogError(f"{where}: a source cannot be a paired region")
    if source.mode is CopyEndMode.SELF and target.mode is CopyEndMode.SELF:
        raise CatalogError(f"{where}: source and target are both self")
    if raw.placement and (source.mode, target.mode) != (CopyEndMode.SELF, CopyEndMode.LOCATION):
        raise CatalogError(f"{where}: a placement goes from self to locations")
    return CopyRule(
        id=raw.id,
        resource_type=raw.resource_type,
        edge=EdgeKind(raw.edge),
        source=source,
        target=target,
        when=tuple(_condition(where, c) for c in raw.when),
        verified=_verified(where, raw.verified, raw.verified_by),
        verified_by=raw.verified_by,
        note=raw.note,
        placement=raw.placement,
        mutual=raw.mutual,
    )


def _condition(where: str, raw: _RawCondition) -> CopyCondition:
    if raw.absent and (raw.values or raw.default is not None):
        raise CatalogError(f"{where}: an `absent` condition takes no values or default")
    return CopyCondition(_path(where, raw.path), tuple(raw.values), raw.default, raw.absent)


def _indirection(where: str, name: str, provider: str, raw: _RawIndirection) -> Indirection:
    where = f"{where}: {name}"
    if not raw.store_paths and not raw.external_host_paths:
        raise CatalogError(f"{where}: an indirection needs store_paths or external_host_paths")
    return Indirection(
        type_name=name,
        provider=provider,
        store_paths=tuple(_path(where, p) for p in raw.store_paths),
        external_host_paths=tuple(_path(where, p) for p in raw.external_host_paths),
        verified=_verified(where, raw.verified, raw.verified_by),
        verified_by=raw.verified_by,
        note=raw.note,
    )


def _module(raw: _RawModule) -> RegistryModule:
    where = f"registry_modules.yaml: {raw.registry or raw.repositories}"
    if raw.registry is not None and len(raw.registry.split("/")) != 3:
        raise CatalogError(f"{where}: registry address must be NAMESPACE/NAME/PROVIDER")
    if raw.registry is None and not raw.repositories:
        raise CatalogError(f"{where}: needs a registry address or repositories")
    if not raw.creates:
        raise CatalogError(f"{where}: creates nothing")
    return RegistryModule(
        registry=raw.registry,
        repositories=tuple(raw.repositories),
        subdir=raw.subdir.strip("/") if raw.subdir else None,
        creates=tuple(raw.creates),
        name_inputs=tuple(raw.name_inputs),
        tags_inputs=tuple(raw.tags_inputs),
        location_inputs=tuple(
            ModuleLocationInput(_path(where, i.path), LocationAs(i.as_))
            for i in raw.location_inputs
        ),
        copy_inputs=tuple(raw.copy_inputs),
        gate_inputs=tuple(raw.gate_inputs),
        verified=_verified(where, raw.verified, raw.verified_by),
        verified_by=raw.verified_by,
        note=raw.note,
    )


def _module_keys(module: RegistryModule) -> Iterator[tuple[str, str | None]]:
    """Every normalised source a module answers to: registry address and git repositories."""
    subdir = module.subdir.lower() if module.subdir else None
    repos = list(module.repositories)
    if module.registry is not None:
        namespace, name, provider = module.registry.split("/")
        yield module.registry.lower(), subdir
        repos.append(f"github.com/{namespace}/terraform-{provider}-{name}")
    for repo in dict.fromkeys(r.lower() for r in repos):
        yield repo, subdir


def _parse_module_source(source: str) -> tuple[str, str | None] | None:
    text = source.strip()
    if not text or text.startswith((".", "/")):
        return None
    text = text.removeprefix("tfr://").removeprefix("git::")
    text = text.split("?", 1)[0]
    if "://" in text:
        text = text.split("://", 1)[1]
    head = text.split("/", 1)[0]
    if "@" in head:
        text = text.split("@", 1)[1]
        head = text.split("/", 1)[0]
    if ":" in head:  # scp-like git@github.com:org/repo.git
        text = text.replace(":", "/", 1)
    base, _, sub = text.partition("//")
    base = base.strip("/").removesuffix(".git").lower()
    subdir = sub.strip("/").lower() or None
    parts = base.split("/")
    if len(parts) == 4 and parts[0] in _PUBLIC_REGISTRY_HOSTS:
        parts = parts[1:]
    if len(parts) != 3 or not all(parts):
        return None
    if "." in parts[0] and parts[0] != "github.com":
        return None  # another git host or a private registry: never a well-known module
    return "/".join(parts), subdir


# --- YAML and schema ----------------------------------------------------------------------


class _Loader(FastSafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader without YAML 1.1 yes/no/on/off booleans, rejecting duplicate keys.

    ``verified: no`` must stay the string "no", and a resource type listed twice in one file
    must fail instead of silently replacing the first row.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in FastSafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _parse(model: type[_M], file: Traversable) -> _M:
    try:
        text = file.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: builds plain data only
        return model.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{file.name}: {exc}") from exc


_LocationAsName = Literal["region", "zone", "location"]
_VerifiedName = Literal["yes", "partial", "no"]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _RawVocabulary(_Raw):
    kinds: dict[str, str]
    location_as: dict[str, str]
    copy_end_modes: dict[str, str]


class _RawLocationPath(_Raw):
    path: str
    as_: _LocationAsName = Field(alias="as")
    pattern: str | None = None


class _RawEndpointPath(_Raw):
    path: str
    services: list[str] = Field(min_length=1)


class _RawEndpointCatalog(_Raw):
    host_suffix: str
    catalog: str


class _RawProvider(_Raw):
    source: list[str]
    resource_prefix: str
    catalog: str | None
    catalog_by_endpoint: list[_RawEndpointCatalog] = []
    region_paths: list[_RawLocationPath]
    env_vars: list[str]
    default_region: str | None
    default_region_note: str = ""
    endpoint_paths: list[_RawEndpointPath]
    labels_paths: list[str]
    verified: _VerifiedName
    verified_by: str = ""
    note: str = ""


class _RawProvidersFile(_Raw):
    schema_version: Literal[1]
    providers: dict[str, _RawProvider]


class _RawParent(_Raw):
    path: str
    types: list[str] = Field(min_length=1)
    match: str


class _RawDefaultLocation(_Raw):
    value: str
    as_: _LocationAsName = Field(alias="as")
    note: str


class _RawResource(_Raw):
    kind: str
    role: Literal["store", "locator"] = "store"
    service: str | None = None
    name_paths: list[str]
    location_paths: list[_RawLocationPath]
    inherits_provider_location: bool
    default_location: _RawDefaultLocation | None = None
    labels_paths: list[str]
    parent: _RawParent | list[_RawParent] | None = None
    verified: _VerifiedName
    verified_by: str = ""
    note: str = ""


class _RawCopyPath(_Raw):
    path: str
    as_: _LocationAsName | None = Field(default=None, alias="as")
    pattern: str | None = None


class _RawCopyEnd(_Raw):
    mode: Literal["self", "reference", "location", "paired_region", "external", "referrers"]
    paths: list[_RawCopyPath] = []
    referrer_types: list[str] = []


class _RawCondition(_Raw):
    path: str
    values: list[str] = []
    default: str | None = None
    absent: bool = False


class _RawCopy(_Raw):
    id: str
    resource_type: str
    edge: Literal["replica", "backup", "copy"]
    source: _RawCopyEnd
    target: _RawCopyEnd
    when: list[_RawCondition] = []
    placement: bool = False
    mutual: bool = False
    verified: _VerifiedName
    verified_by: str = ""
    note: str = ""


class _RawIndirection(_Raw):
    store_paths: list[str] = []
    external_host_paths: list[str] = []
    verified: _VerifiedName
    verified_by: str = ""
    note: str = ""


class _RawPair(_Raw):
    region: str
    paired: str


class _RawUnpaired(_Raw):
    verified_by: str
    regions: list[str]


class _RawPairs(_Raw):
    verified_by: str
    pairs: list[_RawPair]
    unpaired: _RawUnpaired | None = None


class _RawResourceFile(_Raw):
    provider: str
    resource_types: dict[str, _RawResource] = {}
    copies: list[_RawCopy] = []
    indirections: dict[str, _RawIndirection] = {}
    paired_regions: dict[str, _RawPairs] = {}


class _RawModuleInput(_Raw):
    path: str
    as_: _LocationAsName = Field(alias="as")


class _RawModule(_Raw):
    registry: str | None
    repositories: list[str] = []
    subdir: str | None = None
    creates: list[str]
    name_inputs: list[str]
    tags_inputs: list[str]
    location_inputs: list[_RawModuleInput]
    copy_inputs: list[str]
    gate_inputs: list[str]
    verified: _VerifiedName
    verified_by: str = ""
    note: str = ""


class _RawModulesFile(_Raw):
    schema_version: Literal[1]
    modules: list[_RawModule]
