"""The pii_leak gate: no production value may survive the scrub, anywhere.

Before scrubbing, salted SHA-256 fingerprints of production's identifying values (person
names, emails, phones, VAT numbers, bank accounts, street lines) are stored in schema
`odoosh_quarantine` of the same database. After scrubbing, every text-like column of schema
public (each string of a JSON document too) is compared with them: whole values, and the
emails and phone numbers found inside free text and HTML. Only counts per column leave the
database, never values.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import psycopg
from psycopg import sql

from odoosh.scrub import catalog, patterns

SCHEMA = "odoosh_quarantine"
TABLE = sql.Identifier(SCHEMA, "fingerprints")
MAX_WHOLE_VALUE = 256  # no name, email or number is longer; skip hashing long texts whole

# Where production's identifying values live: (kind, table, column). Missing ones are skipped.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "name": [("res_partner", "name"), ("hr_employee", "name"), ("hr_employee", "private_name"),
             ("hr_employee", "spouse_complete_name"), ("hr_employee", "emergency_contact"),
             ("resource_resource", "name"), ("hr_applicant", "partner_name"), ("crm_lead", "contact_name"),
             ("res_partner_bank", "acc_holder_name"), ("mailing_contact", "name"),
             ("event_registration", "name"), ("calendar_attendee", "common_name")],
    "email": [("res_partner", "email"), ("res_users", "login"), ("hr_employee", "work_email"),
              ("hr_employee", "private_email"), ("hr_applicant", "email_from"), ("crm_lead", "email_from"),
              ("mailing_contact", "email"), ("event_registration", "email"), ("res_company", "email")],
    "phone": [("res_partner", "phone"), ("res_partner", "mobile"), ("hr_employee", "work_phone"),
              ("hr_employee", "mobile_phone"), ("hr_employee", "private_phone"),
              ("hr_employee", "emergency_phone"), ("hr_applicant", "partner_phone"),
              ("hr_applicant", "partner_mobile"), ("crm_lead", "phone"), ("crm_lead", "mobile"),
              ("event_registration", "phone"), ("event_registration", "mobile")],
    "vat": [("res_partner", "vat"), ("res_partner", "company_registry"), ("hr_employee", "identification_id"),
            ("hr_employee", "passport_id"), ("hr_employee", "ssnid")],
    "bank": [("res_partner_bank", "acc_number"), ("res_partner_bank", "sanitized_acc_number")],
    "street": [("res_partner", "street"), ("hr_employee", "private_street"), ("crm_lead", "street")],
}

_DIGITS = sql.SQL("regexp_replace({}, '\\D', '', 'g')")


def _fingerprint(value: sql.Composable) -> sql.Composable:
    return sql.SQL("sha256(convert_to({salt} || {v}, 'UTF8'))").format(salt=sql.Placeholder("salt"), v=value)


def _params(salt: str) -> dict:
    return {"salt": "odoosh-leak:" + salt}


def _normalised(kind: str, v: sql.Composable) -> sql.Composable:
    """SELECT of the normalised values a production column contributes (`x`)."""
    if kind == "email":
        return sql.SQL("SELECT lower(m[1]) AS x FROM regexp_matches({v}, {re}, 'g') AS m").format(
            v=v, re=sql.Literal(f"({patterns.EMAIL})"))
    if kind == "phone":
        return sql.SQL("SELECT {d} AS x WHERE length({d}) >= {n}").format(
            d=_DIGITS.format(v), n=sql.Literal(patterns.MIN_PHONE_DIGITS))
    # Single words ("Administrator", "OdooBot", one-word company names) are too common elsewhere
    # (group names, templates) to mean a leak; a person's name has at least two words.
    words = sql.SQL(" AND {v} ~ '\\S\\s+\\S'").format(v=v) if kind in ("name", "street") else sql.SQL("")
    return sql.SQL("SELECT lower(btrim({v})) AS x WHERE length(btrim({v})) >= 4{words}").format(v=v, words=words)


def _not_own_company(conn: psycopg.Connection, table: str) -> sql.Composable:
    """The operator's own companies are not personal data: their names and addresses rightly
    appear in staging (login page, website name, letterheads)."""
    if table != "res_partner" or not catalog.has_column(conn, "res_company", "partner_id"):
        return sql.SQL("")
    return sql.SQL(" AND src.id NOT IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)")


def record_fingerprints(conn: psycopg.Connection, salt: str) -> dict[str, int]:
    """Store fingerprints of production's values; returns how many per kind. Run before scrubbing."""
    ensure_fingerprint_table(conn)
    counts = {}
    for kind, sources in SOURCES.items():
        counts[kind] = 0
        for table, column in sources:
            if not catalog.has_column(conn, table, column):
                continue
            v = sql.Identifier("src", column)
            query = sql.SQL(
                "INSERT INTO {fp} (h, kind) SELECT DISTINCT {h}, {kind} FROM {t} AS src, LATERAL ({values}) n "
                "WHERE {v} IS NOT NULL{own} ON CONFLICT DO NOTHING"
            ).format(fp=TABLE, h=_fingerprint(sql.SQL("n.x")), kind=sql.Literal(kind),
                     t=sql.Identifier(table), values=_normalised(kind, v), v=v, own=_not_own_company(conn, table))
            counts[kind] += conn.execute(query, _params(salt)).rowcount
    return counts


def ensure_fingerprint_table(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    conn.execute(sql.SQL("CREATE UNLOGGED TABLE IF NOT EXISTS {} (h bytea PRIMARY KEY, kind text NOT NULL)").format(TABLE))


def in_production(normalised: sql.Composable) -> sql.Composable:
    """SQL truth of "this normalised value is one of production's": lets the scrubber steer
    its fakes away from real values, which the gate could not tell from a leak. The
    subquery is uncorrelated, so PostgreSQL hashes the fingerprints once per statement.
    Needs the parameter `leak_salt` (`leak_salt(salt)`)."""
    return sql.SQL("sha256(convert_to({salt} || {v}, 'UTF8')) IN (SELECT h FROM {fp})").format(
        salt=sql.Placeholder("leak_salt"), v=normalised, fp=TABLE)


def leak_salt(salt: str) -> str:
    return _params(salt)["salt"]


def drop_fingerprints(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))


def _candidates(v: sql.Composable) -> sql.Composable:
    """Normalised strings of one text value that could match a fingerprint."""
    return sql.SQL(
        "SELECT lower(btrim({v})) WHERE length({v}) <= {max} "
        "UNION ALL SELECT {d} WHERE length({v}) <= {max} AND {v} ~ {phone_value} AND length({d}) >= {n} "
        "UNION ALL SELECT lower(m[1]) FROM regexp_matches({v}, {email}, 'g') AS m WHERE strpos({v}, '@') > 0 "
        "UNION ALL SELECT {md} FROM regexp_matches({v}, {phone}, 'g') AS m WHERE {v} ~ {may_phone}"
    ).format(
        v=v, d=_DIGITS.format(v), md=_DIGITS.format(sql.SQL("m[1]")), max=sql.Literal(MAX_WHOLE_VALUE),
        phone_value=sql.Literal(patterns.PHONE_VALUE), n=sql.Literal(patterns.MIN_PHONE_DIGITS),
        email=sql.Literal(f"({patterns.EMAIL})"), phone=sql.Literal(f"({patterns.PHONE})"),
        may_phone=sql.Literal(patterns.MAY_HOLD_PHONE),
    )


def _strings(col: catalog.Column) -> sql.Composable:
    """The column's text values of one row: the value itself, or every string in a JSON document."""
    c = sql.Identifier("t", col.name)
    if col.type in ("json", "jsonb"):
        return sql.SQL(
            "SELECT j #>> '{{}}' FROM jsonb_path_query({c}::jsonb, 'strict $.**') AS j WHERE jsonb_typeof(j) = 'string'"
        ).format(c=c)
    return sql.SQL("SELECT {c}::text").format(c=c)


def _table_query(table: str, cols: list[catalog.Column]) -> sql.Composable:
    """Rows per column of `table` holding at least one fingerprinted value, in one scan."""
    per_column = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {name} AS col, x FROM ({strings}) AS s(v), LATERAL ({cands}) AS c(x)").format(
            name=sql.Literal(col.name), strings=_strings(col), cands=_candidates(sql.SQL("s.v")))
        for col in cols
    )
    not_null = sql.SQL(" OR ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c.name)) for c in cols)
    return sql.SQL(
        "SELECT hits.col, count(DISTINCT hits.r) FROM ("
        "SELECT t.ctid AS r, found.col, found.x FROM {table} AS t, LATERAL ({per_column}) AS found "
        "WHERE {not_null}) AS hits JOIN {fp} AS fp ON fp.h = {h} GROUP BY hits.col"
    ).format(table=sql.Identifier(table), per_column=per_column, not_null=not_null, fp=TABLE,
             h=_fingerprint(sql.SQL("hits.x")))


def _scan(conn: psycopg.Connection, salt: str, tables: Iterable[tuple[str, list[catalog.Column]]]) -> dict[str, int]:
    conn.execute("SET work_mem = '256MB'")
    found = {}
    for table, cols in tables:
        for column, rows in conn.execute(_table_query(table, cols), _params(salt)):
            found[f"{table}.{column}"] = rows
    return found


def find_leaks(conn: psycopg.Connection, salt: str, *, dsn: str | None = None, jobs: int = 1) -> dict[str, int]:
    """{`table.column`: rows holding a fingerprinted value}, nonzero only. Run after scrubbing.

    With `dsn` and `jobs` > 1, tables are scanned on `jobs` connections at once.
    """
    text_tables = [
        (table, [c for c in cols if c.is_text])
        for table, cols in catalog.by_table(catalog.columns(conn)).items()
        if any(c.is_text for c in cols)
    ]
    if dsn is None or jobs <= 1:
        return dict(sorted(_scan(conn, salt, text_tables).items()))
    found: dict[str, int] = {}
    errors: list[BaseException] = []
    shares = [text_tables[i::jobs] for i in range(jobs)]

    def worker(share) -> None:
        try:
            with psycopg.connect(dsn) as own:
                found.update(_scan(own, salt, share))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return dict(sorted(found.items()))
