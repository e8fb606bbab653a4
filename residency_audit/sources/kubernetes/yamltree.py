"""Bounded, safe composition of YAML text into a small tree that remembers line numbers.

Why not ``yaml.safe_load``: findings must cite the line of every value they rely on, and
scanned repositories are untrusted. libyaml's C composer recurses once per nesting level
and crashes the interpreter (segfault) on a few hundred thousand ``[`` characters, and an
alias bomb ("billion laughs") turns a kilobyte into a billion nodes for any code that walks
the result. So we take libyaml's *events* (its parser keeps its own heap stack, so it does
not recurse) and compose them here iteratively, with limits on nesting depth and on the
number of nodes the document would have if every alias were expanded. Aliased subtrees
stay shared, never copied; the limit only counts what a walk over them would visit.

Only the YAML core schema is resolved (tags decide null vs. text); every scalar keeps the
text as written, so ``port: 5432`` and ``enabled: yes`` read back as ``"5432"`` and
``"yes"``. Nothing is ever constructed from a tag, so no object can be instantiated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

_BaseLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_DEPTH = 200
"""Real manifests nest about 20 levels; CRD schemas about 60."""

MAX_EXPANDED_NODES = 500_000
"""Per document, counting aliased subtrees once per reference."""


class _EventLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The project's own subclass, so nothing we do touches PyYAML's global loaders."""


@dataclass(slots=True)
class YScalar:
    value: str | None  # None for a YAML null (``~``, ``null``, nothing)
    line: int


@dataclass(slots=True)
class YSeq:
    items: list[YNode]
    line: int


@dataclass(slots=True)
class YMap:
    entries: dict[str, YNode]
    line: int
    key_lines: dict[str, int] = field(default_factory=dict)


YNode = YScalar | YSeq | YMap


@dataclass(frozen=True, slots=True)
class YDocument:
    root: YNode
    line: int  # 1-based line of the document's root node (its first key for a mapping)


class YamlProblem(Exception):
    """Why the text could not be composed, and the 1-based line where that was noticed."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(slots=True)
class _Frame:
    node: YSeq | YMap
    anchor: str | None
    size: int = 1
    key: str | None = None
    key_line: int = 0
    key_pending: bool = False
    merges: list[YMap] = field(default_factory=list)
    merge_next: bool = False


def compose_documents(
    text: str,
    *,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_EXPANDED_NODES,
) -> Iterator[YDocument]:
    """Yield each document of ``text`` in order; raise :class:`YamlProblem` at the first bad one.

    Documents before a broken one are still yielded, so a caller can keep what was good.
    Empty documents (only comments, or a bare ``---``) are skipped.
    """
    loader = _EventLoader(text)
    try:
        while True:
            event = _next_event(loader)
            if isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.DocumentStartEvent | yaml.StreamStartEvent):
                continue
            document = _compose_one(loader, event, max_depth, max_nodes)
            if document is not None:
                yield document
    finally:
        loader.dispose()


def _next_event(loader: _EventLoader) -> yaml.Event:
    try:
        return loader.get_event()  # type: ignore[no-any-return]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML error: {exc}") from None


def _compose_one(
    loader: _EventLoader, first: yaml.Event, max_depth: int, max_nodes: int
) -> YDocument | None:
    anchors: dict[str, YNode] = {}
    sizes: dict[int, int] = {}
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    root: YNode | None = None
    expanded = 0
    event = first
    while True:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        node: YNode | None = None
        size = 0
        if isinstance(event, yaml.DocumentEndEvent):
            break
        if isinstance(event, yaml.AliasEvent):
            anchor = event.anchor
            if anchor in open_anchors:
                raise YamlProblem(line, f"recursive YAML alias *{anchor} refers to itself")
            if anchor not in anchors:
                raise YamlProblem(line, f"YAML alias *{anchor} refers to no anchor")
            node = anchors[anchor]
            size = sizes[id(node)]
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            value = None if tag == NULL_TAG else event.value
            node = YScalar(value, line)
            size = 1
            if stack and isinstance(stack[-1].node, YMap) and not stack[-1].key_pending:
                stack[-1].merge_next = tag == MERGE_TAG
            _remember(anchors, sizes, event.anchor, node, size)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(stack) >= max_depth:
                raise YamlProblem(line, f"YAML nested deeper than {max_depth} levels; not read")
            container: YSeq | YMap = (
                YSeq([], line) if isinstance(event, yaml.SequenceStartEvent) else YMap({}, line)
            )
            if event.anchor is not None:
                anchors[event.anchor] = container
                open_anchors.add(event.anchor)
            stack.append(_Frame(container, event.anchor))
            expanded += 1
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = stack.pop()
            node = frame.node
            size = frame.size
            if isinstance(node, YMap):
                for merged in frame.merges:
                    for key, inherited in merged.entries.items():
                        if key not in node.entries:
                            node.entries[key] = inherited
                            node.key_lines[key] = merged.key_lines.get(key, merged.line)
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                sizes[id(node)] = size
        if node is not None:
            if not isinstance(event, yaml.CollectionEndEvent):
                expanded += size  # a collection counted itself at its start, children as they came
            if expanded > max_nodes:
                raise YamlProblem(
                    line,
                    f"YAML document would expand to more than {max_nodes} nodes "
                    "(alias bomb or generated data); not read",
                )
            if stack:
                _attach(stack[-1], node, size, line)
            else:
                root = node
        event = _next_event(loader)
    if root is None or (isinstance(root, YScalar) and root.value is None):
        return None
    return YDocument(root, root.line)


def _remember(
    anchors: dict[str, YNode], sizes: dict[int, int], anchor: str | None, node: YNode, size: int
) -> None:
    if anchor is not None:
        anchors[anchor] = node
        sizes[id(node)] = size


def _attach(frame: _Frame, node: YNode, size: int, line: int) -> None:
    frame.size += size
    target = frame.node
    if isinstance(target, YSeq):
        target.items.append(node)
        return
    if not frame.key_pending:
        if not isinstance(node, YScalar):
            raise YamlProblem(
                line, "a mapping key that is itself a mapping or list is not supported"
            )
        frame.key = "" if node.value is None else node.value
        frame.key_line = line
        frame.key_pending = True
        return
    frame.key_pending = False
    if frame.merge_next:
        frame.merge_next = False
        if isinstance(node, YMap):
            frame.merges.append(node)
            return
        if isinstance(node, YSeq) and all(isinstance(item, YMap) for item in node.items):
            frame.merges.extend(item for item in node.items if isinstance(item, YMap))
            return
        raise YamlProblem(line, "a YAML merge key (<<) must refer to a mapping or a list of them")
    assert frame.key is not None
    target.entries[frame.key] = node
    target.key_lines[frame.key] = frame.key_line


# --- reading a composed tree --------------------------------------------------------


def child(node: YNode | None, *path: str) -> YNode | None:
    for key in path:
        if not isinstance(node, YMap):
            return None
        node = node.entries.get(key)
    return node


def text(node: YNode | None, *path: str) -> str | None:
    """A scalar's text as written, or None when absent, null or not a scalar."""
    found = child(node, *path)
    return found.value if isinstance(found, YScalar) else None


def mapping(node: YNode | None, *path: str) -> YMap | None:
    found = child(node, *path)
    return found if isinstance(found, YMap) else None


def items(node: YNode | None, *path: str) -> list[YNode]:
    found = child(node, *path)
    return found.items if isinstance(found, YSeq) else []


def line_of(node: YNode | None, default: int) -> int:
    return node.line if node is not None else default


def string_pairs(node: YNode | None) -> tuple[tuple[str, str], ...]:
    """A mapping of scalars as (key, text) pairs; null values read as ""."""
    if not isinstance(node, YMap):
        return ()
    return tuple(
        (key, "" if value.value is None else value.value)
        for key, value in node.entries.items()
        if isinstance(value, YScalar)
    )
