"""Linking small, realistic projects: names across modules, environments, client chains,
declared stores, personal fields and subjects."""

from __future__ import annotations

import textwrap

from residency_audit.model import (
    Location,
    LocationStatus,
    PersonalData,
    PersonalDataStatus,
    SourceRef,
    Store,
)
from residency_audit.sources.python import (
    EnvLookup,
    EnvValue,
    OwnEndpoint,
    PythonLink,
    StoreEvidence,
    link_python,
    merge_code_evidence,
    parse_python,
)


def link(
    files: dict[str, str],
    env: EnvLookup | None = None,
    known: tuple[Store, ...] = (),
    endpoints: tuple[OwnEndpoint, ...] = (),
) -> PythonLink:
    facts = [parse_python(path, textwrap.dedent(text).encode()) for path, text in files.items()]
    assert all(not f.errors for f in facts)
    return link_python(facts, env or EnvLookup(), known, endpoints)


def summary(result: PythonLink) -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    return [
        (s.id, s.location.status.value, s.location.region, s.location.countries)
        for s in result.stores
    ]


def reason(store: Store) -> str:
    return store.location.evidence[-1].note


def evidence(result: PythonLink, store_id: str) -> StoreEvidence:
    found = result.evidence_for(store_id)
    assert found is not None
    return found


def declared(store_id: str, name: str, kind: str, **where: str) -> Store:
    location = Location(
        LocationStatus.RESOLVED, where.get("provider", "aws"), where.get("region"), ("DE",)
    )
    return Store(store_id, kind, "terraform", "infra/main.tf", 3, location, name)


# --- names across modules ----------------------------------------------------------------------


def test_constants_through_packages_star_imports_and_relative_imports() -> None:
    result = link(
        {
            "svc/config/__init__.py": "from .base import *\n",
            "svc/config/base.py": 'REGION = "eu-central-1"\nBUCKET = f"acme-{REGION}-kyc"\n',
            "svc/storage.py": """\
                import boto3

                from svc.config import BUCKET, REGION

                s3 = boto3.client("s3", region_name=REGION)


                def keep(scan, person):
                    s3.put_object(Bucket=BUCKET, Key="x", Body=scan, Metadata={"inn": person.inn})
                """,
        }
    )
    assert summary(result) == [
        ("code:s3://acme-eu-central-1-kyc", "resolved", "eu-central-1", ("DE",)),
    ]
    [store] = result.stores
    assert store.location.evidence == (SourceRef("svc/config/base.py", 1, '"eu-central-1"'),)
    assert evidence(result, store.id).personal_data.subjects == ("RU",)


def test_django_settings_object_reads_every_settings_module() -> None:
    result = link(
        {
            "shop/settings/base.py": 'INSTALLED_APPS = ["crm"]\nEXPORT_BUCKET = "shop-exports"\n',
            "shop/settings/prod.py": "from .base import *\nDEBUG = False\n",
            "crm/export.py": """\
                import boto3
                from django.conf import settings


                def export(rows):
                    boto3.client("s3", region_name="eu-west-1").put_object(
                        Bucket=settings.EXPORT_BUCKET, Key="leads.json", Body=rows
                    )
                """,
        }
    )
    assert summary(result) == [("code:s3://shop-exports", "resolved", "eu-west-1", ("IE",))]
    # the write says nothing about what it writes: a store, but no personal data proven
    assert (
        evidence(result, "code:s3://shop-exports").personal_data.status
        is PersonalDataStatus.UNKNOWN
    )


# --- the environment ---------------------------------------------------------------------------

_USERS = """\
    import os

    import psycopg

    DSN = os.environ.get("DATABASE_URL", "postgresql://app@localhost:5432/app")


    def add(u):
        with psycopg.connect(DSN) as conn:
            conn.execute("INSERT INTO users (email, phone) VALUES (%s, %s)", (u.email, u.phone))
    """


def test_values_from_several_deployments_make_one_store_each() -> None:
    env = EnvLookup(
        (
            EnvValue(
                "DATABASE_URL",
                "postgresql://app@users.c1.eu-central-1.rds.amazonaws.com/app",
                SourceRef("deploy/eu/api.yaml", 20, "Deployment api env DATABASE_URL"),
                "kubernetes",
                "eu",
            ),
            EnvValue(
                "DATABASE_URL",
                "postgresql://app@c-c9q1.rw.mdb.yandexcloud.net/app",
                SourceRef("deploy/ru/api.yaml", 20, "Deployment api env DATABASE_URL"),
                "kubernetes",
                "ru",
            ),
        )
    )
    result = link({"users.py": _USERS}, env)
    assert summary(result) == [
        ("code:postgresql://c-c9q1.rw.mdb.yandexcloud.net/app", "resolved", "ru-central1", ("RU",)),
        (
            "code:postgresql://users.c1.eu-central-1.rds.amazonaws.com/app",
            "resolved",
            "eu-central-1",
            ("DE",),
        ),
    ]
    assert [e.target for e in result.edges] == [s.id for s in result.stores]


def test_development_defaults_are_stores_whose_location_is_unknown() -> None:
    result = link({"users.py": _USERS})
    [store] = result.stores
    assert store.id == "code:postgresql://localhost/app"
    assert store.location.status is LocationStatus.UNKNOWN
    assert reason(store) == (
        "host localhost is this machine (a development setting); where the data lives when "
        "deployed is not in the repository"
    )
    compose = EnvLookup(
        (
            EnvValue(
                "DATABASE_URL",
                "postgresql://app@db:5432/app",
                SourceRef(
                    "docker-compose.yml", 9, "docker-compose service api environment DATABASE_URL"
                ),
                "compose",
            ),
        ),
        compose_services=("db", "api"),
    )
    [store] = link({"users.py": _USERS}, compose).stores
    assert reason(store) == (
        "host db is a docker-compose service; where it runs when deployed is not in the repository"
    )


def test_a_value_kept_outside_the_repository_leaves_the_write_unnamed() -> None:
    env = EnvLookup(
        (
            EnvValue(
                "DATABASE_URL",
                None,
                SourceRef(
                    "deploy/api.yaml",
                    22,
                    "Deployment api env DATABASE_URL from Secret api-db key url, which is not in "
                    "the repository",
                ),
                "kubernetes",
                "shop",
            ),
        )
    )
    result = link({"users.py": _USERS}, env)
    assert result.stores == () and result.edges == ()
    assert result.unresolved == (
        SourceRef(
            "users.py",
            10,
            "execute() writes to a sql store the scan cannot name: DATABASE_URL is set from a "
            "place that is not in the repository",
        ),
    )


def test_own_endpoints_locate_private_hosts() -> None:
    env = EnvLookup(
        (
            EnvValue(
                "DATABASE_URL",
                "postgresql://app@pg1.fra.acme.internal/app",
                SourceRef(".env.production", 1, ".env.production sets DATABASE_URL"),
                "dotenv",
            ),
        )
    )
    declared_hosts = (
        OwnEndpoint(
            "*.fra.acme.internal", None, None, ("DE",), SourceRef(".residency-audit.yaml", 4, "")
        ),
    )
    [store] = link({"users.py": _USERS}, env, endpoints=declared_hosts).stores
    assert (store.location.status, store.location.countries) == (LocationStatus.RESOLVED, ("DE",))
    assert store.location.evidence[-1] == SourceRef(
        ".residency-audit.yaml",
        4,
        "config declares host pg1.fra.acme.internal (*.fra.acme.internal)",
    )


# --- client chains -----------------------------------------------------------------------------


def test_document_and_key_value_stores() -> None:
    result = link(
        {
            "crm/db.py": """\
                import json

                import redis
                from pymongo import MongoClient

                client = MongoClient("mongodb+srv://crm:pw@cluster0.ab1cd.mongodb.net/?retryWrites=true")
                db = client["crm"]
                cache = redis.Redis(host="cache.internal", port=6379, db=2)


                def save_lead(lead):
                    db.leads.insert_one({"email": lead["email"], "phone": lead["phone"]})
                    db.get_collection("profiles").update_one(
                        {"_id": lead["id"]}, {"$set": {"full_name": lead["name"]}}, upsert=True
                    )
                    cache.set(f"lead:{lead['id']}", json.dumps({"email": lead["email"]}))
                """
        }
    )
    assert [(s.id, s.kind) for s in result.stores] == [
        ("code:mongodb://cluster0.ab1cd.mongodb.net/crm", "document_db"),
        ("code:redis://cache.internal", "key_value"),
    ]
    assert [(e.line, e.note) for e in result.edges] == [
        (12, "insert_one() writes email, phone"),
        (13, "update_one() writes full_name"),
        (16, "set() writes email"),
    ]
    assert evidence(
        result, "code:mongodb://cluster0.ab1cd.mongodb.net/crm"
    ).personal_data.categories == (
        "user.contact.email",
        "user.contact.phone_number",
        "user.name",
    )


def test_cloud_object_stores_warehouses_and_s3_compatible_clients() -> None:
    result = link(
        {
            "svc/stores.py": """\
                import json

                import clickhouse_connect
                from azure.storage.blob import BlobServiceClient
                from google.cloud import bigquery, storage
                from minio import Minio

                gcs = storage.Client(project="acme-prod")
                bq = bigquery.Client(project="acme-prod", location="EU")
                blobs = BlobServiceClient(account_url="https://acmeeu.blob.core.windows.net")
                s3ru = Minio("storage.yandexcloud.net", access_key="k", secret_key="s")
                ch = clickhouse_connect.get_client(host="ch.internal", database="analytics")


                def store(p, scan):
                    gcs.bucket("acme-profiles").blob("p.json").upload_from_string(
                        json.dumps({"birth_date": p["dob"]})
                    )
                    bq.insert_rows_json("acme-prod.analytics.signups", [{"email": p["email"]}])
                    blobs.get_blob_client(container="kyc", blob="x.jpg").upload_blob(
                        scan, metadata={"passport_number": p["pn"]}
                    )
                    s3ru.put_object(
                        "acme-passports", "x.jpg", scan, -1, metadata={"snils": p["snils"]}
                    )
                    ch.insert("events", [[1, "a@b"]], column_names=["user_id", "email"])
                """
        }
    )
    assert summary(result) == [
        (
            "code:bigquery://acme-prod/analytics",
            "multi",
            "EU",
            ("BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE"),
        ),
        ("code:clickhouse://ch.internal/analytics", "unknown", None, ()),
        ("code:gs://acme-profiles", "unknown", None, ()),
        ("code:https://acmeeu.blob.core.windows.net/kyc", "unknown", None, ()),
        ("code:s3://acme-passports", "resolved", "ru-central1", ("RU",)),
    ]
    by_id = {s.id: s for s in result.stores}
    assert reason(by_id["code:gs://acme-profiles"]) == (
        "a Cloud Storage bucket's location is set when the bucket is created, not by the "
        "client; declare the bucket in Terraform or in the config"
    )
    assert reason(by_id["code:https://acmeeu.blob.core.windows.net/kyc"]).startswith(
        "host acmeeu.blob.core.windows.net is azure but names no region; a storage account's"
    )
    assert evidence(result, "code:s3://acme-passports").personal_data.subjects == ("RU",)


def test_sql_clients_rds_data_api_and_reads() -> None:
    result = link(
        {
            "jobs/archive.py": """\
                import asyncpg
                import boto3
                from sqlalchemy import URL, create_engine, select
                from sqlalchemy.orm import Session

                rds = boto3.client("rds-data", region_name="eu-west-1")
                url = URL.create("postgresql+psycopg", host="db.example.ru", database="crm")
                engine = create_engine(url)


                def archive(row):
                    rds.execute_statement(
                        resourceArn="arn:aws:rds:eu-west-1:123456789012:cluster:archive",
                        database="archive",
                        sql="INSERT INTO people (passport_number) VALUES (:p)",
                    )


                async def touch(email):
                    pool = await asyncpg.create_pool("postgresql://app@pg.example.ru/app")
                    async with pool.acquire() as conn:
                        await conn.execute("UPDATE users SET email = $1 WHERE id = $2", email, 1)


                def count():
                    with Session(engine) as session:
                        return session.execute(select(1)).scalar()
                """
        }
    )
    assert [(s.id, s.location.region) for s in result.stores] == [
        ("code:postgresql://db.example.ru/crm", None),
        ("code:postgresql://pg.example.ru/app", None),
        ("code:rds://archive/archive", "eu-west-1"),
    ]
    assert [(e.target, e.note) for e in result.edges] == [
        ("code:rds://archive/archive", "execute_statement() writes passport_number into people"),
        ("code:postgresql://pg.example.ru/app", "execute() writes email into users"),
    ]  # the SELECT through the session is a read: no edge


# --- declared stores ---------------------------------------------------------------------------


def test_code_sites_become_evidence_on_declared_stores() -> None:
    known = (
        declared("terraform:aws_s3_bucket.kyc", "acme-kyc", "object_storage"),
        declared("terraform:aws_db_instance.users", "users-db", "relational_db"),
        Store(
            "k8s:StatefulSet/social/mongo",
            "document_db",
            "kubernetes",
            "deploy/mongo.yaml",
            1,
            Location(LocationStatus.RESOLVED, "yandex", "ru-central1", ("RU",)),
            "mongo",
        ),
    )
    result = link(
        {
            "app.py": """\
                import boto3
                import psycopg2
                from pymongo import MongoClient

                s3 = boto3.client("s3")
                users = psycopg2.connect("host=users-db.c8.eu-central-1.rds.amazonaws.com dbname=u")
                social = MongoClient("mongodb://mongo-0.mongo.social.svc.cluster.local:27017/social")


                def save(user, scan):
                    s3.put_object(Bucket="acme-kyc", Key="a", Body=scan)
                    users.cursor().execute("INSERT INTO users (email) VALUES (%s)", (user.email,))
                    social.social.posts.insert_one({"author_email": user.email})
                """
        },
        known=known,
    )
    assert result.stores == ()
    assert [(e.line, e.target) for e in result.edges] == [
        (11, "terraform:aws_s3_bucket.kyc"),
        (12, "terraform:aws_db_instance.users"),
        (13, "k8s:StatefulSet/social/mongo"),
    ]


# --- personal data and subjects -------------------------------------------------------------


def test_weak_field_names_count_only_next_to_strong_ones() -> None:
    result = link(
        {
            "w.py": """\
                import boto3

                table = boto3.resource("dynamodb", region_name="eu-west-1").Table("shops")
                people = boto3.resource("dynamodb", region_name="eu-west-1").Table("people")


                def save(shop, person):
                    table.put_item(Item={"name": shop.name, "city": shop.city})
                    people.put_item(
                        Item={"name": person.name, "city": person.city, "email": person.email}
                    )
                """
        }
    )
    shops = evidence(result, "code:dynamodb://shops")
    assert shops.personal_data.status is PersonalDataStatus.UNKNOWN and shops.fields == ()
    assert [f.name for f in evidence(result, "code:dynamodb://people").fields] == [
        "name",
        "city",
        "email",
    ]


def test_markers_give_subjects_other_countries_included() -> None:
    files = {
        "kz.py": """\
            import boto3

            s3 = boto3.client("s3", region_name="eu-central-1")


            def save(c):
                if c.country != "KZ":
                    return
                s3.put_object(Bucket="kz-clients", Key="k", Body=b"", Metadata={"email": c.email})
            """,
        "weak.py": """\
            import boto3

            s3 = boto3.client("s3", region_name="eu-central-1")


            def save(o):
                total = f"{o.total} ₽"
                s3.put_object(Bucket="receipts", Key="k", Body=total, Metadata={"email": o.email})
            """,
    }
    result = link(files)
    assert evidence(result, "code:s3://kz-clients").personal_data.subjects == ("KZ",)
    assert evidence(result, "code:s3://receipts").personal_data.subjects == ()  # one weak sign


def test_merge_code_evidence_follows_the_contract_order() -> None:
    field = SourceRef("kyc.py", 9, "code writes snils (user.government_id.snils)")
    russian = SourceRef("kyc.py", 9, "code writes snils, a Russian-specific identifier (...)")
    code = StoreEvidence(
        "terraform:aws_s3_bucket.kyc",
        PersonalData(
            PersonalDataStatus.YES, ("user.government_id.snils",), ("RU",), (field, russian)
        ),
        subject_evidence=(russian,),
    )
    undeclared = merge_code_evidence(PersonalData(), code)
    assert (undeclared.status, undeclared.categories, undeclared.subjects) == (
        PersonalDataStatus.YES,
        ("user.government_id.snils",),
        ("RU",),
    )
    assert undeclared.evidence == (field, russian)
    tag = SourceRef("infra/s3.tf", 4, 'tag data_subjects = "EU"')
    labelled = PersonalData(PersonalDataStatus.YES, ("user.contact.email",), ("EU",), (tag,))
    merged = merge_code_evidence(labelled, code)
    assert merged.subjects == ("EU",)  # the declaration is stronger than the code
    assert merged.categories == ("user.contact.email", "user.government_id.snils")
    assert merged.evidence == (tag, field)
    declared_no = PersonalData(PersonalDataStatus.NO)
    assert merge_code_evidence(declared_no, code).status is PersonalDataStatus.NO
    assert merge_code_evidence(labelled, None) is labelled


def test_a_fallback_after_or_never_applies_where_the_deployment_sets_the_variable() -> None:
    files = {
        "export.py": """\
            import os

            import boto3

            BUCKET = os.environ.get("EXPORT_BUCKET") or "acme-exports-dev"


            def export(rows):
                boto3.client("s3", region_name="eu-north-1").put_object(
                    Bucket=BUCKET, Key="rows.csv", Body=rows
                )
            """
    }
    assert [s.id for s in link(files).stores] == ["code:s3://acme-exports-dev"]
    deployed = EnvLookup(
        (
            EnvValue(
                "EXPORT_BUCKET",
                "acme-exports",
                SourceRef("deploy/job.yaml", 30, "CronJob export env EXPORT_BUCKET"),
                "kubernetes",
                "jobs",
            ),
        )
    )
    assert [s.id for s in link(files, deployed).stores] == ["code:s3://acme-exports"]


def test_committed_local_settings_give_way_to_the_real_database() -> None:
    result = link(
        {
            "site/settings/production.py": """\
                INSTALLED_APPS = ["crm"]
                DATABASES = {
                    "default": {
                        "ENGINE": "django.db.backends.postgresql",
                        "HOST": "crm.c3xyz.eu-west-1.rds.amazonaws.com",
                        "NAME": "crm",
                    }
                }
                """,
            "site/settings/local.py": """\
                from .production import *

                DATABASES = {
                    "default": {
                        "ENGINE": "django.db.backends.postgresql",
                        "HOST": "localhost",
                        "NAME": "crm",
                    }
                }
                """,
            "crm/models.py": """\
                from django.db import models


                class Lead(models.Model):
                    email = models.EmailField()
                """,
        }
    )
    assert summary(result) == [
        (
            "code:postgresql://crm.c3xyz.eu-west-1.rds.amazonaws.com/crm",
            "resolved",
            "eu-west-1",
            ("IE",),
        )
    ]
    assert [(e.source, e.note) for e in result.edges] == [
        ("code:crm/models.py:4", "Django model Lead (table crm_lead) is stored here")
    ]


def test_star_import_cycles_and_long_re_export_chains_end() -> None:
    files = {f"pkg/m{i}.py": f"from pkg.m{i + 1} import *\n" for i in range(80)}
    files["pkg/m80.py"] = "from pkg.m0 import *\n"  # and back to the start
    files["app.py"] = """\
        import boto3

        from pkg.m0 import BUCKET


        def save(doc):
            boto3.client("s3", region_name="eu-west-1").put_object(Bucket=BUCKET, Body=doc)
        """
    result = link(files)
    assert result.stores == () and result.errors == ()
    assert len(result.unresolved) == 1
    assert result.unresolved[0].note.startswith("put_object() writes to a s3 store the scan")


def test_documents_built_with_dict_and_dataclasses() -> None:
    result = link(
        {
            "crm/push.py": """\
                import json
                from dataclasses import asdict, dataclass

                import redis

                r = redis.Redis.from_url("redis://cache.crm.internal:6379/0")


                @dataclass
                class Contact:
                    full_name: str
                    phone: str


                def push(contact: Contact, lead):
                    r.set("contact", json.dumps(asdict(contact)))
                    r.lpush("leads", json.dumps(dict(email=lead.email, source="form")))
                """
        }
    )
    contact, lead = [e for e in result.edges]
    assert (contact.line, contact.note) == (16, "set() writes full_name, phone")
    assert (lead.line, lead.note) == (17, "lpush() writes email")
    found = evidence(result, "code:redis://cache.crm.internal")
    assert [(f.name, f.ref.line) for f in found.fields] == [
        ("full_name", 11),
        ("phone", 12),
        ("email", 17),
    ]
