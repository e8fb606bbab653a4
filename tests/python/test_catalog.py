"""Every row of the Python analysis's data tables loads and makes sense."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from residency_audit.personal_data.identifiers import MARKER_CONTEXTS
from residency_audit.sources.python import catalog
from residency_audit.sources.python.catalog import (
    STORE_KINDS,
    CatalogError,
    ClientCatalog,
    Constructor,
    Dispatch,
    MethodRule,
    client_catalog,
    frameworks,
    hosts,
    readers,
    signals,
)
from residency_audit.sources.terraform.catalog import store_kinds


def test_every_constructor_names_dotted_callables_and_a_result() -> None:
    table = client_catalog()
    assert len(table.constructors) >= 30
    for row in table.constructors:
        assert row.calls and all(re.fullmatch(r"[A-Za-z_][\w.]*\.\w+", c) for c in row.calls), row
        assert (row.type is None) != (row.dispatch is None), row


def _made(table: ClientCatalog) -> list[tuple[str | None, Dispatch | None]]:
    rows: list[Constructor | MethodRule] = [*table.constructors, *table.methods]
    return [(r.type, r.dispatch) for r in rows]


def test_every_write_rule_works_on_a_type_something_produces() -> None:
    table = client_catalog()
    produced = {type_ for type_, _ in _made(table) if type_}
    produced |= {t for _, dispatch in _made(table) if dispatch for _, t in dispatch.types}
    produced |= {"django.manager", "django.instance"}
    for rule in table.writes:
        assert set(rule.on) <= produced, rule
        assert rule.methods, rule
    for method in table.methods:
        assert method.on in produced, method


def test_every_store_type_belongs_to_a_service_with_a_valid_kind() -> None:
    table = client_catalog()
    kinds = set(store_kinds())  # the report's vocabulary (Terraform catalog)
    for service in table.services:
        assert service.kind in STORE_KINDS and set(service.matches) <= STORE_KINDS
        assert service.kind in kinds
        assert service.unknown.strip()
    for made, dispatch in _made(table):
        types = [made] if made else [t for _, t in dispatch.types] if dispatch else []
        for type_ in types:
            head = type_.split(".", 1)[0]
            assert head in ("boto3",) or table.service(head) is not None, type_


@pytest.mark.parametrize(
    ("spelling", "scheme"),
    [
        ("postgresql+psycopg", "postgresql"),
        ("postgres", "postgresql"),
        ("django.db.backends.postgresql", "postgresql"),
        ("mysql+pymysql", "mysql"),
        ("rediss", "redis"),
        ("django_redis.cache.RedisCache", "redis"),
        ("mongodb+srv", "mongodb"),
        ("sqlite", "sqlite"),
        ("django.db.backends.sqlite3", "sqlite"),
        ("ftp", None),
    ],
)
def test_schemes(spelling: str, scheme: str | None) -> None:
    assert client_catalog().scheme(spelling) == scheme


def test_a_type_used_but_never_produced_is_a_packaging_error() -> None:
    table = client_catalog()
    broken_rule = replace(table.writes[0], on=("s3.clinet",))
    with pytest.raises(CatalogError, match=r"s3\.clinet"):
        catalog._check_types(
            ClientCatalog(
                table.constructors,
                table.methods,
                (broken_rule,),
                table.write_functions,
                table.services,
                table.schemes,
            )
        )


def test_readers() -> None:
    table = readers()
    getenv = table.function("os.getenv")
    assert getenv is not None and getenv.name is not None and getenv.name.arg == 0
    assert table.function("dj_database_url.config") is not None
    django_environ = table.instance("environ.Env")
    assert django_environ is not None and django_environ.scheme == "tuple_default"
    db = django_environ.method("db")
    assert db is not None and db.implied == "DATABASE_URL"
    assert "pydantic_settings.BaseSettings" in table.settings_bases
    for row in table.instances:
        assert row.method("__call__") is not None, row


def test_frameworks() -> None:
    fw = frameworks()
    assert fw.orm_framework("django.db.models.Model") == "django"
    assert fw.orm_framework("sqlalchemy.orm.DeclarativeBase") == "sqlalchemy"
    assert fw.orm_framework("pydantic.BaseModel") is None
    services = {s.name for s in client_catalog().services}
    for backend in fw.storage_backends:
        assert backend.service in services
        assert {r for r, _ in backend.settings} == {r for r, _ in backend.options}
    s3 = fw.storage_backend("storages.backends.s3.S3Storage")
    assert s3 is not None and dict(s3.settings)["bucket"] == "AWS_STORAGE_BUCKET_NAME"


def test_hosts() -> None:
    table = hosts()
    assert "-rw" in table.kubernetes_service_suffixes
    assert all(s.startswith("-") for s in table.kubernetes_service_suffixes)
    assert "localhost" in table.loopback_hosts


def test_signals_contexts_and_code_markers() -> None:
    table = signals()
    for context, _ in table.context_tokens:
        assert context in MARKER_CONTEXTS
    assert table.context_of_tokens(("country", "code")) == "country"
    assert table.context_of_tokens(("language", "code")) == "locale"
    assert table.context_of_tokens(("status",)) is None
    phone = table.context_call("phonenumbers.parse")
    assert phone is not None and phone.spec.arg == 1 and phone.context == "country"
    for marker in table.code_markers:
        assert marker.examples
        for example in marker.examples:
            assert marker.matches(example), (marker.id, example)
        for counter in marker.counterexamples:
            assert not marker.matches(counter), (marker.id, counter)
    for pattern in table.prefilter_patterns:
        re.compile(pattern)
