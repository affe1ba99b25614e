"""The previews' reverse proxy: a real Caddy, started and reloaded by the platform, serving HTTPS
with sandbox-CA certificates that a verifying client accepts, routing by Host header."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from odoosh import process
from odoosh.previews.proxy import NOT_FOUND_BODY, PreviewProxy, ProxyError

pytestmark = pytest.mark.servers


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{self.server.label} {self.headers['Host']} {self.headers.get('X-Forwarded-Proto')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstreams():
    """Two plain HTTP servers standing for two previews' Odoo."""
    servers = []
    for label in ("preview-one", "preview-two"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
        server.label = label
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield [s.server_port for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(tmp_path):
    proxy = PreviewProxy(tmp_path, ca=None)
    yield proxy
    proxy.stop(log=lambda _: None)


def quiet(_):
    pass


def test_two_previews_over_verified_https_routed_by_host(proxy, upstreams):
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    proxy.add_route("pr-2", upstreams[1], ["pr-2.localhost", "pr-2.previews.example.test"], log=quiet)
    port = proxy.port
    with proxy.client() as client:
        assert client.get(f"https://pr-1.localhost:{port}/").text == f"preview-one pr-1.localhost:{port} https"
        assert client.get(f"https://pr-2.localhost:{port}/").text == f"preview-two pr-2.localhost:{port} https"
        answer = client.get(f"https://pr-2.previews.example.test:{port}/web/login")
        assert answer.text.startswith("preview-two pr-2.previews.example.test")
        # A name the proxy routes nowhere, behind a valid handshake: the proxy's own 404.
        stray = client.get(f"https://pr-1.localhost:{port}/", headers={"Host": "pr-99.localhost"})
        assert (stray.status_code, stray.text) == (404, NOT_FOUND_BODY)
    # The certificate really is verified: without the sandbox CA it is refused.
    untrusted = httpx.HTTPTransport(verify=ssl.create_default_context())
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.handle_request(
            httpx.Request("GET", f"https://127.0.0.1:{port}/", extensions={"sni_hostname": "pr-1.localhost"})
        )
    # A host without a route has no certificate either: no handshake, nothing served.
    with proxy.client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"https://pr-3.localhost:{port}/")


def test_removing_a_route_keeps_the_others_serving(proxy, upstreams):
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    proxy.add_route("pr-2", upstreams[1], ["pr-2.localhost"], log=quiet)
    pid = proxy._state()["pid"]
    with proxy.client() as client:
        assert client.get(proxy.url("pr-1.localhost")).status_code == 200
        assert proxy.remove_route("pr-1", log=quiet)
        assert not proxy.remove_route("pr-1", log=quiet)
        with pytest.raises(httpx.ConnectError):  # no certificate for it any more: the handshake fails
            client.get(proxy.url("pr-1.localhost"))
        assert client.get(proxy.url("pr-2.localhost")).text.startswith("preview-two")
    assert proxy._state()["pid"] == pid == int(proxy.pid_file.read_text()), "a reload, not a restart"
    assert set(proxy.routes()) == {"pr-2"}


def test_routes_survive_a_restart_and_a_killed_proxy(proxy, upstreams):
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    proxy.add_route("pr-2", upstreams[1], ["pr-2.localhost"], log=quiet)
    port = proxy.port
    proxy.stop(log=quiet)
    assert not proxy.is_running()
    restarted = PreviewProxy(proxy.directory.parent).ensure_running(log=quiet)
    assert restarted.port == port, "the port is kept while it stays free"
    with restarted.client() as client:
        assert client.get(restarted.url("pr-1.localhost")).text.startswith("preview-one")
        assert client.get(restarted.url("pr-2.localhost")).text.startswith("preview-two")
    # SIGKILL leaves a stale admin socket and state: the next call starts it again.
    process.stop(restarted._state()["pid"], timeout=0)  # SIGKILL, and wait until it is gone
    assert not restarted.is_running()
    restarted.add_route("pr-3", upstreams[0], ["pr-3.localhost"], log=quiet)
    with restarted.client() as client:
        assert client.get(restarted.url("pr-2.localhost")).text.startswith("preview-two")
        assert client.get(restarted.url("pr-3.localhost")).text.startswith("preview-one")


def test_a_change_saved_but_not_applied_is_applied_next_time(proxy, upstreams):
    """A run killed between saving routes.json and reloading Caddy: the next call applies it."""
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    saved = json.loads((proxy.directory / "routes.json").read_text())
    saved["pr-2"] = {"hosts": ["pr-2.localhost"], "upstream_port": upstreams[1]}
    (proxy.directory / "routes.json").write_text(json.dumps(saved))
    proxy.ca.issue("pr-2.localhost")
    with proxy.client() as client:
        with pytest.raises(httpx.ConnectError):
            client.get(proxy.url("pr-2.localhost"))
        proxy.ensure_running(log=quiet)
        assert client.get(proxy.url("pr-2.localhost")).text.startswith("preview-two")


def test_a_config_caddy_refuses_changes_nothing(proxy, upstreams):
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    broken = proxy.ca.issue("pr-2.localhost")
    broken.cert.write_text("not a certificate\n")
    with pytest.raises(ProxyError, match="Caddy refused the new configuration"):
        proxy.add_route("pr-2", upstreams[1], ["pr-2.localhost"], log=quiet)
    assert set(proxy.routes()) == {"pr-1"}, "routes.json still says what is served"
    with proxy.client() as client:
        assert client.get(proxy.url("pr-1.localhost")).text.startswith("preview-one")
    proxy.stop(log=quiet)
    proxy.ensure_running(log=quiet)  # and a restart starts from the config that works
    with proxy.client() as client:
        assert client.get(proxy.url("pr-1.localhost")).text.startswith("preview-one")


def test_previews_built_at_once_keep_each_others_routes(proxy, upstreams):
    """Two runs adding routes at the same moment: the lock makes neither lose the other's."""
    threads = [
        threading.Thread(target=proxy.add_route, args=(f"pr-{n}", upstreams[n % 2], [f"pr-{n}.localhost"], quiet))
        for n in range(1, 5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(proxy.routes()) == {"pr-1", "pr-2", "pr-3", "pr-4"}
    with proxy.client() as client:
        for n in range(1, 5):
            assert client.get(proxy.url(f"pr-{n}.localhost")).text.startswith(("preview-one", "preview-two")[n % 2])


def test_a_host_routed_twice_is_refused(proxy, upstreams):
    proxy.add_route("pr-1", upstreams[0], ["pr-1.localhost"], log=quiet)
    with pytest.raises(ProxyError, match="already routed to 'pr-1'"):
        proxy.add_route("pr-2", upstreams[1], ["pr-1.localhost"], log=quiet)
    assert set(proxy.routes()) == {"pr-1"}
    # Re-adding the same preview (a rebuild on another port) replaces its route.
    proxy.add_route("pr-1", upstreams[1], ["pr-1.localhost"], log=quiet)
    with proxy.client() as client:
        assert client.get(proxy.url("pr-1.localhost")).text.startswith("preview-two")


def test_a_missing_caddy_is_named(tmp_path):
    with pytest.raises(
        ProxyError, match="Caddy \\('no-such-caddy'\\) is not installed; install it: apt-get install caddy"
    ):
        PreviewProxy(tmp_path, caddy="no-such-caddy").add_route("pr-1", 8069, ["pr-1.localhost"], log=quiet)
    assert PreviewProxy(tmp_path).routes() == {}, "nothing is recorded for a proxy that never started"


def test_this_machine_may_not_resolve_localhost_subdomains():
    """Why the client connects to 127.0.0.1 itself: documented, and true or not, harmless."""
    import socket

    try:
        resolved = {info[4][0] for info in socket.getaddrinfo("pr-1.localhost", 443)}
    except socket.gaierror:
        resolved = set()
    assert resolved <= {"127.0.0.1", "::1"}
