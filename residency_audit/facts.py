"""Read every discovered file and turn it into facts, one pure function per kind.

This is the per-file stage: no cross-file knowledge, so it can run in parallel and be
cached by content hash. Nothing that a file contains can stop the scan: unreadable,
binary, oversized or malformed files become error records and the rest goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from residency_audit.cache import FactsCache, content_key
from residency_audit.discovery import DiscoveredFile, FileKind
from residency_audit.gc_tuning import collect_rarely
from residency_audit.model import ScanError
from residency_audit.sources.kubernetes.parse import (
    KubernetesFacts,
    looks_like_manifest,
    parse_manifests,
)
from residency_audit.sources.python import (
    EnvFileFacts,
    PythonFacts,
    is_compose_path,
    might_matter,
    parse_compose_env,
    parse_dotenv,
)
from residency_audit.sources.python.prefilter import Relevance, choose, relevance
from residency_audit.sources.terraform.parse import TerraformFile, parse_terraform
from residency_audit.sources.terraform.plan import PlanFacts, looks_like_plan, parse_plan
from residency_audit.tree_index import IndexEntry, TreeIndex, stat_signature

# Real Terraform and manifests are far below this; a multi-megabyte .tf is generated data
# whose parse would take minutes with python-hcl2 (about 0.1 MB/s).
MAX_FILE_BYTES = 4 * 1024 * 1024
# Plans of large stacks run to tens of megabytes and json reads them at ~100 MB/s. Any
# `.json` is sniffed on its first bytes first, so data files never count as scanned.
MAX_PLAN_BYTES = 64 * 1024 * 1024
PLAN_SNIFF_BYTES = 1024 * 1024

RELEVANT_KINDS = frozenset(
    {
        FileKind.TERRAFORM,
        FileKind.TERRAFORM_JSON,
        FileKind.TFVARS,
        FileKind.YAML,
        FileKind.PYTHON,
        FileKind.DOTENV,
    }
)

FileFacts = TerraformFile | KubernetesFacts | PlanFacts | PythonFacts | EnvFileFacts


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
    if file.kind is FileKind.PYTHON:
        # The byte-level prefilter keeps libcst away from files that cannot matter.
        if not might_matter(data):
            return None, ()
        # Imported here: libcst is a third of start-up, and a scan answered from the cache
        # never parses Python.
        from residency_audit.sources.python.parse import parse_python

        python = parse_python(file.path, data)
        return python, python.errors
    if file.kind is FileKind.DOTENV:
        env = parse_dotenv(file.path, data)
        return env, env.errors
    if file.kind is FileKind.YAML and is_compose_path(file.path):
        compose = parse_compose_env(file.path, data)
        return compose, compose.errors
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
    return None, ()


@dataclass(frozen=True)
class ParseOptions:
    """How the per-file stage runs: worker processes and the content-hash cache."""

    jobs: int = 1
    cache: FactsCache | None = None


# Below this many files to parse, starting worker processes costs more than it saves.
MIN_FILES_FOR_POOL = 24

_Parsed = tuple[FileFacts | None, tuple[ScanError, ...]]


def _parse_job(job: tuple[DiscoveredFile, bytes]) -> _Parsed:
    """Top-level so worker processes can import it; never raises for any file content."""
    return parse_file(*job)


def _parse_many(jobs: list[tuple[DiscoveredFile, bytes]], workers: int) -> list[_Parsed]:
    if workers <= 1 or len(jobs) < MIN_FILES_FOR_POOL:
        return [_parse_job(job) for job in jobs]
    chunk = max(1, len(jobs) // (workers * 8))
    context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=collect_rarely
        ) as pool:
            return list(pool.map(_parse_job, jobs, chunksize=chunk))
    except (BrokenProcessPool, OSError) as exc:
        # Workers that cannot start (no main module to re-import, no /dev/shm) or that die
        # must not cost the report: parse in this process instead, slower but complete.
        print(
            f"residency-audit: parser workers failed ({exc}); parsing in one process",
            file=sys.stderr,
        )
        return [_parse_job(job) for job in jobs]


def _read(root: str, file: DiscoveredFile) -> bytes | ScanError:
    # Plain strings, not pathlib: this runs once per file and Path() costs add up at 10k.
    full = os.path.join(root, file.path)
    try:
        with open(full, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                message = f"file too large ({size} bytes > {MAX_FILE_BYTES}); not scanned"
                return ScanError(file.path, None, message)
            return stream.read()
    except OSError as exc:
        return ScanError(file.path, None, f"cannot read: {exc.strerror or exc}")


@dataclass
class _Relevant:
    """A file the scan reads, as far as it is known before parsing: its content key and
    verdict come from the tree index when the file is unchanged, and then its bytes are
    read only if they are needed after all."""

    slot: int
    file: DiscoveredFile
    key: str
    relevance: Relevance | None  # Python files only
    data: bytes | ScanError | None


def _know(
    root: str, file: DiscoveredFile, slot: int, index: TreeIndex | None
) -> _Relevant | ScanError:
    full = os.path.join(root, file.path)
    signature = stat_signature(full) if index is not None else None
    entry = index.lookup(file.path, signature) if index is not None else None
    if entry is not None:
        verdict = Relevance(entry.relevance) if entry.relevance is not None else None
        item = _Relevant(slot, file, entry.content_key, verdict, None)
    else:
        data = _read(root, file)
        if isinstance(data, ScanError):
            return data
        verdict = relevance(data) if file.kind is FileKind.PYTHON else None
        item = _Relevant(slot, file, content_key(file.path, file.kind.value, data), verdict, data)
    if index is not None and signature is not None:
        index.record(file.path, IndexEntry(signature, item.key, verdict and verdict.value))
    return item


def _bytes_or_nothing(data: bytes | ScanError) -> bytes:
    return data if isinstance(data, bytes) else b""


def parse_all(
    root: Path, files: Sequence[DiscoveredFile], options: ParseOptions | None = None
) -> ParsedFacts:
    """Facts of every relevant file, in discovery order whatever the worker count.

    Files are read here (cheap), unless the tree index vouches for them; each one's facts
    come from the cache when its content was parsed before, else from a worker. Python
    files are chosen together (see :func:`select_for_parsing`) before any of them is
    parsed. Results are merged in discovery order, so the report is byte-identical for any
    ``--jobs``.
    """
    root_text = str(root)
    options = options or ParseOptions()
    tree_index = TreeIndex(options.cache, root) if options.cache is not None else None
    slots: list[_Parsed | ScanError | None] = []
    pending: list[tuple[int, str, tuple[DiscoveredFile, bytes]]] = []
    scanned = 0
    plans: list[tuple[int, DiscoveredFile]] = []
    relevant: list[_Relevant] = []
    for file in files:
        if file.kind is FileKind.JSON:
            plans.append((len(slots), file))
            slots.append(None)
            continue
        if file.kind not in RELEVANT_KINDS:
            continue
        scanned += 1
        slots.append(None)
        item = _know(root_text, file, len(slots) - 1, tree_index)
        if isinstance(item, ScanError):
            slots[-1] = item
        else:
            relevant.append(item)

    def data_of(item: _Relevant) -> bytes | ScanError:
        if item.data is None:
            item.data = _read(root_text, item.file)
        return item.data

    python = {item.file.path: item for item in relevant if item.relevance is not None}
    chosen = choose(
        {path: item.relevance for path, item in python.items() if item.relevance},
        lambda path: _bytes_or_nothing(data_of(python[path])),
    )
    for item in relevant:
        if item.relevance is not None and item.file.path not in chosen:
            continue
        cached = options.cache.get(item.key) if options.cache else None
        if cached is not None:
            slots[item.slot] = cached  # type: ignore[call-overload]
            continue
        data = data_of(item)
        if isinstance(data, ScanError):
            slots[item.slot] = data
        else:
            pending.append((item.slot, item.key, (item.file, data)))
    if tree_index is not None:
        tree_index.save()

    results = _parse_many([job for _, _, job in pending], options.jobs)
    for (index, key, _), result in zip(pending, results, strict=True):
        slots[index] = result
        if options.cache is not None:
            options.cache.put(key, result)
    for index, file in plans:
        plan, plan_errors = read_plan(file.path, root / file.path, sniff=True)
        if plan is not None or plan_errors:
            scanned += 1
        slots[index] = (plan, plan_errors)

    facts: list[FileFacts] = []
    errors: list[ScanError] = []
    for slot in slots:
        if isinstance(slot, ScanError):
            errors.append(slot)
        elif slot is not None:
            parsed, file_errors = slot
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
