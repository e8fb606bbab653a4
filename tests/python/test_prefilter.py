"""The byte prefilter never drops a file the full analysis uses."""

from __future__ import annotations

from collections.abc import Callable, Collection
from importlib import resources

import pytest
import yaml

from residency_audit.sources.python import (
    build_env_lookup,
    link_python,
    might_matter,
    parse_python,
)
from residency_audit.sources.python.catalog import signals
from residency_audit.sources.python.prefilter import (
    Relevance,
    import_roots,
    might_hold_markers,
    relevance,
    select_for_parsing,
)
from tests.python.conftest import PYTHON_FIXTURES, Project

Get = Callable[[str], Project]


@pytest.mark.parametrize("name", PYTHON_FIXTURES)
def test_linking_only_the_kept_files_gives_the_same_result(project: Get, name: str) -> None:
    p = project(name)
    kept = tuple(f for f in p.facts if might_matter(p.sources[f.path]))
    assert p.link(kept) == p.link()
    chosen = select_for_parsing(p.sources)
    assert p.link(tuple(f for f in p.facts if f.path in chosen)) == p.link()


_PEOPLE_WRITER = b"""import boto3
from dataclasses import asdict

from app.people import Person

table = boto3.resource("dynamodb", region_name="eu-west-1").Table("persons")


def save(person: Person) -> None:
    table.put_item(Item=asdict(person))
"""
_PEOPLE = b"""from dataclasses import dataclass


@dataclass
class Person:
    snils: str
    passport_number: str
"""


def test_a_data_class_file_is_parsed_because_the_writer_names_its_module() -> None:
    sources = {
        "app/writer.py": _PEOPLE_WRITER,
        "app/people.py": _PEOPLE,
        "app/reports.py": _PEOPLE.replace(b"Person", b"Report"),
    }
    assert relevance(sources["app/people.py"]) is Relevance.IF_NAMED
    chosen = select_for_parsing(sources)
    assert chosen == {"app/writer.py", "app/people.py"}
    facts = tuple(parse_python(path, data) for path, data in sources.items())

    def written(paths: Collection[str]) -> tuple[str, ...]:
        linked = link_python(tuple(f for f in facts if f.path in paths), build_env_lookup(), (), ())
        return tuple(f.name for e in linked.store_evidence for f in e.fields)

    # the fields of the document written come from the data class: without it, none
    assert written(sources) == written(chosen) == ("snils", "passport_number")
    assert written({"app/writer.py"}) == ()


_WRITER = b"import boto3\n\ntable = boto3.resource('dynamodb').Table('persons')\n"
_DATA_CLASS = b"from dataclasses import dataclass\n\n\n@dataclass\nclass Person:\n    inn: str\n"


@pytest.mark.parametrize(
    "reference",
    [
        b"from app.people import Person\n",
        b"from .people import Person\n",
        b"from app import people\n",
        b"import app.people as p\n",
        b"module = importlib.import_module('app.people')\n",
    ],
)
def test_a_data_class_file_named_by_a_parsed_file_is_parsed(reference: bytes) -> None:
    sources = {"app/writer.py": _WRITER + reference, "app/people.py": _DATA_CLASS}
    assert select_for_parsing(sources) == {"app/writer.py", "app/people.py"}


def test_data_class_files_nobody_parsed_names_are_not_parsed() -> None:
    sources = {
        "app/writer.py": _WRITER,
        "app/people.py": _DATA_CLASS,
        # named only by another data-class file that is itself not needed
        "app/teams.py": _DATA_CLASS + b"from app.people import Person\n",
        "app/util.py": b"def add(a, b):\n    return a + b\n",
    }
    assert select_for_parsing(sources) == {"app/writer.py"}


def test_data_class_files_are_pulled_in_through_chains_and_packages() -> None:
    sources = {
        "app/writer.py": _WRITER + b"from app.models import Order\n",
        "app/models/__init__.py": _DATA_CLASS + b"from .address import Address\n",
        "app/models/address.py": _DATA_CLASS.replace(b"Person", b"Address"),
        "app/models/unused.py": _DATA_CLASS.replace(b"Person", b"Unused"),
    }
    assert select_for_parsing(sources) == {
        "app/writer.py",
        "app/models/__init__.py",
        "app/models/address.py",
    }


_CLIENTS = b"""import boto3

table = boto3.resource("dynamodb", region_name="eu-west-1").Table("passports")
"""
_HANDLER = b"""from app.clients import table


def save(number: str, name: str) -> None:
    table.put_item(Item={"passport_number": number, "full_name": name})
"""


def test_a_file_writing_with_a_client_made_elsewhere_is_parsed() -> None:
    sources = {
        "app/clients.py": _CLIENTS,
        "app/handler.py": _HANDLER,
        "app/util.py": b"def merge(a: dict, b: dict) -> dict:\n    a.update(b)\n    return a\n",
    }
    assert relevance(sources["app/handler.py"]) is Relevance.IF_LINKED
    assert select_for_parsing(sources) == {"app/clients.py", "app/handler.py"}
    facts = {path: parse_python(path, data) for path, data in sources.items()}

    def written(paths: Collection[str]) -> tuple[str, ...]:
        chosen = tuple(f for p, f in facts.items() if p in paths)
        linked = link_python(chosen, build_env_lookup(), (), ())
        return tuple(f.name for e in linked.store_evidence for f in e.fields)

    assert written(select_for_parsing(sources)) == ("passport_number", "full_name")
    assert written({"app/clients.py"}) == ()  # without the handler, nothing is written


def test_a_write_call_file_named_by_a_parsed_file_is_parsed() -> None:
    sources = {
        "app/main.py": _CLIENTS + b"from app import storage\n\nstorage.save(table, 'x')\n",
        "app/storage.py": b"def save(table, number):\n    table.put_item(Item={'n': number})\n",
        "app/unrelated.py": b"def save(table, number):\n    table.put_item(Item={'n': number})\n",
    }
    assert select_for_parsing(sources) == {"app/main.py", "app/storage.py"}


def test_a_data_class_re_exported_by_a_package_init_is_parsed() -> None:
    sources = {
        "app/writer.py": _PEOPLE_WRITER.replace(b"from app.people", b"from app.models"),
        "app/models/__init__.py": b"from .people import Person\n\n__all__ = ['Person']\n",
        "app/models/people.py": _PEOPLE,
        "app/other/__init__.py": b"",
    }
    assert relevance(sources["app/models/__init__.py"]) is Relevance.SKIP
    chosen = select_for_parsing(sources)
    assert chosen == {"app/writer.py", "app/models/__init__.py", "app/models/people.py"}
    facts = tuple(parse_python(path, data) for path, data in sources.items())
    linked = link_python(tuple(f for f in facts if f.path in chosen), build_env_lookup(), (), ())
    assert [f.name for e in linked.store_evidence for f in e.fields] == [
        "snils",
        "passport_number",
    ]


def test_the_fixtures_have_files_to_skip(project: Get) -> None:
    skipped = [
        path
        for name in PYTHON_FIXTURES
        for path, data in project(name).sources.items()
        if not might_matter(data)
    ]
    assert skipped == [
        "services/checkout/checkout/__init__.py",
        "clinic/__init__.py",
        "clinic/settings/__init__.py",
        "patients/__init__.py",
        "app/__init__.py",
        "app/routers/__init__.py",
        "worker/__init__.py",
        "worker/__main__.py",  # calls the handler, but says nothing about the data
    ]


@pytest.mark.parametrize("name", PYTHON_FIXTURES)
def test_skipped_files_have_no_facts(project: Get, name: str) -> None:
    p = project(name)
    for facts in p.facts:
        if might_matter(p.sources[facts.path]):
            continue
        assert (facts.bindings, facts.classes, facts.clients, facts.calls, facts.markers) == (
            (),
            (),
            (),
            (),
            (),
        ), facts.path


KEPT = {
    "store client import": b"import boto3\n\ns3 = boto3.client('s3')\n",
    "namespace package client": b"from google.cloud import storage\n",
    "environment read": b"import os\nBUCKET = os.getenv('BUCKET')\n",
    "constants module": b'DOCUMENTS_BUCKET = "acme-documents"\nAWS_REGION = "eu-central-1"\n',
    "SQL kept in constants": b'UPSERT = """\n    INSERT INTO patients (snils) VALUES (%s)\n"""\n',
    "model": b"from app.db import Base\n\nclass Customer(Base):\n    __tablename__ = 'customers'\n",
    "project settings import": b"from app.config import settings\n\nprint(settings.bucket)\n",
    "country check": b"def is_local(user):\n    return user.country == 'RU'\n",
    "phone normalisation": b"def e164(digits):\n    return '+7' + digits[-10:]\n",
    "Cyrillic label": "LABEL = 'СНИЛС'\n".encode(),
    "star re-export": b"from .base import *\n",
}
SKIPPED = {
    "string utilities": (
        b'"""Helpers for slugs."""\nimport re\n\n_SLUG = re.compile(r"[^a-z0-9]+")\n\n\n'
        b"def slugify(text: str) -> str:\n    return _SLUG.sub('-', text.lower()).strip('-')\n"
    ),
    "a test of arithmetic": (
        b"from decimal import Decimal\n\n\n"
        b"def test_total():\n    assert Decimal('1.10') * 2 == Decimal('2.20')\n"
    ),
    "an empty package": b"",
    "English prose with 'into'": (
        b'"""Split the text into words."""\n\ndef words(text):\n    return text.split()\n'
    ),
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_files_that_can_matter_are_kept(name: str) -> None:
    assert might_matter(KEPT[name])


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_files_that_cannot_matter_are_skipped(name: str) -> None:
    data = SKIPPED[name]
    assert not might_matter(data)
    facts = parse_python("util.py", data)
    assert (facts.clients, facts.calls, facts.classes, facts.markers, facts.errors) == (
        (),
        (),
        (),
        (),
        (),
    )


def test_import_roots_leave_out_what_every_file_imports() -> None:
    roots = import_roots()
    assert {"boto3", "sqlalchemy", "django", "psycopg", "redis", "google.cloud"} <= roots
    assert not {"os", "typing", "dataclasses", "google"} & roots


# ---- the marker gate: a parsed file is searched for markers only if it can hold one ----

_MARKER_ROWS = [
    row
    for row in yaml.safe_load(
        resources.files("residency_audit.personal_data")
        .joinpath("data/subject_markers.yaml")
        .read_text("utf-8")
    )["markers"]
    if row["context"] != "dependency"  # read from requirements files, not Python code
]
_MARKER_EXAMPLES = [
    (f"{row['id']}: {example}", example) for row in _MARKER_ROWS for example in row["examples"]
] + [
    (f"{marker.id}: {example}", example)
    for marker in signals().code_markers
    for example in marker.examples
]


@pytest.mark.parametrize(
    ("label", "example"), _MARKER_EXAMPLES, ids=[label for label, _ in _MARKER_EXAMPLES]
)
def test_every_marker_example_opens_the_gate_however_it_is_quoted(label: str, example: str) -> None:
    for literal in (
        f'"{example}"',
        f"'{example}'",
        repr(example),
        ascii(example),
        f'f"{example}"',
        f'"""{example}"""',
    ):
        source = f"value = {literal}\n".encode()
        assert might_hold_markers(source), (label, literal)
        assert might_matter(source), (label, literal)


@pytest.mark.parametrize("name", PYTHON_FIXTURES)
def test_fixture_files_with_markers_open_the_gate(project: Get, name: str) -> None:
    p = project(name)
    with_markers = [f.path for f in p.facts if f.markers]
    assert with_markers, "the fixture has no marker to check the gate with"
    for path in with_markers:
        assert might_hold_markers(p.sources[path]), path


def test_files_without_marker_literals_are_not_searched() -> None:
    source = (
        b"from dataclasses import dataclass\n\n\n@dataclass\nclass Order:\n"
        b"    country: str = 'DE'\n    phone: str = '+49 30 1234567'\n"
    )
    assert might_matter(source)
    assert not might_hold_markers(source)
    assert parse_python("orders.py", source).markers == ()
    russian = source.replace(b"'DE'", b"'RU'")
    assert might_hold_markers(russian)
    assert [hit.marker for hit in parse_python("orders.py", russian).markers] == ["country-code-ru"]
