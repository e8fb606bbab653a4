"""Read what a resource's tags, labels and annotations declare about personal data.

This is contract rule 2 (declared personal data) and the label half of the subject rule.
Teams spell the same declaration a dozen ways (``DataClassification = "PII"``,
``pii: "true"``, ``privacy.acme.io/personal-data: "yes"``), so keys and values are
normalised to tokens and looked up in ``data/labels.yaml`` rather than matched by
if-chains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from residency_audit.datafiles import load_yaml
from residency_audit.model import SourceRef
from residency_audit.personal_data.lexicon import match_field, tokenise
from residency_audit.personal_data.taxonomy import category as taxonomy_category

_PACKAGE = "residency_audit.personal_data"


@dataclass(frozen=True)
class LabelVerdict:
    """What a resource's labels say.

    ``personal`` is ``True`` (declared personal), ``False`` (declared not personal, e.g.
    ``DataClassification = "Public"``) or ``None`` (the labels say nothing). When labels
    disagree, the positive declaration wins: a noisy finding costs less than a missed one.

    ``subjects`` come from subject keys (``data_subjects = "RU"``). Generic country keys
    (``country: RU``) say whose data it is only on a store that holds personal data: they
    are kept apart in ``conditional_subjects`` and folded into ``subjects`` only when the
    labels themselves declare personal data. A caller that learns the store is personal
    some other way uses :meth:`assuming_personal`.
    """

    personal: bool | None
    categories: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    evidence: tuple[SourceRef, ...] = ()
    subject_evidence: tuple[SourceRef, ...] = ()
    conditional_subjects: tuple[str, ...] = ()
    conditional_evidence: tuple[SourceRef, ...] = ()

    def assuming_personal(self) -> LabelVerdict:
        """This verdict for a store known to hold personal data: country labels count."""
        if not self.conditional_subjects:
            return self
        return replace(
            self,
            subjects=_sorted_unique((*self.subjects, *self.conditional_subjects)),
            evidence=_unique((*self.evidence, *self.conditional_evidence)),
            subject_evidence=_unique((*self.subject_evidence, *self.conditional_evidence)),
        )


class LabelTableError(ValueError):
    """The shipped label table is malformed: a packaging bug, never user input."""


def classify_labels(
    labels: tuple[tuple[str, str], ...],
    file: str,
    line: int | None,
    *,
    kind: str = "label",
) -> LabelVerdict:
    """Classify ``(key, value)`` labels declared at ``file:line``.

    ``kind`` names them in evidence notes: ``tag DataClassification = "PII"``.
    """
    yes: list[SourceRef] = []
    no: list[SourceRef] = []
    categories: list[str] = []
    subjects: list[str] = []
    subject_refs: list[SourceRef] = []
    category_refs: list[SourceRef] = []
    conditional: list[str] = []
    conditional_refs: list[SourceRef] = []
    for key, value in labels:
        reading = _read_label(str(key), str(value))
        if reading is None:
            continue
        ref = SourceRef(file, line, f'{kind} {key} = "{value}"')
        if reading.personal is True:
            yes.append(ref)
        elif reading.personal is False:
            no.append(ref)
        if reading.categories:
            categories.extend(reading.categories)
            category_refs.append(ref)
        if reading.subjects:
            subjects.extend(reading.subjects)
            subject_refs.append(ref)
        if reading.conditional_subjects:
            conditional.extend(reading.conditional_subjects)
            conditional_refs.append(ref)

    personal = True if yes else (False if no else None)
    if personal is False:
        categories, category_refs = [], []
    verdict = LabelVerdict(
        personal=personal,
        categories=_sorted_unique(categories),
        subjects=_sorted_unique(subjects),
        evidence=_unique((*(yes if personal else no), *category_refs, *subject_refs)),
        subject_evidence=_unique(subject_refs),
        conditional_subjects=_sorted_unique(conditional),
        conditional_evidence=_unique(conditional_refs),
    )
    return verdict.assuming_personal() if personal else verdict


# --- one label ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    personal: bool | None
    categories: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    conditional_subjects: tuple[str, ...] = ()


_FLAG, _NEGATED, _CLASSIFICATION, _CATEGORY, _SUBJECT, _CONDITIONAL = (
    "flag",
    "negated",
    "classification",
    "category",
    "subject",
    "conditional",
)


def _read_label(key: str, value: str) -> _Reading | None:
    table = _table()
    found = _key_kind(tokenise(key))
    if found is None:
        return None
    kind, implied, negated = found
    value_tokens = tokenise(value)
    compact = "".join(value_tokens)
    if kind in (_FLAG, _NEGATED):
        flag = _boolean(compact)
        if flag is not None:
            personal = flag != (kind == _NEGATED or negated)
            return _Reading(personal, implied if personal else ())
        if kind == _NEGATED or negated:
            return None
        cats = _categories_in(value)
        if cats:
            return _Reading(True, _sorted_unique((*implied, *cats)))
        return _classification(value_tokens, implied)
    if kind == _CLASSIFICATION:
        return _classification(value_tokens, ())
    if kind == _CATEGORY:
        if compact in table.false_values:
            return _Reading(False)
        cats = _categories_in(value)
        return _Reading(True, cats) if cats else None
    if compact in table.false_values:
        return _Reading(False) if kind == _SUBJECT else None
    countries, people = _subjects_in(value_tokens)
    if kind == _CONDITIONAL:
        return _Reading(None, conditional_subjects=countries) if countries else None
    if countries or people:
        return _Reading(True, subjects=countries)
    return None


def _key_kind(tokens: tuple[str, ...]) -> tuple[str, tuple[str, ...], bool] | None:
    """The table a key belongs to, the categories it implies, and whether it is negated.

    The longest listed key that ends the label key wins, so prefixes such as
    ``privacy.acme.io/`` are ignored and ``no-pii`` is not read as ``pii``.
    """
    table = _table()
    for start in range(len(tokens)):
        entry = table.keys.get("".join(tokens[start:]))
        if entry is not None:
            kind, implied = entry
            negated = kind == _FLAG and start > 0 and tokens[start - 1] in table.negations
            return kind, implied, negated
    return None


def _boolean(compact: str) -> bool | None:
    table = _table()
    if compact in table.true_values:
        return True
    if compact in table.false_values:
        return False
    return None


def _classification(tokens: tuple[str, ...], implied: tuple[str, ...]) -> _Reading | None:
    """``confidential-pii`` is personal, ``non-pii`` and ``public`` are not, ``restricted``
    decides nothing."""
    table = _table()
    personal: bool | None = None
    categories: list[str] = list(implied)
    for start, verdict, cats in _runs(tokens, table.values):
        negated = start > 0 and tokens[start - 1] in table.negations
        if verdict is True and not negated:
            personal = True
            categories.extend(cats)
        elif (verdict is False or (verdict is True and negated)) and personal is None:
            personal = False
    if personal is None:
        return None
    return _Reading(personal, _sorted_unique(categories) if personal else ())


def _runs(
    tokens: tuple[str, ...], vocabulary: dict[str, tuple[bool | None, tuple[str, ...]]]
) -> Iterator[tuple[int, bool | None, tuple[str, ...]]]:
    """Left to right, the longest run of whole tokens at each position that is listed."""
    start = 0
    while start < len(tokens):
        for end in range(len(tokens), start, -1):
            entry = vocabulary.get("".join(tokens[start:end]))
            if entry is not None:
                yield start, entry[0], entry[1]
                start = end
                break
        else:
            start += 1


_LIST_SPLIT = re.compile(r"[,;|\s]+")


def _categories_in(value: str) -> tuple[str, ...]:
    """Categories named in a list value: fideslang keys, field names or PHI-like words."""
    found: list[str] = []
    for item in _LIST_SPLIT.split(value.strip()):
        if not item:
            continue
        cat = taxonomy_category(item)
        if cat is not None:
            found.append(cat.name)
            continue
        match = match_field(item)
        if match is not None:
            found.append(match.category)
            continue
        entry = _table().values.get("".join(tokenise(item)))
        if entry is not None and entry[0] is True:
            found.extend(entry[1])
    return _sorted_unique(found)


def _subjects_in(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """Country codes named in a subject value, and whether it names kinds of people."""
    table = _table()
    countries: list[str] = []
    people = False
    start = 0
    while start < len(tokens):
        for end in range(len(tokens), start, -1):
            run = "".join(tokens[start:end])
            if run in table.subject_aliases:
                countries.append(table.subject_aliases[run])
                break
            if _plural_of(run, table.subject_kinds):
                people = True
                break
        else:
            end = start + 1
            token = tokens[start]
            if len(token) == 2 and token.isascii() and token.isalpha():
                countries.append(token.upper())
        start = end
    return _sorted_unique(countries), people


def _plural_of(word: str, vocabulary: frozenset[str]) -> bool:
    return word in vocabulary or (
        word.endswith("s") and (word[:-1] in vocabulary or word[:-2] in vocabulary)
    )


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LabelTable:
    keys: dict[str, tuple[str, tuple[str, ...]]]
    values: dict[str, tuple[bool | None, tuple[str, ...]]]
    negations: frozenset[str]
    true_values: frozenset[str]
    false_values: frozenset[str]
    subject_aliases: dict[str, str]
    subject_kinds: frozenset[str]


def _compact(text: object) -> str:
    return "".join(tokenise(str(text)))


@cache
def _table() -> _LabelTable:
    text = resources.files(_PACKAGE).joinpath("data/labels.yaml").read_text("utf-8")
    data = load_yaml(text)
    keys: dict[str, tuple[str, tuple[str, ...]]] = {}

    def add_key(raw: object, kind: str, implied: tuple[str, ...] = ()) -> None:
        key = _compact(raw)
        if not key or key in keys:
            raise LabelTableError(f"label key {raw!r} is empty or listed twice")
        keys[key] = (kind, implied)

    for row in data["flag_keys"]:
        add_key(row["key"], _FLAG, _categories_of(row))
    for kind, list_name in (
        (_NEGATED, "negated_flag_keys"),
        (_CLASSIFICATION, "classification_keys"),
        (_CATEGORY, "category_keys"),
        (_SUBJECT, "subject_keys"),
        (_CONDITIONAL, "conditional_subject_keys"),
    ):
        for raw in data[list_name]:
            add_key(raw, kind)

    values: dict[str, tuple[bool | None, tuple[str, ...]]] = {}
    for verdict, rows in (
        (True, data["values"]["personal"]),
        (False, [{"value": v} for v in data["values"]["not_personal"]]),
        (None, [{"value": v} for v in data["values"]["neutral"]]),
    ):
        for row in rows:
            value = _compact(row["value"])
            if not value or value in values:
                raise LabelTableError(f"label value {row['value']!r} is empty or listed twice")
            values[value] = (verdict, _categories_of(row))

    aliases: dict[str, str] = {}
    for code, names in data["subject_aliases"].items():
        for name in (code, *names):
            aliases[_compact(name)] = str(code).upper()

    return _LabelTable(
        keys=keys,
        values=values,
        negations=_compact_set(data["negations"]),
        true_values=_compact_set(data["true_values"]),
        false_values=_compact_set(data["false_values"]),
        subject_aliases=aliases,
        subject_kinds=_compact_set(data["subject_kinds"]),
    )


def _categories_of(row: dict[str, Any]) -> tuple[str, ...]:
    name = row.get("category")
    if name is None:
        return ()
    if taxonomy_category(str(name)) is None:
        raise LabelTableError(f"label table names unknown category {name!r}")
    return (str(name),)


def _compact_set(values: Iterable[object]) -> frozenset[str]:
    return frozenset(_compact(v) for v in values)


def _sorted_unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _unique(refs: Iterable[SourceRef]) -> tuple[SourceRef, ...]:
    return tuple(dict.fromkeys(refs))
