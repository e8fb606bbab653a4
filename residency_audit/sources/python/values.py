"""Evaluating the parser's expressions across files: what a name, an env read or a client
chain stands for.

Evaluation is symbolic and bounded. A value is text (with the chain of places that produced
it), an object of a client-table type carrying its roles (bucket, region, dsn ...), a
project class or instance, a module, a library name, or unknown with the reason. An
expression may have several values (a variable set differently per environment, ``a or
b``); all are kept, up to a small limit. Names resolve through the project's own modules,
found by the suffix of their path-derived names, and through re-exports and star imports;
anything else is a library name, which only the data tables give meaning to.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from residency_audit.model import SourceRef
from residency_audit.sources.kubernetes.connections import mask_password
from residency_audit.sources.python.catalog import (
    ArgSpec,
    ClientCatalog,
    Dispatch,
    Frameworks,
    Readers,
    client_catalog,
    frameworks,
    readers,
)
from residency_audit.sources.python.env import EnvLookup
from residency_audit.sources.python.facts import (
    Alt,
    Attr,
    Binding,
    Call,
    ClassDef,
    DictE,
    Env,
    Expr,
    FunctionDef,
    Item,
    Join,
    Lit,
    Opaque,
    Param,
    PythonFacts,
    Ref,
    Seq,
)
from residency_audit.sources.python.readers import (
    argument,
    instance_read,
    tuple_defaults,
)

MAX_VALUES = 12
MAX_DEPTH = 40
PLACEHOLDER = "__unknown__"
"""Stands in text for a part computed at run time: a host or bucket containing it is unknown."""


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    value: str
    refs: tuple[SourceRef, ...]
    origin: str = "code"  # code | default | kubernetes | compose | dotenv | configmap
    namespace: str | None = None
    gaps: tuple[str, ...] = ()  # why parts of the text are unknown (PLACEHOLDER in value)


@dataclass(frozen=True)
class Unknown:
    reason: str
    refs: tuple[SourceRef, ...]


@dataclass(frozen=True)
class Obj:
    """An object of a client-table type; ``model`` is the model class of a Django manager."""

    type: str
    roles: tuple[tuple[str, tuple[Value, ...]], ...]
    ref: SourceRef
    model: str | None = None

    def role(self, name: str) -> tuple[Value, ...]:
        found: list[Value] = []
        for key, values in self.roles:
            if key == name:
                found.extend(values)
        return tuple(found)


@dataclass(frozen=True)
class ClassV:
    qual: str


@dataclass(frozen=True)
class InstanceV:
    qual: str
    call: Call | None
    ctx: str


@dataclass(frozen=True)
class ModuleV:
    module: str


@dataclass(frozen=True)
class FuncV:
    qual: str


@dataclass(frozen=True)
class ExtV:
    """A name outside the project (a library): ``boto3.client``, ``json.dumps``."""

    name: str


@dataclass(frozen=True)
class BoundV:
    base: Value
    name: str


@dataclass(frozen=True)
class ReaderV:
    """A django-environ / environs / decouple object: calling it reads a variable."""

    constructor: str
    defaults: tuple[tuple[str, Expr], ...]
    ctx: str


@dataclass(frozen=True)
class DictV:
    items: tuple[tuple[Expr | None, Expr], ...]
    ctx: str


@dataclass(frozen=True)
class SeqV:
    items: tuple[Expr, ...]
    ctx: str


Value = (
    Text
    | Unknown
    | Obj
    | ClassV
    | InstanceV
    | ModuleV
    | FuncV
    | ExtV
    | BoundV
    | ReaderV
    | DictV
    | SeqV
)


# --- the project's modules ------------------------------------------------------------------


@dataclass(frozen=True)
class ClassInfo:
    facts: PythonFacts
    cls: ClassDef


class ProjectIndex:
    """Modules by path-derived name and by every dotted suffix of it."""

    def __init__(self, facts: Sequence[PythonFacts]) -> None:
        self.modules: dict[str, PythonFacts] = {}
        for item in sorted(facts, key=lambda f: f.path):
            self.modules.setdefault(item.module, item)
        self._suffixes: dict[str, list[str]] = {}
        for name in self.modules:
            parts = name.split(".")
            for start in range(len(parts)):
                self._suffixes.setdefault(".".join(parts[start:]), []).append(name)
        self._heads: dict[str, set[str]] = {}
        self._owners: dict[tuple[str, str], str | None] = {}
        self.bindings: dict[str, dict[str, list[Binding]]] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.stars: dict[str, list[str]] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, tuple[PythonFacts, FunctionDef]] = {}
        for name, item in self.modules.items():
            table: dict[str, list[Binding]] = {}
            for binding in item.bindings:
                table.setdefault(binding.name, []).append(binding)
            self.bindings[name] = table
            self.aliases[name] = {i.alias: i.target for i in item.imports if not i.star}
            self.stars[name] = [i.target for i in item.imports if i.star]
            for cls in item.classes:
                self.classes[cls.name] = ClassInfo(item, cls)
            for function in item.functions:
                self.functions[function.name] = (item, function)

    def file_of(self, module: str) -> str:
        found = self.modules.get(module)
        return found.path if found is not None else module

    def find_module(self, dotted: str, near: str) -> str | None:
        """The project module a dotted module name means, seen from module ``near``."""
        if dotted in self.modules and not dotted.startswith("."):
            candidates = [dotted, *[m for m in self._suffixes.get(dotted, []) if m != dotted]]
        else:
            candidates = self._suffixes.get(dotted, [])
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        return max(candidates, key=lambda m: (_common_prefix(m, near), -len(m), m))

    def split(self, target: str, near: str) -> tuple[str, list[str]] | None:
        """``pkg.mod.NAME.attr`` -> (module ``…pkg.mod``, [NAME, attr]); longest module wins."""
        parts = target.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:cut]), near)
            if module is not None:
                return module, parts[cut:]
        return None

    def class_info(self, qual: str) -> ClassInfo | None:
        return self.classes.get(qual)

    def defines(self, module: str, head: str) -> bool:
        """Whether ``module`` itself binds the name ``head`` (assignment, def, class, import)."""
        heads = self._heads.get(module)
        if heads is None:
            heads = {name.split(".", 1)[0].removesuffix("()") for name in self.bindings[module]}
            heads.update(self.aliases.get(module, {}))
            prefix = f"{module}."
            heads.update(
                q[len(prefix) :].split(".", 1)[0]
                for q in (*self.classes, *self.functions)
                if q.startswith(prefix)
            )
            self._heads[module] = heads
        return head in heads

    def star_owner(self, module: str, head: str) -> str | None:
        """The module that ``from x import *`` chains (breadth first, each module once)
        bring ``head`` from into ``module``; cycles and fan-outs cost one visit each."""
        key = (module, head)
        if key in self._owners:
            return self._owners[key]
        seen = {module}
        queue = list(self.stars.get(module, []))
        found: str | None = None
        origin = module
        while queue and found is None:
            target = self.find_module(queue.pop(0), origin)
            if target is None or target in seen:
                continue
            seen.add(target)
            if self.defines(target, head):
                found = target
            else:
                queue.extend(self.stars.get(target, []))
        self._owners[key] = found
        return found


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        count += 1
    return count


# --- evaluation -----------------------------------------------------------------------------


class Evaluator:
    def __init__(self, index: ProjectIndex, env: EnvLookup) -> None:
        self.index = index
        self.env = env
        self.catalog: ClientCatalog = client_catalog()
        self.readers: Readers = readers()
        self.frameworks: Frameworks = frameworks()
        self._stack: list[tuple[str, str]] = []
        self._memo: dict[tuple[str, str], tuple[Value, ...]] = {}
        self._settings: list[str] | None = None

    def ref(self, module: str, line: int | None, note: str) -> SourceRef:
        return SourceRef(self.index.file_of(module), line, note)

    # ---- entry points ----
    def eval(self, expr: Expr | None, ctx: str) -> tuple[Value, ...]:
        if expr is None:
            return ()
        if len(self._stack) > MAX_DEPTH:
            return (Unknown("the value is defined too indirectly to follow", ()),)
        values = self._eval(expr, ctx)
        return tuple(dict.fromkeys(values))[:MAX_VALUES]

    def texts(self, expr: Expr | None, ctx: str) -> tuple[Text | Unknown, ...]:
        return self.as_texts(self.eval(expr, ctx))

    @staticmethod
    def as_texts(values: Sequence[Value]) -> tuple[Text | Unknown, ...]:
        return tuple(v for v in values if isinstance(v, (Text, Unknown)))

    def resolve(self, target: str, near: str, line: int | None = None) -> tuple[Value, ...]:
        key = (target, near)
        if key in self._memo:
            return self._memo[key]
        if key in self._stack:
            return (Unknown(f"{target} is defined in terms of itself", ()),)
        if len(self._stack) > MAX_DEPTH:
            return (Unknown(f"{target} is defined too indirectly to follow", ()),)
        self._stack.append(key)
        try:
            values = self._resolve(target, near, line)
        finally:
            self._stack.pop()
        values = tuple(dict.fromkeys(values))[:MAX_VALUES]
        self._memo[key] = values
        return values

    # ---- names ----
    def _resolve(self, target: str, near: str, line: int | None) -> tuple[Value, ...]:
        settings_object = self.frameworks.django_settings_object
        if target.startswith(settings_object + "."):
            setting = target[len(settings_object) + 1 :]
            found: list[Value] = []
            for module in self.django_settings_modules():
                found.extend(
                    v
                    for v in self.resolve(f"{module}.{setting}", module, line)
                    if not isinstance(v, Unknown)
                )
            if found:
                return tuple(found)
            reason = f"Django setting {setting} is not defined in the project's settings"
            return (Unknown(reason, (self.ref(near, line, reason),)),)
        split = self.index.split(target, near)
        if split is None:
            return (ExtV(target),)
        module, rest = split
        if not rest:
            return (ModuleV(module),)
        return self._member(module, rest, near, line)

    def _member(
        self, module: str, rest: list[str], near: str, line: int | None
    ) -> tuple[Value, ...]:
        bindings = self.index.bindings.get(module, {})
        for cut in range(len(rest), 0, -1):
            name = ".".join(rest[:cut])
            remaining = rest[cut:]
            if name in bindings:
                values: list[Value] = []
                for binding in bindings[name]:
                    values.extend(self.eval(binding.value, module))
                return self._attrs(tuple(values), remaining, module)
            qual = f"{module}.{name}"
            if qual in self.index.classes:
                return self._attrs((ClassV(qual),), remaining, module)
            if qual in self.index.functions:
                return self._attrs((FuncV(qual),), remaining, module)
        head = rest[0]
        alias = self.index.aliases.get(module, {}).get(head)
        if alias is not None:
            return self.resolve(".".join([alias, *rest[1:]]), module, line)
        owner = self.index.star_owner(module, head)
        if owner is not None:
            return self._member(owner, rest, near, line)
        where = self.ref(near, line, f"{'.'.join(rest)} is not defined in {module}")
        return (Unknown(f"{'.'.join(rest)} is not defined in {module}", (where,)),)

    def _attrs(self, values: tuple[Value, ...], names: list[str], ctx: str) -> tuple[Value, ...]:
        for name in names:
            values = tuple(v for value in values for v in self.attribute(value, name, ctx))
        return values

    # ---- attribute access, subscripts and calls on values ----
    def attribute(self, value: Value, name: str, ctx: str) -> tuple[Value, ...]:
        if isinstance(value, ModuleV):
            return self.resolve(f"{value.module}.{name}", ctx)
        if isinstance(value, ClassV):
            if name in self.frameworks.django_managers and self._is_django(value.qual):
                return (Obj("django.manager", (), self._class_ref(value.qual), value.qual),)
            return self.resolve(f"{value.qual}.{name}", ctx)
        if isinstance(value, InstanceV):
            return self.resolve(f"{value.qual}.{name}", ctx)
        if isinstance(value, Obj):
            rule = self.catalog.method(value.type, "attribute")
            is_method = self.catalog.method(value.type, "method", name) is not None or (
                self.catalog.write(value.type, name) is not None
            )
            if rule is not None and rule.role is not None and not is_method:
                text = Text(name, (value.ref,))
                return (self._derive(value, rule.type or value.type, ((rule.role, (text,)),)),)
            return (BoundV(value, name),)
        if isinstance(value, (ReaderV, ExtV)):
            if isinstance(value, ExtV):
                return (ExtV(f"{value.name}.{name}"),)
            return (BoundV(value, name),)
        if isinstance(value, Unknown):
            return (value,)
        return (Unknown(f"attribute {name} of a computed value", ()),)

    def item(self, value: Value, key: Expr, ctx: str, line: int) -> tuple[Value, ...]:
        if isinstance(value, DictV):
            wanted = self.texts(key, ctx)
            found: list[Value] = []
            for k, v in value.items:
                if k is None:
                    continue
                keys = self.texts(k, value.ctx)
                if any(
                    isinstance(a, Text) and isinstance(b, Text) and a.value == b.value
                    for a in keys
                    for b in wanted
                ):
                    found.extend(self.eval(v, value.ctx))
            return tuple(found) or (Unknown("the key is not in the dict", ()),)
        if isinstance(value, SeqV):
            found = []
            for element in value.items:
                found.extend(self.eval(element, value.ctx))
            return tuple(found)
        if isinstance(value, Obj):
            rule = self.catalog.method(value.type, "item")
            if rule is not None and rule.role is not None:
                return (
                    self._derive(
                        value, rule.type or value.type, ((rule.role, self.eval(key, ctx)),)
                    ),
                )
        if isinstance(value, Unknown):
            return (value,)
        return (Unknown("an element of a computed value", (self.ref(ctx, line, "subscript"),)),)

    def call(self, func: Value, call: Call, ctx: str) -> tuple[Value, ...]:
        here = self.ref(ctx, call.line, "call")
        if isinstance(func, ExtV):
            return self._call_external(func.name, call, ctx)
        if isinstance(func, ClassV):
            if func.qual in self.index.classes:
                return (InstanceV(func.qual, call, ctx),)
            return (Unknown(f"an instance of {func.qual}", (here,)),)
        if isinstance(func, FuncV):
            return self.resolve(f"{func.qual}()", ctx, call.line)
        if isinstance(func, ReaderV):
            return self._reader(func, "__call__", call, ctx)
        if isinstance(func, Obj):
            rule = self.catalog.method(func.type, "call")
            if rule is not None:
                return (self._make(func, rule.type, rule.dispatch, rule.roles, (), call, ctx),)
        if isinstance(func, BoundV):
            base = func.base
            if isinstance(base, ReaderV):
                return self._reader(base, func.name, call, ctx)
            if isinstance(base, Obj):
                return self._method(base, func.name, call, ctx)
        if isinstance(func, Unknown):
            return (func,)
        return (Unknown("the result of a call the analysis does not model", (here,)),)

    def _method(self, obj: Obj, name: str, call: Call, ctx: str) -> tuple[Value, ...]:
        if obj.type == "django.manager" and obj.model is not None:
            if name in self.frameworks.django_queryset_methods:
                return (obj,)
            if name in self.frameworks.django_instance_methods:
                return (InstanceV(obj.model, None, ctx),)
        rule = self.catalog.method(obj.type, "method", name)
        if rule is None:
            return (Unknown(f"{name}() of {obj.type}", (self.ref(ctx, call.line, name),)),)
        return (self._make(obj, rule.type, rule.dispatch, rule.roles, (), call, ctx),)

    def _call_external(self, name: str, call: Call, ctx: str) -> tuple[Value, ...]:
        constructor = self.catalog.constructor(name)
        if constructor is not None:
            made = self._make(
                None,
                constructor.type,
                constructor.dispatch,
                constructor.roles,
                constructor.fixed,
                call,
                ctx,
            )
            return (made,)
        if self.readers.instance(name) is not None:
            instance = self.readers.instance(name)
            assert instance is not None
            defaults = tuple_defaults(call.kwargs) if instance.scheme == "tuple_default" else ()
            return (ReaderV(name, defaults, ctx),)
        if name in self.frameworks.dependency_markers and call.args:
            dependency = call.args[0]
            return self.eval(Call(dependency, (), (), call.line), ctx)
        if name in self.frameworks.declarative_factories:
            return (ExtV("sqlalchemy.orm.DeclarativeBase"),)
        return (Unknown(f"the result of {name}()", (self.ref(ctx, call.line, name),)),)

    def _reader(self, reader: ReaderV, method: str, call: Call, ctx: str) -> tuple[Value, ...]:
        instance = self.readers.instance(reader.constructor)
        spec = instance.method(method) if instance is not None else None
        if instance is None or spec is None:
            return (Unknown(f"{reader.constructor}.{method}()", ()),)
        read = instance_read(
            spec, instance.reader, reader.defaults, call.args, call.kwargs, call.line
        )
        return self.eval(read, ctx) if read is not None else (Unknown("a variable read", ()),)

    def _make(
        self,
        base: Obj | None,
        type_: str | None,
        dispatch: Dispatch | None,
        roles: Sequence[tuple[str, ArgSpec]],
        fixed: Sequence[tuple[str, str]],
        call: Call,
        ctx: str,
    ) -> Value:
        here = self.ref(ctx, call.line, "client")
        if type_ is None:
            assert dispatch is not None
            chosen = [
                t.value
                for t in self.texts(argument(dispatch.spec, call.args, call.kwargs), ctx)
                if isinstance(t, Text)
            ]
            types = [dispatch.type_for(c) for c in chosen]
            type_ = next((t for t in types if t), None)
            if type_ is None:
                return Unknown("a client of a service that stores nothing here", (here,))
        new_roles: list[tuple[str, tuple[Value, ...]]] = []
        for role, spec in roles:
            value = argument(spec, call.args, call.kwargs)
            if value is None:
                continue
            evaluated = self.eval(value, ctx)
            for item in evaluated:
                if isinstance(item, Obj):  # an engine or URL object: its roles carry over
                    new_roles.extend(item.roles)
            plain = tuple(v for v in evaluated if not isinstance(v, Obj))
            if plain:
                new_roles.append((role, plain))
        new_roles.extend((role, (Text(value, (here,)),)) for role, value in fixed)
        ref = here if base is None else base.ref
        made = Obj(type_, (*(base.roles if base else ()), *new_roles), ref)
        if base is not None and base.model:
            made = replace(made, model=base.model)
        return made

    def _derive(
        self, base: Obj, type_: str, roles: tuple[tuple[str, tuple[Value, ...]], ...]
    ) -> Obj:
        return Obj(type_, (*base.roles, *roles), base.ref, base.model)

    def with_roles(
        self, obj: Obj, roles: Sequence[tuple[str, ArgSpec]], call: Call, ctx: str
    ) -> Obj:
        """``obj`` with the roles a write call adds (``put_object(Bucket=...)``)."""
        extra: list[tuple[str, tuple[Value, ...]]] = []
        for role, spec in roles:
            value = argument(spec, call.args, call.kwargs)
            if value is not None:
                extra.append((role, self.eval(value, ctx)))
        return Obj(obj.type, (*obj.roles, *extra), obj.ref, obj.model)

    def django_settings_modules(self) -> list[str]:
        """Modules that bind DATABASES / INSTALLED_APPS, and those star-importing one."""
        if self._settings is None:
            names = set(self.frameworks.django_settings_names)
            direct = [m for m, b in sorted(self.index.bindings.items()) if names & set(b)]
            found = list(direct)
            for module, stars in sorted(self.index.stars.items()):
                if module in found:
                    continue
                if any(self.index.find_module(star, module) in direct for star in stars):
                    found.append(module)
            self._settings = found
        return self._settings

    # ---- classes ----
    def _class_ref(self, qual: str) -> SourceRef:
        info = self.index.classes.get(qual)
        if info is None:
            return SourceRef(qual, None, "class")
        return SourceRef(
            info.facts.path, info.cls.line, f"class {info.cls.name.rsplit('.', 1)[-1]}"
        )

    def base_names(self, qual: str) -> tuple[str, ...]:
        """Every base of a project class, followed through the project's own classes."""
        seen: list[str] = []
        pending = [qual]
        while pending:
            current = pending.pop()
            info = self.index.classes.get(current)
            if info is None:
                continue
            for base in info.cls.bases:
                resolved = self._class_target(base, info.facts.module)
                for name in resolved:
                    if name not in seen:
                        seen.append(name)
                        pending.append(name)
        return tuple(seen)

    def _class_target(self, base: str, near: str) -> tuple[str, ...]:
        if not base:
            return ()
        found: list[str] = []
        for value in self.resolve(base, near):
            if isinstance(value, ClassV):
                found.append(value.qual)
            elif isinstance(value, ExtV):
                found.append(value.name)
            elif isinstance(value, Unknown):
                found.append(base)
        return tuple(found) or (base,)

    def _is_django(self, qual: str) -> bool:
        return any(self.frameworks.orm_framework(b) == "django" for b in self.base_names(qual))

    def find_class(self, target: str, near: str) -> str | None:
        for value in self.resolve(target, near):
            if isinstance(value, ClassV):
                return value.qual
        return None

    # ---- the expression language ----
    def _eval(self, expr: Expr, ctx: str) -> tuple[Value, ...]:
        if isinstance(expr, Lit):
            shown = mask_password(expr.value) if expr.kind == "str" else expr.value
            return (Text(expr.value, (self.ref(ctx, expr.line, f'"{shown}"'),)),)
        if isinstance(expr, Env):
            return self._env(expr, ctx)
        if isinstance(expr, Ref):
            return self.resolve(expr.target, ctx, expr.line)
        if isinstance(expr, Join):
            return self._join(expr, ctx)
        if isinstance(expr, Alt):
            found: list[Value] = []
            for option in expr.options:
                option_values = self.eval(option, ctx)
                found.extend(option_values)
                if expr.first_wins and option_values and all(_deployed(v) for v in option_values):
                    break  # `a or b` with `a` set where the code is deployed: b never applies
            return tuple(found)
        if isinstance(expr, Param):
            return self._param(expr, ctx)
        if isinstance(expr, Call):
            values: list[Value] = []
            for func in self.eval(expr.func, ctx):
                values.extend(self.call(func, expr, ctx))
            return tuple(values)
        if isinstance(expr, Attr):
            return tuple(
                v
                for base in self.eval(expr.base, ctx)
                for v in self.attribute(base, expr.name, ctx)
            )
        if isinstance(expr, Item):
            return tuple(
                v
                for base in self.eval(expr.base, ctx)
                for v in self.item(base, expr.key, ctx, expr.line)
            )
        if isinstance(expr, DictE):
            return (DictV(expr.items, ctx),)
        if isinstance(expr, Seq):
            return (SeqV(expr.items, ctx),)
        assert isinstance(expr, Opaque)
        reason = f"`{expr.text}` is computed at run time"
        return (Unknown(reason, (self.ref(ctx, expr.line, reason),)),)

    def _env(self, expr: Env, ctx: str) -> tuple[Value, ...]:
        here = self.ref(ctx, expr.line, f"reads environment variable {expr.name} ({expr.reader})")
        found = self.env.get(expr.name)
        set_values = [v for v in found if v.value is not None]
        if set_values:
            return tuple(
                Text(v.value or "", (here, v.source), v.origin, v.namespace) for v in set_values
            )
        if found:  # set by the deployment, from a place the repository does not hold
            refs = (here, *(v.source for v in found))
            return (
                Unknown(f"{expr.name} is set from a place that is not in the repository", refs),
            )
        if expr.default is not None:
            values: list[Value] = []
            for value in self.eval(expr.default, ctx):
                if isinstance(value, Text) and value.origin == "code":
                    at = value.refs[0] if value.refs else self.ref(ctx, expr.line, "")
                    shown = mask_password(value.value)
                    default = SourceRef(at.file, at.line, f'default of {expr.name}: "{shown}"')
                    values.append(
                        replace(value, refs=(here, default, *value.refs[1:]), origin="default")
                    )
                else:
                    values.append(value)
            if values:
                return tuple(values)
        reason = f"environment variable {expr.name} is not set anywhere in the repository"
        return (Unknown(reason, (here,)),)

    def _join(self, expr: Join, ctx: str) -> tuple[Value, ...]:
        options: list[list[Text]] = []
        for part in expr.parts:
            texts: list[Text] = []
            for value in self.eval(part, ctx):
                if isinstance(value, Text):
                    texts.append(value)
                elif isinstance(value, Unknown):
                    texts.append(Text(PLACEHOLDER, value.refs, gaps=(value.reason,)))
            options.append(
                texts or [Text(PLACEHOLDER, (), gaps=("a part is computed at run time",))]
            )
        results: list[Value] = []
        for combo in itertools.islice(itertools.product(*options), MAX_VALUES):
            refs = tuple(dict.fromkeys(r for t in combo for r in t.refs))
            origins = [t.origin for t in combo if t.origin != "code"]
            namespaces = [t.namespace for t in combo if t.namespace]
            results.append(
                Text(
                    "".join(t.value for t in combo),
                    refs,
                    origins[0] if origins else "code",
                    namespaces[0] if namespaces else None,
                    tuple(dict.fromkeys(g for t in combo for g in t.gaps)),
                )
            )
        return tuple(results)

    def _param(self, expr: Param, ctx: str) -> tuple[Value, ...]:
        if isinstance(expr.default, Call):
            defaults = self.eval(expr.default, ctx)
            if any(isinstance(v, Obj) for v in defaults):  # Depends(get_db)
                return defaults
        if expr.annotation is not None:
            annotated = self._annotated(expr.annotation, ctx, expr.line)
            if annotated:
                return annotated
        reason = f"parameter {expr.name} is given by the caller"
        return (Unknown(reason, (self.ref(ctx, expr.line, reason),)),)

    def _annotated(self, annotation: Expr, ctx: str, line: int) -> tuple[Value, ...]:
        """A parameter typed ``Session`` is a session; typed with a project class, an
        instance of it; ``list[Customer]`` holds instances (documents read them)."""
        if isinstance(annotation, Item):
            return (
                self._annotated(annotation.key, ctx, line) if _is_container(annotation.base) else ()
            )
        if isinstance(annotation, Seq):
            return tuple(v for item in annotation.items for v in self._annotated(item, ctx, line))
        for value in self.eval(annotation, ctx):
            if isinstance(value, ExtV):
                constructor = self.catalog.constructor(value.name)
                if constructor is not None and constructor.type:
                    return (Obj(constructor.type, (), self.ref(ctx, line, "parameter")),)
            if isinstance(value, ClassV):
                return (InstanceV(value.qual, None, ctx),)
        return ()

    # ---- helpers for documents ----
    def deref(self, expr: Expr, ctx: str) -> Iterator[tuple[Expr, str]]:
        """An expression with names replaced by what they are bound to (one level per
        step, across modules), for readers that need the written form (dict keys)."""
        if isinstance(expr, Ref):
            split = self.index.split(expr.target, ctx)
            if split is None:
                yield expr, ctx
                return
            module, rest = split
            bindings = self.index.bindings.get(module, {})
            name = ".".join(rest)
            if name in bindings:
                for binding in bindings[name]:
                    yield binding.value, module
                return
            alias = self.index.aliases.get(module, {}).get(rest[0]) if rest else None
            if alias is not None and (alias, module) not in self._stack:
                self._stack.append((alias, module))
                try:
                    yield from self.deref(Ref(".".join([alias, *rest[1:]]), expr.line), module)
                finally:
                    self._stack.pop()
                return
        yield expr, ctx


def _deployed(value: Value) -> bool:
    return isinstance(value, Text) and bool(value.value) and value.origin not in ("code", "default")


def _is_container(expr: Expr) -> bool:
    return isinstance(expr, Ref) and expr.target.rsplit(".", 1)[-1] in (
        "list",
        "List",
        "Sequence",
        "Iterable",
        "tuple",
        "Tuple",
        "set",
        "Optional",
        "Annotated",
    )
