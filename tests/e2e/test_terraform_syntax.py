"""Valid Terraform that python-hcl2 rejects: that file is an error, its module still scanned."""

from __future__ import annotations

from tests.e2e.conftest import run_cli


def test_rejected_file_is_reported_and_the_module_still_evaluated() -> None:
    run = run_cli("scan", "fixtures/tf-rejected-syntax", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    assert [(e["file"], e["line"]) for e in document["errors"]] == [("infra/locals.tf", 9)]
    assert "leading '.'" in document["errors"][0]["message"]
    assert [(f["category"], f["store_id"], f["file"], f["line"]) for f in document["findings"]] == [
        ("foreign_storage", "terraform:google_sql_database_instance.crm", "infra/main.tf", 15),
    ]
    stores = {s["id"]: s for s in document["stores"]}
    bucket = stores["terraform:google_storage_bucket.crm_exports"]
    assert bucket["location"]["status"] == "multi"
    assert "RU" not in bucket["location"]["countries"]
    # Labelled personal but with no word on whose data: listed, no finding, and a hint.
    assert bucket["personal_data"]["subjects"] == []
    assert any("data_subjects" in hint for hint in document["hints"])
