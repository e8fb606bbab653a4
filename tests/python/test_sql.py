"""SQL in code: which table and columns a statement stores."""

from __future__ import annotations

import pytest

from residency_audit.sources.python.sql import SqlColumn, SqlWrite, sql_writes


def cols(text: str) -> list[tuple[str, str, list[str]]]:
    return [(w.verb, w.table, [c.name for c in w.columns]) for w in sql_writes(text)]


def test_insert_with_schema_quotes_and_offsets() -> None:
    text = 'INSERT INTO public.patients (snils, "last_name") VALUES (%s, %s)'
    assert sql_writes(text) == (
        SqlWrite(
            "insert",
            "patients",
            19,
            (SqlColumn("snils", 29), SqlColumn("last_name", 36)),
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "INSERT INTO customers (email, phone) VALUES (%(email)s, %(phone)s)"
            " ON CONFLICT (email) DO UPDATE SET phone = EXCLUDED.phone,"
            " full_name = EXCLUDED.full_name",
            [("insert", "customers", ["email", "phone", "full_name"])],
        ),
        ("INSERT OR REPLACE INTO users (login) VALUES (?)", [("insert", "users", ["login"])]),
        ("REPLACE INTO `crm`.`leads` (`email`) VALUES (%s)", [("insert", "leads", ["email"])]),
        ("insert into events values (%s, %s)", [("insert", "events", [])]),
        (
            "UPDATE customers AS c SET email = $1, phone = lower($2) WHERE c.id = $3",
            [("update", "customers", ["email", "phone"])],
        ),
        (
            "COPY visits (snils, oms_policy) FROM STDIN WITH (FORMAT csv)",
            [("copy", "visits", ["snils", "oms_policy"])],
        ),
        ("COPY visits TO STDOUT", []),
        (
            "MERGE INTO patients p USING staging s ON p.snils = s.snils "
            "WHEN MATCHED THEN UPDATE SET phone = s.phone "
            "WHEN NOT MATCHED THEN INSERT (snils, phone) VALUES (s.snils, s.phone)",
            [("merge", "patients", ["phone", "snils", "phone"])],
        ),
        (
            "CREATE TABLE IF NOT EXISTS leads (id bigserial PRIMARY KEY, email text NOT NULL, "
            "CONSTRAINT leads_email UNIQUE (email))",
            [("create", "leads", ["id", "email"])],
        ),
        (
            # a definition is decided by its first token: LIKE copies columns, "other" is
            # a table, not a column
            "CREATE TABLE archive (LIKE other INCLUDING ALL, passport text)",
            [("create", "archive", ["passport"])],
        ),
        ("SELECT email FROM customers WHERE id = %s", []),
        ("DELETE FROM customers WHERE id = %s", []),
        (
            "INSERT INTO a (x) VALUES (1); INSERT INTO b (y) VALUES (2)",
            [("insert", "a", ["x"]), ("insert", "b", ["y"])],
        ),
        ("-- INSERT INTO commented (x)\nSELECT 1", []),
    ],
)
def test_statements(text: str, expected: list[tuple[str, str, list[str]]]) -> None:
    assert cols(text) == expected


@pytest.mark.parametrize(
    "text", ["", "INSERT", "INSERT INTO", "UPDATE SET", "((((", "'unterminated"]
)
def test_fragments_yield_nothing_and_never_raise(text: str) -> None:
    assert isinstance(sql_writes(text), tuple)
