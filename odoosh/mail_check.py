"""Proof that an environment's mail cannot leave: its servers point at the catcher, and a mail
sent through them arrives there."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from odoosh.smoke import ProbeResult
from resources.mail import MailEndpoint, MailError
from resources.postgres import PostgresError, connect

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
        return ProbeResult(NAME, False, f"mail servers point outside the catcher: {', '.join(elsewhere)}",
                           {**details, "elsewhere": ", ".join(elsewhere)})
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
