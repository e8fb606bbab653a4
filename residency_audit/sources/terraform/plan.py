"""Terraform plan JSON (``terraform show -json plan.out``) as an input.

A plan is the most exact source there is: Terraform has already evaluated variables,
``count``/``for_each`` and module inputs, so ``planned_values`` holds every resource
instance under its final address with its resolved arguments. What the plan does not hold
is the provider's region, which lives only in ``configuration.provider_config`` as an
unevaluated expression; a constant, or a plain ``var.X`` whose value is in the plan's
``variables`` (or a module call's input), is resolved, anything else is unknown.

Parsing is per file and pure (``parse_plan``): stores come out ready, with the plan file and
the line of the resource's ``"address"`` key as their declaration.

Merging (``merge_plans``, called by the Terraform link stage) ties a plan to one root
module of the scanned .tf sources:

* a plan inside the scanned tree whose directory is a root module belongs to that root;
* any other plan (given with ``--plan`` from outside the tree, or kept in a directory of its
  own) belongs to the root module whose resource addresses (instance keys removed) overlap
  the plan's most; a tie or no overlap leaves it unmatched;
* only the first plan (by path) matched to a root is merged into it; further plans of the
  same root (other workspaces) and unmatched plans report their stores on their own, with
  the plan file as their declaration.

In a matched root, a planned store REPLACES the .tf-derived store of the same address: its
location comes from the plan (unless the plan cannot tell and the sources can), while file
and line stay those of the resource block (findings point at the .tf). The root's
.tf-derived stores that the plan enumerates differently (a resource whose ``count`` the
sources could not expand, a registry module call standing for the resources it creates) are
dropped in favour of the planned instances, which take the declaration of the block (or of
the module call) from the sources. Stores only the sources know are kept.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from residency_audit.geo.endpoints import host_of, match_host
from residency_audit.geo.merge import merge_locations
from residency_audit.geo.regions import locate
from residency_audit.model import Edge, Location, ScanError, SourceRef, Store
from residency_audit.sources.terraform.catalog import (
    AttrPath,
    LocationPath,
    ProviderType,
    ResourceType,
    provider_type,
    resource_type,
)
from residency_audit.sources.terraform.instance import called_directories, local_call_directory
from residency_audit.sources.terraform.module import TerraformModule
from residency_audit.sources.terraform.stores import add_label_pairs

SUPPORTED_MAJOR = "1"
MAX_MODULE_DEPTH = 32  # child_modules / module_calls followed; real trees are a few deep
SNIFF_MARKERS = (b'"planned_values"', b'"resource_changes"')

_KEY = r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]'
_KEY_RE = re.compile(_KEY)
_ADDRESS_RE = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"')
_VAR_RE = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_-]*)$")

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class PlanFacts:
    """One plan file: its stores, and every managed resource's configuration address.

    ``resource_addresses`` (instance keys removed, e.g. ``module.db.aws_db_instance.this``)
    lets a plan given from outside the tree be matched to the root module it was made from.
    ``in_tree`` is False for a plan given by a path outside the scanned root.
    """

    path: str
    stores: tuple[Store, ...] = ()
    resource_addresses: tuple[str, ...] = ()
    error: ScanError | None = None
    in_tree: bool = True

    @property
    def directory(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


def looks_like_plan(head: bytes) -> bool:
    """A cheap test on a JSON file's first bytes, before paying for a full parse."""
    return b'"format_version"' in head and any(marker in head for marker in SNIFF_MARKERS)


def config_address(address: str) -> str:
    """``module.db["eu"].aws_db_instance.this[0]`` -> ``module.db.aws_db_instance.this``."""
    return _KEY_RE.sub("", address)


def split_address(address: str) -> tuple[tuple[str, ...], str]:
    """Module call names along the path, and the module-local resource address."""
    parts = config_address(address).split(".")
    names: list[str] = []
    while len(parts) >= 2 and parts[0] == "module":
        names.append(parts[1])
        parts = parts[2:]
    return tuple(names), ".".join(parts)


def parse_plan(path: str, text: str) -> PlanFacts:
    try:
        document = json.loads(text)
    except RecursionError:
        return _failed(path, None, "JSON nested too deeply to read")
    except json.JSONDecodeError as exc:
        return _failed(path, exc.lineno, f"JSON syntax error: {exc.msg}")
    except ValueError as exc:  # e.g. an integer literal longer than Python accepts
        return _failed(path, None, f"JSON not readable: {exc}")
    if not isinstance(document, dict):
        return _failed(path, None, "not a Terraform plan: the top level is not a JSON object")
    version = document.get("format_version")
    if not isinstance(version, str):
        return _failed(path, None, "not a Terraform plan: no format_version")
    if version.split(".", 1)[0] != SUPPORTED_MAJOR:
        return _failed(
            path,
            None,
            f"unsupported plan format_version {version!r} (this version reads 1.x, the format "
            "of `terraform show -json` since Terraform 1.0)",
        )
    if "planned_values" not in document and "resource_changes" not in document:
        what = "a state" if "values" in document else "not a plan"
        return _failed(
            path, None, f"Terraform JSON that is {what}: no planned_values or resource_changes"
        )
    try:
        return _PlanReader(path, text, document).facts()
    except RecursionError:
        return _failed(path, None, "JSON nested too deeply to read")


def _failed(path: str, line: int | None, message: str) -> PlanFacts:
    return PlanFacts(path, error=ScanError(path, line, message))


def _obj(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


class _Lines:
    """Where keys sit in the plan text, found with a regex instead of a positional parser.

    Terraform writes plans on one line; pretty-printed (``| jq .``) they get real lines.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines = [match.start() for match in re.finditer("\n", text)]
        self._addresses: dict[str, int] | None = None
        self._keys: dict[tuple[str, str, str], int | None] = {}

    def line_at(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def address(self, address: str) -> int | None:
        if self._addresses is None:
            self._addresses = {}
            for match in _ADDRESS_RE.finditer(self.text):
                try:
                    decoded = json.loads(f'"{match.group(1)}"')
                except ValueError:
                    continue
                if isinstance(decoded, str):
                    self._addresses.setdefault(decoded, self.line_at(match.start()))
        return self._addresses.get(address)

    def key_after(self, anchor: str, key: str, then: str = "") -> int | None:
        """The line of ``"key": {`` after ``anchor`` (memoised: every store asks again)."""
        memo = (anchor, key, then)
        if memo not in self._keys:
            self._keys[memo] = None
            start = self.text.find(anchor)
            if start >= 0:
                pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:\s*\{" + then)
                match = pattern.search(self.text, start)
                self._keys[memo] = self.line_at(match.start()) if match else None
        return self._keys[memo]


@dataclass(frozen=True)
class _Resolved:
    """An expression of the plan's configuration, resolved as far as the plan allows."""

    value: object
    text: str  # how the expression reads: a constant, or the reference
    evidence: tuple[SourceRef, ...] = ()
    reason: str | None = None  # set when the value cannot be told


class _PlanReader:
    def __init__(self, path: str, text: str, document: JsonObject) -> None:
        self.path = path
        self.document = document
        self.lines = _Lines(text)
        configuration = _obj(document.get("configuration"))
        self.provider_configs = _obj(configuration.get("provider_config"))
        self.root_config = _obj(configuration.get("root_module"))
        self.variables = _obj(document.get("variables"))
        self.unknown_after: dict[str, JsonObject] = {}
        for change in _items(document.get("resource_changes")):
            change = _obj(change)
            if isinstance(change.get("address"), str):
                after_unknown = _obj(_obj(change.get("change")).get("after_unknown"))
                self.unknown_after[change["address"]] = after_unknown
        self.too_deep = False
        self._config_resources: dict[tuple[str, ...], dict[str, JsonObject]] = {}

    # -- the planned resources ----------------------------------------------------------
    def facts(self) -> PlanFacts:
        stores: list[Store] = []
        addresses: set[str] = set()
        for resource in self._planned_resources():
            address = resource.get("address")
            if resource.get("mode") != "managed" or not isinstance(address, str):
                continue
            addresses.add(config_address(address))
            store = self._store(address, resource)
            if store is not None:
                stores.append(store)
        error = None
        if self.too_deep:
            error = ScanError(
                self.path, None, f"modules nest deeper than {MAX_MODULE_DEPTH}; deeper not read"
            )
        stores.sort(key=lambda s: s.id)
        return PlanFacts(self.path, tuple(stores), tuple(sorted(addresses)), error)

    def _planned_resources(self) -> Iterator[JsonObject]:
        root = _obj(_obj(self.document.get("planned_values")).get("root_module"))
        if root:
            yield from self._module_resources(root, 0)
            return
        # No planned values (an errored plan): the changes' "after" objects stand in.
        for change in _items(self.document.get("resource_changes")):
            change = _obj(change)
            detail = _obj(change.get("change"))
            actions = _items(detail.get("actions"))
            if actions == ["delete"] or "after" not in detail:
                continue
            yield {**change, "values": _obj(detail.get("after"))}

    def _module_resources(self, module: JsonObject, depth: int) -> Iterator[JsonObject]:
        for resource in _items(module.get("resources")):
            if isinstance(resource, dict):
                yield resource
        for child in _items(module.get("child_modules")):
            if depth >= MAX_MODULE_DEPTH:
                self.too_deep = True
                return
            yield from self._module_resources(_obj(child), depth + 1)

    def _store(self, address: str, resource: JsonObject) -> Store | None:
        type_name = resource.get("type")
        rtype = resource_type(type_name) if isinstance(type_name, str) else None
        if rtype is None or not rtype.is_store:
            return None
        values = _obj(resource.get("values"))
        line = self.lines.address(address)
        label = resource.get("name")
        return Store(
            id=f"terraform:{address}",
            kind=rtype.kind,
            source="terraform",
            file=self.path,
            line=line or 1,
            location=self._locate(address, line, values, rtype),
            name=_name(values, rtype) or (label if isinstance(label, str) else None),
            labels=self._labels(address, values, rtype),
            resource_type=rtype.type_name,
        )

    # -- location -----------------------------------------------------------------------
    def _locate(
        self, address: str, line: int | None, values: JsonObject, rtype: ResourceType
    ) -> Location:
        ptype = provider_type(rtype.provider)
        provider = (ptype.catalog if ptype else None) or rtype.provider
        pending: list[str] = []
        for location_path in rtype.location_paths:
            found = [v for v in _values_at(values, location_path.path) if v not in (None, "")]
            if found:
                return merge_locations(
                    [
                        self._locate_value(
                            _Resolved(value, json.dumps(value, ensure_ascii=False)),
                            location_path,
                            provider,
                            line,
                            f"{address} {location_path.path}",
                            " (planned value)",
                        )
                        for value in found
                    ]
                )
            if _is_unknown_after(self.unknown_after.get(address, {}), location_path.path):
                pending.append(location_path.path.text)
        if rtype.inherits_provider_location:
            return self._provider_location(address, line, rtype, ptype, provider)
        if rtype.default_location is not None:
            where = SourceRef(self.path, line, f"{address}: {rtype.default_location.note}")
            return locate(provider, rtype.default_location.value, (), where)
        reason = f"{address} sets no location in the plan"
        if pending:
            reason = f"{address} {', '.join(pending)} known only after apply"
        return Location.unknown(SourceRef(self.path, line, reason), provider=provider)

    def _locate_value(
        self,
        resolved: _Resolved,
        location_path: LocationPath,
        provider: str,
        line: int | None,
        subject: str,
        suffix: str = "",
    ) -> Location:
        note = f"{subject} = {resolved.text}{suffix}"
        value = resolved.value
        if resolved.reason is not None:
            why = SourceRef(self.path, line, f"{note}: {resolved.reason}")
            return Location.unknown(why, resolved.evidence, provider=provider)
        if not isinstance(value, str):
            why = SourceRef(self.path, line, f"{note}: not a location string")
            return Location.unknown(why, resolved.evidence, provider=provider)
        code = location_path.extract(value)
        if code is None:
            why = SourceRef(self.path, line, f"{note}: no location in {value!r}")
            return Location.unknown(why, resolved.evidence, provider=provider)
        if json.dumps(value, ensure_ascii=False) != resolved.text:
            note = f"{note} ({value})"
        return locate(provider, code, resolved.evidence, SourceRef(self.path, line, note))

    def _provider_location(
        self,
        address: str,
        line: int | None,
        rtype: ResourceType,
        ptype: ProviderType | None,
        provider: str,
    ) -> Location:
        wanted = self._provider_key(address, rtype)
        env = (
            ", ".join(ptype.env_vars) if ptype and ptype.env_vars else "the provider's environment"
        )
        found = self._provider_config(wanted)
        if found is None:
            why = SourceRef(
                self.path,
                line,
                f'no provider "{wanted}" configuration in the plan applies to {address}; '
                f"region taken from the environment at apply time ({env})",
            )
            return Location.unknown(why, provider=provider)
        key, config = found
        chain: tuple[SourceRef, ...] = ()
        if "." in key.rpartition(":")[2]:
            chain = (SourceRef(self.path, line, f"{address} uses provider {key}"),)
        config_line = self.lines.key_after('"provider_config"', key)
        subject = _describe_provider(config)
        module_path = _module_names(config.get("module_address"))
        expressions = _obj(config.get("expressions"))
        if ptype is not None:
            for path in ptype.endpoint_paths_for(rtype.service):
                for expression in _walk(expressions, path):
                    return _prefixed(
                        self._endpoint(expression, module_path, config_line, subject, path), chain
                    )
            for region_path in ptype.region_paths:
                for expression in _walk(expressions, region_path.path):
                    resolved = self._expression(expression, module_path)
                    located = self._locate_value(
                        resolved,
                        region_path,
                        provider,
                        config_line,
                        f"{subject} {region_path.path}",
                    )
                    return _prefixed(located, chain)
            if ptype.default_region:
                where = SourceRef(
                    self.path,
                    config_line,
                    f"{subject} sets no region; the provider's default is "
                    f"{ptype.default_region} ({ptype.default_region_note})",
                )
                return locate(provider, ptype.default_region, chain, where)
        why = SourceRef(
            self.path,
            config_line,
            f"{subject} sets no region; region taken from the environment at apply time ({env})",
        )
        return Location.unknown(why, chain, provider=provider)

    def _endpoint(
        self,
        expression: object,
        module_path: tuple[str, ...],
        line: int | None,
        subject: str,
        path: AttrPath,
    ) -> Location:
        """An S3-compatible cloud behind the aws provider: the endpoint host decides."""
        resolved = self._expression(expression, module_path)
        note = f"{subject} {path} = {resolved.text}"
        if not isinstance(resolved.value, str) or resolved.reason is not None:
            reason = resolved.reason or "not a string"
            return Location.unknown(SourceRef(self.path, line, f"{note}: {reason}"))
        host = host_of(resolved.value)
        match = match_host(host) if host else None
        if match is None or match.region is None:
            why = f"{note}: endpoint host {host or resolved.value!r} does not reveal a region"
            return Location.unknown(SourceRef(self.path, line, why), resolved.evidence)
        where = SourceRef(self.path, line, f"{note} ({match.provider} {match.region})")
        return locate(match.provider, match.region, resolved.evidence, where)

    def _provider_key(self, address: str, rtype: ResourceType) -> str:
        names, local = split_address(address)
        config = self._config_resource(names, local)
        key = config.get("provider_config_key")
        if isinstance(key, str) and key:
            return key
        prefix = ".".join(f"module.{name}" for name in names)
        local_name = rtype.type_name.split("_", 1)[0]
        return f"{prefix}:{local_name}" if prefix else local_name

    def _provider_config(self, key: str) -> tuple[str, JsonObject] | None:
        """The configuration for ``key``, or the one a module inherits it from.

        Terraform leaves keys such as ``module.db:aws`` dangling when the module uses the
        caller's default provider implicitly; the caller's configuration is the one used.
        """
        prefix, _, local = key.rpartition(":")
        while True:
            candidate = f"{prefix}:{local}" if prefix else local
            config = self.provider_configs.get(candidate)
            if isinstance(config, dict):
                return candidate, config
            if not prefix:
                return None
            prefix = prefix.rsplit(".module.", 1)[0] if ".module." in prefix else ""

    def _config_module(self, names: Sequence[str]) -> JsonObject:
        module = self.root_config
        for name in names:
            module = _obj(_obj(_obj(module.get("module_calls")).get(name)).get("module"))
        return module

    def _config_resource(self, names: tuple[str, ...], local: str) -> JsonObject:
        if names not in self._config_resources:
            self._config_resources[names] = {
                resource["address"]: resource
                for resource in map(_obj, _items(self._config_module(names).get("resources")))
                if isinstance(resource.get("address"), str)
                and resource.get("mode", "managed") == "managed"
            }
        return self._config_resources[names].get(local, {})

    # -- expressions of the configuration -------------------------------------------------
    def _expression(self, expression: object, module_path: tuple[str, ...]) -> _Resolved:
        expression = _obj(expression)
        if "constant_value" in expression:
            value = expression["constant_value"]
            return _Resolved(value, json.dumps(value, ensure_ascii=False))
        references = [r for r in _items(expression.get("references")) if isinstance(r, str)]
        if not references:
            return _Resolved(None, "(no value)", reason="the plan's configuration records no value")
        variable = _VAR_RE.match(references[0])
        if variable is not None and all(r == references[0] for r in references):
            return self._variable(variable.group(1), module_path)
        return _Resolved(
            None,
            references[0],
            reason=f"refers to {references[0]}, whose value the plan's configuration does not "
            "record",
        )

    def _variable(self, name: str, module_path: tuple[str, ...]) -> _Resolved:
        text = f"var.{name}"
        if not module_path:
            entry = _obj(self.variables.get(name))
            if "value" not in entry:
                return _Resolved(None, text, reason=f"{text} has no value in the plan")
            value = entry["value"]
            shown = json.dumps(value, ensure_ascii=False)
            line = self.lines.key_after('"variables"', name, r'\s*"value"')
            ref = SourceRef(self.path, line, f"plan variable {name} = {shown}")
            return _Resolved(value, text, (ref,))
        caller, call = module_path[:-1], module_path[-1]
        call_config = _obj(_obj(self._config_module(caller).get("module_calls")).get(call))
        given = _obj(call_config.get("expressions")).get(name)
        if given is not None:
            resolved = self._expression(given, caller)
            note = f"module.{call} input {name} = {resolved.text}"
            ref = SourceRef(self.path, None, note)
            return replace(resolved, text=text, evidence=(*resolved.evidence, ref))
        declared = _obj(_obj(_obj(call_config.get("module")).get("variables")).get(name))
        if declared.get("default") is not None:
            value = declared["default"]
            shown = json.dumps(value, ensure_ascii=False)
            ref = SourceRef(self.path, None, f"module.{call} variable {name} default = {shown}")
            return _Resolved(value, text, (ref,))
        return _Resolved(None, text, reason=f"{text} of module.{call} has no value in the plan")

    # -- labels -------------------------------------------------------------------------
    def _labels(
        self, address: str, values: JsonObject, rtype: ResourceType
    ) -> tuple[tuple[str, str], ...]:
        """The resource's tags/labels over the provider's defaults (AWS ``default_tags``)."""
        pairs: dict[str, str] = {}
        ptype = provider_type(rtype.provider)
        found = self._provider_config(self._provider_key(address, rtype))
        if found is not None and ptype is not None:
            _, config = found
            module_path = _module_names(config.get("module_address"))
            expressions = _obj(config.get("expressions"))
            for path in ptype.labels_paths:
                for expression in _walk(expressions, path):
                    add_label_pairs(self._expression(expression, module_path).value, pairs)
        for path in rtype.labels_paths:
            for value in _walk(values, path):
                add_label_pairs(value, pairs)
        return tuple(sorted(pairs.items()))


def _module_names(module_address: object) -> tuple[str, ...]:
    """``module.a.module.b`` (a configuration's module address) -> ``("a", "b")``."""
    if not isinstance(module_address, str) or not module_address:
        return ()
    parts = config_address(module_address).split(".")
    return tuple(parts[1::2]) if all(p == "module" for p in parts[0::2]) else ()


def _describe_provider(config: JsonObject) -> str:
    name = config.get("name")
    alias = config.get("alias")
    text = f'provider "{name}"'
    if isinstance(alias, str) and alias:
        text += f" (alias {alias})"
    module = config.get("module_address")
    if isinstance(module, str) and module:
        text += f" in {module}"
    return text


def _prefixed(location: Location, chain: tuple[SourceRef, ...]) -> Location:
    return replace(location, evidence=(*chain, *location.evidence)) if chain else location


def _name(values: JsonObject, rtype: ResourceType) -> str | None:
    for path in rtype.name_paths:
        for value in _values_at(values, path):
            if isinstance(value, str) and value:
                return value
    return None


def _walk(tree: object, path: AttrPath) -> list[object]:
    """What a catalog path names in JSON values or in a block-expressions object.

    Nested blocks are JSON arrays of objects (the first one, or all with ``[*]``), single
    blocks and object attributes are objects (``[*]`` on a map takes every value).
    """
    current: list[object] = [tree]
    for step in path.steps[:-1]:
        following: list[object] = []
        for item in current:
            child = item.get(step.name) if isinstance(item, dict) else None
            if isinstance(child, list):
                following.extend(child if step.each else child[:1])
            elif isinstance(child, dict):
                following.extend(child.values() if step.each else [child])
        current = following
    last = path.steps[-1]
    found: list[object] = []
    for item in current:
        if not isinstance(item, dict) or item.get(last.name) is None:
            continue
        value = item[last.name]
        if last.each and isinstance(value, dict):
            found.extend(value.values())
        else:
            found.append(value)
    return found


def _values_at(values: JsonObject, path: AttrPath) -> list[object]:
    """Like ``_walk``, and a path that ends on a list yields each element."""
    found: list[object] = []
    for value in _walk(values, path):
        found.extend(value if isinstance(value, list) else [value])
    return found


def _is_unknown_after(after_unknown: JsonObject, path: AttrPath) -> bool:
    marker = after_unknown.get(path.steps[0].name)
    return marker is True or (isinstance(marker, list | dict) and bool(marker))


# -- merging with the .tf sources ----------------------------------------------------------


@dataclass(frozen=True)
class PlanMerge:
    stores: tuple[Store, ...]
    edges: tuple[Edge, ...]


def root_directories(modules: Mapping[str, TerraformModule]) -> list[str]:
    """Directories Terraform would run in: not called by another module, with content."""
    called = called_directories(modules)
    return sorted(d for d, m in modules.items() if d not in called and m.has_configuration)


def merge_plans(
    stores: Sequence[Store],
    edges: Sequence[Edge],
    plans: Sequence[PlanFacts],
    modules: Mapping[str, TerraformModule],
) -> PlanMerge:
    """The .tf-derived stores and copy edges with every plan merged in (see the module doc).

    Edges that named a .tf-derived store the plan enumerates differently are redrawn for
    each planned instance that replaces it.
    """
    result = list(stores)
    renamed: dict[str, list[str]] = {}
    standalone: list[Store] = []
    roots = root_directories(modules)
    claimed: set[str] = set()
    for plan in sorted(plans, key=lambda p: p.path):
        root = match_root(plan, modules, roots)
        if root is None or root in claimed:
            standalone.extend(plan.stores)
            continue
        claimed.add(root)
        result = _merge_root(result, plan, root, modules, renamed)
    # A plan's own store shares its address with twins the sources suffixed: suffix it too.
    twinned = {f"terraform:{_address(s)}" for s in result if s.id.endswith(f"@{s.file}")}
    standalone = [replace(s, id=f"{s.id}@{s.file}") if s.id in twinned else s for s in standalone]
    redrawn = [
        replace(edge, source=source, target=target)
        for edge in edges
        for source in renamed.get(edge.source, [edge.source])
        for target in renamed.get(edge.target, [edge.target])
    ]
    return PlanMerge((*result, *standalone), tuple(sorted(set(redrawn))))


def match_root(
    plan: PlanFacts, modules: Mapping[str, TerraformModule], roots: Sequence[str]
) -> str | None:
    if plan.in_tree and plan.directory in roots:
        return plan.directory
    planned = set(plan.resource_addresses)
    if not planned:
        return None
    scores = sorted(
        ((len(planned & _static_addresses(modules, root)), root) for root in roots), reverse=True
    )
    if not scores or scores[0][0] == 0:
        return None
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        return None
    return scores[0][1]


def _static_addresses(modules: Mapping[str, TerraformModule], root: str) -> set[str]:
    """Configuration addresses of the resources a root declares, through local modules."""
    addresses: set[str] = set()

    def visit(module: TerraformModule, prefix: str, stack: tuple[str, ...]) -> None:
        for declared in module.resources:
            addresses.add(prefix + ".".join(declared.block.labels))
        if len(stack) >= MAX_MODULE_DEPTH:
            return
        for call in module.module_calls:
            directory = local_call_directory(module, call)
            child = modules.get(directory) if directory is not None else None
            if child is not None and directory not in stack:
                visit(child, f"{prefix}module.{call.block.labels[0]}.", (*stack, child.directory))

    visit(modules[root], "", (root,))
    return addresses


def _declaration(
    modules: Mapping[str, TerraformModule], root: str, address: str
) -> tuple[str, int] | None:
    """The block of root ``root`` that declares ``address`` (instance keys ignored).

    A resource inside a module the repository does not hold is declared, as far as the
    repository goes, by the module call; so is a registry module's store (``module.db``).
    """
    names, local = split_address(address)
    module = modules[root]
    for depth, name in enumerate(names):
        call = next((c for c in module.module_calls if c.block.labels[0] == name), None)
        if call is None or depth >= MAX_MODULE_DEPTH:
            return None
        directory = local_call_directory(module, call)
        child = modules.get(directory) if directory is not None else None
        if child is None or (depth == len(names) - 1 and not local):
            return call.file, call.block.line
        module = child
    parts = local.split(".")
    if len(parts) != 2:
        return None
    declared = module.resource(parts[0], parts[1])
    return (declared.file, declared.block.line) if declared else None


def _merge_root(
    stores: list[Store],
    plan: PlanFacts,
    root: str,
    modules: Mapping[str, TerraformModule],
    renamed: dict[str, list[str]],
) -> list[Store]:
    planned = {_address(s): s for s in plan.stores}
    planned_configs: dict[str, list[str]] = {}
    for address in planned:
        planned_configs.setdefault(config_address(address), []).append(address)
    own = _own_stores(stores, root, modules)
    taken: set[int] = set()
    exact: dict[str, int] = {}
    for index in own:
        address = _address(stores[index])
        configured = config_address(address)
        if address in planned:
            if address not in exact:
                exact[address] = index
                taken.add(index)
            continue
        successors = planned_configs.get(configured) or [
            a
            for c, group in planned_configs.items()
            if c.startswith(configured + ".")
            for a in group
        ]
        if successors:
            taken.add(index)
            renamed[stores[index].id] = [f"terraform:{a}" for a in sorted(successors)]
    merged = [
        _merged(store, stores[exact[a]] if a in exact else None, _declaration(modules, root, a))
        for a, store in planned.items()
    ]
    return [*(s for i, s in enumerate(stores) if i not in taken), *merged]


def _own_stores(
    stores: Sequence[Store], root: str, modules: Mapping[str, TerraformModule]
) -> list[int]:
    """Positions of the .tf-derived stores that root ``root`` declares.

    A store is the root's when the root's module tree declares its address at its file and
    line. Roots that call one module under one name share those; of such twins the one whose
    location evidence cites the root's own files is taken, else the first.
    """
    by_address: dict[str, list[int]] = {}
    for index, store in enumerate(stores):
        address = _address(store)
        if store.source == "terraform" and _declaration(modules, root, address) == (
            store.file,
            store.line,
        ):
            by_address.setdefault(address, []).append(index)
    return sorted(
        next(
            (i for i in twins if stores[i].id.endswith(f"@{root or '.'}")),
            next((i for i in twins if _cites(stores[i], root)), twins[0]),
        )
        for twins in by_address.values()
    )


def _cites(store: Store, root: str) -> bool:
    prefix = f"{root}/" if root else ""
    return any(
        ref.file.startswith(prefix) and "/" not in ref.file[len(prefix) :]
        for ref in store.location.evidence
    )


def _address(store: Store) -> str:
    """The Terraform address of a store id, without the ``@<file>`` or ``@<root>`` twins get.

    An ``@`` inside an instance key (``["a@b"]``) is part of the address: a suffix never
    contains a quote or a bracket.
    """
    address = store.id.removeprefix("terraform:")
    head, at, tail = address.rpartition("@")
    return head if at and not any(ch in tail for ch in '"[]') else address


def _merged(planned: Store, declared: Store | None, block: tuple[str, int] | None) -> Store:
    """A planned store the sources declare: the plan's facts at the source's place."""
    file, line = planned.file, planned.line
    if declared is not None:
        file, line = declared.file, declared.line
    elif block is not None:
        file, line = block
    address = _address(planned)
    origin = SourceRef(planned.file, planned.line, f"{address} is in the plan")
    location = replace(planned.location, evidence=(origin, *planned.location.evidence))
    if declared is not None and not planned.location.is_known and declared.location.is_known:
        why = planned.location.evidence[-1].note if planned.location.evidence else "unknown"
        told = SourceRef(planned.file, planned.line, f"the plan does not tell: {why}")
        location = replace(declared.location, evidence=(*declared.location.evidence, told))
    labels = dict(declared.labels) if declared is not None else {}
    labels.update(planned.labels)
    return replace(
        planned,
        id=declared.id if declared is not None else planned.id,
        file=file,
        line=line,
        location=location,
        name=planned.name or (declared.name if declared else None),
        labels=tuple(sorted(labels.items())),
    )
