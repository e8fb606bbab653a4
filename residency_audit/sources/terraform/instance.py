"""Module instances: what Terraform would evaluate, statically.

A root module is a directory that no other scanned module calls. Instantiating it walks its
local module calls recursively (with ``count``/``for_each`` expanded where they are known),
gives every instance a scope in which ``var.*``, ``local.*``, ``each.*``, ``count.*``,
``path.*`` and references to other resources' arguments resolve, and carries the provider
configurations down the way Terraform does: default providers are inherited, aliased ones
only through a call's ``providers = { ... }`` map.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.terraform.catalog import RegistryModule, registry_module
from residency_audit.sources.terraform.evaluate import Evaluated, Unknown, evaluate
from residency_audit.sources.terraform.expr import (
    Block,
    Expr,
    GetAttr,
    Literal,
    ObjectExpr,
    Traversal,
    brief,
)
from residency_audit.sources.terraform.module import Declared, TerraformModule

MAX_MODULE_DEPTH = 16
VARIABLE_HINT = "give it in terraform.tfvars, or under `variables:` in the residency-audit config"


@dataclass(frozen=True)
class RootValue:
    """A value for a root module's input variable from outside its .tf files."""

    value: object
    ref: SourceRef


@dataclass
class ProviderConfig:
    local_name: str
    alias: str | None
    declared: Declared
    scope: ModuleScope  # provider arguments evaluate where the block is written

    @property
    def key(self) -> str:
        return f"{self.local_name}.{self.alias}" if self.alias else self.local_name

    def brief(self) -> str:
        return f'provider "{self.local_name}"' + (f" (alias {self.alias})" if self.alias else "")


@dataclass
class ResourceInstance:
    address: str
    type: str
    declared: Declared
    scope: ModuleScope
    providers: Mapping[str, ProviderConfig]
    notes: tuple[SourceRef, ...] = ()

    def provider_key(self) -> tuple[str, SourceRef | None]:
        """Which provider configuration manages this resource, and where that was said."""
        attribute = self.declared.block.attribute("provider")
        if attribute is not None and isinstance(attribute.value, Traversal):
            steps = attribute.value.steps
            alias = steps[0].name if steps and isinstance(steps[0], GetAttr) else None
            key = f"{attribute.value.root}.{alias}" if alias else attribute.value.root
            ref = SourceRef(
                self.declared.file, attribute.line, f"{self.address} uses provider {key}"
            )
            return key, ref
        return self.type.split("_", 1)[0], None


@dataclass
class ModuleScope:
    """The names visible inside one module instance (implements ``evaluate.Scope``)."""

    module: TerraformModule
    address: str
    inputs: Mapping[str, Evaluated] = field(default_factory=dict)
    root_values: Mapping[str, RootValue] = field(default_factory=dict)
    iteration: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # each / count
    modules: Mapping[str, TerraformModule] = field(default_factory=dict)
    depth: int = 0
    root: str = ""  # directory of the root module this instance belongs to
    _locals: dict[str, Evaluated] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    _children: dict[str, ModuleScope | None] = field(default_factory=dict)

    def with_iteration(self, iteration: Mapping[str, Mapping[str, object]]) -> ModuleScope:
        return ModuleScope(
            self.module,
            self.address,
            self.inputs,
            self.root_values,
            iteration,
            self.modules,
            self.depth,
            self.root,
        )

    def child(
        self, call: Declared, key: str, iteration: Mapping[str, Mapping[str, object]]
    ) -> ModuleScope | None:
        """The scope of one instance of a local module call (memoised: outputs and resources
        of the same instance must see the same inputs)."""
        memo = f"{call.block.labels[0]}{key}"
        if memo in self._children:
            return self._children[memo]
        child_module = _local_module(self.modules, self.module, call)
        scope: ModuleScope | None = None
        if child_module is not None and self.depth < MAX_MODULE_DEPTH:
            caller = self.with_iteration(iteration) if iteration else self
            base = f"{self.address}.module.{memo}" if self.address else f"module.{memo}"
            scope = ModuleScope(
                child_module,
                base,
                _call_inputs(call, caller, base),
                modules=self.modules,
                depth=self.depth + 1,
                root=self.root,
            )
        self._children[memo] = scope
        return scope

    def evaluate(self, expr: Expr) -> Evaluated:
        return evaluate(expr, self)

    # -- Scope protocol -------------------------------------------------------------------
    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        if root in ("each", "count"):
            return self._iteration(root, steps)
        if not steps:
            return None
        name = steps[0]
        if root == "var" and isinstance(name, str):
            return self.variable(name), 1
        if root == "local" and isinstance(name, str):
            return self._local(name), 1
        if root == "path" and name in ("module", "root", "cwd"):
            return Evaluated(self.module.directory or ".", ()), 1
        if root == "terraform" and name == "workspace":
            return Evaluated(Unknown("terraform.workspace is chosen at run time"), ()), 1
        if root == "data":
            return Evaluated(
                Unknown(f"data.{'.'.join(map(str, steps[:2]))} is read at plan time"), ()
            ), min(2, len(steps))
        if root == "module" and isinstance(name, str):
            return self._module_output(name, steps[1:])
        if isinstance(name, str):
            return self._resource_argument(root, name, steps[1:])
        return None

    def _iteration(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        values = self.iteration.get(root)
        if values is None:
            meta = "for_each" if root == "each" else "count"
            reason = f"{root}.* is used outside a resource or module with {meta}"
            return Evaluated(Unknown(reason), ()), min(1, len(steps))
        if not steps or not isinstance(steps[0], str) or steps[0] not in values:
            return None
        return Evaluated(values[steps[0]], ()), 1

    def variable(self, name: str) -> Evaluated:
        declared = self.module.variables.get(name)
        if name in self.inputs:
            return self.inputs[name]
        if name in self.root_values:
            given = self.root_values[name]
            return Evaluated(given.value, (given.ref,))
        if declared is None:
            return Evaluated(
                Unknown(f"var.{name} is not declared in {self.module.directory or '.'}"), ()
            )
        default = declared.block.attribute("default")
        if default is None:
            reason = f"var.{name} has no default and no value is given ({VARIABLE_HINT})"
            ref = SourceRef(declared.file, declared.block.line, f'variable "{name}" has no default')
            return Evaluated(Unknown(reason), (ref,))
        value = evaluate(default.value, self)
        ref = SourceRef(
            declared.file, default.line, f'variable "{name}" default = {brief(default.value)}'
        )
        return Evaluated(value.value, (*value.trace, ref))

    def _local(self, name: str) -> Evaluated:
        if name in self._locals:
            return self._locals[name]
        found = self.module.locals.get(name)
        if found is None:
            return Evaluated(
                Unknown(f"local.{name} is not defined in {self.module.directory or '.'}"), ()
            )
        if name in self._resolving:
            return Evaluated(Unknown(f"local.{name} refers to itself"), ())
        self._resolving.add(name)
        try:
            value = evaluate(found.attribute.value, self)
        finally:
            self._resolving.discard(name)
        ref = SourceRef(
            found.file, found.attribute.line, f"local.{name} = {brief(found.attribute.value)}"
        )
        result = Evaluated(value.value, (*value.trace, ref))
        self._locals[name] = result
        return result

    def _module_output(self, name: str, rest: tuple[str | int, ...]) -> tuple[Evaluated, int]:
        """``module.db.endpoint`` or ``module.db["eu"].region``: the child's output value."""
        call = next((c for c in self.module.module_calls if c.block.labels[0] == name), None)
        if call is None:
            return Evaluated(
                Unknown(f"module.{name} is not called in {self.module.directory or '.'}"), ()
            ), 1
        consumed = 1
        key = ""
        iteration: Mapping[str, Mapping[str, object]] = {}
        if _has_instances(call.block):
            if not rest:
                return Evaluated(Unknown(f"module.{name} as a whole is not followed"), ()), 1
            key = instance_key(rest[0])
            iteration = _iteration_for(call, self, rest[0])
            rest, consumed = rest[1:], 2
        if not rest or not isinstance(rest[0], str):
            return Evaluated(
                Unknown(f"module.{name}{key} as a whole is not followed"), ()
            ), consumed
        output_name = rest[0]
        child = self.child(call, key, iteration)
        if child is None:
            reason = (
                f"module.{name} is not a local module in the repository; its outputs are unknown"
            )
            return Evaluated(Unknown(reason), ()), consumed + 1
        output = child.module.outputs.get(output_name)
        value_attribute = output.block.attribute("value") if output else None
        if output is None or value_attribute is None:
            reason = f"module.{name}{key} has no output {output_name!r}"
            return Evaluated(Unknown(reason), ()), consumed + 1
        value = child.evaluate(value_attribute.value)
        ref = SourceRef(
            output.file,
            value_attribute.line,
            f"{child.address} output {output_name} = {brief(value_attribute.value)}",
        )
        return Evaluated(value.value, (*value.trace, ref)), consumed + 1

    def _resource_argument(
        self, type_name: str, name: str, rest: tuple[str | int, ...]
    ) -> tuple[Evaluated, int] | None:
        """``aws_s3_bucket.b.bucket``: an argument written in the resource's own block."""
        declared = self.module.resource(type_name, name)
        if declared is None:
            return None
        consumed = 1
        if (
            rest
            and isinstance(rest[0], int | str)
            and _has_instances(declared.block)
            and not (isinstance(rest[0], str) and declared.block.attribute(rest[0]) is not None)
        ):
            rest, consumed = rest[1:], 2  # skip the instance key: arguments are alike per instance
        if not rest or not isinstance(rest[0], str):
            reason = f"{type_name}.{name} as a whole is known only after apply"
            return Evaluated(Unknown(reason), ()), consumed
        attribute = declared.block.attribute(rest[0])
        if attribute is None:
            reason = (
                f"{type_name}.{name}.{rest[0]} is computed by the provider (known only after apply)"
            )
            return Evaluated(Unknown(reason), ()), consumed + 1
        value = evaluate(attribute.value, self)
        ref = SourceRef(
            declared.file,
            attribute.line,
            f"{type_name}.{name}.{rest[0]} = {brief(attribute.value)}",
        )
        return Evaluated(value.value, (*value.trace, ref)), consumed + 1


def _iteration_for(
    call: Declared, scope: ModuleScope, key: str | int
) -> Mapping[str, Mapping[str, object]]:
    """each/count of the instance ``key`` of a module call, as ``expand`` would give them."""
    for instance_key_text, iteration in expand(call, scope).instances:
        if instance_key_text == instance_key(key):
            return iteration
    return {}


def _local_module(
    modules: Mapping[str, TerraformModule], caller: TerraformModule, call: Declared
) -> TerraformModule | None:
    directory = local_call_directory(caller, call)
    return modules.get(directory) if directory is not None else None


def _has_instances(block: Block) -> bool:
    return block.attribute("count") is not None or block.attribute("for_each") is not None


def instance_key(key: object) -> str:
    """Terraform's address syntax for an instance key: ``[0]`` or ``["eu"]``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    escaped = str(key).replace("\\", "\\\\").replace('"', '\\"')
    return f'["{escaped}"]'


@dataclass
class Expansion:
    """The instances of a block with ``count``/``for_each``, or why they are unknown."""

    instances: list[tuple[str, Mapping[str, Mapping[str, object]]]]
    note: SourceRef | None = None


def expand(declared: Declared, scope: ModuleScope) -> Expansion:
    block = declared.block
    count = block.attribute("count")
    for_each = block.attribute("for_each")
    if count is not None:
        value = scope.evaluate(count.value).value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return Expansion([(instance_key(i), {"count": {"index": i}}) for i in range(value)])
        return _unknown_expansion(declared, count.line, "count", value, count.value)
    if for_each is not None:
        value = scope.evaluate(for_each.value).value
        if isinstance(value, Mapping):
            items = sorted(value.items(), key=lambda kv: str(kv[0]))
            return Expansion(
                [(instance_key(k), {"each": {"key": k, "value": v}}) for k, v in items]
            )
        if isinstance(value, tuple | list | set | frozenset) and all(
            isinstance(v, str) for v in value
        ):
            keys = sorted(set(value))
            return Expansion([(instance_key(k), {"each": {"key": k, "value": k}}) for k in keys])
        return _unknown_expansion(declared, for_each.line, "for_each", value, for_each.value)
    return Expansion([("", {})])


def _unknown_expansion(
    declared: Declared, line: int, meta: str, value: object, expr: Expr
) -> Expansion:
    why = value.reason if isinstance(value, Unknown) else f"it is not a usable {meta} value"
    note = SourceRef(
        declared.file,
        line,
        f"{meta} = {brief(expr)} cannot be evaluated ({why}); instance keys unknown",
    )
    return Expansion([("", {})], note)


@dataclass
class RegistryModuleInstance:
    """A call of a well-known registry module: it stands for the store the module creates.

    Its source is not in the repository, so the store is read off the call itself: name,
    tags and location from the inputs the catalog names, else the caller's provider.
    """

    address: str
    module: RegistryModule
    source: str
    declared: Declared
    scope: ModuleScope  # the caller's scope: inputs are expressions written in the caller
    providers: Mapping[str, ProviderConfig]

    @property
    def type(self) -> str:
        """The main store resource the module creates."""
        return self.module.creates[0]

    def provider_key(self) -> tuple[str, SourceRef | None]:
        return self.type.split("_", 1)[0], None


@dataclass
class Instantiation:
    resources: list[ResourceInstance] = field(default_factory=list)
    module_stores: list[RegistryModuleInstance] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def called_directories(modules: Mapping[str, TerraformModule]) -> set[str]:
    """Directories some scanned module calls as a local module: they are not roots."""
    called: set[str] = set()
    for module in modules.values():
        for call in module.module_calls:
            directory = local_call_directory(module, call)
            if directory is not None:
                called.add(directory)
    return called


def local_call_directory(module: TerraformModule, call: Declared) -> str | None:
    """The directory a local module call (``./x``, ``../x``) of ``module`` names; None for
    registry and remote sources, and for a source that is not a literal string."""
    source = _literal_source(call.block)
    if source is None or not _is_local(source):
        return None
    return _join(module.directory, source)


def instantiate_roots(
    modules: Mapping[str, TerraformModule], root_values: Mapping[str, RootValue]
) -> Instantiation:
    result = Instantiation()
    called = called_directories(modules)
    for directory in sorted(modules):
        module = modules[directory]
        if directory in called or not module.has_configuration:
            continue
        values = {**_tfvars_values(module), **root_values}
        scope = ModuleScope(module, "", root_values=values, modules=modules, root=directory)
        providers = _own_providers(module, scope, {})
        _instantiate(modules, module, scope, providers, result, (directory,))
    return result


def _tfvars_values(module: TerraformModule) -> dict[str, RootValue]:
    values: dict[str, RootValue] = {}
    empty = ModuleScope(module, "")
    for item in module.tfvars:  # precedence order: later wins
        value = evaluate(item.attribute.value, empty)
        note = f"{item.attribute.name} = {brief(item.attribute.value)}"
        values[item.attribute.name] = RootValue(
            value.value, SourceRef(item.file, item.attribute.line, note)
        )
    return values


def _own_providers(
    module: TerraformModule, scope: ModuleScope, inherited: Mapping[str, ProviderConfig]
) -> dict[str, ProviderConfig]:
    providers = dict(inherited)
    for declared in module.providers:
        alias_attribute = declared.block.attribute("alias")
        alias = None
        if alias_attribute is not None:
            alias_value = scope.evaluate(alias_attribute.value).value
            alias = alias_value if isinstance(alias_value, str) else None
        config = ProviderConfig(declared.block.labels[0], alias, declared, scope)
        providers[config.key] = config
    return providers


def _instantiate(
    modules: Mapping[str, TerraformModule],
    module: TerraformModule,
    scope: ModuleScope,
    providers: Mapping[str, ProviderConfig],
    result: Instantiation,
    stack: tuple[str, ...],
) -> None:
    prefix = f"{scope.address}." if scope.address else ""
    for declared in module.resources:
        type_name, name = declared.block.labels
        expansion = expand(declared, scope)
        notes = (expansion.note,) if expansion.note else ()
        for key, iteration in expansion.instances:
            result.resources.append(
                ResourceInstance(
                    f"{prefix}{type_name}.{name}{key}",
                    type_name,
                    declared,
                    scope.with_iteration(iteration) if iteration else scope,
                    providers,
                    notes,
                )
            )
    for call in module.module_calls:
        _instantiate_call(modules, module, call, scope, providers, result, stack)


def _instantiate_call(
    modules: Mapping[str, TerraformModule],
    module: TerraformModule,
    call: Declared,
    scope: ModuleScope,
    providers: Mapping[str, ProviderConfig],
    result: Instantiation,
    stack: tuple[str, ...],
) -> None:
    name = call.block.labels[0]
    base = f"{scope.address}.module.{name}" if scope.address else f"module.{name}"
    source = _literal_source(call.block)

    def error(message: str) -> None:
        result.errors.append(ScanError(call.file, call.block.line, f"{base}: {message}"))

    if source is None:
        error("module source is not a literal string")
        return
    if not _is_local(source):
        known = registry_module(source)
        if known is None:
            error(
                f"module source {source!r} is not in the repository and cannot be resolved "
                "offline; its resources are not scanned"
            )
            return
        for key, iteration in expand(call, scope).instances:
            caller = scope.with_iteration(iteration) if iteration else scope
            result.module_stores.append(
                RegistryModuleInstance(
                    f"{base}{key}", known, source, call, caller, _passed_providers(call, providers)
                )
            )
        return
    directory = _join(module.directory, source)
    if directory not in modules:
        error(f"module directory {directory or '.'} has no Terraform files")
        return
    if directory in stack or len(stack) >= MAX_MODULE_DEPTH:
        error("module calls form a cycle or nest too deeply; not followed")
        return
    for key, iteration in expand(call, scope).instances:
        child_scope = scope.child(call, key, iteration)
        if child_scope is None:
            continue
        child_providers = _own_providers(
            child_scope.module, child_scope, _passed_providers(call, providers)
        )
        _instantiate(
            modules, child_scope.module, child_scope, child_providers, result, (*stack, directory)
        )


META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def _call_inputs(call: Declared, caller: ModuleScope, address: str) -> dict[str, Evaluated]:
    inputs: dict[str, Evaluated] = {}
    for attribute in call.block.attributes:
        if attribute.name in META_ARGUMENTS:
            continue
        value = caller.evaluate(attribute.value)
        ref = SourceRef(
            call.file,
            attribute.line,
            f"{address} input {attribute.name} = {brief(attribute.value)}",
        )
        inputs[attribute.name] = Evaluated(value.value, (*value.trace, ref))
    return inputs


def _passed_providers(
    call: Declared, providers: Mapping[str, ProviderConfig]
) -> dict[str, ProviderConfig]:
    """Default (unaliased) providers are inherited; ``providers = {aws = aws.eu}`` maps others."""
    passed = {key: config for key, config in providers.items() if "." not in key}
    mapping = call.block.attribute("providers")
    if mapping is None:
        return passed
    if isinstance(mapping.value, ObjectExpr):
        for key_expr, value_expr in mapping.value.items:
            inner = _traversal_key(key_expr)
            outer = _traversal_key(value_expr)
            if inner and outer and outer in providers:
                passed[inner] = providers[outer]
    return passed


def _traversal_key(expr: Expr) -> str | None:
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, Traversal):
        names = [expr.root] + [s.name for s in expr.steps if isinstance(s, GetAttr)]
        return ".".join(names)
    return None


def _literal_source(block: Block) -> str | None:
    attribute = block.attribute("source")
    if attribute is None:
        return None
    value = attribute.value
    return value.value if isinstance(value, Literal) and isinstance(value.value, str) else None


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../"))


def _join(directory: str, source: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory or ".", source))
    return "" if joined == "." else joined
