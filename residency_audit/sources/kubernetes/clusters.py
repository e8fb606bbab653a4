"""The config's ``kubernetes.clusters``: which cluster the manifests under a path go to.

Plain manifests rarely say which cluster (let alone which country) they are applied to;
the user does, once, by path. Globs are gitignore-style (pathspec's implementation, as for
``exclude``), and the first entry that matches wins, so a specific entry listed before a
catch-all behaves as the user reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pathspec

from residency_audit.model import SourceRef


@dataclass(frozen=True)
class ClusterPlacement:
    """One ``kubernetes.clusters`` entry and where the config declared it."""

    paths: tuple[str, ...]
    provider: str | None
    region: str | None
    file: str
    line: int | None

    def describe(self) -> str:
        where = " ".join(part for part in (self.provider, self.region) if part)
        return where or "a cluster with neither provider nor region"

    def ref(self, path: str) -> SourceRef:
        patterns = ", ".join(self.paths)
        note = f"kubernetes.clusters maps {path} ({patterns}) to {self.describe()}"
        return SourceRef(self.file, self.line, note)


class ClusterMap:
    """First-match lookup of a repository path in the configured clusters."""

    def __init__(self, clusters: Sequence[ClusterPlacement]) -> None:
        self._entries = tuple(
            (cluster, pathspec.GitIgnoreSpec.from_lines(cluster.paths)) for cluster in clusters
        )

    def lookup(self, paths: Iterable[str]) -> tuple[ClusterPlacement, str] | None:
        """The first cluster matching any of ``paths`` (tried in order), with the path that
        matched; entries are tried in config order for each path."""
        for path in paths:
            for cluster, spec in self._entries:
                if spec.match_file(path):
                    return cluster, path
        return None
