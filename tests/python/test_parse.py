"""One file at a time: the facts the parser records, with exact lines."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from residency_audit.model import ScanError
from residency_audit.sources.python import parse_python
from residency_audit.sources.python.facts import (
    Alt,
    Attr,
    Binding,
    Call,
    CallSite,
    ClientSite,
    DictE,
    Env,
    Import,
    Item,
    Join,
    Lit,
    Opaque,
    Param,
    PythonFacts,
    Ref,
)
from residency_audit.sources.python.names import module_name, resolve_relative


def parse(text: str, path: str = "app/settings.py") -> PythonFacts:
    facts = parse_python(path, textwrap.dedent(text).encode())
    assert facts.errors == ()
    return facts


def binding(facts: PythonFacts, name: str) -> Binding:
    found = [b for b in facts.bindings if b.name == name]
    assert len(found) == 1, [b.name for b in facts.bindings]
    return found[0]


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("app/settings.py", "app.settings"),
        ("app/__init__.py", "app"),
        ("manage.py", "manage"),
        ("services/checkout/checkout/api.py", "services.checkout.checkout.api"),
    ],
)
def test_module_names_come_from_paths(path: str, module: str) -> None:
    assert module_name(path) == module


def test_relative_imports() -> None:
    assert resolve_relative("shop.settings.production", False, 1, "base") == "shop.settings.base"
    assert resolve_relative("shop.settings", True, 1, "base") == "shop.settings.base"
    assert resolve_relative("shop.orders.views", False, 2, "models") == "shop.models"
    assert resolve_relative("views", False, 3, "x") == "x"


# --- constants and environment reads --------------------------------------------------------


def test_constants_literals_fstrings_concatenation_and_formatting() -> None:
    facts = parse(
        """\
        PREFIX = "acme"
        ENV = "prod"
        BUCKET = f"{PREFIX}-{ENV}-documents"
        TABLE = PREFIX + "-events"
        DSN = "postgresql://{}@{}/{}".format("app", HOST, "orders")
        LEGACY = "mysql://%s/%s" % (HOST, "crm")
        PORT = 5432
        HOST = "db.internal"
        """
    )
    assert binding(facts, "BUCKET").value == Join(
        (
            Ref("app.settings.PREFIX", 3),
            Lit("-", 3),
            Ref("app.settings.ENV", 3),
            Lit("-documents", 3),
        ),
        3,
    )
    assert binding(facts, "TABLE").value == Join(
        (Ref("app.settings.PREFIX", 4), Lit("-events", 4)), 4
    )
    assert binding(facts, "DSN").value == Join(
        (
            Lit("postgresql://", 5),
            Lit("app", 5),
            Lit("@", 5),
            Ref("app.settings.HOST", 5),
            Lit("/", 5),
            Lit("orders", 5),
        ),
        5,
    )
    assert binding(facts, "LEGACY").value == Join(
        (Lit("mysql://", 6), Ref("app.settings.HOST", 6), Lit("/", 6), Lit("crm", 6)), 6
    )
    assert binding(facts, "PORT").value == Lit("5432", 7, "int")


def test_environment_readers() -> None:
    facts = parse(
        """\
        import os
        from os import environ

        import dj_database_url
        from decouple import config

        BUCKET = os.environ["DOCUMENTS_BUCKET"]
        REGION = os.getenv("AWS_REGION", "eu-central-1")
        QUEUE = environ.get("QUEUE_URL") or "https://sqs.local/q"
        SEARCH = config("SEARCH_URL", default="http://localhost:9200")
        DATABASES = {"default": dj_database_url.config(default="postgres://localhost/app")}
        """
    )
    assert binding(facts, "BUCKET").value == Env("DOCUMENTS_BUCKET", None, "os.environ", 7)
    assert binding(facts, "REGION").value == Env(
        "AWS_REGION", Lit("eu-central-1", 8), "os.environ", 8
    )
    assert binding(facts, "QUEUE").value == Alt(
        (Env("QUEUE_URL", None, "os.environ", 9), Lit("https://sqs.local/q", 9)),
        9,
        first_wins=True,
    )
    assert binding(facts, "SEARCH").value == Env(
        "SEARCH_URL", Lit("http://localhost:9200", 10), "python-decouple", 10
    )
    assert binding(facts, "DATABASES").value == DictE(
        (
            (
                Lit("default", 11),
                Env("DATABASE_URL", Lit("postgres://localhost/app", 11), "dj-database-url", 11),
            ),
        ),
        11,
    )


def test_django_environ_scheme_defaults_and_implied_variables() -> None:
    facts = parse(
        """\
        import environ

        env = environ.Env(
            DEBUG=(bool, False),
            CACHE_URL=(str, "redis://localhost:6379/1"),
        )
        DATABASES = {"default": env.db()}
        CACHES = {"default": env.cache()}
        BUCKET = env.str("AWS_STORAGE_BUCKET_NAME", default="media")
        SECRET_KEY = env("DJANGO_SECRET_KEY")
        """
    )
    assert binding(facts, "DATABASES").value == DictE(
        ((Lit("default", 7), Env("DATABASE_URL", None, "django-environ", 7)),), 7
    )
    assert binding(facts, "CACHES").value == DictE(
        (
            (
                Lit("default", 8),
                Env("CACHE_URL", Lit("redis://localhost:6379/1", 5), "django-environ", 8),
            ),
        ),
        8,
    )
    assert binding(facts, "BUCKET").value == Env(
        "AWS_STORAGE_BUCKET_NAME", Lit("media", 9), "django-environ", 9
    )
    assert binding(facts, "SECRET_KEY").value == Env(
        "DJANGO_SECRET_KEY", None, "django-environ", 10
    )


def test_pydantic_settings_fields_are_environment_reads() -> None:
    facts = parse(
        """\
        from pydantic import Field
        from pydantic_settings import BaseSettings, SettingsConfigDict


        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="orders_", env_file=".env")

            database_url: str = "postgresql://localhost/orders"
            bucket: str = Field("invoices", alias="INVOICES_BUCKET")
            region: str = Field(...)
            debug: bool = False
        """
    )
    assert binding(facts, "Settings.database_url").value == Env(
        "ORDERS_DATABASE_URL", Lit("postgresql://localhost/orders", 8), "pydantic-settings", 8
    )
    assert binding(facts, "Settings.bucket").value == Env(
        "INVOICES_BUCKET", Lit("invoices", 9), "pydantic-settings", 9
    )
    assert binding(facts, "Settings.region").value == Env(
        "ORDERS_REGION", None, "pydantic-settings", 10
    )


def test_imports_absolute_relative_and_star() -> None:
    facts = parse(
        """\
        import boto3
        import google.cloud.storage as gcs
        from .base import *
        from ..db import engine as db_engine
        from checkout.settings import DOCUMENTS_BUCKET
        """,
        path="shop/settings/production.py",
    )
    assert facts.imports == (
        Import("boto3", "boto3", 1),
        Import("gcs", "google.cloud.storage", 2),
        Import("*", "shop.settings.base", 3, star=True),
        Import("db_engine", "shop.db.engine", 4),
        Import("DOCUMENTS_BUCKET", "checkout.settings.DOCUMENTS_BUCKET", 5),
    )


# --- clients and writes -----------------------------------------------------------------------


def test_client_constructions_and_writes_with_locals_inlined() -> None:
    facts = parse(
        """\
        import boto3

        from app.config import TABLE

        dynamodb = boto3.resource("dynamodb", region_name="eu-west-1")


        def save_events(customer, events):
            table = dynamodb.Table(TABLE)
            with table.batch_writer() as batch:
                for event in events:
                    batch.put_item(Item={"email": customer.email, "event": event})
        """,
        path="app/events.py",
    )
    assert facts.clients == (
        ClientSite(
            "boto3.resource",
            Call(
                Ref("boto3.resource", 5),
                (Lit("dynamodb", 5),),
                (("region_name", Lit("eu-west-1", 5)),),
                5,
            ),
            5,
            "dynamodb",
            "",
        ),
    )
    table = Call(Ref("app.events.dynamodb.Table", 9), (Ref("app.config.TABLE", 9),), (), 9)
    batch = Call(Attr(table, "batch_writer", 10), (), (), 10)
    customer = Param("customer", None, None, 8)
    events = Param("events", None, None, 8)
    assert facts.calls == (
        CallSite(
            Attr(batch, "put_item", 12),
            "put_item",
            (),
            (
                (
                    "Item",
                    DictE(
                        (
                            (Lit("email", 12), Attr(customer, "email", 12)),
                            (Lit("event", 12), Item(events, Opaque("*", 11), 11)),
                        ),
                        12,
                    ),
                ),
            ),
            12,
            "app.events.save_events",
        ),
    )


def test_self_attributes_and_function_returns_are_bindings() -> None:
    facts = parse(
        """\
        import redis
        from sqlalchemy.orm import sessionmaker


        class Cache:
            def __init__(self, url):
                self.client = redis.Redis.from_url(url)

            def remember(self, key, profile):
                self.client.hset(key, mapping=profile)


        SessionLocal = sessionmaker()


        def get_db():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()
        """,
        path="app/cache.py",
    )
    url = Param("url", None, None, 6)
    assert binding(facts, "Cache.client").value == Call(
        Ref("redis.Redis.from_url", 7), (url,), (), 7
    )
    assert binding(facts, "get_db()").value == Call(Ref("app.cache.SessionLocal", 17), (), (), 17)
    assert [c.func for c in facts.calls] == [Ref("app.cache.Cache.client.hset", 10)]
    assert [c.api for c in facts.clients] == ["redis.Redis.from_url", "sqlalchemy.orm.sessionmaker"]
    assert facts.clients[0].bound_to == "Cache.client"


def test_model_classes_keep_fields_tables_and_meta() -> None:
    facts = parse(
        """\
        from django.db import models
        from sqlalchemy import Column, String
        from sqlalchemy.orm import Mapped, mapped_column

        from app.db import Base


        class Patient(models.Model):
            snils = models.CharField("СНИЛС", max_length=14, db_column="snils_number")
            clinic = models.ForeignKey("Clinic", on_delete=models.PROTECT)

            class Meta:
                db_table = "patients"


        class Customer(Base):
            __tablename__ = "customers"

            email: Mapped[str] = mapped_column(String(254))
            phone = Column("phone_number", String(20))
        """,
        path="app/models.py",
    )
    patient, customer = facts.classes
    assert (patient.name, patient.line, patient.bases) == (
        "app.models.Patient",
        8,
        ("django.db.models.Model",),
    )
    assert [(f.name, f.line, f.column, f.factory) for f in patient.fields] == [
        ("snils", 9, "snils_number", "django.db.models.CharField"),
        ("clinic", 10, None, "django.db.models.ForeignKey"),
    ]
    assert dict(patient.meta)["db_table"] == Lit("patients", 13)
    assert (customer.table, customer.table_line, customer.bases) == (
        "customers",
        17,
        ("app.db.Base",),
    )
    assert [(f.name, f.line, f.column, f.annotation) for f in customer.fields] == [
        ("email", 19, None, "Mapped[str]"),
        ("phone", 20, "phone_number", None),
    ]


# --- bad input --------------------------------------------------------------------------------


def test_syntax_error_is_an_error_record_with_its_line() -> None:
    facts = parse_python("app/broken.py", b"import os\n\ndef f(:\n    pass\n")
    assert facts.bindings == ()
    assert facts.errors == (ScanError("app/broken.py", 3, "Python syntax error: invalid syntax"),)


def test_binary_and_bad_encodings() -> None:
    assert parse_python("a.py", b"\x00\x01").errors == (
        ScanError("a.py", None, "binary file (contains NUL bytes); not scanned"),
    )
    bad = parse_python("b.py", b"X = 1\nY = '\xff'\n")
    assert bad.errors == (
        ScanError("b.py", 2, "not valid utf-8 text (invalid start byte at byte 11)"),
    )


def test_a_coding_declaration_is_honoured() -> None:
    facts = parse_python("c.py", "# -*- coding: cp1251 -*-\nLABEL = 'СНИЛС'\n".encode("cp1251"))
    assert facts.errors == ()
    assert binding(facts, "LABEL").value == Lit("СНИЛС", 2)


def test_facts_pickle() -> None:
    facts = parse("import os\nBUCKET = os.getenv('B', 'x')\n")
    assert pickle.loads(pickle.dumps(facts)) == facts


# --- hostile and generated input ------------------------------------------------------------


def test_nesting_that_would_crash_libcst_is_refused() -> None:
    brackets = parse_python("gen/deep.py", b"X = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n")
    assert brackets.errors == (
        ScanError(
            "gen/deep.py",
            None,
            "not analysed: brackets nested 5000 deep (more than 200); libcst cannot parse "
            "code this deep safely",
        ),
    )
    chain = b"X = (\n" + b" +\n".join([b'"a"'] * 8000) + b"\n)\n"
    assert parse_python("gen/chain.py", chain).errors == (
        ScanError("gen/chain.py", None, "code nested too deeply to analyse; not scanned"),
    )
    line = b"X = 1" + b" + 1" * 20000 + b"\n"
    assert (
        parse_python("gen/line.py", line)
        .errors[0]
        .message.startswith("not analysed: a line chains 20000 operators")
    )
    branches = b"if x == 0:\n    pass\n" + b"".join(
        b"elif x == %d:\n    pass\n" % i for i in range(1, 2500)
    )
    assert (
        parse_python("gen/branches.py", branches)
        .errors[0]
        .message.startswith("not analysed: more than 2000 elif branches")
    )


def test_long_but_real_chains_are_still_read() -> None:
    chain = b'SQL = (\n    "INSERT INTO t (a) VALUES (1)"\n' + b'    + " "\n' * 2500 + b")\n"
    facts = parse_python("gen/sql.py", chain)
    assert facts.errors == ()
    assert [b.name for b in facts.bindings] == ["SQL"]


def test_arbitrary_bytes_never_raise() -> None:
    import random

    rng = random.Random(1234)
    alphabet = b"()[]{}:=+-*/.,'\"#\\\n\t abcxyz0123456789@fiwhledsrtu\xd0\xb0\xff"
    for _ in range(200):
        blob = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        facts = parse_python("fuzz.py", blob)
        assert isinstance(facts, PythonFacts)
