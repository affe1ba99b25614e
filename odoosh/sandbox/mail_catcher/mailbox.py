"""The caught messages in one SQLite file, and Mailpit's JSON shapes of them."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

SNIPPET_CHARS = 250  # as Mailpit


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
                "INSERT INTO messages (id, created, mail_from, rcpt_to, summary, raw) VALUES (?, ?, ?, ?, ?, ?)",
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
        (inline if part.get_content_disposition() == "inline" else attachments).append(
            {
                "FileName": part.get_filename() or "",
                "ContentType": part.get_content_type(),
                "ContentID": str(part.get("Content-ID", "")).strip("<>"),
                "Size": len(part.get_payload(decode=True) or b""),
            }
        )
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
