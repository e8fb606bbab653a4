"""What the previous scan of a tree learned about each file, reused while it is unchanged.

A scan with one file changed must not re-read the other ten thousand: reading, hashing
and prefiltering them cost more than parsing the one that changed. The index maps each
file's path to its stat signature (size, mtime, ctime, inode: as the scan memo and git's
index do; ctime cannot be set back by tools), its content key and, for a Python file, its
prefilter relevance. An entry is used only while the signature is unchanged. A file
changed within ``RACY_SECONDS`` before the index is written is left out of it (git calls
it "racily clean"): a second write within the same clock tick would not change its
signature. The index is one cache entry per scanned root, so it is as safe against
corruption and concurrent scans as any other entry (see ``cache.py``).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from residency_audit.cache import DIGEST_SIZE, FactsCache, tool_fingerprint

RACY_SECONDS = 2.0

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_signature(path: str) -> Signature | None:
    """None when the file cannot be stat-ed (then it is never taken from the index)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


@dataclass(frozen=True)
class IndexEntry:
    signature: Signature
    content_key: str
    relevance: str | None  # the Python prefilter's verdict; None for other kinds


class TreeIndex:
    """The index of one scanned root, kept in the facts cache."""

    def __init__(self, cache: FactsCache, root: Path) -> None:
        self._cache = cache
        digest = hashlib.blake2b(tool_fingerprint(), digest_size=DIGEST_SIZE)
        digest.update(str(root.resolve()).encode())
        self._key = "index-" + digest.hexdigest()
        self.previous = self._load()
        self.current: dict[str, IndexEntry] = {}

    def _load(self) -> dict[str, IndexEntry]:
        stored = self._cache.peek(self._key)
        if not isinstance(stored, dict):
            return {}
        return {p: e for p, e in stored.items() if isinstance(e, IndexEntry)}

    def lookup(self, path: str, signature: Signature | None) -> IndexEntry | None:
        entry = self.previous.get(path)
        if entry is None or signature is None or entry.signature != signature:
            return None
        return entry

    def record(self, path: str, entry: IndexEntry) -> None:
        self.current[path] = entry

    def save(self) -> None:
        """Write the entries of this scan, leaving out the racily clean ones."""
        limit = time.time_ns() - int(RACY_SECONDS * 1e9)
        kept = {
            path: entry
            for path, entry in self.current.items()
            if max(entry.signature[1], entry.signature[2]) < limit
        }
        if kept != self.previous:
            self._cache.put(self._key, kept)
