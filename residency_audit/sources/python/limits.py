"""Shapes of source text that libcst cannot parse safely, refused before parsing.

libcst's native parser builds its tree recursively: nesting a few thousand brackets deep, or
a single expression chaining some twenty thousand operators, overflows the native stack and
kills the whole process (a segmentation fault, not an exception). Real code nests a few
dozen levels; text this deep is generated or hostile, and becomes an error record instead.
The limits are far below the crash points measured for libcst 1.x (about 1,500 brackets,
20,000 chained operators or elif branches) and far above anything written by hand.
"""

from __future__ import annotations

MAX_BRACKET_DEPTH = 200
MAX_CHAINED_OPERATORS = 2_000  # on one physical line
MAX_ELIF = 2_000  # branches in one file

_BRACKETS = b"()[]{}"
_OPENING = frozenset(b"([{")
_OPERATORS = (b".", b"+", b"-", b"*", b"/", b"|", b"&", b"%", b"(", b" and ", b" or ")
_LONG_LINE = 4 * MAX_CHAINED_OPERATORS


def refusal(data: bytes) -> str | None:
    """Why ``data`` must not be handed to libcst, or None when it is safe."""
    depth = 0
    deepest = 0
    for byte in data.translate(None, bytes(b for b in range(256) if b not in _BRACKETS)):
        if byte in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    if deepest > MAX_BRACKET_DEPTH:
        return f"brackets nested {deepest} deep (more than {MAX_BRACKET_DEPTH})"
    if data.count(b"elif") > MAX_ELIF:
        return f"more than {MAX_ELIF} elif branches"
    if len(data) > _LONG_LINE:
        for line in data.splitlines():
            if len(line) <= _LONG_LINE:
                continue
            chained = sum(line.count(op) for op in _OPERATORS)
            if chained > MAX_CHAINED_OPERATORS:
                return f"a line chains {chained} operators (more than {MAX_CHAINED_OPERATORS})"
    return None
