"""Environment reads as values: ``os.getenv("X", "d")`` -> ``Env("X", Lit("d"))``.

Shared by the parser (which sees most reads) and the linker (which sees reads through a
django-environ ``env`` object imported from another module).
"""

from __future__ import annotations

from collections.abc import Sequence

from residency_audit.sources.python.catalog import ArgSpec, ReaderCall, ReaderMethod
from residency_audit.sources.python.facts import Env, Expr, Lit, Seq

Kwargs = Sequence[tuple[str, Expr]]


def argument(spec: ArgSpec | None, args: Sequence[Expr], kwargs: Kwargs) -> Expr | None:
    """The argument a spec points at, by keyword first (it is unambiguous), then position."""
    if spec is None:
        return None
    for key, value in kwargs:
        if key in spec.kws:
            return value
    if spec.arg is not None and spec.arg < len(args):
        return args[spec.arg]
    return None


def literal_text(expr: Expr | None) -> str | None:
    return expr.value if isinstance(expr, Lit) and expr.kind == "str" else None


def function_read(row: ReaderCall, args: Sequence[Expr], kwargs: Kwargs, line: int) -> Expr | None:
    """What a reader function call stands for; None when its variable name is not literal."""
    if row.value is not None:
        return argument(row.value, args, kwargs)
    name = literal_text(argument(row.name, args, kwargs)) or row.implied
    if name is None:
        return None
    return Env(name, argument(row.default, args, kwargs), row.reader, line)


def instance_read(
    method: ReaderMethod,
    reader: str,
    scheme_defaults: Sequence[tuple[str, Expr]],
    args: Sequence[Expr],
    kwargs: Kwargs,
    line: int,
) -> Expr | None:
    """``env.db("DATABASE_URL", default=...)``; ``scheme_defaults`` are the defaults the
    ``Env(NAME=(type, default))`` constructor declared."""
    name = literal_text(argument(method.name, args, kwargs)) or method.implied
    if name is None:
        return None
    default = argument(method.default, args, kwargs)
    if default is None:
        default = dict(scheme_defaults).get(name)
    return Env(name, default, reader, line)


def tuple_defaults(kwargs: Kwargs) -> tuple[tuple[str, Expr], ...]:
    """django-environ's scheme: ``Env(DEBUG=(bool, False), DB_URL=(str, "postgres://..."))``."""
    found: list[tuple[str, Expr]] = []
    for key, value in kwargs:
        if isinstance(value, Seq) and len(value.items) == 2:
            found.append((key, value.items[1]))
    return tuple(found)
