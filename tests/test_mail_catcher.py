"""The sandbox mail catcher as a real process: SMTP in, Mailpit-shaped API out, restarts, reuse."""

import contextlib
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.request import urlopen

import dagster as dg
import pytest

from odoosh.mail import MailEndpoint, MailError, Mailpit, MailpitClient
from odoosh.sandbox.mail_catcher.server import PID_FILE, PORTS_FILE
from odoosh.sandbox.mail_catcher.supervisor import SandboxCatcher
from resources.mail import MailResource, SandboxMailResource

pytestmark = pytest.mark.servers  # the sandbox mail catcher


def _leftovers(state_dir: Path) -> list[str]:
    """Live processes with an argument in `state_dir`, and zombie children of this process."""
    prefix, found = os.fsencode(state_dir), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if any(arg.startswith(prefix) for arg in argv):
                found.append(f"{proc.name}: {b' '.join(argv).decode()}")
            elif stat[0] == "Z" and int(stat[1]) == os.getpid():
                found.append(f"{proc.name}: zombie child")
    return found


@pytest.fixture
def state_dir(tmp_path):
    """A state directory whose catcher is stopped afterwards; no process may be left over."""
    yield tmp_path
    SandboxCatcher(tmp_path).stop()
    assert _leftovers(tmp_path) == []


def _message(
    subject: str, sender: str = "Ada Lovelace <ada@example.com>", to: str = "Bob <bob@example.com>"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Amount due: 42 EUR\n")
    return msg


def _send(endpoint: MailEndpoint, msg: EmailMessage, recipients: list[str] | None = None) -> None:
    with smtplib.SMTP(endpoint.smtp_host, endpoint.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg, to_addrs=recipients)


def _get(url: str) -> tuple[bytes, dict]:
    with urlopen(url, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_message_sent_over_smtp_appears_in_api(state_dir):
    endpoint = SandboxCatcher(state_dir).ensure_running()
    msg = _message("Invoice INV/2024/0001", to="Bob <bob@example.com>, carol@example.com")
    msg["Cc"] = "dan@example.com"
    msg.add_alternative("<p>Amount due: <b>42</b> EUR</p>", subtype="html")
    with smtplib.SMTP(endpoint.smtp_host, endpoint.smtp_port, timeout=10) as smtp:
        smtp.login("odoo", "any password")  # environments may keep credentials configured
        smtp.send_message(msg, to_addrs=["bob@example.com", "carol@example.com", "dan@example.com", "eve@example.com"])
    client = endpoint.client()

    summary = client.wait_for(lambda m: m["Subject"] == "Invoice INV/2024/0001", timeout=5)
    assert summary["From"] == {"Name": "Ada Lovelace", "Address": "ada@example.com"}
    assert summary["To"] == [
        {"Name": "Bob", "Address": "bob@example.com"},
        {"Name": "", "Address": "carol@example.com"},
    ]
    assert summary["Cc"] == [{"Name": "", "Address": "dan@example.com"}]
    assert summary["Bcc"] == [{"Name": "", "Address": "eve@example.com"}]  # envelope only
    assert summary["Snippet"] == "Amount due: 42 EUR"
    created = datetime.fromisoformat(summary["Created"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    raw, _ = _get(f"{endpoint.api_url}/api/v1/message/{summary['ID']}/raw")
    assert summary["Size"] == len(raw) and b"Subject: Invoice INV/2024/0001" in raw

    listing = json.loads(_get(f"{endpoint.api_url}/api/v1/messages")[0])
    assert listing["total"] == 1 and listing["start"] == 0 and listing["messages"] == [summary]

    message = client.message(summary["ID"])
    assert message["ID"] == summary["ID"] and message["Subject"] == summary["Subject"]
    assert message["Text"].strip() == "Amount due: 42 EUR"
    assert message["HTML"].strip() == "<p>Amount due: <b>42</b> EUR</p>"
    assert message["ReturnPath"] == "ada@example.com"
    assert client.headers(summary["ID"])["Subject"] == ["Invoice INV/2024/0001"]
    assert client.message("latest")["ID"] == summary["ID"]

    _send(endpoint, _message("Second"))
    assert [m["Subject"] for m in client.messages()] == ["Second", "Invoice INV/2024/0001"]
    assert client.count() == 2

    log = (state_dir / "mail" / "catcher.log").read_text()
    caught = [line for line in log.splitlines() if " caught " in line]
    assert len(caught) == 2
    assert "Invoice INV/2024/0001" in caught[0] and "eve@example.com" in caught[0]
    assert "Amount due" not in log  # no bodies in the log


def test_html_page_escapes_message_content(state_dir):
    endpoint = SandboxCatcher(state_dir).ensure_running()
    sender = '"<img src=x onerror=alert(1)>" <a@example.com>'
    _send(endpoint, _message('<script>alert("x")</script>', sender=sender))
    endpoint.client().wait_for(lambda m: "script" in m["Subject"], timeout=5)

    page, headers = _get(endpoint.api_url + "/")
    text = page.decode()
    assert headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text and "<img" not in text


def test_delete_all_clears_the_mailbox(state_dir):
    endpoint = SandboxCatcher(state_dir).ensure_running()
    client = endpoint.client()
    for subject in ("one", "two"):
        _send(endpoint, _message(subject))
    client.wait_for(lambda m: m["Subject"] == "two", timeout=5)
    assert client.count() == 2

    client.delete_all()

    assert client.count() == 0 and client.messages() == []
    assert "Caught mail (0)" in _get(endpoint.api_url + "/")[0].decode()
    with pytest.raises(TimeoutError, match="0 messages checked"):
        client.wait_for(lambda m: True, timeout=0.3)


def test_unknown_message_and_unreachable_server_are_clear_errors(state_dir):
    client = SandboxCatcher(state_dir).ensure_running().client()
    with pytest.raises(MailError, match="HTTP 404"):
        client.message("no-such-id")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = MailpitClient(f"http://127.0.0.1:{s.getsockname()[1]}", timeout=2)
    assert not closed.live()
    with pytest.raises(MailError, match=f"Cannot reach the mail catcher at {closed.base_url}"):
        closed.messages()


def test_restart_keeps_messages_and_ports(state_dir):
    catcher = SandboxCatcher(state_dir)
    before = catcher.ensure_running()
    _send(before, _message("kept"))
    kept = before.client().wait_for(lambda m: m["Subject"] == "kept", timeout=5)

    catcher.stop()
    assert not before.client().live()
    assert not (state_dir / "mail" / PID_FILE).exists()  # removed by the catcher's clean exit
    after = catcher.ensure_running()

    assert after == before  # same SMTP and HTTP ports: configs pointing at it stay valid
    assert [m["ID"] for m in after.client().messages()] == [kept["ID"]]


def test_dead_catcher_is_replaced(state_dir):
    catcher = SandboxCatcher(state_dir)
    endpoint = catcher.ensure_running()
    _send(endpoint, _message("before the crash"))
    endpoint.client().wait_for(lambda m: m["Subject"] == "before the crash", timeout=5)
    pid_file = state_dir / "mail" / PID_FILE
    dead = int(pid_file.read_text())
    os.kill(dead, signal.SIGKILL)  # no clean exit: the pid file stays behind
    os.waitpid(dead, 0)  # a crash is over by the time the next run looks (and no zombie stays)

    repaired = catcher.ensure_running()

    assert int(pid_file.read_text()) != dead
    assert [m["Subject"] for m in repaired.client().messages()] == ["before the crash"]


def test_second_call_reuses_the_running_catcher(state_dir):
    first = SandboxCatcher(state_dir).ensure_running()
    pid = int((state_dir / "mail" / PID_FILE).read_text())

    second = SandboxCatcher(state_dir).ensure_running()  # e.g. the next run

    assert second == first
    assert int((state_dir / "mail" / PID_FILE).read_text()) == pid
    assert len(_leftovers(state_dir)) == 1


def test_configured_smtp_port_is_used_and_a_busy_one_is_a_clear_error(state_dir):
    first = SandboxCatcher(state_dir).ensure_running()
    _send(first, _message("before the port change"))
    first.client().wait_for(lambda m: m["Subject"] == "before the port change", timeout=5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]

    moved = SandboxCatcher(state_dir, smtp_port=free).ensure_running()  # config changed

    assert moved.smtp_port == free != first.smtp_port
    assert [m["Subject"] for m in moved.client().messages()] == ["before the port change"]
    assert len(_leftovers(state_dir)) == 1  # the old catcher is gone

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        expected = rf"SMTP port {port} on 127.0.0.1 is already in use.*set ODOOSH_MAIL_SMTP_PORT"
        with pytest.raises(MailError, match=expected):
            SandboxCatcher(state_dir / "other", smtp_port=port).ensure_running()
        assert not (state_dir / "other" / "mail" / PID_FILE).exists()

        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "odoosh.sandbox.mail_catcher",
                "--state-dir",
                str(state_dir / "cli"),
                "--smtp-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert result.returncode == 2
    assert f"SMTP port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--smtp-port" in result.stderr


def test_process_shuts_down_cleanly_on_sigterm(state_dir):
    directory = state_dir / "cli"
    proc = subprocess.Popen(
        [sys.executable, "-m", "odoosh.sandbox.mail_catcher", "--state-dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not (directory / PID_FILE).exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert int((directory / PID_FILE).read_text()) == proc.pid
        ports = json.loads((directory / PORTS_FILE).read_text())
        assert MailpitClient(f"http://127.0.0.1:{ports['http_port']}").live()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
    assert "SIGTERM, stopping" in proc.stderr.read()
    assert not (directory / PID_FILE).exists() and (directory / PORTS_FILE).exists()


def test_production_mailpit_is_used_without_starting_anything(state_dir):
    mailpit = SandboxCatcher(state_dir).ensure_running()  # stands in for Mailpit
    prod = Mailpit(mailpit.api_url + "/", mailpit.smtp_host, mailpit.smtp_port)

    endpoint = prod.ensure_running()
    _send(endpoint, _message("through production config"))

    assert endpoint == MailEndpoint(mailpit.smtp_host, mailpit.smtp_port, mailpit.api_url + "/")
    assert endpoint.client().wait_for(lambda m: m["Subject"] == "through production config", timeout=5)
    prod.stop()  # not ours to stop
    assert mailpit.client().live()
    default = Mailpit("http://mailpit:8025", smtp_host="mailpit")
    assert default.ensure_running() == MailEndpoint("mailpit", 1025, "http://mailpit:8025")


def test_asset_sends_through_the_resource(state_dir):
    @dg.asset
    def welcome_mail(mail: MailResource) -> None:
        _send(mail.catcher().ensure_running(), _message("Welcome to staging"))

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [welcome_mail], instance=instance, resources={"mail": SandboxMailResource(state_dir=str(state_dir))}
        )

    assert result.success
    client = SandboxCatcher(state_dir).ensure_running().client()
    caught = client.wait_for(lambda m: m["Subject"] == "Welcome to staging", timeout=5)
    assert caught["To"] == [{"Name": "Bob", "Address": "bob@example.com"}]
