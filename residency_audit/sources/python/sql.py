"""Which table and columns a SQL statement written in code stores data into.

Code that talks to a database through a driver writes SQL text: ``INSERT INTO patients
(snils, full_name) VALUES (%s, %s)``. The columns it names are the personal fields it
stores. This is a tokenizer for the statements that store data (INSERT / REPLACE / UPSERT,
UPDATE ... SET, COPY ... FROM, MERGE ... INSERT, ON CONFLICT DO UPDATE SET, CREATE TABLE);
anything else yields nothing. It never raises: SQL in code is often assembled from pieces,
and a piece it cannot read simply contributes no columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<quoted>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])
  | (?P<string>'(?:[^']|'')*')
  | (?P<word>[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<param>%\(\w+\)s|%s|\$\d+|:\w+|\?)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class SqlColumn:
    name: str
    offset: int  # character offset in the statement text, for the line


@dataclass(frozen=True)
class SqlWrite:
    """One statement that stores data: its verb, table and the columns it names."""

    verb: str  # insert | update | copy | merge | create
    table: str
    table_offset: int
    columns: tuple[SqlColumn, ...]


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    offset: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


def _tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind == "space":
            continue
        tokens.append(_Tok(kind, match.group(), match.start()))
    return tokens


def _ident(tok: _Tok) -> str | None:
    if tok.kind == "word":
        return tok.text
    if tok.kind == "quoted":
        return tok.text[1:-1]
    return None


class _Reader:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        index = self.pos + ahead
        return self.toks[index] if index < len(self.toks) else None

    def take(self) -> _Tok | None:
        tok = self.peek()
        if tok is not None:
            self.pos += 1
        return tok

    def accept(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.upper in words:
            self.pos += 1
            return True
        return False

    def name(self) -> tuple[str, int] | None:
        """A possibly schema-qualified name: ``public.customers`` -> ``customers``."""
        tok = self.take()
        ident = _ident(tok) if tok is not None else None
        if tok is None or ident is None:
            return None
        name, offset = ident, tok.offset
        while (dot := self.peek()) is not None and dot.text == ".":
            self.pos += 1
            nxt = self.take()
            ident = _ident(nxt) if nxt is not None else None
            if nxt is None or ident is None:
                return None
            name, offset = ident, nxt.offset
        return name, offset

    def column_list(self, definitions: bool = False) -> tuple[SqlColumn, ...]:
        """``( a, b, "c" )`` at the current position; () when there is none.

        With ``definitions`` (the body of ``CREATE TABLE t ( col type ..., CONSTRAINT
        ... )``) each element's first token is its column name, unless it is a constraint
        keyword; otherwise the first identifier of each element is.
        """
        if not self.accept("("):
            return ()
        columns: list[SqlColumn] = []
        depth = 1
        expect_name = True
        while depth and (tok := self.take()) is not None:
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif tok.text == "," and depth == 1:
                expect_name = True
            elif expect_name and depth == 1:
                ident = _ident(tok)
                constraint = definitions and tok.kind == "word" and tok.upper in _CONSTRAINTS
                if ident is not None and not constraint:
                    columns.append(SqlColumn(ident, tok.offset))
                # a definition is decided by its first token; a plain list waits for a name
                expect_name = not definitions and ident is None
        return tuple(columns)

    def assignments(self) -> tuple[SqlColumn, ...]:
        """``SET a = ..., b = ...`` up to WHERE/FROM/RETURNING/the end."""
        columns: list[SqlColumn] = []
        depth = 0
        expect_name = True
        while (tok := self.peek()) is not None:
            if depth == 0 and tok.upper in ("WHERE", "FROM", "RETURNING", "WHEN", ";"):
                break
            self.pos += 1
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif tok.text == "," and depth == 0:
                expect_name = True
            elif expect_name and depth == 0 and (ident := _ident(tok)) is not None:
                nxt = self.peek()
                if nxt is not None and nxt.text == ".":  # SET t.col = ...
                    continue
                columns.append(SqlColumn(ident, tok.offset))
                expect_name = False
        return tuple(columns)


def sql_writes(text: str) -> tuple[SqlWrite, ...]:
    """Every storing statement in ``text`` (several when statements are separated by ';')."""
    if not isinstance(text, str) or len(text) > 200_000:
        return ()
    try:
        tokens = _tokens(text)
    except re.error:  # pragma: no cover - the pattern is total
        return ()
    found: list[SqlWrite] = []
    reader = _Reader(tokens)
    while reader.peek() is not None:
        start = reader.pos
        write = _statement(reader)
        if write is not None:
            found.append(write)
        if reader.pos == start:
            reader.pos += 1
    return tuple(found)


def _statement(r: _Reader) -> SqlWrite | None:
    tok = r.take()
    if tok is None:
        return None
    verb = tok.upper
    if verb in ("INSERT", "REPLACE", "UPSERT"):
        r.accept("OR")
        r.accept("REPLACE", "IGNORE", "ROLLBACK", "ABORT", "FAIL")
        r.accept("IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY")
        r.accept("INTO")
        return _insert(r, "insert")
    if verb == "UPDATE":
        r.accept("ONLY")
        target = r.name()
        if target is None:
            return None
        _skip_alias(r)
        if not r.accept("SET"):
            return None
        return SqlWrite("update", target[0], target[1], r.assignments())
    if verb == "COPY":
        target = r.name()
        if target is None:
            return None
        columns = r.column_list()
        if not r.accept("FROM"):
            return None
        return SqlWrite("copy", target[0], target[1], columns)
    if verb == "MERGE":
        r.accept("INTO")
        target = r.name()
        if target is None:
            return None
        merged: list[SqlColumn] = []
        while (nxt := r.take()) is not None and nxt.text != ";":
            if nxt.upper == "INSERT":
                merged.extend(r.column_list())
            elif nxt.upper == "SET":
                merged.extend(r.assignments())
        return SqlWrite("merge", target[0], target[1], tuple(merged))
    if verb == "CREATE":
        while r.accept("TEMPORARY", "TEMP", "UNLOGGED", "GLOBAL", "LOCAL"):
            pass
        if not r.accept("TABLE"):
            return None
        if r.accept("IF"):
            r.accept("NOT")
            r.accept("EXISTS")
        target = r.name()
        if target is None:
            return None
        return SqlWrite("create", target[0], target[1], r.column_list(definitions=True))
    return None


def _insert(r: _Reader, verb: str) -> SqlWrite | None:
    target = r.name()
    if target is None:
        return None
    _skip_alias(r)
    columns = list(r.column_list())
    # Postgres / SQLite upsert: ON CONFLICT (...) DO UPDATE SET a = EXCLUDED.a
    while (tok := r.peek()) is not None and tok.text != ";":
        r.pos += 1
        if tok.upper == "SET":
            known = {c.name for c in columns}
            columns.extend(c for c in r.assignments() if c.name not in known)
        elif tok.upper in ("INSERT", "UPDATE", "COPY", "MERGE", "CREATE", "REPLACE"):
            before = r.toks[r.pos - 2] if r.pos >= 2 else None
            if tok.upper == "UPDATE" and before is not None and before.upper == "DO":
                continue  # ON CONFLICT ... DO UPDATE SET
            r.pos -= 1
            break
    return SqlWrite(verb, target[0], target[1], tuple(columns))


def _skip_alias(r: _Reader) -> None:
    tok = r.peek()
    if tok is not None and tok.upper == "AS":
        r.pos += 2
    elif tok is not None and tok.kind == "word" and tok.upper not in _CLAUSES:
        r.pos += 1


_CLAUSES = frozenset(
    {"SET", "VALUES", "SELECT", "DEFAULT", "FROM", "WHERE", "ON", "RETURNING", "OVERRIDING"}
)
_CONSTRAINTS = frozenset(
    {"PRIMARY", "FOREIGN", "UNIQUE", "CHECK", "CONSTRAINT", "EXCLUDE", "INDEX", "KEY", "LIKE"}
)
