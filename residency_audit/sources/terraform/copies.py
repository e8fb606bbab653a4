"""Copies of Terraform stores as edges: replication, replicas, backups, transfers.

Which resources copy data where is data, not code: the catalog's copy rules (``copies:`` in
``data/resources/*.yaml``, schema in ``_vocabulary.yaml``). This module reads a rule's two
ends off every resource instance of the rule's type and draws one edge per source and target.

References are matched by what they name, not by their value: ``aws_s3_bucket.dr.arn`` is
only known after apply, but its root and first step name a resource of the same module
instance, whose store is the end. Module outputs, module input variables and locals are
followed to the reference they hold, and a resource that only passes a value through
(``aws_s3_bucket_versioning.docs.bucket``) to the argument it was given. A literal (an ARN,
a name, an id written out or coming from a variable) is matched against the names of the
declared stores of the same provider anywhere in the scan, since a replication destination
often lives in another root module; an ARN's service must agree with the store's.

Where a copy lands somewhere no store is declared, it gets a store of its own, so that the
report can place it and the graph can carry personal data to it::

    <anchor>.<copy name>["<key>"]

- anchor: ``terraform:<address>`` of the resource whose block creates the copy; for copies a
  store declares itself (``replica {}`` blocks) that is the source store. For a host outside
  the configuration, the resource that names the host (a transfer endpoint).
- copy name: the nested block holding the attribute that creates the copy (``replica``,
  ``geo_location``, ``copy_action``, ``destination``), or the attribute itself when it is
  top-level (``destination_region``); for paired-region copies, the setting that turns them
  on (``account_replication_type``).
- key: the region where the copy lands, in the catalog's spelling; where no region can be
  told, the host, the value as written, or the expression's source text.

For example ``terraform:aws_dynamodb_table.users.replica["us-east-1"]``,
``terraform:azurerm_storage_account.media.account_replication_type["northeurope"]``,
``terraform:yandex_datatransfer_endpoint.bi.on_premise["bi.example.com"]``. A resource that is
a copy's own end but not a store type (``aws_db_instance_automated_backups_replication``) is
a store under its plain address, located like any resource of its provider. Derived stores
take the source's kind and name and carry no labels: their personal data comes over the edge.
Ids that two root modules would share get ``@<file>``, as the contract prescribes.

Not drawn: copies whose source is not a declared store (nothing is known about what it
holds), copies into the source's own region (a Cosmos DB write region), paired-region copies
of a store whose region is unknown (its own unknown-location finding already says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from residency_audit.geo.endpoints import host_of, match_host
from residency_audit.geo.merge import merge_locations
from residency_audit.geo.regions import locate
from residency_audit.model import Edge, EdgeKind, Location, LocationStatus, SourceRef, Store
from residency_audit.sources.terraform.catalog import (
    AttrPath,
    CopyEnd,
    CopyEndMode,
    CopyPath,
    CopyRule,
    PathStep,
    ResourceType,
    StoreRole,
    Verified,
    copy_rules,
    default_provider_for,
    indirection,
    is_unpaired_region,
    paired_region,
    provider_type,
    resource_type,
)
from residency_audit.sources.terraform.evaluate import (
    ChainScope,
    Evaluated,
    FrozenMap,
    MappingScope,
    Scope,
    Unknown,
    evaluate,
)
from residency_audit.sources.terraform.expr import (
    Block,
    Expr,
    GetAttr,
    Index,
    Literal,
    ObjectExpr,
    Splat,
    Template,
    Traversal,
    TupleExpr,
    describe,
)
from residency_audit.sources.terraform.instance import (
    ModuleScope,
    RegistryModuleInstance,
    ResourceInstance,
    instance_key,
    local_call_directory,
)
from residency_audit.sources.terraform.module import TerraformModule
from residency_audit.sources.terraform.stores import locate_resource

# Module outputs, inputs, locals and pass-through arguments followed for one reference.
MAX_REFERENCE_DEPTH = 12
_NOTE_LIMIT = 160
_NOT_RESOURCES = frozenset({"data", "each", "count", "path", "terraform", "self"})
_MODULE_ADDRESS = re.compile(r"^(?:(?P<parent>.*)\.)?module\.(?P<name>[^.\[]+)(?P<key>\[.*\])?$")


@dataclass(frozen=True)
class CopyLink:
    """The copy edges of a configuration and every store they need.

    ``stores`` are the declared stores (with placements applied), the stores of registry
    module calls, then the derived ones.
    """

    edges: tuple[Edge, ...]
    stores: tuple[Store, ...]


def build_copies(
    located: Sequence[tuple[ResourceInstance, Store | None]],
    modules: Mapping[str, TerraformModule],
    module_stores: Sequence[tuple[RegistryModuleInstance, Store | None]] = (),
) -> CopyLink:
    """Edges for every copy rule that applies to an instance of ``located``.

    ``located`` pairs each resource instance with its store (None for non-store types), and
    ``module_stores`` each call of a well-known registry module with the store it creates,
    with store ids already unique; ``modules`` are all modules by directory, for following
    references through module calls. Copies expressed through a registry module's inputs
    are not read yet; references to such a module (``module.dr_bucket.s3_bucket_arn``) are.
    """
    index = _Index(located, modules, module_stores)
    out = _Output(index)
    for placements in (True, False):  # a copy starts where its source finally is
        for node in index.nodes:
            for rule in copy_rules(node.instance.type):
                if rule.placement is placements:
                    _apply(rule, node, index, out)
    return out.result()


# --- the configuration, indexed ---------------------------------------------------------------


@dataclass(eq=False)
class _Module:
    """One module instance: where the references written in its files are looked up."""

    module: TerraformModule
    address: str
    scope: ModuleScope

    @property
    def key(self) -> tuple[str, str]:
        return (self.module.directory, self.address)


@dataclass(eq=False)
class _Node:
    instance: ResourceInstance
    store: Store | None
    where: _Module

    @property
    def address(self) -> str:
        return self.instance.address

    @property
    def file(self) -> str:
        return self.instance.declared.file

    @property
    def block(self) -> Block:
        return self.instance.declared.block


_Hit = _Node | Store


class _Index:
    def __init__(
        self,
        located: Sequence[tuple[ResourceInstance, Store | None]],
        modules: Mapping[str, TerraformModule],
        module_stores: Sequence[tuple[RegistryModuleInstance, Store | None]],
    ) -> None:
        self.modules = modules
        self.contexts: dict[tuple[str, str], _Module] = {}
        self.nodes: list[_Node] = []
        self.by_ref: dict[tuple[str, str, str, str], list[_Node]] = {}
        self.by_name: dict[str, list[Store]] = {}
        self.module_stores: dict[tuple[str, str], Store] = {}
        for instance, store in located:
            scope = instance.scope
            key = (scope.module.directory, scope.address)
            where = self.contexts.get(key)
            if where is None:
                base = scope.with_iteration({})
                where = self.contexts[key] = _Module(scope.module, scope.address, base)
            node = _Node(instance, store, where)
            self.nodes.append(node)
            type_name, name = instance.declared.block.labels
            self.by_ref.setdefault((*key, type_name, name), []).append(node)
            if store is not None and store.name:
                self.by_name.setdefault(store.name, []).append(store)
        for call, store in module_stores:
            if store is None:
                continue
            self.module_stores[(call.scope.module.directory, call.address)] = store
            if store.name:
                self.by_name.setdefault(store.name, []).append(store)

    def context(self, directory: str, address: str) -> _Module | None:
        found = self.contexts.get((directory, address))
        if found is None and directory in self.modules:
            module = self.modules[directory]
            scope = ModuleScope(module, address, modules=self.modules)
            found = self.contexts[(directory, address)] = _Module(module, address, scope)
        return found

    # --- following references ---------------------------------------------------------------

    def resolve(
        self, expr: Expr, where: _Module, scope: Scope, depth: int = 0
    ) -> list[_Hit] | None:
        """The resources (or registry module stores) ``expr`` refers to; None when it names
        no resource at all. An empty list means it names declared resources that are not
        stores."""
        if depth > MAX_REFERENCE_DEPTH:
            return None
        if isinstance(expr, Template) and len(expr.parts) == 1:
            return self.resolve(expr.parts[0], where, scope, depth + 1)
        if not isinstance(expr, Traversal) or not expr.steps:
            return None
        first = expr.steps[0]
        if not isinstance(first, GetAttr) or expr.root in _NOT_RESOURCES:
            return None
        if expr.root == "module":
            return self._module_output(expr, where, depth)
        if expr.root == "var":
            return self._module_input(first.name, where, depth)
        if expr.root == "local":
            local = where.module.locals.get(first.name)
            if local is None:
                return None
            return self.resolve(local.attribute.value, where, where.scope, depth + 1)
        nodes = self.by_ref.get((*where.key, expr.root, first.name))
        if nodes is None:
            return None
        rest = expr.steps[1:]
        if rest and isinstance(rest[0], Index):
            key = evaluate(rest[0].key, scope).value
            if isinstance(key, str | int) and not isinstance(key, bool):
                suffix = instance_key(key)
                nodes = [n for n in nodes if n.address.endswith(suffix)]
            rest = rest[1:]
        elif rest and isinstance(rest[0], Splat):
            rest = rest[1:]
        attribute = rest[0].name if rest and isinstance(rest[0], GetAttr) else None
        found: list[_Hit] = []
        for node in nodes:
            if node.store is not None or indirection(node.instance.type) is not None:
                found.append(node)
                continue
            written = node.block.attribute(attribute) if attribute else None
            if written is not None:  # a resource passing on the argument it was given
                followed = self.resolve(written.value, node.where, node.instance.scope, depth + 1)
                found.extend(followed or ())
        return found

    def _module_output(self, expr: Traversal, where: _Module, depth: int) -> list[_Hit] | None:
        steps = list(expr.steps)
        name = steps.pop(0)
        assert isinstance(name, GetAttr)
        key = ""
        if steps and isinstance(steps[0], Index):
            value = evaluate(steps[0].key, where.scope).value
            steps.pop(0)
            if not isinstance(value, str | int) or isinstance(value, bool):
                return None
            key = instance_key(value)
        if not steps or not isinstance(steps[0], GetAttr):
            return None
        output_name = steps[0].name
        prefix = f"{where.address}." if where.address else ""
        base = f"{prefix}module.{name.name}"
        registry = self.module_stores.get((where.module.directory, base + key))
        if registry is not None:
            return [registry]  # a well-known module's outputs name the store it creates
        directory = _called_directory(where.module, name.name)
        if directory is None:
            return None
        addresses = [base + key] if key else [base]
        if not key:
            addresses += sorted(
                address
                for (d, address) in self.contexts
                if d == directory and address.startswith(base + "[")
            )
        found: list[_Hit] | None = None
        for address in addresses:
            child = self.context(directory, address)
            output = child.module.outputs.get(output_name) if child else None
            value = output.block.attribute("value") if output else None
            if child is None or value is None:
                continue
            resolved = self.resolve(value.value, child, child.scope, depth + 1)
            if resolved is not None:
                found = [*(found or ()), *resolved]
        return found

    def _module_input(self, name: str, where: _Module, depth: int) -> list[_Hit] | None:
        match = _MODULE_ADDRESS.match(where.address)
        if match is None:
            return None  # a root module's variable: only its value can tell
        parent_address = match.group("parent") or ""
        call_name = match.group("name")
        for directory, module in sorted(self.modules.items()):
            if _called_directory(module, call_name) != where.module.directory:
                continue
            parent = self.context(directory, parent_address)
            call = next((c for c in module.module_calls if c.block.labels[0] == call_name), None)
            argument = call.block.attribute(name) if call else None
            if parent is None or argument is None:
                continue
            resolved = self.resolve(argument.value, parent, parent.scope, depth + 1)
            if resolved is not None:
                return resolved
        return None

    def named(self, value: str, provider: str) -> list[Store]:
        """Stores of ``provider`` whose name a literal (name, ARN, resource id) gives."""
        arn = value.split(":", 5) if value.startswith("arn:") else None
        service = arn[2] if arn and len(arn) == 6 else None
        last = re.split(r"[/:]", value.rstrip("/"))[-1]
        found: list[Store] = []
        for candidate in dict.fromkeys((value, last)):
            for store in self.by_name.get(candidate, ()):
                rtype = resource_type(store.resource_type or "")
                if rtype is None or rtype.provider != provider or store in found:
                    continue
                if service and rtype.service and rtype.service != service:
                    continue
                found.append(store)
        return found


def _called_directory(module: TerraformModule, call_name: str) -> str | None:
    """The directory of a local module call ``call_name`` in ``module``, if it has one."""
    call = next((c for c in module.module_calls if c.block.labels[0] == call_name), None)
    return local_call_directory(module, call) if call is not None else None


# --- reading attribute paths ----------------------------------------------------------------


_UNSET = object()


@dataclass
class _Found:
    """One value at a catalog path: an expression to follow, or an element of an evaluated one."""

    expr: Expr | None
    line: int
    scope: Scope
    given: object = _UNSET

    def evaluated(self) -> Evaluated:
        if self.expr is None:
            return Evaluated(self.given)
        return evaluate(self.expr, self.scope)

    @property
    def text(self) -> str:
        if self.expr is not None:
            return " ".join(describe(self.expr).split())
        return f'"{self.given}"' if isinstance(self.given, str) else repr(self.given)


def _children(block: Block, name: str, scope: Scope, file: str) -> list[tuple[Block, Scope]]:
    """Nested blocks ``name``, with ``dynamic "name"`` blocks expanded over their for_each."""
    found: list[tuple[Block, Scope]] = [(child, scope) for child in block.blocks_of(name)]
    for dynamic in block.blocks_of("dynamic"):
        content = dynamic.blocks_of("content")
        if dynamic.labels != (name,) or not content:
            continue
        iterator = dynamic.attribute("iterator")
        var = (
            iterator.value.root
            if iterator is not None and isinstance(iterator.value, Traversal)
            else name
        )
        for_each = dynamic.attribute("for_each")
        if for_each is None:
            continue
        evaluated = evaluate(for_each.value, scope)
        value = evaluated.value
        ref = SourceRef(
            file, for_each.line, f'dynamic "{name}" for_each = {describe(for_each.value)}'
        )
        items: list[tuple[object, object]]
        if isinstance(value, Mapping):
            items = list(value.items())
        elif isinstance(value, tuple | list):
            items = list(enumerate(value))
        elif isinstance(value, frozenset | set):
            items = [(v, v) for v in sorted(value, key=str)]
        else:
            reason = value.reason if isinstance(value, Unknown) else "not a collection"
            why = Unknown(f'dynamic "{name}" for_each cannot be evaluated ({reason})')
            items = [(why, why)]
        for key, item in items:
            bound = _Iterator(var, key, item, (*evaluated.trace, ref))
            found.append((content[0], ChainScope(bound, scope)))
    return found


class _Iterator:
    """A dynamic block's iterator (``replica.value``), remembering where its values came from."""

    def __init__(self, name: str, key: object, value: object, trace: tuple[SourceRef, ...]):
        self._values = MappingScope({name: {"key": key, "value": value}})
        self._trace = trace

    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        found = self._values.resolve(root, steps)
        if found is None:
            return None
        evaluated, consumed = found
        return Evaluated(evaluated.value, (*self._trace, *evaluated.trace)), consumed


def _walk(block: Block, steps: Sequence[PathStep], scope: Scope, file: str) -> list[_Found]:
    """Every value at ``steps`` under ``block`` (see ATTRIBUTE PATHS in _vocabulary.yaml)."""
    if not steps:
        return []
    step = steps[0]
    if len(steps) == 1:
        attribute = block.attribute(step.name)
        return [] if attribute is None else [_Found(attribute.value, attribute.line, scope)]
    children = _children(block, step.name, scope, file)
    if children:
        found: list[_Found] = []
        for child, child_scope in children if step.each else children[:1]:
            found.extend(_walk(child, steps[1:], child_scope, file))
        return found
    attribute = block.attribute(step.name)
    if attribute is None:
        return []
    return _inside(_Found(attribute.value, attribute.line, scope), steps[1:])


def _inside(found: _Found, steps: Sequence[PathStep]) -> list[_Found]:
    """``settings.zone`` written as an object attribute: walk the object (or its value)."""
    if not steps:
        return [found]
    expr = found.expr
    if isinstance(expr, ObjectExpr):
        for key, item_expr in expr.items:
            if isinstance(key, Literal) and key.value == steps[0].name:
                return _inside(_Found(item_expr, found.line, found.scope), steps[1:])
        return []
    value = found.evaluated().value
    items = value if isinstance(value, tuple) else (value,)
    result: list[_Found] = []
    for item in items:
        if isinstance(item, FrozenMap) and steps[0].name in item:
            element = _Found(None, found.line, found.scope, item[steps[0].name])
            result.extend(_inside(element, steps[1:]))
    return result


def _each(found: _Found) -> list[_Found]:
    """A list-valued attribute yields each element (``region_list = ["a", "b"]``)."""
    if isinstance(found.expr, TupleExpr):
        return [_Found(item, found.line, found.scope) for item in found.expr.items]
    if found.expr is None:
        if isinstance(found.given, tuple):
            return [_Found(None, found.line, found.scope, v) for v in found.given]
        return [found]
    value = found.evaluated().value
    if isinstance(value, tuple):
        return [_Found(None, found.line, found.scope, v) for v in value]
    return [found]


def _path_text(path: AttrPath) -> str:
    return path.text.replace("[*]", "")


def _copy_name(path: AttrPath) -> str:
    """The block holding the attribute, or the attribute itself when it is top-level."""
    return path.steps[-2].name if len(path.steps) > 1 else path.steps[0].name


# --- copy ends ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """A copy's end where no store is declared: becomes a derived store."""

    anchor: str
    copy_name: str | None
    key: str | None
    file: str
    line: int
    location: Location
    resource_type: str | None = None

    @property
    def natural_id(self) -> str:
        if self.copy_name is None or self.key is None:
            return self.anchor
        escaped = self.key.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.anchor}.{self.copy_name}["{escaped}"]'


@dataclass(frozen=True)
class _End:
    """One end of one copy: an existing store or a place, and where the copy rule names it."""

    store: Store | None = None
    place: _Place | None = None
    line: int | None = None
    text: str = ""


@dataclass(frozen=True)
class _Frame:
    """The part of a resource block a rule's paths are read in (one ``rule {}`` of several)."""

    block: Block
    scope: Scope
    file: str
    skip: int  # leading path steps already walked


def _frames(rule: CopyRule, node: _Node) -> list[_Frame]:
    """Source and target paths sharing a repeated block are paired within each such block.

    An AWS Backup plan's ``rule[*].target_vault_name`` copies only to the same rule's
    ``rule[*].copy_action[*]``, not to every rule's.
    """
    whole = [_Frame(node.block, node.instance.scope, node.file, 0)]
    paths = [p.path for p in (*rule.source.paths, *rule.target.paths)]
    if not rule.source.paths or not rule.target.paths:
        return whole
    shared = 0
    while all(
        len(p.steps) > shared + 1
        and p.steps[shared].each
        and p.steps[shared] == paths[0].steps[shared]
        for p in paths
    ):
        shared += 1
    frames = whole
    for step in paths[0].steps[:shared]:
        frames = [
            _Frame(child, scope, frame.file, frame.skip + 1)
            for frame in frames
            for child, scope in _children(frame.block, step.name, frame.scope, frame.file)
        ]
    return frames or whole


def _read(frame: _Frame, path: AttrPath) -> list[_Found]:
    return [
        each
        for found in _walk(frame.block, path.steps[frame.skip :], frame.scope, frame.file)
        for each in _each(found)
    ]


@dataclass(frozen=True)
class _Setting:
    """The first ``when`` condition of a rule that holds: what turns the copy on, and where."""

    line: int
    said: str


def _holds(rule: CopyRule, node: _Node) -> tuple[bool, _Setting | None]:
    """Whether every ``when`` condition holds, and how the first one is set."""
    setting: _Setting | None = None
    for condition in rule.when:
        found = _walk(node.block, condition.path.steps, node.instance.scope, node.file)
        values = [f.evaluated().value for f in found]
        if not any(condition.matches(v) for v in values or [None]):
            return False, None
        if setting is None:
            path = _path_text(condition.path)
            setting = (
                _Setting(found[0].line, f"{path} = {found[0].text}")
                if found
                else _Setting(node.block.line, f"{path} defaults to {condition.default}")
            )
    return True, setting


def _provider_name(type_name: str) -> str:
    rtype = resource_type(type_name)
    if rtype is not None:
        return rtype.provider
    ptype = default_provider_for(type_name)
    return ptype.local_name if ptype else type_name.split("_", 1)[0]


def _catalog_id(node: _Node, source: Store | None) -> str:
    """The geo-catalog provider a location written in ``node`` belongs to."""
    ptype = provider_type(_provider_name(node.instance.type))
    if ptype is not None and ptype.catalog:
        return ptype.catalog
    if source is not None and source.location.provider:
        return source.location.provider
    return _provider_name(node.instance.type)


def _note(node: _Node, path: AttrPath, found: _Found) -> str:
    note = f"{node.address} {_path_text(path)} = {found.text}"
    return note if len(note) <= _NOTE_LIMIT else note[: _NOTE_LIMIT - 3] + "..."


def _end(
    end: CopyEnd,
    rule: CopyRule,
    node: _Node,
    frame: _Frame,
    index: _Index,
    source: Store | None,
    setting: _Setting | None,
) -> list[_End]:
    if end.mode is CopyEndMode.SELF:
        if node.store is not None:
            return [_End(store=node.store)]
        place = _Place(
            f"terraform:{node.address}",
            None,
            None,
            node.file,
            node.block.line,
            _located_like_provider(node.instance),
            node.instance.type,
        )
        return [_End(place=place)]
    if end.mode is CopyEndMode.PAIRED_REGION:
        return _paired(rule, node, source, setting)
    if end.mode is CopyEndMode.REFERRERS:
        return _referrers(end, node, index)
    ends: list[_End] = []
    for copy_path in end.paths:
        for found in _read(frame, copy_path.path):
            if end.mode is CopyEndMode.REFERENCE:
                ends.extend(_reference(found, copy_path, node, index, source))
            elif end.mode is CopyEndMode.LOCATION:
                ends.append(_location(found, copy_path, node, source))
            else:
                ends.append(_external(found, copy_path.path, node))
    return ends


def _reference(
    found: _Found, copy_path: CopyPath, node: _Node, index: _Index, source: Store | None
) -> list[_End]:
    path = copy_path.path
    line, text = found.line, _note(node, path, found)
    hits = index.resolve(found.expr, node.where, found.scope) if found.expr is not None else None
    if hits is not None:
        ends: list[_End] = []
        for hit in hits:
            if isinstance(hit, Store):
                ends.append(_End(store=hit, line=line, text=text))
            elif hit.store is not None:
                ends.append(_End(store=hit.store, line=line, text=text))
            else:
                ends.extend(_through(hit, index, line, text))
        return ends
    evaluated = found.evaluated()
    value = evaluated.value
    if isinstance(value, str) and value:
        named = index.named(value, _provider_name(node.instance.type))
        if named:
            return [_End(store=store, line=line, text=text) for store in named]
        location, key = _undeclared(value, node, path, found, evaluated, source)
    else:
        reason = value.reason if isinstance(value, Unknown) else "not a reference or a name"
        why = SourceRef(node.file, line, f"{text}: {reason}")
        location = Location.unknown(why, evaluated.trace, provider=_catalog_id(node, source))
        key = found.text
    place = _Place(f"terraform:{node.address}", _copy_name(path), key, node.file, line, location)
    return [_End(place=place, line=line, text=text)]


def _undeclared(
    value: str,
    node: _Node,
    path: AttrPath,
    found: _Found,
    evaluated: Evaluated,
    source: Store | None,
) -> tuple[Location, str]:
    """Where a named store outside the configuration is: the region inside its ARN, if any."""
    catalog = _catalog_id(node, source)
    note = _note(node, path, found)
    arn = value.split(":", 5) if value.startswith("arn:") else []
    region = arn[3] if len(arn) == 6 else ""
    if region:
        where = SourceRef(node.file, found.line, f"{note}: region {region} from the ARN")
        located = locate(catalog, region, evaluated.trace, where)
        return located, located.region if located.is_known and located.region else region
    why = SourceRef(
        node.file,
        found.line,
        f"{note}: {value} is not declared in the scanned configuration and names no region",
    )
    return Location.unknown(why, evaluated.trace, provider=catalog), value


def _through(hit: _Node, index: _Index, line: int, text: str) -> list[_End]:
    """A resource that stands for stores or hosts (a transfer endpoint)."""
    standing = indirection(hit.instance.type)
    if standing is None:
        return []
    frame = _Frame(hit.block, hit.instance.scope, hit.file, 0)
    ends: list[_End] = []
    for path in standing.store_paths:
        for found in _read(frame, path):
            if found.expr is None:
                continue
            for resolved in index.resolve(found.expr, hit.where, found.scope) or ():
                store = resolved if isinstance(resolved, Store) else resolved.store
                if store is not None:
                    ends.append(_End(store=store, line=line, text=text))
    for path in standing.external_host_paths:
        for found in _read(frame, path):
            external = _external(found, path, hit)
            ends.append(replace(external, line=line, text=f"{text}, {external.text}"))
    return ends


def _location(found: _Found, copy_path: CopyPath, node: _Node, source: Store | None) -> _End:
    path = copy_path.path
    catalog = _catalog_id(node, source)
    note = _note(node, path, found)
    evaluated = found.evaluated()
    value = evaluated.value
    key: str = found.text
    if isinstance(value, str) and (code := copy_path.extract(value)) is not None:
        where = SourceRef(node.file, found.line, note if value in note else f"{note} ({value})")
        location = locate(catalog, code, evaluated.trace, where)
        key = location.region if location.is_known and location.region else code
    else:
        if isinstance(value, Unknown):
            reason = value.reason
        elif isinstance(value, str):
            reason, key = f"no location in {value!r}", value
        else:
            reason = "not a location string"
        why = SourceRef(node.file, found.line, f"{note}: {reason}")
        location = Location.unknown(why, evaluated.trace, provider=catalog)
    place = _Place(
        f"terraform:{node.address}", _copy_name(path), key, node.file, found.line, location
    )
    return _End(place=place, line=found.line, text=note)


def _external(found: _Found, path: AttrPath, node: _Node) -> _End:
    note = _note(node, path, found)
    evaluated = found.evaluated()
    value = evaluated.value
    host = host_of(value) if isinstance(value, str) else None
    match = match_host(host) if host else None
    where = SourceRef(node.file, found.line, note)
    if match is not None and match.region is not None:
        where = SourceRef(node.file, found.line, f"{note} ({match.provider} {match.region})")
        location = locate(match.provider, match.region, evaluated.trace, where)
    else:
        if isinstance(value, Unknown):
            reason = value.reason
        elif host:
            reason = f"host {host} does not reveal where it is"
        else:
            reason = "not a host name"
        why = SourceRef(node.file, found.line, f"{note}: {reason}")
        location = Location.unknown(
            why, evaluated.trace, provider=match.provider if match else None
        )
    key = host or (value if isinstance(value, str) else found.text)
    place = _Place(
        f"terraform:{node.address}", _copy_name(path), key, node.file, found.line, location
    )
    return _End(place=place, line=found.line, text=note)


def _paired(
    rule: CopyRule, node: _Node, source: Store | None, setting: _Setting | None
) -> list[_End]:
    if source is None or not source.location.is_known or not source.location.region:
        return []
    catalog = source.location.provider or _catalog_id(node, source)
    name = rule.when[0].path.steps[0].name if rule.when else "paired_region"
    line = setting.line if setting else node.block.line
    said = f"{node.address} {setting.said}" if setting else node.address
    ends: list[_End] = []
    for region in source.location.region.split(","):
        paired = paired_region(catalog, region)
        if paired is None and is_unpaired_region(catalog, region):
            continue
        if paired is None:
            why = SourceRef(node.file, line, f"{said}: no paired region of {region} is known")
            location = Location.unknown(why, source.location.evidence, provider=catalog)
            key = f"paired with {region}"
        else:
            where = SourceRef(
                node.file, line, f"{said}: {rule.edge.value} in {region}'s paired region {paired}"
            )
            location = locate(catalog, paired, source.location.evidence, where)
            key = location.region if location.is_known and location.region else paired
        place = _Place(f"terraform:{node.address}", name, key, node.file, line, location)
        ends.append(_End(place=place, line=line, text=_last_note(place)))
    return ends


def _last_note(place: _Place) -> str:
    evidence = place.location.evidence
    return evidence[-1].note if evidence else place.natural_id


def _referrers(end: CopyEnd, node: _Node, index: _Index) -> list[_End]:
    ends: list[_End] = []
    for other in index.nodes:
        if other.store is None or other.instance.type not in end.referrer_types:
            continue
        frame = _Frame(other.block, other.instance.scope, other.file, 0)
        for copy_path in end.paths:
            for found in _read(frame, copy_path.path):
                hits = index.resolve(found.expr, other.where, found.scope) if found.expr else None
                if hits and any(hit is node for hit in hits):
                    text = _note(other, copy_path.path, found)
                    ends.append(_End(store=other.store, line=found.line, text=text))
    return ends


def _located_like_provider(instance: ResourceInstance) -> Location:
    """A resource that is not a store type, placed as its provider places regional resources."""
    ptype = default_provider_for(instance.type)
    rtype = ResourceType(
        type_name=instance.type,
        provider=ptype.local_name if ptype else instance.type.split("_", 1)[0],
        kind="",
        role=StoreRole.STORE,
        service=None,
        name_paths=(),
        location_paths=ptype.region_paths if ptype else (),
        inherits_provider_location=True,
        default_location=None,
        labels_paths=(),
        parent=(),
        verified=Verified.NO,
        verified_by="",
        note="",
    )
    return locate_resource(instance, rtype)


# --- applying rules -------------------------------------------------------------------------------


def _apply(rule: CopyRule, node: _Node, index: _Index, out: _Output) -> None:
    holds, setting = _holds(rule, node)
    if not holds:
        return
    if rule.placement:
        _place(rule, node, out)
        return
    for frame in _frames(rule, node):
        for source in _end(rule.source, rule, node, frame, index, None, setting):
            if source.store is None:
                continue  # not a declared store: nothing is known about what it holds
            store = out.current(source.store)
            for target in _end(rule.target, rule, node, frame, index, store, setting):
                if not _same_place(store, target):
                    out.edge(rule, node, replace(source, store=store), target)


def _same_place(source: Store, target: _End) -> bool:
    if target.store is not None:
        return target.store.id == source.id
    assert target.place is not None
    here, there = source.location, target.place.location
    return (
        target.place.copy_name is not None
        and here.status is LocationStatus.RESOLVED
        and there.status is LocationStatus.RESOLVED
        and (here.provider, here.region) == (there.provider, there.region)
    )


def _place(rule: CopyRule, node: _Node, out: _Output) -> None:
    """A placement refines the store's own location (GCS dual-region data_locations)."""
    if node.store is None:
        return
    store = out.current(node.store)
    frame = _Frame(node.block, node.instance.scope, node.file, 0)
    parts = [
        _location(found, copy_path, node, store).place
        for copy_path in rule.target.paths
        for found in _read(frame, copy_path.path)
    ]
    locations = [p.location for p in parts if p is not None]
    if not locations or not all(location.is_known for location in locations):
        return
    merged = merge_locations(locations)
    evidence = tuple(dict.fromkeys((*store.location.evidence, *merged.evidence)))
    out.relocate(node, replace(merged, evidence=evidence))


_Ref = str | tuple[str, str]  # a store id, or (natural id, file) of a derived store
_PendingEdge = tuple[_Ref, _Ref, EdgeKind, str, int | None, str]


@dataclass
class _Output:
    """Edges and derived stores as rules find them; ids are settled once all are known."""

    index: _Index
    edges: dict[_PendingEdge, None] = field(default_factory=dict)
    places: dict[tuple[str, str], tuple[_Place, Store]] = field(default_factory=dict)
    relocated: dict[str, Location] = field(default_factory=dict)

    def current(self, store: Store) -> Store:
        """The store with its placement applied, if a placement rule refined its location."""
        location = self.relocated.get(store.id)
        return replace(store, location=location) if location else store

    def relocate(self, node: _Node, location: Location) -> None:
        assert node.store is not None
        self.relocated[node.store.id] = location

    def _ref(self, end: _End, source: Store) -> _Ref:
        if end.store is not None:
            return end.store.id
        assert end.place is not None
        key = (end.place.natural_id, end.place.file)
        self.places.setdefault(key, (end.place, source))
        return key

    def edge(self, rule: CopyRule, node: _Node, source: _End, target: _End) -> None:
        assert source.store is not None
        line = target.line or source.line or node.block.line
        note = target.text or source.text
        src = self._ref(source, source.store)
        dst = self._ref(target, source.store)
        self.edges.setdefault((src, dst, rule.edge, node.file, line, note))
        if rule.mutual:
            self.edges.setdefault((dst, src, rule.edge, node.file, line, note))

    def result(self) -> CopyLink:
        stores = [self.current(node.store) for node in self.index.nodes if node.store is not None]
        stores += self.index.module_stores.values()
        taken = {s.id for s in stores}
        counts: dict[str, int] = {}
        for natural, _ in self.places:
            counts[natural] = counts.get(natural, 0) + 1
        ids: dict[tuple[str, str], str] = {}
        derived: list[Store] = []
        for key, (place, source) in self.places.items():
            natural, file = key
            final = (
                natural if counts[natural] == 1 and natural not in taken else f"{natural}@{file}"
            )
            ids[key] = final
            derived.append(
                Store(
                    id=final,
                    kind=source.kind,
                    source="terraform",
                    file=place.file,
                    line=place.line,
                    location=place.location,
                    name=source.name,
                    resource_type=place.resource_type or source.resource_type,
                )
            )
        edges = {
            Edge(
                src if isinstance(src, str) else ids[src],
                dst if isinstance(dst, str) else ids[dst],
                kind,
                file,
                line,
                note,
            )
            for src, dst, kind, file, line, note in self.edges
        }
        return CopyLink(tuple(sorted(edges)), (*stores, *sorted(derived, key=lambda s: s.id)))
