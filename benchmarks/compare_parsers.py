"""Parser alternatives on the same files: python-hcl2 vs tree-sitter-hcl, libcst vs ast.

Not a project dependency: install the candidates first, outside the project's venv if you
like (``pip install tree-sitter tree-sitter-hcl``). Prints seconds, MB/s and rejected files
per parser, medians of ``--repeats`` passes, with the scan's own GC settings.

    python benchmarks/compare_parsers.py benchmarks/corpus/10000
"""

from __future__ import annotations

import argparse
import ast
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

GC_THRESHOLDS = (100_000, 50, 1000)  # as residency_audit.gc_tuning


def measure(name: str, parse: Callable[[bytes], bool], files: list[bytes], repeats: int) -> None:
    """``parse`` returns False for a file it rejects."""
    passes = []
    rejected = 0
    for _ in range(repeats):
        rejected = 0
        start = time.perf_counter()
        for data in files:
            if not parse(data):
                rejected += 1
        passes.append(time.perf_counter() - start)
    seconds = statistics.median(passes)
    megabytes = sum(map(len, files)) / 1e6
    print(
        f"{name:<28} {len(files):>6} files {seconds:8.3f} s {megabytes / seconds:7.2f} MB/s "
        f"{rejected} rejected"
    )


def accepts(parse: Callable[[str], object]) -> Callable[[bytes], bool]:
    """A parser taking text, as one that tells whether it accepted the file's bytes."""

    def run(data: bytes) -> bool:
        try:
            parse(data.decode("utf-8", "replace"))
        except Exception:
            return False
        return True

    return run


def hcl2_parse(data: bytes) -> bool:
    import hcl2

    return accepts(hcl2.parses_to_tree)(data)


def tree_sitter_parser() -> Callable[[bytes], bool] | None:
    try:
        import tree_sitter
        import tree_sitter_hcl
    except ImportError:
        return None
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return lambda data: not parser.parse(data).root_node.has_error


def libcst_parse(data: bytes) -> bool:
    import libcst

    return accepts(libcst.parse_module)(data)


ast_parse = accepts(ast.parse)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("root", type=Path)
    options.add_argument("--repeats", type=int, default=3)
    args = options.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)
    terraform = [p.read_bytes() for p in sorted(args.root.rglob("*.tf"))]
    python = [p.read_bytes() for p in sorted(args.root.rglob("*.py"))]
    hcl2_parse(b"a = 1\n")  # python-hcl2 builds its Lark grammar on first use
    measure("python-hcl2", hcl2_parse, terraform, args.repeats)
    tree_sitter = tree_sitter_parser()
    if tree_sitter is None:
        print("tree-sitter-hcl: not installed (pip install tree-sitter tree-sitter-hcl)")
    else:
        measure("tree-sitter-hcl", tree_sitter, terraform, args.repeats)
    measure("libcst", libcst_parse, python, args.repeats)
    measure("ast (standard library)", ast_parse, python, args.repeats)


if __name__ == "__main__":
    main()
