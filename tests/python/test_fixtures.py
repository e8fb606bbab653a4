"""The fixture applications end to end through the Python analysis: exact stores, writes
edges, categories, subjects and lines."""

from __future__ import annotations

from collections.abc import Callable

from residency_audit.model import Edge, EdgeKind, LocationStatus, PersonalDataStatus, SourceRef
from residency_audit.sources.python import PythonLink
from tests.python.conftest import Project

Get = Callable[[str], Project]


def edges(result: PythonLink) -> list[tuple[str, str, str]]:
    assert all(e.kind is EdgeKind.WRITES for e in result.edges)
    return [(e.source, e.target, e.note) for e in result.edges]


def fields(result: PythonLink, store_id: str) -> list[tuple[str, str, int | None]]:
    found = result.evidence_for(store_id)
    assert found is not None
    return [(f.name, f.ref.file, f.ref.line) for f in found.fields]


def subject_refs(result: PythonLink, store_id: str) -> list[SourceRef]:
    found = result.evidence_for(store_id)
    assert found is not None
    return [r for r in found.personal_data.evidence if not r.note.startswith("code writes ")]


# --- demo-shop: the code confirms what the tag says, and whose data it is ------------------


def test_demo_shop_passport_scans_are_evidence_on_the_terraform_bucket(project: Get) -> None:
    result = project("demo-shop").link()
    bucket = "terraform:aws_s3_bucket.customer_documents"
    assert result.stores == ()
    assert result.edges == (
        Edge(
            "code:services/checkout/checkout/documents.py:14",
            bucket,
            EdgeKind.WRITES,
            "services/checkout/checkout/documents.py",
            14,
            "put_object() writes passport_series, passport_number",
        ),
    )
    evidence = result.evidence_for(bucket)
    assert evidence is not None
    assert evidence.personal_data.status is PersonalDataStatus.YES
    assert evidence.personal_data.categories == (
        "user.government_id.internal_passport",
        "user.government_id.passport_number",
    )
    assert evidence.personal_data.subjects == ("RU",)
    assert fields(result, bucket) == [
        ("passport_series", "services/checkout/checkout/documents.py", 20),
        ("passport_number", "services/checkout/checkout/documents.py", 21),
    ]
    assert subject_refs(result, bucket) == []  # RU comes from the identifier itself
    assert (
        SourceRef(
            "services/checkout/checkout/documents.py",
            20,
            "code writes passport_series, a Russian-specific identifier "
            "(user.government_id.internal_passport)",
        )
        in evidence.personal_data.evidence
    )
    assert result.unresolved == ()


# --- Django clinic ----------------------------------------------------------------------------

CLINIC_PG = "k8s:Cluster/clinic/clinic-pg"
SCANS = "terraform:yandex_storage_bucket.scans"
SEARCH = "code:elasticsearch://clinic-search.es.europe-west3.gcp.cloud.es.io"


def test_django_clinic_stores_and_edges(project: Get) -> None:
    result = project("py-django-clinic").link()
    [search] = result.stores
    assert (search.id, search.kind, search.source, search.file, search.line, search.name) == (
        SEARCH,
        "search",
        "python",
        "patients/search.py",
        6,
        "clinic-search.es.europe-west3.gcp.cloud.es.io",
    )
    assert search.location.status is LocationStatus.RESOLVED
    assert (search.location.provider, search.location.region, search.location.countries) == (
        "gcp",
        "europe-west3",
        ("DE",),
    )
    assert search.location.evidence == (
        SourceRef(
            "clinic/settings/base.py", 50, "reads environment variable SEARCH_URL (django-environ)"
        ),
        SourceRef("deploy/k8s/web.yaml", 9, "ConfigMap clinic-web key SEARCH_URL"),
        SourceRef(
            "deploy/k8s/web.yaml",
            9,
            "host clinic-search.es.europe-west3.gcp.cloud.es.io is gcp elasticsearch"
            " (elastic-cloud)",
        ),
    )
    assert edges(result) == [
        (
            "code:patients/models.py:13",
            CLINIC_PG,
            "Django model Patient (table patients) is stored here",
        ),
        (
            "code:patients/models.py:23",
            SCANS,
            "file field passport_scan of Patient uploads to the default storage",
        ),
        (
            "code:patients/models.py:33",
            CLINIC_PG,
            "Django model Visit (table visits) is stored here",
        ),
        (
            "code:patients/search.py:12",
            SEARCH,
            "index() writes full_name, snils, birth_date, phone",
        ),
        (
            "code:patients/views.py:12",
            CLINIC_PG,
            "create() writes last_name, first_name, patronymic, birth_date, snils, oms_policy,"
            " phone",
        ),
        ("code:patients/views.py:30", CLINIC_PG, "save() writes diagnosis_code"),
    ]
    assert result.unresolved == ()


def test_django_clinic_personal_data_and_subjects(project: Get) -> None:
    result = project("py-django-clinic").link()
    database = result.evidence_for(CLINIC_PG)
    assert database is not None
    assert database.personal_data.categories == (
        "user.contact.address",
        "user.contact.email",
        "user.contact.phone_number",
        "user.demographic.date_of_birth",
        "user.government_id.oms_policy",
        "user.government_id.snils",
        "user.health.medical_diagnosis",
        "user.name",
        "user.name.first",
        "user.name.last",
    )
    assert database.personal_data.subjects == ("RU",)
    assert ("snils", "patients/models.py", 18) in fields(result, CLINIC_PG)
    assert ("snils", "patients/views.py", 17) in fields(result, CLINIC_PG)
    assert ("created_at", "patients/models.py", 6) not in fields(result, CLINIC_PG)
    assert subject_refs(result, CLINIC_PG)[-5:] == [
        SourceRef(
            "clinic/settings/base.py", 52, "the writing code handles RU data: 'ru-ru' (locale-ru)"
        ),
        SourceRef(
            "clinic/settings/base.py",
            53,
            "the writing code handles RU data: 'Europe/Moscow' (timezone-ru)",
        ),
        SourceRef(
            "patients/models.py",
            18,
            "the writing code handles RU data: 'СНИЛС' (russian-identifier-words)",
        ),
        SourceRef(
            "patients/models.py",
            19,
            "the writing code handles RU data: 'Полис ОМС' (russian-identifier-words)",
        ),
        SourceRef(
            "patients/models.py", 20, "the writing code handles RU data: 'RU' (country-code-ru)"
        ),
    ]
    scans = result.evidence_for(SCANS)
    assert scans is not None
    assert scans.personal_data.categories == ("user.government_id.passport_number",)
    assert fields(result, SCANS) == [("passport_scan", "patients/models.py", 23)]
    search = result.evidence_for(SEARCH)
    assert search is not None
    assert search.personal_data.subjects == ("RU",)
    assert fields(result, SEARCH) == [
        ("full_name", "patients/search.py", 16),
        ("snils", "patients/search.py", 17),
        ("birth_date", "patients/search.py", 18),
        ("phone", "patients/search.py", 19),
    ]


def test_django_cache_is_the_kubernetes_redis_with_nothing_known_written(project: Get) -> None:
    result = project("py-django-clinic").link()
    redis = result.evidence_for("k8s:StatefulSet/clinic/redis")
    assert redis is not None
    assert redis.personal_data.status is PersonalDataStatus.UNKNOWN
    assert redis.fields == ()
    assert redis.sites == ()  # a setting, not a write: no edge


# --- FastAPI + SQLAlchemy ---------------------------------------------------------------------

ORDERS_DB = "terraform:aws_db_instance.orders"
AUDIT = "terraform:aws_dynamodb_table.audit"
INVOICES = "code:s3://acme-orders-invoices"


def test_fastapi_orders_stores_and_edges(project: Get) -> None:
    result = project("py-fastapi-orders").link()
    [invoices] = result.stores
    assert (invoices.id, invoices.kind, invoices.file, invoices.line, invoices.name) == (
        INVOICES,
        "object_storage",
        "app/invoices.py",
        17,
        "acme-orders-invoices",
    )
    assert (invoices.location.provider, invoices.location.region, invoices.location.countries) == (
        "vkcs",
        "ru-msk",
        ("RU",),
    )
    assert invoices.location.evidence[1] == SourceRef(
        "app/config.py",
        11,
        'default of ORDERS_S3_ENDPOINT_URL: "https://hb.ru-msk.vkcloud-storage.ru"',
    )
    assert edges(result) == [
        ("code:app/audit.py:14", AUDIT, "put_item() writes email, ip_address"),
        ("code:app/invoices.py:17", INVOICES, "put_object() writes recipient_name"),
        (
            "code:app/models.py:23",
            ORDERS_DB,
            "SQLAlchemy model Order (table orders) is stored here",
        ),
        (
            "code:app/models.py:9",
            ORDERS_DB,
            "SQLAlchemy model Customer (table customers) is stored here",
        ),
        (
            "code:app/routers/customers.py:20",
            ORDERS_DB,
            "add() writes email, phone, full_name, birth_date, inn into customers",
        ),
        (
            "code:app/routers/orders.py:15",
            ORDERS_DB,
            "execute() writes recipient_name, recipient_phone, delivery_address into orders",
        ),
    ]


def test_fastapi_orders_personal_data_and_subjects(project: Get) -> None:
    result = project("py-fastapi-orders").link()
    database = result.evidence_for(ORDERS_DB)
    assert database is not None
    assert database.personal_data.categories == (
        "user.contact.address",
        "user.contact.email",
        "user.contact.phone_number",
        "user.demographic.date_of_birth",
        "user.government_id.inn",
        "user.name",
    )
    assert database.personal_data.subjects == ("RU",)
    assert ("inn", "app/models.py", 17) in fields(result, ORDERS_DB)
    assert ("delivery_address", "app/routers/orders.py", 21) in fields(result, ORDERS_DB)
    # the audit writer is called by the route that parses phones as Russian numbers
    assert fields(result, AUDIT) == [
        ("email", "app/audit.py", 18),
        ("ip_address", "app/audit.py", 19),
    ]
    assert subject_refs(result, AUDIT) == [
        SourceRef(
            "app/routers/customers.py",
            15,
            "the writing code handles RU data: 'RU' (country-code-ru)",
        )
    ]
    invoices = result.evidence_for(INVOICES)
    assert invoices is not None
    assert invoices.personal_data.categories == ("user.name",)
    assert invoices.personal_data.subjects == ()  # nothing in the invoice path says whose


# --- boto3 worker -----------------------------------------------------------------------------

SCANS_KYC = "code:s3://acme-kyc-scans"
EVENTS = "code:dynamodb://kyc-events"
CACHE = "k8s:StatefulSet/kyc/kyc-cache"


def test_boto3_worker_stores_from_environment_and_sdk_defaults(project: Get) -> None:
    result = project("py-boto3-worker").link()
    events, scans = result.stores
    assert (
        events.id,
        events.file,
        events.line,
        events.location.region,
        events.location.countries,
    ) == (
        EVENTS,
        "worker/handlers.py",
        34,
        "eu-central-1",
        ("DE",),
    )
    assert events.location.evidence == (
        SourceRef("worker/config.py", 3, "reads environment variable AWS_REGION (os.environ)"),
        SourceRef("deploy/worker.yaml", 7, "ConfigMap kyc-worker key AWS_REGION"),
    )
    assert (scans.id, scans.location.provider, scans.location.region, scans.location.countries) == (
        SCANS_KYC,
        "selectel",
        "ru-7",
        ("RU",),
    )
    assert edges(result) == [
        (
            "code:worker/handlers.py:19",
            SCANS_KYC,
            "upload_file() writes passport_series, passport_number",
        ),
        ("code:worker/handlers.py:34", EVENTS, "put_item() writes inn"),
        ("code:worker/handlers.py:35", CACHE, "hset() writes full_name, phone"),
    ]
    for store_id in (SCANS_KYC, EVENTS, CACHE):
        found = result.evidence_for(store_id)
        assert found is not None
        assert found.personal_data.subjects == ("RU",)
        assert (
            SourceRef(
                "worker/handlers.py", 17, "the writing code handles RU data: 'RU' (country-code-ru)"
            )
            in found.personal_data.evidence
        )
    assert fields(result, CACHE) == [
        ("full_name", "worker/handlers.py", 37),
        ("phone", "worker/handlers.py", 37),
    ]
    assert fields(result, EVENTS) == [("inn", "worker/handlers.py", 34)]


# --- psycopg script ---------------------------------------------------------------------------

NEON = "code:postgresql://ep-cool-darkness-123456.eu-central-1.aws.neon.tech/analytics"
PG_MAIN = "code:postgresql://pg-main.msk.acme.internal/registry"


def test_psycopg_script_sql_columns_and_own_endpoint(project: Get) -> None:
    result = project("py-psycopg-import").link()
    neon, pg_main = result.stores
    assert (neon.id, neon.name, neon.file, neon.line, neon.location.countries) == (
        NEON,
        "analytics",
        "export_report.py",
        20,
        ("DE",),
    )
    assert (pg_main.id, pg_main.location.status, pg_main.location.countries) == (
        PG_MAIN,
        LocationStatus.RESOLVED,
        ("RU",),
    )
    assert pg_main.location.evidence[-1] == SourceRef(
        ".residency-audit.yaml",
        3,
        "config declares host pg-main.msk.acme.internal (pg-main.msk.acme.internal)",
    )
    # the SELECT in fetch_contacts() is a read: no edge
    assert edges(result) == [
        (
            "code:export_report.py:28",
            NEON,
            "execute_values() writes full_name, email into weekly_contacts",
        ),
        (
            "code:import_patients.py:43",
            PG_MAIN,
            "executemany() writes snils, last_name, first_name, birth_date, phone into patients",
        ),
        (
            "code:import_patients.py:44",
            PG_MAIN,
            "copy() writes patient_snils, oms_policy into visits",
        ),
    ]
    assert fields(result, PG_MAIN) == [
        ("snils", "import_patients.py", 16),
        ("last_name", "import_patients.py", 16),
        ("first_name", "import_patients.py", 16),
        ("birth_date", "import_patients.py", 16),
        ("phone", "import_patients.py", 16),
        ("patient_snils", "import_patients.py", 44),
        ("oms_policy", "import_patients.py", 44),
    ]
    neon_evidence = result.evidence_for(NEON)
    assert neon_evidence is not None
    assert neon_evidence.personal_data.subjects == ("RU",)
    assert subject_refs(result, NEON) == [
        SourceRef(
            "export_report.py", 19, "the writing code handles RU data: 'RU' (country-code-ru)"
        )
    ]
    # the registry's subjects come from SNILS, not from the exporter that only reads it
    registry = result.evidence_for(PG_MAIN)
    assert registry is not None
    assert registry.personal_data.subjects == ("RU",)
    assert subject_refs(result, PG_MAIN) == []
    assert (
        SourceRef(
            "import_patients.py",
            16,
            "code writes snils, a Russian-specific identifier (user.government_id.snils)",
        )
        in registry.personal_data.evidence
    )
