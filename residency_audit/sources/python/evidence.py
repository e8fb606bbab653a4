"""Contract rule 3 applied to a store's personal-data verdict: what code writes to it.

The classify stage decides from the strongest signal down (config, tags/labels, code, copies,
names). Code evidence therefore fills in only what the stronger signals left open: a store
the config or its tags call personal or not personal keeps that status, and gains the
categories the code writes; a store nothing declared becomes ``yes`` when code writes
personal fields to it. Subjects from code (Russian identifiers, ``country == "RU"`` ...)
apply when neither the config nor the labels named the store's subjects.
"""

from __future__ import annotations

from dataclasses import replace

from residency_audit.model import PersonalData, PersonalDataStatus
from residency_audit.sources.python.link import StoreEvidence


def merge_code_evidence(personal: PersonalData, code: StoreEvidence | None) -> PersonalData:
    if code is None:
        return personal
    found = code.personal_data
    status = personal.status
    evidence = list(personal.evidence)
    if status in (PersonalDataStatus.UNKNOWN, PersonalDataStatus.LIKELY) and (
        found.status is PersonalDataStatus.YES
    ):
        status = PersonalDataStatus.YES
    subject_refs = list(code.subject_evidence)
    field_refs = [ref for ref in found.evidence if ref not in subject_refs]
    if found.categories:
        evidence.extend(field_refs)
    subjects = personal.subjects
    if not subjects and found.subjects:
        subjects = found.subjects
        evidence.extend(subject_refs)
    return replace(
        personal,
        status=status,
        categories=tuple(sorted({*personal.categories, *found.categories})),
        subjects=subjects,
        evidence=tuple(dict.fromkeys(evidence)),
    )
