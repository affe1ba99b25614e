"""The odoosh Odoo stand-in: NOT Odoo, a small server that answers like Odoo where the platform looks.

Odoo cannot be installed on the sandbox machines, yet environments, smoke tests and previews
need something behind their URL. The stand-in runs exactly like `odoo-bin -c odoo.conf`
(`python -m odoosh.sandbox.standin -c odoo.conf`), so a real Odoo replaces it by configuration only. It
serves what the platform uses:

- `GET /web/health`: `{"status": "pass"}`. With `?db_server_status=1` it also connects to the
  database server, like Odoo 17+: 500 `{"status": "fail", "db_server_status": false}` when down.
- `GET /web/login` (`/` and `/web` redirect there): a login page with the company name read
  from the database, and the addons found on the config's `addons_path` (each module's name
  and manifest version), so a preview shows which commit it runs; 500 when the database
  cannot be read.
- Logging in like Odoo: the form posts `login`, `password`, `csrf_token` (one random token per
  server; a wrong one answers 400) and `redirect` (a local path, else `/odoo`) to `POST /web/login`,
  which checks Odoo's pbkdf2-sha512 hash in `res_users.password`. Success sets an in-memory
  `session_id` cookie and redirects (303); failure shows Odoo's "Wrong login/password".
  `GET /web/session/logout` ends the session.
- Backend views behind the login (without a session: 303 to `/web/login?redirect=<path>`):
  `/odoo` redirects to `/odoo/contacts`, a list of res_partner rows; `/odoo/contacts/<id>` is a
  partner's form. Their control panel holds a clock (the server's UTC time), a dynamic region
  like Odoo's dates, which visual comparisons mask.
- `GET /web/assets/standin.css`, an asset bundle like Odoo's: every module's `static/src/**/*.css`,
  concatenated and read from disk per request. Every page links it after its own style, so a
  module's CSS changes the look of the pages, as Odoo modules do, and a PR's screenshots show it.
- Odoo's log format, UTC timestamps and werkzeug request lines ending in Odoo's per-request
  counters (query count, query seconds, remaining seconds), so log checks and latency reports
  read the same lines they read from Odoo.
- Test endpoints, which Odoo does not have, to generate load with known figures:
  `/odoosh/test/load?ms=M&status=S` waits M ms and answers S; `/odoosh/test/n_plus_one?records=N`
  reads N records with N+1 queries (one per record), `/odoosh/test/flat?records=N` with one.
  Their log lines carry the response's size in bytes (Odoo's werkzeug writes `-`), so N+1
  detection can relate the query count to the result's size.

Pages are deterministic apart from the clock (fixed font, no random ids in what is drawn), so
screenshots of two runs of the same code match.
"""

from __future__ import annotations

import argparse
import ast
import hmac
import html
import json
import logging
import logging.handlers
import os
import secrets
import signal
import socketserver
import sys
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg

from odoosh.odoo.config import OdooConfig, OdooConfigError, read_odoo_config
from odoosh.staging.scrub import passwords

# odoo/netsvc.py; %(perf_info)s is empty except on werkzeug request lines
LOG_FORMAT = "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s"
_LEVELS = {"debug": logging.DEBUG, "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}
CONNECT_TIMEOUT_S = 5
NAME = "odoosh Odoo stand-in"
MANIFEST_MAX_BYTES = 1_000_000  # Odoo's largest manifests are a few kB
CSS_MAX_BYTES = 1_000_000  # per file; larger files are cut, like a broken bundle would look
FORM_MAX_BYTES = 64_000  # a login form is a few hundred bytes
TEST_MAX_RECORDS = 10_000
TEST_MAX_MS = 10_000
LIST_LIMIT = 80  # Odoo's default list page size
MAX_ID = 2**31 - 1  # res_partner.id is an int4
BUNDLE = "/web/assets/standin.css"
HOME = "/odoo"
WRONG_LOGIN = "Wrong login/password"  # Odoo's wording (addons/web/controllers/home.py)
BAD_CSRF = "Session expired (invalid CSRF token)"  # odoo/http.py
FONT = 'font-family: "DejaVu Sans", sans-serif;'  # installed everywhere: no fallback in screenshots

log = logging.getLogger("odoosh.sandbox.standin")
request_log = logging.getLogger("werkzeug")


class OdooLogFormatter(logging.Formatter):
    """Odoo's DBFormatter: the pid, the request's database ("?" outside requests), perf counters."""

    def format(self, record: logging.LogRecord) -> str:
        record.pid = os.getpid()
        record.dbname = getattr(threading.current_thread(), "dbname", "?")
        record.perf_info = getattr(record, "perf_info", "")
        return super().format(record)


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: OdooConfig):
        self.config = config
        # One CSRF token per server, not per session: the login form is the only form.
        self.csrf_token = secrets.token_urlsafe(32)
        self.sessions: dict[str, str] = {}  # session id -> login; lost on restart, as tests expect
        self.sessions_lock = threading.Lock()
        super().__init__((config.http_interface, config.http_port), StandinHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer
    server_version = "odoosh-odoo-standin"

    def _begin(self) -> None:
        # Odoo keeps the request's database and perf counters on the thread (odoo/http.py).
        threading.current_thread().dbname = self.server.config.db_name
        self.query_count, self.query_time, self.perf_t0 = 0, 0.0, time.perf_counter()

    def do_GET(self) -> None:
        self._begin()
        url = urlsplit(self.path)
        if url.path == "/web/health":
            self._health(parse_qs(url.query))
        elif url.path == "/web/login":
            self._login(safe_redirect(parse_qs(url.query).get("redirect", [""])[0]))
        elif url.path == BUNDLE:
            css = asset_bundle(self.server.config.addons_path)
            self._send(HTTPStatus.OK, "text/css", css, ("Cache-Control", "no-store"))
        elif url.path == "/web/session/logout":
            if session := self._session_id():
                with self.server.sessions_lock:
                    self.server.sessions.pop(session, None)
            self._redirect("/web/login", ("Set-Cookie", "session_id=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/"))
        elif url.path == HOME or url.path.startswith(HOME + "/"):
            self._backend(url.path)
        elif url.path.startswith("/odoosh/test/"):
            self._test(url.path.removeprefix("/odoosh/test/"), parse_qs(url.query))
        elif url.path in ("/", "/web"):
            self._redirect("/web/login")
        else:
            self._not_found()

    def do_POST(self) -> None:
        self._begin()
        if urlsplit(self.path).path != "/web/login":
            self._send(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "text/html",
                _page("405: Method Not Allowed", "This address only answers GET."),
                ("Allow", "GET"),
            )
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= FORM_MAX_BYTES:
            status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length > FORM_MAX_BYTES else HTTPStatus.BAD_REQUEST
            text = f"The login form must be at most {FORM_MAX_BYTES} bytes with a valid Content-Length."
            self._send(status, "text/html", _page(f"{status.value}: {status.phrase}", text))
            return
        form = parse_qs(self.rfile.read(length).decode(errors="replace"))
        self._authenticate({name: values[0] for name, values in form.items()})

    def _health(self, params: dict[str, list[str]]) -> None:
        # addons/web/controllers/home.py `health` (17.0+): connect to the server, no query.
        info, status = {"status": "pass"}, HTTPStatus.OK
        if params.get("db_server_status"):
            try:
                psycopg.connect(self.server.config.dsn("postgres"), connect_timeout=CONNECT_TIMEOUT_S).close()
                info["db_server_status"] = True
            except psycopg.Error as exc:
                log.info("Connection to the database failed: %s", _reason(exc))
                info.update(db_server_status=False, status="fail")
                status = HTTPStatus.INTERNAL_SERVER_ERROR
        self._send(status, "application/json", json.dumps(info), ("Cache-Control", "no-store"))

    def _login(self, redirect: str, error: str | None = None) -> None:
        try:
            rows = self._query("SELECT name FROM res_company ORDER BY id LIMIT 1")
        except psycopg.Error as exc:
            self._database_error("Cannot render the login page", exc)
            return
        company = rows[0][0] if rows else "(no company)"
        modules = addons(self.server.config.addons_path)
        page = _login_page(company, modules, self.server.csrf_token, redirect, error)
        self._send(HTTPStatus.OK, "text/html", page, ("Cache-Control", "no-store"))

    def _authenticate(self, form: dict[str, str]) -> None:
        """Odoo's `web_login` POST: the CSRF token first, then the password hash."""
        if not hmac.compare_digest(form.get("csrf_token", "").encode(), self.server.csrf_token.encode()):
            self._send(HTTPStatus.BAD_REQUEST, "text/html", _page("400: Bad Request", BAD_CSRF))
            return
        redirect, login = safe_redirect(form.get("redirect", "")), form.get("login", "")
        try:
            rows = self._query("SELECT password FROM res_users WHERE login = %s AND active", (login,))
        except psycopg.Error as exc:
            self._database_error("Cannot check a login", exc)
            return
        if not (rows and _password_matches(form.get("password", ""), rows[0][0])):
            log.info("Login failed for db:%s login:%s", self.server.config.db_name, login)
            self._login(redirect, WRONG_LOGIN)
            return
        session = secrets.token_urlsafe(32)
        with self.server.sessions_lock:
            self.server.sessions[session] = login
        log.info("Login successful for db:%s login:%s", self.server.config.db_name, login)
        self._redirect(redirect, ("Set-Cookie", f"session_id={session}; HttpOnly; SameSite=Lax; Path=/"))

    def _backend(self, path: str) -> None:
        """The views behind the login: /odoo, the contacts list and a contact's form."""
        session = self._session_id()
        with self.server.sessions_lock:
            login = self.server.sessions.get(session) if session else None
        if login is None:
            self._redirect(f"/web/login?{urlencode({'redirect': self.path})}")
            return
        if path == HOME:
            self._redirect(HOME + "/contacts")
            return
        record = path.removeprefix(HOME + "/contacts/")
        if path != HOME + "/contacts" and not (record.isascii() and record.isdigit() and 0 < int(record) <= MAX_ID):
            self._not_found()
            return
        try:
            if path == HOME + "/contacts":
                rows = self._query(f"SELECT id, name, email, phone FROM res_partner ORDER BY id LIMIT {LIST_LIMIT}")
                page = _list_view(login, rows)
            else:
                query = "SELECT name, email, phone, street, city FROM res_partner WHERE id = %s"
                rows = self._query(query, (int(record),))
                if not rows:
                    self._not_found()
                    return
                page = _form_view(login, int(record), rows[0])
        except psycopg.Error as exc:
            self._database_error(f"Cannot render {path}", exc)
            return
        self._send(HTTPStatus.OK, "text/html", page, ("Cache-Control", "no-store"))

    def _session_id(self) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        return cookie["session_id"].value if "session_id" in cookie else None

    def _test(self, name: str, params: dict[str, list[str]]) -> None:
        """Load with known figures: a wait and a status, or records read with N+1 queries or one."""
        try:
            ms = _bounded_int(params, "ms", 0, TEST_MAX_MS)
            status = _bounded_int(params, "status", 200, 599, low=200)
            records = _bounded_int(params, "records", 1, TEST_MAX_RECORDS)
        except ValueError as exc:
            self._send(HTTPStatus.BAD_REQUEST, "text/plain", f"{exc}\n")
            return
        rows: list[tuple] = []
        try:
            if name == "load":
                time.sleep(ms / 1000)
            elif name in ("n_plus_one", "flat"):
                with psycopg.connect(self.server.config.dsn(), connect_timeout=CONNECT_TIMEOUT_S) as conn:
                    if name == "flat":
                        rows = self._counted(conn, "SELECT i, 'record ' || i FROM generate_series(1, %s) i", (records,))
                    else:
                        for (i,) in self._counted(conn, "SELECT generate_series(1, %s)", (records,)):
                            rows += self._counted(conn, "SELECT %s::int, 'record ' || %s", (i, i))
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain", f"no test endpoint {name!r}: load, n_plus_one, flat\n")
                return
        except psycopg.Error as exc:
            log.error("Test endpoint %s: database %r: %s", name, self.server.config.db_name, _reason(exc))
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", "database error\n")
            return
        body = json.dumps([{"id": i, "name": n} for i, n in rows])
        self.logged_size = len(body.encode())
        self._send(status, "application/json", body)  # any code the test asks for, as an int

    def _counted(self, conn: psycopg.Connection, query: str, params: tuple) -> list[tuple]:
        start = time.perf_counter()
        try:
            return conn.execute(query, params).fetchall()
        finally:
            self.query_count += 1
            self.query_time += time.perf_counter() - start

    def _query(self, query: str, params: tuple = ()) -> list[tuple]:
        """Run one query on the configured database, counted and timed like Odoo's cursor
        (failed queries count too)."""
        with psycopg.connect(self.server.config.dsn(), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            return self._counted(conn, query, params)

    def _database_error(self, what: str, exc: psycopg.Error) -> None:
        log.error("%s: database %r: %s", what, self.server.config.db_name, _reason(exc))
        self._send(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "text/html",
            _page("Internal Server Error", "The database cannot be read; see the server log."),
        )

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/html", _page("404: Page not found", "There is no page at this address."))

    def _redirect(self, location: str, *headers: tuple[str, str]) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: HTTPStatus | int, content_type: str, body: str, *headers: tuple[str, str]) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """werkzeug's request line plus Odoo's PerfFilter counters, when the response starts."""
        if hasattr(self, "perf_t0"):
            remaining = time.perf_counter() - self.perf_t0 - self.query_time
            perf = f"{self.query_count:d} {self.query_time:.3f} {remaining:.3f}"
        else:  # a request that never reached do_GET/do_POST (unsupported method, bad request line)
            perf = "- - -"
        code = code.value if isinstance(code, HTTPStatus) else code
        size = getattr(self, "logged_size", size)  # only the test endpoints log their size
        request_log.info(
            '%s - - [%s] "%s" %s %s',
            self.address_string(),
            self.log_date_time_string(),
            self.requestline,
            code,
            size,
            extra={"perf_info": perf},
        )

    def log_message(self, format: str, *args) -> None:
        request_log.info("%s - - [%s] %s", self.address_string(), self.log_date_time_string(), format % args)


def _modules(addons_path: str | None) -> list[Path]:
    """The module directories on the addons path, in its order, then by name."""
    found = []
    for directory in filter(None, (p.strip() for p in (addons_path or "").split(","))):
        try:
            found += sorted(m for m in Path(directory).iterdir() if (m / "__manifest__.py").is_file())
        except OSError:
            continue
    return found


def addons(addons_path: str | None) -> list[tuple[str, str]]:
    """(module, manifest version) of every module on the addons path, read from disk on each call.

    A manifest is data, and the PR's author wrote it: it is parsed with ast.literal_eval, never
    executed. One that is not a literal dict shows as version "?" (Odoo would refuse it too).
    """
    return [(module.name, _manifest_version(module / "__manifest__.py")) for module in _modules(addons_path)]


def asset_bundle(addons_path: str | None) -> str:
    """Every module's `static/src/**/*.css`, concatenated like Odoo's bundles, read from disk per call.

    The files come from the PR: a symlink leading outside its module is skipped (it could expose
    any file the server can read), and each file is cut at CSS_MAX_BYTES.
    """
    parts = []
    for module in _modules(addons_path):
        try:
            root = module.resolve()
            files = sorted((module / "static" / "src").rglob("*.css"), key=lambda f: f.relative_to(module).as_posix())
        except OSError:
            continue
        for file in files:
            try:
                if not (file.resolve().is_relative_to(root) and file.is_file()):
                    continue
                with file.open("rb") as f:
                    css = f.read(CSS_MAX_BYTES).decode(errors="replace")
            except OSError:
                continue
            label = f"{module.name}/{file.relative_to(module).as_posix()}".replace("*/", "*_/")
            parts.append(f"/* {label} */\n{css}\n")
    return "".join(parts)


def safe_redirect(target: str) -> str:
    """`target` if it is a path on this server, else Odoo's home: no open redirect, no header injection."""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local and target.isascii() and target.isprintable() else HOME


def _password_matches(password: str, stored: str | None) -> bool:
    try:
        return stored is not None and passwords.verify(password, stored)
    except ValueError:  # a malformed hash (bad rounds or base64): nobody can log in with it
        return False


def _manifest_version(manifest: Path) -> str:
    try:
        with manifest.open("rb") as f:
            data = ast.literal_eval(f.read(MANIFEST_MAX_BYTES).decode())
    except (OSError, ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
        return "?"
    version = data.get("version") if isinstance(data, dict) else None
    return str(version) if version is not None else "?"


def _bounded_int(params: dict[str, list[str]], name: str, default: int, high: int, low: int = 0) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        value = int(values[0])
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {values[0]!r}")
    return value


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _document(title: str, style: str, body: str) -> str:
    """An HTML page: its inline style first, then the modules' bundle, which may override it."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{NAME}">
<title>{html.escape(title)}</title>
<style>
body {{ {FONT} margin: 0; }}
{style}</style>
<link rel="stylesheet" href="{BUNDLE}">
</head>
<body>
{body}
</body>
</html>
"""


def _page(title: str, text: str) -> str:
    return _document(
        title,
        "body { padding: 2rem; }\n",
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p><footer>{NAME}</footer>",
    )


_LOGIN_STYLE = """body { background: #f2f3f5; }
main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 4px; }
h1 { font-size: 1.4rem; text-align: center; }
label, input, button { display: block; width: 100%; box-sizing: border-box; margin-top: .5rem; }
input { padding: .5rem; font: inherit; }
button { margin-top: 1rem; padding: .6rem; background: #714b67; color: #fff; border: 0; font: inherit; }
.alert-danger { background: #f8d7da; color: #842029; padding: .5rem; border-radius: 4px; }
footer { margin-top: 1.5rem; font-size: .8rem; color: #666; text-align: center; }
"""


def _login_page(company: str, modules: list[tuple[str, str]], csrf_token: str, redirect: str, error: str | None) -> str:
    name = html.escape(company)
    items = "\n".join(
        f'<li><span class="o_module_name">{html.escape(module)}</span> '
        f'<span class="o_module_version">{html.escape(version)}</span></li>'
        for module, version in modules
    )
    alert = f'<p class="alert alert-danger" role="alert">{html.escape(error)}</p>\n' if error else ""
    body = f"""<main>
<h1 class="o_company_name">{name}</h1>
<form class="oe_login_form" action="/web/login" method="post">
<input type="hidden" name="csrf_token" value="{html.escape(csrf_token)}">
<label for="login">Email</label>
<input type="text" id="login" name="login" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
{alert}<input type="hidden" name="redirect" value="{html.escape(redirect)}">
<button type="submit">Log in</button>
</form>
<section class="o_addons"><h2>Addons</h2>
<ul>
{items}
</ul>
</section>
<footer>{NAME}: not Odoo.</footer>
</main>"""
    return _document(f"Login | {company}", _LOGIN_STYLE, body)


_BACKEND_STYLE = """body { background: #f9fafb; color: #212529; }
.o_control_panel { display: flex; align-items: center; gap: 1rem; padding: .75rem 1rem; background: #fff;
  border-bottom: 1px solid #dee2e6; }
.o_breadcrumb { font-size: 1.2rem; margin: 0; flex: 1; }
.o_standin_clock, .o_user_menu { font-size: .85rem; color: #6c757d; }
.o_content { padding: 1rem; }
.o_list_table { border-collapse: collapse; width: 100%; background: #fff; }
.o_list_table th, .o_list_table td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dee2e6; }
.o_form_view { max-width: 48rem; margin: 1rem auto; background: #fff; padding: 1.5rem 2rem;
  border: 1px solid #dee2e6; }
.o_field_name { font-size: 1.6rem; margin: 0 0 1rem; }
.o_group th { text-align: left; padding: .3rem 1.5rem .3rem 0; font-weight: bold; }
a { color: #714b67; }
"""


def _backend_page(title: str, login: str, breadcrumb: str, content: str) -> str:
    clock = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    body = f"""<div class="o_action_manager">
<div class="o_control_panel"><h2 class="o_breadcrumb">{breadcrumb}</h2>
<span class="o_standin_clock">{clock}</span>
<span class="o_user_menu">{html.escape(login)}</span> <a class="o_logout" href="/web/session/logout">Log out</a></div>
{content}
</div>"""
    return _document(title, _BACKEND_STYLE, body)


def _text(value: object) -> str:
    return "" if value is None else html.escape(str(value))


def _list_view(login: str, rows: list[tuple]) -> str:
    lines = "\n".join(
        f'<tr class="o_data_row"><td class="o_data_cell" name="id">{id_}</td>'
        f'<td class="o_data_cell" name="name"><a href="{HOME}/contacts/{id_}">{_text(name)}</a></td>'
        f'<td class="o_data_cell" name="email">{_text(email)}</td>'
        f'<td class="o_data_cell" name="phone">{_text(phone)}</td></tr>'
        for id_, name, email, phone in rows
    )
    table = f"""<div class="o_content o_list_view"><table class="o_list_table">
<thead><tr><th>ID</th><th>Name</th><th>Email</th><th>Phone</th></tr></thead>
<tbody>
{lines}
</tbody>
</table></div>"""
    return _backend_page("Contacts", login, "Contacts", table)


def _form_view(login: str, record: int, row: tuple) -> str:
    name, *fields = row
    labelled = zip(("email", "phone", "street", "city"), ("Email", "Phone", "Street", "City"), fields, strict=True)
    lines = "\n".join(
        f'<tr><th><label class="o_form_label" for="{field}">{label}</label></th>'
        f'<td class="o_field_widget" name="{field}" id="{field}">{_text(value)}</td></tr>'
        for field, label, value in labelled
    )
    form = f"""<div class="o_content"><div class="o_form_view" data-id="{record}">
<h1 class="o_field_name">{_text(name)}</h1>
<table class="o_group">
{lines}
</table>
</div></div>"""
    breadcrumb = f'<a href="{HOME}/contacts">Contacts</a> / {_text(name)}'
    return _backend_page(f"{name or ''} | Contacts", login, breadcrumb, form)


def _setup_logging(config: OdooConfig) -> None:
    handler = logging.handlers.WatchedFileHandler(config.logfile) if config.logfile else logging.StreamHandler()
    handler.setFormatter(OdooLogFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(_LEVELS.get(config.log_level.split("_")[0], logging.INFO))


def _check_database(config: OdooConfig) -> None:
    try:
        with psycopg.connect(config.dsn(), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        log.error("Database %r is unreachable: %s", config.db_name, _reason(exc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odoosh.sandbox.standin", description=f"{NAME} (not Odoo)")
    parser.add_argument("-c", "--config", required=True, help="Odoo config file (odoo.conf)")
    args = parser.parse_args(argv)
    os.environ["TZ"] = "UTC"  # as odoo-bin does: Odoo's log timestamps are UTC
    time.tzset()
    try:
        config = read_odoo_config(args.config)
    except OdooConfigError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 2
    _setup_logging(config)
    log.info("%s (not Odoo) starting, configuration file at %s", NAME, args.config)
    log.info(
        "database: %s@%s:%s", config.db_user or "default", config.db_host or "default", config.db_port or "default"
    )
    try:
        server = StandinServer(config)
    except OSError as exc:
        log.critical("Cannot listen on %s:%s: %s", config.http_interface, config.http_port, exc.strerror)
        return 1
    log.info("HTTP service (%s) running on %s:%s", NAME, config.http_interface, server.server_port)
    _check_database(config)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, args=(0.1,), name="http", daemon=True).start()
    stop.wait()
    log.info("Stopping gracefully")
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
