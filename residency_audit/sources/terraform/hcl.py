"""Read ``.tf``, ``.tfvars`` and ``.tf.json`` files into the AST of ``expr.py``.

python-hcl2 does the HCL parsing; its dict output has no line numbers and returns expressions
as strings, so we walk its raw Lark tree (built with ``propagate_positions``) once, in a
single recursive pass, and keep exact 1-based lines. Heredoc bodies and JSON strings arrive
as raw text: their ``${...}`` interpolations are cut out here and only the expression inside
is handed back to python-hcl2.

Every failure (Lark errors, anything else the library throws, over-deep input) becomes an
``HclSyntaxError`` carrying a line when one is known, so callers can record it and move on.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

import hcl2
from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from residency_audit.sources.terraform.expr import (
    Attribute,
    BinaryOp,
    Block,
    Conditional,
    Expr,
    ForExpr,
    FunctionCall,
    GetAttr,
    HclFile,
    Index,
    Literal,
    ObjectExpr,
    RelativeTraversal,
    Splat,
    Step,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
    Unsupported,
)

# Expressions nested deeper than this become ``Unsupported``: the conversion (and later the
# evaluation) recurse, and real configurations stay far below it.
MAX_EXPRESSION_DEPTH = 64
# Blocks nested deeper than this (real files: 4-5) make the file unreadable.
MAX_BLOCK_DEPTH = 32
# JSON nesting allowed in ``.tf.json`` files.
MAX_JSON_DEPTH = 64

_NL = "new_line_or_comment"

_OPERATORS = {
    "DOUBLE_EQ": "==",
    "NEQ": "!=",
    "LT": "<",
    "GT": ">",
    "LEQ": "<=",
    "GEQ": ">=",
    "MINUS": "-",
    "PLUS": "+",
    "ASTERISK": "*",
    "SLASH": "/",
    "PERCENT": "%",
    "DOUBLE_AMP": "&&",
    "DOUBLE_PIPE": "||",
    "NOT": "!",
}

_TRAVERSAL_RULES = frozenset(
    {"get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"}
)

_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HEREDOC_HEAD = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")

Node = Tree[Token] | Token


class HclSyntaxError(Exception):
    """The file (or an embedded expression) could not be read; ``line`` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


def parse_hcl(text: str) -> HclFile:
    """Parse HCL native syntax; raises only ``HclSyntaxError``."""
    text = text.removeprefix("\ufeff")
    tree = _lark_parse(text, 0)
    try:
        return _Converter(text, 0).file(tree)
    except HclSyntaxError:
        raise
    except RecursionError:
        raise HclSyntaxError("the file is nested too deeply to read") from None
    except Exception as exc:  # a tree shape we did not foresee: still an error record
        raise HclSyntaxError(f"could not convert the parse tree: {exc!r}") from exc


def parse_tfvars(text: str) -> HclFile:
    """``.tfvars`` files are HCL bodies made of top-level attributes."""
    return parse_hcl(text)


def parse_tf_json(text: str) -> HclFile:
    """Parse Terraform's JSON syntax (``.tf.json``) into the same AST as native files.

    Which JSON properties are nested blocks depends on provider schemas we do not have, so
    inside a block body an object-valued property (or a list of objects) is given both ways:
    as an attribute holding the object and as nested block(s). ``locals``, ``module``,
    ``output`` and ``variable`` (except ``validation``) bodies hold attributes only.
    """
    reader, root = _json_document(text)
    return _JsonConverter(reader).file(root)


def parse_tfvars_json(text: str) -> HclFile:
    """``.tfvars.json``: one JSON object whose properties are variable values."""
    reader, root = _json_document(text)
    return _JsonConverter(reader).attributes_only(root)


# --------------------------------------------------------------------------- native syntax


def _lark_parse(text: str, line_offset: int) -> Tree[Token]:
    try:
        return hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, line_offset) from None
    except RecursionError:
        raise HclSyntaxError("the file is nested too deeply to read") from None
    except Exception as exc:  # python-hcl2 raising something of its own
        raise HclSyntaxError(f"python-hcl2 could not read the file: {exc!r}") from exc


def _syntax_error(exc: UnexpectedInput, text: str, line_offset: int) -> HclSyntaxError:
    last_line = text.rstrip().count("\n") + 1  # a trailing blank line is never the culprit
    line = exc.line if isinstance(exc.line, int) and exc.line > 0 else last_line
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else None
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        value = str(token)
        if token.type == "$END":
            message = "unexpected end of file"
        elif token.type == "NL_OR_COMMENT" or value.startswith(("\n", "\r\n")):
            # A line ends where a value should be (python-hcl2 may lex the rest as text).
            message = "unexpected end of line"
        elif token.type in _OPERATORS and value[:1] in ("\n", "#", "/") and token.end_line:
            # python-hcl2 glues the line break (and comment) before an operator onto it.
            message = f"unexpected {value.split()[-1]!r}"
            line, column = token.end_line, None
        else:
            first = value.strip().split("\n")[0].strip() or value
            message = f"unexpected {first[:40]!r}"
            if token.type == "DOT" and _starts_line(text, token.start_pos):
                message += (
                    " at the start of a line: python-hcl2 cannot read an expression"
                    " continued on the next line with a leading '.'"
                )
    elif isinstance(exc, UnexpectedCharacters):
        message = f"unexpected character {exc.char!r}"
    elif isinstance(exc, UnexpectedEOF):
        message, line, column = "unexpected end of file", last_line, None
    else:
        message = type(exc).__name__
    if line > last_line:
        line, column = last_line, None
    return HclSyntaxError(message, line + line_offset, column)


def _starts_line(text: str, pos: int | None) -> bool:
    if pos is None:
        return False
    start = text.rfind("\n", 0, pos) + 1
    return not text[start:pos].strip()


class _Converter:
    """One pass over python-hcl2's raw tree; ``line_offset`` places embedded snippets."""

    def __init__(self, source: str, line_offset: int, base_depth: int = 0) -> None:
        self.source = source
        self.line_offset = line_offset
        self.base_depth = base_depth
        self._rules: dict[str, Callable[[Tree[Token], int], Expr]] = {
            "expr_term": self._expr_term,
            "conditional": self._conditional,
            "binary_op": self._binary_op,
            "unary_op": self._unary_op,
            "int_lit": self._number,
            "float_lit": self._number,
            "literal_value": self._literal_value,
            "identifier": self._identifier,
            "string": self._string,
            "heredoc_template": self._heredoc,
            "heredoc_template_trim": self._heredoc,
            "template_string": self._unsupported_template,
            "tuple": self._tuple,
            "object": self._object,
            "function_call": self._function_call,
            "get_attr_expr_term": self._traversal,
            "index_expr_term": self._traversal,
            "attr_splat_expr_term": self._traversal,
            "full_splat_expr_term": self._traversal,
            "for_tuple_expr": self._for,
            "for_object_expr": self._for,
        }

    # ----- body

    def file(self, start: Tree[Token]) -> HclFile:
        attributes, blocks = self._body(_trees(start)[0], 0)
        return HclFile(attributes, blocks)

    def _body(
        self, body: Tree[Token], depth: int
    ) -> tuple[tuple[Attribute, ...], tuple[Block, ...]]:
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        for child in body.children:
            if isinstance(child, Tree):
                if child.data == "attribute":
                    attributes.append(self._attribute(child))
                elif child.data == "block":
                    blocks.append(self._block(child, depth + 1))
        return tuple(attributes), tuple(blocks)

    def _attribute(self, node: Tree[Token]) -> Attribute:
        name, value = _trees(node)
        return Attribute(_name(name), self.expr(value, self.base_depth), self._line(node))

    def _block(self, node: Tree[Token], depth: int) -> Block:
        if depth > MAX_BLOCK_DEPTH:
            raise HclSyntaxError(
                f"blocks nested more than {MAX_BLOCK_DEPTH} levels deep", self._line(node)
            )
        trees = [c for c in _trees(node) if c.data != _NL]
        header, body = trees[:-1], trees[-1]
        labels = tuple(self._label(label) for label in header[1:])
        attributes, blocks = self._body(body, depth)
        end_line = node.meta.end_line + self.line_offset
        return Block(_name(header[0]), labels, attributes, blocks, self._line(node), end_line)

    def _label(self, node: Tree[Token]) -> str:
        if node.data != "string":
            return _name(node)
        value = self._string(node, 0)
        if isinstance(value, Literal) and isinstance(value.value, str):
            return value.value
        return self._text(node)[1:-1]  # Terraform rejects templates in labels; keep the source

    # ----- expressions

    def expr(self, node: Tree[Token], depth: int) -> Expr:
        if depth > MAX_EXPRESSION_DEPTH:
            return Unsupported(
                f"an expression nested more than {MAX_EXPRESSION_DEPTH} levels deep",
                text=self._text(node),
                line=self._line(node),
            )
        rule = self._rules.get(str(node.data))
        if rule is None:
            text, line = self._text(node), self._line(node)
            return Unsupported(f"syntax {node.data!s}", text=text, line=line)
        return rule(node, depth)

    def _expr_term(self, node: Tree[Token], depth: int) -> Expr:
        inner = [c for c in _trees(node) if c.data != _NL]
        # A parenthesised expression: its value is the inner expression's.
        return self.expr(inner[0], depth + 1 if isinstance(node.children[0], Token) else depth)

    def _conditional(self, node: Tree[Token], depth: int) -> Conditional:
        cond, true, false = (c for c in _trees(node) if c.data != _NL)
        return Conditional(
            self.expr(cond, depth + 1),
            self.expr(true, depth + 1),
            self.expr(false, depth + 1),
            text=self._text(node),
            line=self._line(node),
        )

    def _binary_op(self, node: Tree[Token], depth: int) -> BinaryOp:
        left, term = (c for c in _trees(node) if c.data != _NL)
        operator, right = (c for c in _trees(term) if c.data != _NL)
        op_token = operator.children[0]
        assert isinstance(op_token, Token)
        return BinaryOp(
            _OPERATORS.get(op_token.type, str(op_token).strip()),
            self.expr(left, depth + 1),
            self.expr(right, depth + 1),
            text=self._text(node),
            line=self._line(node),
        )

    def _unary_op(self, node: Tree[Token], depth: int) -> UnaryOp:
        op_token, operand = node.children
        assert isinstance(op_token, Token) and isinstance(operand, Tree)
        return UnaryOp(
            _OPERATORS.get(op_token.type, str(op_token)),
            self.expr(operand, depth + 1),
            text=self._text(node),
            line=self._line(node),
        )

    def _number(self, node: Tree[Token], depth: int) -> Literal:
        raw = str(node.children[0])
        value: int | float = int(raw) if node.data == "int_lit" else float(raw)
        return Literal(value, text=raw, line=self._line(node))

    def _literal_value(self, node: Tree[Token], depth: int) -> Literal:
        raw = str(node.children[0])
        value = {"true": True, "false": False}.get(raw)
        return Literal(value, text=raw, line=self._line(node))

    def _identifier(self, node: Tree[Token], depth: int) -> Traversal:
        name = str(node.children[0])
        return Traversal(name, (), text=name, line=self._line(node))

    def _string(self, node: Tree[Token], depth: int) -> Expr:
        parts: list[Expr] = []
        pending: list[str] = []
        for part in _trees(node):
            content = part.children[0]
            if isinstance(content, Token):
                if content.type == "STRING_CHARS":
                    pending.append(_unescape(str(content)))
                else:  # ESCAPED_INTERPOLATION / ESCAPED_DIRECTIVE: "$${" / "%%{" mean a literal
                    pending.append(str(content)[1:])
                continue
            if content.data != "interpolation":
                return self._unsupported_template(node, depth)
            if pending:
                parts.append(Literal("".join(pending)))
                pending = []
            parts.append(self.expr(_trees(content)[0], depth + 1))
        return self._finish_template(parts, pending, node)

    def _finish_template(self, parts: list[Expr], pending: list[str], node: Tree[Token]) -> Expr:
        if pending:
            parts.append(Literal("".join(pending)))
        text, line = self._text(node), self._line(node)
        if not parts:
            return Literal("", text=text, line=line)
        if len(parts) == 1 and isinstance(parts[0], Literal):
            return Literal(parts[0].value, text=text, line=line)
        return Template(tuple(parts), text=text, line=line)

    def _unsupported_template(self, node: Tree[Token], depth: int) -> Unsupported:
        return Unsupported("a template directive", text=self._text(node), line=self._line(node))

    def _heredoc(self, node: Tree[Token], depth: int) -> Expr:
        token = node.children[0]
        assert isinstance(token, Token)
        raw = str(token)
        head = _HEREDOC_HEAD.match(raw)
        line = self._line(node)
        text = raw.rstrip("\r\n")
        if head is None:  # the terminal guarantees the head; keep going if it ever changes
            return Unsupported("a heredoc", text=text, line=line)
        rest = raw[head.end() :].rstrip("\n").rstrip("\r")
        body = rest.rpartition("\n")[0]
        body = (body + "\n" if body or "\n" in rest else "").replace("\r\n", "\n")
        if head.group(1):
            body = _flush_heredoc(body)
        return parse_template(body, line + 1, text=text, line=line, depth=depth + 1)

    def _tuple(self, node: Tree[Token], depth: int) -> TupleExpr:
        items = tuple(self.expr(c, depth + 1) for c in _trees(node) if c.data != _NL)
        return TupleExpr(items, text=self._text(node), line=self._line(node))

    def _object(self, node: Tree[Token], depth: int) -> ObjectExpr:
        items: list[tuple[Expr, Expr]] = []
        for elem in _trees(node):
            if elem.data != "object_elem":
                continue
            key_node, value = _trees(elem)
            items.append((self._object_key(key_node, depth + 1), self.expr(value, depth + 1)))
        return ObjectExpr(tuple(items), text=self._text(node), line=self._line(node))

    def _object_key(self, node: Tree[Token], depth: int) -> Expr:
        key = _trees(node)[0]
        if key.data == "keyword":
            return Literal(_name(key), text=self._text(key), line=self._line(key))
        inner = key.children[0] if key.data == "expr_term" else None
        if isinstance(inner, Tree) and inner.data == "identifier":
            # A bare name is the key itself; only ``(name)`` is looked up.
            name = str(inner.children[0])
            return Literal(name, text=name, line=self._line(key))
        return self.expr(key, depth)

    def _function_call(self, node: Tree[Token], depth: int) -> FunctionCall:
        names: list[str] = []
        args: tuple[Expr, ...] = ()
        expand = False
        for child in _trees(node):
            if child.data == "identifier":
                names.append(str(child.children[0]))
            elif child.data == "arguments":
                args = tuple(self.expr(a, depth + 1) for a in _trees(child) if a.data != _NL)
                expand = any(isinstance(a, Token) and a.type == "ELLIPSIS" for a in child.children)
        return FunctionCall(
            "::".join(names), args, expand, text=self._text(node), line=self._line(node)
        )

    def _traversal(self, node: Tree[Token], depth: int) -> Expr:
        # Chains are left-recursive in the grammar; walk the spine instead of recursing, so a
        # long ``a.b.c[0].d`` costs one node and no depth.
        reversed_steps: list[Step] = []
        current = node
        while True:
            if current.data == "expr_term" and len(current.children) == 1:
                inner = current.children[0]
                if isinstance(inner, Tree) and inner.data in _TRAVERSAL_RULES:
                    current = inner
                    continue
                break
            if current.data not in _TRAVERSAL_RULES:
                break
            base, operation = _trees(current)
            if current.data in ("get_attr_expr_term", "index_expr_term"):
                reversed_steps.append(self._step(operation, depth))
            else:
                splat_steps = [self._step(s, depth) for s in _trees(operation)]
                reversed_steps.extend(reversed(splat_steps))
                reversed_steps.append(Splat(full=current.data == "full_splat_expr_term"))
            current = base
        steps = tuple(reversed(reversed_steps))
        text, line = self._text(node), self._line(node)
        if current.data == "expr_term" and len(current.children) == 1:
            only = current.children[0]
            if isinstance(only, Tree) and only.data == "identifier":
                return Traversal(str(only.children[0]), steps, text=text, line=line)
        source = self.expr(current, depth + 1)
        if isinstance(source, Traversal):  # ``(var.a).b`` means ``var.a.b``
            return Traversal(source.root, source.steps + steps, text=text, line=line)
        return RelativeTraversal(source, steps, text=text, line=line)

    def _step(self, node: Tree[Token], depth: int) -> Step:
        if node.data == "get_attr":
            return GetAttr(_name(_trees(node)[0]))
        if node.data == "short_index":
            raw = str(node.children[-1])
            return Index(Literal(int(raw), text=raw, line=self._line(node)))
        key = next(c for c in _trees(node) if c.data != _NL)
        return Index(self.expr(key, depth + 1))

    def _for(self, node: Tree[Token], depth: int) -> ForExpr:
        intro, *rest = (c for c in _trees(node) if c.data != _NL)
        names = [str(c.children[0]) for c in _trees(intro) if c.data == "identifier"]
        collection = next(c for c in _trees(intro) if c.data not in ("identifier", _NL))
        condition: Expr | None = None
        if rest and rest[-1].data == "for_cond":
            cond_node = next(c for c in _trees(rest.pop()) if c.data != _NL)
            condition = self.expr(cond_node, depth + 1)
        exprs = [self.expr(c, depth + 1) for c in rest]
        key = exprs[0] if node.data == "for_object_expr" else None
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        return ForExpr(
            names[0] if len(names) == 2 else None,
            names[-1],
            self.expr(collection, depth + 1),
            key,
            exprs[-1],
            condition,
            grouping,
            text=self._text(node),
            line=self._line(node),
        )

    # ----- positions

    def _line(self, node: Tree[Token]) -> int:
        return node.meta.line + self.line_offset

    def _text(self, node: Tree[Token]) -> str:
        return self.source[node.meta.start_pos : _end_pos(node)]


def _trees(node: Tree[Token]) -> list[Tree[Token]]:
    return [c for c in node.children if isinstance(c, Tree)]


def _name(node: Tree[Token]) -> str:
    """identifier / keyword / literal_value used as a name (``in``, ``true`` are not reserved)."""
    return str(node.children[0])


def _end_pos(node: Tree[Token]) -> int:
    """Where an expression ends, leaving out the newline or comment a rule swallowed at its end.

    ``a + b # note`` makes the comment part of the binary_op rule in python-hcl2's grammar.
    """
    while True:
        children = node.children
        i = len(children) - 1
        while i >= 0 and _is_newline(children[i]):
            i -= 1
        if i == len(children) - 1 or i < 0:
            return int(node.meta.end_pos)
        last = children[i]
        if isinstance(last, Token):
            return int(last.end_pos or node.meta.end_pos)
        node = last


def _is_newline(node: Node) -> bool:
    return isinstance(node, Tree) and node.data == _NL


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw

    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            try:
                return chr(int(code, 16))
            except ValueError:  # beyond U+10FFFF
                return match.group(0)
        return _SIMPLE_ESCAPES.get(match.group(3), match.group(0))

    return _ESCAPE.sub(replace, raw)


def _flush_heredoc(body: str) -> str:
    """``<<-``: drop the smallest leading-whitespace width of the non-blank lines (HCL rule)."""
    lines = body.split("\n")
    widths = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
    if not widths:
        return body
    cut = min(widths)
    return "\n".join(ln[cut:] if ln.strip() else ln for ln in lines)


# --------------------------------------------------------------------------- templates


def parse_template(
    source: str, first_line: int, *, text: str = "", line: int = 0, depth: int = 0
) -> Expr:
    """A heredoc body or JSON string: literal text with ``${expr}`` parts (``$${`` escapes).

    ``first_line`` is the source line of ``source[0]``; expressions inside get their own exact
    lines. A ``%{`` directive makes the whole template ``Unsupported``; an interpolation
    python-hcl2 cannot read becomes an ``Unsupported`` part, so one odd heredoc does not cost
    the whole file.
    """
    line = line or first_line
    parts: list[Expr] = []
    pending: list[str] = []
    strip_next = False
    i = 0
    while True:
        j = _next_special(source, i)
        chunk = source[i:j]
        if strip_next:
            chunk, strip_next = chunk.lstrip(), False
        pending.append(chunk)
        if j >= len(source):
            break
        if source.startswith(("$${", "%%{"), j):
            pending.append(source[j + 1 : j + 3])
            i = j + 3
            continue
        if source.startswith("%{", j):
            return Unsupported("a template directive", text=text or source, line=line)
        end = _interpolation_end(source, j + 2)
        if end is None:
            return Unsupported("an unterminated interpolation", text=text or source, line=line)
        inner = source[j + 2 : end]
        if inner.startswith("~"):
            inner = inner[1:]
            pending = ["".join(pending).rstrip()]
        if inner.endswith("~"):
            inner, strip_next = inner[:-1], True
        if "".join(pending):
            parts.append(Literal("".join(pending)))
        pending = []
        inner_line = first_line + source.count("\n", 0, j + 2)
        parts.append(_parse_embedded(inner, inner_line, depth))
        i = end + 1
    if pending and "".join(pending):
        parts.append(Literal("".join(pending)))
    if not parts:
        return Literal("", text=text, line=line)
    if len(parts) == 1 and isinstance(parts[0], Literal):
        return Literal(parts[0].value, text=text, line=line)
    return Template(tuple(parts), text=text, line=line)


def _next_special(source: str, start: int) -> int:
    """Index of the next ``${`` / ``%{`` (or of its ``$${`` / ``%%{`` escape) from ``start``."""
    found = [p for p in (source.find("${", start), source.find("%{", start)) if p >= 0]
    if not found:
        return len(source)
    p = min(found)
    return p - 1 if p > start and source[p - 1] == source[p] else p


def _interpolation_end(source: str, start: int, nesting: int = 0) -> int | None:
    """Index of the ``}`` closing an interpolation whose expression begins at ``start``."""
    if nesting > MAX_EXPRESSION_DEPTH:
        return None
    depth = 0
    i = start
    n = len(source)
    while i < n:
        c = source[i]
        if c == '"':
            end = _string_end(source, i + 1, nesting + 1)
            if end is None:
                return None
            i = end
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return None


def _string_end(source: str, start: int, nesting: int) -> int | None:
    """Index just past the quote closing a string literal inside an interpolation."""
    i = start
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif source.startswith("${", i):
            end = _interpolation_end(source, i + 2, nesting + 1)
            if end is None:
                return None
            i = end + 1
        else:
            i += 1
    return None


def _parse_embedded(inner: str, line: int, depth: int) -> Expr:
    """Parse the expression of an interpolation by handing python-hcl2 ``x = (inner)``."""
    wrapper = f"x = ({inner}\n)"
    try:
        tree = _lark_parse(wrapper, line - 1)
        hcl = _Converter(wrapper, line - 1, depth).file(tree)
        return hcl.attributes[0].value
    except HclSyntaxError as exc:
        return Unsupported(
            f"an interpolation python-hcl2 could not read ({exc.message})",
            text=inner.strip(),
            line=exc.line or line,
        )
    except RecursionError:
        return Unsupported("an interpolation nested too deeply", text=inner.strip(), line=line)


# --------------------------------------------------------------------------- JSON syntax

_JSON_LABELS = {
    "resource": 2,
    "data": 2,
    "ephemeral": 2,
    "module": 1,
    "provider": 1,
    "variable": 1,
    "output": 1,
    "check": 1,
}
_JSON_NESTED_LABELS = {"dynamic": 1, "provisioner": 1, "backend": 1}
_JSON_ATTRIBUTE_ONLY = frozenset({"locals", "module", "output"})
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass
class _JValue:
    """A JSON value with where it sits; internal to the JSON reader, never exported."""

    kind: str  # object, array, string, number, literal
    start: int
    end: int
    scalar: object = None
    items: list[_JValue] = field(default_factory=list)
    members: list[tuple[str, int, _JValue]] = field(default_factory=list)  # key, key pos, value


class _JsonReader:
    """A small position-keeping JSON reader: ``json`` itself gives no offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line(self, pos: int) -> int:
        return bisect_left(self.newlines, pos) + 1

    def error(self, message: str, pos: int) -> HclSyntaxError:
        line = self.line(pos)
        column = pos - (self.newlines[line - 2] + 1 if line > 1 else 0) + 1
        return HclSyntaxError(message, line, column)

    def skip(self, pos: int) -> int:
        match = _JSON_SPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, depth: int) -> _JValue:
        if depth > MAX_JSON_DEPTH:
            raise self.error(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", pos)
        text = self.text
        pos = self.skip(pos)
        if pos >= len(text):
            raise self.error("unexpected end of JSON", pos)
        c = text[pos]
        if c == "{":
            return self._object(pos, depth)
        if c == "[":
            return self._array(pos, depth)
        if c == '"':
            string, end = self._string(pos)
            return _JValue("string", pos, end, string)
        for word, literal in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return _JValue("literal", pos, pos + len(word), literal)
        match = _JSON_NUMBER.match(text, pos)
        if match and match.end() > pos:
            raw = match.group(0)
            number: int | float = float(raw) if match.group(1) or match.group(2) else int(raw)
            return _JValue("number", pos, match.end(), number)
        raise self.error(f"unexpected character {c!r} in JSON", pos)

    def _string(self, pos: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, pos + 1)  # type: ignore[attr-defined,no-any-return]
        except json.JSONDecodeError as exc:
            raise self.error(f"invalid JSON string: {exc.msg}", exc.pos) from None

    def _object(self, start: int, depth: int) -> _JValue:
        node = _JValue("object", start, start)
        pos = self.skip(start + 1)
        if self.text.startswith("}", pos):
            node.end = pos + 1
            return node
        while True:
            pos = self.skip(pos)
            if not self.text.startswith('"', pos):
                raise self.error("expected a property name in JSON", pos)
            key, after = self._string(pos)
            key_pos = pos
            pos = self.skip(after)
            if not self.text.startswith(":", pos):
                raise self.error("expected ':' in JSON", pos)
            value = self.value(pos + 1, depth + 1)
            node.members.append((key, key_pos, value))
            pos = self.skip(value.end)
            if self.text.startswith(",", pos):
                pos += 1
                continue
            if self.text.startswith("}", pos):
                node.end = pos + 1
                return node
            raise self.error("expected ',' or '}' in JSON", pos)

    def _array(self, start: int, depth: int) -> _JValue:
        node = _JValue("array", start, start)
        pos = self.skip(start + 1)
        if self.text.startswith("]", pos):
            node.end = pos + 1
            return node
        while True:
            value = self.value(pos, depth + 1)
            node.items.append(value)
            pos = self.skip(value.end)
            if self.text.startswith(",", pos):
                pos += 1
                continue
            if self.text.startswith("]", pos):
                node.end = pos + 1
                return node
            raise self.error("expected ',' or ']' in JSON", pos)


def _json_document(text: str) -> tuple[_JsonReader, _JValue]:
    text = text.removeprefix("\ufeff")
    reader = _JsonReader(text)
    try:
        root = reader.value(0, 0)
    except RecursionError:
        raise HclSyntaxError("the JSON is nested too deeply to read") from None
    rest = reader.skip(root.end)
    if rest < len(text):
        raise reader.error("unexpected content after the JSON document", rest)
    if root.kind != "object":
        raise reader.error("a Terraform JSON file must hold one JSON object", root.start)
    return reader, root


class _JsonConverter:
    def __init__(self, reader: _JsonReader) -> None:
        self.reader = reader
        self.text = reader.text

    def file(self, root: _JValue) -> HclFile:
        blocks: list[Block] = []
        for key, key_pos, value in root.members:
            if key == "//":
                continue
            labels = _JSON_LABELS.get(key, 0)
            blocks.extend(self._blocks(key, value, labels, (), key_pos))
        return HclFile((), tuple(blocks))

    def attributes_only(self, root: _JValue) -> HclFile:
        attributes = tuple(
            Attribute(key, self.expr(value), self.reader.line(key_pos))
            for key, key_pos, value in root.members
        )
        return HclFile(attributes, ())

    def _blocks(
        self, type_: str, value: _JValue, labels_left: int, labels: tuple[str, ...], key_pos: int
    ) -> list[Block]:
        if value.kind == "array":
            out: list[Block] = []
            for item in value.items:
                out.extend(self._blocks(type_, item, labels_left, labels, item.start))
            return out
        if value.kind != "object":
            raise self.reader.error(f"a {type_!r} block must be a JSON object", value.start)
        if labels_left == 0:
            return [self._block(type_, labels, value, key_pos)]
        out = []
        for key, pos, member in value.members:
            if key != "//":
                out.extend(self._blocks(type_, member, labels_left - 1, (*labels, key), pos))
        return out

    def _block(self, type_: str, labels: tuple[str, ...], body: _JValue, key_pos: int) -> Block:
        attributes: list[Attribute] = []
        blocks: list[Block] = []
        for key, pos, value in body.members:
            if key == "//":
                continue
            line = self.reader.line(pos)
            nested_labels = _JSON_NESTED_LABELS.get(key)
            attribute_only = type_ in _JSON_ATTRIBUTE_ONLY or (
                type_ == "variable" and key != "validation"
            )
            if nested_labels and not attribute_only and value.kind in ("object", "array"):
                blocks.extend(self._blocks(key, value, nested_labels, (), pos))
                continue
            attributes.append(Attribute(key, self.expr(value), line))
            if not attribute_only and _is_block_like(value):
                blocks.extend(self._blocks(key, value, 0, (), pos))
        line = self.reader.line(key_pos)
        end_line = self.reader.line(body.end - 1)
        return Block(type_, labels, tuple(attributes), tuple(blocks), line, end_line)

    def expr(self, value: _JValue) -> Expr:
        text = self.text[value.start : value.end]
        line = self.reader.line(value.start)
        if value.kind == "string":
            assert isinstance(value.scalar, str)
            return parse_template(value.scalar, line, text=text, line=line)
        if value.kind == "array":
            return TupleExpr(tuple(self.expr(i) for i in value.items), text=text, line=line)
        if value.kind == "object":
            items = tuple(
                (parse_template(k, self.reader.line(pos), text=json.dumps(k)), self.expr(v))
                for k, pos, v in value.members
            )
            return ObjectExpr(items, text=text, line=line)
        scalar = value.scalar
        assert scalar is None or isinstance(scalar, bool | int | float)
        return Literal(scalar, text=text, line=line)


def _is_block_like(value: _JValue) -> bool:
    if value.kind == "object":
        return True
    return (
        value.kind == "array" and bool(value.items) and all(i.kind == "object" for i in value.items)
    )
