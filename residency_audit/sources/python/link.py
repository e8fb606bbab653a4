"""The Python part of the link stage: code sites become stores, ``writes`` edges and
personal-data evidence (contract rule 3).

Inputs are every file's :class:`PythonFacts`, the environment as the repository sets it
(:class:`EnvLookup`) and the stores Terraform and Kubernetes declare. Each client
construction, write call, Django setting and ORM model is evaluated to the store(s) it
names; a store the infrastructure declares takes the code site as evidence and a ``writes``
edge, anything else becomes a code-only store. What is written (field names) says whether
the store holds personal data; the markers of the writing code (and of its direct callers,
and of the written model classes) say whose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from residency_audit.model import (
    Edge,
    EdgeKind,
    PersonalData,
    PersonalDataStatus,
    ScanError,
    SourceRef,
    Store,
)
from residency_audit.personal_data.lexicon import FieldMatch, match_field
from residency_audit.sources.python.catalog import FieldSpec, Service
from residency_audit.sources.python.documents import Content, Documents, FieldHit, file_fields
from residency_audit.sources.python.env import EnvLookup
from residency_audit.sources.python.facts import (
    Attr,
    Call,
    CallSite,
    ClientSite,
    Expr,
    Lit,
    MarkerHit,
    PythonFacts,
    Ref,
)
from residency_audit.sources.python.stores import (
    Identity,
    OwnEndpoint,
    StoreFinder,
    merge_distinct,
)
from residency_audit.sources.python.values import (
    ClassInfo,
    DictV,
    Evaluator,
    FuncV,
    InstanceV,
    Obj,
    ProjectIndex,
    Text,
    Unknown,
    Value,
)

_SQLALCHEMY_ENGINES = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlmodel.create_engine",
    }
)
_SITE_ORDER = {"settings": 0, "client": 1, "write": 2, "model": 3, "file": 4}


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenField:
    """A personal field code writes to (or an ORM model binds to) a store."""

    name: str
    category: str
    russian_specific: bool
    ref: SourceRef


@dataclass(frozen=True)
class StoreEvidence:
    """What the code says about one store (a declared one or a code-only one).

    ``personal_data`` is contract rule 3: status ``yes`` when personal fields are written,
    else ``unknown``; subjects from Russian-specific identifiers and the markers of the
    writing code. ``sites`` are the code sites that write or bind the store.
    """

    store_id: str
    personal_data: PersonalData
    fields: tuple[WrittenField, ...] = ()
    sites: tuple[SourceRef, ...] = ()
    subject_evidence: tuple[SourceRef, ...] = ()  # the part of the evidence about subjects


@dataclass(frozen=True)
class PythonLink:
    stores: tuple[Store, ...] = ()  # code-only stores
    edges: tuple[Edge, ...] = ()  # writes: code:<file>:<line> -> store id
    store_evidence: tuple[StoreEvidence, ...] = ()
    unresolved: tuple[SourceRef, ...] = ()  # writes whose store the code does not name
    errors: tuple[ScanError, ...] = ()

    def evidence_for(self, store_id: str) -> StoreEvidence | None:
        return next((e for e in self.store_evidence if e.store_id == store_id), None)


# --- internal records -------------------------------------------------------------------------


@dataclass
class _Site:
    kind: str  # settings | client | write | model | file
    ref: SourceRef
    module: str
    function: str
    identities: list[Identity]
    content: Content = field(default_factory=Content)
    note: str = ""
    django: bool = False


# --- the link ---------------------------------------------------------------------------------


def link_python(
    facts: Sequence[PythonFacts],
    env: EnvLookup,
    known_stores: Sequence[Store],
    endpoints: Sequence[OwnEndpoint] = (),
) -> PythonLink:
    """Stores, writes edges and personal-data evidence of the project's Python code."""
    return _Linker(facts, env, known_stores, endpoints).run()


class _Linker:
    def __init__(
        self,
        facts: Sequence[PythonFacts],
        env: EnvLookup,
        known: Sequence[Store],
        endpoints: Sequence[OwnEndpoint],
    ) -> None:
        self.facts = sorted(facts, key=lambda f: f.path)
        self.index = ProjectIndex(self.facts)
        self.ev = Evaluator(self.index, env)
        self.docs = Documents(self.ev)
        self.finder = StoreFinder(self.ev, env, known, endpoints)
        self.sites: list[_Site] = []
        self.unresolved: list[SourceRef] = []
        self.errors: list[ScanError] = []
        self._django_db: list[Identity] | None = None
        self._django_storage: list[Identity] | None = None

    def run(self) -> PythonLink:
        for item in self.facts:
            for client in item.clients:
                self._guarded(item, client.line, self._client_site, item, client)
            for call in item.calls:
                self._guarded(item, call.line, self._write_site, item, call)
        self._django_sites()
        self._sqlalchemy_models()
        return self._result()

    def _guarded(self, item: PythonFacts, line: int, step: Callable[..., None], *args: Any) -> None:
        """One code site; a site too convoluted to follow is an error, the rest goes on."""
        try:
            step(*args)
        except RecursionError:
            message = "code too convoluted to follow (names defined through too many hops)"
            self.errors.append(ScanError(item.path, line, message))

    # ---- sites ----
    def _ref(self, item: PythonFacts, line: int | None, note: str) -> SourceRef:
        return SourceRef(item.path, line, note)

    def _service_of(self, obj: Obj) -> Service | None:
        return self.ev.catalog.service(obj.type.split(".", 1)[0])

    def _client_site(self, item: PythonFacts, client: ClientSite) -> None:
        call, line, function = client.call, client.line, client.function
        site_ref = self._ref(item, line, "client")
        for value in self.ev.eval(call, item.module):
            if not isinstance(value, Obj):
                continue
            service = self._service_of(value)
            if service is None:
                continue
            identities, _ = self.finder.identities(service, value, site_ref)
            if identities:
                note = f"{call_name(call)}() connects to it"
                self.sites.append(
                    _Site("client", self._ref(item, line, note), item.module, function, identities)
                )

    def _write_site(self, item: PythonFacts, site: CallSite) -> None:
        ctx = item.module
        call = site.as_call()
        if site.method == "":
            target = site.func.target if isinstance(site.func, Ref) else ""
            row = self.ev.catalog.write_function(target)
            if row is None or row.client_arg >= len(site.args):
                return
            receivers = self.ev.eval(site.args[row.client_arg], ctx)
            specs = row.fields
            method = target.rsplit(".", 1)[-1]
            rules = [(r, specs) for r in receivers if isinstance(r, Obj)]
        else:
            receiver_expr = _receiver(site)
            if receiver_expr is None:
                return
            receivers = self.ev.eval(receiver_expr, ctx)
            method = site.method
            rules = []
            for receiver in receivers:
                if isinstance(receiver, InstanceV) and method == "save":
                    if self._is_django_model(receiver.qual):
                        obj = Obj(
                            "django.instance", (), self._ref(item, site.line, ""), receiver.qual
                        )
                        rule = self.ev.catalog.write("django.instance", "save")
                        if rule is not None:
                            self._record_write(item, site, call, obj, rule.fields, receiver, method)
                    continue
                if not isinstance(receiver, Obj):
                    continue
                rule = self.ev.catalog.write(receiver.type, method)
                if rule is None:
                    continue
                with_roles = self.ev.with_roles(receiver, rule.roles, call, ctx)
                rules.append((with_roles, rule.fields))
        for obj, specs in rules:
            self._record_write(item, site, call, obj, specs, None, method)

    def _record_write(
        self,
        item: PythonFacts,
        site: CallSite,
        call: Call,
        obj: Obj,
        specs: tuple[FieldSpec, ...],
        instance: InstanceV | None,
        method: str,
    ) -> None:
        group = f"{item.path}:{site.line}"
        receiver: Obj | InstanceV = instance if instance is not None else obj
        content = self.docs.read(specs, call, receiver, item.module, group)
        if content.reads_only:
            return
        site_ref = self._ref(item, site.line, f"{method}()")
        if obj.type.startswith("django."):
            identities = self._django_databases()
            django = True
        else:
            service = self._service_of(obj)
            if service is None:
                return
            identities, missing = self.finder.identities(service, obj, site_ref)
            django = False
            if not identities:
                reason = "; ".join(dict.fromkeys(m.reason for m in missing)) or "unknown"
                self.unresolved.append(
                    self._ref(
                        item,
                        site.line,
                        f"{method}() writes to a {service.name} store "
                        f"the scan cannot name: {reason}",
                    )
                )
                return
        if not identities:
            why = "no settings module of the project names a usable DATABASES['default']"
            self.unresolved.append(
                self._ref(item, site.line, f"{method}() writes a Django model: {why}")
            )
            return
        note = _write_note(method, content)
        self.sites.append(
            _Site(
                "write",
                self._ref(item, site.line, note),
                item.module,
                site.function,
                identities,
                content,
                note,
                django,
            )
        )

    # ---- Django ----
    def _settings(self) -> list[str]:
        return self.ev.django_settings_modules()

    def _django_databases(self) -> list[Identity]:
        """``DATABASES["default"]`` of every settings module; a committed local settings
        module pointing at localhost gives way to the real database."""
        if self._django_db is None:
            fw = self.ev.frameworks
            service = self.ev.catalog.service("sql")
            assert service is not None
            found: list[tuple[str, SourceRef, list[Identity]]] = []
            for module in self._settings():
                line = _binding_line(self.index, module, fw.django_databases)
                site_ref = SourceRef(self.index.file_of(module), line, "Django DATABASES")
                for db in self._setting_item(module, fw.django_databases, "default"):
                    obj = self._database_obj(db, site_ref)
                    if obj is not None:
                        identities, _ = self.finder.identities(service, obj, site_ref)
                        found.append((module, site_ref, identities))
            every = [i for _, _, identities in found for i in identities]
            kept = self.finder.without_development(every)
            for module, site_ref, identities in found:
                chosen = [i for i in identities if i in kept]
                if chosen:
                    self.sites.append(_Site("settings", site_ref, module, "", chosen, django=True))
            self._django_db = list(dict.fromkeys(kept))
        return self._django_db

    def _django_caches(self) -> None:
        """``CACHES["default"]`` on Redis: a store (sessions live there with the cache
        session engine), though nothing says which fields it holds."""
        fw = self.ev.frameworks
        for module in self._settings():
            line = _binding_line(self.index, module, fw.django_caches)
            if line is None:
                continue
            site_ref = SourceRef(self.index.file_of(module), line, "Django CACHES")
            for cache in self._setting_item(module, fw.django_caches, "default"):
                if not isinstance(cache, DictV):
                    continue
                backends = self.ev.as_texts(self.ev.item(cache, Lit("BACKEND", 0), cache.ctx, 0))
                schemes = {self.ev.catalog.scheme(b.value) for b in backends if isinstance(b, Text)}
                if "redis" not in schemes:
                    continue
                locations = self.ev.item(cache, Lit("LOCATION", 0), cache.ctx, 0)
                obj = Obj("redis.client", (("dsn", locations),), site_ref)
                service = self.ev.catalog.service("redis")
                assert service is not None
                identities, _ = self.finder.identities(service, obj, site_ref)
                if identities:
                    self.sites.append(
                        _Site("settings", site_ref, module, "", identities, django=True)
                    )

    def _setting_item(self, module: str, setting: str, key: str) -> list[Value]:
        found: list[Value] = []
        for value in self.ev.resolve(f"{module}.{setting}", module):
            if isinstance(value, DictV):
                found.extend(self.ev.item(value, Lit(key, 0), module, 0))
        return found

    def _database_obj(self, value: Value, site: SourceRef) -> Obj | None:
        if isinstance(value, Text):
            return Obj("sql.connection", (("dsn", (value,)),), site)
        if not isinstance(value, DictV):
            return None
        roles: list[tuple[str, tuple[Value, ...]]] = []
        for role, key in (("scheme", "ENGINE"), ("host", "HOST"), ("database", "NAME")):
            values = self.ev.item(value, Lit(key, 0), value.ctx, 0)
            usable = tuple(v for v in values if not isinstance(v, Unknown)) or values
            if role == "database" or usable != values or any(isinstance(v, Text) for v in values):
                roles.append((role, usable))
            else:
                roles.append((role, values))
        return Obj("sql.connection", tuple(roles), site)

    def _django_storages(self) -> list[Identity]:
        if self._django_storage is None:
            self._django_storage = []
            fw = self.ev.frameworks
            for module in self._settings():
                for backend, options, line in self._storage_backends(module):
                    row = fw.storage_backend(backend)
                    if row is None:
                        continue
                    site_ref = SourceRef(
                        self.index.file_of(module), line, f"file storage {backend}"
                    )
                    roles: list[tuple[str, tuple[Value, ...]]] = []
                    for role, key in row.options:
                        if options is not None:
                            got = tuple(
                                v
                                for v in self.ev.item(options, Lit(key, 0), options.ctx, 0)
                                if not isinstance(v, Unknown)
                            )
                            if got:
                                roles.append((role, got))
                                continue
                        setting = dict(row.settings).get(role)
                        if (
                            setting is not None and setting in self.index.bindings.get(module, {})
                        ) or (setting is not None and self._star_binds(module, setting)):
                            roles.append((role, self.ev.resolve(f"{module}.{setting}", module)))
                    service = self.ev.catalog.service(row.service)
                    if service is None:
                        continue
                    obj = Obj(f"{row.service}.storage", tuple(roles), site_ref)
                    identities, _ = self.finder.identities(service, obj, site_ref)
                    self._django_storage.extend(identities)
                    if identities:
                        self.sites.append(
                            _Site("settings", site_ref, module, "", identities, django=True)
                        )
        return self._django_storage

    def _star_binds(self, module: str, name: str) -> bool:
        for star in self.index.stars.get(module, []):
            target = self.index.find_module(star, module)
            if target is not None and name in self.index.bindings.get(target, {}):
                return True
        return False

    def _storage_backends(self, module: str) -> list[tuple[str, DictV | None, int | None]]:
        fw = self.ev.frameworks
        found: list[tuple[str, DictV | None, int | None]] = []
        for setting in fw.django_storage_settings:
            line = _binding_line(self.index, module, setting)
            if line is None and not self._star_binds(module, setting):
                continue
            for value in self.ev.resolve(f"{module}.{setting}", module):
                if isinstance(value, Text):
                    found.append((value.value, None, line))
                elif isinstance(value, DictV):
                    for default in self.ev.item(value, Lit("default", 0), value.ctx, 0):
                        if not isinstance(default, DictV):
                            continue
                        backends = self.ev.as_texts(
                            self.ev.item(default, Lit("BACKEND", 0), default.ctx, 0)
                        )
                        options = [
                            o
                            for o in self.ev.item(default, Lit("OPTIONS", 0), default.ctx, 0)
                            if isinstance(o, DictV)
                        ]
                        for backend in backends:
                            if isinstance(backend, Text):
                                found.append((backend.value, options[0] if options else None, line))
        return found

    def _is_django_model(self, qual: str) -> bool:
        fw = self.ev.frameworks
        return any(fw.orm_framework(b) == "django" for b in self.ev.base_names(qual))

    def _django_sites(self) -> None:
        models = [
            info
            for qual, info in sorted(self.index.classes.items())
            if self._is_django_model(qual) and not info.cls.abstract
        ]
        if not models:
            return
        databases = self._django_databases()
        storages = self._django_storages()
        self._django_caches()
        for info in models:
            qual = info.cls.name
            short = qual.rsplit(".", 1)[-1]
            db_table = dict(info.cls.meta).get("db_table")
            table = (
                (db_table.value if isinstance(db_table, Lit) else None)
                or info.cls.table
                or _django_table(info.facts.module, short)
            )
            if databases:
                self._model_site(info, "Django", table, databases, django=True)
            for field_def, owner in file_fields(self.ev, qual):
                if not storages:
                    break
                note = f"file field {field_def.name} of {short} uploads to the default storage"
                hit = FieldHit(
                    field_def.name,
                    SourceRef(owner.facts.path, field_def.line, f"file field {field_def.name}"),
                    f"file:{qual}.{field_def.name}",
                )
                self.sites.append(
                    _Site(
                        "file",
                        SourceRef(owner.facts.path, field_def.line, note),
                        owner.facts.module,
                        "",
                        list(storages),
                        Content((hit,), (qual,), ()),
                        note,
                        django=True,
                    )
                )

    # ---- SQLAlchemy ----
    def _sqlalchemy_models(self) -> None:
        """Declarative models bind to the project's engine when there is exactly one."""
        engines: dict[str, Identity] = {}
        for item in self.facts:
            for client in item.clients:
                if client.api not in _SQLALCHEMY_ENGINES:
                    continue
                for value in self.ev.eval(client.call, item.module):
                    if not isinstance(value, Obj):
                        continue
                    service = self._service_of(value)
                    if service is None:
                        continue
                    ref = SourceRef(item.path, client.line, "engine")
                    for identity in self.finder.identities(service, value, ref)[0]:
                        engines.setdefault(identity.store_id, identity)
        if len(engines) != 1:
            return
        engine = next(iter(engines.values()))
        for qual, info in sorted(self.index.classes.items()):
            if not self._is_sqlalchemy_model(qual):
                continue
            table = info.cls.table or qual.rsplit(".", 1)[-1].lower()
            self._model_site(info, "SQLAlchemy", table, [engine])

    def _model_site(
        self,
        info: ClassInfo,
        framework: str,
        table: str,
        identities: Sequence[Identity],
        *,
        django: bool = False,
    ) -> None:
        """An ORM model class: its fields are stored in ``table`` of these databases."""
        qual = info.cls.name
        content = self.docs.model_content(qual, f"model:{qual}")
        note = f"{framework} model {qual.rsplit('.', 1)[-1]} (table {table}) is stored here"
        self.sites.append(
            _Site(
                "model",
                SourceRef(info.facts.path, info.cls.line, note),
                info.facts.module,
                "",
                list(identities),
                Content(content.fields, (qual,), (table,)),
                note,
                django=django,
            )
        )

    def _is_sqlalchemy_model(self, qual: str) -> bool:
        info = self.index.class_info(qual)
        if info is None or info.cls.abstract:
            return False
        meta = dict(info.cls.meta)
        if any(
            isinstance(v, Lit) and v.value == "True" for k, v in meta.items() if k == "__abstract__"
        ):
            return False
        fw = self.ev.frameworks
        bases = self.ev.base_names(qual)
        if any(b in fw.sqlmodel_bases for b in bases):
            table = meta.get("table")
            return isinstance(table, Lit) and table.value == "True"
        if info.cls.table:
            return True
        return (
            any(
                fw.orm_framework(b) == "sqlalchemy" or b == "sqlalchemy.orm.DeclarativeBase"
                for b in bases
            )
            and bool(info.cls.fields)
            and self._declarative(qual)
        )

    def _declarative(self, qual: str) -> bool:
        """A mapped class has ``__tablename__`` itself or inherits a table; a base class
        without one (``class Base(DeclarativeBase)``) maps nothing."""
        for base in (qual, *self.ev.base_names(qual)):
            info = self.index.class_info(base)
            if info is not None and info.cls.table:
                return True
        return False

    # ---- results ----
    def _result(self) -> PythonLink:
        # A client connected to a server (mongodb://host) whose writes name a database on
        # it (mongodb://host/crm) is that database, not a store of its own.
        for site in self.sites:
            site.identities = self.finder.without_development(site.identities)
        named = {i.store_id for site in self.sites for i in site.identities}
        for site in self.sites:
            if site.kind == "client":
                site.identities = [
                    i
                    for i in site.identities
                    if not any(other.startswith(i.store_id + "/") for other in named)
                ]
        targets: dict[str, list[str]] = {}  # identity store_id -> target store ids
        code_stores: dict[str, list[tuple[_Site, Identity]]] = {}
        for site in self.sites:
            for identity in site.identities:
                if identity.store_id in targets:
                    continue
                matches = self.finder.known_matches(identity)
                targets[identity.store_id] = sorted({s.id for s in matches}) or [identity.store_id]
        for site in self.sites:
            for identity in site.identities:
                if (
                    targets[identity.store_id] == [identity.store_id]
                    and identity.store_id not in self.finder.known_ids
                ):
                    code_stores.setdefault(identity.store_id, []).append((site, identity))
        stores = [self._code_store(sid, pairs) for sid, pairs in sorted(code_stores.items())]
        edges: set[Edge] = set()
        per_store: dict[str, list[_Site]] = {}
        for site in self.sites:
            ids = sorted({t for identity in site.identities for t in targets[identity.store_id]})
            for target in ids:
                per_store.setdefault(target, []).append(site)
                if site.kind in ("write", "model", "file"):
                    edges.add(
                        Edge(
                            f"code:{site.ref.file}:{site.ref.line}",
                            target,
                            EdgeKind.WRITES,
                            site.ref.file,
                            site.ref.line,
                            site.note,
                        )
                    )
        subjects = _SubjectIndex(self.facts, self.ev)
        settings = self._settings()
        evidence = [
            _evidence(store_id, sites, subjects, settings)
            for store_id, sites in sorted(per_store.items())
        ]
        return PythonLink(
            stores=tuple(stores),
            edges=tuple(sorted(edges)),
            store_evidence=tuple(evidence),
            unresolved=tuple(sorted(set(self.unresolved))),
            errors=tuple(sorted(set(self.errors))),
        )

    def _code_store(self, store_id: str, pairs: list[tuple[_Site, Identity]]) -> Store:
        ordered = sorted(
            pairs, key=lambda p: (_SITE_ORDER[p[0].kind], p[0].ref.file, p[0].ref.line)
        )
        site, identity = ordered[0]
        locations = [i.location for _, i in ordered]
        return Store(
            id=store_id,
            kind=identity.kind,
            source="python",
            file=site.ref.file,
            line=site.ref.line or 1,
            location=merge_distinct(locations),
            name=identity.name,
            resource_type=f"{identity.service} (Python client)",
        )


# --- subjects -----------------------------------------------------------------------------------


class _SubjectIndex:
    """Markers by function, class and module; callers of each function (one hop)."""

    def __init__(self, facts: Sequence[PythonFacts], ev: Evaluator) -> None:
        self.by_function: dict[str, list[tuple[MarkerHit, str]]] = {}
        self.by_class: dict[str, list[tuple[MarkerHit, str]]] = {}
        self.by_module: dict[str, list[tuple[MarkerHit, str]]] = {}
        self.callers: dict[str, set[str]] = {}
        for item in facts:
            for hit in item.markers:
                pair = (hit, item.path)
                if hit.function:
                    self.by_function.setdefault(hit.function, []).append(pair)
                elif hit.class_name:
                    self.by_class.setdefault(hit.class_name, []).append(pair)
                else:
                    self.by_module.setdefault(item.module, []).append(pair)
            for function in item.functions:
                if function.name not in self.by_function:
                    continue  # a caller without markers adds nothing to its callees' writes
                for callee in function.calls:
                    for value in ev.resolve(callee, item.module):
                        if isinstance(value, FuncV):
                            self.callers.setdefault(value.qual, set()).add(function.name)

    def reaching(self, site: _Site, settings: Sequence[str]) -> list[tuple[MarkerHit, str]]:
        found: list[tuple[MarkerHit, str]] = []
        if site.function:
            found.extend(self.by_function.get(site.function, ()))
            found.extend(self.by_class.get(site.function.rsplit(".", 1)[0], ()))  # a method's
            for caller in sorted(self.callers.get(site.function, ())):
                found.extend(self.by_function.get(caller, ()))
        found.extend(self.by_module.get(site.module, ()))
        for model in site.content.models:
            found.extend(self.by_class.get(model, ()))
        if site.django:
            for module in settings:
                found.extend(self.by_module.get(module, ()))
        return found


def _evidence(
    store_id: str, sites: list[_Site], subjects: _SubjectIndex, settings: Sequence[str]
) -> StoreEvidence:
    written: list[WrittenField] = []
    groups: dict[str, list[tuple[str, SourceRef, FieldMatch | None]]] = {}
    for site in sites:
        for hit in site.content.fields:
            groups.setdefault(hit.group, []).append((hit.name, hit.ref, match_field(hit.name)))
    for members in groups.values():
        strong = any(m is not None and not m.weak for _, _, m in members)
        for name, ref, match in members:
            if match is None or (match.weak and not strong):
                continue
            written.append(WrittenField(name, match.category, match.russian_specific, ref))
    written = list(dict.fromkeys(written))
    markers: list[tuple[MarkerHit, str]] = []
    for site in sites:
        if site.kind != "client":  # connecting is not handling the data
            markers.extend(subjects.reaching(site, settings))
    markers = list(dict.fromkeys(markers))
    subject_set, subject_refs = _subjects(written, markers)
    categories = tuple(sorted({w.category for w in written}))
    field_refs = tuple(
        SourceRef(w.ref.file, w.ref.line, f"code writes {w.name} ({w.category})") for w in written
    )
    personal = PersonalData(
        status=PersonalDataStatus.YES if written else PersonalDataStatus.UNKNOWN,
        categories=categories,
        subjects=subject_set,
        evidence=tuple(dict.fromkeys((*field_refs, *subject_refs))),
    )
    site_refs = tuple(sorted({s.ref for s in sites if s.kind in ("write", "model", "file")}))
    return StoreEvidence(store_id, personal, tuple(written), site_refs, subject_refs)


def _subjects(
    written: Iterable[WrittenField], markers: Sequence[tuple[MarkerHit, str]]
) -> tuple[tuple[str, ...], tuple[SourceRef, ...]]:
    """Subject RU from Russian-specific identifiers written; any subject from markers: a
    strong or medium marker, or two different weak ones."""
    subjects: dict[str, list[SourceRef]] = {}
    for item in written:
        if item.russian_specific:
            note = f"code writes {item.name}, a Russian-specific identifier ({item.category})"
            subjects.setdefault("RU", []).append(SourceRef(item.ref.file, item.ref.line, note))
    by_subject: dict[str, list[tuple[MarkerHit, str]]] = {}
    for hit, path in markers:
        by_subject.setdefault(hit.subject, []).append((hit, path))
    for subject, hits in by_subject.items():
        strong = [h for h in hits if h[0].strength in ("strong", "medium")]
        weak_ids = {h[0].marker for h in hits if h[0].strength == "weak"}
        counted = strong if strong else (hits if len(weak_ids) >= 2 else [])
        for hit, path in counted:
            note = f"the writing code handles {subject} data: {hit.text!r} ({hit.marker})"
            subjects.setdefault(subject, []).append(SourceRef(path, hit.line, note))
    ordered = tuple(sorted(subjects))
    refs = tuple(dict.fromkeys(r for s in ordered for r in subjects[s]))
    return ordered, refs


# --- helpers ------------------------------------------------------------------------------------


def _receiver(site: CallSite) -> Expr | None:
    """What a method call is called on: ``s3`` in ``s3.put_object(...)``."""
    func = site.func
    if isinstance(func, Ref):
        owner, _, _ = func.target.rpartition(".")
        return Ref(owner, func.line) if owner else None
    if isinstance(func, Attr):
        return func.base
    return None


def call_name(call: Call) -> str:
    """``boto3.client`` for evidence notes; the method name for chained calls."""
    if isinstance(call.func, Ref):
        return ".".join(call.func.target.rsplit(".", 2)[-2:])
    if isinstance(call.func, Attr):
        return call.func.name
    return "call"


def _write_note(method: str, content: Content) -> str:
    names = [f.name for f in content.fields]
    personal = [n for n in dict.fromkeys(names) if match_field(n) is not None]
    where = f" into {', '.join(content.tables)}" if content.tables else ""
    if personal:
        return f"{method}() writes {', '.join(personal)}{where}"
    return f"{method}() writes{where or ' data'}"


def _binding_line(index: ProjectIndex, module: str, name: str) -> int | None:
    bindings = index.bindings.get(module, {}).get(name)
    return bindings[0].line if bindings else None


def _django_table(module: str, model: str) -> str:
    """Django's default table name: ``<app label>_<model name lower-cased>``; the app label
    is the package that holds models.py."""
    parts = module.split(".")
    app = parts[-2] if parts and parts[-1] == "models" and len(parts) >= 2 else parts[-1]
    return f"{app}_{model.lower()}"
