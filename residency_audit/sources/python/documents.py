"""What a write call writes: the field names, each with the line that names it.

A write's data is a dict literal (``Item={"email": ...}``), ``json.dumps`` of one, a model
instance, a pydantic/dataclass object and its ``model_dump()``, a SQL statement naming
columns, or keyword arguments (``Patient.objects.create(snils=...)``). The client table says
which argument holds what (``as: document``, ``as: sql`` ...); this module reads it, following
names across modules. Field names found here are classified later (personal or not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from residency_audit.model import SourceRef
from residency_audit.sources.python.catalog import FieldSpec
from residency_audit.sources.python.facts import (
    Attr,
    Call,
    DictE,
    Expr,
    FieldDef,
    Item,
    Join,
    Lit,
    Param,
    Ref,
    Seq,
)
from residency_audit.sources.python.readers import argument, literal_text
from residency_audit.sources.python.sql import sql_writes
from residency_audit.sources.python.values import (
    ClassInfo,
    ClassV,
    Evaluator,
    ExtV,
    InstanceV,
    Obj,
    Text,
)

_MAX_DEPTH = 12

# Calls that serialise their first argument, and methods that turn an object into its data.
_SERIALISERS = frozenset(
    {
        "json.dumps",
        "orjson.dumps",
        "ujson.dumps",
        "simplejson.dumps",
        "msgpack.packb",
        "pickle.dumps",
        "dataclasses.asdict",
        "attr.asdict",
        "attrs.asdict",
        "builtins.dict",
        "builtins.vars",
        "fastapi.encoders.jsonable_encoder",
        "boto3.dynamodb.types.TypeSerializer",
    }
)
_DUMP_METHODS = frozenset(
    {
        "model_dump",
        "model_dump_json",
        "dict",
        "json",
        "to_dict",
        "to_json",
        "_asdict",
        "asdict",
        "encode",
        "copy",
        "serialize",
    }
)
_INSERT_CALLS = frozenset(
    {
        "sqlalchemy.insert",
        "sqlalchemy.update",
        "sqlalchemy.sql.expression.insert",
        "sqlalchemy.sql.expression.update",
        "sqlalchemy.dialects.postgresql.insert",
        "sqlalchemy.dialects.mysql.insert",
        "sqlalchemy.dialects.sqlite.insert",
        "sqlmodel.insert",
        "sqlmodel.update",
    }
)
_TEXT_CALLS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlmodel.text"})
_READ_CALLS = frozenset({"sqlalchemy.select", "sqlalchemy.delete", "sqlmodel.select"})
_DJANGO_NOT_FIELDS = frozenset({"defaults", "create_defaults", "using", "batch_size"})
_MONGO_FIELD_OPERATORS = frozenset(
    {"$set", "$setOnInsert", "$push", "$addToSet", "$inc", "$max", "$min", "$currentDate"}
)
_DYNAMO_SET = re.compile(r"(?i)\bSET\b(.*?)(?=\b(?:REMOVE|ADD|DELETE)\b|$)", re.DOTALL)


@dataclass(frozen=True)
class FieldHit:
    """A field name a write stores, and the place that names it."""

    name: str
    ref: SourceRef
    group: str  # fields of one write, model or table: weak names count only with others


@dataclass(frozen=True)
class Content:
    fields: tuple[FieldHit, ...] = ()
    models: tuple[str, ...] = ()  # qualified model / document classes written
    tables: tuple[str, ...] = ()  # tables named by SQL or ORM models
    reads_only: bool = False  # the SQL the call runs stores nothing the analysis can see


class Documents:
    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        self._fields: list[FieldHit] = []
        self._models: list[str] = []
        self._tables: list[str] = []
        self._group = ""
        self._depth = 0
        self._sql_seen = 0
        self._sql_stored = 0

    # ---- entry ----
    def read(
        self,
        specs: Sequence[FieldSpec],
        call: Call,
        receiver: Obj | InstanceV | None,
        ctx: str,
        group: str,
    ) -> Content:
        self._fields, self._models, self._tables = [], [], []
        self._group = group
        self._sql_seen = self._sql_stored = 0
        for spec in specs:
            if spec.mode == "kwargs":
                self._kwargs(call, ctx)
                continue
            if spec.spec is None:  # the receiver itself (instance.save())
                if isinstance(receiver, InstanceV):
                    self._instance(receiver)
                continue
            value = argument(spec.spec, call.args, call.kwargs)
            if value is None:
                continue
            for path_key in spec.path:
                value = self._dig(value, path_key, ctx)
                if value is None:
                    break
            if value is not None:
                self._mode(spec.mode, value, ctx)
        if receiver is not None and isinstance(receiver, Obj) and receiver.model:
            self._note_model(receiver.model)
        sql_only = bool(specs) and all(s.mode in ("sql", "statement") for s in specs)
        return Content(
            tuple(dict.fromkeys(self._fields)),
            tuple(dict.fromkeys(self._models)),
            tuple(dict.fromkeys(self._tables)),
            reads_only=sql_only and self._sql_stored == 0,
        )

    def model_content(self, qual: str, group: str) -> Content:
        """Every stored field of a model class (its table's columns)."""
        self._fields, self._models, self._tables = [], [], []
        self._group = group
        self._model_fields(qual)
        return Content(tuple(self._fields), tuple(self._models), tuple(self._tables))

    # ---- modes ----
    def _mode(self, mode: str, expr: Expr, ctx: str) -> None:
        if mode == "keys":
            self._keys(expr, ctx)
        elif mode in ("document", "model"):
            self._document(expr, ctx)
        elif mode in ("documents", "models"):
            self._documents(expr, ctx)
        elif mode == "statement":
            self._statement(expr, ctx)
        elif mode == "sql":
            self._sql(expr, ctx)
        elif mode == "names":
            for item, item_ctx in self._resolved(expr, ctx):
                if isinstance(item, Seq):
                    for element in item.items:
                        self._name(element, item_ctx)
        elif mode == "name":
            self._name(expr, ctx)
        elif mode == "mongo_update":
            self._mongo_update(expr, ctx)
        elif mode == "dynamo_update":
            self._dynamo_update(expr, ctx)

    def _resolved(self, expr: Expr, ctx: str) -> Iterator[tuple[Expr, str]]:
        """The expression, with names followed to their bound values."""
        if isinstance(expr, Ref):
            for value, value_ctx in self.ev.deref(expr, ctx):
                if value is expr:
                    yield value, value_ctx
                elif self._depth < _MAX_DEPTH:
                    self._depth += 1
                    try:
                        yield from self._resolved(value, value_ctx)
                    finally:
                        self._depth -= 1
            return
        yield expr, ctx

    def _dig(self, expr: Expr, key: str, ctx: str) -> Expr | None:
        for value, _ in self._resolved(expr, ctx):
            if isinstance(value, DictE):
                for k, v in value.items:
                    if literal_text(k) == key:
                        return v
        return None

    def _keys(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if isinstance(value, DictE):
                for key, item in value.items:
                    if key is None:
                        self._document(item, value_ctx)
                        continue
                    name = literal_text(key)
                    if name is not None and isinstance(key, Lit):
                        self._hit(name, value_ctx, key.line, "key")
            elif isinstance(value, Call):
                self._document(value, value_ctx)

    def _document(self, expr: Expr, ctx: str) -> None:
        if self._depth > _MAX_DEPTH:
            return
        self._depth += 1
        try:
            self._document_inner(expr, ctx)
        finally:
            self._depth -= 1

    def _document_inner(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if isinstance(value, DictE):
                for key, item in value.items:
                    name = literal_text(key)
                    if name is not None and isinstance(key, Lit):
                        self._hit(name, value_ctx, key.line, "key")
                    if key is None or isinstance(item, (DictE, Seq)):
                        self._document(item, value_ctx)
            elif isinstance(value, Seq):
                for item in value.items:
                    self._document(item, value_ctx)
            elif isinstance(value, Call):
                self._document_call(value, value_ctx)
            elif isinstance(value, Param):
                for found in self.ev.eval(value, value_ctx):
                    if isinstance(found, InstanceV):
                        self._instance(found)
            elif isinstance(value, Item):
                if isinstance(value.base, (Param, Ref, Seq, Call)):
                    self._documents(value.base, value_ctx)
            elif isinstance(value, Attr) and value.name in _DUMP_METHODS:
                self._document(value.base, value_ctx)

    def _document_call(self, call: Call, ctx: str) -> None:
        func = call.func
        values = self.ev.eval(func, ctx)
        for value in values:
            if isinstance(value, ExtV) and value.name in _SERIALISERS:
                if call.args:
                    self._document(call.args[0], ctx)
                for star in call.star_kwargs:
                    self._document(star, ctx)
                if value.name == "builtins.dict":  # dict(email=..., phone=...)
                    for key, item in call.kwargs:
                        self._hit(key, ctx, item.line, "key")
                return
            if isinstance(value, ClassV):
                self._instance(InstanceV(value.qual, call, ctx))
                return
        # customer.model_dump(), payload.dict(), row._asdict(): the object's own data
        if isinstance(func, Attr) and func.name in _DUMP_METHODS:
            self._document(func.base, ctx)
        elif isinstance(func, Ref) and func.target.rsplit(".", 1)[-1] in _DUMP_METHODS:
            self._document(Ref(func.target.rsplit(".", 1)[0], func.line), ctx)

    def _documents(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if isinstance(value, Seq):
                for item in value.items:
                    self._document(item, value_ctx)
            elif isinstance(value, Param):
                for found in self.ev.eval(value, value_ctx):
                    if isinstance(found, InstanceV):
                        self._instance(found)
            else:
                self._document(value, value_ctx)

    def _instance(self, instance: InstanceV) -> None:
        self._model_fields(instance.qual)
        if instance.call is not None:
            for key, item in instance.call.kwargs:
                self._hit(key, instance.ctx, item.line, "keyword")
            for star in instance.call.star_kwargs:
                self._document(star, instance.ctx)

    def _kwargs(self, call: Call, ctx: str) -> None:
        for key, item in call.kwargs:
            if key in _DJANGO_NOT_FIELDS:
                continue
            self._hit(key, ctx, item.line, "keyword")
        for star in call.star_kwargs:
            self._document(star, ctx)

    def _name(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            name = literal_text(value)
            if name is not None and isinstance(value, Lit):
                self._hit(name, value_ctx, value.line, "name")

    # ---- SQL ----
    def _statement(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if isinstance(value, Call) and self._orm_statement(value, value_ctx):
                continue
            self._sql(value, value_ctx)

    def _orm_statement(self, call: Call, ctx: str) -> bool:
        """``insert(Customer).values(email=...)``, ``text("INSERT ...")``."""
        values_calls: list[Call] = []
        current: Expr = call
        while isinstance(current, Call):
            func = current.func
            targets = {v.name for v in self.ev.eval(func, ctx) if isinstance(v, ExtV)}
            if targets & _READ_CALLS:
                self._sql_seen += 1
                return True
            if targets & _TEXT_CALLS and current.args:
                self._sql(current.args[0], ctx)
                return True
            if targets & _INSERT_CALLS and current.args:
                self._sql_seen += 1
                self._sql_stored += 1
                for model in self.ev.eval(current.args[0], ctx):
                    if isinstance(model, ClassV):
                        self._model_fields(model.qual)
                for values_call in values_calls:
                    self._kwargs(values_call, ctx)
                    for arg in values_call.args:
                        self._documents(arg, ctx)
                return True
            if isinstance(func, Attr):
                if func.name == "values":
                    values_calls.append(current)
                current = func.base
            else:
                return False
        return False

    def _sql(self, expr: Expr, ctx: str) -> None:
        for pieces, piece_ctx in self._sql_texts(expr, ctx):
            text = "".join(p[0] for p in pieces)
            writes = sql_writes(text)
            self._sql_seen += 1
            self._sql_stored += bool(writes)
            for write in writes:
                if write.verb == "create":
                    continue  # a schema, not a write: ORM-less schemas are read as models
                self._tables.append(write.table)
                for column in write.columns:
                    line = _line_at(pieces, column.offset)
                    self._hit(column.name, piece_ctx, line, f"column of {write.table}")

    def _sql_texts(self, expr: Expr, ctx: str) -> Iterator[tuple[list[tuple[str, int, int]], str]]:
        """Statement texts as pieces (text, line of the piece, start offset)."""
        for value, value_ctx in self._resolved(expr, ctx):
            if isinstance(value, Lit) and value.kind == "str":
                yield [(value.value, value.line, 0)], value_ctx
            elif isinstance(value, Join):
                pieces: list[tuple[str, int, int]] = []
                offset = 0
                for part in value.parts:
                    texts = [t for t in self.ev.texts(part, value_ctx) if isinstance(t, Text)]
                    text = texts[0].value if isinstance(part, Lit) or texts else " "
                    if isinstance(part, Lit):
                        text = part.value
                    line = part.line if isinstance(part, Lit) else value.line
                    pieces.append((text, line, offset))
                    offset += len(text)
                yield pieces, value_ctx

    # ---- document stores ----
    def _mongo_update(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if not isinstance(value, DictE):
                continue
            for key, item in value.items:
                name = literal_text(key)
                if name in _MONGO_FIELD_OPERATORS:
                    self._keys(item, value_ctx)
                elif name is not None and not name.startswith("$") and isinstance(key, Lit):
                    self._hit(name, value_ctx, key.line, "key")

    def _dynamo_update(self, expr: Expr, ctx: str) -> None:
        for value, value_ctx in self._resolved(expr, ctx):
            if not isinstance(value, Lit):
                continue
            match = _DYNAMO_SET.search(value.value)
            if match is None:
                continue
            for assignment in match.group(1).split(","):
                name = assignment.split("=", 1)[0].strip()
                if name and not name.startswith("#") and name.replace("_", "").isalnum():
                    self._hit(name, value_ctx, value.line, "attribute")

    # ---- models ----
    def _model_fields(self, qual: str) -> None:
        info = self.ev.index.class_info(qual)
        if info is None:
            return
        self._note_model(qual)
        for field_def, owner in model_fields(self.ev, qual):
            name = field_def.column or field_def.name
            self._hit(
                name, SourceRef(owner.facts.path, field_def.line, ""), field_def.line, "field"
            )

    def _note_model(self, qual: str) -> None:
        self._models.append(qual)
        info = self.ev.index.class_info(qual)
        if info is not None and info.cls.table:
            self._tables.append(info.cls.table)

    def _hit(self, name: str, ctx: str | SourceRef, line: int | None, how: str) -> None:
        if not name or len(name) > 100:
            return
        if isinstance(ctx, SourceRef):
            ref = SourceRef(ctx.file, line, f"{how} {name}")
        else:
            ref = SourceRef(self.ev.index.file_of(ctx), line, f"{how} {name}")
        self._fields.append(FieldHit(name, ref, self._group))


def model_fields(ev: Evaluator, qual: str) -> list[tuple[FieldDef, ClassInfo]]:
    """The stored fields of a class and of the project classes it inherits from (ORM
    relations, file fields and managers excluded), and those a library base brings."""
    found: list[tuple[FieldDef, ClassInfo]] = []
    seen: set[str] = set()
    classes = [qual, *ev.base_names(qual)]
    fw = ev.frameworks
    for name in classes:
        info = ev.index.class_info(name)
        if info is None:
            inherited = dict(fw.inherited_fields).get(name, ())
            owner = ev.index.class_info(qual)
            if owner is not None:
                for field_name in inherited:
                    if field_name not in seen:
                        seen.add(field_name)
                        pseudo = FieldDef(field_name, owner.cls.line, None, name)
                        found.append((pseudo, owner))
            continue
        for field_def in info.cls.fields:
            if field_def.name in seen or not is_stored_field(ev, field_def):
                continue
            seen.add(field_def.name)
            found.append((field_def, info))
    return found


def is_stored_field(ev: Evaluator, field_def: FieldDef) -> bool:
    fw = ev.frameworks
    factory = field_def.factory or ""
    if factory in fw.relation_factories or factory in fw.file_factories:
        return False
    last = factory.rsplit(".", 1)[-1]
    if factory and (last.endswith("Manager") or last in ("relationship", "Relationship")):
        return False
    annotation = field_def.annotation or ""
    if annotation.startswith(("ClassVar", "Relationship", 'list["', "List[")) and not factory:
        return False
    return not (factory == "" and annotation == "")


def file_fields(ev: Evaluator, qual: str) -> list[tuple[FieldDef, ClassInfo]]:
    """``FileField`` / ``ImageField`` of a model: their content goes to the file storage."""
    found: list[tuple[FieldDef, ClassInfo]] = []
    for name in (qual, *ev.base_names(qual)):
        info = ev.index.class_info(name)
        if info is None:
            continue
        for field_def in info.cls.fields:
            if (field_def.factory or "") in ev.frameworks.file_factories:
                found.append((field_def, info))
    return found


def _line_at(pieces: list[tuple[str, int, int]], offset: int) -> int:
    for text, line, start in reversed(pieces):
        if offset >= start:
            return line + text[: offset - start].count("\n")
    return pieces[0][1] if pieces else 0
