"""The whole report of a scan whose inputs did not change, reused without parsing anything.

A warm scan of an unchanged tree (a pre-commit hook run twice, a CI retry) should cost
little more than walking the tree. The key covers everything a report depends on: the tool
fingerprint (code and data tables), today's date (suppressions expire), the request's
options, the content of every input named outside the tree (config, policy, var, plan and
baseline files, piped manifests) and, for every discovered file, its path and stat
signature (size, mtime, ctime, inode). ctime cannot be set back by tools, so a rewritten file
always changes the key, as it does for git's index. Any difference means a full scan, whose
per-file work still comes from the content-hash cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from residency_audit.cache import DIGEST_SIZE, tool_fingerprint
from residency_audit.discovery import DiscoveredFile
from residency_audit.tree_index import stat_signature


def _content(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"unreadable"


def scan_key(
    root: Path,
    files: Sequence[DiscoveredFile],
    options: Iterable[str],
    outside_inputs: Iterable[Path],
    extra: bytes = b"",
    today: dt.date | None = None,
) -> str:
    """``options`` are the request's settings as text; ``outside_inputs`` files it names."""
    digest = hashlib.blake2b(tool_fingerprint(), digest_size=DIGEST_SIZE)
    digest.update((today or dt.date.today()).isoformat().encode())
    digest.update(str(Path.cwd()).encode() + b"\0" + str(root.resolve()).encode())
    for option in options:
        digest.update(b"\1" + option.encode())
    for path in outside_inputs:
        digest.update(b"\2" + str(path).encode() + b"\0" + _content(path))
    digest.update(b"\3" + extra)
    base = str(root)
    for file in files:
        signature = stat_signature(os.path.join(base, file.path))
        stated = ":".join(map(str, signature)).encode() if signature else b"missing"
        digest.update(b"\4" + file.path.encode() + b"\0" + stated)
    return "memo-" + digest.hexdigest()
