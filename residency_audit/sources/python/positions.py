"""Lines and source text of every node of a libcst tree, at a fifth of PositionProvider's cost.

Evidence needs lines, never columns. libcst's ``MetadataWrapper.resolve(PositionProvider)``
first visits the whole tree (rebuilding each node) and then generates the code again while
splitting every token with a regular expression and building two ``CodePosition`` objects
per node: on generated monorepos that was half the time of reading a Python file. This
module runs the same code generation with a state that only counts newlines, honouring the
syntactic-position hooks the nodes call, so a node's lines are exactly the ones
``PositionProvider`` gives (tests compare both on every fixture file). It also counts
characters, so a node's source text is a slice of the file instead of another code
generation (``Module.code_for_node``) per quoted expression.

It relies on libcst's code-generation protocol (``CSTNode._codegen`` calling
``before_codegen``/``after_codegen``/``record_syntactic_position`` on a ``CodegenState``);
should a libcst release move it, :func:`node_lines` falls back to ``PositionProvider``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

try:
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - only on a libcst that reorganised its internals
    CodegenState = None  # type: ignore[assignment,misc]

Lines = tuple[int, int]
_NEWLINES = re.compile(r"\r\n?|\n")


class NodePositions:
    """Where each node of one module is: its lines, and its text in the source."""

    def __init__(
        self,
        source: str,
        lines: Mapping[cst.CSTNode, Lines],
        spans: Mapping[cst.CSTNode, Lines] | None,
    ) -> None:
        self._source = source
        self._lines = lines
        self._spans = spans

    def line(self, node: cst.CSTNode) -> int:
        """First line of the node (0 for a node not in the module)."""
        lines = self._lines.get(node)
        return lines[0] if lines else 0

    def end_line(self, node: cst.CSTNode) -> int:
        lines = self._lines.get(node)
        return lines[1] if lines else 0

    def code(self, node: cst.CSTNode) -> str:
        """The node's source text, stripped, as ``Module.code_for_node`` gives it."""
        span = self._spans.get(node) if self._spans is not None else None
        if span is not None:
            return self._source[span[0] : span[1]].strip()
        try:
            return cst.Module(body=()).code_for_node(node).strip()
        except Exception:  # only used for short evidence text
            return type(node).__name__


def node_positions(module: cst.Module, source: str) -> NodePositions:
    """Positions of every node of ``module``, parsed from ``source``."""
    if CodegenState is not None:
        try:
            state = _LineCountingState(module.default_indent, module.default_newline)
            module._codegen(state)
            return NodePositions(source, state.lines, state.spans)
        except (AttributeError, TypeError):  # pragma: no cover - a changed protocol
            pass
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    lines = {node: (r.start.line, r.end.line) for node, r in ranges.items()}
    return NodePositions(source, lines, None)


if CodegenState is not None:

    class _LineCountingState(CodegenState):
        """Generates no text: it advances a line and a character counter, and records
        each node's syntactic lines and whitespace-inclusive character span."""

        def __init__(self, default_indent: str, default_newline: str) -> None:
            super().__init__(default_indent, default_newline)
            self.line = 1
            self.offset = 0
            self._indent = 0
            self._starts: list[Lines] = []
            self.lines: dict[cst.CSTNode, Lines] = {}
            self.spans: dict[cst.CSTNode, Lines] = {}

        def increase_indent(self, value: str) -> None:
            self.indent_tokens.append(value)
            self._indent += len(value)

        def decrease_indent(self) -> None:
            self._indent -= len(self.indent_tokens.pop())

        def add_indent_tokens(self) -> None:
            self.offset += self._indent

        def add_token(self, value: str) -> None:
            if not self.tokens:  # Module asks whether anything was generated at all
                self.tokens.append(value)
            self.offset += len(value)
            if "\r" in value:
                self.line += len(_NEWLINES.findall(value))
            else:
                self.line += value.count("\n")

        def pop_trailing_newline(self) -> None:
            """No text is kept, so there is nothing to pop."""

        def before_codegen(self, node: cst.CSTNode) -> None:
            self._starts.append((self.line, self.offset))

        def after_codegen(self, node: cst.CSTNode) -> None:
            line, offset = self._starts.pop()
            self.spans[node] = (offset, self.offset)
            if node not in self.lines:  # a syntactic position recorded inside wins
                self.lines[node] = (line, self.line)

        @contextmanager
        def record_syntactic_position(
            self,
            node: cst.CSTNode,
            *,
            start_node: cst.CSTNode | None = None,
            end_node: cst.CSTNode | None = None,
        ) -> Iterator[None]:
            start = self.line
            try:
                yield
            finally:
                end = self.line
                if start_node is not None:
                    start = self.lines[start_node][0]
                if end_node is not None:
                    end = self.lines[end_node][1]
                self.lines[node] = (start, end)
