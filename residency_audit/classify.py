"""Decide, for every store, whether it holds personal data and whose.

The signals are applied strongest first, as the contract orders them: the config's
``stores:`` declarations, then tags/labels on the declaration, then (through the graph)
copies of personal stores, and last the store's name, which can only ever make data
``likely`` personal. Subjects come from the store's own declaration or labels before the
project-wide ``data_subjects``, so a store labelled ``data_subjects = "EU"`` stays out of a
Russian policy even in a project that declares Russian users.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import replace

from residency_audit.config import Config, StoreDeclaration
from residency_audit.graph import ResidencyGraph
from residency_audit.model import Edge, PersonalData, PersonalDataStatus, SourceRef, Store
from residency_audit.personal_data.labels import classify_labels
from residency_audit.personal_data.lexicon import store_name_hint
from residency_audit.sources.python import StoreEvidence, merge_code_evidence
from residency_audit.sources.terraform.catalog import resource_type


def declaration_matches(declaration: StoreDeclaration, store: Store) -> bool:
    """A ``stores:`` entry names a store by id, by a glob on ids, or by its name."""
    pattern = declaration.match
    return (
        pattern == store.id
        or pattern == store.name
        or (any(ch in pattern for ch in "*?[") and fnmatch.fnmatchcase(store.id, pattern))
    )


CodeEvidence = Callable[[str], StoreEvidence | None]


def _no_code(store_id: str) -> StoreEvidence | None:
    return None


def classify(
    stores: Iterable[Store],
    edges: Iterable[Edge],
    config: Config,
    code: CodeEvidence = _no_code,
) -> ResidencyGraph:
    """``code`` gives what the project's code writes to a store (contract rule 3)."""
    direct = [_classify_one(store, config, code(store.id)) for store in stores]
    graph = ResidencyGraph(direct, edges).propagate_personal_data()
    named = [_name_heuristic(store, config) for store in graph.stores.values()]
    return ResidencyGraph(named, graph.edges)


def _classify_one(store: Store, config: Config, code: StoreEvidence | None) -> Store:
    status = PersonalDataStatus.UNKNOWN
    categories: list[str] = []
    subjects: tuple[str, ...] = ()
    evidence: list[SourceRef] = []
    subject_evidence: list[SourceRef] = []
    config_file = config.file or ".residency-audit.yaml"

    for index, declaration in enumerate(config.model.stores):
        if not declaration_matches(declaration, store):
            continue
        line = config.line_of(f"stores[{index}]")
        if declaration.personal_data is not None and status is PersonalDataStatus.UNKNOWN:
            status = PersonalDataStatus.YES if declaration.personal_data else PersonalDataStatus.NO
            said = "holds" if declaration.personal_data else "holds no"
            evidence.append(
                SourceRef(
                    config_file, line, f"config declares {declaration.match!r} {said} personal data"
                )
            )
        categories.extend(declaration.categories)
        if declaration.subjects and not subjects:
            subjects = tuple(declaration.subjects)
            subject_evidence.append(
                SourceRef(config_file, line, f"config declares data subjects {', '.join(subjects)}")
            )

    verdict = classify_labels(store.labels, store.file, store.line, kind=_label_word(store))
    if status is PersonalDataStatus.YES:
        verdict = verdict.assuming_personal()
    if status is PersonalDataStatus.UNKNOWN and verdict.personal is not None:
        status = PersonalDataStatus.YES if verdict.personal else PersonalDataStatus.NO
        evidence.extend(verdict.evidence)
    categories.extend(verdict.categories)
    if verdict.subjects and not subjects:
        subjects = verdict.subjects
        subject_evidence.extend(e for e in verdict.subject_evidence if e not in evidence)

    personal = PersonalData(
        status=status,
        categories=tuple(sorted(set(categories))),
        subjects=subjects,
        evidence=tuple(evidence + subject_evidence),
    )
    personal = merge_code_evidence(personal, code)
    if personal.is_personal:
        personal = _with_project_subjects(personal, config)
    return replace(store, personal_data=personal)


def _label_word(store: Store) -> str:
    """What the declaration calls its key/value pairs, for evidence notes: the catalog's
    labels attribute says it (``tags`` on AWS and Azure, ``labels`` on Google and Yandex)."""
    rtype = resource_type(store.resource_type) if store.resource_type else None
    if rtype is not None and rtype.labels_paths and rtype.labels_paths[0].text.startswith("tags"):
        return "tag"
    return "label"


def _with_project_subjects(personal: PersonalData, config: Config) -> PersonalData:
    """Fill subjects from the project-wide declaration when the store says nothing itself."""
    if personal.subjects or not config.model.data_subjects:
        return personal
    subjects = tuple(config.model.data_subjects)
    ref = SourceRef(
        config.file or ".residency-audit.yaml",
        config.line_of("data_subjects"),
        f"config declares the project's data subjects: {', '.join(subjects)}",
    )
    return replace(personal, subjects=subjects, evidence=(*personal.evidence, ref))


def _name_heuristic(store: Store, config: Config) -> Store:
    """The weakest signal: a store called ``customers`` likely holds customers' data."""
    if store.personal_data.status is not PersonalDataStatus.UNKNOWN or not store.name:
        return store
    hint = store_name_hint(store.name)
    if hint is None:
        return store
    personal = PersonalData(
        status=PersonalDataStatus.LIKELY,
        categories=(hint.category,),
        evidence=(SourceRef(store.file, store.line, f"name {store.name!r} suggests {hint.note}"),),
    )
    return replace(store, personal_data=_with_project_subjects(personal, config))
