"""Mail of dev, staging and preview environments: where they send it, how the platform reads it.

Those environments must not deliver mail, so they send to a catcher: Mailpit in production
(run by compose), the sandbox's own catcher (`odoosh.sandbox.mail_catcher`) otherwise. Both
answer the same subset of Mailpit's HTTP API, which `MailpitClient` reads, and `mail_caught`
proves with a real message that an environment's mail ends up there.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import ProxyHandler, Request, build_opener

from odoosh.odoo.smoke import ProbeResult
from odoosh.postgres import PostgresError, connect

MAILPIT_SMTP_PORT = 1025  # Mailpit's default


class MailError(RuntimeError):
    """A problem with the catcher or Mailpit, phrased as what is wrong and how to fix it."""


# --------------------------------------------------------------------------- client


class MailpitClient:
    """The subset of Mailpit's API v1 the platform uses, served by Mailpit and by the sandbox
    catcher alike. `base_url` is the web root (``http://host:8025``, plus any --webroot)."""

    # No proxy: the catcher is local or internal, and a proxy would see the caught mail.
    _opener = build_opener(ProxyHandler({}))

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def live(self) -> bool:
        """Whether the server answers its liveness probe (``/livez`` in both)."""
        try:
            self._request("GET", "/livez")
        except MailError:
            return False
        return True

    def messages(self, start: int = 0, limit: int = 50) -> list[dict]:
        """Mailpit `MessageSummary` objects, newest first: ID, From {Name, Address}, To, Cc,
        Bcc, Subject, Created, Size, Snippet..."""
        return self._json("GET", f"/api/v1/messages?start={start}&limit={limit}")["messages"] or []

    def count(self) -> int:
        """How many messages the catcher holds."""
        return self._json("GET", "/api/v1/messages?limit=1")["total"]

    def message(self, message_id: str) -> dict:
        """Mailpit `Message`: the summary fields plus Date, ReturnPath, Text, HTML, Attachments."""
        return self._json("GET", f"/api/v1/message/{quote(message_id, safe='')}")

    def headers(self, message_id: str) -> dict[str, list[str]]:
        """All headers of a message, keys in Go's canonical case (``Message-Id``)."""
        return self._json("GET", f"/api/v1/message/{quote(message_id, safe='')}/headers")

    def delete_all(self) -> None:
        """Delete every message (Mailpit deletes all when the request names no IDs)."""
        self._request("DELETE", "/api/v1/messages")

    def wait_for(
        self, predicate: Callable[[dict], bool], timeout: float = 10.0, interval: float = 0.2, limit: int = 50
    ) -> dict:
        """The newest of the latest `limit` summaries matching `predicate`, polling until
        `timeout`; mail arrives asynchronously, so a check must wait for it rather than look once."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.messages(limit=limit)
            if match := next((m for m in seen if predicate(m)), None):
                return match
            if time.monotonic() >= deadline:
                subjects = [m.get("Subject") for m in seen[:5]]
                raise TimeoutError(
                    f"No matching message at {self.base_url} within {timeout:g} s; "
                    f"{len(seen)} messages checked, newest subjects: {subjects}"
                )
            time.sleep(interval)

    def _json(self, method: str, path: str):
        return json.loads(self._request(method, path))

    def _request(self, method: str, path: str) -> bytes:
        url = self.base_url + path
        try:
            with self._opener.open(Request(url, method=method), timeout=self.timeout) as response:
                return response.read()
        except HTTPError as exc:
            body = exc.read()[:200].decode(errors="replace").strip()
            raise MailError(f"{method} {url} answered HTTP {exc.code}: {body}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MailError(
                f"Cannot reach the mail catcher at {self.base_url}: {reason}. Check that it runs "
                "and that the API URL (host, port, webroot) is right."
            ) from None


# --------------------------------------------------------------------------- catchers


@dataclass(frozen=True)
class MailEndpoint:
    """Where environments send mail (SMTP) and where the platform reads it back (API)."""

    smtp_host: str
    smtp_port: int
    api_url: str

    def client(self) -> MailpitClient:
        return MailpitClient(self.api_url)


class MailCatcher(Protocol):
    """A catcher the platform can rely on: Mailpit, or the sandbox's."""

    def ensure_running(self) -> MailEndpoint: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Mailpit:
    """A Mailpit that compose runs: the platform starts and stops nothing."""

    api_url: str
    smtp_host: str
    smtp_port: int = MAILPIT_SMTP_PORT

    def ensure_running(self) -> MailEndpoint:
        return MailEndpoint(self.smtp_host, self.smtp_port, self.api_url)

    def stop(self) -> None:
        """Mailpit is not ours to stop."""


# --------------------------------------------------------------------------- proof

NAME = "mail_caught"


def mail_caught(dsn: str, catcher: MailEndpoint, subject: str, timeout: float = 15) -> ProbeResult:
    """Every active outgoing server is the catcher, and a test mail sent through the first one
    is listed by the catcher's API."""
    try:
        with connect(dsn) as conn:
            servers = conn.execute(
                "SELECT id, smtp_host, smtp_port FROM ir_mail_server WHERE active ORDER BY sequence, id"
            ).fetchall()
    except PostgresError as exc:
        return ProbeResult(NAME, False, str(exc), {})
    address = (catcher.smtp_host, catcher.smtp_port)
    elsewhere = [f"#{id_} {host}:{port}" for id_, host, port in servers if (host, port) != address]
    details = {"active_servers": len(servers), "catcher": f"{address[0]}:{address[1]}"}
    if not servers:
        return ProbeResult(NAME, False, "no active outgoing mail server: Odoo would use its config's", details)
    if elsewhere:
        return ProbeResult(
            NAME,
            False,
            f"mail servers point outside the catcher: {', '.join(elsewhere)}",
            {**details, "elsewhere": ", ".join(elsewhere)},
        )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "odoosh@staging.invalid", "check@staging.invalid", subject
    message.set_content("Sent by odoosh to prove that staging mail is caught.")
    _, host, port = servers[0]
    try:
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            smtp.send_message(message)
    except OSError as exc:
        return ProbeResult(NAME, False, f"cannot send through {host}:{port}: {exc}", details)
    try:
        catcher.client().wait_for(lambda m: m.get("Subject") == subject, timeout=timeout)
    except (TimeoutError, MailError) as exc:
        return ProbeResult(NAME, False, f"the test mail sent through {host}:{port} was not caught: {exc}", details)
    return ProbeResult(NAME, True, f"test mail sent through {host}:{port} was caught", details)
