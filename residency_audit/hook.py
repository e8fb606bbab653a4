"""The pre-commit hook: scan the whole repository, speak only about the staged files.

Where a store lives is decided across files (a variable default in one, the provider in
another, the bucket in a third), so the hook always scans the whole working tree; a
finding concerns a commit when the commit touches the store's declaration or any file of
its evidence chain. Changing the config can change every finding, so a staged config file
shows them all. The output is compiler-style ``file:line:`` text, which pre-commit prints
as it is and editors can jump to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from residency_audit.model import Finding, ScanResult, Severity


def repository_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or a
    file in worktrees and submodules); ``start`` itself when there is none.

    pre-commit runs hooks from the repository root already; this keeps a manual run from
    a subdirectory scanning the same tree, without running git.
    """
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def relative_paths(names: Iterable[str], cwd: Path, root: Path) -> frozenset[str]:
    """File names as pre-commit gives them (relative to the working directory), made
    relative to the scanned root with ``/``, as the report writes them."""
    base = root.resolve()
    paths: set[str] = set()
    for name in names:
        full = (cwd / name).resolve()
        try:
            paths.add(full.relative_to(base).as_posix())
        except ValueError:
            continue  # outside the scanned tree: nothing of it can be in the report
    return frozenset(paths)


def touches(finding: Finding, paths: frozenset[str]) -> bool:
    return finding.file in paths or any(ref.file in paths for ref in finding.evidence)


def relevant_findings(
    result: ScanResult, paths: frozenset[str] | None, config_file: str | None
) -> tuple[Finding, ...]:
    """The findings a commit of ``paths`` is responsible for; all of them when no file
    names are given (``None``) or the commit changes the config."""
    if paths is None or (config_file is not None and config_file in paths):
        return result.findings
    return tuple(f for f in result.findings if touches(f, paths))


def render_hook(
    result: ScanResult,
    shown: Sequence[Finding],
    threshold: Severity | None,
    *,
    scoped: bool,
) -> str:
    lines: list[str] = []
    gate = threshold.value if threshold is not None else "none"
    where = "in the staged files" if scoped else "in the repository"
    if shown:
        lines.append(f"residency-audit: {len(shown)} finding(s) {where} (fail-on {gate}):")
        lines.append("")
    for finding in shown:
        lines.append(
            f"{finding.file}:{finding.line}: {finding.severity.value.upper()} "
            f"{finding.rule_id} {finding.store_id}"
        )
        lines.append(f"  {finding.message}")
        for ref in finding.evidence:
            place = f"{ref.file}:{ref.line}" if ref.line else ref.file
            lines.append(f"    {place}  {ref.note}")
        lines.append(
            f"  to accept it on purpose: `# residency-audit: ignore[{finding.rule_id}] <reason>`"
            " on the line above the declaration"
        )
        lines.append("")
    hidden = len(result.findings) - len(shown)
    if hidden:
        lines.append(
            f"{hidden} other finding(s) in the repository do not concern the staged files; "
            "`residency-audit scan` shows them."
        )
    lines.extend(f"hint: {hint}" for hint in result.hints)
    if result.errors:
        lines.append(f"{len(result.errors)} file(s) could not be read; see `residency-audit scan`.")
    return "\n".join(lines) + ("\n" if lines else "")


def fails(shown: Sequence[Finding], threshold: Severity | None) -> bool:
    return threshold is not None and any(f.severity.rank >= threshold.rank for f in shown)
