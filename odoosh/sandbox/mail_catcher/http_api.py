"""The catcher's HTTP side: the subset of Mailpit's API the platform reads, and a page for a person."""

from __future__ import annotations

import html
import json
import re
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from odoosh.sandbox.mail_catcher.mailbox import Mailbox, headers

PAGE_LIMIT = 200  # messages shown on the HTML page


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}
_MESSAGE_PATH = re.compile(r"/api/v1/message/([^/]+)(/headers|/raw)?")


class _Handler(BaseHTTPRequestHandler):
    server: MailpitHTTPServer

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
            self._json(
                {
                    "total": total,
                    "unread": total,
                    "messages_count": total,
                    "messages_unread": total,
                    "start": start,
                    "tags": [],
                    "messages": messages,
                }
            )
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


class MailpitHTTPServer(ThreadingHTTPServer):
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
        '<tr><td>{}</td><td>{}</td><td>{}</td><td><a href="/api/v1/message/{}/raw">{}</a></td><td>{}</td></tr>'.format(
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
        '<!doctype html><html><head><meta charset="utf-8"><title>odoosh mail catcher</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>"
        f"<h1>Caught mail ({shown})</h1><p>These messages were sent by dev, staging or preview "
        "environments and were not delivered to anyone.</p>"
        "<table><tr><th>Received (UTC)</th><th>From</th><th>To</th><th>Subject</th>"
        f"<th>Bytes</th></tr>{rows}</table></body></html>"
    )


def _display(address: dict) -> str:
    return f"{address['Name']} <{address['Address']}>" if address["Name"] else address["Address"]
