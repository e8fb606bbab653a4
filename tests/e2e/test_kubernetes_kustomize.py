"""Kustomize scanned by the real CLI: one base deployed by an overlay per region.

``fixtures/k8s-overlays`` keeps the base's namespace and names in both overlays, so the two
deployed databases share a natural id and a declaring file; each is told apart by its
overlay's directory. ``fixtures/k8s-kustomize`` renames per overlay (namespace, namePrefix)
and pins the EU copy with a strategic-merge patch.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import run_cli

EU = "k8s:StatefulSet/shop/users-db@deploy/overlays/eu"
RU = "k8s:StatefulSet/shop/users-db@deploy/overlays/ru"


@pytest.fixture(scope="module")
def overlays() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/k8s-overlays", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def where(store: dict[str, Any]) -> tuple[str, str | None, str | None, list[str]]:
    loc = store["location"]
    return loc["status"], loc["provider"], loc["region"], loc["countries"]


def test_one_store_per_overlay_with_the_overlay_as_suffix(overlays: dict[str, Any]) -> None:
    stores = {s["id"]: s for s in overlays["stores"]}
    assert list(stores) == [EU, RU]
    for store in stores.values():
        assert (store["name"], store["kind"], store["file"], store["line"]) == (
            "users-db",
            "relational_db",
            "deploy/base/users-db.yaml",
            13,
        )
    assert where(stores[EU]) == ("resolved", "aws", "eu-central-1", ["DE"])
    assert where(stores[RU]) == ("resolved", "yandex", "ru-central1", ["RU"])


def test_each_overlay_is_placed_by_its_own_storage_class(overlays: dict[str, Any]) -> None:
    stores = {s["id"]: s for s in overlays["stores"]}
    # Both overlays declare a StorageClass named fast-ssd; the EU one has the topology.
    assert stores[EU]["location"]["evidence"] == [
        {
            "file": "deploy/overlays/eu/kustomization.yaml",
            "line": 1,
            "note": "deployed through deploy/overlays/eu/kustomization.yaml -> "
            "deploy/base/kustomization.yaml",
        },
        {
            "file": "deploy/base/users-db.yaml",
            "line": 50,
            "note": "StatefulSet users-db claims storage data of class fast-ssd",
        },
        {
            "file": "deploy/overlays/eu/storageclass.yaml",
            "line": 2,
            "note": "StorageClass fast-ssd",
        },
        {
            "file": "deploy/overlays/eu/storageclass.yaml",
            "line": 16,
            "note": "StorageClass fast-ssd: allowedTopologies topology.ebs.csi.aws.com/zone In "
            "[eu-central-1a, eu-central-1b]",
        },
    ]
    assert stores[RU]["location"]["evidence"][-1] == {
        "file": ".residency-audit.yaml",
        "line": 6,
        "note": "kubernetes.clusters maps deploy/overlays/ru/kustomization.yaml "
        "(deploy/overlays/ru/**) to yandex ru-central1",
    }


def test_only_the_eu_copy_is_a_finding(overlays: dict[str, Any]) -> None:
    (finding,) = overlays["findings"]
    assert (
        finding["rule_id"],
        finding["severity"],
        finding["store_id"],
        finding["file"],
        finding["line"],
        finding["message"],
    ) == (
        "RU-152FZ-LOCALIZATION",
        "high",
        EU,
        "deploy/base/users-db.yaml",
        13,
        "Personal data of Russian users is stored in eu-central-1 (DE), outside Russia",
    )
    stores = {s["id"]: s for s in overlays["stores"]}
    assert stores[EU]["personal_data"] == {
        "status": "yes",
        "categories": ["user.contact.email", "user.contact.phone_number"],
        "subjects": ["RU"],
        "evidence": [
            {
                "file": "deploy/base/users-db.yaml",
                "line": 13,
                "note": 'label privacy.acme.io/personal-data = "true"',
            },
            {
                "file": "deploy/base/users-db.yaml",
                "line": 13,
                "note": 'label privacy.acme.io/pii-categories = "email, phone"',
            },
            {
                "file": ".residency-audit.yaml",
                "line": 3,
                "note": "config declares the project's data subjects: RU",
            },
        ],
    }
    # The patch file and the overlays' StorageClasses are no stores of their own.
    assert overlays["summary"]["stores"] == 2
    assert overlays["errors"] == []


def test_overlays_that_rename_keep_natural_ids() -> None:
    run = run_cli("scan", "fixtures/k8s-kustomize", "--format", "json")
    assert run.exit_code == 1, run.stderr
    report = run.json()
    assert [(s["id"], *where(s)) for s in report["stores"]] == [
        (
            "k8s:StatefulSet/accounts-eu/accounts-mysql",
            "resolved",
            "aws",
            "eu-central-1",
            ["DE"],
        ),
        (
            "k8s:StatefulSet/accounts-ru/ru-accounts-mysql",
            "resolved",
            "yandex",
            "ru-central1",
            ["RU"],
        ),
    ]
    eu = report["stores"][0]
    # The region comes from the overlay's patch, the provider from the cluster mapping.
    assert eu["location"]["evidence"][-1] == {
        "file": "k8s/overlays/eu/placement.yaml",
        "line": 10,
        "note": "StatefulSet accounts-mysql: nodeSelector topology.kubernetes.io/region In "
        "[eu-central-1]",
    }
    assert [(f["rule_id"], f["store_id"], f["file"], f["line"]) for f in report["findings"]] == [
        (
            "RU-152FZ-LOCALIZATION",
            "k8s:StatefulSet/accounts-eu/accounts-mysql",
            "k8s/base/mysql.yaml",
            1,
        )
    ]
