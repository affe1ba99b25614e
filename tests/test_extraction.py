"""What the leak gate looks for and `redact` replaces, on real Odoo schemas: every column the
policy scrubs is a source, values are found in free text in the forms people write them, and
what is not personal (references, dates, amounts, codes) survives the scrub as written."""

from __future__ import annotations

import pytest

from odoosh.staging.scrub import fingerprints, leaks, scrubber, strategies
from tests import odoo_fill

SALT = "extraction-salt"

# What a text holds besides personal data, and must keep as it is: document references, dates,
# times, amounts, an ISBN, a parcel tracking number, an EAN barcode, a tax rate.
KEPT_AS_WRITTEN = [
    "INV/2024/00001",
    "SO/2023/12345678",
    "2024-01-28 10:15:30",
    "28.01.2024",
    "1.234.567,89 EUR",
    "ISBN 978-3-16-148410-0",
    "1Z999AA10123456784",
    "EAN 4006381333931",
    "21 %",
]
# A valid number written in a template and nowhere else: personal all the same.
OTHER_PHONE = "+49 30 901820"


def _scrub(pg, db, policy):
    scrubber.scrub(pg.dsn(db), policy, salt=SALT, admin_password="pw", jobs=2, progress=lambda m: None)


def test_redact_replaces_contact_data_in_every_form_and_keeps_references(pg, copy_of, policy):
    db = copy_of("o16base")
    person = odoo_fill.PERSONS[5]
    text = (
        f"<p>{'; '.join(KEPT_AS_WRITTEN)}.</p><p>Call {person.national_phone} or {person.phone} or the "
        f"office on {OTHER_PHONE}; IBAN {person.spaced_iban}; VAT {person.vat}; visit {person.street}.</p>"
    )
    with pg.connect(db) as conn:
        conn.execute("UPDATE res_company SET company_details = %s", (text,))  # company_details: redact
        conn.commit()
    fingerprints.record(pg.dsn(db), SALT, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT)["res_company.company_details"] > 0
    _scrub(pg, db, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT) == {}
    with pg.connect(db) as conn:
        details = {d for (d,) in conn.execute("SELECT company_details FROM res_company")}
    assert len(details) == 1
    scrubbed = details.pop()
    for kept in KEPT_AS_WRITTEN:
        assert kept in scrubbed
    for gone in [*person.planted(), OTHER_PHONE]:
        assert gone not in scrubbed
    assert scrubbed.count(strategies.REDACTED_PHONE) == 3
    assert scrubbed.count(strategies.REDACTED_ID) == 2  # the IBAN and the VAT number
    assert scrubbed.startswith(f"<p>{'; '.join(KEPT_AS_WRITTEN)}.</p><p>Call ")


def test_every_column_the_policy_scrubs_is_a_source(pg, copy_of, policy):
    """A livechat guest's name, an applicant's phone, a registration's email, a bank account and
    a street line are looked for in every column, in the forms people write them; a value only
    a kept column holds is company data, not a leak."""
    db = copy_of("o16")
    person = odoo_fill.PERSONS[7]
    with pg.connect(db) as conn:
        conn.execute("UPDATE mail_guest SET name = 'Erika Mustermann' WHERE id = (SELECT min(id) FROM mail_guest)")
        conn.execute("UPDATE hr_applicant SET partner_phone = %s", (person.phone,))
        conn.execute("UPDATE event_registration SET email = 'only.registered@example.net'")
        conn.execute("UPDATE res_partner_bank SET acc_number = %s", (person.iban,))
        conn.execute(  # a customer's street (the company's own address would be no personal data)
            "UPDATE res_partner SET street = %s WHERE id = (SELECT min(id) FROM res_partner "
            "WHERE id NOT IN (SELECT partner_id FROM res_company))",
            (person.street,),
        )
        planted = [
            "Callback for Erika Mustermann",
            f"call {person.national_phone}",
            '"Registered" &lt;only.registered@example.net&gt;',
            f"IBAN {person.spaced_iban}",
            f"deliver to {person.street}, {person.zip} {person.city}",
            "Callback for Otto Nurhier",  # a name only this kept column holds
        ]
        views = [v for (v,) in conn.execute("SELECT id FROM ir_ui_view ORDER BY id LIMIT %s", (len(planted),))]
        assert len(views) == len(planted)
        for view, value in zip(views, planted, strict=True):
            conn.execute("UPDATE ir_ui_view SET arch_prev = %s WHERE id = %s", (f"<p>{value}</p>", view))
        conn.commit()
    fingerprints.record(pg.dsn(db), SALT, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT)["ir_ui_view.arch_prev"] == len(planted) - 1


@pytest.mark.parametrize(
    "written",
    [
        "INV/2024/00001",
        "Paid 1.234.567,89 EUR on 2024-01-28 10:15",
        "ISBN 978-3-16-148410-0, parcel 1Z999AA10123456784",
    ],
)
def test_references_in_free_text_are_not_fingerprinted_as_phones(pg, copy_of, policy, written):
    """Free text is a source only for what the libraries recognise in it: a reference written
    in a note is not taken for a phone number, so the same reference in an invoice is no leak."""
    db = copy_of("o16base")
    with pg.connect(db) as conn:
        conn.execute("UPDATE res_company SET company_details = %s", (f"<p>{written}</p>",))
        view = conn.execute("SELECT min(id) FROM ir_ui_view").fetchone()[0]
        conn.execute("UPDATE ir_ui_view SET arch_prev = %s WHERE id = %s", (written, view))
        conn.commit()
    fingerprints.record(pg.dsn(db), SALT, policy)
    assert "ir_ui_view.arch_prev" not in leaks.find_leaks(pg.dsn(db), SALT)


@pytest.mark.parametrize(
    ("phone_field", "note"),
    [
        ("+33 6 12 34 56 78", None),  # in a phone field, written at home in a kept column
        (None, "Joignable au +33 6 12 34 56 78"),  # only in a scrubbed note
    ],
)
def test_phones_written_in_pairs_are_found_in_free_text(pg, copy_of, policy, phone_field, note):
    """A number written in pairs of digits, as the French write theirs, has no three digits in a
    row: it is found in free text all the same, whether production holds it in a phone field
    or only in a note."""
    db = copy_of("o16base")
    with pg.connect(db) as conn:
        partner = conn.execute(
            "SELECT min(id) FROM res_partner WHERE id NOT IN (SELECT partner_id FROM res_company)"
        ).fetchone()[0]
        conn.execute(
            "UPDATE res_partner SET mobile = coalesce(%s, mobile), comment = coalesce(%s, comment) WHERE id = %s",
            (phone_field, note, partner),
        )
        view = conn.execute("SELECT min(id) FROM ir_ui_view").fetchone()[0]
        conn.execute(
            "UPDATE ir_ui_view SET arch_prev = '<p>Rappeler le client au 06 12 34 56 78</p>' WHERE id = %s", (view,)
        )
        conn.commit()
    fingerprints.record(pg.dsn(db), SALT, policy)
    assert leaks.find_leaks(pg.dsn(db), SALT).get("ir_ui_view.arch_prev") == 1
