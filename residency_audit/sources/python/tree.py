"""Fast iteration over a libcst tree.

libcst's visitors rebuild every node they pass (``_visit_and_replace_children``), which made
reading a file three times slower than parsing it. The analysis never changes a tree, so it
walks the nodes' dataclass fields itself, skipping the whitespace and punctuation fields that
can hold nothing it looks for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import cache

import libcst as cst

_SKIPPED = ("whitespace", "lpar", "rpar", "comma", "semicolon", "colon", "leading_lines")
_SKIPPED_EXACT = frozenset(
    {"lines_after_decorators", "header", "footer", "newline", "equal", "operator", "dot", "star"}
)


@cache
def _fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in _SKIPPED_EXACT and not any(s in f.name for s in _SKIPPED)
    )


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that can hold code, in field order (lexical for every node kind the
    analysis reads)."""
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def descendants(
    node: cst.CSTNode, stop: tuple[type[cst.CSTNode], ...] = ()
) -> Iterator[cst.CSTNode]:
    """``node`` and everything under it, depth first in field order, without recursion (a
    deeply nested expression must not overflow the stack); subtrees of ``stop`` types are
    not entered (the node itself is yielded)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        if current is not node and isinstance(current, stop):
            continue
        pending.extend(reversed(list(children(current))))


def dotted_name(node: cst.CSTNode | None) -> str | None:
    """``boto3.client`` for ``Attribute(Name("boto3"), "client")``; None for anything but
    a chain of names."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None
