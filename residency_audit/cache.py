"""Parsed facts cached by content, so an unchanged file is never parsed twice.

The key is a hash of the tool fingerprint (version and the bytes of the package's own code
and data tables, so any change to parsers or tables starts afresh), the file's path and
kind, and its bytes. Entries are single files written atomically (temporary file, then
``os.replace``), so concurrent scans can share a cache; every entry carries a checksum of
its payload, and one that is corrupt, truncated or unreadable is ignored and rewritten,
never trusted. The cache lives outside the scanned tree by default.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
from functools import cache
from pathlib import Path

from residency_audit import __version__

MAGIC = b"RACACHE1"
DIGEST_SIZE = 32
_PACKAGE = Path(__file__).resolve().parent
_FINGERPRINTED = (".py", ".yaml", ".yml", ".csv", ".json", ".j2", ".css", ".js")


def default_cache_dir() -> Path:
    explicit = os.environ.get("RESIDENCY_AUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "residency-audit"


@cache
def tool_fingerprint() -> bytes:
    """Changes whenever the code or a data table that shapes parsed facts changes."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=DIGEST_SIZE)
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in _FINGERPRINTED and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.digest()


def content_key(path: str, kind: str, data: bytes) -> str:
    digest = hashlib.blake2b(tool_fingerprint(), digest_size=DIGEST_SIZE)
    for part in (path.encode(), b"\0", kind.encode(), b"\0", data):
        digest.update(part)
    return digest.hexdigest()


class FactsCache:
    """A directory of ``<key[:2]>/<key>`` entries: MAGIC, blake2b(payload), pickled payload."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._base = str(directory)
        self.hits = 0
        self.misses = 0
        self._folders: set[str] = set()

    def _entry(self, key: str) -> str:
        return os.path.join(self._base, key[:2], key)

    def get(self, key: str) -> object | None:
        """The entry's value, counted as a hit or a miss of the parse cache."""
        value = self.peek(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def peek(self, key: str) -> object | None:
        """The entry's value, uncounted (the scan's own bookkeeping entries)."""
        try:
            with open(self._entry(key), "rb") as stream:
                blob = stream.read()
        except OSError:
            return None
        header = len(MAGIC) + DIGEST_SIZE
        payload = blob[header:]
        checksum = hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest()
        if blob[: len(MAGIC)] != MAGIC or blob[len(MAGIC) : header] != checksum:
            return None
        try:
            value: object = pickle.loads(payload)  # our own entry, checksum verified
        except Exception:  # a payload that no longer unpickles: ignore and rewrite
            return None
        return value

    def put(self, key: str, value: object) -> None:
        """Best effort: a cache that cannot be written only costs speed."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        checksum = hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest()
        entry = self._entry(key)
        folder = os.path.dirname(entry)
        # One temporary name per writer (process, thread) and key: concurrent writers never
        # share it, and it needs none of mkstemp's random-name retries.
        temporary = os.path.join(folder, f".tmp-{os.getpid()}-{threading.get_ident()}-{key}")
        try:
            if folder not in self._folders:
                os.makedirs(folder, exist_ok=True)
                self._folders.add(folder)
            with open(temporary, "wb") as out:
                out.write(MAGIC + checksum + payload)
            os.replace(temporary, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
