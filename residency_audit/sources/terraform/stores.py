"""Resource instances of store types become stores, located where Terraform would put them.

Location, in Terraform's own order: the resource's location argument(s) from the catalog
(``location``, ``region``, ``host[*].zone``...), else the region of the provider
configuration that manages it. No provider configuration, or one without a region, means
the region comes from the environment at apply time: ``unknown``, with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from residency_audit.geo.endpoints import host_of, match_host
from residency_audit.geo.merge import merge_locations
from residency_audit.geo.regions import locate
from residency_audit.model import Location, SourceRef, Store
from residency_audit.sources.terraform.catalog import (
    AttrPath,
    LocationPath,
    ProviderType,
    ResourceType,
    provider_type,
    resource_type,
)
from residency_audit.sources.terraform.evaluate import Unknown
from residency_audit.sources.terraform.expr import Block, Expr, Literal, ObjectExpr, brief
from residency_audit.sources.terraform.instance import (
    ModuleScope,
    ProviderConfig,
    RegistryModuleInstance,
    ResourceInstance,
)

Placed = ResourceInstance | RegistryModuleInstance


@dataclass(frozen=True)
class _Found:
    expr: Expr
    line: int
    path: str


def values_at(block: Block, path: AttrPath) -> list[_Found]:
    """Every expression at a catalog path such as ``host[*].zone`` or ``settings.tier``.

    Steps walk nested blocks (all of them for ``[*]``, else the first) or keys of an
    object-valued attribute; the last step names an attribute.
    """
    blocks = [block]
    for step in path.steps[:-1]:
        nested: list[Block] = []
        for current in blocks:
            children = current.blocks_of(step.name)
            nested.extend(children if step.each else children[:1])
        blocks = nested
    last = path.steps[-1].name
    found: list[_Found] = []
    for current in blocks:
        attribute = current.attribute(last)
        if attribute is not None:
            found.append(_Found(attribute.value, attribute.line, path.text))
    if not found and len(path.steps) > 1:
        found.extend(_object_values(block, path))
    return found


def _object_values(block: Block, path: AttrPath) -> list[_Found]:
    """``settings.zone`` written as an object attribute ``settings = { zone = ... }``."""
    attribute = block.attribute(path.steps[0].name)
    if attribute is None:
        return []
    value: Expr = attribute.value
    for step in path.steps[1:]:
        if not isinstance(value, ObjectExpr):
            return []
        match = next(
            (v for k, v in value.items if isinstance(k, Literal) and k.value == step.name), None
        )
        if match is None:
            return []
        value = match
    return [_Found(value, attribute.line, path.text)]


def build_store(instance: ResourceInstance) -> Store | None:
    rtype = resource_type(instance.type)
    if rtype is None or not rtype.is_store:
        return None  # locator rows only place other stores (e.g. hcloud_server for a volume)
    block = instance.declared.block
    return Store(
        id=f"terraform:{instance.address}",
        kind=rtype.kind,
        source="terraform",
        file=instance.declared.file,
        line=block.line,
        location=_prefixed(locate_resource(instance, rtype), instance.notes),
        name=_name(instance, rtype),
        labels=_labels(instance, rtype),
        resource_type=instance.type,
    )


def _name(instance: ResourceInstance, rtype: ResourceType) -> str | None:
    for path in rtype.name_paths:
        for found in values_at(instance.declared.block, path):
            value = instance.scope.evaluate(found.expr).value
            if isinstance(value, str):
                return value
    return instance.declared.block.labels[1]


def _labels(instance: ResourceInstance, rtype: ResourceType) -> tuple[tuple[str, str], ...]:
    """The resource's tags/labels, over the provider's defaults (AWS ``default_tags``)."""
    pairs: dict[str, str] = {}
    provider = _provider_config(instance)
    ptype = provider_type(rtype.provider)
    if provider is not None and ptype is not None:
        for path in ptype.labels_paths:
            _collect_labels(provider.declared.block, path, provider.scope, pairs)
    for path in rtype.labels_paths:
        _collect_labels(instance.declared.block, path, instance.scope, pairs)
    return tuple(sorted(pairs.items()))


def _collect_labels(
    block: Block, path: AttrPath, scope: ModuleScope, pairs: dict[str, str]
) -> None:
    for found in values_at(block, path):
        add_label_pairs(scope.evaluate(found.expr).value, pairs)


def add_label_pairs(value: object, pairs: dict[str, str]) -> None:
    """A tags/labels map's scalar values, as text (``true``/``false`` as Terraform writes
    them); anything that is not a map adds nothing."""
    if not isinstance(value, Mapping):
        return
    for key, item in value.items():
        if isinstance(item, bool):
            pairs[str(key)] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            pairs[str(key)] = str(item)


def _provider_config(instance: Placed) -> ProviderConfig | None:
    key, _ = instance.provider_key()
    return instance.providers.get(key)


def _catalog_provider(rtype: ResourceType, ptype: ProviderType | None) -> str:
    return (ptype.catalog if ptype else None) or rtype.provider


def locate_resource(instance: ResourceInstance, rtype: ResourceType) -> Location:
    block = instance.declared.block
    ptype = provider_type(rtype.provider)
    provider = _catalog_provider(rtype, ptype)
    for location_path in rtype.location_paths:
        found = values_at(block, location_path.path)
        if found:
            return merge_locations(
                [_locate_value(instance.scope, provider, f, location_path, instance) for f in found]
            )
    if rtype.inherits_provider_location:
        return _provider_location(instance, rtype, ptype, provider)
    if rtype.default_location is not None:
        where = SourceRef(
            instance.declared.file, block.line, f"{instance.address}: {rtype.default_location.note}"
        )
        return locate(provider, rtype.default_location.value, (), where)
    where = SourceRef(instance.declared.file, block.line, f"{instance.address} sets no location")
    return Location.unknown(where, provider=provider)


def _locate_value(
    scope: ModuleScope,
    provider: str,
    found: _Found,
    location_path: LocationPath,
    instance: Placed | None = None,
    file: str | None = None,
    subject: str | None = None,
) -> Location:
    evaluated = scope.evaluate(found.expr)
    owner = subject or (instance.address if instance else "")
    note = f"{owner} {found.path} = {brief(found.expr)}"
    where_file = file or (instance.declared.file if instance else "")
    where = SourceRef(where_file, found.line, note)
    value = evaluated.value
    if isinstance(value, Unknown):
        why = SourceRef(where.file, where.line, f"{note}: {value.reason}")
        return Location.unknown(why, evidence=evaluated.trace, provider=provider)
    if not isinstance(value, str):
        why = SourceRef(where.file, where.line, f"{note}: not a location string")
        return Location.unknown(why, evidence=evaluated.trace, provider=provider)
    code = location_path.extract(value)
    if code is None:
        why = SourceRef(where.file, where.line, f"{note}: no location in {value!r}")
        return Location.unknown(why, evidence=evaluated.trace, provider=provider)
    if value not in note:
        where = SourceRef(where.file, where.line, f"{note} ({value})")
    return locate(provider, code, evaluated.trace, where)


def _provider_location(
    instance: Placed, rtype: ResourceType, ptype: ProviderType | None, provider: str
) -> Location:
    key, chosen_at = instance.provider_key()
    chain = (chosen_at,) if chosen_at else ()
    config = instance.providers.get(key)
    env = ", ".join(ptype.env_vars) if ptype and ptype.env_vars else "the provider's environment"
    if config is None:
        why = SourceRef(
            instance.declared.file,
            instance.declared.block.line,
            f'no provider "{key}" configuration applies to {instance.address}; '
            f"region taken from the environment at apply time ({env})",
        )
        return Location.unknown(why, evidence=chain, provider=provider)
    endpoint = _endpoint_location(config, rtype, ptype, chain)
    if endpoint is not None:
        return endpoint
    block = config.declared.block
    for region_path in ptype.region_paths if ptype else ():
        for found in values_at(block, region_path.path):
            located = _locate_value(
                config.scope,
                provider,
                found,
                region_path,
                file=config.declared.file,
                subject=config.brief(),
            )
            return _prefixed(located, chain)
    if ptype is not None and ptype.default_region:
        where = SourceRef(
            config.declared.file,
            block.line,
            f"{config.brief()} sets no region; the provider's default is "
            f"{ptype.default_region} ({ptype.default_region_note})",
        )
        return locate(provider, ptype.default_region, chain, where)
    why = SourceRef(
        config.declared.file,
        block.line,
        f"{config.brief()} sets no region; region taken from the environment at apply time ({env})",
    )
    return Location.unknown(why, evidence=chain, provider=provider)


def _endpoint_location(
    config: ProviderConfig,
    rtype: ResourceType,
    ptype: ProviderType | None,
    chain: tuple[SourceRef, ...],
) -> Location | None:
    """An S3-compatible cloud behind the aws provider: the endpoint host decides."""
    if ptype is None:
        return None
    for path in ptype.endpoint_paths_for(rtype.service):
        for found in values_at(config.declared.block, path):
            evaluated = config.scope.evaluate(found.expr)
            note = f"{config.brief()} {found.path} = {brief(found.expr)}"
            where = SourceRef(config.declared.file, found.line, note)
            if not isinstance(evaluated.value, str):
                reason = (
                    evaluated.value.reason
                    if isinstance(evaluated.value, Unknown)
                    else "not a string"
                )
                why = SourceRef(where.file, where.line, f"{note}: {reason}")
                return Location.unknown(why, evidence=(*chain, *evaluated.trace))
            host = host_of(evaluated.value)
            match = match_host(host) if host else None
            if match is None or match.region is None:
                why = SourceRef(
                    where.file,
                    where.line,
                    f"{note}: endpoint host {host or evaluated.value!r} does not reveal a region",
                )
                return Location.unknown(why, evidence=(*chain, *evaluated.trace))
            where = SourceRef(where.file, where.line, f"{note} ({match.provider} {match.region})")
            return locate(match.provider, match.region, (*chain, *evaluated.trace), where)
    return None


def _prefixed(location: Location, chain: tuple[SourceRef, ...]) -> Location:
    if not chain:
        return location
    return replace(location, evidence=(*chain, *location.evidence))


def build_module_store(instance: RegistryModuleInstance) -> Store | None:
    """The store a well-known registry module creates, read off the module call."""
    module = instance.module
    block = instance.declared.block
    for gate in module.gate_inputs:
        attribute = block.attribute(gate)
        if attribute is not None and instance.scope.evaluate(attribute.value).value is False:
            return None
    rtype = resource_type(instance.type)
    if rtype is None:
        return None
    ptype = provider_type(rtype.provider)
    provider = _catalog_provider(rtype, ptype)
    location: Location | None = None
    for location_input in module.location_inputs:
        found = values_at(block, location_input.path)
        if found:
            location_path = LocationPath(location_input.path, location_input.value_as)
            location = merge_locations(
                [_locate_value(instance.scope, provider, f, location_path, instance) for f in found]
            )
            break
    if location is None:
        location = _provider_location(instance, rtype, ptype, provider)
    name: str | None = None
    for input_name in module.name_inputs:
        attribute = block.attribute(input_name)
        value = instance.scope.evaluate(attribute.value).value if attribute else None
        if isinstance(value, str):
            name = value
            break
    pairs: dict[str, str] = {}
    for tags_input in module.tags_inputs:
        _collect_labels(block, AttrPath.parse(tags_input), instance.scope, pairs)
    origin = SourceRef(
        instance.declared.file,
        block.line,
        f"{instance.address} is the registry module {instance.source} (creates {instance.type})",
    )
    return Store(
        id=f"terraform:{instance.address}",
        kind=rtype.kind,
        source="terraform",
        file=instance.declared.file,
        line=block.line,
        location=replace(location, evidence=(origin, *location.evidence)),
        name=name or block.labels[0],
        labels=tuple(sorted(pairs.items())),
        resource_type=instance.type,
    )


def build_stores(
    instances: Iterable[ResourceInstance], module_instances: Iterable[RegistryModuleInstance] = ()
) -> list[Store]:
    stores: list[Store] = []
    for instance in instances:
        store = build_store(instance)
        if store is not None:
            stores.append(store)
    for module_instance in module_instances:
        store = build_module_store(module_instance)
        if store is not None:
            stores.append(store)
    return stores
