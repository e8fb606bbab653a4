"""Which field names and store names mean personal data (contract rules 3 and 5).

Identifiers are split into tokens and compared token by token, never by substring:
substring matching on ``inn``, ``name`` or ``address`` fires on ``innodb``, ``hostname`` and
``server_address`` (pii-ru.md §3.1). Transliterated Russian is compared after folding the
competing romanisation schemes together (§3.3), because one Cyrillic word reaches code in
half a dozen ASCII spellings. The vocabularies are data files so they can grow without code
changes and be reviewed row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from residency_audit.datafiles import load_yaml
from residency_audit.personal_data.taxonomy import category as taxonomy_category

_PACKAGE = "residency_audit.personal_data"


@dataclass(frozen=True)
class FieldMatch:
    """A field name recognised as personal.

    ``weak`` matches (``name``, ``city``, ``ip``) should count only next to other personal
    fields of the same model or table. ``russian_name`` says the name itself is Russian
    (transliterated or Cyrillic), which pii-ru.md §6 counts as a hint that the people are
    Russian; ``russian_specific`` says the identifier exists only in the Russian system.
    """

    key: str
    category: str
    russian_specific: bool
    weak: bool
    russian_name: bool
    variant: str


@dataclass(frozen=True)
class NameHint:
    """A store name that suggests people's data: worth ``likely``, never ``yes``.

    ``note`` reads after "suggests", e.g. ``name 'acme-users' suggests user records``.
    """

    key: str
    category: str
    token: str
    note: str


class LexiconError(ValueError):
    """A shipped vocabulary file is malformed: a packaging bug, never user input."""


# --- tokens -------------------------------------------------------------------------------

_CHUNKS = re.compile(r"[\W_]+")


def tokenise(name: str) -> tuple[str, ...]:
    """Split an identifier into lower-case word tokens.

    Splits on every non-alphanumeric character and on camelCase, ACRONYMWord and
    letter/digit boundaries, for Cyrillic as well as Latin (``СтраховойНомерПФР``).
    """
    tokens: list[str] = []
    for chunk in _CHUNKS.split(name):
        tokens.extend(_split_case(chunk))
    return tuple(t.lower().replace("ё", "е") for t in tokens if t)


def _split_case(chunk: str) -> Iterator[str]:
    start = 0
    for i in range(1, len(chunk)):
        prev, cur = chunk[i - 1], chunk[i]
        nxt = chunk[i + 1] if i + 1 < len(chunk) else ""
        plural_acronym = nxt == "s" and i + 2 == len(chunk)  # "IDs", "URLs"
        if (
            (prev.islower() and cur.isupper())
            or (prev.isdigit() != cur.isdigit())
            or (prev.isupper() and cur.isupper() and nxt.islower() and not plural_acronym)
        ):
            yield chunk[start:i]
            start = i
    yield chunk[start:]


_FOLDS = {
    "shch": "sh",
    "sch": "sh",
    "zh": "z",
    "kh": "h",
    "ts": "c",
    "tc": "c",
    "tz": "c",
    "ya": "a",
    "ia": "a",
    "ja": "a",
    "yu": "u",
    "iu": "u",
    "ju": "u",
    "yo": "e",
    "ye": "e",
    "jo": "e",
    "je": "e",
    "x": "h",
}
_FOLD_RE = re.compile("|".join(sorted(_FOLDS, key=len, reverse=True)))
_J_BEFORE_CONSONANT = re.compile(r"j(?=[b-df-hj-np-tv-z])")
_I_NEAR_VOWEL = re.compile(r"(?<=[aeou])i|i(?=[aeou])")


def skeleton(token: str) -> str:
    """Fold the romanisations of one Russian word to a single spelling (pii-ru.md §3.3).

    ``familiya``, ``familija``, ``familia`` and ``familiia`` all become ``famila``;
    ``data_rozhdeniya`` and ``data_rojdenia`` share skeletons. ``j`` is ж before a
    consonant (``rojdenia``) and й elsewhere (``strahovoj``). Doubled letters are kept
    (collapsing them would turn the English ``poll`` into ``pol``, "gender"), so typos such
    as ``adress`` are listed as spellings of their own.
    """
    text = token.lower().replace("'", "")
    text = _FOLD_RE.sub(lambda m: _FOLDS[m.group(0)], text)
    text = _J_BEFORE_CONSONANT.sub("z", text).replace("j", "i").replace("y", "i")
    return _I_NEAR_VOWEL.sub("", text)


# --- variants -----------------------------------------------------------------------------

_EN, _TRANSLIT, _CYRILLIC = "en", "translit", "cyrillic"

# Data-file list name -> (script, exact, weak).
_LISTS = {
    "names": (_EN, False, False),
    "weak": (_EN, False, True),
    "exact": (_EN, True, True),
    "translit": (_TRANSLIT, False, False),
    "translit_exact": (_TRANSLIT, True, True),
    "cyrillic": (_CYRILLIC, False, False),
    "cyrillic_exact": (_CYRILLIC, True, True),
}


@dataclass(frozen=True)
class _Variant:
    owner: int
    text: str
    script: str
    tokens: tuple[str, ...]
    stems: tuple[bool, ...]
    exact: bool
    weak: bool

    def token_matches(self, k: int, token: str, skel: str) -> bool:
        want = self.tokens[k]
        if self.script == _EN:
            return token in (want, want + "s", want + "es")
        if self.script == _TRANSLIT:
            return skel == want
        return token.startswith(want) if self.stems[k] else token == want


@dataclass(frozen=True)
class _Hit:
    variant: _Variant
    start: int
    end: int


def _make_variant(owner: int, text: str, list_name: str) -> _Variant:
    script, exact, weak = _LISTS[list_name]
    if script == _CYRILLIC:
        parts = [p for p in re.split(r"[_\s]+", text.lower().replace("ё", "е")) if p]
        stems = tuple(p.endswith("*") for p in parts)
        tokens = tuple(p.rstrip("*") for p in parts)
    else:
        tokens = tokenise(text)
        if script == _TRANSLIT:
            tokens = tuple(skeleton(t) for t in tokens)
        stems = (False,) * len(tokens)
    if not tokens or not all(tokens):
        raise LexiconError(f"empty spelling {text!r}")
    return _Variant(owner, text, script, tokens, stems, exact, weak)


class _Matcher:
    """Finds every variant occurring in a token sequence, via first-token indexes."""

    def __init__(self, variants: Iterable[_Variant]) -> None:
        self._by_word: dict[str, list[_Variant]] = {}
        self._by_skeleton: dict[str, list[_Variant]] = {}
        self._cyrillic: list[_Variant] = []
        for v in variants:
            if v.script == _EN:
                self._by_word.setdefault(v.tokens[0], []).append(v)
            elif v.script == _TRANSLIT:
                self._by_skeleton.setdefault(v.tokens[0], []).append(v)
            else:
                self._cyrillic.append(v)

    def hits(self, tokens: tuple[str, ...]) -> Iterator[_Hit]:
        skels = tuple(skeleton(t) if t.isascii() else t for t in tokens)
        for i, token in enumerate(tokens):
            for v in self._candidates(token, skels[i]):
                n = len(v.tokens)
                if v.exact and (i != 0 or n != len(tokens)):
                    continue
                if i + n > len(tokens):
                    continue
                if all(v.token_matches(k, tokens[i + k], skels[i + k]) for k in range(n)):
                    yield _Hit(v, i, i + n)

    def _candidates(self, token: str, skel: str) -> Iterator[_Variant]:
        if not token.isascii():
            yield from self._cyrillic
            return
        seen: set[str] = set()
        for stem in (token, token[:-1] if token.endswith("s") else "", token[:-2]):
            if stem and stem not in seen:
                seen.add(stem)
                yield from self._by_word.get(stem, ())
        yield from self._by_skeleton.get(skel, ())


def _read(name: str) -> Any:
    text = resources.files(_PACKAGE).joinpath(f"data/{name}").read_text("utf-8")
    return load_yaml(text)


def _words(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(v).lower() for v in values)


def _variants(owner: int, row: Mapping[str, Any]) -> Iterator[_Variant]:
    for list_name in _LISTS:
        for text in row.get(list_name, ()):
            yield _make_variant(owner, str(text), list_name)


def _checked_category(name: str, where: str) -> str:
    if taxonomy_category(name) is None:
        raise LexiconError(f"{where}: unknown category {name!r}")
    return name


# --- field names --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    key: str
    category: str
    russian_specific: bool
    not_before: frozenset[str]


@dataclass(frozen=True)
class _FieldTable:
    families: tuple[_Family, ...]
    matcher: _Matcher
    not_after: frozenset[str]
    not_before: frozenset[str]


@cache
def _field_table() -> _FieldTable:
    data = _read("fields.yaml")
    families: list[_Family] = []
    variants: list[_Variant] = []
    for index, row in enumerate(data["families"]):
        key = str(row["key"])
        name = _checked_category(str(row["category"]), f"field family {key}")
        cat = taxonomy_category(name)
        families.append(
            _Family(
                key=key,
                category=name,
                russian_specific=bool(cat and cat.russian_specific),
                not_before=_words(row.get("not_before", ())),
            )
        )
        variants.extend(_variants(index, row))
    context = data["context"]
    return _FieldTable(
        families=tuple(families),
        matcher=_Matcher(variants),
        not_after=_words(context["not_after"]),
        not_before=_words(context["not_before"]),
    )


def _field_hits(tokens: tuple[str, ...]) -> Iterator[_Hit]:
    """Matches that name the person's data itself, not a template or a server's address."""
    table = _field_table()
    for hit in table.matcher.hits(tokens):
        family = table.families[hit.variant.owner]
        before = tokens[hit.start - 1] if hit.start else ""
        if before in table.not_before or before in family.not_before:
            continue
        if any(t in table.not_after for t in tokens[hit.end :]):
            continue
        yield hit


def _best(hits: Iterable[_Hit]) -> _Hit | None:
    """Longest match first (``email_address`` over ``address``), strong over weak, then
    the family listed first."""
    return max(
        hits,
        key=lambda h: (h.end - h.start, not h.variant.weak, -h.variant.owner),
        default=None,
    )


def _field_match(hit: _Hit) -> FieldMatch:
    family = _field_table().families[hit.variant.owner]
    return FieldMatch(
        key=family.key,
        category=family.category,
        russian_specific=family.russian_specific,
        weak=hit.variant.weak,
        russian_name=hit.variant.script != _EN,
        variant=hit.variant.text,
    )


@lru_cache(maxsize=8192)
def match_field(name: str) -> FieldMatch | None:
    """The personal-data family a column / attribute / key name belongs to, if any."""
    hit = _best(_field_hits(tokenise(name)))
    return None if hit is None else _field_match(hit)


# --- store names --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    key: str
    category: str
    note: str


@dataclass(frozen=True)
class _StoreTable:
    subjects: tuple[_Subject, ...]
    matcher: _Matcher
    noise: frozenset[str]
    record_heads: _Matcher
    not_with: frozenset[str]


@cache
def _store_table() -> _StoreTable:
    data = _read("store_names.yaml")
    subjects: list[_Subject] = []
    variants: list[_Variant] = []
    for index, row in enumerate(data["subjects"]):
        key = str(row["key"])
        name = _checked_category(str(row["category"]), f"store subject {key}")
        subjects.append(_Subject(key, name, str(row["note"])))
        variants.extend(_variants(index, row))
    heads = [_make_variant(0, str(t), "names") for t in data["record_heads"]]
    return _StoreTable(
        subjects=tuple(subjects),
        matcher=_Matcher(variants),
        noise=_words(data["noise"]),
        record_heads=_Matcher(heads),
        not_with=_words(data["not_with"]),
    )


_NOISE_SHAPE = re.compile(r"\d+|[a-z]")  # "v2" is split into "v" and "2"


@lru_cache(maxsize=4096)
def store_name_hint(name: str) -> NameHint | None:
    """What a store's name suggests it holds, judged by its head noun.

    ``acme-prod-users`` and ``patient-records`` suggest people's data;
    ``user-uploads-thumbnails``, ``static-assets``, ``logs`` and ``tfstate`` do not (see
    ``data/store_names.yaml`` for the rule and its lists).
    """
    table = _store_table()
    original = tokenise(name)
    kept = [
        (i, t)
        for i, t in enumerate(original)
        if t not in table.noise and not _NOISE_SHAPE.fullmatch(t)
    ]
    if not kept:
        return None
    tokens = tuple(t for _, t in kept)
    last = len(tokens)

    def cancelled(hit: _Hit) -> bool:
        first_original = kept[hit.start][0]
        return first_original > 0 and original[first_original - 1] in table.not_with

    subject_hits = [h for h in table.matcher.hits(tokens) if not cancelled(h)]
    at_head = [h for h in subject_hits if h.end == last]
    if at_head:
        return _subject_hint(tokens, _longest(at_head))
    if any(table.record_heads.hits(tokens[-1:])):
        earlier = [h for h in subject_hits if h.end < last]
        if earlier:
            return _subject_hint(tokens, max(earlier, key=lambda h: (h.end, h.end - h.start)))
    field = _best(h for h in _field_hits(tokens) if h.end == last and not h.variant.weak)
    if field is not None:
        match = _field_match(field)
        title = taxonomy_category(match.category)
        what = title.title.lower() if title else match.key
        return NameHint(
            match.key, match.category, " ".join(tokens[field.start :]), f"stored {what}"
        )
    return None


def _longest(hits: list[_Hit]) -> _Hit:
    return max(hits, key=lambda h: h.end - h.start)


def _subject_hint(tokens: tuple[str, ...], hit: _Hit) -> NameHint:
    subject = _store_table().subjects[hit.variant.owner]
    token = " ".join(tokens[hit.start : hit.end])
    return NameHint(subject.key, subject.category, token, subject.note)
