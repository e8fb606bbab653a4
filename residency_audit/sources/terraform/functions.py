"""Static values and the pure Terraform functions that carry regions in practice.

This is the lowest layer of evaluation: it defines what a value is (``str``, ``int``,
``float``, ``bool``, ``None``, ``tuple`` for lists/sets/tuples, ``FrozenMap`` for maps and
objects, ``Unknown``) and the functions over values, so that ``evaluate.py`` can depend on it
without a cycle. ``evaluate`` re-exports ``Unknown`` and ``FrozenMap``.

A function never raises: wrong argument counts or types become an ``Unknown`` marked
``is_error`` (Terraform itself would fail there, which is what ``try``/``can`` look at), and
functions we do not model become a plain ``Unknown`` naming the function.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from residency_audit.sources.terraform.expr import Expr, describe

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Unknown:
    """A value we cannot know statically, and why.

    ``is_error`` marks a value Terraform itself could not produce (a missing map key, a type
    error): ``try`` skips such arguments, while a merely unknown one leaves ``try`` unknown.
    ``candidates`` lists the known values it may take (both branches of a conditional whose
    condition is unknown); consumers may ignore it.
    """

    reason: str
    is_error: bool = False
    candidates: tuple[object, ...] = ()

    def plain(self) -> Unknown:
        """The same unknown without candidates, for results computed *from* this value."""
        return Unknown(self.reason, self.is_error) if self.candidates else self


class FrozenMap(Mapping[str, object]):
    """An immutable, hashable, picklable map whose iteration order is lexical by key.

    Terraform iterates maps and objects in lexical key order (``keys``, ``values``, ``for``),
    so keeping the items sorted makes that order fall out of plain iteration.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, object] | Iterable[tuple[str, object]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._data: dict[str, object] = dict(sorted(dict(pairs).items()))
        self._hash: int | None = None

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[tuple[tuple[str, object], ...]]]:
        return FrozenMap, (tuple(self._data.items()),)


def freeze(value: object) -> object:
    """Turn plain Python data (dicts, lists, sets) into evaluator values; others pass through."""
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap((str(k), freeze(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return _as_set(tuple(freeze(v) for v in value))
    return value


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def first_unknown(value: object, *, errors_only: bool = False) -> Unknown | None:
    """The first ``Unknown`` anywhere inside ``value`` (optionally only error ones)."""
    if isinstance(value, Unknown):
        return value if value.is_error or not errors_only else None
    if isinstance(value, tuple):
        items: Iterable[object] = value
    elif isinstance(value, FrozenMap):
        items = value.values()
    else:
        return None
    for item in items:
        found = first_unknown(item, errors_only=errors_only)
        if found is not None:
            return found
    return None


def format_number(value: int | float) -> str:
    """Terraform prints numbers in plain decimal: ``2`` not ``2.0``, never an exponent."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise FunctionError("the number is not finite")
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def to_string(value: object) -> str:
    """Terraform's automatic conversion to string (templates, string arguments)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)  # type: ignore[arg-type]
    if value is None:
        raise FunctionError("a null value cannot be used as a string")
    raise FunctionError(f"{type_name(value)} cannot be used as a string")


_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def to_number(value: object) -> int | float:
    if is_number(value):
        return normalize_number(value)  # type: ignore[arg-type]
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        return normalize_number(float(value) if any(c in value for c in ".eE") else int(value))
    if value is None:
        raise FunctionError("a null value cannot be used as a number")
    raise FunctionError(f"{type_name(value)} {_short(value)} cannot be used as a number")


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    if value is None:
        raise FunctionError("a null value cannot be used as a bool")
    raise FunctionError(f"{type_name(value)} {_short(value)} cannot be used as a bool")


def normalize_number(value: int | float) -> int | float:
    """Integral floats become ints, so ``4 / 2`` prints and indexes like ``2``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def values_equal(left: object, right: object) -> bool:
    """Terraform ``==``: no conversions between types, deep for collections."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(map(values_equal, left, right))
    if isinstance(left, FrozenMap) and isinstance(right, FrozenMap):
        return left.keys() == right.keys() and all(values_equal(left[k], right[k]) for k in left)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is None and right is None


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple):
        return "list"
    if isinstance(value, FrozenMap):
        return "map"
    return type(value).__name__


def json_encode(value: object) -> str:
    """``jsonencode``: compact, keys sorted, HTML-sensitive characters escaped like Go does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)  # type: ignore[arg-type]
    if isinstance(value, str):
        return _json_quote(value)
    if isinstance(value, tuple):
        return "[" + ",".join(json_encode(v) for v in value) + "]"
    if isinstance(value, FrozenMap):
        return "{" + ",".join(f"{_json_quote(k)}:{json_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Unknown):
        raise _Propagate(value.plain())
    raise FunctionError(f"{type_name(value)} cannot be encoded as JSON")


_GO_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _json_quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    for char, escape in _GO_JSON_ESCAPES.items():
        quoted = quoted.replace(char, escape)
    return quoted


def _short(value: object) -> str:
    text = json_encode(value) if first_unknown(value) is None else "(unknown)"
    return text if len(text) <= 40 else text[:37] + "..."


def _as_set(items: tuple[object, ...]) -> tuple[object, ...]:
    """A set as Terraform orders it: strings lexically, numbers numerically, else first-seen."""
    unique: list[object] = []
    for item in items:
        if not any(values_equal(item, seen) for seen in unique):
            unique.append(item)
    if all(isinstance(i, str) for i in unique):
        return tuple(sorted(unique))  # type: ignore[type-var]
    if all(is_number(i) for i in unique):
        return tuple(sorted(unique))  # type: ignore[type-var]
    if all(isinstance(i, str) or is_number(i) or isinstance(i, bool) for i in unique):
        # Mixed primitives unify to string in a Terraform set.
        return _as_set(tuple(to_string(i) for i in unique))
    return tuple(unique)


# --------------------------------------------------------------------------- calling


class FunctionError(Exception):
    """Raised inside a function body; ``call`` turns it into an error ``Unknown``."""


class _Propagate(Exception):
    """Control flow: stop a function because an argument holds an unknown."""

    def __init__(self, unknown: Unknown) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown


@dataclass(frozen=True)
class _Spec:
    impl: Callable[..., object]
    min_args: int
    max_args: int | None
    # Functions that decide for themselves what an unknown argument means.
    handles_unknown: bool = False


_FUNCTIONS: dict[str, _Spec] = {}
LAZY_FUNCTIONS = frozenset({"try", "can"})


def _function(
    name: str, min_args: int, max_args: int | None = -1, *, handles_unknown: bool = False
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    def register(impl: Callable[..., object]) -> Callable[..., object]:
        upper = min_args if max_args == -1 else max_args
        _FUNCTIONS[name] = _Spec(impl, min_args, upper, handles_unknown)
        return impl

    return register


def supported_functions() -> frozenset[str]:
    return frozenset(_FUNCTIONS) | LAZY_FUNCTIONS


def call(name: str, args: Sequence[object], where: str = "") -> object:
    """Call an eager function on evaluated arguments; never raises.

    ``where`` (the call's source text) is added to error messages.
    """
    spec = _FUNCTIONS.get(name)
    if spec is None:
        if name in LAZY_FUNCTIONS:
            return Unknown(f"{name}() needs its arguments unevaluated (use call_lazy)")
        return Unknown(f"function {name}() is not evaluated statically")
    suffix = f" in `{where}`" if where else ""
    count = len(args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        return Unknown(f"{name}() {_arity(spec)}, got {count}{suffix}", is_error=True)
    if not spec.handles_unknown:
        for arg in args:
            if isinstance(arg, Unknown):
                return arg.plain()
    try:
        return spec.impl(*args)
    except _Propagate as unknown:
        return unknown.unknown
    except FunctionError as exc:
        return Unknown(f"{name}(): {exc}{suffix}", is_error=True)
    except RecursionError:
        return Unknown(f"{name}(): the value is nested too deeply{suffix}")
    except Exception as exc:  # a bug of ours must not stop the scan
        return Unknown(f"{name}() could not be evaluated ({exc!r}){suffix}")


def _arity(spec: _Spec) -> str:
    if spec.max_args == spec.min_args:
        return f"takes {spec.min_args} argument{'s' if spec.min_args != 1 else ''}"
    if spec.max_args is None:
        return f"takes at least {spec.min_args} argument{'s' if spec.min_args != 1 else ''}"
    return f"takes {spec.min_args} to {spec.max_args} arguments"


def call_lazy(name: str, args: Sequence[Expr], evaluate_arg: Callable[[Expr], object]) -> object:
    """``try`` and ``can``: they decide which arguments to evaluate, so they receive exprs."""
    if name == "try":
        return _try(args, evaluate_arg)
    if name == "can":
        return _can(args, evaluate_arg)
    return Unknown(f"function {name}() is not evaluated statically")


def _try(args: Sequence[Expr], evaluate_arg: Callable[[Expr], object]) -> object:
    if not args:
        return Unknown("try() takes at least 1 argument, got 0", is_error=True)
    last_error: Unknown | None = None
    for arg in args:
        value = evaluate_arg(arg)
        error = first_unknown(value, errors_only=True)
        if error is not None:
            last_error = error
            continue
        if isinstance(value, Unknown):
            # Terraform may well succeed here; we cannot tell which argument it would pick.
            return Unknown(
                f"try(): cannot tell whether `{describe(arg)}` succeeds ({value.reason})"
            )
        return value
    assert last_error is not None
    return Unknown(f"try(): every argument fails; the last: {last_error.reason}", is_error=True)


def _can(args: Sequence[Expr], evaluate_arg: Callable[[Expr], object]) -> object:
    if len(args) != 1:
        return Unknown(f"can() takes 1 argument, got {len(args)}", is_error=True)
    value = evaluate_arg(args[0])
    if first_unknown(value, errors_only=True) is not None:
        return False
    if isinstance(value, Unknown):
        return Unknown(
            f"can(): cannot tell whether `{describe(args[0])}` succeeds ({value.reason})"
        )
    return True


# --------------------------------------------------------------------------- argument helpers


def _known(value: object) -> object:
    """Stop the function (returning the unknown) if ``value`` holds an unknown anywhere."""
    unknown = first_unknown(value)
    if unknown is not None:
        raise _Propagate(unknown.plain())
    return value


def _str(value: object, what: str = "argument") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple | FrozenMap) or value is None:
        raise FunctionError(f"{what} must be a string, not {type_name(value)}")
    return to_string(value)


def _int(value: object, what: str = "argument") -> int:
    number = to_number(value)
    if isinstance(number, float):
        raise FunctionError(f"{what} must be a whole number, not {format_number(number)}")
    return number


def _list(value: object, what: str = "argument") -> tuple[object, ...]:
    if isinstance(value, tuple):
        return value
    raise FunctionError(f"{what} must be a list, not {type_name(value)}")


def _map(value: object, what: str = "argument") -> FrozenMap:
    if isinstance(value, FrozenMap):
        return value
    raise FunctionError(f"{what} must be a map or object, not {type_name(value)}")


# --------------------------------------------------------------------------- collections


@_function("lookup", 2, 3, handles_unknown=True)
def _lookup(mapping: object, key: object, *default: object) -> object:
    for arg in (mapping, key):
        if isinstance(arg, Unknown):
            return arg.plain()
    table = _map(mapping, "the first argument")
    name = _str(_known(key), "the key")
    if name in table:
        return table[name]
    if default:
        return default[0]
    raise FunctionError(f"no key {name!r} in the map and no default given")


@_function("element", 2)
def _element(items: object, index: object) -> object:
    values = _list(items, "the first argument")
    position = _int(_known(index), "the index")
    if not values:
        raise FunctionError("cannot take an element of an empty list")
    return values[position % len(values)]


@_function("coalesce", 1, None, handles_unknown=True)
def _coalesce(*args: object) -> object:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg.plain()
        if arg is None or arg == "":
            continue
        if not isinstance(arg, str) and any(isinstance(a, str) for a in args):
            return to_string(arg)  # Terraform unifies the arguments to string
        return arg
    raise FunctionError("no non-null, non-empty-string argument")


@_function("coalescelist", 1, None)
def _coalescelist(*args: object) -> object:
    for arg in args:
        if _list(arg, "every argument"):
            return arg
    raise FunctionError("no non-empty list argument")


@_function("merge", 0, None)
def _merge(*args: object) -> object:
    merged: dict[str, object] = {}
    for arg in args:
        if arg is None:
            continue
        merged.update(_map(arg, "every argument"))
    return FrozenMap(merged)


@_function("concat", 0, None)
def _concat(*args: object) -> object:
    out: list[object] = []
    for arg in args:
        out.extend(_list(arg, "every argument"))
    return tuple(out)


@_function("length", 1)
def _length(value: object) -> object:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple | FrozenMap):
        return len(value)
    raise FunctionError(f"cannot take the length of {type_name(value)}")


@_function("keys", 1)
def _keys(value: object) -> object:
    return tuple(_map(value))


@_function("values", 1)
def _values(value: object) -> object:
    return tuple(_map(value).values())


@_function("contains", 2)
def _contains(items: object, value: object) -> object:
    values = _known(_list(items, "the first argument"))
    assert isinstance(values, tuple)
    return any(values_equal(item, _known(value)) for item in values)


@_function("index", 2)
def _index(items: object, value: object) -> object:
    values = _list(_known(items), "the first argument")
    for position, item in enumerate(values):
        if values_equal(item, _known(value)):
            return position
    raise FunctionError(f"{_short(value)} is not in the list")


@_function("distinct", 1)
def _distinct(items: object) -> object:
    unique: list[object] = []
    for item in _list(_known(items)):
        if not any(values_equal(item, seen) for seen in unique):
            unique.append(item)
    return tuple(unique)


@_function("flatten", 1)
def _flatten(items: object) -> object:
    out: list[object] = []

    def walk(values: tuple[object, ...]) -> None:
        for value in values:
            if isinstance(value, Unknown):
                raise _Propagate(value.plain())  # its length is unknown, so the result's is too
            if isinstance(value, tuple):
                walk(value)
            else:
                out.append(value)

    walk(_list(items))
    return tuple(out)


@_function("compact", 1)
def _compact(items: object) -> object:
    values = _list(_known(items))
    return tuple(_str(v, "every element") for v in values if v is not None and v != "")


@_function("zipmap", 2)
def _zipmap(keys: object, values: object) -> object:
    names = _list(_known(keys), "the keys")
    items = _list(values, "the values")
    if len(names) != len(items):
        raise FunctionError(f"{len(names)} keys but {len(items)} values")
    return FrozenMap((_str(k, "every key"), v) for k, v in zip(names, items, strict=True))


@_function("one", 1)
def _one(items: object) -> object:
    values = _list(items)
    if len(values) > 1:
        raise FunctionError(f"the list has {len(values)} elements; at most one is allowed")
    return values[0] if values else None


@_function("reverse", 1)
def _reverse(items: object) -> object:
    return tuple(reversed(_list(items)))


@_function("sort", 1)
def _sort(items: object) -> object:
    values = _list(_known(items))
    return tuple(sorted(_str(v, "every element") for v in values))


@_function("slice", 3)
def _slice(items: object, start: object, end: object) -> object:
    values = _list(items)
    first, last = _int(start, "the start index"), _int(end, "the end index")
    if not 0 <= first <= last <= len(values):
        raise FunctionError(f"indexes {first}..{last} are out of range for {len(values)} items")
    return values[first:last]


# --------------------------------------------------------------------------- conversions


@_function("tostring", 1)
def _tostring(value: object) -> object:
    return None if value is None else _str(value)


@_function("tonumber", 1)
def _tonumber(value: object) -> object:
    return None if value is None else to_number(value)


@_function("tobool", 1)
def _tobool(value: object) -> object:
    return None if value is None else to_bool(value)


@_function("tolist", 1)
def _tolist(value: object) -> object:
    return None if value is None else _list(value)


@_function("toset", 1)
def _toset(value: object) -> object:
    return None if value is None else _as_set(_list(_known(value)))


@_function("tomap", 1)
def _tomap(value: object) -> object:
    return None if value is None else _map(value)


@_function("jsonencode", 1)
def _jsonencode(value: object) -> object:
    return json_encode(value)


# --------------------------------------------------------------------------- strings


@_function("join", 2, None)
def _join(separator: object, *lists: object) -> object:
    sep = _str(separator, "the separator")
    parts: list[str] = []
    for items in lists:
        for item in _list(_known(items), "every list"):
            if item is None:
                raise FunctionError("a list element is null")
            parts.append(_str(item, "every element"))
    return sep.join(parts)


@_function("split", 2)
def _split(separator: object, text: object) -> object:
    sep, value = _str(separator, "the separator"), _str(text, "the string")
    return tuple(value) if sep == "" else tuple(value.split(sep))


@_function("lower", 1)
def _lower(text: object) -> object:
    return _str(text).lower()


@_function("upper", 1)
def _upper(text: object) -> object:
    return _str(text).upper()


@_function("title", 1)
def _title(text: object) -> object:
    return re.sub(r"\b\w", lambda m: m.group(0).upper(), _str(text))


@_function("trimspace", 1)
def _trimspace(text: object) -> object:
    return _str(text).strip()


@_function("trimprefix", 2)
def _trimprefix(text: object, prefix: object) -> object:
    return _str(text).removeprefix(_str(prefix))


@_function("trimsuffix", 2)
def _trimsuffix(text: object, suffix: object) -> object:
    return _str(text).removesuffix(_str(suffix))


@_function("chomp", 1)
def _chomp(text: object) -> object:
    return re.sub(r"(?:\r\n|\n|\r)+\Z", "", _str(text))


@_function("startswith", 2)
def _startswith(text: object, prefix: object) -> object:
    return _str(text).startswith(_str(prefix))


@_function("endswith", 2)
def _endswith(text: object, suffix: object) -> object:
    return _str(text).endswith(_str(suffix))


@_function("substr", 3)
def _substr(text: object, offset: object, length: object) -> object:
    """Like Terraform: a negative offset counts from the end, length -1 means "the rest"."""
    value = _str(text, "the string")
    start, size = _int(offset, "the offset"), _int(length, "the length")
    if start < 0:
        start = max(start + len(value), 0)
    if start >= len(value):
        return ""
    return value[start:] if size < 0 else value[start : start + size]


@_function("replace", 3)
def _replace(text: object, search: object, replacement: object) -> object:
    value, pattern, new = _str(text), _str(search), _str(replacement)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        return _replace_regex(value, pattern[1:-1], new)
    return value.replace(pattern, new)


# Constructs RE2 (Terraform's engine) rejects; Python would accept them.
_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]")
_EXPAND = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+)|(\$))")
_MAX_REGEX_INPUT = 20_000


def _replace_regex(value: str, pattern: str, replacement: str) -> object:
    if _NOT_RE2.search(pattern):
        raise FunctionError(f"/{pattern}/ uses look-around or back-references, which RE2 rejects")
    if _backtracking_risk(pattern) or len(value) > _MAX_REGEX_INPUT:
        # RE2 runs in linear time, Python's engine does not: decline rather than hang.
        return Unknown(f"replace() with the regular expression /{pattern}/ is not evaluated")
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        return Unknown(f"replace(): /{pattern}/ is not a regular expression we can run ({exc})")

    def expand(match: re.Match[str]) -> str:
        # Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; unknown names are "".
        def one(ref: re.Match[str]) -> str:
            if ref.group(3):
                return "$"
            name = ref.group(1) or ref.group(2)
            try:
                group = match.group(int(name)) if name.isdigit() else match.group(name)
            except IndexError:  # no such group
                return ""
            return group or ""

        return _EXPAND.sub(one, replacement)

    return compiled.sub(expand, value)


def _backtracking_risk(pattern: str) -> bool:
    """True when a quantified group itself contains a quantifier or alternation.

    That shape (``(a+)+``, ``(a|aa)*``) is what makes a backtracking engine exponential.
    """
    stack: list[bool] = []  # per open group: does it contain a quantifier or "|"?
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # skip a character class
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            if stack and i < len(pattern) and pattern[i] in "*+?{":
                stack[-1] = True
            continue
        if c == "(":
            stack.append(False)
        elif c == ")":
            risky = stack.pop() if stack else False
            quantified = i + 1 < len(pattern) and pattern[i + 1] in "*+{"
            if risky and quantified:
                return True
            if stack and (risky or quantified):
                stack[-1] = True
        elif c in "*+?{|" and stack:
            stack[-1] = True
        i += 1
    return False


@_function("format", 1, None)
def _format(spec: object, *args: object) -> object:
    return _format_one(_str(spec, "the format"), args)


_VERB = re.compile(r"%(?:\[([0-9]+)\])?([-+# 0]*)([0-9]+)?(?:\.([0-9]+))?([A-Za-z%])")


def _format_one(spec: str, args: Sequence[object]) -> str:
    out: list[str] = []
    position = 0
    next_arg = 0
    used: set[int] = set()
    for match in _VERB.finditer(spec):
        out.append(spec[position : match.start()])
        position = match.end()
        explicit, flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if explicit is not None:
            next_arg = int(explicit) - 1
        if not 0 <= next_arg < len(args):
            raise FunctionError(f"not enough arguments for {match.group(0)!r}")
        value = args[next_arg]
        used.add(next_arg)
        next_arg += 1
        out.append(_format_verb(verb, flags, width, precision, value))
    if "%" in spec[position:]:
        raise FunctionError(f"unsupported format sequence in {spec[position:]!r}")
    out.append(spec[position:])
    if len(used) < len(args):
        raise FunctionError(f"too many arguments: {len(args)} given, {len(used)} used")
    return "".join(out)


def _format_verb(
    verb: str, flags: str, width: str | None, precision: str | None, value: object
) -> str:
    value = _known(value)
    pad = f"%{flags}{width or ''}"
    prec = f".{precision}" if precision is not None else ""
    if verb == "v":
        if "#" in flags:
            return _pad(json_encode(value), flags, width)
        text = (
            "null"
            if value is None
            else (json_encode(value) if isinstance(value, tuple | FrozenMap) else to_string(value))
        )
        return _pad(text, flags, width)
    if verb == "s":
        return (pad + prec + "s") % _str(value)
    if verb == "q":
        return _pad(_json_quote(_str(value)), flags, width)
    if verb == "t":
        return _pad("true" if to_bool(value) else "false", flags, width)
    if verb in "dboxX":
        number = to_number(value)
        if isinstance(number, float):
            raise FunctionError(f"%{verb} needs a whole number, not {format_number(number)}")
        if verb == "b":
            return _pad(format(number, "b"), flags, width)
        return (pad + verb) % number
    if verb in "feEgG":
        return (pad + prec + verb) % to_number(value)
    raise FunctionError(f"unsupported format verb %{verb}")


def _pad(text: str, flags: str, width: str | None) -> str:
    if not width:
        return text
    return text.ljust(int(width)) if "-" in flags else text.rjust(int(width))


# --------------------------------------------------------------------------- numbers


@_function("abs", 1)
def _abs(value: object) -> object:
    return abs(to_number(value))


@_function("min", 1, None)
def _min(*values: object) -> object:
    return min(to_number(v) for v in values)


@_function("max", 1, None)
def _max(*values: object) -> object:
    return max(to_number(v) for v in values)
