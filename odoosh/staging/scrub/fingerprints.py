"""What production holds that is personal: every value the scrub policy treats so, fingerprinted.

The sources are not a list of tables: every column the policy fakes, hashes, nulls, redacts or
deletes contributes, by what its strategy says it is (`KINDS`). A column of names gives names,
one of phone numbers every written form of each number; free text (filler-faked, redacted,
nulled or deleted) gives the emails, phone numbers and IBANs written in it. So a livechat
guest's name, an applicant's phone or a registration's email is searched for everywhere, like
a partner's. Phone numbers and IBANs in text are recognised by `phonenumbers` and `stdnum`
(contents.py), over the distinct candidates the database proposes: a document reference is
never taken for a phone number, and the gate and the scrub's `redact` then compare by
fingerprint only.

Fingerprints are salt-keyed 64-bit hashes in schema `odoosh_quarantine` of the quarantine
database, dropped before its dump.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from odoosh.postgres import connect
from odoosh.staging.scrub import catalog, chunks, contents, leaks, patterns
from odoosh.staging.scrub.leaks import TABLE, compact, digits, normalised, street_normalised
from odoosh.staging.scrub.policy import Policy

# What a column's strategy says its values are. "text": free text, searched for what is in it.
KINDS = {
    "fake_name": "name",
    "fake_company": "name",
    "fake_email": "email",
    "fake_phone": "phone",
    "fake_street": "street",
    "hash": "id",
    "null": "text",
    "fake_text": "text",
    "redact": "text",
}
EXTRACTED = sql.Identifier(leaks.SCHEMA, "extracted")  # the normalised values read, before they are hashed
MIN_ID_DIGITS = 8  # an identifier's digits alone ("BE 0123 456 789") are compared from this many on


@dataclass(frozen=True)
class Source:
    kind: str
    column: catalog.Column


def sources(conn: psycopg.Connection, policy: Policy) -> list[Source]:
    """The text columns the policy treats as personal, with the kind of their values."""
    found = []
    for col in catalog.columns(conn):
        if not col.is_text:
            continue
        if policy.deletes(col.table):
            kind = "text"
        elif (rule := policy.rule(col.table, col.name)) is not None and rule.fingerprint:
            kind = KINDS.get(rule.strategy)
        else:
            kind = None
        if kind:
            found.append(Source(kind, col))
    return found


def record(dsn: str, salt: str, policy: Policy, *, jobs: int = 2) -> dict[str, int]:
    """Store fingerprints of production's personal values, reading the sources on `jobs`
    connections; returns how many are stored per kind (an IBAN both in a column and in free
    text is stored twice). Run before scrubbing."""
    with connect(dsn, autocommit=True) as conn:
        leaks.drop_fingerprints(conn)
        leaks.ensure_fingerprint_table(conn)
    add(dsn, salt, policy, jobs=jobs)
    with connect(dsn, autocommit=True) as conn:
        return {kind: 0 for kind in ("name", "email", "phone", "street", "id")} | dict(
            conn.execute(sql.SQL("SELECT kind, count(*) FROM {} GROUP BY kind").format(TABLE)).fetchall()
        )


def add(dsn: str, salt: str, policy: Policy, *, jobs: int = 2) -> None:
    """Add the fingerprints of the sources of `policy` to those recorded: also how kept columns
    in which the gate found production values become sources before they are redacted, so that
    the phone numbers and IBANs written there are replaced and looked for too.

    Columns of values first, then free text, of which only what they did not give is read out:
    most numbers and addresses in messages are those of contacts."""
    params = leaks.params(salt)
    with connect(dsn, autocommit=True) as conn:
        region = contents.company_region(conn)
        own = _own_company_values(conn, region)
        found = sources(conn, policy)
        conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (x text NOT NULL, kind text NOT NULL)").format(EXTRACTED))
        ranges = {table: chunks.split(conn, table) for table in {s.column.table for s in found if s.kind == "text"}}
        for stage in ([s for s in found if s.kind != "text"], [s for s in found if s.kind == "text"]):
            # Free text, most of a database's size, is read in ranges of pages on every connection.
            tasks = [
                _task(source, region, pages)
                for source in stage
                for pages in (ranges[source.column.table] if source.kind == "text" else [chunks.Pages(0)])
            ]
            # Parallel inserts of the same value cannot conflict without a key: it comes after,
            # on every connection too, each the values of its share (equal values share one).
            chunks.run(dsn, tasks, lambda c, task: task(c, params), jobs=jobs, session=chunks.tune)
            shares = [_insert_share(own, share, jobs) for share in range(jobs)]
            chunks.run(dsn, shares, lambda c, insert: c.execute(insert, params), jobs=jobs, session=chunks.tune)
            conn.execute(sql.SQL("TRUNCATE {}").format(EXTRACTED))
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS fingerprints_h_kind ON {} (h, kind)").format(TABLE))
            # Statistics make the planner probe the fingerprints' index, not hash them for every row.
            conn.execute(sql.SQL("ANALYZE {}").format(TABLE))
        conn.execute(sql.SQL("DROP TABLE {}").format(EXTRACTED))


def _insert_share(own: list[str], share: int, shares: int) -> sql.Composable:
    """INSERT of the fingerprints of the extracted values of one share of `shares`, but the
    operator's own."""
    return sql.SQL(
        "INSERT INTO {fp} (h, kind) SELECT DISTINCT {h}, kind FROM {extracted} "
        "WHERE mod(abs(hashtext(x)::bigint), {shares}) = {share} AND {not_own}"
    ).format(
        fp=TABLE,
        h=leaks.fingerprint(sql.SQL("x")),
        extracted=EXTRACTED,
        shares=sql.Literal(shares),
        share=sql.Literal(share),
        not_own=_not_in(own, sql.SQL("x")),
    )


Task = Callable[[psycopg.Connection, dict], None]


def _task(source: Source, region: str | None, pages: chunks.Pages) -> Task:
    """The work that fingerprints one source (the rows of `pages` for free text, each distinct
    value once otherwise): SQL where the database can tell the values, a read of distinct
    candidates for Python where a library must recognise them."""
    col = source.column
    values = leaks.text_values(sql.SQL("src.c"), col.type in ("json", "jsonb"))
    v = sql.SQL("s.v")
    c, t = sql.Identifier(col.name), sql.Identifier(col.table)
    if source.kind == "text":
        rows = sql.SQL("SELECT {c} AS c FROM {t} WHERE {c} IS NOT NULL AND {pages}").format(
            c=c, t=t, pages=pages.condition()
        )
    else:  # names, emails, numbers: repeated, short
        rows = sql.SQL("SELECT DISTINCT {c} AS c FROM {t} WHERE {c} IS NOT NULL").format(c=c, t=t)

    def read(candidates: sql.Composable) -> sql.Composable:
        """SELECT DISTINCT of `candidates` (a SELECT over `s.v`, one text of the column)."""
        return sql.SQL(
            "SELECT DISTINCT f.* FROM ({rows}) AS src, LATERAL ({values}) AS s(v), LATERAL ({candidates}) AS f"
        ).format(rows=rows, values=values, candidates=candidates)

    if source.kind in ("name", "street", "id", "email"):
        forms = _forms(source.kind, v)
        if source.kind == "email":  # and the name of a display-form address
            forms = sql.SQL(
                "SELECT e.x, 'email' AS kind FROM ({e}) AS e UNION ALL SELECT n.x, 'name' FROM ({n}) AS n"
            ).format(e=forms, n=_display_name(v))
        else:
            forms = sql.SQL("SELECT f.x, {kind} AS kind FROM ({forms}) AS f").format(
                kind=sql.Literal(source.kind), forms=forms
            )
        query = sql.SQL(
            "INSERT INTO {extracted} (x, kind) SELECT x, kind FROM ({read}) AS r WHERE x IS NOT NULL"
        ).format(extracted=EXTRACTED, read=read(forms))
        return lambda conn, params: conn.execute(query, params)

    if source.kind == "phone":
        query = read(sql.SQL("SELECT btrim(s.v) AS x"))

        def recognised(x: str) -> Iterator[tuple[str, str]]:
            for form in contents.phone_value_forms(x, region):
                yield form, "phone"
    else:  # free text: what people write in it, but what the columns of values gave already
        # No cheap tests first: over texts this long they cost as much as the expressions.
        found = read(
            sql.SQL(
                "SELECT {e} AS x, 'email' AS kind FROM regexp_matches(s.v, {email}, 'g') AS m WHERE strpos(s.v, '@') > 0 "
                "UNION ALL SELECT m[1], 'phone' FROM regexp_matches(s.v, {phone}, 'g') AS m "
                "UNION ALL SELECT m[1], 'iban' FROM regexp_matches(s.v, {iban}, 'g') AS m"
            ).format(
                e=normalised(sql.SQL("m[1]")),
                email=sql.Literal(f"({patterns.EMAIL})"),
                phone=sql.Literal(f"({patterns.PHONE_ALONE})"),
                iban=sql.Literal(f"({patterns.IBAN})"),
            )
        )
        # Each distinct candidate looked up once.
        query = sql.SQL(
            "SELECT r.x, r.kind FROM ({found}) AS r "
            "WHERE CASE r.kind WHEN 'email' THEN NOT {known} WHEN 'phone' THEN NOT {known_phone} ELSE true END"
        ).format(
            found=found,
            known=leaks.in_production(sql.SQL("r.x"), "email"),
            known_phone=leaks.in_production(digits(sql.SQL("r.x")), "phone"),
        )

        def recognised(x: str, kind: str) -> Iterator[tuple[str, str]]:
            if kind == "email":
                yield x, "email"
            elif kind == "phone":
                for number in contents.phone_numbers(x, region):
                    for form in contents.phone_forms(number):
                        yield form, "phone"
            else:
                for iban in contents.ibans(x):
                    yield iban.lower(), "id"

    def run(conn: psycopg.Connection, params: dict) -> None:
        found = {form for row in conn.execute(query, params) for form in recognised(*row)}
        with conn.cursor().copy(sql.SQL("COPY {} (x, kind) FROM STDIN").format(EXTRACTED)) as copy:
            for row in found:
                copy.write_row(row)

    return run


def _forms(kind: str, v: sql.Composable) -> sql.Composable:
    """SELECT of the normalised forms (`x`) under which a value `v` of a column of `kind`
    (but phone, which Python reads) is fingerprinted."""
    if kind == "email":
        return _emails(v)
    if kind == "id":
        return _id_forms(v)
    # A single word ("Administrator", "OdooBot", a one-word company) is too common elsewhere
    # (group names, templates) to mean a leak; a person's name or a street has two or more.
    norm = normalised(v) if kind == "name" else street_normalised(v)
    return sql.SQL("SELECT {n} AS x WHERE length(btrim({v})) >= 4 AND {v} ~ '\\S\\s+\\S'").format(n=norm, v=v)


def _emails(v: sql.Composable) -> sql.Composable:
    return sql.SQL("SELECT {x} AS x FROM regexp_matches({v}, {re}, 'g') AS m WHERE strpos({v}, '@') > 0").format(
        x=normalised(sql.SQL("m[1]")), v=v, re=sql.Literal(f"({patterns.EMAIL})")
    )


def _display_name(v: sql.Composable) -> sql.Composable:
    """The name of a display-form address ('"Anna Smith" <anna@example.org>'), if two words;
    cut out once (OFFSET 0), not again for each of its uses."""
    name = sql.SQL('btrim(substring({v} from \'^\\s*"?([^"<@]+?)"?\\s*<\'))').format(v=v)
    return sql.SQL("SELECT {n} AS x FROM (SELECT {name} OFFSET 0) AS d(name) WHERE d.name ~ '\\S\\s+\\S'").format(
        n=normalised(sql.SQL("d.name")), name=name
    )


def _id_forms(v: sql.Composable) -> sql.Composable:
    """An identifier as the gate finds it in text: whole, compact ("BE0123.456.789" and
    "be0123456789" alike), and its digits when there are enough ("0123 456 789")."""
    return sql.SQL(
        "SELECT x FROM (VALUES ({whole}), ({compact}), (CASE WHEN length({d}) >= {n} THEN {d} END)) AS f(x) "
        "WHERE length(x) >= 4"
    ).format(whole=normalised(v), compact=compact(v), d=digits(v), n=sql.Literal(MIN_ID_DIGITS))


# What the operator's own companies are known by: (table, column, kind), read from the rows of
# res_company, of their partners and of their partners' bank accounts.
OWN = [
    *[("res_company", column, kind) for column, kind in [("name", "name"), ("email", "email"), ("phone", "phone")]],
    ("res_company", "vat", "id"),
    ("res_company", "company_registry", "id"),
    ("res_partner", "name", "name"),
    ("res_partner", "email", "email"),
    ("res_partner", "street", "street"),
    ("res_partner", "vat", "id"),
    ("res_partner", "company_registry", "id"),
    ("res_partner", "phone", "phone"),
    ("res_partner", "mobile", "phone"),
    ("res_partner_bank", "acc_number", "id"),
]
_OWN_ROWS = {
    "res_company": sql.SQL("true"),
    "res_partner": sql.SQL("id IN (SELECT partner_id FROM res_company)"),
    "res_partner_bank": sql.SQL("partner_id IN (SELECT partner_id FROM res_company)"),
}


def _own_company_values(conn: psycopg.Connection, region: str | None) -> list[str]:
    """Every form of the operator's own companies' names, addresses, numbers and accounts: not
    personal data, and rightly in staging (login page, website, letterheads, invoices), also
    where a partner shares one of them."""
    if not catalog.has_column(conn, "res_company", "partner_id"):
        return []
    own: set[str] = set()
    for table, column, kind in OWN:
        if not catalog.has_column(conn, table, column):
            continue
        rows = sql.SQL("SELECT {c}::text AS v FROM {t} WHERE {own} AND {c} IS NOT NULL").format(
            c=sql.Identifier(column), t=sql.Identifier(table), own=_OWN_ROWS[table]
        )
        if kind == "phone":
            own |= {form for (v,) in conn.execute(rows) for form in contents.phone_value_forms(v, region)}
        else:
            query = sql.SQL("SELECT f.x FROM ({rows}) AS o, LATERAL ({forms}) AS f").format(
                rows=rows, forms=_forms(kind, sql.SQL("o.v"))
            )
            own |= {x for (x,) in conn.execute(query) if x}
    return sorted(own)


def _not_in(own: list[str], x: sql.Composable) -> sql.Composable:
    return sql.SQL("NOT ({x} = ANY({own}::text[]))").format(x=x, own=sql.Literal(own))
