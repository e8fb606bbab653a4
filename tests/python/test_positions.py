"""Our line counter must agree with libcst's PositionProvider on every node, and a node's
text must be what ``Module.code_for_node`` generates, on real files and on the layouts
that move lines (CRLF, continuation lines, decorators, comments, strings over lines).

The text is the source slice, so an expression over several lines keeps the indentation
it has in the file, where ``code_for_node`` (generating outside its block) drops it."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from residency_audit.sources.python.positions import node_positions

REPO = Path(__file__).resolve().parents[2]
FIXTURE_FILES = sorted((REPO / "fixtures").rglob("*.py")) + sorted(
    (REPO / "residency_audit" / "sources" / "python").glob("*.py")
)

SNIPPETS = {
    "crlf": "import os\r\n\r\nX = os.environ[\r\n    'A'\r\n]\r\n",
    "lone-cr": "a = 1\rb = (\r  2)\r",
    "no-trailing-newline": "x = 1\ny = call(\n  2)",
    "empty": "",
    "only-comment": "# nothing here\n",
    "decorated": (
        "# leading comment\n\n@dataclass(\n    frozen=True,\n)\n"
        "class Customer:  # trailing\n    # inside\n    snils: str = '''a\nb'''\n"
        "    def f(self):\n        pass\n"
    ),
    "nested-blocks": (
        "def outer():\n    if x:\n        for y in z:\n            s3.put_object(\n"
        "                Bucket=B,\n                Body=b,  # why\n            )\n"
        "    else:\n        return lambda q: (\n            q + 1\n        )\n"
    ),
    "backslash": "value = 1 + \\\n    2\nother = f'{value!r:>{10}}'\n",
    "tabs": "if a:\n\tif b:\n\t\tc = 1\n\td = 2\n",
}


def _compare(source: str) -> None:
    module = cst.parse_module(source)
    ours = node_positions(module, source)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert theirs, "PositionProvider gave nothing to compare with"
    for node, expected in theirs.items():
        got = (ours.line(node), ours.end_line(node))
        assert got == (expected.start.line, expected.end.line), (type(node).__name__, got)
        if isinstance(node, cst.BaseExpression):
            generated = module.code_for_node(node).strip()
            if "\n" in generated or "\r" in generated:
                assert ours.code(node).split() == generated.split()
            else:
                assert ours.code(node) == generated


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_lines_and_text_match_libcst_on_real_files(path: Path) -> None:
    _compare(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_lines_and_text_match_libcst_on_layouts_that_move_lines(name: str) -> None:
    _compare(SNIPPETS[name])


def test_a_node_of_another_tree_has_no_position() -> None:
    module = cst.parse_module("x = 1\n")
    positions = node_positions(module, "x = 1\n")
    stranger = cst.Name("y")
    assert (positions.line(stranger), positions.end_line(stranger)) == (0, 0)
    assert positions.code(stranger) == "y"
