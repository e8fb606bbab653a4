"""Static evaluation of Terraform expressions, with the trail of what was consulted.

The link stage decides what names mean (variables, locals, module inputs, resources) through a
``Scope``; this module knows only the language: templates, traversals, operators,
conditionals, collections, ``for`` expressions and the functions of ``functions.py``.
Whatever cannot be known becomes an ``Unknown`` value with a reason that names the
expression, and ``evaluate`` never raises: deep or self-referential input ends as ``Unknown``
too, because one odd expression must not stop a scan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from residency_audit.model import SourceRef
from residency_audit.sources.terraform.expr import (
    BinaryOp,
    Conditional,
    Expr,
    ForExpr,
    FunctionCall,
    GetAttr,
    Index,
    Literal,
    ObjectExpr,
    RelativeTraversal,
    Step,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
    Unsupported,
    describe,
)
from residency_audit.sources.terraform.functions import (
    LAZY_FUNCTIONS,
    FrozenMap,
    FunctionError,
    Unknown,
    call,
    call_lazy,
    first_unknown,
    freeze,
    normalize_number,
    to_bool,
    to_number,
    to_string,
    type_name,
    values_equal,
)

__all__ = [
    "ChainScope",
    "Evaluated",
    "FrozenMap",
    "MappingScope",
    "Scope",
    "Unknown",
    "evaluate",
]

# Nested evaluation steps allowed, counted across scopes that evaluate other expressions
# (a local that refers to a local ...). Real configurations stay far below it; it keeps
# Python's own recursion limit out of reach.
MAX_EVALUATION_DEPTH = 100
# Expression nodes one ``evaluate`` call may visit: ``for`` over ``for`` over large lists
# must end as Unknown instead of running for minutes.
MAX_EVALUATION_STEPS = 200_000


@dataclass(frozen=True)
class Evaluated:
    """A value (possibly ``Unknown``) and every definition consulted to get it, in order."""

    value: object
    trace: tuple[SourceRef, ...] = ()

    @property
    def is_known(self) -> bool:
        """True when no part of the value is unknown."""
        return first_unknown(self.value) is None


class Scope(Protocol):
    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        """Resolve a traversal ``root.steps...``.

        ``steps`` are the statically known leading steps (attribute names, and index keys
        that evaluated to a string or whole number). Return the value and how many steps it
        consumed (the evaluator applies the rest itself), or ``None`` if ``root`` is unknown.
        """
        ...


class MappingScope:
    """A scope over nested plain data; ``refs`` maps dotted paths (``var.region``) to sources.

    Used by tests and for tfvars-like data. Dicts and lists are frozen once, here.
    """

    def __init__(
        self, values: Mapping[str, object], refs: Mapping[str, SourceRef] | None = None
    ) -> None:
        self._values = {name: freeze(value) for name, value in values.items()}
        self._refs = dict(refs or {})

    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        if root not in self._values:
            return None
        value = self._values[root]
        path = root
        trace = [self._refs[path]] if path in self._refs else []
        consumed = 0
        for step in steps:
            if isinstance(value, FrozenMap) and isinstance(step, str) and step in value:
                value = value[step]
                path += f".{step}"
            elif isinstance(value, tuple) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
                path += f"[{step}]"
            else:
                break
            consumed += 1
            if path in self._refs:
                trace.append(self._refs[path])
        return Evaluated(value, tuple(trace)), consumed


class ChainScope:
    """Scopes tried in order; the first that knows a root answers."""

    def __init__(self, *scopes: Scope) -> None:
        self._scopes = scopes

    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        for scope in self._scopes:
            found = scope.resolve(root, steps)
            if found is not None:
                return found
        return None


class _Bindings:
    """The iteration names of a ``for`` expression, over the enclosing scope."""

    def __init__(self, names: Mapping[str, object], parent: Scope) -> None:
        self._names = names
        self._parent = parent

    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        if root in self._names:
            return Evaluated(self._names[root]), 0
        return self._parent.resolve(root, steps)


_state = threading.local()


class _TooExpensive(Exception):
    """The step budget ran out: the whole evaluation is abandoned, not half-filled."""


def evaluate(expr: Expr, scope: Scope) -> Evaluated:
    """Evaluate ``expr`` against ``scope``; never raises."""
    run = _Run(scope, [], [0])
    try:
        value = run.eval(expr)
    except _TooExpensive:
        value = Unknown(f"`{_name(expr)}` takes too many steps to evaluate statically")
    except RecursionError:
        value = Unknown(f"`{_name(expr)}` is nested too deeply to evaluate")
    except Exception as exc:  # a scope or a bug of ours: still only an unknown value
        value = Unknown(f"`{_name(expr)}` could not be evaluated ({exc!r})")
    seen: set[SourceRef] = set()
    trace = []
    for ref in run.trace:
        if ref not in seen:
            seen.add(ref)
            trace.append(ref)
    return Evaluated(value, tuple(trace))


_NAME_LIMIT = 80


def _name(expr: Expr) -> str:
    """The expression as messages quote it: one line, at most ``_NAME_LIMIT`` characters."""
    try:
        text = " ".join(describe(expr).split())
    except RecursionError:
        text = "..."
    return text if len(text) <= _NAME_LIMIT else text[: _NAME_LIMIT - 3] + "..."


def _naming(expr: Expr, unknown: Unknown) -> Unknown:
    """The unknown, naming the sub-expression it came from unless its reason names one."""
    if "`" in unknown.reason or _name(expr) in unknown.reason:
        return unknown.plain()
    return Unknown(f"`{_name(expr)}`: {unknown.reason}", unknown.is_error)


def _error(expr: Expr, message: str) -> Unknown:
    return Unknown(f"`{_name(expr)}`: {message}", is_error=True)


class _Run:
    """One evaluation: the scope in force, the trace so far and the step budget."""

    def __init__(self, scope: Scope, trace: list[SourceRef], budget: list[int]) -> None:
        self.scope = scope
        self.trace = trace
        self.budget = budget

    def eval(self, expr: Expr) -> object:
        depth = getattr(_state, "depth", 0)
        if depth >= MAX_EVALUATION_DEPTH:
            return Unknown(f"`{_name(expr)}` is nested or refers to itself too deeply")
        self.budget[0] += 1
        if self.budget[0] > MAX_EVALUATION_STEPS:
            raise _TooExpensive
        _state.depth = depth + 1
        try:
            return _HANDLERS[type(expr)](self, expr)
        except FunctionError as exc:  # a conversion failed: Terraform would fail here too
            return _error(expr, str(exc))
        finally:
            _state.depth = depth

    # ----- leaves

    def _literal(self, expr: Expr) -> object:
        assert isinstance(expr, Literal)
        return expr.value

    def _unsupported(self, expr: Expr) -> object:
        assert isinstance(expr, Unsupported)
        return Unknown(f"`{_name(expr)}` uses {expr.kind}, which is not evaluated statically")

    def _template(self, expr: Expr) -> object:
        assert isinstance(expr, Template)
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], Literal):
            # "${x}" alone yields x's value unchanged (a list stays a list).
            return self.eval(expr.parts[0])
        out: list[str] = []
        for part in expr.parts:
            value = self.eval(part)
            if isinstance(value, Unknown):
                return _naming(part, value)
            if value is None:
                return _error(part, "the value is null and cannot be interpolated")
            if isinstance(value, tuple | FrozenMap):
                return _error(part, f"a {type_name(value)} cannot be interpolated into a string")
            out.append(to_string(value))
        return "".join(out)

    # ----- traversals

    def _traversal(self, expr: Expr) -> object:
        assert isinstance(expr, Traversal)
        keys: dict[int, object] = {}
        static: list[str | int] = []
        for position, step in enumerate(expr.steps):
            if isinstance(step, GetAttr):
                static.append(step.name)
                continue
            if not isinstance(step, Index):
                break
            key = self.eval(step.key)
            keys[position] = key
            if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
                static.append(key)
            elif isinstance(key, float) and key.is_integer():
                static.append(int(key))
            else:
                break
        found = self.scope.resolve(expr.root, tuple(static))
        if found is None:
            return Unknown(f"`{_name(expr)}` refers to `{expr.root}`, which is not known here")
        evaluated, consumed = found
        self.trace.extend(evaluated.trace)
        consumed = max(0, min(consumed, len(static)))
        value = freeze(evaluated.value)
        if consumed == len(expr.steps):
            return value
        return self._apply(value, expr.steps, consumed, keys, expr)

    def _relative(self, expr: Expr) -> object:
        assert isinstance(expr, RelativeTraversal)
        return self._apply(self.eval(expr.source), expr.steps, 0, {}, expr)

    def _apply(
        self,
        value: object,
        steps: tuple[Step, ...],
        start: int,
        keys: Mapping[int, object],
        expr: Expr,
    ) -> object:
        position = start
        while position < len(steps):
            if isinstance(value, Unknown):
                return value.plain()
            step = steps[position]
            if isinstance(step, GetAttr):
                value = _get_attr(value, step.name, expr)
            elif isinstance(step, Index):
                key = keys[position] if position in keys else self.eval(step.key)
                value = _index(value, key, expr)
            else:
                end = len(steps)
                if not step.full:  # ``.*`` carries only the attribute steps that follow it
                    end = position + 1
                    while end < len(steps) and isinstance(steps[end], GetAttr):
                        end += 1
                inner = steps[position + 1 : end]
                elements = () if value is None else value if isinstance(value, tuple) else (value,)
                value = tuple(self._apply(e, inner, 0, {}, expr) for e in elements)
                position = end
                continue
            position += 1
        return value.plain() if isinstance(value, Unknown) else value

    # ----- compound expressions

    def _function(self, expr: Expr) -> object:
        assert isinstance(expr, FunctionCall)
        if expr.name in LAZY_FUNCTIONS:
            return call_lazy(expr.name, expr.args, self.eval)
        args = [self.eval(arg) for arg in expr.args]
        if expr.expand_final and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return _naming(expr.args[-1], last)
            if not isinstance(last, tuple):
                return _error(expr, f"only a list can be expanded with ..., not {type_name(last)}")
            args.extend(last)
        for arg_expr, arg in zip(expr.args, args, strict=False):
            if isinstance(arg, Unknown) and expr.name not in ("coalesce", "lookup"):
                return _naming(arg_expr, arg)
        return call(expr.name, args, _name(expr))

    def _tuple(self, expr: Expr) -> object:
        assert isinstance(expr, TupleExpr)
        return tuple(self.eval(item) for item in expr.items)

    def _object(self, expr: Expr) -> object:
        assert isinstance(expr, ObjectExpr)
        items: dict[str, object] = {}
        for key_expr, value_expr in expr.items:
            key = self.eval(key_expr)
            if isinstance(key, Unknown):
                return _naming(key_expr, key)
            if key is None or isinstance(key, tuple | FrozenMap):
                return _error(key_expr, f"an object key cannot be {type_name(key)}")
            items[to_string(key)] = self.eval(value_expr)
        return FrozenMap(items)

    def _conditional(self, expr: Expr) -> object:
        assert isinstance(expr, Conditional)
        condition = self.eval(expr.cond)
        if not isinstance(condition, Unknown):
            return self.eval(expr.true if to_bool(condition) else expr.false)
        when_true, when_false = self.eval(expr.true), self.eval(expr.false)
        if (
            first_unknown(when_true) is None
            and first_unknown(when_false) is None
            and values_equal(when_true, when_false)
        ):
            return when_true
        candidates: list[object] = []
        for branch in (when_true, when_false):
            options = branch.candidates if isinstance(branch, Unknown) else (branch,)
            for option in options:
                if first_unknown(option) is None and not any(
                    values_equal(option, c) for c in candidates
                ):
                    candidates.append(option)
        reason = _naming(expr.cond, condition)
        return Unknown(reason.reason, reason.is_error, tuple(candidates))

    def _binary(self, expr: Expr) -> object:
        assert isinstance(expr, BinaryOp)
        if expr.op in ("&&", "||"):
            return self._logical(expr)
        left, right = self.eval(expr.left), self.eval(expr.right)
        for side, value in ((expr.left, left), (expr.right, right)):
            unknown = first_unknown(value)
            if unknown is not None:
                return _naming(side, unknown)
        if expr.op == "==":
            return values_equal(left, right)
        if expr.op == "!=":
            return not values_equal(left, right)
        a, b = to_number(left), to_number(right)
        return _arithmetic(expr, a, b)

    def _logical(self, expr: BinaryOp) -> object:
        deciding = expr.op == "||"  # the operand value that decides the result on its own
        left = self.eval(expr.left)
        if not isinstance(left, Unknown) and to_bool(left) is deciding:
            return deciding
        right = self.eval(expr.right)
        if not isinstance(right, Unknown) and to_bool(right) is deciding:
            return deciding
        for side, value in ((expr.left, left), (expr.right, right)):
            if isinstance(value, Unknown):
                return _naming(side, value)
        return not deciding

    def _unary(self, expr: Expr) -> object:
        assert isinstance(expr, UnaryOp)
        value = self.eval(expr.operand)
        if isinstance(value, Unknown):
            return _naming(expr.operand, value)
        if expr.op == "!":
            return not to_bool(value)
        return normalize_number(-to_number(value))

    def _for(self, expr: Expr) -> object:
        assert isinstance(expr, ForExpr)
        collection = self.eval(expr.collection)
        if isinstance(collection, Unknown):
            return _naming(expr.collection, collection)
        pairs: list[tuple[object, object]]
        if isinstance(collection, tuple):
            pairs = list(enumerate(collection))
        elif isinstance(collection, FrozenMap):
            pairs = list(collection.items())
        else:
            return _error(expr.collection, f"cannot iterate over {type_name(collection)}")
        values: list[object] = []
        grouped: dict[str, list[object]] = {}
        mapped: dict[str, object] = {}
        for key, value in pairs:
            names: dict[str, object] = {expr.value_var: value}
            if expr.key_var is not None:
                names[expr.key_var] = key
            inner = _Run(_Bindings(names, self.scope), self.trace, self.budget)
            if expr.condition is not None:
                keep = inner.eval(expr.condition)
                if isinstance(keep, Unknown):
                    return _naming(expr.condition, keep)
                if not to_bool(keep):
                    continue
            result = inner.eval(expr.value)
            if expr.key is None:
                values.append(result)
                continue
            out_key = inner.eval(expr.key)
            if isinstance(out_key, Unknown):
                return _naming(expr.key, out_key)
            name = to_string(out_key)
            if expr.grouping:
                grouped.setdefault(name, []).append(result)
            elif name in mapped:
                return _error(expr, f"two elements have the key {name!r} (use ... to group)")
            else:
                mapped[name] = result
        if expr.key is None:
            return tuple(values)
        if expr.grouping:
            return FrozenMap((k, tuple(v)) for k, v in grouped.items())
        return FrozenMap(mapped)


_HANDLERS: dict[type, Callable[[_Run, Expr], object]] = {
    Literal: _Run._literal,
    Template: _Run._template,
    Traversal: _Run._traversal,
    RelativeTraversal: _Run._relative,
    FunctionCall: _Run._function,
    TupleExpr: _Run._tuple,
    ObjectExpr: _Run._object,
    Conditional: _Run._conditional,
    BinaryOp: _Run._binary,
    UnaryOp: _Run._unary,
    ForExpr: _Run._for,
    Unsupported: _Run._unsupported,
}


def _arithmetic(expr: BinaryOp, a: int | float, b: int | float) -> object:
    op = expr.op
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    if op == "+":
        return normalize_number(a + b)
    if op == "-":
        return normalize_number(a - b)
    if op == "*":
        return normalize_number(a * b)
    if op in ("/", "%") and b == 0:
        return _error(expr, "division by zero")
    if op == "/":
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return normalize_number(a / b)
    if op == "%":
        # Terraform's remainder takes the sign of the dividend, like Go and C.
        remainder = abs(a) % abs(b)
        return normalize_number(-remainder if a < 0 else remainder)
    return _error(expr, f"unknown operator {op!r}")


def _get_attr(value: object, name: str, expr: Expr) -> object:
    if isinstance(value, FrozenMap):
        if name in value:
            return value[name]
        return _error(expr, f"there is no attribute {name!r}")
    if value is None:
        return _error(expr, f"cannot read {name!r} of a null value")
    return _error(expr, f"cannot read attribute {name!r} of a {type_name(value)}")


def _index(value: object, key: object, expr: Expr) -> object:
    if isinstance(key, Unknown):
        return key.plain()
    if isinstance(value, tuple):
        position = to_number(key)
        if isinstance(position, float):
            return _error(expr, f"index {to_string(position)} is not a whole number")
        if not 0 <= position < len(value):
            return _error(expr, f"index {position} is out of range for {len(value)} elements")
        return value[position]
    if isinstance(value, FrozenMap):
        if key is None or isinstance(key, tuple | FrozenMap):
            return _error(expr, f"a map key cannot be {type_name(key)}")
        name = to_string(key)
        if name in value:
            return value[name]
        return _error(expr, f"there is no key {name!r}")
    if value is None:
        return _error(expr, "cannot index a null value")
    return _error(expr, f"cannot index a {type_name(value)}")
