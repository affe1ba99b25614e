"""The sandbox mail catcher: an SMTP server on loopback that keeps every message and delivers none.

Dev, staging and preview environments send mail here, so nothing they send can reach a real
person. Messages go to ``messages.db`` (SQLite, WAL) in the state directory: they survive a
restart and another process can read them. An HTTP server answers the subset of Mailpit's API
the platform uses (``/api/v1/messages``, ``/api/v1/message/{ID}[/headers|/raw]``, ``/livez``),
in Mailpit's JSON shapes, so the same client reads this catcher in the sandbox and Mailpit in
production; ``/`` lists the messages for a person.

Run as ``python -m odoosh.sandbox.mail_catcher --state-dir DIR [--smtp-port N] [--http-port M]``. Once
both servers listen it writes ``catcher.json`` (host and ports) and then ``catcher.pid``; the
pid file is removed on a clean exit (SIGTERM or SIGINT), the port file is kept so a restart
can reuse the same ports.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from odoosh.sandbox.mail_catcher.http_api import MailpitHTTPServer
from odoosh.sandbox.mail_catcher.mailbox import Mailbox

PORTS_FILE = "catcher.json"
PID_FILE = "catcher.pid"
DB_FILE = "messages.db"
log = logging.getLogger("odoosh.sandbox.mail_catcher")


class CatcherError(RuntimeError):
    """A catcher that cannot start, phrased as what is wrong and how to fix it."""


# --------------------------------------------------------------------------- SMTP


class _StoreHandler:
    """aiosmtpd handler: store, log one line (never the body), accept."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        summary = self.mailbox.add(envelope.content, envelope.mail_from, list(envelope.rcpt_tos))
        log.info(
            "caught %s from=%s to=%s subject=%r",
            summary["ID"],
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
            summary["Subject"],
        )
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


# --------------------------------------------------------------------------- process


class MailCatcherServer:
    """Both servers over one mailbox in `state_dir`, started and stopped in this process."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise CatcherError(f"The mail catcher listens on a loopback IP address only (127.0.0.1, ::1), not {host}.")
        self.state_dir, self.host = state_dir, host
        self.smtp_port, self.http_port = smtp_port, http_port
        self._smtp: Controller | None = None
        self._http: MailpitHTTPServer | None = None

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        mailbox = Mailbox(self.state_dir / DB_FILE)
        try:
            with _busy_port_error("HTTP", self.host, self.http_port, "--http-port"):
                self._http = MailpitHTTPServer((self.host, self.http_port), mailbox)
            self.http_port = self._http.server_address[1]
            threading.Thread(target=self._http.serve_forever, args=(0.1,), name="http", daemon=True).start()
            with _busy_port_error("SMTP", self.host, self.smtp_port, "--smtp-port"):
                self._smtp = _BoundController(
                    _StoreHandler(mailbox),
                    self.host,
                    self.smtp_port,
                    server_hostname="odoosh-mail-catcher",  # skips a slow getfqdn() DNS lookup
                    enable_SMTPUTF8=True,
                    authenticator=_accept_any_login,
                    auth_require_tls=False,
                )
            self._smtp.start()
            self.smtp_port = self._smtp.port
        except BaseException:
            self.stop()
            raise
        ports = {"smtp_host": self.host, "smtp_port": self.smtp_port, "http_port": self.http_port}
        _write_atomically(self.state_dir / PORTS_FILE, json.dumps(ports))
        _write_atomically(self.state_dir / PID_FILE, f"{os.getpid()}\n")
        log.info(
            "mail catcher: SMTP %s:%d, HTTP http://%s:%d/, messages in %s",
            self.host,
            self.smtp_port,
            self.host,
            self.http_port,
            self.state_dir / DB_FILE,
        )

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
    parser = argparse.ArgumentParser(prog="python -m odoosh.sandbox.mail_catcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", required=True, type=Path, help="where messages and the pid/port files live")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address both servers listen on")
    parser.add_argument("--smtp-port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--http-port", type=int, default=0, help="0 (default) picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
