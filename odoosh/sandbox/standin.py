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
- Odoo's log format, UTC timestamps and werkzeug request lines ending in Odoo's per-request
  counters (query count, query seconds, remaining seconds), so log checks and latency reports
  read the same lines they read from Odoo.
- Test endpoints, which Odoo does not have, to generate load with known figures:
  `/odoosh/test/load?ms=M&status=S` waits M ms and answers S; `/odoosh/test/n_plus_one?records=N`
  reads N records with N+1 queries (one per record), `/odoosh/test/flat?records=N` with one.
  Their log lines carry the response's size in bytes (Odoo's werkzeug writes `-`), so N+1
  detection can relate the query count to the result's size.
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import logging
import logging.handlers
import os
import signal
import socketserver
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg

from odoosh.odoo.config import OdooConfig, OdooConfigError, read_odoo_config

# odoo/netsvc.py; %(perf_info)s is empty except on werkzeug request lines
LOG_FORMAT = "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s"
_LEVELS = {"debug": logging.DEBUG, "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}
CONNECT_TIMEOUT_S = 5
NAME = "odoosh Odoo stand-in"
MANIFEST_MAX_BYTES = 1_000_000  # Odoo's largest manifests are a few kB
TEST_MAX_RECORDS = 10_000
TEST_MAX_MS = 10_000

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
        super().__init__((config.http_interface, config.http_port), StandinHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer
    server_version = "odoosh-odoo-standin"

    def do_GET(self) -> None:
        # Odoo keeps the request's database and perf counters on the thread (odoo/http.py).
        threading.current_thread().dbname = self.server.config.db_name
        self.query_count, self.query_time, self.perf_t0 = 0, 0.0, time.perf_counter()
        url = urlsplit(self.path)
        if url.path == "/web/health":
            self._health(parse_qs(url.query))
        elif url.path == "/web/login":
            self._login()
        elif url.path.startswith("/odoosh/test/"):
            self._test(url.path.removeprefix("/odoosh/test/"), parse_qs(url.query))
        elif url.path in ("/", "/web"):
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", "/web/login")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(
                HTTPStatus.NOT_FOUND, "text/html", _page("404: Page not found", "There is no page at this address.")
            )

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

    def _login(self) -> None:
        try:
            rows = self._query("SELECT name FROM res_company ORDER BY id LIMIT 1")
        except psycopg.Error as exc:
            log.error("Cannot render the login page: database %r: %s", self.server.config.db_name, _reason(exc))
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "text/html",
                _page("Internal Server Error", "The database cannot be read; see the server log."),
            )
            return
        company = rows[0][0] if rows else "(no company)"
        self._send(HTTPStatus.OK, "text/html", _login_page(company, addons(self.server.config.addons_path)))

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

    def _query(self, query: str) -> list[tuple]:
        """Run one query on the configured database, counted and timed like Odoo's cursor
        (failed queries count too)."""
        with psycopg.connect(self.server.config.dsn(), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            start = time.perf_counter()
            try:
                return conn.execute(query).fetchall()
            finally:
                self.query_count += 1
                self.query_time += time.perf_counter() - start

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
        else:  # a request that never reached do_GET (unsupported method, bad request line)
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


def addons(addons_path: str | None) -> list[tuple[str, str]]:
    """(module, manifest version) of every module on the addons path, read from disk on each call.

    A manifest is data, and the PR's author wrote it: it is parsed with ast.literal_eval, never
    executed. One that is not a literal dict shows as version "?" (Odoo would refuse it too).
    """
    found = []
    for directory in filter(None, (p.strip() for p in (addons_path or "").split(","))):
        try:
            modules = sorted(m for m in Path(directory).iterdir() if (m / "__manifest__.py").is_file())
        except OSError:
            continue
        for module in modules:
            found.append((module.name, _manifest_version(module / "__manifest__.py")))
    return found


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


def _page(title: str, text: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f"<footer>{NAME}</footer></body></html>\n"
    )


def _login_page(company: str, modules: list[tuple[str, str]]) -> str:
    name = html.escape(company)
    items = "\n".join(
        f'<li><span class="o_module_name">{html.escape(module)}</span> '
        f'<span class="o_module_version">{html.escape(version)}</span></li>'
        for module, version in modules
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{NAME}">
<title>Login | {name}</title>
<style>
body {{ font-family: sans-serif; background: #f2f3f5; margin: 0; }}
main {{ max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 4px; }}
h1 {{ font-size: 1.4rem; text-align: center; }}
label, input, button {{ display: block; width: 100%; box-sizing: border-box; margin-top: .5rem; }}
input {{ padding: .5rem; }}
button {{ margin-top: 1rem; padding: .6rem; background: #714b67; color: #fff; border: 0; }}
footer {{ margin-top: 1.5rem; font-size: .8rem; color: #666; text-align: center; }}
</style>
</head>
<body>
<main>
<h1 class="o_company_name">{name}</h1>
<form class="oe_login_form" action="/web/login" method="post">
<label for="login">Email</label>
<input type="text" id="login" name="login" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit">Log in</button>
</form>
<section class="o_addons"><h2>Addons</h2>
<ul>
{items}
</ul>
</section>
<footer>{NAME}: not Odoo; logging in is not implemented.</footer>
</main>
</body>
</html>
"""


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
