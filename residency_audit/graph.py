"""The residency graph: stores as nodes, writes and copies as edges.

The graph answers the two questions that need more than one store at a time: which
stores hold personal data only because they copy another store (and from where), and what
chain of edges proves it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

from residency_audit.model import Edge, PersonalData, PersonalDataStatus, SourceRef, Store


@dataclass(frozen=True)
class CopyPath:
    """How personal data reaches a store through copies: the origin and every hop."""

    origin: str
    hops: tuple[Edge, ...]


class ResidencyGraph:
    def __init__(self, stores: Iterable[Store], edges: Iterable[Edge]) -> None:
        self.stores: dict[str, Store] = {store.id: store for store in stores}
        self.edges: tuple[Edge, ...] = tuple(sorted(set(edges)))
        self._copies_into: dict[str, list[Edge]] = {}
        for edge in self.edges:
            if edge.kind.is_copy:
                self._copies_into.setdefault(edge.target, []).append(edge)

    def copy_edges_into(self, store_id: str) -> tuple[Edge, ...]:
        return tuple(self._copies_into.get(store_id, ()))

    def writes_into(self, store_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == store_id and not e.kind.is_copy)

    def copy_paths(self, store_id: str, is_origin: set[str]) -> tuple[CopyPath, ...]:
        """Every origin in ``is_origin`` that copies reach ``store_id`` from, shortest first.

        Breadth-first backwards along copy edges; each store is visited once, so cycles
        (two buckets replicating into each other) terminate.
        """
        paths: list[CopyPath] = []
        seen = {store_id}
        queue: deque[tuple[str, tuple[Edge, ...]]] = deque([(store_id, ())])
        while queue:
            current, hops = queue.popleft()
            for edge in self.copy_edges_into(current):
                if edge.source in seen:
                    continue
                seen.add(edge.source)
                path = (edge, *hops)
                if edge.source in is_origin:
                    paths.append(CopyPath(edge.source, path))
                else:
                    queue.append((edge.source, path))
        return tuple(paths)

    def propagate_personal_data(self) -> ResidencyGraph:
        """A copy of a personal-data store holds the same data (contract rule 4).

        Stores that are personal by themselves are origins; a store reached from origins
        only through copy edges takes their categories and subjects, remembers which
        origins it copies, and carries the chain of edges as evidence.
        """
        origins = {sid for sid, store in self.stores.items() if store.personal_data.is_personal}
        updated: dict[str, Store] = {}
        for sid, store in self.stores.items():
            if sid in origins:
                continue
            paths = self.copy_paths(sid, origins)
            if not paths:
                continue
            updated[sid] = _as_copy(store, [self.stores[p.origin] for p in paths], paths)
        if not updated:
            return self
        return ResidencyGraph({**self.stores, **updated}.values(), self.edges)


def _as_copy(store: Store, origins: list[Store], paths: tuple[CopyPath, ...]) -> Store:
    statuses = {o.personal_data.status for o in origins}
    status = (
        PersonalDataStatus.YES if PersonalDataStatus.YES in statuses else PersonalDataStatus.LIKELY
    )
    evidence: list[SourceRef] = []
    for path in paths:
        for hop in path.hops:
            note = f"{hop.kind.value}: {hop.source} -> {hop.target}" + (
                f" ({hop.note})" if hop.note else ""
            )
            evidence.append(SourceRef(hop.file or store.file, hop.line, note))
    for origin in origins:
        evidence.extend(origin.personal_data.evidence)
    personal = PersonalData(
        status=status,
        categories=tuple(sorted({c for o in origins for c in o.personal_data.categories})),
        subjects=tuple(sorted({s for o in origins for s in o.personal_data.subjects})),
        evidence=tuple(dict.fromkeys(evidence)),
        copied_from=tuple(p.origin for p in paths),
    )
    return replace(store, personal_data=personal)
