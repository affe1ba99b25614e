"""Scrubbing real Odoo schemas (12 and 16) filled with personal data: the gates must pass."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess

import pytest
from psycopg import sql

from odoosh.postgres import pg_tool
from odoosh.staging import neutralize
from odoosh.staging.scrub import chunks, coverage, fingerprints, leaks, passwords, scrubber
from odoosh.staging.scrub.policy import PolicyError, load_policy, redacting
from tests import odoo_fill

SALT = "test-salt"


def _scrub(pg, db, policy, salt=SALT, admin_password="staging-pw"):
    return scrubber.scrub(pg.dsn(db), policy, salt=salt, admin_password=admin_password, jobs=2, progress=lambda m: None)


def _persons_in_dump(pg, db) -> list[str]:
    """The filled persons' names and emails found anywhere in the database's data: a look
    that shares nothing with the leak gate."""
    text = subprocess.run(
        [pg_tool("pg_dump"), "--data-only", pg.dsn(db)], capture_output=True, text=True, check=True
    ).stdout
    return [v for p in odoo_fill.PERSONS for v in (p.name, p.email) if v in text]


@pytest.mark.parametrize("key", list(odoo_fill.DUMPS))
def test_default_policy_covers_and_scrubs_every_schema(pg, copy_of, policy, key):
    db = copy_of(key)
    assert len(_persons_in_dump(pg, db)) == 2 * len(odoo_fill.PERSONS)
    with pg.connect(db) as conn:
        assert coverage.unclassified_columns(conn, policy) == []
        assert sum(fingerprints.record(pg.dsn(db), SALT, policy).values()) > 100
        before = leaks.find_leaks(pg.dsn(db), SALT)
        assert before["res_partner.email"] > 0 and before["res_partner.name"] > 0
        neutralize.neutralize(conn, base_url="http://staging.test", smtp_host="127.0.0.1", smtp_port=1025)
        conn.commit()
    stats = _scrub(pg, db, policy)
    assert stats["rows"]["res_partner"] >= odoo_fill.PARTNERS
    with pg.connect(db) as conn:
        # Left: the kept columns into which the fill wrote persons' names (the quarantine redacts them).
        tables = {t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        kept = {f"{t}.{c}" for t, c in odoo_fill.KEPT_FREE_TEXT if t in tables}
        assert set(leaks.find_leaks(pg.dsn(db), SALT)) == kept
        assert coverage.unclassified_columns(conn, policy) == []
    if kept:  # as the quarantine does: they become sources, are redacted and pass
        redacted = redacting(sorted(kept), "test")
        fingerprints.add(pg.dsn(db), SALT, redacted)
        _scrub(pg, db, redacted)
    with pg.connect(db) as conn:
        assert leaks.find_leaks(pg.dsn(db), SALT) == {}
        assert (
            neutralize.verify_neutralized(conn, base_url="http://staging.test", smtp_host="127.0.0.1", smtp_port=1025)
            == []
        )
    assert _persons_in_dump(pg, db) == []


def test_custom_column_is_unclassified_and_leaks_when_kept(pg, copy_of, policy, tmp_path):
    db = copy_of("o16base")
    with pg.connect(db) as conn:
        conn.execute("ALTER TABLE res_partner ADD COLUMN x_private_email varchar")
        conn.execute("UPDATE res_partner SET x_private_email = email")
        assert coverage.unclassified_columns(conn, policy) == ["res_partner.x_private_email"]
        conn.commit()
        fingerprints.record(pg.dsn(db), SALT, policy)
    extra = tmp_path / "mine.yaml"
    extra.write_text("res_partner:\n  x_private_email: keep\n")
    extended = load_policy([extra])
    assert extended.rule("res_partner", "email").strategy == "fake_email"  # merged, not replaced
    _scrub(pg, db, extended)
    with pg.connect(db) as conn:
        assert coverage.unclassified_columns(conn, extended) == []
        # Every partner's but the operator's own company's, which is no personal data.
        assert leaks.find_leaks(pg.dsn(db), SALT) == {"res_partner.x_private_email": odoo_fill.PARTNERS - 1}


def _partner_and_user_emails(pg, db):
    with pg.connect(db) as conn:
        return conn.execute(
            "SELECT p.email, u.login FROM res_partner p JOIN res_users u ON u.partner_id = p.id "
            "WHERE u.login <> 'admin' ORDER BY u.id"
        ).fetchall()


def test_fakes_are_deterministic_per_salt(pg, copy_of, policy):
    dbs = [copy_of("o16base") for _ in range(3)]
    with pg.connect(dbs[0]) as conn:  # users whose login is their partner's email
        for db in dbs:
            with pg.connect(db) as each:
                each.execute(
                    "UPDATE res_users u SET login = p.email, partner_id = p.id FROM res_partner p "
                    "WHERE p.id = u.id + 20 AND u.login <> 'admin'"
                )
    for db, salt in zip(dbs, [SALT, SALT, "other-salt"], strict=True):
        _scrub(pg, db, policy, salt=salt)
    first, same, other = (_partner_and_user_emails(pg, db) for db in dbs)
    assert len(first) == odoo_fill.ROWS - 1 and all(
        email == login and email.endswith("@example.com") for email, login in first
    )
    assert first == same
    assert all(a != b for a, b in zip(first, other, strict=True))
    del conn


def test_admin_can_log_in_with_the_configured_password(pg, copy_of, policy):
    db = copy_of("o12")
    _scrub(pg, db, policy, admin_password="s3cret!")
    with pg.connect(db) as conn:
        admin = conn.execute("SELECT password FROM res_users WHERE login = 'admin'").fetchone()[0]
        others = [p for (p,) in conn.execute("SELECT password FROM res_users WHERE login <> 'admin'")]
    _, scheme, rounds, salt, checksum = admin.split("$")
    assert scheme == "pbkdf2-sha512"

    def ab64(text):
        text = text.replace(".", "+")
        return base64.b64decode(text + "=" * (-len(text) % 4))

    assert hashlib.pbkdf2_hmac("sha512", b"s3cret!", ab64(salt), int(rounds)) == ab64(checksum)
    assert others and not any(passwords.verify("s3cret!", p) or passwords.verify("admin", p) for p in others)


def test_gate_sees_names_inside_free_text(pg, copy_of, policy):
    db = copy_of("o16base")
    fingerprints.record(pg.dsn(db), SALT, policy)
    _scrub(pg, db, policy)
    first, second = odoo_fill.PERSONS[1].name, odoo_fill.PERSONS[2].name
    with pg.connect(db) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM ir_ui_view ORDER BY id LIMIT 3")]
        # ir_ui_view is kept whole: the scrub leaves whatever it holds, as it would a real leak.
        conn.execute("UPDATE ir_ui_view SET arch_prev = arch_prev || %s WHERE id = %s", (f" regards, {first}", ids[0]))
        conn.execute(
            "UPDATE ir_ui_view SET arch_db = jsonb_set(arch_db, '{fr_FR}', to_jsonb(%s::text)) WHERE id = %s",
            (f"<p>Cordialement,<br/>{second.upper()}</p>", ids[1]),
        )
        conn.execute(
            "UPDATE ir_ui_view SET arch_prev = %s WHERE id = %s",
            ("<p>Sales Team: Purchase Order Confirmation, Jean-Luc O'Brien</p>", ids[2]),
        )
        conn.commit()
        assert leaks.find_leaks(pg.dsn(db), SALT) == {"ir_ui_view.arch_db": 1, "ir_ui_view.arch_prev": 1}


def test_own_company_name_is_no_leak(pg, copy_of, policy):
    """The operator's company name rightly stays in staging (website, templates), also where
    another partner bears the same name; a person's name in the same text does not."""
    db = copy_of("o16base")
    person = odoo_fill.PERSONS[3].name
    with pg.connect(db) as conn:
        conn.execute("UPDATE res_company SET name = 'Humphries Trading Inc'")
        conn.execute(
            "UPDATE res_partner SET name = 'Humphries Trading Inc' "
            "WHERE id = (SELECT max(id) FROM res_partner WHERE is_company)"
        )
        ids = [i for (i,) in conn.execute("SELECT id FROM ir_ui_view ORDER BY id LIMIT 2")]
        conn.execute(
            "UPDATE ir_ui_view SET arch_prev = '<p>Welcome to Humphries Trading Inc Online</p>' WHERE id = %s",
            (ids[0],),
        )
        conn.commit()
        fingerprints.record(pg.dsn(db), SALT, policy)
    _scrub(pg, db, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT) == {}
    with pg.connect(db) as conn:
        conn.execute("UPDATE ir_ui_view SET arch_prev = %s WHERE id = %s", (f"<p>Ask {person}</p>", ids[1]))
    assert leaks.find_leaks(pg.dsn(db), SALT) == {"ir_ui_view.arch_prev": 1}


def test_redact_gives_a_name_in_text_the_fake_of_the_person(pg, copy_of, policy):
    db = copy_of("o16base")
    name = "Élise-Marie O'Brien"
    with pg.connect(db) as conn:
        partner_id = conn.execute("SELECT id FROM res_partner WHERE NOT is_company ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE res_partner SET name = %s WHERE id = %s", (name, partner_id))
        footer = {"en_US": f"Regards, {name}", "fr_FR": f"Cordialement, {name}"}
        conn.execute(
            "UPDATE res_company SET company_details = %s, report_footer = %s",
            (f"<p>Dear {name.upper().replace(' ', '&nbsp;')}, {name}'s order. Sales Team</p>", json.dumps(footer)),
        )
        conn.commit()
        fingerprints.record(pg.dsn(db), SALT, policy)
    _scrub(pg, db, policy)
    with pg.connect(db) as conn:
        fake = conn.execute("SELECT name FROM res_partner WHERE id = %s", (partner_id,)).fetchone()[0]
        details, footers = conn.execute("SELECT company_details, report_footer FROM res_company LIMIT 1").fetchone()
        assert leaks.find_leaks(pg.dsn(db), SALT) == {}
    assert fake != name
    assert details == f"<p>Dear {fake}, {fake}'s order. Sales Team</p>"
    assert footers == {"en_US": f"Regards, {fake}", "fr_FR": f"Cordialement, {fake}"}


def test_names_with_particles_are_found_and_replaced(pg, copy_of, policy):
    db = copy_of("o16base")
    names = ["Jan van der Berg", "Maria de los Angeles Garcia"]
    with pg.connect(db) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM res_partner WHERE NOT is_company ORDER BY id LIMIT 2")]
        for partner_id, name in zip(ids, names, strict=False):
            conn.execute("UPDATE res_partner SET name = %s WHERE id = %s", (name, partner_id))
        conn.execute(
            "UPDATE res_company SET company_details = "
            "'<p>Ask <b>Jan van der Berg</b> or Maria de los Angeles Garcia.</p>'"
        )
        conn.commit()
        fingerprints.record(pg.dsn(db), SALT, policy)
    assert "res_company.company_details" in leaks.find_leaks(pg.dsn(db), SALT)
    _scrub(pg, db, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT) == {}
    with pg.connect(db) as conn:
        fakes = [conn.execute("SELECT name FROM res_partner WHERE id = %s", (i,)).fetchone()[0] for i in ids]
        details = conn.execute("SELECT company_details FROM res_company LIMIT 1").fetchone()[0]
    assert details == f"<p>Ask <b>{fakes[0]}</b> or {fakes[1]}.</p>" and fakes[0] != names[0]


def test_page_ranges_and_repeated_values_see_every_row_once(pg, copy_of, policy, monkeypatch):
    """Cut into one-page ranges, with every column's values read once each, the gate counts
    what it counts reading whole tables row by row, and the scrub misses no row."""
    db = copy_of("o16base")
    fingerprints.record(pg.dsn(db), SALT, policy)
    whole = leaks.find_leaks(pg.dsn(db), SALT)
    monkeypatch.setattr(chunks, "CHUNK_BLOCKS", 1)
    with pg.connect(db) as conn:
        ranges = chunks.split(conn, "res_partner")
    assert len(ranges) > 1 and ranges[0].first == 0
    assert (
        all(a.last == b.first for a, b in zip(ranges, ranges[1:], strict=False))
        and sum(r.blocks for r in ranges) == ranges[-1].last
    )
    assert leaks.find_leaks(pg.dsn(db), SALT) == whole
    _scrub(pg, db, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT) == {}
    assert _persons_in_dump(pg, db) == []


def test_small_tables_read_together_count_as_read_alone(pg, copy_of, policy, monkeypatch):
    """The gate reads the rows of small tables in shared statements; each leak is still counted
    for its own table and column, exactly as statements of one table each count it."""
    db = copy_of("o16base")
    fingerprints.record(pg.dsn(db), SALT, policy)
    with pg.connect(db) as conn:
        batches = [scan.parts for scan in leaks._plan_scans(conn) if scan.parts]
    shared = [batch for batch in batches if len({part.table for part in batch}) > 1]
    assert shared and all(
        sum(p.pages.blocks for p in batch) <= chunks.CHUNK_BLOCKS
        and sum(len(p.columns) for p in batch) <= leaks.BATCH_COLUMNS
        for batch in shared
    )
    together = leaks.find_leaks(pg.dsn(db), SALT)
    assert {c.partition(".")[0] for c in together} >= {"res_partner", "res_users"}  # planted in both
    monkeypatch.setattr(leaks, "BATCH_COLUMNS", 1)  # every table (and range) a statement of its own
    assert leaks.find_leaks(pg.dsn(db), SALT) == together


def _rows(pg, db) -> dict[str, list[str]]:
    """Every row of every table of `db`, as text, sorted: contents, not physical order. Not the
    passwords, hashed with a random salt each time."""
    with pg.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {
            t: [
                r
                for (r,) in conn.execute(
                    sql.SQL("SELECT (to_jsonb(t) - 'password')::text FROM {} AS t ORDER BY 1").format(sql.Identifier(t))
                )
            ]
            for t in tables
        }


def test_value_maps_scrub_as_row_by_row(pg, copy_of, policy, monkeypatch):
    """Every faked or redacted text column scrubbed through a map of its distinct values (as the
    repeated ones of big tables are) comes out exactly as scrubbed row by row, and the maps are
    dropped afterwards."""
    by_rows, by_values = copy_of("o16base"), copy_of("o16base")
    for db in (by_rows, by_values):
        fingerprints.record(pg.dsn(db), SALT, policy)
    _scrub(pg, by_rows, policy)
    monkeypatch.setattr(chunks, "CHUNK_BLOCKS", 1)
    monkeypatch.setattr(leaks, "REPEATED", 2.0)  # every column counts as repeated
    with pg.connect(by_values) as conn:
        conn.execute("SET default_statistics_target = 10")
        maps = scrubber.plan(conn, policy, scrubber.admin_user_id(conn)).maps
        conn.rollback()
    assert len(maps) > 15  # the faked and redacted text columns of the tables that have rows
    _scrub(pg, by_values, policy)
    assert _rows(pg, by_values) == _rows(pg, by_rows)
    with pg.connect(by_values) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'scrub_map%%'", (leaks.SCHEMA,)
        ).fetchone() == (0,)
    assert leaks.find_leaks(pg.dsn(by_values), SALT) == {}


# The aliases inside the scrub's and the gate's queries.
ALIASES = [
    "c",
    "col",
    "d",
    "e",
    "f",
    "fp",
    "found",
    "g",
    "h",
    "hits",
    "j",
    "kind",
    "m",
    "n",
    "names",
    "r",
    "s",
    "t",
    "v",
    "w",
    "words",
    "x",
]


@pytest.mark.parametrize("blocks", [chunks.CHUNK_BLOCKS, 1])
def test_columns_named_like_the_queries_aliases(pg, copy_of, policy, tmp_path, monkeypatch, blocks):
    """A custom table may name its columns like the queries' own aliases: each column is still
    read and scrubbed as itself, row by row and (one-page ranges) value by value."""
    monkeypatch.setattr(chunks, "CHUNK_BLOCKS", blocks)
    db = copy_of("o16base")
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(a)) for a in ALIASES)
    texts = [f"<p>Ask {p.name} at {p.email}</p>" for p in odoo_fill.PERSONS[:5]]
    with pg.connect(db) as conn:
        conn.execute(sql.SQL("CREATE TABLE x_alias (id serial, {})").format(columns))
        conn.execute(
            sql.SQL("INSERT INTO x_alias ({}) SELECT {} FROM generate_series(0, 199) i").format(
                sql.SQL(", ").join(map(sql.Identifier, ALIASES)),
                sql.SQL(", ").join(sql.SQL("(%(texts)s::text[])[i %% 5 + 1]") for _ in ALIASES),
            ),
            {"texts": texts},
        )
        conn.commit()
        fingerprints.record(pg.dsn(db), SALT, policy)
    assert {f"x_alias.{a}": 200 for a in ALIASES}.items() <= leaks.find_leaks(pg.dsn(db), SALT).items()
    extra = tmp_path / "aliases.yaml"
    extra.write_text("x_alias: {" + ", ".join(f"{a}: redact" for a in ALIASES) + "}\n")
    _scrub(pg, db, load_policy([extra]))
    assert leaks.find_leaks(pg.dsn(db), SALT) == {}


def test_rerun_is_safe(pg, copy_of, policy):
    db = copy_of("o16base")
    fingerprints.record(pg.dsn(db), SALT, policy)
    _scrub(pg, db, policy)
    _scrub(pg, db, policy)
    with pg.connect(db) as conn:
        assert leaks.find_leaks(pg.dsn(db), SALT) == {}
        assert conn.execute("SELECT count(*) FROM res_users WHERE login = 'admin'").fetchone()[0] == 1


def test_unique_columns_stay_unique(pg, copy_of, policy):
    db = copy_of("o16base")
    with pg.connect(db) as conn:
        conn.execute("UPDATE res_company SET name = 'Same Name'")
    _scrub(pg, db, policy)
    with pg.connect(db) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM res_company")]
        logins = [n for (n,) in conn.execute("SELECT login FROM res_users")]
    assert len(set(names)) == len(names) > 1 and "Same Name" not in names
    assert len(set(logins)) == len(logins)


def test_translations_are_scrubbed_in_every_language(pg, copy_of, policy):
    db = copy_of("o16")
    _scrub(pg, db, policy)
    with pg.connect(db) as conn:
        value = conn.execute("SELECT website_description FROM res_partner LIMIT 1").fetchone()[0]
    assert set(value) == {"en_US", "fr_FR"}
    assert not any(p.email in str(value) for p in odoo_fill.PERSONS)


def test_policy_errors_name_file_and_entry(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("res_partner:\n  email: scramble\n")
    with pytest.raises(PolicyError, match=r"bad.yaml: res_partner.email: unknown strategy 'scramble'"):
        load_policy([bad])
    bad.write_text("res_partner: {name: {strategy: fake_email, company_if: is_company}}\n")
    with pytest.raises(PolicyError, match=r"res_partner.name: 'company_if' only applies to fake_name"):
        load_policy([bad])
    bad.write_text("'res partner; drop': keep\n")
    with pytest.raises(PolicyError, match="is not a table/column name"):
        load_policy([bad])


def test_most_specific_table_entry_applies_alone(tmp_path):
    extra = tmp_path / "p.yaml"
    extra.write_text("'ir_*': {name: fake_name}\nir_attachment: {x_note: keep}\nres_users_apikeys: {name: keep}\n")
    policy = load_policy([extra])
    assert policy.rule("ir_ui_menu", "name").strategy == "fake_name"
    assert policy.rule("ir_ui_menu", "other").strategy == "keep"  # merged column by column
    assert policy.rule("ir_attachment", "db_datas").strategy == "null"  # exact entry, not the glob
    assert not policy.deletes("res_users_apikeys")
