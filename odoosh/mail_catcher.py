"""The sandbox mail catcher: an SMTP server on loopback that keeps every message and delivers none.

Dev, staging and preview environments send mail here, so nothing they send can reach a real
person. Messages go to ``messages.db`` (SQLite, WAL) in the state directory: they survive a
restart and another process can read them. An HTTP server answers the subset of Mailpit's API
the platform uses (``/api/v1/messages``, ``/api/v1/message/{ID}[/headers|/raw]``, ``/livez``),
in Mailpit's JSON shapes, so the same client reads this catcher in the sandbox and Mailpit in
production; ``/`` lists the messages for a person.

Run as ``python -m odoosh.mail_catcher --state-dir DIR [--smtp-port N] [--http-port M]``. Once
both servers listen it writes ``catcher.json`` (host and ports) and then ``catcher.pid``; the
pid file is removed on a clean exit (SIGTERM or SIGINT), the port file is kept so a restart
can reuse the same ports.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import html
import ipaddress
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

PORTS_FILE = "catcher.json"
PID_FILE = "catcher.pid"
DB_FILE = "messages.db"
PAGE_LIMIT = 200  # messages shown on the HTML page
SNIPPET_CHARS = 250  # as Mailpit
log = logging.getLogger("odoosh.mail_catcher")


class CatcherError(RuntimeError):
    """A catcher that cannot start, phrased as what is wrong and how to fix it."""


# --------------------------------------------------------------------------- storage


class Mailbox:
    """The caught messages, in arrival order, in one SQLite file.

    The Mailpit summary of a message is computed once on arrival and stored as JSON, so
    listing does not re-parse every message; the full message is parsed only when asked for.
    """

    def __init__(self, path: Path):
        self.path = path
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers in other processes never block SMTP
            db.execute(
                "CREATE TABLE IF NOT EXISTS messages ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,"
                " created TEXT NOT NULL, mail_from TEXT NOT NULL, rcpt_to TEXT NOT NULL,"
                " summary TEXT NOT NULL, raw BLOB NOT NULL)"
            )

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection per operation: the SMTP and HTTP threads never share one."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, raw: bytes, mail_from: str, rcpt_to: list[str]) -> dict:
        """Store a message as received over SMTP; returns its Mailpit summary."""
        message_id = uuid.uuid4().hex
        created = _timestamp(datetime.now(UTC))
        summary = summarise(message_id, created, raw, mail_from, rcpt_to)
        with self._db() as db:
            db.execute(
                "INSERT INTO messages (id, created, mail_from, rcpt_to, summary, raw)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, created, mail_from, json.dumps(rcpt_to), json.dumps(summary), raw),
            )
        return summary

    def summaries(self, start: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
        """(total, Mailpit summaries newest first)."""
        with self._db() as db:
            total = db.execute("SELECT count(*) FROM messages").fetchone()[0]
            rows = db.execute(
                "SELECT summary FROM messages ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, start)
            ).fetchall()
        return total, [json.loads(summary) for (summary,) in rows]

    def raw(self, message_id: str) -> bytes | None:
        """The message as received (RFC 822 bytes); `latest` names the newest, as in Mailpit."""
        row = self._row("raw", message_id)
        return row[0] if row else None

    def message(self, message_id: str) -> dict | None:
        """The Mailpit `Message` JSON of one message (or of `latest`)."""
        row = self._row("id, created, mail_from, rcpt_to, raw", message_id)
        if row is None:
            return None
        found_id, created, mail_from, rcpt_to, raw = row
        return detail(found_id, created, raw, mail_from, json.loads(rcpt_to))

    def _row(self, columns: str, message_id: str) -> tuple | None:
        where = "ORDER BY seq DESC LIMIT 1" if message_id == "latest" else "WHERE id = ?"
        params = () if message_id == "latest" else (message_id,)
        with self._db() as db:
            return db.execute(f"SELECT {columns} FROM messages {where}", params).fetchone()

    def delete(self, ids: list[str] | None = None) -> None:
        """Delete the given messages, or all of them (Mailpit's DELETE without IDs)."""
        with self._db() as db:
            if ids:
                db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])
            else:
                db.execute("DELETE FROM messages")


# --------------------------------------------------------------------------- Mailpit JSON


def _timestamp(moment: datetime) -> str:
    """RFC 3339 with milliseconds, the precision Mailpit stores."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def _addresses(msg: EmailMessage, header: str) -> list[dict]:
    """Mailpit's address objects (Go's net/mail.Address): {"Name", "Address"}."""
    values = [str(value) for value in msg.get_all(header, [])]
    return [{"Name": name, "Address": address} for name, address in getaddresses(values) if address]


def _envelope_only(rcpt_to: list[str], *shown: list[dict]) -> list[dict]:
    """Envelope recipients in no To/Cc header: the Bcc, kept so no recipient goes unseen."""
    in_headers = {a["Address"].lower() for group in shown for a in group}
    return [{"Name": "", "Address": r} for r in rcpt_to if r.lower() not in in_headers]


def _text(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # unknown or lying charset: show what can be shown
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _common(message_id: str, raw: bytes, msg: EmailMessage, mail_from: str, rcpt_to: list[str]) -> dict:
    sender = _addresses(msg, "From")
    to, cc = _addresses(msg, "To"), _addresses(msg, "Cc")
    return {
        "ID": message_id,
        "MessageID": str(msg.get("Message-ID", "")).strip().strip("<>"),
        "From": sender[0] if sender else {"Name": "", "Address": mail_from},
        "To": to,
        "Cc": cc,
        "Bcc": _envelope_only(rcpt_to, to, cc),
        "ReplyTo": _addresses(msg, "Reply-To"),
        "Subject": str(msg.get("Subject", "")),
        "Tags": [],
        "Size": len(raw),
    }


def summarise(message_id: str, created: str, raw: bytes, mail_from: str, rcpt_to: list[str]) -> dict:
    """Mailpit's `MessageSummary` of a message (the items of GET /api/v1/messages)."""
    msg = _parse(raw)
    return {
        **_common(message_id, raw, msg, mail_from, rcpt_to),
        "Read": False,  # nothing here marks messages read
        "Created": created,
        "Attachments": sum(1 for _ in msg.iter_attachments()),
        "Snippet": " ".join(_text(msg, "plain").split())[:SNIPPET_CHARS],
    }


def detail(message_id: str, created: str, raw: bytes, mail_from: str, rcpt_to: list[str]) -> dict:
    """Mailpit's `Message` (GET /api/v1/message/{ID}); headers are at .../headers, as there."""
    msg = _parse(raw)
    date = created  # without a usable Date header Mailpit shows the arrival time
    with contextlib.suppress(TypeError, ValueError):
        sent = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
        if sent is not None:
            date = _timestamp(sent if sent.tzinfo else sent.replace(tzinfo=UTC))
    inline, attachments = [], []
    for part in msg.iter_attachments():
        (inline if part.get_content_disposition() == "inline" else attachments).append({
            "FileName": part.get_filename() or "",
            "ContentType": part.get_content_type(),
            "ContentID": str(part.get("Content-ID", "")).strip("<>"),
            "Size": len(part.get_payload(decode=True) or b""),
        })
    return {
        **_common(message_id, raw, msg, mail_from, rcpt_to),
        "ReturnPath": str(msg.get("Return-Path", mail_from)).strip("<>"),
        "Date": date,
        "Text": _text(msg, "plain"),
        "HTML": _text(msg, "html"),
        "Inline": inline,
        "Attachments": attachments,
    }


def headers(raw: bytes) -> dict[str, list[str]]:
    """Mailpit's GET .../headers: every header, all its values, keys sorted and in Go's
    canonical case (``Message-Id``), so lookups behave the same against both servers."""
    result: dict[str, list[str]] = {}
    for name, value in _parse(raw).items():
        canonical = "-".join(word.capitalize() for word in name.split("-"))
        result.setdefault(canonical, []).append(str(value))
    return dict(sorted(result.items()))


# --------------------------------------------------------------------------- SMTP


class _StoreHandler:
    """aiosmtpd handler: store, log one line (never the body), accept."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        summary = self.mailbox.add(envelope.content, envelope.mail_from, list(envelope.rcpt_tos))
        log.info("caught %s from=%s to=%s subject=%r", summary["ID"], envelope.mail_from,
                 ",".join(envelope.rcpt_tos), summary["Subject"])
        return "250 Message caught (not delivered)"


def _accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Environments may keep SMTP credentials configured; the catcher takes any, as it
    delivers nothing (Mailpit's --smtp-auth-accept-any)."""
    return AuthResult(success=True)


class _BoundController(Controller):
    """A Controller on a socket bound up front: a busy port fails at once (the stock one only
    notices after its ready_timeout), and port 0 is resolved before its start-up self-check."""

    def __init__(self, handler, host: str, port: int, **smtp_parameters):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family)
        super().__init__(handler, hostname=host, port=self._socket.getsockname()[1], **smtp_parameters)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._socket, ssl=self.ssl_context)


# --------------------------------------------------------------------------- HTTP

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}
_MESSAGE_PATH = re.compile(r"/api/v1/message/([^/]+)(/headers|/raw)?")


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        mailbox = self.server.mailbox
        if url.path in ("/livez", "/readyz"):
            self._send(200, b"", "text/plain")
        elif url.path == "/api/v1/messages":
            query = parse_qs(url.query)
            start, limit = _int(query, "start", 0), _int(query, "limit", 50)
            total, messages = mailbox.summaries(start, limit)
            # Mailpit's MessagesSummary; all are unread, as nothing here marks messages read.
            self._json({"total": total, "unread": total, "messages_count": total,
                        "messages_unread": total, "start": start, "tags": [], "messages": messages})
        elif match := _MESSAGE_PATH.fullmatch(url.path):
            self._message(mailbox, match[1], match[2])
        elif url.path == "/":
            total, messages = mailbox.summaries(0, PAGE_LIMIT)
            self._send(200, _page(total, messages).encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain")

    def _message(self, mailbox: Mailbox, message_id: str, part: str | None) -> None:
        found = mailbox.message(message_id) if part is None else mailbox.raw(message_id)
        if found is None:
            self._send(404, b"message not found\n", "text/plain")
        elif part is None:
            self._json(found)
        elif part == "/headers":
            self._json(headers(found))
        else:
            self._send(200, found, "text/plain; charset=utf-8")

    def do_DELETE(self) -> None:
        """Mailpit's DELETE /api/v1/messages: the messages whose IDs the body lists, else all."""
        if urlsplit(self.path).path != "/api/v1/messages":
            self._send(404, b"not found\n", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            ids = json.loads(body).get("IDs") if body.strip() else None
        except (ValueError, AttributeError):
            self._send(400, b'body must be JSON like {"IDs": [...]}\n', "text/plain")
            return
        self.server.mailbox.delete(ids)
        self._send(200, b"ok", "text/plain")

    def _json(self, value) -> None:
        self._send(200, json.dumps(value).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        """Silent: the log has one line per caught message, not one per API poll."""


class _HTTPServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], mailbox: Mailbox):
        self.mailbox = mailbox
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return max(0, int(query[name][0]))
    except (KeyError, ValueError):
        return default


def _page(total: int, messages: list[dict]) -> str:
    """The HTML listing. Everything from a message is untrusted and escaped; links go to
    the raw source served as text/plain, never to rendered HTML."""
    esc = html.escape
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/api/v1/message/{}/raw\">{}</a></td>"
        "<td>{}</td></tr>".format(
            esc(m["Created"]),
            esc(_display(m["From"])),
            esc(", ".join(_display(a) for a in m["To"] + m["Cc"] + m["Bcc"])),
            esc(quote(m["ID"], safe="")),
            esc(m["Subject"]) or "<em>(no subject)</em>",
            m["Size"],
        )
        for m in messages
    )
    shown = f"newest {len(messages)} of {total}" if total > len(messages) else str(total)
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>odoosh mail catcher</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>"
        f"<h1>Caught mail ({shown})</h1><p>These messages were sent by dev, staging or preview "
        "environments and were not delivered to anyone.</p>"
        "<table><tr><th>Received (UTC)</th><th>From</th><th>To</th><th>Subject</th>"
        f"<th>Bytes</th></tr>{rows}</table></body></html>"
    )


def _display(address: dict) -> str:
    return f"{address['Name']} <{address['Address']}>" if address["Name"] else address["Address"]


# --------------------------------------------------------------------------- process


class MailCatcherServer:
    """Both servers over one mailbox in `state_dir`, started and stopped in this process."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise CatcherError(
                f"The mail catcher listens on a loopback IP address only (127.0.0.1, ::1), not {host}."
            )
        self.state_dir, self.host = state_dir, host
        self.smtp_port, self.http_port = smtp_port, http_port
        self._smtp: Controller | None = None
        self._http: _HTTPServer | None = None

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        mailbox = Mailbox(self.state_dir / DB_FILE)
        try:
            with _busy_port_error("HTTP", self.host, self.http_port, "--http-port"):
                self._http = _HTTPServer((self.host, self.http_port), mailbox)
            self.http_port = self._http.server_address[1]
            threading.Thread(target=self._http.serve_forever, args=(0.1,), name="http", daemon=True).start()
            with _busy_port_error("SMTP", self.host, self.smtp_port, "--smtp-port"):
                self._smtp = _BoundController(
                    _StoreHandler(mailbox), self.host, self.smtp_port,
                    server_hostname="odoosh-mail-catcher",  # skips a slow getfqdn() DNS lookup
                    enable_SMTPUTF8=True, authenticator=_accept_any_login, auth_require_tls=False,
                )
            self._smtp.start()
            self.smtp_port = self._smtp.port
        except BaseException:
            self.stop()
            raise
        ports = {"smtp_host": self.host, "smtp_port": self.smtp_port, "http_port": self.http_port}
        _write_atomically(self.state_dir / PORTS_FILE, json.dumps(ports))
        _write_atomically(self.state_dir / PID_FILE, f"{os.getpid()}\n")
        log.info("mail catcher: SMTP %s:%d, HTTP http://%s:%d/, messages in %s",
                 self.host, self.smtp_port, self.host, self.http_port, self.state_dir / DB_FILE)

    def stop(self) -> None:
        if self._smtp is not None and self._smtp.server is not None:
            self._smtp.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self._smtp = self._http = None
        pid_file = self.state_dir / PID_FILE
        with contextlib.suppress(FileNotFoundError, ValueError):
            if int(pid_file.read_text()) == os.getpid():
                pid_file.unlink()


@contextlib.contextmanager
def _busy_port_error(what: str, host: str, port: int, option: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise CatcherError(
            f"{what} port {port} on {host} is already in use by another process. Stop that "
            f"process or choose another {option} (0 picks a free port)."
        ) from None


def _write_atomically(path: Path, text: str) -> None:
    """Readers in other processes see the old file or the new one, never half of one."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odoosh.mail_catcher",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True, type=Path,
                        help="where messages and the pid/port files live")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address both servers listen on")
    parser.add_argument("--smtp-port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--http-port", type=int, default=0, help="0 (default) picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every SMTP command, and warns about its own deprecated attribute on each
    # AUTH; the catcher's log is one line per message.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    # Block the stop signals before any thread starts, so they all reach sigwait() below.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        server = MailCatcherServer(args.state_dir.resolve(), args.host, args.smtp_port, args.http_port)
        server.start()
    except CatcherError as exc:
        print(f"mail catcher: {exc}", file=sys.stderr)
        return 2
    received = signal.sigwait(stop_signals)
    log.info("mail catcher: %s, stopping", signal.Signals(received).name)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
