"""What one Python file says, as frozen plain data.

The per-file stage cannot know what another module defines, so values are kept as a small
expression language (:data:`Expr`) that the link stage evaluates across files: a bucket name
may be ``os.environ.get("DOCUMENTS_BUCKET", "acme-docs")`` in ``settings.py``, imported into
``documents.py`` and passed to ``put_object`` there. Names are fully qualified at parse time
(imports and relative imports resolved, function locals inlined), so the linker only has to
find the module a dotted name lives in.

Everything here is strings, numbers and tuples, so facts cross process boundaries and the
content-hash cache unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from residency_audit.model import ScanError

# --- expressions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """A literal: strings as written (decoded), numbers, ``True``/``False``/``None`` as text.

    ``kind`` is ``str``, ``bytes``, ``int``, ``float``, ``bool`` or ``none`` so that a
    number is never mistaken for a host name.
    """

    value: str
    line: int
    kind: str = "str"


@dataclass(frozen=True)
class Env:
    """An environment variable read (``os.environ[...]``, ``getenv``, django-environ,
    python-decouple, pydantic-settings fields); ``default`` applies when it is unset."""

    name: str
    default: Expr | None
    reader: str
    line: int


@dataclass(frozen=True)
class Ref:
    """A fully qualified dotted name: ``checkout.settings.DOCUMENTS_BUCKET``,
    ``boto3.client``; the link stage finds the module it lives in (or none: a library)."""

    target: str
    line: int


@dataclass(frozen=True)
class Param:
    """A function parameter, with its annotation (a class whose fields may be written) and
    its default (FastAPI's ``Depends(get_db)`` says where a session comes from)."""

    name: str
    annotation: Expr | None
    default: Expr | None
    line: int


@dataclass(frozen=True)
class Join:
    """String concatenation, an f-string, ``str.format`` or ``%``-formatting, in order."""

    parts: tuple[Expr, ...]
    line: int


@dataclass(frozen=True)
class Alt:
    """One of several values: ``a or b``, ``x if c else y``, a function's returns.

    ``first_wins`` marks ``a or b``: when ``a`` is known to be set, ``b`` never applies.
    """

    options: tuple[Expr, ...]
    line: int
    first_wins: bool = False


@dataclass(frozen=True)
class Call:
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    line: int
    star_kwargs: tuple[Expr, ...] = ()  # ``**payload`` arguments


@dataclass(frozen=True)
class Attr:
    """Attribute access on something that is not a plain dotted name (a call's result)."""

    base: Expr
    name: str
    line: int


@dataclass(frozen=True)
class Item:
    """Subscript: ``client["crm"]``, ``DATABASES["default"]``."""

    base: Expr
    key: Expr
    line: int


@dataclass(frozen=True)
class DictE:
    """A dict display; ``**other`` entries are kept with key ``None``."""

    items: tuple[tuple[Expr | None, Expr], ...]
    line: int


@dataclass(frozen=True)
class Seq:
    """A list, tuple or set display (or a comprehension's element, once)."""

    items: tuple[Expr, ...]
    line: int


@dataclass(frozen=True)
class Opaque:
    """Anything the analysis does not model; ``text`` is a short piece of the source."""

    text: str
    line: int


Expr = Lit | Env | Ref | Param | Join | Alt | Call | Attr | Item | DictE | Seq | Opaque


# --- module structure ---------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """``alias`` in this module stands for ``target`` (a dotted module or module.name);
    ``star`` imports bring every public name of ``target``."""

    alias: str
    target: str
    line: int
    star: bool = False


@dataclass(frozen=True)
class Binding:
    """A name the module defines: ``NAME`` at module level, ``Class.attr`` for class
    attributes and ``self.attr`` assignments, ``func()`` for what a function returns/yields."""

    name: str
    value: Expr
    line: int


@dataclass(frozen=True)
class FieldDef:
    """One field of a class: an ORM column, a pydantic/dataclass field.

    ``column`` is the stored name when it differs (``Column("e_mail", String)``,
    ``db_column=``); ``factory`` is the qualified callable that built it
    (``django.db.models.CharField``), so relations and file fields can be told apart.
    """

    name: str
    line: int
    column: str | None = None
    factory: str | None = None
    annotation: str | None = None
    options: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class ClassDef:
    """A class with fields: a model, a settings class, a dataclass or a plain DTO."""

    name: str  # qualified: module.Class
    line: int
    bases: tuple[str, ...]  # qualified dotted names as far as the file can tell
    decorators: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    table: str | None = None  # __tablename__ / Meta.db_table
    table_line: int | None = None
    abstract: bool = False
    meta: tuple[tuple[str, Expr], ...] = ()  # Meta / model_config / Config entries


@dataclass(frozen=True)
class CallSite:
    """A call that may write to a store (its method name is a write method of the client
    table, or the callee is a write function); evaluated across files when linking."""

    func: Expr
    method: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    line: int
    function: str  # qualified name of the enclosing function, "" at module level
    star_kwargs: tuple[Expr, ...] = ()

    def as_call(self) -> Call:
        return Call(self.func, self.args, self.kwargs, self.line, self.star_kwargs)


@dataclass(frozen=True)
class ClientSite:
    """A call to a store client constructor from the client table (``boto3.client``,
    ``psycopg.connect``, ``create_engine`` ...), with its table row id."""

    api: str
    call: Call
    line: int
    bound_to: str | None  # the binding name it is assigned to, when there is one
    function: str


@dataclass(frozen=True)
class FunctionDef:
    """A function and the project callables it calls (for subject markers, which reach the
    writes of the functions a marker's function calls directly)."""

    name: str  # qualified: module.func or module.Class.method
    line: int
    end_line: int
    calls: tuple[str, ...]  # qualified names of callees, as far as the file can tell


@dataclass(frozen=True)
class MarkerHit:
    """A sign in the code of whose data it handles (``country == "RU"``, ``+7``, ``ru_RU``)."""

    marker: str  # SubjectMarker.id
    subject: str
    strength: str
    text: str
    line: int
    function: str  # enclosing function, "" at module level
    class_name: str = ""  # enclosing class, for markers on model fields


@dataclass(frozen=True)
class PythonFacts:
    path: str
    module: str  # dotted module name from the path (``services/a/b.py`` -> ``services.a.b``)
    imports: tuple[Import, ...] = ()
    bindings: tuple[Binding, ...] = ()
    classes: tuple[ClassDef, ...] = ()
    clients: tuple[ClientSite, ...] = ()
    calls: tuple[CallSite, ...] = ()
    functions: tuple[FunctionDef, ...] = ()
    markers: tuple[MarkerHit, ...] = ()
    errors: tuple[ScanError, ...] = ()
