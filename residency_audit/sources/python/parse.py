"""One Python file -> :class:`PythonFacts`, with libcst, never executing anything.

The walk follows the code in order, so a function's locals are known where they are used
(``table = dynamodb.Table(TABLE)`` then ``table.put_item(...)`` records the receiver as the
``Table(...)`` call itself). Module-level and class-level names become bindings the linker
can reach from other files; calls become client sites (the callee is a constructor of the
client table) or call sites (the method is one the table says may write). Whether a call
really writes a store is decided when linking, once the receiver's type is known.
"""

from __future__ import annotations

import ast
import builtins
import io
import sys
import tokenize
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst

from residency_audit.model import ScanError
from residency_audit.sources.python.catalog import (
    ReaderInstance,
    client_catalog,
    frameworks,
    readers,
)
from residency_audit.sources.python.facts import (
    Alt,
    Attr,
    Binding,
    Call,
    CallSite,
    ClassDef,
    ClientSite,
    DictE,
    Env,
    Expr,
    FieldDef,
    FunctionDef,
    Import,
    Item,
    Join,
    Lit,
    Opaque,
    Param,
    PythonFacts,
    Ref,
    Seq,
)
from residency_audit.sources.python.limits import refusal
from residency_audit.sources.python.markers import find_markers
from residency_audit.sources.python.names import is_package_init, module_name, resolve_relative
from residency_audit.sources.python.positions import NodePositions, node_positions
from residency_audit.sources.python.prefilter import might_hold_markers
from residency_audit.sources.python.readers import (
    function_read,
    instance_read,
    literal_text,
    tuple_defaults,
)
from residency_audit.sources.python.tree import descendants, dotted_name

_BUILTINS = frozenset(dir(builtins))
_OPAQUE_CHARS = 60
_NO_DEFAULT = "..."


def parse_python(path: str, data: bytes) -> PythonFacts:
    """The facts of one file; unreadable or malformed input becomes an error record."""
    module = module_name(path)
    text, error = decode_source(path, data)
    if error is None and text is not None:
        error = _unsafe(path, data, text)
    if error is not None or text is None:
        return PythonFacts(path, module, errors=(error,) if error else ())
    try:
        with _recursion_limit(_LIBCST_RECURSION):
            return _analyse(path, module, text, might_hold_markers(data))
    except RecursionError:
        return PythonFacts(path, module, errors=(ScanError(path, None, _TOO_DEEP),))
    except Exception as exc:  # a defect here must not stop the scan: report it, go on
        message = f"could not analyse this file ({type(exc).__name__}: {exc})"
        return PythonFacts(path, module, errors=(ScanError(path, None, message),))


def _analyse(path: str, module: str, text: str, markers_possible: bool) -> PythonFacts:
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        message = f"Python syntax error: {exc.message}"
        return PythonFacts(path, module, errors=(ScanError(path, exc.raw_line, message),))
    positions = node_positions(tree, text)
    walker = _Walker(path, module, is_package_init(path), positions)
    walker.run(tree)
    # Most files hold no literal any marker could match; walking all their nodes for
    # markers cost a fifth of reading them.
    markers = (
        find_markers(tree, positions, module, walker.qualify_dotted) if markers_possible else ()
    )
    return PythonFacts(
        path=path,
        module=module,
        imports=tuple(walker.imports),
        bindings=tuple(walker.bindings),
        classes=tuple(walker.classes),
        clients=tuple(walker.clients),
        calls=tuple(walker.calls),
        functions=tuple(walker.functions),
        markers=markers,
    )


_TOO_DEEP = "code nested too deeply to analyse; not scanned"
# libcst walks its trees recursively in Python; the deepest code CPython itself accepts
# (about 3,000 chained operators) needs some 10,000 frames. Python 3.11 frames live on the
# heap, so a higher limit does not risk the C stack.
_LIBCST_RECURSION = 20_000


def _unsafe(path: str, data: bytes, text: str) -> ScanError | None:
    """Refuse what would crash libcst's native parser (a segmentation fault takes the whole
    scan down), using CPython's own parser as the gate: it raises, where libcst crashes, on
    nesting deeper than real code. Parsing only: nothing is compiled or run. Its syntax
    errors also name the line a reader would fix (libcst reports a token later)."""
    refused = refusal(data)
    if refused is not None:
        message = f"not analysed: {refused}; libcst cannot parse code this deep safely"
        return ScanError(path, None, message)
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return ScanError(path, exc.lineno, f"Python syntax error: {exc.msg}")
    except (RecursionError, MemoryError):
        return ScanError(path, None, _TOO_DEEP)
    except ValueError as exc:  # e.g. NUL bytes in the source
        return ScanError(path, None, f"not Python source: {exc}")
    return None


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def decode_source(path: str, data: bytes) -> tuple[str | None, ScanError | None]:
    """Decode as Python does: a BOM or a PEP 263 coding line, else UTF-8."""
    if b"\x00" in data[:8192]:
        return None, ScanError(path, None, "binary file (contains NUL bytes); not scanned")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return None, ScanError(path, exc.lineno, f"bad source encoding declaration: {exc.msg}")
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not valid {encoding} text ({exc.reason} at byte {exc.start})"
        return None, ScanError(path, line, message)
    except LookupError:
        return None, ScanError(path, 1, f"unknown source encoding {encoding!r}")


# --- the walk -------------------------------------------------------------------------------


@dataclass
class _Scope:
    """A function body: its locals so far, what it returns and whom it calls."""

    qualname: str
    local: str  # the module-local dotted name (Class.method, outer.inner)
    values: dict[str, Expr] = field(default_factory=dict)
    returns: list[Expr] = field(default_factory=list)
    callees: list[str] = field(default_factory=list)


@dataclass
class _ClassCtx:
    local: str  # Class or Outer.Inner
    names: set[str] = field(default_factory=set)


class _Walker:
    def __init__(self, path: str, module: str, is_package: bool, positions: NodePositions) -> None:
        self.path = path
        self.module = module
        self.is_package = is_package
        self._positions = positions
        self.imports: list[Import] = []
        self.bindings: list[Binding] = []
        self.classes: list[ClassDef] = []
        self.clients: list[ClientSite] = []
        self.calls: list[CallSite] = []
        self.functions: list[FunctionDef] = []
        self._aliases: dict[str, str] = {}
        self._module_names: set[str] = set()
        self._module_values: dict[str, Expr] = {}
        self._reader_instances: dict[str, tuple[ReaderInstance, tuple[tuple[str, Expr], ...]]] = {}
        self._settings_classes: set[str] = set()
        self._scopes: list[_Scope] = []
        self._classes: list[_ClassCtx] = []
        self._in_class_body = False
        self._catalog = client_catalog()
        self._write_methods = self._catalog.write_methods
        self._readers = readers()
        self._frameworks = frameworks()

    # ---- positions ----
    def line(self, node: cst.CSTNode) -> int:
        return self._positions.line(node)

    def end_line(self, node: cst.CSTNode) -> int:
        return self._positions.end_line(node)

    def code(self, node: cst.CSTNode) -> str:
        return self._positions.code(node)

    # ---- entry ----
    def run(self, tree: cst.Module) -> None:
        self._module_names = set(_bound_names(tree.body))
        self._block(tree.body)

    # ---- names ----
    def _qual(self, local: str) -> str:
        return f"{self.module}.{local}" if self.module else local

    def resolve_name(self, name: str, line: int) -> Expr:
        for scope in reversed(self._scopes):
            if name in scope.values:
                return scope.values[name]
        if self._in_class_body and self._classes and name in self._classes[-1].names:
            return Ref(self._qual(f"{self._classes[-1].local}.{name}"), line)
        if name in self._aliases:
            return Ref(self._aliases[name], line)
        if name in self._module_names:
            return Ref(self._qual(name), line)
        if name in ("True", "False"):
            return Lit(name, line, "bool")
        if name == "None":
            return Lit("None", line, "none")
        if name in _BUILTINS:
            return Ref(f"builtins.{name}", line)
        return Ref(self._qual(name), line)

    def qualify_dotted(self, dotted: str) -> str:
        """A dotted name as imports make it (module-level imports only; for markers)."""
        head, _, rest = dotted.partition(".")
        target = self._aliases.get(head)
        if target is None:
            return dotted
        return f"{target}.{rest}" if rest else target

    # ---- statements ----
    def _block(self, body: Sequence[cst.BaseStatement | cst.BaseSmallStatement]) -> None:
        for stmt in body:
            self._stmt(stmt)

    def _stmt(self, stmt: cst.BaseStatement | cst.BaseSmallStatement) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small)
        elif isinstance(stmt, cst.FunctionDef):
            self._function(stmt)
        elif isinstance(stmt, cst.ClassDef):
            self._class(stmt)
        elif isinstance(stmt, cst.If):
            self._if(stmt)
        elif isinstance(stmt, (cst.For)):
            self._scan(stmt.iter)
            element = Item(self.expr(stmt.iter), Opaque("*", self.line(stmt)), self.line(stmt))
            self._bind(stmt.target, element, self.line(stmt))
            self._suite(stmt.body)
            if stmt.orelse is not None:
                self._suite(stmt.orelse.body)
        elif isinstance(stmt, cst.While):
            self._scan(stmt.test)
            self._suite(stmt.body)
            if stmt.orelse is not None:
                self._suite(stmt.orelse.body)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self._suite(stmt.body)
            for handler in stmt.handlers:
                self._suite(handler.body)
            if stmt.orelse is not None:
                self._suite(stmt.orelse.body)
            if stmt.finalbody is not None:
                self._suite(stmt.finalbody.body)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                self._scan(item.item)
                if item.asname is not None:
                    self._bind(item.asname.name, self.expr(item.item), self.line(item))
            self._suite(stmt.body)
        elif isinstance(stmt, cst.Match):
            self._scan(stmt.subject)
            for case in stmt.cases:
                self._suite(case.body)
        elif isinstance(stmt, cst.BaseSmallStatement):
            self._small(stmt)

    def _suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self._block(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self._small(small)

    def _if(self, stmt: cst.If) -> None:
        self._scan(stmt.test)
        self._suite(stmt.body)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            self._if(orelse)
        elif isinstance(orelse, cst.Else):
            self._suite(orelse.body)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            self._scan(small.value, bound=self._binding_name(small.targets[0].target))
            value = self.expr(small.value)
            for target in small.targets:
                self._bind(target.target, value, self.line(small))
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._scan(small.value, bound=self._binding_name(small.target))
                self._bind(small.target, self.expr(small.value), self.line(small))
        elif isinstance(small, cst.AugAssign):
            self._scan(small.value)
        elif isinstance(small, cst.Expr):
            self._scan(small.value)
            node = small.value.expression if isinstance(small.value, cst.Await) else small.value
            if isinstance(node, cst.Yield) and isinstance(node.value, cst.BaseExpression):
                self._returned(self.expr(node.value))
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self._scan(small.value)
                self._returned(self.expr(small.value))
        elif isinstance(small, cst.Import):
            for alias in small.names:
                dotted = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self._import(alias.asname.name.value, dotted, self.line(small))
                else:
                    head = dotted.split(".", 1)[0]
                    self._import(head, head, self.line(small))
        elif isinstance(small, cst.ImportFrom):
            self._import_from(small)
        else:
            for child in small.children:
                if isinstance(child, cst.BaseExpression):
                    self._scan(child)

    def _import(self, alias: str, target: str, line: int) -> None:
        if self._scopes:
            self._scopes[-1].values[alias] = Ref(target, line)
            return
        self._aliases[alias] = target
        self.imports.append(Import(alias, target, line))

    def _import_from(self, node: cst.ImportFrom) -> None:
        base = dotted_name(node.module) if node.module is not None else ""
        level = len(node.relative)
        if level:
            base = resolve_relative(self.module, self.is_package, level, base or "")
        line = self.line(node)
        if isinstance(node.names, cst.ImportStar):
            if not self._scopes:
                self.imports.append(Import("*", base or "", line, star=True))
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._import(local, f"{base}.{name}" if base else name, line)

    def _returned(self, value: Expr) -> None:
        if self._scopes:
            self._scopes[-1].returns.append(value)

    # ---- bindings ----
    def _binding_name(self, target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Name):
            if self._scopes:
                return f"{self._scopes[-1].local}:{target.value}"
            if self._in_class_body and self._classes:
                return f"{self._classes[-1].local}.{target.value}"
            return target.value
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
            and self._classes
        ):
            return f"{self._classes[-1].local}.{target.attr.value}"
        return None

    def _bind(self, target: cst.BaseExpression, value: Expr, line: int) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if self._scopes:
                self._scopes[-1].values[name] = value
            elif self._in_class_body and self._classes:
                self.bindings.append(Binding(f"{self._classes[-1].local}.{name}", value, line))
            else:
                self.bindings.append(Binding(name, value, line))
                self._module_values[name] = value
                self._note_reader_instance(name, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            if isinstance(value, Seq) and len(value.items) == len(elements):
                for element, item in zip(elements, value.items, strict=True):
                    self._bind(element, item, line)
            else:
                for element in elements:
                    self._bind(element, Opaque("(unpacked)", line), line)
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
            and self._classes
        ):
            name = f"{self._classes[-1].local}.{target.attr.value}"
            if not any(b.name == name for b in self.bindings):
                self.bindings.append(Binding(name, value, line))

    def _note_reader_instance(self, name: str, value: Expr) -> None:
        if isinstance(value, Call) and isinstance(value.func, Ref):
            instance = self._readers.instance(value.func.target)
            if instance is not None:
                defaults = (
                    tuple_defaults(value.kwargs) if instance.scheme == "tuple_default" else ()
                )
                self._reader_instances[self._qual(name)] = (instance, defaults)

    # ---- functions ----
    def _function(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        if self._in_class_body and self._classes:
            parent_local = self._classes[-1].local
        else:
            parent_local = self._scopes[-1].local if self._scopes else ""
        local = f"{parent_local}.{name}" if parent_local else name
        in_class = self._in_class_body and bool(self._classes)
        if self._scopes and not in_class:
            self._scopes[-1].values[name] = Ref(self._qual(local), self.line(node))
        scope = _Scope(self._qual(local), local)
        decorators = {(dotted_name(d.decorator) or "") for d in node.decorators}
        params = _all_params(node.params)
        for index, param in enumerate(params):
            pname = param.name.value
            if in_class and index == 0 and "staticmethod" not in decorators:
                scope.values[pname] = Ref(self._qual(self._classes[-1].local), self.line(param))
                continue
            annotation = self.expr(param.annotation.annotation) if param.annotation else None
            default = self.expr(param.default) if param.default is not None else None
            scope.values[pname] = Param(pname, annotation, default, self.line(param))
        was_in_class = self._in_class_body
        self._in_class_body = False
        self._scopes.append(scope)
        try:
            self._suite(node.body)
        finally:
            self._scopes.pop()
            self._in_class_body = was_in_class
        if scope.returns:
            value = (
                scope.returns[0]
                if len(scope.returns) == 1
                else Alt(tuple(scope.returns), self.line(node))
            )
            self.bindings.append(Binding(f"{local}()", value, self.line(node)))
        self.functions.append(
            FunctionDef(
                scope.qualname,
                self.line(node),
                self.end_line(node),
                tuple(dict.fromkeys(scope.callees)),
            )
        )

    # ---- classes ----
    def _class(self, node: cst.ClassDef) -> None:
        name = node.name.value
        outer = self._classes[-1].local + "." if self._classes and self._in_class_body else ""
        local = f"{outer}{name}"
        if self._scopes:
            self._scopes[-1].values[name] = Ref(self._qual(local), self.line(node))
        bases = tuple(_target_of(self.expr(arg.value)) for arg in node.bases if arg.keyword is None)
        keywords = tuple(
            (arg.keyword.value, self.expr(arg.value)) for arg in node.bases if arg.keyword
        )
        decorators = tuple(
            _target_of(self.expr(_decorator_callee(d.decorator))) for d in node.decorators
        )
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        ctx = _ClassCtx(local, set(_bound_names(body)))
        settings_class = bool(
            set(bases) & set(self._readers.settings_bases)
            or set(bases) & {self._qual(c) for c in self._settings_classes}
        )
        if settings_class:
            self._settings_classes.add(local)
        self._classes.append(ctx)
        was_in_class = self._in_class_body
        self._in_class_body = True
        try:
            meta = self._class_meta(body)
            prefix = literal_text(dict(meta).get("env_prefix")) or ""
            fields, table, table_line = self._class_body(body, local, settings_class, prefix)
        finally:
            self._classes.pop()
            self._in_class_body = was_in_class
        abstract_value = dict(meta).get("abstract")
        abstract = isinstance(abstract_value, Lit) and abstract_value.value == "True"
        self.classes.append(
            ClassDef(
                name=self._qual(local),
                line=self.line(node),
                bases=bases,
                decorators=decorators,
                fields=tuple(fields),
                table=table,
                table_line=table_line,
                abstract=abstract,
                meta=(*keywords, *meta),
            )
        )

    def _class_meta(self, body: Sequence[cst.BaseStatement]) -> tuple[tuple[str, Expr], ...]:
        """``class Meta``/``class Config`` entries and ``model_config = ...Dict(...)`` keys."""
        found: list[tuple[str, Expr]] = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value in ("Meta", "Config"):
                inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
                for line in inner:
                    if not isinstance(line, cst.SimpleStatementLine):
                        continue
                    for small in line.body:
                        if isinstance(small, cst.Assign) and isinstance(
                            small.targets[0].target, cst.Name
                        ):
                            found.append((small.targets[0].target.value, self.expr(small.value)))
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    target = _assign_target(small)
                    value = getattr(small, "value", None)
                    if target == "model_config" and isinstance(value, cst.Call):
                        call = self.expr(value)
                        if isinstance(call, Call):
                            found.extend(call.kwargs)
                        elif isinstance(call, DictE):
                            found.extend((k.value, v) for k, v in call.items if isinstance(k, Lit))
        return tuple(found)

    def _class_body(
        self, body: Sequence[cst.BaseStatement], local: str, settings: bool, prefix: str
    ) -> tuple[list[FieldDef], str | None, int | None]:
        fields: list[FieldDef] = []
        table: str | None = None
        table_line: int | None = None
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value in ("Meta", "Config"):
                continue
            if not isinstance(stmt, cst.SimpleStatementLine):
                self._stmt(stmt)
                continue
            for small in stmt.body:
                target = _assign_target(small)
                line = self.line(small)
                if target == "__tablename__" and isinstance(small, (cst.Assign, cst.AnnAssign)):
                    value = self.expr(small.value) if small.value is not None else None
                    table, table_line = literal_text(value), line
                    continue
                if target is None or target.startswith("_") or target == "model_config":
                    self._small(small)
                    continue
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    self._scan(small.value, bound=f"{local}.{target}")
                field_def = self._field(small, target, line)
                if field_def is not None:
                    fields.append(field_def)
                if settings and isinstance(small, cst.AnnAssign):
                    self.bindings.append(
                        Binding(
                            f"{local}.{target}", self._settings_env(field_def, prefix, line), line
                        )
                    )
                elif isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    self.bindings.append(Binding(f"{local}.{target}", self.expr(small.value), line))
        return fields, table, table_line

    def _field(self, small: cst.BaseSmallStatement, name: str, line: int) -> FieldDef | None:
        annotation: str | None = None
        value_node: cst.BaseExpression | None = None
        if isinstance(small, cst.AnnAssign):
            annotation = self.code(small.annotation.annotation)
            if annotation.startswith(("ClassVar", "typing.ClassVar")):
                return None
            value_node = small.value
        elif isinstance(small, cst.Assign):
            value_node = small.value
            if not isinstance(value_node, cst.Call):
                return None
        else:
            return None
        factory: str | None = None
        options: tuple[tuple[str, Expr], ...] = ()
        column: str | None = None
        if isinstance(value_node, cst.Call):
            call = self.expr(value_node)
            if isinstance(call, Call):
                factory = _target_of(call.func) or None
                options = call.kwargs
                for key in self._frameworks.column_name_options:
                    column = column or literal_text(dict(call.kwargs).get(key))
                if (
                    call.args
                    and factory
                    and factory.endswith("Field")
                    and "default" not in dict(options)
                ):
                    options = (("default", call.args[0]), *options)
                if call.args and factory and factory.endswith(("Column", "mapped_column")):
                    column = column or literal_text(call.args[0])
        elif value_node is not None:
            options = (("default", self.expr(value_node)),)
        return FieldDef(name, line, column, factory, annotation, options)

    def _settings_env(self, field_def: FieldDef | None, prefix: str, line: int) -> Expr:
        """A pydantic-settings field is read from ``<env_prefix><NAME>`` (case-insensitive)
        unless an alias names the variable; its default applies when the variable is unset."""
        assert field_def is not None
        options = dict(field_def.options)
        name = prefix + field_def.name
        for key in ("validation_alias", "alias", "env"):
            alias = literal_text(options.get(key))
            if alias:
                name = alias
                break
        default = options.get("default")
        if isinstance(default, Opaque) and default.text == _NO_DEFAULT:
            default = None
        return Env(name.upper(), default, "pydantic-settings", line)

    # ---- calls ----
    def _scan(self, node: cst.BaseExpression, bound: str | None = None) -> None:
        """Record the interesting calls inside an expression (not inside nested defs)."""
        top = node.expression if isinstance(node, cst.Await) else node
        for call in _calls_in(node):
            func = self.expr(call.func)
            target = _target_of(func)
            line = self.line(call)
            if self._scopes and target and not target.startswith("builtins."):
                self._scopes[-1].callees.append(target)
            method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
            is_constructor = target in self._catalog.constructor_calls
            is_write_function = target in self._catalog.write_function_calls
            if not (is_constructor or is_write_function or method in self._write_methods):
                continue
            converted = self.expr(call)
            if not isinstance(converted, Call):
                continue
            function = self._scopes[-1].qualname if self._scopes else ""
            if is_constructor:
                self.clients.append(
                    ClientSite(target, converted, line, bound if call is top else None, function)
                )
            else:
                self.calls.append(
                    CallSite(
                        converted.func,
                        "" if is_write_function else method,
                        converted.args,
                        converted.kwargs,
                        line,
                        function,
                        converted.star_kwargs,
                    )
                )

    # ---- expressions ----
    def expr(self, node: cst.BaseExpression) -> Expr:
        line = self.line(node)
        if isinstance(node, cst.Name):
            return self.resolve_name(node.value, line)
        if isinstance(node, cst.Attribute):
            base = self.expr(node.value)
            if isinstance(base, Ref):
                return Ref(f"{base.target}.{node.attr.value}", line)
            return Attr(base, node.attr.value, line)
        if isinstance(node, cst.SimpleString):
            return _string_lit(node, line)
        if isinstance(node, cst.ConcatenatedString):
            return _flat_join([self.expr(node.left), self.expr(node.right)], line)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, line)
        if isinstance(node, cst.Integer):
            return Lit(node.value, line, "int")
        if isinstance(node, cst.Float):
            return Lit(node.value, line, "float")
        if isinstance(node, cst.Call):
            return self._call(node, line)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, line)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, line)
        if isinstance(node, cst.BooleanOperation):
            if isinstance(node.operator, cst.Or):
                return Alt((self.expr(node.left), self.expr(node.right)), line, first_wins=True)
            return self.expr(node.right)
        if isinstance(node, cst.IfExp):
            return Alt((self.expr(node.body), self.expr(node.orelse)), line)
        if isinstance(node, cst.Dict):
            items: list[tuple[Expr | None, Expr]] = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    items.append((self.expr(element.key), self.expr(element.value)))
                elif isinstance(element, cst.StarredDictElement):
                    items.append((None, self.expr(element.value)))
            return DictE(tuple(items), line)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return Seq(
                tuple(self.expr(e.value) for e in node.elements if isinstance(e, cst.Element)),
                line,
            )
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._comprehension(node, line)
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        if isinstance(node, cst.NamedExpr):
            value = self.expr(node.value)
            if self._scopes and isinstance(node.target, cst.Name):
                self._scopes[-1].values[node.target.value] = value
            return value
        return Opaque(self.code(node)[:_OPAQUE_CHARS], line)

    def _fstring(self, node: cst.FormattedString, line: int) -> Expr:
        parts: list[Expr] = []
        offset_line = line
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(Lit(part.value, offset_line))
                offset_line += part.value.count("\n")
            elif isinstance(part, cst.FormattedStringExpression):
                parts.append(self.expr(part.expression))
        return _flat_join(parts, line)

    def _comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp, line: int
    ) -> Expr:
        scope = _Scope(self._scopes[-1].qualname if self._scopes else "", "<comp>")
        for comp in _comp_fors(node.for_in):
            scope.values.update(
                (n, Item(self.expr(comp.iter), Opaque("*", line), line))
                for n in _target_names(comp.target)
            )
        self._scopes.append(scope)
        try:
            element = self.expr(node.elt)
        finally:
            self._scopes.pop()
        if self._scopes:
            self._scopes[-1].callees.extend(scope.callees)
        return Seq((element,), line)

    def _binary(self, node: cst.BinaryOperation, line: int) -> Expr:
        if isinstance(node.operator, cst.Add):
            # a + b + c nests to the left; read the chain in a loop, not by recursion
            operands: list[cst.BaseExpression] = [node.right]
            current: cst.BaseExpression = node.left
            while isinstance(current, cst.BinaryOperation) and isinstance(
                current.operator, cst.Add
            ):
                operands.append(current.right)
                current = current.left
            operands.append(current)
            parts = [self.expr(operand) for operand in reversed(operands)]
            if any(_stringy(part) for part in parts):
                return _flat_join(parts, line)
            return Opaque(self.code(node)[:_OPAQUE_CHARS], line)
        left = self.expr(node.left)
        right = self.expr(node.right)
        if isinstance(node.operator, cst.Modulo) and isinstance(left, Lit) and left.kind == "str":
            values = right.items if isinstance(right, Seq) else (right,)
            return _percent_format(left, values, right, line)
        if (
            isinstance(node.operator, cst.BitOr)
            and isinstance(left, DictE)
            and isinstance(right, DictE)
        ):
            return DictE(left.items + right.items, line)
        return Opaque(self.code(node)[:_OPAQUE_CHARS], line)

    def _subscript(self, node: cst.Subscript, line: int) -> Expr:
        base = self.expr(node.value)
        element = node.slice[0].slice if node.slice else None
        key: Expr = (
            self.expr(element.value)
            if isinstance(element, cst.Index)
            else Opaque(self.code(node)[:_OPAQUE_CHARS], line)
        )
        if isinstance(base, Ref) and base.target == "os.environ":
            name = literal_text(key)
            if name is not None:
                return Env(name, None, "os.environ", line)
        return Item(base, key, line)

    def _call(self, node: cst.Call, line: int) -> Expr:
        func = self.expr(node.func)
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        star_kwargs: list[Expr] = []
        for arg in node.args:
            value = self.expr(arg.value)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            elif arg.star == "**":
                star_kwargs.append(value)
            elif arg.star == "*":
                args.append(Opaque(f"*{self.code(arg.value)[:_OPAQUE_CHARS]}", line))
            else:
                args.append(value)
        special = self._special_call(func, args, kwargs, line)
        if special is not None:
            return special
        return Call(func, tuple(args), tuple(kwargs), line, tuple(star_kwargs))

    def _special_call(
        self, func: Expr, args: list[Expr], kwargs: list[tuple[str, Expr]], line: int
    ) -> Expr | None:
        if isinstance(func, Ref):
            row = self._readers.function(func.target)
            if row is not None:
                return function_read(row, args, kwargs, line)
            owner, _, method = func.target.rpartition(".")
            for instance_name, method_name in ((func.target, "__call__"), (owner, method)):
                found = self._reader_instances.get(instance_name)
                if found is None:
                    continue
                spec = found[0].method(method_name)
                if spec is not None:
                    return instance_read(spec, found[0].reader, found[1], args, kwargs, line)
            if func.target == "builtins.str" and len(args) == 1:
                return args[0]
        if isinstance(func, Attr) and _stringy(func.base):
            if func.name == "format":
                return _str_format(func.base, args, kwargs, line)
            if func.name == "join" and len(args) == 1 and isinstance(args[0], Seq):
                separator = func.base
                parts: list[Expr] = []
                for index, item in enumerate(args[0].items):
                    if index:
                        parts.append(separator)
                    parts.append(item)
                return _flat_join(parts, line)
            if func.name in ("strip", "lower", "upper", "rstrip", "lstrip", "encode"):
                return func.base
        return None


# --- helpers --------------------------------------------------------------------------------


def _decorator_callee(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.func if isinstance(node, cst.Call) else node


def _target_of(expr: Expr) -> str:
    return expr.target if isinstance(expr, Ref) else ""


def _assign_target(small: cst.BaseSmallStatement) -> str | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value
    return None


def _bound_names(body: Sequence[cst.CSTNode]) -> Iterator[str]:
    """Names a block binds at its own level (including inside if/try), for forward refs."""
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            yield stmt.name.value
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        yield from _target_names(target.target)
                elif isinstance(small, cst.AnnAssign):
                    yield from _target_names(small.target)
        elif isinstance(stmt, cst.If):
            yield from _bound_names(_suite_body(stmt.body))
            if stmt.orelse is not None:
                yield from _bound_names(_suite_body(stmt.orelse.body))
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            yield from _bound_names(_suite_body(stmt.body))
            for handler in stmt.handlers:
                yield from _bound_names(_suite_body(handler.body))
            if stmt.orelse is not None:
                yield from _bound_names(_suite_body(stmt.orelse.body))


def _suite_body(suite: cst.BaseSuite | cst.If | cst.Else) -> Sequence[cst.CSTNode]:
    if isinstance(suite, (cst.If, cst.Else)):
        return _suite_body(suite.body)
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)]
    return ()


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    found.extend(params.kwonly_params)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _comp_fors(node: cst.CompFor) -> Iterator[cst.CompFor]:
    current: cst.CompFor | None = node
    while current is not None:
        yield current
        current = current.inner_for_in


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    """Calls inside an expression, outermost first; a lambda's body runs elsewhere."""
    return [n for n in descendants(node, stop=(cst.Lambda,)) if isinstance(n, cst.Call)]


def _string_lit(node: cst.SimpleString, line: int) -> Lit:
    try:
        value = node.evaluated_value
    except Exception:  # malformed escapes: keep the raw text
        return Lit(node.value, line)
    if isinstance(value, bytes):
        return Lit(value.decode("utf-8", "replace"), line, "bytes")
    return Lit(value, line)


def _stringy(expr: Expr) -> bool:
    return (isinstance(expr, Lit) and expr.kind in ("str", "bytes")) or isinstance(expr, Join)


def _flat_join(parts: Sequence[Expr], line: int) -> Expr:
    flat: list[Expr] = []
    for part in parts:
        if isinstance(part, Join):
            flat.extend(part.parts)
        else:
            flat.append(part)
    merged: list[Expr] = []
    for part in flat:
        if isinstance(part, Lit) and part.kind == "str" and not part.value:
            continue
        merged.append(part)
    if len(merged) == 1:
        return merged[0]
    return Join(tuple(merged), line)


def _str_format(
    template: Expr, args: Sequence[Expr], kwargs: Sequence[tuple[str, Expr]], line: int
) -> Expr:
    """``"{}://{host}/{}".format(a, b, host=h)``; templates that are not literal stay opaque."""
    if not isinstance(template, Lit):
        return Opaque("str.format(...)", line)
    text = template.value
    named = dict(kwargs)
    parts: list[Expr] = []
    auto = 0
    i = 0
    buf = ""
    while i < len(text):
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            buf += "{"
            i += 2
            continue
        if ch == "}" and text.startswith("}}", i):
            buf += "}"
            i += 2
            continue
        if ch == "{":
            end = text.find("}", i)
            if end < 0:
                return Opaque("str.format(...)", line)
            spec = text[i + 1 : end].split("!", 1)[0].split(":", 1)[0]
            if buf:
                parts.append(Lit(buf, template.line))
                buf = ""
            if spec == "":
                value = args[auto] if auto < len(args) else Opaque("{}", line)
                auto += 1
            elif spec.isdigit():
                index = int(spec)
                value = args[index] if index < len(args) else Opaque("{}", line)
            else:
                value = named.get(spec, Opaque(f"{{{spec}}}", line))
            parts.append(value)
            i = end + 1
            continue
        buf += ch
        i += 1
    if buf:
        parts.append(Lit(buf, template.line))
    return _flat_join(parts, line)


def _percent_format(template: Lit, values: Sequence[Expr], whole: Expr, line: int) -> Expr:
    """``"postgresql://%s@%s/%s" % (user, host, db)``; ``%(name)s`` with a dict."""
    text = template.value
    parts: list[Expr] = []
    buf = ""
    index = 0
    i = 0
    mapping = (
        {k.value: v for k, v in whole.items if isinstance(k, Lit)}
        if isinstance(whole, DictE)
        else {}
    )
    while i < len(text):
        if text[i] != "%":
            buf += text[i]
            i += 1
            continue
        if text.startswith("%%", i):
            buf += "%"
            i += 2
            continue
        j = i + 1
        key = None
        if j < len(text) and text[j] == "(":
            close = text.find(")", j)
            if close < 0:
                return Opaque("%-format", line)
            key = text[j + 1 : close]
            j = close + 1
        while j < len(text) and not text[j].isalpha():
            j += 1
        if buf:
            parts.append(Lit(buf, template.line))
            buf = ""
        if key is not None:
            parts.append(mapping.get(key, Opaque(f"%({key})s", line)))
        else:
            parts.append(values[index] if index < len(values) else Opaque("%s", line))
            index += 1
        i = j + 1
    if buf:
        parts.append(Lit(buf, template.line))
    return _flat_join(parts, line)
