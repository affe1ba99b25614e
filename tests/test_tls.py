"""The sandbox CA: certificates that a verifying client accepts for their names, and only those."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from odoosh.tls import SandboxCA


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path):
    ca = SandboxCA(tmp_path / "ca")
    issued = ca.issue("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(issued.cert, issued.key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ca, server.server_address[1]
    server.shutdown()


def test_a_client_that_trusts_the_ca_accepts_the_certificate_for_its_names(https_server):
    ca, port = https_server
    for host in ("localhost", "127.0.0.1"):
        assert httpx.get(f"https://{host}:{port}/", verify=ssl.create_default_context(cafile=ca.cert)).text == "hello"


def test_a_client_without_the_ca_refuses_it(https_server):
    _, port = https_server
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://localhost:{port}/")


def test_the_ca_is_kept_and_a_certificate_is_issued_once(tmp_path):
    ca = SandboxCA(tmp_path)
    first = ca.ensure().read_bytes()
    issued = ca.issue("pr-1.localhost")
    assert SandboxCA(tmp_path).ensure().read_bytes() == first
    assert SandboxCA(tmp_path).issue("pr-1.localhost").cert.read_bytes() == issued.cert.read_bytes()
    assert oct(issued.key.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError, match="at least one host name"):
        ca.issue()
