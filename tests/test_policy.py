"""Policy resolution across files, and the default policy against Odoo's personal columns.

Pure: no database. The Odoo 16 columns come from the CREATE TABLE statements of the real
schema dump in tests/data/odoo-schemas (see its README).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from odoosh.staging.scrub.policy import DEFAULT_POLICY, load_policy

DATA = Path(__file__).resolve().parent / "data"
O16_SCHEMA = DATA / "odoo-schemas" / "odoo16-maaranodoo-mmdb.sql"
PERSONAL_COLUMNS = DATA / "odoo_personal_columns.yaml"
_CREATE_TABLE = re.compile(
    r"^CREATE TABLE public\.(\w+) \((.*?)^\)(?:\nINHERITS \(public\.\w+\))?;", re.MULTILINE | re.DOTALL
)


def schema_columns(dump: Path) -> dict[str, set[str]]:
    """{table: {column}} from a pg_dump's CREATE TABLE statements (constraints left out)."""
    tables = {}
    for match in _CREATE_TABLE.finditer(dump.read_text()):
        lines = (line.strip() for line in match.group(2).splitlines())
        tables[match.group(1)] = {
            line.split()[0].strip('"') for line in lines if line and not line.startswith("CONSTRAINT ")
        }
    return tables


def _policy(tmp_path: Path, *texts: str):
    """The default policy followed by one file per text, in order."""
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"p{i}.yaml"
        path.write_text(text)
        paths.append(path)
    return load_policy(paths)


def _strategy(policy, table, column):
    rule = policy.rule(table, column)
    return None if rule is None else rule.strategy


# ------------------------------------------------------------------ resolution across files


def test_naming_one_column_of_a_glob_covered_table_keeps_the_other_columns(tmp_path):
    default = load_policy()
    assert _strategy(default, "survey_question", "title") == "keep"  # through "survey_*": keep
    policy = _policy(tmp_path, "survey_question:\n  description: fake_text\n")
    assert _strategy(policy, "survey_question", "description") == "fake_text"
    assert _strategy(policy, "survey_question", "title") == "keep"
    assert _strategy(policy, "survey_question", "comments_message") == "keep"
    assert not policy.deletes("survey_question")


def test_naming_one_column_keeps_an_earlier_glob_entrys_column_rules(tmp_path):
    policy = _policy(
        tmp_path,
        "'mail_x*':\n  name: fake_name\n  email: fake_email\n  '*_token': null\n",
        "mail_xyz:\n  email: keep\n  note: fake_text\n",
    )
    assert _strategy(policy, "mail_xyz", "email") == "keep"  # overridden
    assert _strategy(policy, "mail_xyz", "note") == "fake_text"  # added
    assert _strategy(policy, "mail_xyz", "name") == "fake_name"  # the earlier glob's rule
    assert _strategy(policy, "mail_xyz", "access_token") == "null"  # the earlier column glob
    assert _strategy(policy, "mail_xyz", "other") is None
    assert _strategy(policy, "mail_xab", "email") == "fake_email"  # other tables untouched


def test_naming_one_column_of_an_exact_default_entry_keeps_the_others(tmp_path):
    policy = _policy(tmp_path, "payment_provider:\n  name: redact\n")
    assert _strategy(policy, "payment_provider", "name") == "redact"
    assert _strategy(policy, "payment_provider", "stripe_secret_key") == "null"  # default's column glob
    assert _strategy(policy, "payment_provider", "paypal_email_account") == "null"


def test_a_later_column_rule_wins(tmp_path):
    policy = _policy(
        tmp_path,
        "res_partner:\n  email: keep\n  name: {strategy: fake_name}\nsurvey_question:\n  title: redact\n",
    )
    assert _strategy(policy, "res_partner", "email") == "keep"
    assert policy.rule("res_partner", "name").company_if is None  # the whole rule is replaced
    assert _strategy(policy, "res_partner", "phone") == "fake_phone"
    assert _strategy(policy, "survey_question", "title") == "redact"
    later = _policy(tmp_path, "res_partner:\n  email: keep\n", "res_partner:\n  email: hash\n")
    assert _strategy(later, "res_partner", "email") == "hash"  # the last file decides


@pytest.mark.parametrize("table", ["res_partner", "survey_question", "ir_attachment"])
def test_a_table_level_rule_replaces_the_table(tmp_path, table):
    deleted = _policy(tmp_path, f"{table}: delete_rows\n")
    assert deleted.deletes(table)
    assert _strategy(deleted, table, "name") == "delete_rows"
    kept = _policy(tmp_path, f"{table}: keep\n")
    assert not kept.deletes(table)
    assert _strategy(kept, table, "email") == "keep" and _strategy(kept, table, "name") == "keep"


def test_a_table_level_rule_replaces_earlier_globs_too(tmp_path):
    policy = _policy(tmp_path, "'mail_x*':\n  name: fake_name\n", "mail_xyz: keep\n", "mail_xyz:\n  body: null\n")
    assert _strategy(policy, "mail_xyz", "name") == "keep"  # the glob before the keep is not consulted
    assert _strategy(policy, "mail_xyz", "body") == "null"  # a column after the keep merges with it
    kept = _policy(tmp_path, "foo_wizard: keep\n")
    assert not kept.deletes("foo_wizard")  # the default's "*_wizard": delete_rows no longer applies


def test_a_column_mapping_replaces_an_earlier_delete_rows(tmp_path):
    policy = _policy(tmp_path, "res_users_apikeys:\n  name: keep\n")
    assert not policy.deletes("res_users_apikeys")
    assert _strategy(policy, "res_users_apikeys", "name") == "keep"
    assert _strategy(policy, "res_users_apikeys", "key") is None  # unlisted: unclassified, not deleted
    wizard = _policy(tmp_path, "foo_wizard:\n  note: fake_text\n")
    assert not wizard.deletes("foo_wizard") and _strategy(wizard, "foo_wizard", "other") is None


def test_an_exact_entry_beats_the_globs_of_its_own_file(tmp_path):
    default = load_policy()
    assert _strategy(default, "ir_ui_menu", "name") == "keep"  # "ir_*": keep
    assert _strategy(default, "ir_attachment", "db_datas") == "null"
    assert _strategy(default, "ir_attachment", "mimetype") is None  # not reached by "ir_*"
    assert _strategy(default, "hr_applicant", "x_salary_notes") is None
    user = _policy(tmp_path, "'res_*':\n  x_note: fake_text\nres_partner:\n  x_other: keep\n")
    assert _strategy(user, "res_country", "x_note") == "fake_text"
    assert _strategy(user, "res_partner", "x_note") is None  # the file's exact entry shadows its glob
    assert _strategy(user, "res_partner", "email") == "fake_email"  # the default still applies


def test_a_later_glob_decides_the_columns_it_names_for_every_table_it_matches(tmp_path):
    policy = _policy(tmp_path, "'ir_*': {name: fake_name}\n")
    assert _strategy(policy, "ir_ui_menu", "name") == "fake_name"
    assert _strategy(policy, "ir_ui_menu", "other") == "keep"
    assert _strategy(policy, "ir_attachment", "name") == "fake_name"  # also over the default's exact entry
    assert _strategy(policy, "ir_attachment", "db_datas") == "null"  # which keeps the columns it does not name


def test_default_policy_names_each_table_once():
    """YAML keeps the last of two equal keys: a second entry would silently replace the first."""
    tables = [key.value for key, _ in yaml.compose(DEFAULT_POLICY.read_text()).value]
    assert len(tables) > 100
    assert sorted({t for t in tables if tables.count(t) > 1}) == []


# ------------------------------------------------------------------ Odoo's personal columns


def _personal_columns() -> list[dict]:
    return yaml.safe_load(PERSONAL_COLUMNS.read_text())


def test_personal_columns_list_is_well_formed():
    entries = _personal_columns()
    assert len(entries) > 100
    for entry in entries:
        assert set(entry) == {"table", "column", "holds", "source"}, entry
        path, _, branch = entry["source"].rpartition("@")
        assert path.endswith(".py") and "/models/" in path, entry
        assert branch in {"14.0", "15.0", "16.0", "17.0"}, entry
    keys = [(e["table"], e["column"]) for e in entries]
    assert len(keys) == len(set(keys))


def test_schema_parser_reads_every_table():
    tables = schema_columns(O16_SCHEMA)
    assert len(tables) == 776  # the README's count of CREATE TABLE
    assert {"name", "access_token", "lang", "timezone"} <= tables["mail_guest"]
    assert "tag" in tables["ir_act_client"]  # a table created with INHERITS (its own columns)


def test_default_policy_classifies_odoo16_personal_columns():
    tables = schema_columns(O16_SCHEMA)
    policy = load_policy()
    present = [e for e in _personal_columns() if e["column"] in tables.get(e["table"], ())]
    assert len(present) > 140
    wrong = {
        f"{e['table']}.{e['column']}": _strategy(policy, e["table"], e["column"])
        for e in present
        if _strategy(policy, e["table"], e["column"]) in (None, "keep")
    }
    assert wrong == {}
