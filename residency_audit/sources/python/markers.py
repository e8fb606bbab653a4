"""Signs in Python code of whose personal data it handles (contract: subjects).

``country == "RU"``, ``phonenumbers.parse(raw, "RU")``, a ``+7`` prefix, ``ru_RU``, СНИЛС in a
``verbose_name``: each literal is tried against the shared subject-marker table in the
context its use gives it (personal_data/data/subject_markers.yaml), plus the few code-only
markers of data/signals.yaml. Each hit keeps its line and the function (and class) it is in,
so the linker can tell which writes the code that handles Russians performs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from residency_audit.personal_data.identifiers import markers_for
from residency_audit.personal_data.lexicon import tokenise
from residency_audit.sources.python.catalog import signals
from residency_audit.sources.python.facts import MarkerHit
from residency_audit.sources.python.positions import NodePositions
from residency_audit.sources.python.tree import children, dotted_name

Qualify = Callable[[str], str]

_MAX_LITERAL = 500


def find_markers(
    tree: cst.Module, positions: NodePositions, module: str, qualify: Qualify
) -> tuple[MarkerHit, ...]:
    finder = _MarkerFinder(positions, module, qualify)
    finder.run(tree)
    return tuple(dict.fromkeys(finder.hits))


@dataclass(frozen=True)
class _Where:
    """The innermost function or class a node is in, named as the parser names them."""

    kind: str  # "" (module), "def" or "class"
    local: str
    function: str  # qualified enclosing function, "" outside functions

    def enter(self, node: cst.CSTNode, module: str) -> _Where:
        if isinstance(node, cst.FunctionDef):
            local = f"{self.local}.{node.name.value}" if self.local else node.name.value
            return _Where("def", local, f"{module}.{local}" if module else local)
        if isinstance(node, cst.ClassDef):
            outer = self.local if self.kind == "class" else ""
            local = f"{outer}.{node.name.value}" if outer else node.name.value
            return _Where("class", local, self.function)
        return self


class _MarkerFinder:
    def __init__(self, positions: NodePositions, module: str, qualify: Qualify) -> None:
        self._positions = positions
        self._module = module
        self._qualify = qualify
        self._signals = signals()
        self.hits: list[MarkerHit] = []

    def _line(self, node: cst.CSTNode) -> int:
        return self._positions.line(node)

    def run(self, tree: cst.Module) -> None:
        """Every node once, in order, without recursion; docstrings and other bare string
        statements describe code, they do not handle data, and are not read."""
        pending: list[tuple[cst.CSTNode, _Where]] = [(tree, _Where("", "", ""))]
        while pending:
            node, where = pending.pop()
            if _is_bare_string(node):
                continue
            self._node(node, where)
            inner = where.enter(node, self._module)
            pending.extend((child, inner) for child in reversed(list(children(node))))

    # ---- recording ----
    def _hit(self, context: str, text: str, node: cst.CSTNode, where: _Where) -> None:
        if not text or len(text) > _MAX_LITERAL:
            return
        line = self._line(node)
        class_name = ""
        if where.kind == "class":
            class_name = f"{self._module}.{where.local}" if self._module else where.local
        found = [(m.id, m.subject, m.strength) for m in markers_for(context, text)]
        found.extend(
            (m.id, m.subject, m.strength)
            for m in self._signals.code_markers
            if m.context == context and m.matches(text)
        )
        for marker, subject, strength in found:
            self.hits.append(
                MarkerHit(marker, subject, strength, text, line, where.function, class_name)
            )

    def _contextual(
        self, name_node: cst.CSTNode | None, value: cst.CSTNode | None, where: _Where
    ) -> None:
        if name_node is None or value is None:
            return
        name = _name_of(name_node)
        if name is None:
            return
        context = self._signals.context_of_tokens(tokenise(name))
        if context is None:
            return
        for literal, node in _literals(value):
            self._hit(context, literal, node, where)

    def _node(self, node: cst.CSTNode, where: _Where) -> None:
        if isinstance(node, cst.SimpleString):
            text = _evaluated(node)
            if text is not None:
                self._everywhere(text, node, where)
        elif isinstance(node, cst.FormattedStringText):
            self._everywhere(node.value, node, where)
        elif isinstance(node, cst.Comparison):
            left: cst.BaseExpression = node.left
            for target in node.comparisons:
                if isinstance(target.operator, _COMPARISONS):
                    self._contextual(left, target.comparator, where)
                    self._contextual(target.comparator, left, where)
                left = target.comparator
        elif isinstance(node, cst.Assign):
            for assigned in node.targets:
                self._contextual(assigned.target, node.value, where)
        elif isinstance(node, cst.AnnAssign):
            self._contextual(node.target, node.value, where)
        elif isinstance(node, cst.Arg):
            if node.keyword is not None:
                self._contextual(node.keyword, node.value, where)
        elif isinstance(node, cst.DictElement):
            self._contextual(node.key, node.value, where)
        elif isinstance(node, cst.Call):
            self._call(node, where)

    def _call(self, node: cst.Call, where: _Where) -> None:
        dotted = dotted_name(node.func)
        row = self._signals.context_call(self._qualify(dotted)) if dotted else None
        if row is None:
            return
        value: cst.BaseExpression | None = None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in row.spec.kws:
                value = arg.value
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if value is None and row.spec.arg is not None and row.spec.arg < len(positional):
            value = positional[row.spec.arg].value
        if value is not None:
            for literal, lit_node in _literals(value):
                self._hit(row.context, literal, lit_node, where)

    def _everywhere(self, text: str, node: cst.CSTNode, where: _Where) -> None:
        self._hit("phone", text, node, where)
        self._hit("text", text, node, where)
        if "@" in text:
            self._hit("email", text, node, where)


_COMPARISONS = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn, cst.Is, cst.IsNot)


def _is_bare_string(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.Expr)
        and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _evaluated(node: cst.SimpleString) -> str | None:
    try:
        value = node.evaluated_value
    except Exception:  # malformed escapes: nothing to read
        return None
    return value if isinstance(value, str) else None


def _name_of(node: cst.CSTNode) -> str | None:
    """The identifier a value is compared with or assigned to: ``customer.country`` ->
    ``country``; ``data["country_code"]`` and ``data.get("country_code")`` -> the key."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.SimpleString):
        return _evaluated(node)
    if isinstance(node, cst.Subscript) and node.slice:
        element = node.slice[0].slice
        if isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString):
            return _evaluated(element.value)
        return _name_of(node.value)
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "get"
        and node.args
        and isinstance(node.args[0].value, cst.SimpleString)
    ):
        return _evaluated(node.args[0].value)
    return None


def _literals(node: cst.CSTNode) -> Iterator[tuple[str, cst.CSTNode]]:
    """String literals of a value: one literal, or the members of a tuple/list/set."""
    if isinstance(node, cst.SimpleString):
        text = _evaluated(node)
        if text is not None:
            yield text, node
    elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        for element in node.elements:
            yield from _literals(element.value)
