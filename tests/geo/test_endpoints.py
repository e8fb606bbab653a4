from __future__ import annotations

import re

import pytest

from residency_audit.geo.endpoints import (
    EndpointMatch,
    endpoint_rules,
    host_of,
    hosts_of,
    match_host,
)
from residency_audit.geo.regions import PROVIDERS, locate, lookup_region
from residency_audit.model import LocationStatus, SourceRef

# Every row of endpoints.yaml, with hosts written the way they show up in real configs:
# row id -> [(host, provider, region, service)]
EXAMPLES: dict[str, list[tuple[str, str, str | None, str]]] = {
    "aws-s3-external-1": [("s3-external-1.amazonaws.com", "aws", "us-east-1", "s3")],
    "aws-s3-website": [
        ("shop-assets.s3-website-eu-west-1.amazonaws.com", "aws", "eu-west-1", "s3-website"),
        ("shop-assets.s3-website.eu-central-1.amazonaws.com", "aws", "eu-central-1", "s3-website"),
    ],
    "aws-s3-accesspoint": [
        (
            "uploads-123456789012.s3-accesspoint.eu-north-1.amazonaws.com",
            "aws",
            "eu-north-1",
            "s3-accesspoint",
        )
    ],
    "aws-s3-multi-region-access-point": [
        (
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
            "aws",
            None,
            "s3-multi-region-access-point",
        ),
    ],
    "aws-s3-accelerate": [("media-prod.s3-accelerate.amazonaws.com", "aws", None, "s3-accelerate")],
    "aws-s3": [
        ("s3.eu-central-1.amazonaws.com", "aws", "eu-central-1", "s3"),
        ("customer-docs.s3.eu-central-1.amazonaws.com", "aws", "eu-central-1", "s3"),
        ("backups.acme.ru.s3.eu-west-1.amazonaws.com", "aws", "eu-west-1", "s3"),
        ("s3.dualstack.ap-south-1.amazonaws.com", "aws", "ap-south-1", "s3"),
        ("s3-fips.us-gov-west-1.amazonaws.com", "aws", "us-gov-west-1", "s3"),
        ("invoices.s3.cn-north-1.amazonaws.com.cn", "aws", "cn-north-1", "s3"),
        ("s3.eusc-de-east-1.amazonaws.eu", "aws", "eusc-de-east-1", "s3"),
    ],
    "aws-s3-legacy-dash": [
        ("s3-eu-west-1.amazonaws.com", "aws", "eu-west-1", "s3"),
        ("old-bucket.s3-ap-southeast-2.amazonaws.com", "aws", "ap-southeast-2", "s3"),
    ],
    "aws-s3-global": [
        ("s3.amazonaws.com", "aws", None, "s3"),
        ("user-avatars.s3.amazonaws.com", "aws", None, "s3"),
    ],
    "aws-rds-cluster": [
        ("orders.cluster-c9akciq32lce.eu-west-1.rds.amazonaws.com", "aws", "eu-west-1", "rds"),
        ("orders.cluster-ro-c9akciq32lce.eu-west-1.rds.amazonaws.com", "aws", "eu-west-1", "rds"),
        (
            "reports.cluster-custom-c9akciq32lce.us-east-2.rds.amazonaws.com",
            "aws",
            "us-east-2",
            "rds",
        ),
    ],
    "aws-rds-proxy": [
        (
            "app-proxy.proxy-c9akciq32lce.eu-central-1.rds.amazonaws.com",
            "aws",
            "eu-central-1",
            "rds-proxy",
        ),
    ],
    "aws-rds-instance": [
        ("users-db.c9akciq32lce.eu-central-1.rds.amazonaws.com", "aws", "eu-central-1", "rds"),
        ("crm.cxq1w2e3r4t5.cn-northwest-1.rds.amazonaws.com.cn", "aws", "cn-northwest-1", "rds"),
    ],
    "aws-docdb": [
        (
            "profiles.cluster-c9akciq32lce.eu-west-2.docdb.amazonaws.com",
            "aws",
            "eu-west-2",
            "docdb",
        ),
        ("profiles-1.c9akciq32lce.eu-west-2.docdb.amazonaws.com", "aws", "eu-west-2", "docdb"),
    ],
    "aws-neptune": [
        (
            "graph.cluster-ro-c9akciq32lce.us-west-2.neptune.amazonaws.com",
            "aws",
            "us-west-2",
            "neptune",
        ),
    ],
    "aws-redshift-serverless": [
        (
            "analytics.123456789012.eu-central-1.redshift-serverless.amazonaws.com",
            "aws",
            "eu-central-1",
            "redshift-serverless",
        ),
    ],
    "aws-redshift": [
        ("dwh.cuzf0l9jqbbx.eu-north-1.redshift.amazonaws.com", "aws", "eu-north-1", "redshift"),
    ],
    "aws-dynamodb": [
        ("dynamodb.eu-central-1.amazonaws.com", "aws", "eu-central-1", "dynamodb"),
        ("streams.dynamodb.us-east-1.amazonaws.com", "aws", "us-east-1", "dynamodb"),
        ("dynamodb-fips.us-gov-east-1.amazonaws.com", "aws", "us-gov-east-1", "dynamodb"),
    ],
    "aws-dax": [
        ("sessions.8fq3kx.dax-clusters.eu-west-1.amazonaws.com", "aws", "eu-west-1", "dax"),
    ],
    "aws-elasticache-serverless": [
        ("carts-5fzq2x.serverless.euc1.cache.amazonaws.com", "aws", "eu-central-1", "elasticache"),
    ],
    "aws-elasticache": [
        ("sessions.x1y2z3.ng.0001.euw1.cache.amazonaws.com", "aws", "eu-west-1", "elasticache"),
        ("sessions-ro.x1y2z3.ng.0001.euw1.cache.amazonaws.com", "aws", "eu-west-1", "elasticache"),
        ("carts.x1y2z3.clustercfg.use1.cache.amazonaws.com", "aws", "us-east-1", "elasticache"),
        ("master.carts.x1y2z3.apse1.cache.amazonaws.com", "aws", "ap-southeast-1", "elasticache"),
        ("memcached.x1y2z3.cfg.cnn1.cache.amazonaws.com.cn", "aws", "cn-north-1", "elasticache"),
    ],
    "aws-memorydb": [
        (
            "clustercfg.leaderboard.x1y2z3.memorydb.eu-central-1.amazonaws.com",
            "aws",
            "eu-central-1",
            "memorydb",
        ),
    ],
    "aws-opensearch": [
        (
            "search-logs-abcdefghijklmnop.eu-west-1.es.amazonaws.com",
            "aws",
            "eu-west-1",
            "opensearch",
        ),
        ("vpc-catalog-4kq2z7cf9x3v.us-east-1.es.amazonaws.com", "aws", "us-east-1", "opensearch"),
    ],
    "aws-opensearch-serverless": [
        (
            "07tjusf2h91cunochc.eu-central-1.aoss.amazonaws.com",
            "aws",
            "eu-central-1",
            "opensearch-serverless",
        ),
    ],
    "aws-msk-serverless": [
        ("boot-abcd1234.c2.kafka-serverless.eu-west-1.amazonaws.com", "aws", "eu-west-1", "msk"),
    ],
    "aws-msk": [
        ("b-1.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com", "aws", "eu-central-1", "msk"),
        (
            "b-2-public.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com",
            "aws",
            "eu-central-1",
            "msk",
        ),
        ("z-3.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com", "aws", "eu-central-1", "msk"),
    ],
    "aws-mq": [
        (
            "b-1234abcd-12ab-34cd-56ef-1234567890ab-1.mq.eu-west-1.amazonaws.com",
            "aws",
            "eu-west-1",
            "mq",
        ),
    ],
    "aws-sqs": [("sqs.eu-west-1.amazonaws.com", "aws", "eu-west-1", "sqs")],
    "aws-sqs-legacy": [("eu-west-1.queue.amazonaws.com", "aws", "eu-west-1", "sqs")],
    "aws-kinesis": [
        ("kinesis.eu-central-1.amazonaws.com", "aws", "eu-central-1", "kinesis"),
        ("firehose.us-east-1.amazonaws.com", "aws", "us-east-1", "firehose"),
    ],
    "aws-logs": [("logs.eu-north-1.amazonaws.com", "aws", "eu-north-1", "logs")],
    "aws-cognito-idp": [
        ("cognito-idp.eu-central-1.amazonaws.com", "aws", "eu-central-1", "cognito-idp"),
    ],
    "aws-dualstack-api": [
        ("dynamodb.eu-west-3.api.aws", "aws", "eu-west-3", "dynamodb"),
        ("sqs.ap-northeast-1.api.aws", "aws", "ap-northeast-1", "sqs"),
    ],
    "aws-cloudfront": [("d111111abcdef8.cloudfront.net", "aws", None, "cloudfront")],
    "gcp-storage-regional": [
        ("storage.me-central2.rep.googleapis.com", "gcp", "me-central2", "gcs"),
    ],
    "gcp-storage": [
        ("storage.googleapis.com", "gcp", None, "gcs"),
        ("exports-prod.storage.googleapis.com", "gcp", None, "gcs"),
        ("storage.cloud.google.com", "gcp", None, "gcs"),
    ],
    "gcp-firebase-rtdb-regional": [
        (
            "shop-default-rtdb.europe-west1.firebasedatabase.app",
            "gcp",
            "europe-west1",
            "firebase-rtdb",
        ),
    ],
    "gcp-firebase-rtdb-us": [("shop-prod.firebaseio.com", "gcp", "us-central1", "firebase-rtdb")],
    "gcp-cloud-run": [
        ("billing-api-123456789012.europe-west4.run.app", "gcp", "europe-west4", "cloud-run"),
    ],
    "gcp-cloud-run-legacy": [("billing-api-3xq5ebvkza-ew.a.run.app", "gcp", None, "cloud-run")],
    "gcp-regional-api": [
        ("europe-west1-aiplatform.googleapis.com", "gcp", "europe-west1", "aiplatform"),
        ("us-central1-pubsub.googleapis.com", "gcp", "us-central1", "pubsub"),
    ],
    "gcp-firestore": [("firestore.googleapis.com", "gcp", None, "firestore")],
    "gcp-bigquery": [("bigquery.googleapis.com", "gcp", None, "bigquery")],
    "azure-storage": [
        ("acmeprodlogs.blob.core.windows.net", "azure", None, "blob"),
        ("datalake01.dfs.core.windows.net", "azure", None, "dfs"),
        ("acmefiles.file.core.chinacloudapi.cn", "azure", None, "file"),
        ("govstore.queue.core.usgovcloudapi.net", "azure", None, "queue"),
    ],
    "azure-sql": [("acme-sql-prod.database.windows.net", "azure", None, "sql")],
    "azure-database": [
        ("orders-pg.postgres.database.azure.com", "azure", None, "postgres"),
        ("legacy-mysql.mysql.database.azure.com", "azure", None, "mysql"),
    ],
    "azure-cosmos": [
        ("acme-profiles.documents.azure.com", "azure", None, "cosmos"),
        ("acme-events.mongo.cosmos.azure.com", "azure", None, "cosmos"),
    ],
    "azure-managed-redis": [
        ("sessions.westeurope.redis.azure.net", "azure", "westeurope", "redis")
    ],
    "azure-cache-redis": [("acme-cache.redis.cache.windows.net", "azure", None, "redis")],
    "azure-data-explorer": [
        ("telemetry.northeurope.kusto.windows.net", "azure", "northeurope", "kusto"),
        ("ingest-telemetry.northeurope.kusto.windows.net", "azure", "northeurope", "kusto"),
        (
            "telemetry.privatelink.swedencentral.kusto.windows.net",
            "azure",
            "swedencentral",
            "kusto",
        ),
    ],
    "azure-service-bus": [("acme-bus.servicebus.windows.net", "azure", None, "servicebus")],
    "azure-search": [("acme-search.search.windows.net", "azure", None, "search")],
    "azure-synapse": [("acme-ws-ondemand.sql.azuresynapse.net", "azure", None, "synapse")],
    "azure-edge": [
        ("acme-static.azureedge.net", "azure", None, "cdn"),
        ("acme-fd-b8fxgahd9bcvd3dq.z01.azurefd.net", "azure", None, "cdn"),
    ],
    "yandex-storage": [
        ("storage.yandexcloud.net", "yandex", "ru-central1", "object-storage"),
        ("user-uploads.storage.yandexcloud.net", "yandex", "ru-central1", "object-storage"),
        ("promo.website.yandexcloud.net", "yandex", "ru-central1", "object-storage"),
    ],
    "yandex-storage-kz": [
        ("storage.yandexcloud.kz", "yandex", "kz1", "object-storage"),
        ("sapaedu.storage.yandexcloud.kz", "yandex", "kz1", "object-storage"),
    ],
    "yandex-mdb-host": [
        ("rc1a-5fr0z8jvfu4hq1ez.mdb.yandexcloud.net", "yandex", "ru-central1", "mdb"),
        ("rc1d-q2w3e4r5t6y7u8i9.mdb.yandexcloud.net", "yandex", "ru-central1", "mdb"),
        ("rc1b-dataproc-m-ab12cd34ef56.mdb.yandexcloud.net", "yandex", "ru-central1", "mdb"),
    ],
    "yandex-mdb-special": [
        ("c-c9qg8tngn2pmlrkl0cv1.rw.mdb.yandexcloud.net", "yandex", "ru-central1", "mdb"),
        ("c-c9qg8tngn2pmlrkl0cv1.ro.mdb.yandexcloud.net", "yandex", "ru-central1", "mdb"),
    ],
    "yandex-ydb": [
        ("ydb.serverless.yandexcloud.net", "yandex", "ru-central1", "ydb"),
        ("lb.etnb3pqkl7d0bk3fv5lo.ydb.mdb.yandexcloud.net", "yandex", "ru-central1", "ydb"),
    ],
    "yandex-mdb-host-kz": [
        ("kz1-a-c8qmrn1ppvob7n7q.mdb.yandexcloud.kz", "yandex", "kz1", "mdb"),
    ],
    "yandex-mdb-special-kz": [
        ("c-c8qk7b2m4l0v9d8s.rw.mdb.yandexcloud.kz", "yandex", "kz1", "mdb"),
    ],
    "yandex-message-queue": [
        ("message-queue.api.cloud.yandex.net", "yandex", "ru-central1", "message-queue"),
    ],
    "yandex-api": [
        ("iam.api.cloud.yandex.net", "yandex", "ru-central1", "api"),
        ("api.cloud.yandex.net", "yandex", "ru-central1", "api"),
    ],
    "yandex-kz": [("iam.api.yandexcloud.kz", "yandex", "kz1", "api")],
    "vkcs-object-storage": [
        ("hb.ru-msk.vkcloud-storage.ru", "vkcs", "ru-msk", "object-storage"),
        ("hb.vkcloud-storage.ru", "vkcs", "ru-msk", "object-storage"),
        ("passport-scans.hb.ru-msk.vkcloud-storage.ru", "vkcs", "ru-msk", "object-storage"),
        ("hb.kz-ast.vkcloud-storage.ru", "vkcs", "kz-ast", "object-storage"),
        ("hb.kz-ast.vkcs.cloud", "vkcs", "kz-ast", "object-storage"),
        ("media.hb.bizmrg.com", "vkcs", "ru-msk", "object-storage"),
    ],
    "vkcs-api-kz": [
        ("kz.infra.mail.ru", "vkcs", "kz", "api"),
        ("kz.cloud.vk.kz", "vkcs", "kz", "api"),
    ],
    "vkcs-api": [
        ("infra.mail.ru", "vkcs", "RegionOne", "api"),
        ("public.infra.mail.ru", "vkcs", "RegionOne", "api"),
        ("msk.cloud.vk.com", "vkcs", "RegionOne", "api"),
    ],
    "vkcs-paas": [("mlflow-3f2a.ml.msk.vkcs.cloud", "vkcs", "RegionOne", "paas")],
    "selectel-s3-default": [
        ("s3.storage.selcloud.ru", "selectel", "ru-1", "object-storage"),
    ],
    "selectel-s3": [
        ("s3.ru-1.storage.selcloud.ru", "selectel", "ru-1", "object-storage"),
        ("s3.ru-7.storage.selcloud.ru", "selectel", "ru-7", "object-storage"),
        ("s3.gis-1.storage.selcloud.ru", "selectel", "gis-1", "object-storage"),
        ("s3.kz-1.storage.selcloud.ru", "selectel", "kz-1", "object-storage"),
        ("s3.uz-2.storage.selcloud.ru", "selectel", "uz-2", "object-storage"),
        ("contracts.s3.ru-3.storage.selcloud.ru", "selectel", "ru-3", "object-storage"),
    ],
    "selectel-swift": [("swift.ru-1.storage.selcloud.ru", "selectel", "ru-1", "object-storage")],
    "selectel-storage-legacy": [
        ("7f3c2a10-4b5e-4c1d-9f00-aa11bb22cc33.selstorage.ru", "selectel", None, "object-storage"),
        ("static.selcdn.ru", "selectel", None, "object-storage"),
    ],
    "selectel-dbaas": [
        (
            "master.2b1e5f0a-7c3d-4e8f-9a6b-1c2d3e4f5a6b.c.dbaas.selcloud.ru",
            "selectel",
            None,
            "dbaas",
        ),
        (
            "replicas.2b1e5f0a-7c3d-4e8f-9a6b-1c2d3e4f5a6b.c.dbaas.selcloud.ru",
            "selectel",
            None,
            "dbaas",
        ),
    ],
    "selectel-api": [
        ("ru-9.dbaas.selcloud.ru", "selectel", "ru-9", "dbaas"),
        ("ru-3.mks.selcloud.ru", "selectel", "ru-3", "mks"),
        ("gis-2.cloud.api.selcloud.ru", "selectel", "gis-2", "cloud.api"),
    ],
    "selectel-identity": [("cloud.api.selcloud.ru", "selectel", None, "api")],
    "servercore-s3-uz": [
        ("s3.uz-2.srvstorage.uz", "selectel", "uz-2", "object-storage"),
        ("5c1d2e3f-0a9b-4c8d-8e7f-6a5b4c3d2e1f.srvstatic.uz", "selectel", "uz-2", "object-storage"),
    ],
    "servercore-s3-kz": [("s3.kz-1.srvstorage.kz", "selectel", "kz-1", "object-storage")],
    "cloudru-obs": [
        ("obs.ru-moscow-1.hc.sbercloud.ru", "cloudru", "ru-moscow-1", "object-storage"),
        ("patients.obs.ru-moscow-1.hc.sbercloud.ru", "cloudru", "ru-moscow-1", "object-storage"),
    ],
    "cloudru-advanced-api": [
        ("iam.ru-moscow-1.hc.sbercloud.ru", "cloudru", "ru-moscow-1", "iam"),
        ("dcs.ru-moscow-1.hc.cloud.ru", "cloudru", "ru-moscow-1", "dcs"),
    ],
    "cloudru-evolution-s3": [("s3.cloud.ru", "cloudru", "ru-central-1", "object-storage")],
    "huawei-obs": [
        ("obs.ru-northwest-2.myhuaweicloud.com", "huawei", "ru-northwest-2", "object-storage"),
        (
            "terraform-obs-state.obs.cn-north-4.myhuaweicloud.com",
            "huawei",
            "cn-north-4",
            "object-storage",
        ),
        ("obs.eu-west-101.myhuaweicloud.eu", "huawei", "eu-west-101", "object-storage"),
    ],
    "huawei-api": [
        ("rds.ap-southeast-3.myhuaweicloud.com", "huawei", "ap-southeast-3", "rds"),
        ("dcs.tr-west-1.myhuaweicloud.com", "huawei", "tr-west-1", "dcs"),
    ],
    "alicloud-oss-accelerate": [("oss-accelerate.aliyuncs.com", "alicloud", None, "oss")],
    "alicloud-oss": [
        ("oss-cn-hangzhou.aliyuncs.com", "alicloud", "cn-hangzhou", "oss"),
        ("assets.oss-eu-central-1.aliyuncs.com", "alicloud", "eu-central-1", "oss"),
        ("oss-ap-southeast-1-internal.aliyuncs.com", "alicloud", "ap-southeast-1", "oss"),
    ],
    "alicloud-api": [
        ("r-kvstore.cn-shanghai.aliyuncs.com", "alicloud", "cn-shanghai", "r-kvstore"),
        ("clickhouse-vpc.ap-southeast-1.aliyuncs.com", "alicloud", "ap-southeast-1", "clickhouse"),
    ],
    "alicloud-db-instance": [
        ("rm-bp1x2y3z4a5b6c7d8.mysql.rds.aliyuncs.com", "alicloud", None, "rds"),
        ("r-bp1a2b3c4d5e6f7g8.redis.rds.aliyuncs.com", "alicloud", None, "rds"),
    ],
    "tencent-cos": [
        ("cos.ap-guangzhou.myqcloud.com", "tencent", "ap-guangzhou", "cos"),
        ("avatars-1250000000.cos.eu-moscow.myqcloud.com", "tencent", "eu-moscow", "cos"),
    ],
    "oci-object-storage": [
        ("objectstorage.eu-frankfurt-1.oraclecloud.com", "oci", "eu-frankfurt-1", "object-storage"),
        (
            "axaxnpcrorw5.compat.objectstorage.uk-london-1.oraclecloud.com",
            "oci",
            "uk-london-1",
            "object-storage",
        ),
    ],
    "oci-nosql": [("nosql.us-ashburn-1.oci.oraclecloud.com", "oci", "us-ashburn-1", "nosql")],
    "oci-autonomous-db": [
        ("adb.eu-amsterdam-1.oraclecloud.com", "oci", "eu-amsterdam-1", "autonomous-db"),
    ],
    "digitalocean-spaces": [
        ("fra1.digitaloceanspaces.com", "digitalocean", "fra1", "spaces"),
        ("media.ams3.digitaloceanspaces.com", "digitalocean", "ams3", "spaces"),
        ("media.sgp1.cdn.digitaloceanspaces.com", "digitalocean", "sgp1", "spaces"),
    ],
    "digitalocean-database": [
        (
            "db-postgresql-fra1-12345-do-user-1234567-0.b.db.ondigitalocean.com",
            "digitalocean",
            None,
            "database",
        ),
    ],
    "hetzner-object-storage": [
        ("fsn1.your-objectstorage.com", "hetzner", "fsn1", "object-storage"),
        ("invoices.hel1.your-objectstorage.com", "hetzner", "hel1", "object-storage"),
    ],
    "ovh-object-storage": [
        ("s3.gra.io.cloud.ovh.net", "ovh", "GRA", "object-storage"),
        ("backups.s3.eu-west-par.io.cloud.ovh.net", "ovh", "EU-WEST-PAR", "object-storage"),
        ("s3.us-east-va.io.cloud.ovh.us", "ovh", "US-EAST-VA", "object-storage"),
        ("s3.waw.perf.cloud.ovh.net", "ovh", "WAW", "object-storage"),
    ],
    "ovh-database": [
        ("postgresql-5f3a1b2c-o1d2e3f4a.database.cloud.ovh.net", "ovh", None, "database")
    ],
    "linode-object-storage": [
        ("us-east-1.linodeobjects.com", "linode", "us-east-1", "object-storage"),
        ("archive.nl-ams-1.linodeobjects.com", "linode", "nl-ams", "object-storage"),
    ],
    "ibm-cos": [
        ("s3.us-south.cloud-object-storage.appdomain.cloud", "ibm", "us-south", "cos"),
        ("s3.private.eu-de.cloud-object-storage.appdomain.cloud", "ibm", "eu-de", "cos"),
        ("s3.eu.cloud-object-storage.appdomain.cloud", "ibm", "eu", "cos"),
        ("s3.ams03.cloud-object-storage.appdomain.cloud", "ibm", "ams03", "cos"),
    ],
    "ibm-databases": [
        (
            "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e.c7e0lq3d0hi8kmj6bqu0.databases.appdomain.cloud",
            "ibm",
            None,
            "database",
        ),
    ],
    "neon": [
        (
            "ep-cool-darkness-123456.eu-central-1.aws.neon.tech",
            "aws",
            "eu-central-1",
            "neon-postgres",
        ),
        (
            "ep-cool-darkness-123456-pooler.c-2.us-east-2.aws.neon.tech",
            "aws",
            "us-east-2",
            "neon-postgres",
        ),
        ("ep-quiet-field-654321.eastus2.azure.neon.tech", "azure", "eastus2", "neon-postgres"),
    ],
    "supabase-pooler": [
        ("aws-0-eu-central-1.pooler.supabase.com", "aws", "eu-central-1", "supabase"),
    ],
    "supabase-direct": [("db.abcdefghijklmnopqrst.supabase.co", "aws", None, "supabase")],
    "confluent-cloud": [
        ("pkc-4r087.europe-west1.gcp.confluent.cloud", "gcp", "europe-west1", "kafka"),
    ],
    "elastic-cloud": [
        (
            "search-prod.es.eu-central-1.aws.elastic-cloud.com",
            "aws",
            "eu-central-1",
            "elasticsearch",
        ),
        ("3f8a9b0c1d2e.westeurope.azure.elastic-cloud.com", "azure", "westeurope", "elasticsearch"),
    ],
    "redis-cloud": [
        ("redis-12345.c1.us-east-1-2.ec2.cloud.redislabs.com", "aws", "us-east-1", "redis"),
        ("redis-16379.c8.europe-west1-1.gce.cloud.redislabs.com", "gcp", "europe-west1", "redis"),
    ],
    "cockroachdb-cloud": [
        (
            "shop-7421.8nj.aws-eu-central-1.cockroachlabs.cloud",
            "aws",
            "eu-central-1",
            "cockroachdb",
        ),
    ],
}

CASES = [
    pytest.param(host, EndpointMatch(provider, region, service, row_id), id=host)
    for row_id, examples in EXAMPLES.items()
    for host, provider, region, service in examples
]


def test_every_table_row_has_examples() -> None:
    assert [rule.id for rule in endpoint_rules()] == list(EXAMPLES)


def test_every_table_row_is_well_formed() -> None:
    ids = [rule.id for rule in endpoint_rules()]
    assert len(ids) == len(set(ids))
    for rule in endpoint_rules():
        assert "${" not in rule.pattern, rule.id
        assert not rule.pattern.startswith("^") and not rule.pattern.endswith("$"), rule.id
        regex = re.compile(rule.pattern)
        assert rule.verified in ("V", "P", "U"), rule.id
        assert rule.provider is not None or "cloud" in regex.groupindex, rule.id
        providers = {rule.provider} if rule.provider else {p for _, p in rule.clouds}
        assert providers and providers <= PROVIDERS, rule.id
        if rule.region or rule.default_region:
            assert rule.provider is not None, rule.id
        for fixed in (rule.region, rule.default_region):
            if fixed is not None:
                assert rule.provider is not None
                known = lookup_region(rule.provider, fixed)
                assert known is not None and known.code == fixed, rule.id
        assert not (rule.region and "region" in regex.groupindex), rule.id


@pytest.mark.parametrize(("host", "expected"), CASES)
def test_match_host(host: str, expected: EndpointMatch) -> None:
    assert match_host(host) == expected


def test_example_regions_are_catalog_regions() -> None:
    for _, examples in EXAMPLES.items():
        for host, provider, region, _service in examples:
            if region is not None:
                known = lookup_region(provider, region)
                assert known is not None and known.code == region, host


@pytest.mark.parametrize(
    "host",
    [
        "evil-amazonaws.com.attacker.net",
        "s3.eu-central-1.amazonaws.com.attacker.net",
        "mybucket.s3.amazonaws.com.evil.org",
        "amazonaws.com",
        "notamazonaws.com",
        "s3.eu-central-1.notamazonaws.com",
        "storage.yandexcloud.net.phish.ru",
        "xstorage.yandexcloud.net",
        "hb.ru-msk.vkcloud-storage.ru.example.com",
        "s3.ru-1.storage.selcloud.ru.evil.io",
        "acct.blob.core.windows.net.evil.com",
        "rc1a-abc.mdb.yandexcloud.net.evil",
        "example.com",
        "localhost",
        "postgres",
        "10.0.4.17",
        "mybucket.s3.eu-central-1.amazonaws.com:443",
        "https://s3.eu-central-1.amazonaws.com",
        "${S3_HOST}",
        "",
        "   ",
        "a" * 300 + ".amazonaws.com",
    ],
)
def test_non_matches(host: str) -> None:
    assert match_host(host) is None


def test_matching_is_case_insensitive_and_ignores_trailing_dot() -> None:
    assert match_host("Customer-Docs.S3.EU-CENTRAL-1.AmazonAWS.com.") == EndpointMatch(
        "aws", "eu-central-1", "s3", "aws-s3"
    )
    assert match_host("  Storage.YandexCloud.NET ") == EndpointMatch(
        "yandex", "ru-central1", "object-storage", "yandex-storage"
    )


def test_unknown_region_token_is_passed_on_for_locate_to_report() -> None:
    found = match_host("s3.eu-moon-1.amazonaws.com")
    assert found == EndpointMatch("aws", "eu-moon-1", "s3", "aws-s3")
    where = SourceRef("app/settings.py", 31, f"AWS_S3_ENDPOINT_URL host matched {found.pattern}")
    location = locate(found.provider, found.region or "", (), where)
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1].note == "region 'eu-moon-1' is not a known aws region"


def test_yandex_mdb_host_locates_in_russia() -> None:
    found = match_host("rc1b-q2w3e4r5t6y7u8i9.mdb.yandexcloud.net")
    assert found is not None and found.region is not None
    where = SourceRef("app/db.py", 8, "DATABASE_URL host rc1b-q2w3e4r5t6y7u8i9.mdb.yandexcloud.net")
    location = locate(found.provider, found.region, (), where)
    assert (location.status, location.region, location.countries) == (
        LocationStatus.RESOLVED,
        "ru-central1",
        ("RU",),
    )


def test_selectel_host_in_kazakhstan_is_not_russia() -> None:
    found = match_host("s3.kz-1.storage.selcloud.ru")
    assert found is not None and found.region == "kz-1"
    where = SourceRef("settings.py", 2, "AWS_S3_ENDPOINT_URL")
    assert locate(found.provider, found.region, (), where).countries == ("KZ",)


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        (
            "postgresql+psycopg2://app:s3cr3t@orders.c9akciq32lce.eu-west-1.rds.amazonaws.com:5432/orders",
            ("orders.c9akciq32lce.eu-west-1.rds.amazonaws.com",),
        ),
        ("https://storage.yandexcloud.net", ("storage.yandexcloud.net",)),
        ("https://Storage.YandexCloud.net/bucket/key.pdf", ("storage.yandexcloud.net",)),
        (
            "mongodb://svc:pw@rc1a-abc.mdb.yandexcloud.net:27018,rc1b-def.mdb.yandexcloud.net:27018/shop?replicaSet=rs01",
            ("rc1a-abc.mdb.yandexcloud.net", "rc1b-def.mdb.yandexcloud.net"),
        ),
        (
            "mongodb+srv://app:pw@cluster0.ab1cd.mongodb.net/?retryWrites=true",
            ("cluster0.ab1cd.mongodb.net",),
        ),
        (
            "rediss://:p%40ss@master.carts.x1y2z3.euw1.cache.amazonaws.com:6379/0",
            ("master.carts.x1y2z3.euw1.cache.amazonaws.com",),
        ),
        ("redis://default:pw@10.0.4.17:6379", ("10.0.4.17",)),
        ("s3://customer-docs/2024/contract.pdf", ("customer-docs",)),
        ("gs://exports-prod/daily/", ("exports-prod",)),
        (
            "abfss://raw@datalake01.dfs.core.windows.net/events/",
            ("datalake01.dfs.core.windows.net",),
        ),
        (
            "jdbc:postgresql://users-db.c9akciq32lce.eu-central-1.rds.amazonaws.com:5432/users",
            ("users-db.c9akciq32lce.eu-central-1.rds.amazonaws.com",),
        ),
        (
            "jdbc:sqlserver://acme-sql-prod.database.windows.net:1433;databaseName=crm;encrypt=true",
            ("acme-sql-prod.database.windows.net",),
        ),
        (
            "jdbc:oracle:thin:@//adb.eu-frankfurt-1.oraclecloud.com:1522/crm_high",
            ("adb.eu-frankfurt-1.oraclecloud.com",),
        ),
        ("jdbc:oracle:thin:@db01.corp.example:1521:ORCL", ("db01.corp.example",)),
        (
            "(description=(address=(protocol=tcps)(port=1522)(host=adb.eu-amsterdam-1.oraclecloud.com))(connect_data=(service_name=x_high.adb.oraclecloud.com)))",
            ("adb.eu-amsterdam-1.oraclecloud.com",),
        ),
        (
            "Server=tcp:acme-sql-prod.database.windows.net,1433;Initial Catalog=crm;"
            "Persist Security Info=False;User ID=app;Password=x;",
            ("acme-sql-prod.database.windows.net",),
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=acmeprodlogs;AccountKey=bm90IGEga2V5==;EndpointSuffix=core.windows.net",
            ("acmeprodlogs.blob.core.windows.net",),
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=cnstore;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
            ("cnstore.blob.core.chinacloudapi.cn",),
        ),
        (
            "AccountEndpoint=https://acme-profiles.documents.azure.com:443/;AccountKey=a2V5==;",
            ("acme-profiles.documents.azure.com",),
        ),
        (
            "Host=orders-pg.postgres.database.azure.com;Port=5432;Database=orders;Username=app",
            ("orders-pg.postgres.database.azure.com",),
        ),
        (
            "host=c-c9qg8tngn2pmlrkl0cv1.rw.mdb.yandexcloud.net port=6432 dbname=shop"
            " sslmode=verify-full",
            ("c-c9qg8tngn2pmlrkl0cv1.rw.mdb.yandexcloud.net",),
        ),
        (
            "b-1.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com:9094,b-2.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com:9094",
            (
                "b-1.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com",
                "b-2.events.a1b2c3.c2.kafka.eu-central-1.amazonaws.com",
            ),
        ),
        ("hb.ru-msk.vkcloud-storage.ru:443", ("hb.ru-msk.vkcloud-storage.ru",)),
        ("storage.googleapis.com/exports-prod/x.csv", ("storage.googleapis.com",)),
        ("[2001:db8::10]:5432", ("2001:db8::10",)),
        ("postgres://u:p@[2001:db8::10]:5432/db", ("2001:db8::10",)),
        (
            "'redis-primary.cache.svc.cluster.local:6379'",
            ("redis-primary.cache.svc.cluster.local",),
        ),
        ("file:///var/lib/data.db", ()),
        ("sqlite:///app.db", ()),
        ("${DATABASE_URL}", ()),
        ("{{ .Values.db.host }}", ()),
        ("not a host at all", ()),
        ("", ()),
    ],
)
def test_hosts_of(value: str, hosts: tuple[str, ...]) -> None:
    assert hosts_of(value) == hosts
    assert host_of(value) == (hosts[0] if hosts else None)


@pytest.mark.parametrize(
    "value", ["://", "jdbc:", "jdbc:oracle:thin:@", "a=b;c", "[::1", "host=", "x:y:z", ";;;"]
)
def test_garbage_gives_no_host(value: str) -> None:
    assert hosts_of(value) == ()
    assert host_of(value) is None
