"""Read every discovered file and turn it into facts, one pure function per kind.

This is the per-file stage: no cross-file knowledge, so it can run in parallel and be
cached by content hash. Nothing that a file contains can stop the scan: unreadable,
binary, oversized or malformed files become error records and the rest goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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


# Files are sent to the workers in batches of this many, as soon as they are known to need
# parsing; the pool starts with the first full batch, so a scan with fewer files to parse
# than this never pays for starting worker processes.
MIN_FILES_FOR_POOL = 32

_Parsed = tuple[FileFacts | None, tuple[ScanError, ...]]
_Job = tuple[int, str, DiscoveredFile, bytes]  # slot, content key, file, bytes


def _parse_job(job: tuple[DiscoveredFile, bytes]) -> _Parsed:
    """Top-level so worker processes can import it; never raises for any file content."""
    return parse_file(*job)


def _parse_batch(
    jobs: list[tuple[str, DiscoveredFile, bytes]], cache_dir: str | None
) -> list[_Parsed]:
    """A worker's share: it also writes the cache entries, in parallel with the others,
    instead of leaving thousands of writes to the main process."""
    cache = FactsCache(Path(cache_dir)) if cache_dir is not None else None
    results = []
    for key, file, data in jobs:
        result = parse_file(file, data)
        if cache is not None:
            cache.put(key, result)
        results.append(result)
    return results


class _Parser:
    """Parses files in worker processes, batch by batch as the scan finds them, so the
    workers parse Terraform while this process still reads and prefilters Python files.
    Results come back in submission order, and each file's facts are written to the cache
    by whoever parsed them; workers that cannot start or that die cost speed, never the
    report: their batches are parsed in this process instead."""

    def __init__(self, workers: int, cache: FactsCache | None) -> None:
        self._workers = workers
        self._cache = cache
        self._batch: list[_Job] = []
        self._sent: list[tuple[list[_Job], Future[list[_Parsed]] | None]] = []
        self._pool: ProcessPoolExecutor | None = None
        self._broken = workers <= 1

    def add(self, job: _Job) -> None:
        self._batch.append(job)
        if len(self._batch) >= MIN_FILES_FOR_POOL:
            self._send()

    def _send(self) -> None:
        batch, self._batch = self._batch, []
        future = None
        if not self._broken:
            try:
                if self._pool is None:
                    context = multiprocessing.get_context(
                        "forkserver" if sys.platform != "win32" else "spawn"
                    )
                    self._pool = ProcessPoolExecutor(
                        max_workers=self._workers, mp_context=context, initializer=collect_rarely
                    )
                future = self._pool.submit(
                    _parse_batch,
                    [(k, f, d) for _, k, f, d in batch],
                    str(self._cache.directory) if self._cache is not None else None,
                )
            except (BrokenProcessPool, OSError, RuntimeError) as exc:
                self._give_up(exc)
        self._sent.append((batch, future))

    def _give_up(self, exc: BaseException) -> None:
        if not self._broken:
            # No main module to re-import, no /dev/shm, a worker killed: parse here.
            print(
                f"residency-audit: parser workers failed ({exc}); parsing in one process",
                file=sys.stderr,
            )
        self._broken = True

    def results(self) -> Iterator[tuple[_Job, _Parsed]]:
        """Every added file with its facts, in the order added."""
        if self._batch:
            if self._pool is None:
                self._broken = True  # too few files left to be worth a pool
            self._send()
        try:
            for batch, future in self._sent:
                parsed: list[_Parsed] | None = None
                if future is not None and not self._broken:
                    try:
                        parsed = future.result()
                    except (BrokenProcessPool, OSError) as exc:
                        self._give_up(exc)
                if parsed is None:
                    parsed = [parse_file(f, d) for _, _, f, d in batch]
                    if self._cache is not None:
                        for (_, key, _, _), result in zip(batch, parsed, strict=True):
                            self._cache.put(key, result)
                yield from zip(batch, parsed, strict=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)


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
    parser = _Parser(options.jobs, options.cache)
    scanned = 0
    plans: list[tuple[int, DiscoveredFile]] = []
    python: dict[str, _Relevant] = {}

    def data_of(item: _Relevant) -> bytes | ScanError:
        if item.data is None:
            item.data = _read(root_text, item.file)
        return item.data

    def need(item: _Relevant) -> None:
        """From the cache, or to the parser (Terraform starts parsing while Python files
        are still being read)."""
        cached = options.cache.get(item.key) if options.cache else None
        if cached is not None:
            slots[item.slot] = cached  # type: ignore[call-overload]
            return
        data = data_of(item)
        if isinstance(data, ScanError):
            slots[item.slot] = data
        else:
            parser.add((item.slot, item.key, item.file, data))

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
        elif item.relevance is not None:
            python[file.path] = item
        else:
            need(item)
    chosen = choose(
        {path: item.relevance for path, item in python.items() if item.relevance},
        lambda path: _bytes_or_nothing(data_of(python[path])),
    )
    for path, item in python.items():
        if path in chosen:
            need(item)
    if tree_index is not None:
        tree_index.save()

    for (at, _, _, _), result in parser.results():
        slots[at] = result
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
