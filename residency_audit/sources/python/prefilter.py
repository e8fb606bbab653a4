"""Which Python files are worth parsing, decided from their bytes alone.

Parsing with libcst is the expensive part of the Python analysis, and most files of a
repository (tests, utilities, vendored code) can change nothing: they import no store
client, ORM, settings reader or model base, read no environment variable, define no
module-level constant or model, and contain no sign of whose data they handle. A file that
matches none of the byte patterns cannot produce a fact the linker uses, so it is skipped.
The patterns come from the data tables (the import roots of every client, reader and
framework name) plus data/signals.yaml; tests check on every fixture that linking the
prefiltered files gives the same result as linking all of them.

Two kinds of files matter only through other files, and code reaches another module only
through its name (the last part of the module's dotted name, as a word anywhere in the
text: imports, relative imports, ``import_module`` strings):

* a file whose only sign is a plain data class (a dataclass, TypedDict, NamedTuple, attrs
  class) matters if code that writes a store can reach the class: it is parsed when a
  parsed file names its module;
* a file whose only sign is a call of a store write method (``table.put_item(...)``,
  ``cache.hset(...)``) matters if the receiver is a client made elsewhere: it is parsed
  when it names a parsed module (``from app.clients import table``) or a parsed file names
  it (a handler called with the client);
* a package's ``__init__.py`` may re-export a class or client from its modules: it is
  parsed when a parsed file names the package.

:func:`select_for_parsing` repeats this until no further file is pulled in. Still bytes
only, before any parse.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache

from residency_audit.sources.python.catalog import client_catalog, frameworks, readers, signals
from residency_audit.sources.python.names import is_package_init, module_name


class Relevance(enum.Enum):
    SKIP = "skip"  # nothing in the file can change the analysis
    IF_NAMED = "if named"  # only plain data classes: parse when a parsed file names it
    IF_LINKED = "if linked"  # calls a store write method (maybe data classes too): parse
    # when a parsed file names it, or it names a parsed file (the client it writes with)
    PARSE = "parse"


def relevance(data: bytes) -> Relevance:
    if any(pattern.search(data) is not None for pattern in _patterns()):
        return Relevance.PARSE
    if _write_calls().search(data) is not None:
        return Relevance.IF_LINKED
    if any(pattern.search(data) is not None for pattern in _model_patterns()):
        return Relevance.IF_NAMED
    return Relevance.SKIP


def might_matter(data: bytes) -> bool:
    """False only for files the full analysis would get nothing from, whatever other
    files say (see :func:`select_for_parsing` for those that depend on other files)."""
    return relevance(data) is not Relevance.SKIP


def select_for_parsing(sources: Mapping[str, bytes]) -> frozenset[str]:
    """The paths (of ``sources``: path -> bytes, all Python files of the scan) to parse."""
    return choose({path: relevance(data) for path, data in sources.items()}, sources.__getitem__)


def choose(relevances: Mapping[str, Relevance], read: Callable[[str], bytes]) -> frozenset[str]:
    """:func:`select_for_parsing` from verdicts already known (a scan reuses the previous
    scan's verdict for an unchanged file); ``read`` gives the bytes of a file, asked only
    while files wait on others."""
    selected: set[str] = set()
    named: dict[bytes, list[str]] = {}  # module name's last part -> files waiting to be named
    linked: dict[str, frozenset[bytes]] = {}  # write-call files -> the words they contain
    for path, kind in relevances.items():
        if kind is Relevance.PARSE:
            selected.add(path)
        elif kind in (Relevance.IF_NAMED, Relevance.IF_LINKED) or is_package_init(path):
            # a package's __init__ may re-export what code imports through it
            named.setdefault(_last_name(path), []).append(path)
            if kind is Relevance.IF_LINKED:
                linked[path] = frozenset(_WORD.findall(read(path)))
    frontier = set(selected)
    while frontier and (named or linked):
        words = set().union(*(_WORD.findall(read(path)) for path in frontier))
        pulled = {p for name in words & named.keys() for p in named.pop(name)}
        names = {_last_name(path) for path in frontier}
        pulled.update(path for path, used in linked.items() if used & names)
        frontier = pulled - selected
        selected.update(frontier)
        for path in frontier:
            linked.pop(path, None)
    return frozenset(selected)


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _last_name(path: str) -> bytes:
    """``app/models/customer.py`` -> ``customer``; ``app/models/__init__.py`` -> ``models``."""
    return module_name(path).rsplit(".", 1)[-1].encode("utf-8", "replace")


def might_hold_markers(data: bytes) -> bool:
    """False only for files in which no literal can match a subject or code marker."""
    return any(pattern.search(data) is not None for pattern in _marker_patterns())


def import_roots() -> frozenset[str]:
    """Top-level packages named by the tables (``boto3``, ``sqlalchemy``, ``environ`` ...)."""
    catalog = client_catalog()
    fw = frameworks()
    rd = readers()
    names: list[str] = [
        *catalog.constructor_calls,
        *catalog.write_function_calls,
        *(c for row in rd.functions for c in row.calls),
        *(c for row in rd.instances for c in row.constructors),
        *rd.settings_bases,
        *(b for b, _ in fw.orm_bases),
        *fw.sqlmodel_bases,
        *fw.declarative_factories,
        *fw.document_bases,
        *fw.document_decorators,
        *(b for row in fw.storage_backends for b in row.backends),
        *fw.dependency_markers,
        fw.django_settings_object,
        *(c for row in signals().context_calls for c in row.calls),
    ]
    return frozenset(_root(name) for name in names if _root(name) not in _EVERYWHERE)


# Imported by nearly every file; the names of theirs that matter are byte patterns instead.
_EVERYWHERE = frozenset(
    {"os", "typing", "typing_extensions", "dataclasses", "locale", "attr", "attrs", "builtins"}
)
# Namespace packages: only a sub-package says anything (google.cloud, not google.protobuf).
_NAMESPACES = frozenset({"google", "azure"})


def _root(name: str) -> str:
    parts = name.split(".")
    if parts[0] in _NAMESPACES and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def _imports_of(roots: Iterable[str]) -> bytes:
    alternatives = "|".join(sorted(re.escape(r) for r in roots))
    # a root followed by a word boundary: "redis" but not "redistribute"
    return rb"(?m)^[ \t]*(?:from|import)[ \t]+(?:" + alternatives.encode() + rb")\b"


@cache
def _patterns() -> tuple[re.Pattern[bytes], ...]:
    """Searched one by one: Python's engine scans a single big alternation slower than
    these separately, and most kept files stop at the first."""
    table = signals()
    return tuple(
        re.compile(p)
        for p in (_imports_of(import_roots()), *table.prefilter_patterns, *table.marker_patterns)
    )


@cache
def _write_calls() -> re.Pattern[bytes]:
    """A call of any method the client table says may write (``.put_item(``, ``.add(``):
    the receiver may be a client another module made."""
    methods = "|".join(sorted(re.escape(m) for m in client_catalog().write_methods))
    return re.compile(rb"\.(?:" + methods.encode() + rb")\s*\(")


@cache
def _model_patterns() -> tuple[re.Pattern[bytes], ...]:
    return tuple(re.compile(p) for p in signals().model_patterns)


@cache
def _marker_patterns() -> tuple[re.Pattern[bytes], ...]:
    return tuple(re.compile(p) for p in signals().marker_patterns)
