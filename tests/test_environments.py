"""The environments file: parsed strictly, applied in one transaction, every line verified, on a
real PostgreSQL database shaped like Odoo's tables."""

from pathlib import Path

import pytest
import yaml

from odoosh import environments
from odoosh.environments import EnvironmentsError
from odoosh.staging.scrub import passwords

REPO = Path(__file__).resolve().parents[1]
HOSTILE = "x'); DROP TABLE res_users; --"

SCHEMA = """
CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL,
                                  create_date timestamp, write_date timestamp);
CREATE TABLE ir_model_data (id serial PRIMARY KEY, module varchar NOT NULL, name varchar NOT NULL,
                            model varchar NOT NULL, res_id integer);
CREATE TABLE res_users (id serial PRIMARY KEY, login varchar NOT NULL UNIQUE, password varchar, active boolean);
CREATE TABLE ir_cron (id serial PRIMARY KEY, cron_name varchar, priority integer, active boolean);
INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url', 'https://staging.test');
INSERT INTO res_users (login, password, active) VALUES ('admin', 'x', true), ('qa', NULL, false), ('public', 'x', true);
INSERT INTO ir_cron (cron_name, priority, active) VALUES
    ('Google Calendar: synchronization', 5, true), ('Base: Auto-vacuum', 3, false), ('Mail: queue', 10, true),
    (NULL, 1, true);
INSERT INTO ir_model_data (module, name, model, res_id) VALUES
    ('base', 'public_user', 'res.users', 3), ('base', 'autovacuum_job', 'ir.cron', 2);
"""

SPEC = {
    "staging": {
        "parameters": {"mail.catchall.domain": "staging.example.com", "web.base.url": "https://staging.example.com"},
        "records": [
            {"xmlid": "base.public_user", "active": False},
            {"xmlid": "base.autovacuum_job", "active": True},
            {"model": "ir.cron", "domain": [["cron_name", "ilike", "%google%"]], "active": False},
            {"model": "ir.cron", "domain": [["priority", ">=", 10], ["cron_name", "!=", None]], "active": False},
        ],
        "users": [{"login": "qa", "password_env": "TEST_QA_PASSWORD"}],
    },
    "previews": {"parameters": {"mail.catchall.domain": "previews.example.com"}},
}


@pytest.fixture
def db(pg, fresh_db, monkeypatch):
    monkeypatch.setenv("TEST_QA_PASSWORD", "qa-secret-1")
    with pg.connect(fresh_db) as conn:
        conn.execute(SCHEMA)
    with pg.connect(fresh_db) as conn:
        yield conn


def spec_of(document: dict, tmp_path: Path | None = None) -> environments.EnvironmentsSpec:
    if tmp_path is None:
        return environments.parse(document, "environments.yaml")
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(document))
    return environments.load(path)


def rows(conn, query: str, *params):
    return conn.execute(query, params).fetchall()


def test_apply_makes_every_line_hold_and_verify_proves_it(db):
    spec = spec_of(SPEC)
    assert environments.verify(db, spec, "staging"), "nothing holds before"
    done = environments.apply(db, spec, "staging")
    assert len(done) == 7
    assert environments.verify(db, spec, "staging") == []
    assert dict(rows(db, "SELECT key, value FROM ir_config_parameter")) == {
        "web.base.url": "https://staging.example.com",
        "mail.catchall.domain": "staging.example.com",
    }
    assert rows(db, "SELECT cron_name, active FROM ir_cron ORDER BY id") == [
        ("Google Calendar: synchronization", False),
        ("Base: Auto-vacuum", True),
        ("Mail: queue", False),
        (None, True),  # != None excludes NULLs, as the domain says
    ]
    assert rows(db, "SELECT active FROM res_users WHERE login = 'public'") == [(False,)]
    active, stored = rows(db, "SELECT active, password FROM res_users WHERE login = 'qa'")[0]
    assert active and passwords.verify("qa-secret-1", stored) and "qa-secret-1" not in stored
    # Applying again changes nothing that verify would see; the other environment is its own.
    environments.apply(db, spec, "staging")
    assert environments.verify(db, spec, "staging") == []
    assert environments.verify(db, spec, "previews") == [
        "previews.parameters.mail.catchall.domain: expected 'previews.example.com', found 'staging.example.com'"
    ]


def test_verify_names_every_line_that_no_longer_holds(db, monkeypatch):
    spec = spec_of(SPEC)
    environments.apply(db, spec, "staging")
    db.execute("UPDATE ir_config_parameter SET value = 'https://other' WHERE key = 'web.base.url'")
    db.execute("UPDATE ir_cron SET active = true WHERE cron_name LIKE 'Google%'")
    db.execute("UPDATE res_users SET active = true WHERE login = 'public'")
    monkeypatch.setenv("TEST_QA_PASSWORD", "changed")
    failures = environments.verify(db, spec, "staging")
    assert len(failures) == 4
    assert "staging.parameters.web.base.url: expected 'https://staging.example.com', found 'https://other'" in failures
    assert any(f.startswith("staging.records[0] (xml id base.public_user inactive): 1 record(s)") for f in failures)
    assert any(f.startswith("staging.records[2]") and "1 record(s) are not inactive" in f for f in failures)
    assert "staging.users[0]: the password of 'qa' is not the one in TEST_QA_PASSWORD" in failures


def test_a_line_that_cannot_be_applied_changes_nothing(db, monkeypatch):
    document = {
        "staging": {**SPEC["staging"], "records": [*SPEC["staging"]["records"], {"xmlid": "crm.gone", "active": True}]}
    }
    with pytest.raises(EnvironmentsError, match=r"staging.records\[4\]: no record has the XML id crm.gone"):
        environments.apply(db, spec_of(document), "staging")
    assert rows(db, "SELECT count(*) FROM ir_config_parameter") == [(1,)], "rolled back"
    monkeypatch.delenv("TEST_QA_PASSWORD")
    with pytest.raises(EnvironmentsError, match=r"TEST_QA_PASSWORD is unset or empty"):
        environments.apply(db, spec_of(SPEC), "staging")
    with pytest.raises(EnvironmentsError, match=r"records\[0\]: table ir_cron has no column nme"):
        environments.apply(
            db,
            spec_of({"staging": {"records": [{"model": "ir.cron", "domain": [["nme", "=", 1]], "active": True}]}}),
            "staging",
        )


def test_hostile_values_are_values(db):
    document = {
        "staging": {
            "parameters": {HOSTILE: HOSTILE},
            "records": [
                {"model": "ir.cron", "domain": [["cron_name", "in", [HOSTILE, "Mail: queue"]]], "active": False}
            ],
        }
    }
    spec = spec_of(document)
    environments.apply(db, spec, "staging")
    assert environments.verify(db, spec, "staging") == []
    assert rows(db, "SELECT value FROM ir_config_parameter WHERE key = %s", HOSTILE) == [(HOSTILE,)]
    assert rows(db, "SELECT count(*) FROM res_users") == [(3,)]
    assert rows(db, "SELECT active FROM ir_cron WHERE cron_name = 'Mail: queue'") == [(False,)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"model": "ir.cron", "domain": [["active; DROP TABLE x", "=", 1]], "active": True}, "is not a field name"),
        ({"model": "ir.cron", "domain": [["name", "or", 1]], "active": True}, "operator 'or' is not one of"),
        ({"model": "ir.cron", "domain": [["name", "in", "x"]], "active": True}, "'in' takes a list"),
        ({"model": "ir.cron", "domain": [["name", "<", None]], "active": True}, "null only with = and !="),
        ({"model": 'ir_cron"; --', "domain": [["id", ">", 0]], "active": True}, "is not a model name"),
        ({"model": "ir.cron", "active": True}, "non-empty list"),
        ({"xmlid": "base.x", "model": "ir.cron", "active": True}, "either `xmlid"),
        ({"xmlid": "base.x"}, "needs `active: true`"),
    ],
)
def test_a_wrong_line_is_named_with_the_fix(line, message):
    with pytest.raises(
        EnvironmentsError, match=r"environments.yaml: staging.records\[0\]: .*" + message.replace("(", r"\(")
    ):
        spec_of({"staging": {"records": [line]}})


def test_a_wrong_file_is_named(tmp_path):
    with pytest.raises(EnvironmentsError, match="unknown keys \\['paramters'\\]"):
        spec_of({"staging": {"paramters": {}}})
    with pytest.raises(EnvironmentsError, match="keys staging and/or previews"):
        spec_of({"production": {}})
    with pytest.raises(EnvironmentsError, match="users\\[0\\]: a user line is"):
        spec_of({"previews": {"users": [{"login": "admin", "password": "plain text"}]}})
    with pytest.raises(EnvironmentsError, match="Cannot read the environments file .*ODOOSH_ENVIRONMENTS_FILE"):
        environments.load(tmp_path / "missing.yaml")
    with pytest.raises(EnvironmentsError, match="previews.sql: .*is not a file"):
        spec_of({"previews": {"sql": "nope.sql"}}, tmp_path)


def test_the_sql_file_runs_last_in_the_same_transaction(db, tmp_path):
    (tmp_path / "last.sql").write_text(
        "UPDATE ir_config_parameter SET value = value || ' (seen by the SQL file)' WHERE key = 'mail.catchall.domain';"
        "\nUPDATE ir_cron SET priority = 99;"
    )
    spec = spec_of({"staging": {"parameters": {"mail.catchall.domain": "a.test"}, "sql": "last.sql"}}, tmp_path)
    environments.apply(db, spec, "staging")
    assert rows(db, "SELECT value FROM ir_config_parameter WHERE key = 'mail.catchall.domain'") == [
        ("a.test (seen by the SQL file)",)
    ]
    (tmp_path / "last.sql").write_text("UPDATE ir_cron SET priority = 1; SELECT * FROM no_such_table;")
    spec = spec_of({"staging": {"parameters": {"other": "b"}, "sql": "last.sql"}}, tmp_path)
    with pytest.raises(EnvironmentsError, match="staging.sql: .*last.sql failed: .*no_such_table"):
        environments.apply(db, spec, "staging")
    assert rows(db, "SELECT DISTINCT priority FROM ir_cron") == [(99,)], "the failed file's first statement rolled back"
    assert rows(db, "SELECT count(*) FROM ir_config_parameter WHERE key = 'other'") == [(0,)]


def test_the_check_proves_the_sql_file_as_it_is_ran_on_the_database(db, tmp_path):
    (tmp_path / "last.sql").write_text("UPDATE ir_cron SET priority = 7;")
    spec = spec_of({"staging": {"sql": "last.sql"}}, tmp_path)
    assert environments.verify(db, spec, "staging") == [
        f"staging.sql: {tmp_path / 'last.sql'} has not run on this database"
    ]
    environments.apply(db, spec, "staging")
    assert environments.verify(db, spec, "staging") == []
    # Edited after it ran: what it does now was never done here.
    (tmp_path / "last.sql").write_text("UPDATE ir_cron SET priority = 8;")
    assert environments.verify(db, spec, "staging") == [
        f"staging.sql: {tmp_path / 'last.sql'} changed since it ran on this database (the next refresh or build runs it)"
    ]
    environments.apply(db, spec, "staging")
    assert environments.verify(db, spec, "staging") == []
    # The record lives in the platform's schema, not in an Odoo table.
    assert rows(db, "SELECT environment FROM odoosh.environment_sql") == [("staging",)]


def test_a_preview_without_secrets_skips_the_users(db, monkeypatch):
    spec = spec_of({"previews": {"users": [{"login": "qa", "password_env": "TEST_QA_PASSWORD"}]}})
    monkeypatch.delenv("TEST_QA_PASSWORD")
    done = environments.apply(db, spec, "previews", secrets=False)
    assert done == ["1 user line(s) skipped: this preview gets no secrets"]
    assert rows(db, "SELECT active, password FROM res_users WHERE login = 'qa'") == [(False, None)]
    assert environments.verify(db, spec, "previews", secrets=False) == []
    assert environments.verify(db, spec, "previews") == ["previews.users[0]: user 'qa' is not active"]


def test_the_example_file_is_valid():
    spec = environments.load(REPO / "examples" / "environments.yaml")
    assert spec.settings("staging").lines() == 6
    assert spec.settings("previews").parameters == {"mail.catchall.domain": "previews.example.com"}
    assert environments.load(None) is environments.EMPTY
    with pytest.raises(EnvironmentsError, match="unknown environment 'production'"):
        spec.settings("production")


@pytest.mark.parametrize("schema", ["o16", "o12"])
def test_on_real_odoo_schemas(pg, copy_of, schema, monkeypatch):
    """Odoo 16's and 12's own tables, as their dumps define them (tests/data/odoo-schemas)."""
    monkeypatch.setenv("TEST_QA_PASSWORD", "admin-secret")
    spec = spec_of(
        {
            "staging": {
                "parameters": {"web.base.url": "https://staging.example.com", "odoosh.new": "1"},
                "records": [
                    {"model": "res.partner", "domain": [["id", ">", 0], ["email", "=", None]], "active": False}
                ],
                "users": [{"login": "admin", "password_env": "TEST_QA_PASSWORD"}],
            }
        }
    )
    with pg.connect(copy_of(schema)) as conn:
        environments.apply(conn, spec, "staging")
        assert environments.verify(conn, spec, "staging") == []
        conn.execute("UPDATE res_users SET active = false WHERE login = 'admin'")
        assert environments.verify(conn, spec, "staging") == ["staging.users[0]: user 'admin' is not active"]
