"""The Python analysis's data tables, loaded once and checked as they load.

The tables (``data/*.yaml``) say which library calls construct store clients, how a client
reaches a bucket or a collection, which calls write and what they write, how code reads the
environment, which classes are models, and where code says whose data it handles. Code in
this package interprets them; adding a library is a data change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from residency_audit.datafiles import load_yaml
from residency_audit.personal_data.identifiers import (
    MARKER_CONTEXTS,
    MARKER_STRENGTHS,
    SubjectMarker,
)

_PACKAGE = "residency_audit.sources.python"

FIELD_MODES = frozenset(
    {
        "keys",
        "document",
        "documents",
        "model",
        "models",
        "statement",
        "sql",
        "names",
        "name",
        "kwargs",
        "mongo_update",
        "dynamo_update",
    }
)
IDENTITIES = frozenset(
    {"bucket", "table", "host", "host_database", "account_container", "project_dataset", "arn"}
)
# The report's store kinds this package produces (terraform/data/resources/_vocabulary.yaml).
STORE_KINDS = frozenset(
    {"object_storage", "relational_db", "document_db", "key_value", "cache", "search", "warehouse"}
)
ROLES = frozenset(
    {
        "region",
        "endpoint",
        "dsn",
        "host",
        "port",
        "database",
        "scheme",
        "bucket",
        "table",
        "collection",
        "index",
        "container",
        "account_url",
        "account_name",
        "connection_string",
        "project",
        "location",
        "arn",
        "bind",
    }
)


class CatalogError(ValueError):
    """A shipped table is malformed: a packaging bug, never user input."""


# --- shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgSpec:
    """Where an argument is: positional index (receiver excluded) and/or keyword names."""

    arg: int | None
    kws: tuple[str, ...]


@dataclass(frozen=True)
class Dispatch:
    spec: ArgSpec
    types: tuple[tuple[str, str], ...]

    def type_for(self, value: str) -> str | None:
        return dict(self.types).get(value)


@dataclass(frozen=True)
class Constructor:
    calls: tuple[str, ...]
    type: str | None
    dispatch: Dispatch | None
    roles: tuple[tuple[str, ArgSpec], ...]
    fixed: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MethodRule:
    """``x.method(...)`` (or ``x[key]``, ``x.name``, ``x(...)``) on an object of type ``on``."""

    on: str
    form: str  # method | item | attribute | call
    methods: tuple[str, ...]
    type: str | None
    dispatch: Dispatch | None
    roles: tuple[tuple[str, ArgSpec], ...]
    role: str | None  # item/attribute rows: the role the key or name gives


@dataclass(frozen=True)
class FieldSpec:
    spec: ArgSpec | None  # None: the call's keyword arguments (kwargs) or the receiver (model)
    mode: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class WriteRule:
    on: tuple[str, ...]
    methods: tuple[str, ...]
    roles: tuple[tuple[str, ArgSpec], ...]
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class WriteFunction:
    calls: tuple[str, ...]
    client_arg: int
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Service:
    name: str
    kind: str
    scheme: str
    identity: str
    provider: str | None
    implicit_env: tuple[tuple[str, tuple[str, ...]], ...]
    matches: tuple[str, ...]
    unknown: str


@dataclass(frozen=True, eq=False)
class ClientCatalog:
    constructors: tuple[Constructor, ...]
    methods: tuple[MethodRule, ...]
    writes: tuple[WriteRule, ...]
    write_functions: tuple[WriteFunction, ...]
    services: tuple[Service, ...]
    schemes: tuple[tuple[str, str], ...]  # spelling -> scheme
    _index: _Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = _Index(
            constructors={call: row for row in self.constructors for call in row.calls},
            methods={
                (row.on, row.form, name): row
                for row in self.methods
                for name in (row.methods or ("",))
            },
            writes={(on, m): row for row in self.writes for on in row.on for m in row.methods},
            write_functions={c: row for row in self.write_functions for c in row.calls},
            services={s.name: s for s in self.services},
            schemes=dict(self.schemes),
        )
        object.__setattr__(self, "_index", index)

    def constructor(self, call: str) -> Constructor | None:
        return self._index.constructors.get(call)

    def method(self, on: str, form: str, name: str = "") -> MethodRule | None:
        return self._index.methods.get((on, form, name))

    def write(self, on: str, method: str) -> WriteRule | None:
        return self._index.writes.get((on, method))

    def write_function(self, call: str) -> WriteFunction | None:
        return self._index.write_functions.get(call)

    def service(self, name: str) -> Service | None:
        return self._index.services.get(name)

    def scheme(self, spelling: str) -> str | None:
        """The store scheme of a URL scheme or Django ENGINE/BACKEND (``postgres+asyncpg``
        -> ``postgresql``); None when it is not a known store."""
        text = spelling.strip().lower()
        table = self._index.schemes
        if text in table:
            return table[text]
        return table.get(text.split("+", 1)[0])

    @property
    def write_methods(self) -> frozenset[str]:
        return frozenset(m for rule in self.writes for m in rule.methods)

    @property
    def constructor_calls(self) -> frozenset[str]:
        return frozenset(self._index.constructors)

    @property
    def write_function_calls(self) -> frozenset[str]:
        return frozenset(self._index.write_functions)


@dataclass(frozen=True)
class _Index:
    constructors: dict[str, Constructor]
    methods: dict[tuple[str, str, str], MethodRule]
    writes: dict[tuple[str, str], WriteRule]
    write_functions: dict[str, WriteFunction]
    services: dict[str, Service]
    schemes: dict[str, str]


# --- readers, frameworks, hosts, signals ------------------------------------------------------


@dataclass(frozen=True)
class ReaderCall:
    calls: tuple[str, ...]
    name: ArgSpec | None
    default: ArgSpec | None
    value: ArgSpec | None  # dj_database_url.parse(url): the value itself
    implied: str | None
    reader: str


@dataclass(frozen=True)
class ReaderMethod:
    name: ArgSpec
    default: ArgSpec
    implied: str | None


@dataclass(frozen=True)
class ReaderInstance:
    constructors: tuple[str, ...]
    scheme: str  # tuple_default | none
    reader: str
    methods: tuple[tuple[str, ReaderMethod], ...]

    def method(self, name: str) -> ReaderMethod | None:
        return dict(self.methods).get(name)


@dataclass(frozen=True)
class Readers:
    functions: tuple[ReaderCall, ...]
    instances: tuple[ReaderInstance, ...]
    settings_bases: tuple[str, ...]

    def function(self, call: str) -> ReaderCall | None:
        return next((f for f in self.functions if call in f.calls), None)

    def instance(self, constructor: str) -> ReaderInstance | None:
        return next((i for i in self.instances if constructor in i.constructors), None)


@dataclass(frozen=True)
class StorageBackend:
    backends: tuple[str, ...]
    service: str
    settings: tuple[tuple[str, str], ...]  # role -> setting name
    options: tuple[tuple[str, str], ...]  # role -> STORAGES OPTIONS key


@dataclass(frozen=True)
class Frameworks:
    orm_bases: tuple[tuple[str, str], ...]  # qualified base -> framework
    sqlmodel_bases: tuple[str, ...]
    declarative_factories: tuple[str, ...]
    inherited_fields: tuple[tuple[str, tuple[str, ...]], ...]
    document_bases: tuple[str, ...]
    document_decorators: tuple[str, ...]
    relation_factories: tuple[str, ...]
    file_factories: tuple[str, ...]
    column_name_options: tuple[str, ...]
    django_managers: tuple[str, ...]
    django_queryset_methods: tuple[str, ...]
    django_instance_methods: tuple[str, ...]
    django_settings_names: tuple[str, ...]
    django_settings_object: str
    django_databases: str
    django_caches: str
    django_storage_settings: tuple[str, ...]
    storage_backends: tuple[StorageBackend, ...]
    dependency_markers: tuple[str, ...]

    def orm_framework(self, base: str) -> str | None:
        return dict(self.orm_bases).get(base)

    def storage_backend(self, name: str) -> StorageBackend | None:
        return next((b for b in self.storage_backends if name in b.backends), None)


@dataclass(frozen=True)
class Hosts:
    kubernetes_service_suffixes: tuple[str, ...]
    loopback_hosts: tuple[str, ...]


@dataclass(frozen=True)
class CodeMarker(SubjectMarker):
    """A subject marker only code can show (signals.yaml); its examples stay loaded so the
    tests can check them against the prefilter's byte patterns."""

    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContextCall:
    calls: tuple[str, ...]
    spec: ArgSpec
    context: str


@dataclass(frozen=True)
class Signals:
    context_tokens: tuple[tuple[str, tuple[str, ...]], ...]
    context_calls: tuple[ContextCall, ...]
    code_markers: tuple[CodeMarker, ...]
    prefilter_patterns: tuple[bytes, ...]
    model_patterns: tuple[bytes, ...]
    marker_patterns: tuple[bytes, ...]

    def context_of_tokens(self, tokens: Iterable[str]) -> str | None:
        words = set(tokens)
        for context, names in self.context_tokens:
            if words.intersection(names):
                return context
        return None

    def context_call(self, call: str) -> ContextCall | None:
        return next((c for c in self.context_calls if call in c.calls), None)


# --- loading --------------------------------------------------------------------------------


def _read(name: str) -> Any:
    text = resources.files(_PACKAGE).joinpath(f"data/{name}").read_text("utf-8")
    return load_yaml(text)  # libyaml when present: the pure-Python loader took 0.2 s a scan


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CatalogError(f"{where}: expected a string or a list of strings, got {value!r}")


def _keys(row: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = set(row) - allowed
    if extra:
        raise CatalogError(f"{where}: unknown keys {sorted(extra)}")


def _spec(value: Any, where: str) -> ArgSpec:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: an argument spec is a mapping, got {value!r}")
    _keys(value, {"arg", "kw"}, where)
    arg = value.get("arg")
    if arg is not None and (not isinstance(arg, int) or arg < 0):
        raise CatalogError(f"{where}: arg must be a non-negative index")
    kws = _strings(value.get("kw"), where)
    if arg is None and not kws:
        raise CatalogError(f"{where}: an argument spec needs arg or kw")
    return ArgSpec(arg, kws)


def _roles(value: Any, where: str) -> tuple[tuple[str, ArgSpec], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: roles must be a mapping")
    for role in value:
        if role not in ROLES:
            raise CatalogError(f"{where}: unknown role {role!r}")
    return tuple((str(k), _spec(v, f"{where} role {k}")) for k, v in value.items())


def _dispatch(value: Any, where: str) -> Dispatch | None:
    if value is None:
        return None
    _keys(value, {"arg", "kw", "map"}, where)
    spec = _spec({k: v for k, v in value.items() if k != "map"}, where)
    mapping = value.get("map")
    if not isinstance(mapping, dict) or not mapping:
        raise CatalogError(f"{where}: dispatch needs a map")
    return Dispatch(spec, tuple((str(k), str(v)) for k, v in mapping.items()))


def _fields(value: Any, where: str) -> tuple[FieldSpec, ...]:
    fields: list[FieldSpec] = []
    for index, row in enumerate(value or ()):
        at = f"{where} field {index}"
        _keys(row, {"arg", "kw", "as", "path"}, at)
        mode = str(row.get("as"))
        if mode not in FIELD_MODES:
            raise CatalogError(f"{at}: unknown mode {mode!r}")
        has_spec = "arg" in row or "kw" in row
        if not has_spec and mode not in ("kwargs", "model"):
            raise CatalogError(f"{at}: mode {mode} needs arg or kw")
        spec = _spec({k: row[k] for k in ("arg", "kw") if k in row}, at) if has_spec else None
        fields.append(FieldSpec(spec, mode, _strings(row.get("path"), at)))
    return tuple(fields)


def _result(row: Mapping[str, Any], where: str) -> tuple[str | None, Dispatch | None]:
    type_ = row.get("type")
    dispatch = _dispatch(row.get("dispatch"), f"{where} dispatch")
    if (type_ is None) == (dispatch is None):
        raise CatalogError(f"{where}: give exactly one of type and dispatch")
    return (str(type_) if type_ is not None else None), dispatch


@cache
def client_catalog() -> ClientCatalog:
    data = _read("clients.yaml")
    constructors: list[Constructor] = []
    for index, row in enumerate(data["constructors"]):
        where = f"clients.yaml constructor {index}"
        _keys(row, {"calls", "type", "dispatch", "roles", "fixed"}, where)
        type_, dispatch = _result(row, where)
        fixed = row.get("fixed") or {}
        constructors.append(
            Constructor(
                calls=_strings(row["calls"], where),
                type=type_,
                dispatch=dispatch,
                roles=_roles(row.get("roles"), where),
                fixed=tuple((str(k), str(v)) for k, v in fixed.items()),
            )
        )
    methods: list[MethodRule] = []
    for index, row in enumerate(data["methods"]):
        where = f"clients.yaml method {index}"
        _keys(
            row,
            {
                "receiver",
                "method",
                "item",
                "attribute",
                "call",
                "type",
                "dispatch",
                "roles",
                "role",
            },
            where,
        )
        forms = [f for f in ("item", "attribute", "call") if row.get(f)]
        form = forms[0] if forms else "method"
        names = _strings(row.get("method"), where)
        if (form == "method") != bool(names):
            raise CatalogError(f"{where}: method rows name methods, other forms none")
        role = row.get("role")
        if form in ("item", "attribute") and role not in ROLES:
            raise CatalogError(f"{where}: {form} rows need a known role")
        type_, dispatch = _result(row, where)
        methods.append(
            MethodRule(
                on=str(row["receiver"]),
                form=form,
                methods=names,
                type=type_,
                dispatch=dispatch,
                roles=_roles(row.get("roles"), where),
                role=str(role) if role else None,
            )
        )
    writes = []
    for index, row in enumerate(data["writes"]):
        where = f"clients.yaml write {index}"
        _keys(row, {"receiver", "method", "roles", "fields"}, where)
        writes.append(
            WriteRule(
                on=_strings(row["receiver"], where),
                methods=_strings(row["method"], where),
                roles=_roles(row.get("roles"), where),
                fields=_fields(row.get("fields"), where),
            )
        )
    functions = []
    for index, row in enumerate(data["write_functions"]):
        where = f"clients.yaml write function {index}"
        _keys(row, {"calls", "client_arg", "fields"}, where)
        functions.append(
            WriteFunction(
                _strings(row["calls"], where), int(row["client_arg"]), _fields(row["fields"], where)
            )
        )
    services = []
    for name, row in data["services"].items():
        where = f"clients.yaml service {name}"
        _keys(
            row,
            {"kind", "scheme", "identity", "provider", "implicit_env", "matches", "unknown"},
            where,
        )
        if row["kind"] not in STORE_KINDS or row["identity"] not in IDENTITIES:
            raise CatalogError(f"{where}: bad kind or identity")
        matches = _strings(row.get("matches"), where)
        if not set(matches) <= STORE_KINDS:
            raise CatalogError(f"{where}: matches names an unknown store kind")
        implicit = row.get("implicit_env") or {}
        services.append(
            Service(
                name=str(name),
                kind=str(row["kind"]),
                scheme=str(row["scheme"]),
                identity=str(row["identity"]),
                provider=str(row["provider"]) if row.get("provider") else None,
                implicit_env=tuple((str(k), _strings(v, where)) for k, v in implicit.items()),
                matches=matches,
                unknown=str(row["unknown"]),
            )
        )
    schemes = tuple(
        (str(spelling).lower(), str(scheme))
        for scheme, spellings in data["schemes"].items()
        for spelling in spellings
    )
    catalog = ClientCatalog(
        tuple(constructors),
        tuple(methods),
        tuple(writes),
        tuple(functions),
        tuple(services),
        schemes,
    )
    _check_types(catalog)
    return catalog


def _check_types(catalog: ClientCatalog) -> None:
    """Every type a row works on must be produced by some row, and every store type must
    belong to a service: a typo would silently disconnect a chain."""
    produced: set[str] = set()
    rows: list[Constructor | MethodRule] = [*catalog.constructors, *catalog.methods]
    for row in rows:
        if row.type:
            produced.add(row.type)
        if row.dispatch:
            produced.update(t for _, t in row.dispatch.types)
    produced.update({"django.manager", "django.instance"})  # made from model classes
    used = {m.on for m in catalog.methods} | {on for w in catalog.writes for on in w.on}
    missing = used - produced
    if missing:
        raise CatalogError(f"clients.yaml: types used but never produced: {sorted(missing)}")
    services = {s.name for s in catalog.services}
    for type_ in produced:
        head = type_.split(".", 1)[0]
        if head not in services and head not in ("boto3", "django"):
            raise CatalogError(f"clients.yaml: type {type_} belongs to no service")


@cache
def readers() -> Readers:
    data = _read("readers.yaml")
    functions = []
    for index, row in enumerate(data["functions"]):
        where = f"readers.yaml function {index}"
        _keys(row, {"calls", "name", "default", "value", "implied", "reader"}, where)
        functions.append(
            ReaderCall(
                calls=_strings(row["calls"], where),
                name=_spec(row["name"], where) if "name" in row else None,
                default=_spec(row["default"], where) if "default" in row else None,
                value=_spec(row["value"], where) if "value" in row else None,
                implied=str(row["implied"]) if row.get("implied") else None,
                reader=str(row["reader"]),
            )
        )
    instances = []
    for index, row in enumerate(data["instances"]):
        where = f"readers.yaml instance {index}"
        _keys(row, {"constructor", "scheme", "reader", "methods"}, where)
        if row["scheme"] not in ("tuple_default", "none"):
            raise CatalogError(f"{where}: unknown scheme {row['scheme']!r}")
        methods = []
        for name, spec in row["methods"].items():
            at = f"{where} method {name}"
            _keys(spec, {"name", "default", "implied"}, at)
            methods.append(
                (
                    str(name),
                    ReaderMethod(
                        _spec(spec["name"], at),
                        _spec(spec["default"], at),
                        str(spec["implied"]) if spec.get("implied") else None,
                    ),
                )
            )
        instances.append(
            ReaderInstance(
                _strings(row["constructor"], where),
                str(row["scheme"]),
                str(row["reader"]),
                tuple(methods),
            )
        )
    return Readers(
        tuple(functions), tuple(instances), _strings(data["settings_bases"], "settings_bases")
    )


@cache
def frameworks() -> Frameworks:
    data = _read("frameworks.yaml")
    where = "frameworks.yaml"
    django = data["django"]
    backends = []
    for index, row in enumerate(django["storage_backends"]):
        at = f"{where} storage backend {index}"
        _keys(row, {"backends", "service", "settings", "options"}, at)
        for role in (*row["settings"], *row["options"]):
            if role not in ROLES:
                raise CatalogError(f"{at}: unknown role {role!r}")
        backends.append(
            StorageBackend(
                _strings(row["backends"], at),
                str(row["service"]),
                tuple((str(k), str(v)) for k, v in row["settings"].items()),
                tuple((str(k), str(v)) for k, v in row["options"].items()),
            )
        )
    orm_bases = tuple(
        (base, str(framework))
        for framework, bases in data["orm_bases"].items()
        for base in _strings(bases, where)
    )
    return Frameworks(
        orm_bases=orm_bases,
        sqlmodel_bases=_strings(data["sqlmodel_bases"], where),
        declarative_factories=_strings(data["declarative_factories"], where),
        inherited_fields=tuple(
            (str(k), _strings(v, where)) for k, v in data["inherited_fields"].items()
        ),
        document_bases=_strings(data["document_bases"], where),
        document_decorators=_strings(data["document_decorators"], where),
        relation_factories=_strings(data["relation_factories"], where),
        file_factories=_strings(data["file_factories"], where),
        column_name_options=_strings(data["column_name_options"], where),
        django_managers=_strings(django["managers"], where),
        django_queryset_methods=_strings(django["queryset_methods"], where),
        django_instance_methods=_strings(django["instance_methods"], where),
        django_settings_names=_strings(django["settings_names"], where),
        django_settings_object=str(django["settings_object"]),
        django_databases=str(django["databases"]),
        django_caches=str(django["caches"]),
        django_storage_settings=_strings(django["storage_settings"], where),
        storage_backends=tuple(backends),
        dependency_markers=_strings(data["dependency_markers"], where),
    )


@cache
def hosts() -> Hosts:
    data = _read("hosts.yaml")
    suffixes = _strings(data["kubernetes_service_suffixes"], "hosts.yaml")
    if not all(s.startswith("-") and len(s) > 1 for s in suffixes):
        raise CatalogError("hosts.yaml: service suffixes start with '-'")
    return Hosts(suffixes, _strings(data["loopback_hosts"], "hosts.yaml"))


@cache
def signals() -> Signals:
    data = _read("signals.yaml")
    where = "signals.yaml"
    contexts = tuple((str(k), _strings(v, where)) for k, v in data["context_tokens"].items())
    for context, _ in contexts:
        if context not in MARKER_CONTEXTS:
            raise CatalogError(f"{where}: unknown marker context {context!r}")
    calls = []
    for index, row in enumerate(data["context_calls"]):
        at = f"{where} context call {index}"
        _keys(row, {"calls", "arg", "kw", "context"}, at)
        if row["context"] not in MARKER_CONTEXTS:
            raise CatalogError(f"{at}: unknown marker context")
        spec = _spec({k: row[k] for k in ("arg", "kw") if k in row}, at)
        calls.append(ContextCall(_strings(row["calls"], at), spec, str(row["context"])))
    markers = []
    for index, row in enumerate(data["code_markers"]):
        at = f"{where} code marker {index}"
        _keys(
            row, {"id", "subject", "context", "strength", "pattern", "note", "examples", "not"}, at
        )
        if row["context"] not in MARKER_CONTEXTS or row["strength"] not in MARKER_STRENGTHS:
            raise CatalogError(f"{at}: bad context or strength")
        re.compile(row["pattern"])
        markers.append(
            CodeMarker(
                id=str(row["id"]),
                subject=str(row["subject"]),
                context=str(row["context"]),
                strength=str(row["strength"]),
                pattern=str(row["pattern"]),
                note=str(row["note"]),
                examples=_strings(row.get("examples"), at),
                counterexamples=_strings(row.get("not"), at),
            )
        )
    patterns = tuple(p.encode("utf-8") for p in _strings(data["prefilter_patterns"], where))
    model_patterns = tuple(p.encode("utf-8") for p in _strings(data["model_patterns"], where))
    marker_patterns = tuple(p.encode("utf-8") for p in _strings(data["marker_patterns"], where))
    for pattern in (*patterns, *model_patterns, *marker_patterns):
        re.compile(pattern)
    return Signals(
        contexts, tuple(calls), tuple(markers), patterns, model_patterns, marker_patterns
    )
