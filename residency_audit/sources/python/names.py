"""Module names from file paths, and what relative imports mean.

The scanned repository is never imported, so a module's dotted name is taken from its path
(``services/checkout/checkout/settings.py`` -> ``services.checkout.checkout.settings``).
Absolute imports in the code (``from checkout.settings import X``) name a suffix of that
path; the link stage matches them by suffix. Relative imports are resolved here, against
the path, so they become path-derived names too.
"""

from __future__ import annotations


def module_name(path: str) -> str:
    """``a/b/c.py`` -> ``a.b.c``; ``a/b/__init__.py`` -> ``a.b``."""
    parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][: -len(".py")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package_init(path: str) -> bool:
    return path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py"


def resolve_relative(module: str, is_package: bool, level: int, target: str) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``module``.

    ``level`` 1 is the module's own package (the module itself for an ``__init__.py``).
    Going above the top of the path keeps what is left rather than failing: the result is
    only ever used for suffix matching.
    """
    parts = module.split(".") if module else []
    package = parts if is_package else parts[:-1]
    up = max(level - 1, 0)
    base = package[: len(package) - up] if up <= len(package) else []
    joined = ".".join([*base, target] if target else base)
    return joined
