"""A workload labelled as handling personal data puts it in the stores it writes.

Teams label the application (``personal-data: "true"`` on the Deployment), not the RDS
instance in another repository it connects to. The store then holds personal data because
that workload writes there: the ``writes`` edge and the workload's labels are the evidence,
the same way code that writes personal fields is (contract rule 3). This runs after the
classify stage, so the stronger signals keep their say: a store the config or its own
labels declare not personal stays so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from residency_audit.config import Config
from residency_audit.graph import ResidencyGraph
from residency_audit.model import PersonalData, PersonalDataStatus, SourceRef, Store
from residency_audit.personal_data.labels import LabelVerdict, classify_labels
from residency_audit.sources.kubernetes.external import WorkloadWrite

__all__ = ["apply_workload_labels"]


def apply_workload_labels(
    graph: ResidencyGraph, writes: Sequence[WorkloadWrite], config: Config
) -> ResidencyGraph:
    """``graph`` with every store a personal-data workload writes marked personal (and the
    copies of those stores, through the graph's usual propagation)."""
    found: dict[str, list[tuple[WorkloadWrite, LabelVerdict]]] = {}
    for write in writes:
        verdict = classify_labels(write.labels, write.workload.file, write.workload.line)
        if verdict.personal is True:
            found.setdefault(write.edge.target, []).append((write, verdict))
    changed = {
        store_id: _written(graph.stores[store_id], hits, config)
        for store_id, hits in found.items()
        if store_id in graph.stores
    }
    if not changed:
        return graph
    stores = [changed.get(store.id, store) for store in graph.stores.values()]
    return ResidencyGraph(stores, graph.edges).propagate_personal_data()


def _written(store: Store, hits: list[tuple[WorkloadWrite, LabelVerdict]], config: Config) -> Store:
    personal = store.personal_data
    if personal.status is PersonalDataStatus.NO:
        return store  # declared not personal: the stronger signal
    direct = personal.status is PersonalDataStatus.YES and not personal.copied_from
    evidence: list[SourceRef] = list(personal.evidence) if direct else []
    categories = set(personal.categories)
    subjects = set(personal.subjects) if direct else set()
    subject_evidence: list[SourceRef] = []
    for write, verdict in hits:
        edge = write.edge
        note = f"{edge.source} connects to it and handles personal data ({edge.note})"
        evidence.append(SourceRef(edge.file or write.workload.file, edge.line, note))
        evidence.extend(verdict.evidence)
        categories.update(verdict.categories)
        if verdict.subjects and not (direct and personal.subjects):
            subjects.update(verdict.subjects)
            subject_evidence.extend(verdict.subject_evidence)
    if not subjects and config.model.data_subjects:
        subjects.update(config.model.data_subjects)
        names = ", ".join(config.model.data_subjects)
        subject_evidence.append(
            SourceRef(
                config.file or ".residency-audit.yaml",
                config.line_of("data_subjects"),
                f"config declares the project's data subjects: {names}",
            )
        )
    return replace(
        store,
        personal_data=PersonalData(
            status=PersonalDataStatus.YES,
            categories=tuple(sorted(categories)),
            subjects=tuple(sorted(subjects)),
            evidence=tuple(dict.fromkeys((*evidence, *subject_evidence))),
        ),
    )
