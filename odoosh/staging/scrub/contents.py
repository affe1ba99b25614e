"""What a text holds that identifies a person: emails, phone numbers, bank account numbers.

Found with the libraries of the field rather than patterns of our own: `phonenumbers` (Google's
libphonenumber) recognises phone numbers as people write them, national forms in the company's
country included, and leaves document references, dates, times, amounts, ISBNs and tracking
numbers alone (with two rules of ours for references, see `phone_numbers`); `stdnum` validates IBANs by their checksum. A regular expression only proposes
IBAN candidates (two letters, two check digits, then digits and letters, spaces allowed): the
checksum decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
import psycopg
from stdnum import iban

from odoosh.staging.scrub import catalog, patterns

EMAIL = re.compile(patterns.EMAIL)
IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
MAX_CHARS = 10_000  # of one value: enough for any contact detail written in it


def kinds(text: str, region: str | None) -> set[str]:
    """The kinds of personal data in `text`: "email", "phone", "iban"."""
    text = text[:MAX_CHARS]
    found = set()
    if "@" in text and EMAIL.search(text):
        found.add("email")
    if sum(c.isdigit() for c in text) >= patterns.MIN_PHONE_DIGITS:
        if next(phone_numbers(text, region), None):
            found.add("phone")
        if any(iban.is_valid(m.group()) for m in IBAN_CANDIDATE.finditer(text.upper())):
            found.add("iban")
    return found


def phone_numbers(text: str, region: str | None) -> Iterator[phonenumbers.PhoneNumber]:
    """The phone numbers written in `text`, as libphonenumber validates them, but for two kinds
    it accepts that are document references rather: fewer than MIN_PHONE_DIGITS digits (a
    5-digit German number is valid: "INV/2024/01640" ends in one), and a number glued to a
    longer token by a letter, digit or slash ("SO/2023/12345678")."""
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        before = text[match.start - 1 : match.start]
        after = text[match.end : match.end + 1]
        glued = any(c.isalnum() or c == "/" for c in before + after)
        if not glued and sum(c.isdigit() for c in match.raw_string) >= patterns.MIN_PHONE_DIGITS:
            yield match.number


def company_region(conn: psycopg.Connection) -> str | None:
    """The country (ISO 3166 alpha-2) of the first company: the default region of national
    phone numbers. None when unknown: then only international (+...) numbers are recognised."""
    needed = [("res_company", "partner_id"), ("res_partner", "country_id"), ("res_country", "code")]
    if not all(catalog.has_column(conn, table, column) for table, column in needed):
        return None
    row = conn.execute(
        "SELECT upper(c.code) FROM res_company co JOIN res_partner p ON p.id = co.partner_id "
        "JOIN res_country c ON c.id = p.country_id ORDER BY co.id LIMIT 1"
    ).fetchone()
    return row[0] if row else None
