"""Read every discovered file and turn it into facts, one pure function per kind.

This is the per-file stage: no cross-file knowledge, so it can run in parallel and be
cached by content hash. Nothing that a file contains can stop the scan: unreadable,
binary, oversized or malformed files become error records and the rest goes on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from residency_audit.discovery import DiscoveredFile, FileKind
from residency_audit.model import ScanError
from residency_audit.sources.kubernetes.parse import (
    KubernetesFacts,
    looks_like_manifest,
    parse_manifests,
)
from residency_audit.sources.terraform.parse import TerraformFile, parse_terraform
from residency_audit.sources.terraform.plan import PlanFacts, looks_like_plan, parse_plan

# Real Terraform and manifests are far below this; a multi-megabyte .tf is generated data
# whose parse would take minutes with python-hcl2 (about 0.1 MB/s).
MAX_FILE_BYTES = 4 * 1024 * 1024
# Plans of large stacks run to tens of megabytes and json reads them at ~100 MB/s. Any
# `.json` is sniffed on its first bytes first, so data files never count as scanned.
MAX_PLAN_BYTES = 64 * 1024 * 1024
PLAN_SNIFF_BYTES = 1024 * 1024

RELEVANT_KINDS = frozenset(
    {FileKind.TERRAFORM, FileKind.TERRAFORM_JSON, FileKind.TFVARS, FileKind.YAML, FileKind.PYTHON}
)

FileFacts = TerraformFile | KubernetesFacts | PlanFacts


@dataclass(frozen=True)
class ParsedFacts:
    facts: tuple[FileFacts, ...]
    errors: tuple[ScanError, ...]
    files_scanned: int


def read_text(path: str, data: bytes) -> tuple[str | None, ScanError | None]:
    """Decode a source file, refusing binaries and non-UTF-8 text with a clear message."""
    if b"\x00" in data[:8192]:
        return None, ScanError(path, None, "binary file (contains NUL bytes); not scanned")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, ScanError(
            path, line, f"not valid UTF-8 text ({exc.reason} at byte {exc.start})"
        )


def parse_file(file: DiscoveredFile, data: bytes) -> tuple[FileFacts | None, tuple[ScanError, ...]]:
    if file.kind is FileKind.YAML:
        if not looks_like_manifest(data, file.path):
            return None, ()
        facts = parse_manifests(file.path, data)
        return facts, facts.errors
    if file.kind in (FileKind.TERRAFORM, FileKind.TERRAFORM_JSON, FileKind.TFVARS):
        text, error = read_text(file.path, data)
        if error is not None:
            return None, (error,)
        assert text is not None
        tf = parse_terraform(file.path, text, file.kind)
        return tf, (tf.error,) if tf.error else ()
    return None, ()  # Python sources are analysed by the Python issue's parser


def parse_all(root: Path, files: Sequence[DiscoveredFile]) -> ParsedFacts:
    facts: list[FileFacts] = []
    errors: list[ScanError] = []
    scanned = 0
    for file in files:
        if file.kind is FileKind.JSON:
            plan, plan_errors = read_plan(file.path, root / file.path, sniff=True)
            if plan is not None or plan_errors:
                scanned += 1
            if plan is not None:
                facts.append(plan)
            errors.extend(plan_errors)
            continue
        if file.kind not in RELEVANT_KINDS:
            continue
        scanned += 1
        full = root / file.path
        try:
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:
                errors.append(
                    ScanError(
                        file.path,
                        None,
                        f"file too large ({size} bytes > {MAX_FILE_BYTES}); not scanned",
                    )
                )
                continue
            data = full.read_bytes()
        except OSError as exc:
            errors.append(ScanError(file.path, None, f"cannot read: {exc.strerror or exc}"))
            continue
        parsed, file_errors = parse_file(file, data)
        errors.extend(file_errors)
        if parsed is not None:
            facts.append(parsed)
    return ParsedFacts(tuple(facts), tuple(errors), scanned)


def read_plan(
    display: str, full: Path, *, sniff: bool = False, in_tree: bool = True
) -> tuple[PlanFacts | None, tuple[ScanError, ...]]:
    """A Terraform plan JSON file; with ``sniff``, (None, ()) when it does not look like one."""
    try:
        with full.open("rb") as stream:
            head = stream.read(PLAN_SNIFF_BYTES)
            if sniff and not looks_like_plan(head):
                return None, ()
            size = full.stat().st_size
            if size > MAX_PLAN_BYTES:
                message = f"plan too large ({size} bytes > {MAX_PLAN_BYTES}); not scanned"
                return None, (ScanError(display, None, message),)
            data = head + stream.read()
    except OSError as exc:
        return None, (ScanError(display, None, f"cannot read: {exc.strerror or exc}"),)
    text, error = read_text(display, data)
    if error is not None:
        return None, (error,)
    assert text is not None
    plan = parse_plan(display, text)
    if not in_tree:
        plan = replace(plan, in_tree=False)
    return plan, (plan.error,) if plan.error else ()


def parse_plans(root: Path, paths: Sequence[Path], known: Collection[str]) -> ParsedFacts:
    """Plans named on the command line (``--plan``); ``known`` are paths already read.

    A plan inside the root is reported under its path relative to the root, like a
    discovered one; a plan outside it under the path as given.
    """
    facts: list[FileFacts] = []
    errors: list[ScanError] = []
    seen = set(known)
    base = root.resolve()
    for path in paths:
        try:
            display, in_tree = path.resolve().relative_to(base).as_posix(), True
        except (ValueError, OSError):
            display, in_tree = path.as_posix(), False
        if display in seen:
            continue
        seen.add(display)
        plan, plan_errors = read_plan(display, path, in_tree=in_tree)
        errors.extend(plan_errors)
        if plan is not None:
            facts.append(plan)
    return ParsedFacts(tuple(facts), tuple(errors), len(seen) - len(set(known)))
