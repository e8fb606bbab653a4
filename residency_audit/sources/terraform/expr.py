"""Our own small Terraform AST: frozen, picklable, with exact source lines.

python-hcl2's dict output loses line numbers and hands expressions back as strings that would
need parsing again, so ``hcl.py`` converts its raw Lark tree once per file into these types.
The AST is cached by content hash and crosses process pools, hence frozen dataclasses built
only from strings, numbers and tuples.

Every expression keeps ``text`` (its source) and ``line`` so that a message can name the exact
expression that could not be evaluated. Both are provenance, not meaning: they are excluded
from equality, so two expressions that mean the same thing compare equal wherever they came
from (and tests can state the expected tree without repeating the source).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

LiteralValue = str | int | float | bool | None


@dataclass(frozen=True)
class Literal:
    value: LiteralValue
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Template:
    """A string with interpolations; literal pieces are ``Literal`` strings."""

    parts: tuple[Expr, ...]
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class GetAttr:
    name: str


@dataclass(frozen=True)
class Index:
    key: Expr


@dataclass(frozen=True)
class Splat:
    """``[*]`` (full) or ``.*`` (attribute-only): the following steps apply to each element."""

    full: bool


Step = GetAttr | Index | Splat


@dataclass(frozen=True)
class Traversal:
    """``root.step[step]...`` starting at a name such as ``var``, ``local`` or ``aws_s3_bucket``."""

    root: str
    steps: tuple[Step, ...] = ()
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class RelativeTraversal:
    """Steps applied to the result of another expression, e.g. ``split(",", x)[0]``."""

    source: Expr
    steps: tuple[Step, ...]
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class FunctionCall:
    """``name(args...)``; ``expand_final`` marks a trailing ``...`` that spreads the last list."""

    name: str
    args: tuple[Expr, ...] = ()
    expand_final: bool = False
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class TupleExpr:
    items: tuple[Expr, ...] = ()
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class ObjectExpr:
    """``{ key = value }``; a bare identifier key is ``Literal(name)``, ``(expr)`` stays an expr."""

    items: tuple[tuple[Expr, Expr], ...] = ()
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Conditional:
    cond: Expr
    true: Expr
    false: Expr
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class BinaryOp:
    op: str
    left: Expr
    right: Expr
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class UnaryOp:
    op: str
    operand: Expr
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class ForExpr:
    """``[for k, v in coll : value if cond]`` or ``{for ... : key => value... if cond}``.

    ``key_var`` is the first of two iteration names (index or key), ``None`` when only one is
    given. ``key`` is ``None`` for the tuple form; ``grouping`` marks the object form's ``...``.
    """

    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None
    value: Expr
    condition: Expr | None = None
    grouping: bool = False
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Unsupported:
    """A construct we keep but do not model (template directives, over-deep nesting...)."""

    kind: str
    text: str = field(default="", compare=False, kw_only=True)
    line: int = field(default=0, compare=False, kw_only=True)


Expr = (
    Literal
    | Template
    | Traversal
    | RelativeTraversal
    | FunctionCall
    | TupleExpr
    | ObjectExpr
    | Conditional
    | BinaryOp
    | UnaryOp
    | ForExpr
    | Unsupported
)


@dataclass(frozen=True)
class Attribute:
    name: str
    value: Expr
    line: int


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    blocks: tuple[Block, ...]
    line: int
    end_line: int

    def attribute(self, name: str) -> Attribute | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None

    def blocks_of(self, type: str) -> tuple[Block, ...]:
        return tuple(block for block in self.blocks if block.type == type)


@dataclass(frozen=True)
class HclFile:
    """One parsed file; top-level attributes are what ``.tfvars`` files consist of."""

    attributes: tuple[Attribute, ...] = ()
    blocks: tuple[Block, ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None

    def blocks_of(self, type: str) -> tuple[Block, ...]:
        return tuple(block for block in self.blocks if block.type == type)


def describe(expr: Expr) -> str:
    """The source text when we have it, otherwise a rendering; for messages."""
    return expr.text or render(expr)


# Rendering deeper than this prints "..." so a pathological tree cannot exhaust the stack.
_RENDER_DEPTH = 32


def render(expr: Expr, _depth: int = 0) -> str:
    """HCL-like text for an expression built without source (tests, synthesised nodes)."""
    if _depth > _RENDER_DEPTH:
        return "..."
    d = _depth + 1
    match expr:
        case Literal(value=value):
            return _render_literal(value)
        case Template(parts=parts):
            inner = "".join(
                _escape_template(p.value)
                if isinstance(p, Literal) and isinstance(p.value, str)
                # A non-string literal part still has to be interpolated to keep its meaning.
                else "${" + render(p, d) + "}"
                for p in parts
            )
            return f'"{inner}"'
        case Traversal(root=root, steps=steps):
            return root + _render_steps(steps, d)
        case RelativeTraversal(source=source, steps=steps):
            return f"({render(source, d)}){_render_steps(steps, d)}"
        case FunctionCall(name=name, args=args, expand_final=expand):
            rendered = ", ".join(render(a, d) for a in args)
            return f"{name}({rendered}{'...' if expand else ''})"
        case TupleExpr(items=items):
            return "[" + ", ".join(render(i, d) for i in items) + "]"
        case ObjectExpr(items=items):
            pairs = (f"{_render_key(k, d)} = {render(v, d)}" for k, v in items)
            return "{" + ", ".join(pairs) + "}"
        case Conditional(cond=cond, true=true, false=false):
            return f"{render(cond, d)} ? {render(true, d)} : {render(false, d)}"
        case BinaryOp(op=op, left=left, right=right):
            return f"{_render_operand(left, d)} {op} {_render_operand(right, d)}"
        case UnaryOp(op=op, operand=operand):
            return f"{op}{_render_operand(operand, d)}"
        case ForExpr():
            return _render_for(expr, d)
        case Unsupported(kind=kind):
            return f"<{kind}>"
    raise AssertionError(f"unexpected expression {expr!r}")  # pragma: no cover


def _render_literal(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{_escape_template(value)}"'
    return repr(value)


def _escape_template(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped.replace("${", "$${").replace("%{", "%%{")


def _render_steps(steps: tuple[Step, ...], depth: int) -> str:
    out: list[str] = []
    for step in steps:
        if isinstance(step, GetAttr):
            out.append(f".{step.name}")
        elif isinstance(step, Index):
            out.append(f"[{render(step.key, depth)}]")
        else:
            out.append("[*]" if step.full else ".*")
    return "".join(out)


def _render_key(key: Expr, depth: int) -> str:
    if isinstance(key, Literal) and isinstance(key.value, str) and key.value.isidentifier():
        return key.value
    return f"({render(key, depth)})"


def _render_operand(expr: Expr, depth: int) -> str:
    text = render(expr, depth)
    return f"({text})" if isinstance(expr, BinaryOp | Conditional) else text


def _render_for(expr: ForExpr, depth: int) -> str:
    names = f"{expr.key_var}, {expr.value_var}" if expr.key_var else expr.value_var
    intro = f"for {names} in {render(expr.collection, depth)} : "
    cond = f" if {render(expr.condition, depth)}" if expr.condition is not None else ""
    if expr.key is None:
        return f"[{intro}{render(expr.value, depth)}{cond}]"
    dots = "..." if expr.grouping else ""
    key, value = render(expr.key, depth), render(expr.value, depth)
    return f"{{{intro}{key} => {value}{dots}{cond}}}"


def brief(expr: Expr, limit: int = 80) -> str:
    """The expression's text on one line, shortened, for evidence notes."""
    text = " ".join(describe(expr).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
