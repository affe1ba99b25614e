"""Pools of realistic fake values, generated once per scrub with a fixed Faker seed.

The pools are small lists (hundreds of entries each) that SQL combines and picks from by a
keyed hash of the original value: a first name and a last name make one of ~250,000 person
names. They are passed to each UPDATE as array parameters, so picking is an array subscript
per row rather than a lookup in a pool table.
"""

from __future__ import annotations

import re
import unicodedata

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]
# Faker's it_IT cities are drawn from a set, whose order changes with PYTHONHASHSEED: with
# them, the same salt would give other fake cities in every process.
CITY_LOCALES = [locale for locale in LOCALES if locale != "it_IT"]
SEED = 20240601
_DIGITS = re.compile(r"\D")


def _ascii(text: str) -> str:
    """Lowercase ASCII letters only, for email local parts."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower()) or "user"


def _unique(make, size: int, accept=lambda value: True) -> list[str]:
    values: dict[str, None] = {}
    for _ in range(size * 20):
        value = make()
        if accept(value):
            values[value] = None
        if len(values) == size:
            break
    return list(values)


def _seeded(locales: list[str]) -> Faker:
    fake = Faker(locales)
    fake.seed_instance(SEED)
    return fake


def build_pools() -> dict[str, list[str]]:
    """Named pools; the names are the SQL parameter names the scrubber uses. The same in every
    process, so fakes are deterministic for a salt across runs."""
    fake = _seeded(LOCALES)
    first = _unique(fake.first_name, 500)
    last = _unique(fake.last_name, 500)
    phones = _unique(
        fake.phone_number,
        1000,
        lambda p: re.fullmatch(r"[-+0-9 ().]+", p) is not None and len(_DIGITS.sub("", p)) >= 9,
    )
    return {
        "first_names": first,
        "last_names": last,
        "first_ascii": [_ascii(name) for name in first],
        "last_ascii": [_ascii(name) for name in last],
        "companies": _unique(fake.company, 1000),
        "streets": _unique(fake.street_address, 1000),
        "cities": _unique(_seeded(CITY_LOCALES).city, 500),
        "zips": _unique(fake.postcode, 500),
        "phones": phones,
        "phones_e164": ["+" + _DIGITS.sub("", p).lstrip("0") for p in phones],
        "texts": _unique(lambda: fake.paragraph(nb_sentences=3), 300),
    }
