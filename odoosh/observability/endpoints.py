"""Request paths grouped into endpoints: the path template with its ids collapsed.

`/web/dataset/call_kw/res.partner/read` and `/web/dataset/call_kw/sale.order/write` are one
endpoint, `/web/dataset/call_kw/{model}/{method}`; `/my/orders/42` is `/my/orders/{id}`.

Paths are matched first against Odoo's own routes (the rules of its controllers, matched by
werkzeug's router as Odoo does), so a variable keeps the name Odoo gives it. Any other path has
each segment collapsed by what it looks like: digits are `{id}`, a UUID or a long hexadecimal
string (asset hashes, access tokens) is `{token}`, a slug ending in an id (`product-name-12`,
Odoo's `slug()`) is `{slug}`.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

# Odoo's routes, as its controllers declare them (addons/web/controllers/*.py, portal, sale,
# account, website_sale), in werkzeug's rule syntax. call_kw and call_button declare
# `<path:path>`; Odoo's web client fills it with `model/method`, which is what is named here.
ODOO_ROUTES = (
    "/web/dataset/call_kw/<string:model>/<string:method>",
    "/web/dataset/call_button/<string:model>/<string:method>",
    "/web/image/<string:xmlid>",
    "/web/image/<string:xmlid>/<string:filename>",
    "/web/image/<string:xmlid>/<int:width>x<int:height>",
    "/web/image/<string:xmlid>/<int:width>x<int:height>/<string:filename>",
    "/web/image/<string:model>/<int:id>/<string:field>",
    "/web/image/<string:model>/<int:id>/<string:field>/<string:filename>",
    "/web/image/<string:model>/<int:id>/<string:field>/<int:width>x<int:height>",
    "/web/image/<string:model>/<int:id>/<string:field>/<int:width>x<int:height>/<string:filename>",
    "/web/image/<int:id>",
    "/web/image/<int:id>/<string:filename>",
    "/web/image/<int:id>/<int:width>x<int:height>",
    "/web/image/<int:id>/<int:width>x<int:height>/<string:filename>",
    "/web/image/<int:id>-<string:unique>",
    "/web/image/<int:id>-<string:unique>/<string:filename>",
    "/web/image/<int:id>-<string:unique>/<int:width>x<int:height>",
    "/web/image/<int:id>-<string:unique>/<int:width>x<int:height>/<string:filename>",
    "/web/content/<string:xmlid>",
    "/web/content/<string:xmlid>/<string:filename>",
    "/web/content/<int:id>",
    "/web/content/<int:id>/<string:filename>",
    "/web/content/<int:id>-<string:unique>",
    "/web/content/<int:id>-<string:unique>/<string:filename>",
    "/web/content/<int:id>-<string:unique>/<path:extra>/<string:filename>",
    "/web/content/<string:model>/<int:id>/<string:field>",
    "/web/content/<string:model>/<int:id>/<string:field>/<string:filename>",
    "/web/assets/<string:unique>/<string:filename>",
    "/web/assets/<int:id>/<string:unique>/<string:filename>",
    "/web/assets/<int:id>-<string:unique>/<string:filename>",
    "/web/assets/<int:id>-<string:unique>/<path:extra>/<string:filename>",
    "/web/webclient/load_menus/<string:unique>",
    "/web/webclient/translations/<string:unique>",
    "/web/webclient/qweb/<string:unique>",
    "/web/partner/<int:rec_id>/<string:field>",  # web's avatar routes
    "/<string:module>/static/<path:path>",
    "/report/<string:converter>/<string:reportname>",
    "/report/<string:converter>/<string:reportname>/<string:docids>",
    "/my/orders/<int:id>",  # Odoo names it order_id; an id is {id} wherever it is the last segment
    "/my/orders/page/<int:page>",
    "/my/invoices/<int:id>",  # invoice_id
    "/my/invoices/page/<int:page>",
)
HEX_TOKEN_MIN = 16  # shorter all-hex segments (`cafe`, `add`) are words, not tokens


def _template(rule: str) -> str:
    """`/my/orders/<int:order_id>` → `/my/orders/{order_id}`."""
    out, rest = [], rule
    while "<" in rest:
        head, _, rest = rest.partition("<")
        variable, _, rest = rest.partition(">")
        out.append(f"{head}{{{variable.rpartition(':')[2]}}}")
    return "".join(out) + rest


_ROUTER = Map([Rule(rule, endpoint=_template(rule)) for rule in ODOO_ROUTES], strict_slashes=False).bind("odoo")


@lru_cache(maxsize=16384)
def endpoint(path: str) -> str:
    """The endpoint (path template) a request path belongs to."""
    # Every id is 0 before the lookup: it matches the same routes, and /my/orders/1 ... /my/orders/N
    # are then one cache entry, not N (a route match costs far more than the split).
    return _endpoint("/".join(["0" if s.isdigit() else s for s in path.split("/")]))


@lru_cache(maxsize=65536)
def _endpoint(path: str) -> str:
    try:
        template, _ = _ROUTER.match(path, method="GET")
        return template
    except HTTPException:  # no Odoo route known here (404), or one that redirects
        return ids_collapsed(path)


@lru_cache(maxsize=16384)
def ids_collapsed(path: str) -> str:
    """The path with only its ids, tokens and slugs collapsed: `/web/dataset/call_kw/res.partner/read`
    stays itself, where `endpoint` makes it `/web/dataset/call_kw/{model}/{method}`."""
    return "/".join(_segment(s) for s in path.split("/"))


def _segment(segment: str) -> str:
    if not segment:
        return segment
    if segment.isdigit():
        return "{id}"
    if _is_token(segment):
        return "{token}"
    head, dash, tail = segment.rpartition("-")
    if dash and head and tail.isdigit():
        return "{slug}"
    return segment


def _is_token(segment: str) -> bool:
    if len(segment) == 36 and segment.count("-") == 4:
        try:
            uuid.UUID(segment)
            return True
        except ValueError:
            return False
    return len(segment) >= HEX_TOKEN_MIN and all(c in "0123456789abcdefABCDEF" for c in segment)
