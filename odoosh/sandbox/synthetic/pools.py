"""Seeded Faker value pools, loaded into temporary tables.

Faker is far too slow to call once per row at scale, so it fills small pools instead (POOL_SIZE
values per kind) and the table recipes combine pool entries by hashing row ids. Each pool is a
temporary table ``pool_<kind>(i, v, norm)``: ``i`` in 0..POOL_SIZE-1, ``v`` the value as a person
would type it and ``norm`` a normalised form (an ASCII slug for names, E.164 for phone numbers)
for building emails and the ``*_sanitized`` columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import psycopg
from faker import Faker
from psycopg import sql

POOL_SIZE = 1024
LOCALES = ["en_US", "en_GB", "fr_FR", "nl_BE", "de_DE", "es_ES"]
# (country calling code, national number pattern) for the phone pool.
PHONE_PLANS = [
    ("32", "4## ## ## ##"),
    ("32", "2 ### ## ##"),
    ("33", "6 ## ## ## ##"),
    ("31", "6 ## ## ## ##"),
    ("49", "15# #######"),
    ("44", "7### ######"),
    ("352", "621 ### ###"),
    ("34", "6## ### ###"),
    ("1", "### ### ####"),
]


def _slug(value: str) -> str:
    """Lower-case ASCII letters only, so that `slug || id` stays unique per id."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_value.lower()) or "x"


def _phone(fake: Faker) -> tuple[str, str]:
    code, pattern = fake.random_element(PHONE_PLANS)
    national = fake.numerify(pattern)
    return f"+{code} {national}", "+" + code + national.replace(" ", "")


def _one_line(text: str) -> str:
    return text.replace("\n", ", ")


def _named(make: Callable[[Faker], str]) -> Callable[[Faker], tuple[str, str]]:
    def pair(fake: Faker) -> tuple[str, str]:
        value = _one_line(make(fake))
        return value, _slug(value)

    return pair


def _domain(fake: Faker) -> str:
    """Half free-mail providers (repeated a lot, as in real data), half company-like domains."""
    return fake.free_email_domain() if fake.boolean() else fake.domain_name()


POOLS: dict[str, Callable[[Faker], tuple[str, str]]] = {
    "first_name": _named(lambda f: f.first_name()),
    "last_name": _named(lambda f: f.last_name()),
    "company": _named(lambda f: f.company()),
    "street": _named(lambda f: f.street_address()),
    "street2": _named(lambda f: f.secondary_address()),
    "city": _named(lambda f: f.city()),
    "zip": _named(lambda f: f.postcode()),
    "job": _named(lambda f: f.job()[:60]),
    "domain": _named(_domain),
    "phone": _phone,
    "sentence": _named(lambda f: f.sentence(nb_words=8)),
    "paragraph": _named(lambda f: f.paragraph(nb_sentences=8)),
    "ssn": _named(lambda f: f.ssn()),
    "passport": _named(lambda f: f.passport_number()),
}


def load_pools(conn: psycopg.Connection, seed: int) -> None:
    """Create and fill the temporary pool tables (dropped at the end of the transaction)."""
    fake = Faker(LOCALES)
    fake.seed_instance(seed)
    for kind, make in POOLS.items():
        table = sql.Identifier(f"pool_{kind}")
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (i integer PRIMARY KEY, v text NOT NULL, norm text NOT NULL) ON COMMIT DROP"
            ).format(table)
        )
        with conn.cursor().copy(sql.SQL("COPY {} (i, v, norm) FROM STDIN").format(table)) as copy:
            for i in range(POOL_SIZE):
                copy.write_row((i, *make(fake)))
