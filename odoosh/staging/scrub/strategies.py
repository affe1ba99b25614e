"""The SQL of each scrub strategy: a column's new value, and which rows need one.

Fake values come from small Faker pools passed as array parameters and picked by a keyed
hash of the original value, normalised as the leak gate normalises it (hashtextextended
with a seed derived from the secret salt), so the same input gets the same fake everywhere
and joins on faked values (emails, names) survive. The expressions need the parameters of
`parameters`.

Derived columns (display names, sanitized account numbers) are recomputed afterwards from
the scrubbed sources (`RECOMPUTE`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from psycopg import sql

from odoosh.staging.scrub import catalog, fakes, leaks, passwords, patterns
from odoosh.staging.scrub.leaks import digits, normalised
from odoosh.staging.scrub.policy import Rule

REDACTED_EMAIL = "redacted@example.com"
REDACTED_PHONE = "+1 555 0100"
REDACTED_ID = "[redacted]"
FAKE_VARIANTS = 4  # candidate fakes per value, for steering clear of production's own values

# The scrubbed table's alias in its UPDATE. Its columns are always referred to through it:
# a column may bear the name of an alias inside the expressions (a custom column "names").
ROW = "scrubbed_row"

Expression = Callable[[sql.Composable], sql.Composable]


def column(name: str) -> sql.Identifier:
    """Column `name` of the scrubbed row."""
    return sql.Identifier(ROW, name)


@dataclass(frozen=True)
class Ctx:
    """What expressions need besides the column: the row's table and the admin user's id."""

    table: str
    admin_id: int | None


def parameters(salt: str, admin_password: str) -> dict:
    """The parameters of the expressions: the pools, the keys of the hashes, the passwords."""
    seed = int.from_bytes(hashlib.sha256(b"odoosh-scrub:" + salt.encode()).digest()[:8], "big", signed=True)
    return {
        **fakes.build_pools(),
        "salt": salt,
        "seed": seed,
        "fp_seed": leaks.fingerprint_seed(salt),
        "admin_hash": passwords.pbkdf2_sha512(admin_password),
        "unusable_hash": passwords.unusable(),
    }


# --------------------------------------------------------------------------- expressions


def _p(name: str) -> sql.Composable:
    return sql.Placeholder(name)


def _hash(key: sql.Composable, kind: str) -> sql.Composable:
    """64-bit keyed hash of `key`; `kind` separates strategies so a name and a city differ."""
    return sql.SQL("hashtextextended({kind} || {key}, {seed}::bigint)").format(
        kind=sql.Literal(kind + ":"), key=key, seed=_p("seed")
    )


def _pick(pool: str, h: sql.Composable, shift: int) -> sql.Composable:
    return sql.SQL("({pool}::text[])[1 + mod(({h} >> {shift}) & 2147483647, cardinality({pool}::text[]))]").format(
        pool=_p(pool), h=h, shift=sql.Literal(shift)
    )


_aliases = itertools.count()


def _once(value: sql.Composable, use: Expression) -> sql.Composable:
    """`use(x)` with `value` computed once per row. PostgreSQL evaluates an expression again at
    each place it is written, and a fake writes its inputs several times (a keyed hash picks two
    pool entries and keys a digest; a candidate fake is probed, then returned): once, the scrub
    of a big table costs a third less. OFFSET 0 keeps the planner from inlining it back."""
    alias = sql.Identifier(f"once_{next(_aliases)}")
    return sql.SQL("(SELECT {use} FROM (SELECT {value} AS x OFFSET 0) AS {alias})").format(
        use=use(sql.SQL("{}.x").format(alias)), value=value, alias=alias
    )


def _unlike_production(make: Callable[[sql.Composable, int], sql.Composable], norm: Expression) -> Expression:
    """A fake that is not one of production's values (as the leak gate normalises them).

    Pools and production can share realistic values ("Anna Smith"); such a fake would be
    indistinguishable from a leak. The first of FAKE_VARIANTS candidates that production does
    not hold wins (false sorts first); if all collide, the gate reports it. The first
    candidate is tried alone, as it almost always wins.
    """

    def build(v: sql.Composable) -> sql.Composable:
        candidates = sql.SQL(", ").join(make(v, variant) for variant in range(FAKE_VARIANTS))
        return _once(
            make(v, 0),
            lambda first: sql.SQL(
                "CASE WHEN NOT {first_seen} THEN {first} ELSE (SELECT c FROM unnest(ARRAY[{candidates}]) "
                "WITH ORDINALITY AS f(c, n) ORDER BY {seen}, n LIMIT 1) END"
            ).format(
                first=first,
                first_seen=leaks.in_production(norm(first)),
                candidates=candidates,
                seen=leaks.in_production(norm(sql.SQL("f.c"))),
            ),
        )

    return build


def _name(v: sql.Composable, variant: int) -> sql.Composable:
    h = _hash(normalised(v), f"name{variant or ''}")
    return sql.SQL("{} || ' ' || {}").format(_pick("first_names", h, 0), _pick("last_names", h, 31))


def _company(v: sql.Composable, variant: int) -> sql.Composable:
    return _pick("companies", _hash(normalised(v), f"company{variant or ''}"), 0)


fake_name = _unlike_production(_name, normalised)
fake_company = _unlike_production(_company, normalised)


def _one_fake_email(key: sql.Composable) -> sql.Composable:
    """first.last.<8 hex of a salted md5>@example.com: realistic, unique-ish, undeliverable."""

    def from_key(k: sql.Composable) -> sql.Composable:
        return _once(
            _hash(k, "email"),
            lambda h: sql.SQL("{} || '.' || {} || '.' || left(md5({salt}::text || {key}), 8) || '@example.com'").format(
                _pick("first_ascii", h, 0), _pick("last_ascii", h, 31), salt=_p("salt"), key=k
            ),
        )

    return _once(key, from_key)


def fake_email(v: sql.Composable) -> sql.Composable:
    """Every address in the value replaced by its fake, keyed on the address alone, so
    '"Jo" <jo@x.org>', 'jo@x.org' and 'JO@x.org' all become the same fake."""
    single = sql.SQL("coalesce(substring({v} from {re}), {v})").format(v=v, re=sql.Literal(patterns.EMAIL))
    return sql.SQL(
        "CASE WHEN {v} !~ '[,;]' THEN {single} "
        "ELSE coalesce((SELECT string_agg({each}, ', ') FROM regexp_matches({v}, {re}, 'g') AS m), {whole}) END"
    ).format(
        v=v,
        single=_one_fake_email(normalised(single)),
        each=_one_fake_email(normalised(sql.SQL("m[1]"))),
        re=sql.Literal(f"({patterns.EMAIL})"),
        whole=_one_fake_email(normalised(v)),
    )


def _phone(v: sql.Composable, variant: int) -> sql.Composable:
    """Keyed on the digits, so '+32 2 555 12 34' and its sanitized form '+3225551234' get the
    same number; a sanitized (digits-only) input gets a sanitized output."""
    h = _hash(digits(v), f"phone{variant or ''}")
    return sql.SQL("CASE WHEN {v} ~ '^\\+?[0-9]+$' THEN {e164} ELSE {formatted} END").format(
        v=v, e164=_pick("phones_e164", h, 0), formatted=_pick("phones", h, 0)
    )


fake_phone = _unlike_production(_phone, digits)


def _pool(name: str, kind: str) -> Expression:
    return _unlike_production(
        lambda v, variant: _pick(name, _hash(normalised(v), f"{kind}{variant or ''}"), 0), normalised
    )


fake_street = _pool("streets", "street")


def fake_text(v: sql.Composable) -> sql.Composable:
    para = _pick("texts", _hash(v, "text"), 0)
    return sql.SQL("CASE WHEN {v} ~ '^\\s*<' THEN '<p>' || {para} || '</p>' ELSE {para} END").format(v=v, para=para)


def _redact_emails(v: sql.Composable) -> sql.Composable:
    return sql.SQL("CASE WHEN strpos({v}, '@') > 0 THEN regexp_replace({v}, {re}, {to}, 'g') ELSE {v} END").format(
        v=v, re=sql.Literal(patterns.EMAIL), to=sql.Literal(REDACTED_EMAIL)
    )


def _production_values(v: sql.Composable) -> sql.Composable:
    """SELECT of what text `v` holds that is one of production's personal values (`what`, `raw`
    and `x` as `leaks.extract` finds them, and the `kind` of the fingerprint they match), emails
    aside: every email is replaced."""
    return sql.SQL(
        "SELECT e.what, e.raw, e.x, m.kind FROM ({found}) AS e(what, raw, x, kind), "
        "LATERAL (SELECT kind FROM {fp} WHERE h = {h} AND kind = coalesce(e.kind, kind) LIMIT 1) AS m "
        "WHERE e.what <> 'email'"
    ).format(found=leaks.extract(v), fp=leaks.TABLE, h=leaks.fingerprint(sql.SQL("e.x")))


def _mentions_production(v: sql.Composable) -> sql.Composable:
    """SELECT of something when text `v` without an email or a digit holds one of production's
    values: as a whole, or a person's name in it."""
    return sql.SQL(
        "SELECT WHERE length({v}) <= {max} AND {whole} UNION ALL SELECT FROM ({windows}) AS w WHERE {seen}"
    ).format(
        v=v,
        max=sql.Literal(leaks.MAX_WHOLE_VALUE),
        whole=leaks.in_production(normalised(v)),
        windows=leaks.name_windows(v),
        seen=leaks.in_production(sql.SQL("w.x"), "name"),
    )


def _escaped(v: sql.Composable) -> sql.Composable:
    """`v` as a regular expression matching itself."""
    return sql.SQL(r"regexp_replace({}, '([\]\[.^$*+?(){{}}|\\\-])', '\\\1', 'g')").format(v)


def _replace_found(v: sql.Composable) -> sql.Composable:
    """SELECT of `v` (`t`) with each of the found values (arrays `f.whats`, `f.raws`, `f.xs`,
    `f.kinds`) replaced, longest first: a name by the person's fake_name and a street by its
    fake_street, as the columns they come from get them (the same person has the same fake
    everywhere), in any letter case and with any gap between the words; phone numbers and
    identifiers by a placeholder. A whole value is replaced only as a whole."""
    what, raw, x, kind = (
        sql.SQL("f.{}[step.i + 1]").format(sql.Identifier(name)) for name in ("whats", "raws", "xs", "kinds")
    )
    pattern = sql.SQL(
        "CASE {what} WHEN 'name' THEN replace({x}, ' ', {name_gap}) || '(?![[:alpha:]])' "
        "WHEN 'street' THEN replace({escaped_x}, ' ', {gap}) WHEN 'whole' THEN '^' || {escaped_raw} || '$' "
        "ELSE {escaped_raw} END"
    ).format(
        what=what,
        x=x,
        name_gap=sql.Literal(patterns.NAME_GAP),
        escaped_x=_escaped(x),
        gap=sql.Literal(patterns.WORD_GAP),
        escaped_raw=_escaped(raw),
    )
    replacement = sql.SQL(
        "CASE {kind} WHEN 'name' THEN {name} WHEN 'street' THEN {street} WHEN 'phone' THEN {phone} ELSE {other} END"
    ).format(
        kind=kind,
        name=fake_name(x),
        street=fake_street(x),
        phone=sql.Literal(REDACTED_PHONE),
        other=sql.Literal(REDACTED_ID),
    )
    return sql.SQL(
        "WITH RECURSIVE step(i, t) AS (SELECT 0, {v} UNION ALL "
        "SELECT step.i + 1, regexp_replace(step.t, {pattern}, {replacement}, 'gi') FROM step "
        "WHERE step.i < cardinality(f.whats)) "
        "SELECT t FROM step ORDER BY i DESC LIMIT 1"
    ).format(v=v, pattern=pattern, replacement=replacement)


def redact(v: sql.Composable) -> sql.Composable:
    """Every email, and what the leak gate would find of production's personal values (names,
    street lines, phone numbers in any of their forms, IBANs and other identifiers), replaced;
    the rest kept (wording, markup, template placeholders, references, dates, amounts). A text
    with none of them comes out unchanged; the replacements run only for the rare texts that
    hold any. Longest first, so that "Mary Ann Smith" does not become "Mary <fake of Ann Smith>".
    """
    return sql.SQL(
        "(SELECT CASE WHEN f.whats IS NULL THEN {emails} ELSE ({swapped}) END "
        "FROM (SELECT array_agg(d.what ORDER BY {order}) AS whats, array_agg(d.raw ORDER BY {order}) AS raws, "
        "array_agg(d.x ORDER BY {order}) AS xs, array_agg(d.kind ORDER BY {order}) AS kinds "
        "FROM (SELECT DISTINCT * FROM ({found}) AS n) AS d) AS f)"
    ).format(
        emails=_redact_emails(v),
        swapped=_replace_found(_redact_emails(v)),
        order=sql.SQL("length(d.raw) DESC, d.raw, d.what"),
        found=_production_values(v),
    )


def hashed(v: sql.Composable) -> sql.Composable:
    return sql.SQL("left(md5({salt}::text || {v}), 16)").format(salt=_p("salt"), v=v)


TEXT_STRATEGIES: dict[str, Expression] = {
    "fake_name": fake_name,
    "fake_company": fake_company,
    "fake_email": fake_email,
    "fake_phone": fake_phone,
    "fake_street": fake_street,
    "fake_city": _pool("cities", "city"),
    "fake_zip": _pool("zips", "zip"),
    "fake_text": fake_text,
    "redact": redact,
    "hash": hashed,
}


# --------------------------------------------------------------------------- per column


def needs_change(col: catalog.Column, strategy: str) -> sql.Composable:
    """Rows this column's rule would change: the prefilter that keeps untouched rows unwritten."""
    v = column(col.name)
    if strategy == "password":
        return sql.SQL("true")
    if strategy == "null" or not col.is_text:
        return sql.SQL("{} IS NOT NULL").format(v)
    is_json = col.type in ("json", "jsonb")
    text = sql.SQL("{}::text").format(v) if is_json else v
    if strategy == "redact":
        return sql.SQL("({t} ~ {re} OR EXISTS (SELECT FROM ({strings}) AS s(v), LATERAL ({names}) AS n))").format(
            t=text,
            re=sql.Literal(f"{patterns.MAY_HOLD_EMAIL}|[0-9]"),
            strings=leaks.text_values(v, is_json),
            names=_mentions_production(sql.SQL("s.v")),
        )
    return sql.SQL("({v} IS NOT NULL AND {t} <> '')").format(v=v, t=text)


def new_value(col: catalog.Column, rule: Rule, ctx: Ctx) -> sql.Composable:
    """The column's value after the scrub, by the rule's strategy (all but keep and recompute)."""
    v = column(col.name)
    if rule.strategy == "null":
        if not col.not_null:
            return sql.NULL
        if not col.is_text:
            raise ValueError(f"{rule.source}: {col.qualified} is NOT NULL and not text; it cannot be emptied")
        return sql.SQL("'{}'::jsonb" if col.type == "jsonb" else "''")
    if rule.strategy == "password":
        return sql.SQL("CASE WHEN {id} = {admin} THEN {admin_hash}::text ELSE {unusable}::text END").format(
            id=column("id"), admin=sql.Literal(ctx.admin_id), admin_hash=_p("admin_hash"), unusable=_p("unusable_hash")
        )
    if not col.is_text:
        raise ValueError(f"{rule.source}: {rule.strategy} needs a text column; {col.qualified} is {col.type}")
    make = TEXT_STRATEGIES[rule.strategy]
    if rule.company_if:
        company_flag = column(rule.company_if)
        make = lambda x, _name=make: sql.SQL("CASE WHEN {flag} THEN {company} ELSE {person} END").format(  # noqa: E731
            flag=company_flag, company=fake_company(x), person=_name(x)
        )
    if col.type in ("json", "jsonb"):
        return _each_json_string(v, make)
    value = make(v)
    if (ctx.table, col.name) == ("res_users", "login"):
        value = sql.SQL("CASE WHEN {id} = {admin} THEN 'admin' ELSE {fake} END").format(
            id=column("id"), admin=sql.Literal(ctx.admin_id), fake=value
        )
    return value


def _each_json_string(v: sql.Identifier, make: Expression) -> sql.Composable:
    """Apply `make` to every string value of a JSON object: each language of a translated field."""
    s = sql.SQL("(e.value #>> '{}')")
    return sql.SQL(
        "CASE WHEN jsonb_typeof({v}::jsonb) = 'object' THEN (SELECT coalesce(jsonb_object_agg(e.key, "
        "CASE WHEN jsonb_typeof(e.value) = 'string' THEN to_jsonb({new}) ELSE e.value END), '{{}}'::jsonb) "
        "FROM jsonb_each({v}::jsonb) AS e) "
        "WHEN jsonb_typeof({v}::jsonb) = 'string' THEN to_jsonb({whole}) ELSE {v}::jsonb END"
    ).format(v=v, new=make(s), whole=make(sql.SQL("({}::jsonb #>> '{{}}')").format(v)))


# --------------------------------------------------------------------------- recomputed columns

# Columns Odoo computes from scrubbed ones (strategy "recompute"), rebuilt from them after the
# scrub's statements.
RECOMPUTE: dict[tuple[str, str], sql.Composable] = {
    (table, name): sql.SQL(
        # Odoo 16's res.partner._get_name: "Company, Contact" for contacts of a company.
        "UPDATE res_partner p SET {col} = CASE "
        "WHEN NOT coalesce(p.is_company, false) AND (p.parent_id IS NOT NULL OR coalesce(p.company_name, '') <> '') "
        "AND coalesce(nullif(p.commercial_company_name, ''), x.parent_name) IS NOT NULL "
        "THEN coalesce(nullif(p.commercial_company_name, ''), x.parent_name) || ', ' || coalesce(p.name, '') "
        "ELSE p.name END "
        "FROM (SELECT c.id, par.name AS parent_name FROM res_partner c "
        "      LEFT JOIN res_partner par ON par.id = c.parent_id) x "
        "WHERE x.id = p.id AND p.{col} IS DISTINCT FROM p.name"
    ).format(col=sql.Identifier(name))
    for table, name in [("res_partner", "display_name"), ("res_partner", "complete_name")]
} | {
    ("res_partner_bank", "sanitized_acc_number"): sql.SQL(
        "UPDATE res_partner_bank SET sanitized_acc_number = upper(regexp_replace(acc_number, '\\W+', '', 'g')) "
        "WHERE sanitized_acc_number IS NOT NULL"
    ),
    ("account_move", "invoice_partner_display_name"): sql.SQL(
        "UPDATE account_move m SET invoice_partner_display_name = "
        "(CASE WHEN p.id IS NULL THEN NULL ELSE coalesce(p.display_name, p.name) END) "
        "FROM account_move m2 LEFT JOIN res_partner p ON p.id = m2.partner_id "
        "WHERE m2.id = m.id AND m.invoice_partner_display_name IS NOT NULL"
    ),
}
# account_move's recompute reads res_partner.display_name: run it last.
RECOMPUTE_ORDER = ["res_partner", "res_partner_bank", "account_move"]
