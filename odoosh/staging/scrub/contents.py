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
IBAN_CANDIDATE = re.compile(patterns.IBAN)
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
        if next(ibans(text), None):
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


def phone_forms(number: phonenumbers.PhoneNumber) -> set[str]:
    """The digits of every way `number` is written: international (+49 30 1234567, 0049...),
    national with its trunk prefix (030 1234567), without it, and the German/Swiss/Austrian
    "+49 (0)30" habit. Text is compared with production by digits, so "030 1234567" in a note is
    the same number as "+49 30 1234567" in a phone field."""
    nsn = phonenumbers.national_significant_number(number)
    e164 = f"{number.country_code}{nsn}"
    national = "".join(
        c for c in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if c.isdigit()
    )
    forms = {e164, f"00{e164}", national, nsn, f"{number.country_code}0{nsn}"}
    return {f for f in forms if len(f) >= patterns.MIN_PHONE_DIGITS}


def phone_value_forms(value: str, region: str | None) -> set[str]:
    """The forms of a phone field's value (`phone_forms`). A value libphonenumber cannot read
    keeps its digits: someone typed it into a phone field, so it is a phone number to us."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phone_forms(number)
    digits = "".join(c for c in value if c.isdigit())
    return {digits} if len(digits) >= patterns.MIN_PHONE_DIGITS else set()


def ibans(text: str) -> Iterator[str]:
    """The IBANs written in `text` (checksum-valid), compact: no spaces, upper case."""
    for match in IBAN_CANDIDATE.finditer(text.upper()):
        if iban.is_valid(match.group()):
            yield iban.compact(match.group())


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
