"""Fill an Odoo schema (no rows) with realistic personal data, generically.

Every column the coverage gate finds gets values matching what the policy expects there:
people's names, emails, phones and addresses where the policy fakes or hashes, free text
quoting the same people's emails and phones where it rewrites text, and innocuous words where
it keeps the column (a kept column holding PII is the failure the leak gate exists to catch).
NOT NULL columns get a value of their type. Constraints other than NOT NULL are dropped first,
as in a restore's pre-data + data sections.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import psycopg
from faker import Faker
from psycopg import sql

from odoosh.staging.scrub import catalog, coverage
from odoosh.staging.scrub.policy import Policy

ROWS = 12
# Kept columns (company data) into which users write a person's name now and then: the leak
# gate finds them, the quarantine redacts them, and the refresh passes with a warning.
KEPT_FREE_TEXT = {
    ("project_task", "name"),
    ("account_move_line", "name"),
    ("sale_order_line", "name"),
    ("purchase_order_line", "name"),
}
# Tables of persons who are neither partners, employees nor users: filled with GUESTS.
GUEST_TABLES = {"mail_guest"}

# The operator's own company
COMPANY_DATA = {
    "name": "Northwind Supplies SA",
    "email": "info@northwind.example",
    "phone": "+32 2 000 00 00",
    "mobile": "+32 470 00 00 00",
    "street": "Industrieweg 1",
    "vat": "BE0477472701",
    "company_registry": "0477472701",
}
PARTNERS = 60
SCHEMAS = Path(__file__).resolve().parent / "data" / "odoo-schemas"  # see its README.md
DUMPS = {
    "o16": "odoo16-maaranodoo-mmdb.sql",
    "o16base": "odoo16-maaranodoo-mmdb007-base.sql",
    "o12": "odoo12-prisma-schema-examples.sql",
}


@dataclass
class Person:
    name: str
    email: str
    phone: str
    street: str
    city: str
    zip: str
    vat: str
    iban: str

    @property
    def national_phone(self) -> str:
        """The phone as written at home: "02 555 12 34" for "+32 2 555 12 34"."""
        return "0" + self.phone.removeprefix("+32 ")

    @property
    def spaced_iban(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    def planted(self) -> list[str]:
        """Every form in which the fill writes this person's data: what staging must not hold."""
        return [
            self.name,
            self.email,
            self.phone,
            self.national_phone,
            self.street,
            self.vat,
            self.iban,
            self.spaced_iban,
        ]


PARTICLES = ["van der", "de", "von", "da", "de los"]


def people(count: int, seed: int = 7) -> list[Person]:
    """Distinct persons with names as real data has them: no two share a first or a last name
    (so each name is unique without a telltale number), accents included, every fourth with a
    particle ("Jan van der Berg")."""
    fake = Faker(["en_US", "fr_FR", "de_DE"])
    fake.seed_instance(seed)
    return [
        Person(
            " ".join(
                [
                    fake.unique.first_name(),
                    *([PARTICLES[i // 4 % len(PARTICLES)]] if i % 4 == 3 else []),
                    fake.unique.last_name(),
                ]
            ),
            f"person{i}.{fake.user_name()}@{fake.free_email_domain()}",
            _phone(fake),
            _street_line(fake),
            fake.city(),
            fake.postcode(),
            f"BE0{fake.numerify('#########')}",
            fake.iban(),
        )
        for i in range(count)
    ]


def _phone(fake: Faker) -> str:
    """A Brussels number that exists (libphonenumber's metadata): people's numbers do."""
    phone = f"+32 2 {fake.numerify('### ## ##')}"
    while not phonenumbers.is_valid_number(phonenumbers.parse(phone)):
        phone = f"+32 2 {fake.numerify('### ## ##')}"
    return phone


def _street_line(fake: Faker) -> str:
    """A street line with its house number, as postal addresses have them (the gate finds a
    street in text by the words around its number: README, "Scrub policy", what it cannot see)."""
    street = fake.street_address()
    while not any(c.isdigit() for c in street):
        street = fake.street_address()
    return street


def drop_constraints(conn: psycopg.Connection) -> None:
    """What pg_restore's post-data section would add later: checks, uniques, foreign keys."""
    for table, name in conn.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'u', 'f', 'x')"
    ).fetchall():
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {} CASCADE").format(sql.SQL(table), sql.Identifier(name))
        )
    for (index,) in conn.execute(
        "SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisprimary"
    ).fetchall():
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.SQL(index)))


def _text_for(col: catalog.Column, strategy: str | None, person: Person, rng: random.Random) -> str:
    name = col.name
    if strategy in (None, "keep"):
        return f"Widget {rng.randint(1, 999)}"
    if strategy in ("fake_text", "redact") or (strategy == "null" and col.type == "text"):
        return free_text(person)
    if strategy == "fake_email" or "email" in name or "login" in name:
        return f'"{person.name}" <{person.email}>' if name == "email_from" else person.email
    if strategy == "fake_phone" or "phone" in name or "mobile" in name:
        return person.phone
    if strategy == "fake_street" or "street" in name:
        return person.street
    if strategy == "fake_city" or "city" in name:
        return person.city
    if strategy == "fake_zip" or "zip" in name:
        return person.zip
    if "vat" in name or "registry" in name:
        return person.vat
    if "acc_number" in name or "account_number" in name:
        return person.iban
    if strategy == "fake_company":
        return person.name.split()[1] + " Holding"
    return person.name


def free_text(person: Person) -> str:
    """What people write in notes, descriptions and templates: every form of a person's data,
    among references, dates, amounts and codes that must survive the scrub as they are."""
    return (
        f"<p>Re INV/2024/00001 of 2024-01-28 10:15 (1.234,56 EUR): please call {person.name} on "
        f"{person.national_phone} or {person.phone}, write to &quot;{person.name}&quot; &lt;{person.email}&gt;, "
        f"visit {person.street}, {person.zip} {person.city}.</p><p>IBAN {person.spaced_iban}, VAT {person.vat}.</p>"
    )


def _kept_text(table: str, i: int, persons: list[Person]) -> str:
    """A task name or an invoice label: every third names a person (a livechat guest, in tasks)."""
    if i % 3:
        return f"Widget {i}"
    who = GUESTS[i % len(GUESTS)] if table == "project_task" else persons[i % len(persons)]
    return f"Call {who.name} back on {who.national_phone}"


def _value(col: catalog.Column, strategy: str | None, person: Person, rng: random.Random):
    if col.is_text:
        text = _text_for(col, strategy, person, rng)
        if col.type in ("json", "jsonb"):
            return json.dumps({"en_US": text, "fr_FR": text})
        return text
    if col.category == "D":
        return "1980-05-17"
    if col.category == "N":
        return 50.85
    if col.category == "B":
        return False
    if col.type == "bytea":
        return person.email.encode()
    return None


def _filler(col: catalog.Column):
    """A value for a NOT NULL column the test does not care about."""
    return {"S": "x", "N": 1, "B": False, "D": "2024-01-01"}.get(
        col.category, "{}" if col.type in ("json", "jsonb") else b"\x00" if col.type == "bytea" else None
    )


def fill(conn: psycopg.Connection, policy: Policy, persons: list[Person], seed: int = 3) -> dict[str, int]:
    """Insert rows into every table with a PII-suspect column; returns rows per table."""
    rng = random.Random(seed)
    conn.execute("SET session_replication_role = replica")
    suspects = {(c.table, c.name) for c in coverage.suspect_columns(conn)}
    counts = {}
    for table, cols in catalog.by_table(catalog.columns(conn)).items():
        if not any((table, c.name) in suspects for c in cols) and table not in ("res_users", "res_partner"):
            continue
        n = PARTNERS if table == "res_partner" else ROWS
        chosen = [
            c
            for c in cols
            if c.name != "id"
            and (
                (table, c.name) in suspects
                or (table, c.name) in KEPT_FREE_TEXT
                or c.not_null
                or _special(table, c, 0) is not None
            )
        ]
        rows = []
        for i in range(n):
            who = GUESTS if table in GUEST_TABLES else persons
            person = who[i % len(who)]
            row = []
            for c in chosen:
                rule = policy.rule(table, c.name)
                if (table, c.name) in KEPT_FREE_TEXT:
                    row.append(_kept_text(table, i, persons))
                elif (table, c.name) in suspects:
                    value = _value(c, rule.strategy if rule else None, person, rng)
                    row.append(value if value is not None else _filler(c))
                else:
                    special = _special(table, c, i)
                    row.append(_filler(c) if special is None else special)
            rows.append(row)
        if not chosen:
            continue
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.Identifier(c.name) for c in chosen),
            sql.SQL(", ").join(sql.Placeholder() * len(chosen)),
        )
        with conn.cursor() as cur:
            cur.executemany(query, rows)
        counts[table] = n
    _own_company(conn)
    conn.execute("SET session_replication_role = origin")
    return counts


def _own_company(conn: psycopg.Connection) -> None:
    """The operator's company (every res_company row: the fill gave them persons' data) gets its
    own contact data and a partner of its own, as in Odoo: the last partner row (its person has
    an earlier row too) becomes the company."""
    if not catalog.has_column(conn, "res_company", "partner_id"):
        return
    partner = conn.execute("SELECT max(id) FROM res_partner").fetchone()[0]
    for table, where in [
        ("res_partner", sql.SQL("id = {}").format(sql.Literal(partner))),
        ("res_company", sql.SQL("true")),
    ]:
        values = {k: v for k, v in COMPANY_DATA.items() if catalog.has_column(conn, table, k)}
        conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE {}").format(
                sql.Identifier(table),
                sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values),
                where,
            ),
            list(values.values()),
        )
    conn.execute("UPDATE res_company SET partner_id = %s", (partner,))
    if catalog.has_column(conn, "res_partner", "country_id"):  # Belgian: national numbers are read as such
        country = _insert(conn, "res_country", {"code": "BE", "name": "Belgium"})
        conn.execute("UPDATE res_partner SET country_id = %s WHERE id = %s", (country, partner))


def _insert(conn: psycopg.Connection, table: str, values: dict) -> int:
    """Insert a row with `values` (translated in JSON where Odoo translates), its other NOT NULL
    columns filled; returns its id."""
    cols = {c.name: c for c in catalog.by_table(catalog.columns(conn))[table]}
    row = {k: json.dumps({"en_US": v}) if cols[k].type in ("json", "jsonb") else v for k, v in values.items()}
    row |= {c.name: _filler(c) for c in cols.values() if c.not_null and c.name not in row and c.name != "id"}
    return conn.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        ),
        list(row.values()),
    ).fetchone()[0]


def _special(table: str, col: catalog.Column, i: int):
    """Realistic values where Odoo's own logic depends on them."""
    if (table, col.name) == ("res_partner", "is_company"):
        return i % 5 == 0
    if (table, col.name) == ("res_partner", "type"):
        return "contact"
    return None


_EVERYONE = people(46)
PERSONS = _EVERYONE[:40]
GUESTS = _EVERYONE[40:]  # livechat guests: neither partners, employees nor users
