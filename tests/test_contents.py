"""Personal data inside text, found by phonenumbers and stdnum, and what must not be taken for it."""

import pytest
from psycopg import sql

from odoosh.staging.scrub import catalog, contents, coverage

KEPT = [  # company data that looks like numbers: none of it is personal
    "INV/2024/00001",
    "INV/2024/01640",  # its last part alone is a valid (5-digit) German number
    "SO/2023/12345678",
    "SO/2023/0042 confirmed",
    "2023-01-28 10:15",
    "12:30-14:45",
    "Total 1,234,567.89 EUR",
    "ISBN 978-3-16-148410-0",
    "1Z999AA10123456784",
    "Ref 20240601123456",
    "Order 123456789",
    "DE89 3704 0044 0532 0130 01",  # an IBAN whose checksum is wrong
]


@pytest.mark.parametrize("text", KEPT)
def test_references_dates_amounts_and_codes_are_not_personal(text):
    assert contents.kinds(text, "DE") == set()


@pytest.mark.parametrize(
    ("text", "region", "found"),
    [
        ("Call me at 030 1234567", "DE", {"phone"}),  # national form, in the company's country
        ("Call me at 030 1234567", None, set()),  # ...which needs the country to be known
        ("+49 30 1234567 after six", None, {"phone"}),
        ("tel. 06 12 34 56 78", "FR", {"phone"}),
        ('"Anna Smith" <anna@example.de>', None, {"email"}),
        ("pay to DE89 3704 0044 0532 0130 00, thanks", None, {"iban"}),
        ("BE71096123456769 / +32 2 555 12 12", "BE", {"iban", "phone"}),
    ],
)
def test_personal_data_in_the_forms_people_write(text, region, found):
    assert contents.kinds(text, region) == found


def test_the_sample_covers_the_whole_table_and_spares_references(pg, fresh_db):
    """Phone numbers only after the first 20,000 rows are found; references are not taken for them."""
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE delivery_note (id serial, label varchar, reference varchar)")
        conn.execute(
            "INSERT INTO delivery_note (label, reference) SELECT CASE WHEN g > 20000 THEN 'ring 030 ' || (1234500 + g % 90) "
            "ELSE 'parcel ' || g END, 'INV/2024/' || lpad(g::text, 5, '0') FROM generate_series(1, 40000) g"
        )
        cols = [c for c in catalog.columns(conn) if c.table == "delivery_note" and c.name in ("label", "reference")]
        flagged = coverage._suspect_by_content(conn, "delivery_note", cols, "DE")
        assert [c.name for c in flagged] == ["label"]
        conn.execute(sql.SQL("DROP TABLE delivery_note"))


def test_company_region_comes_from_the_companys_partner(pg, fresh_db):
    with pg.connect(fresh_db) as conn:
        assert contents.company_region(conn) is None  # not an Odoo database
        conn.execute("CREATE TABLE res_country (id int, code varchar)")
        conn.execute("CREATE TABLE res_partner (id int, country_id int)")
        conn.execute("CREATE TABLE res_company (id int, partner_id int)")
        conn.execute("INSERT INTO res_country VALUES (1, 'de'); INSERT INTO res_partner VALUES (7, 1)")
        conn.execute("INSERT INTO res_company VALUES (1, 7)")
        assert contents.company_region(conn) == "DE"
