"""The sandbox's reverse proxy for previews: one Caddy (Debian's /usr/bin/caddy) that the platform
configures, starts and reloads.

It listens on one loopback HTTPS port and routes by Host header: `pr-<n>.localhost` (and
`pr-<n>.<preview domain>`) to the local port of that preview's Odoo. Every host name gets its
own certificate from the sandbox CA (OpenSSL refuses a wildcard directly below `localhost`, and
one certificate per name needs no wildcard at all), so a client that trusts `ca_cert` verifies
the preview like any public site. A host without a route gets a 404 from the proxy itself.

Everything lives in `<state_dir>/proxy/`: `routes.json` (the routes, the source of truth, so a
restart keeps them), `caddy.json` (generated from it), `state.json` (pid, start time, port),
`caddy.pid`, `caddy.log`, and Caddy's own data and config directories, so nothing is written to the user's
home. The admin endpoint is a Unix socket in that directory (mode 700): no other local user can
reconfigure the proxy. A change is written to `routes.json` under a lock and applied with
`caddy reload`, which swaps the whole config gracefully: the other routes keep serving.

`*.localhost` does not resolve on every machine (glibc resolves it only with nss-myhostname,
which Debian does not enable by default), so `client()` connects to 127.0.0.1 itself while
keeping the URL, the Host header and the TLS server name of the preview.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from odoosh import process
from odoosh.process import ProcessError
from odoosh.tls import SandboxCA

LISTEN_HOST = "127.0.0.1"
START_TIMEOUT_S = 30
RELOAD_TIMEOUT_S = 30
NOT_FOUND_BODY = "No preview answers at this address.\n"
Log = Callable[[str], None]


class ProxyError(RuntimeError):
    """The proxy cannot be started or reconfigured, with what Caddy said."""


@dataclass(frozen=True)
class Route:
    name: str
    hosts: tuple[str, ...]
    upstream_port: int


def sandbox_ca(state_dir: Path) -> SandboxCA:
    """The sandbox CA: `<state_dir>/tls/ca.crt` is what users and scripts trust."""
    return SandboxCA(Path(state_dir) / "tls")


class PreviewProxy:
    """Caddy in `<state_dir>/proxy`, serving the previews' routes over HTTPS."""

    def __init__(self, state_dir: Path, caddy: str = "caddy", ca: SandboxCA | None = None) -> None:
        self.directory = Path(state_dir) / "proxy"
        self.caddy = caddy
        self.ca = ca or sandbox_ca(state_dir)

    # ---- files

    @property
    def ca_cert(self) -> Path:
        return self.ca.ensure()

    @property
    def log_file(self) -> Path:
        return self.directory / "caddy.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / "caddy.pid"

    @property
    def config_file(self) -> Path:
        return self.directory / "caddy.json"

    @property
    def _routes_file(self) -> Path:
        return self.directory / "routes.json"

    @property
    def _state_file(self) -> Path:
        return self.directory / "state.json"

    @property
    def _admin_socket(self) -> Path:
        return self.directory / "admin.sock"

    # ---- routes

    def routes(self) -> dict[str, Route]:
        try:
            raw = json.loads(self._routes_file.read_text())
        except FileNotFoundError:
            return {}
        return {name: Route(name, tuple(r["hosts"]), r["upstream_port"]) for name, r in raw.items()}

    def add_route(self, name: str, upstream_port: int, hosts: Sequence[str], log: Log = print) -> Route:
        """Route `hosts` to 127.0.0.1:`upstream_port` (replacing `name`'s earlier route), then
        apply it; the proxy is started if it is not running."""
        route = Route(name, tuple(hosts), int(upstream_port))
        if not route.hosts:
            raise ProxyError(f"The route {name!r} names no host.")
        with self._locked():
            routes = self.routes()
            taken = {h: r.name for r in routes.values() if r.name != name for h in r.hosts}
            if clash := [h for h in route.hosts if h in taken]:
                raise ProxyError(
                    f"{', '.join(clash)} is already routed to {taken[clash[0]]!r}; remove that route first."
                )
            for host in route.hosts:
                self.ca.issue(host)
            self._change(routes, {**routes, name: route}, log)
        log(f"proxy: {', '.join(route.hosts)} -> 127.0.0.1:{route.upstream_port} on port {self.port}")
        return route

    def remove_route(self, name: str, log: Log = print) -> bool:
        """Remove `name`'s route; whether there was one. The other routes keep serving."""
        with self._locked():
            routes = self.routes()
            if name not in routes:
                return False
            remaining = {key: route for key, route in routes.items() if key != name}
            if self.is_running():
                self._change(routes, remaining, log)
            else:
                self._save_routes(remaining)
        log(f"proxy: route {name!r} removed")
        return True

    def url(self, host: str) -> str:
        return f"https://{host}:{self.port}/"

    # ---- the server

    @property
    def port(self) -> int:
        """The HTTPS port: the running proxy's, else the one it had while still free, else a free one."""
        state = self._state()
        if self.is_running():
            return state["port"]
        port = process.reusable_port(LISTEN_HOST, state.get("port")) or process.free_port(LISTEN_HOST)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._save_state(port=port)
        return port

    def is_running(self) -> bool:
        state = self._state()
        pid = state.get("pid")
        return pid is not None and process.start_time(pid) == state.get("process_start")

    def ensure_running(self, log: Log = print) -> PreviewProxy:
        """Start the proxy with the saved routes, or bring a running one up to date with them."""
        with self._locked():
            self._apply(self.routes(), log)
        return self

    def stop(self, log: Log = print) -> None:
        if self.is_running():
            pid = self._state()["pid"]
            log(f"stopping the preview proxy (Caddy, pid {pid})")
            try:
                process.stop(pid)
            except ProcessError as exc:
                raise ProxyError(f"The preview proxy: {exc}") from None
        self.pid_file.unlink(missing_ok=True)
        self._save_state(pid=None, process_start=None)

    def client(self, **kwargs) -> httpx.Client:
        """An httpx client that verifies the previews' certificates against the sandbox CA and
        reaches every host through the proxy on 127.0.0.1."""
        return httpx.Client(transport=LoopbackTransport(self.ca_cert), **kwargs)

    # ---- internals

    def _change(self, old: dict[str, Route], new: dict[str, Route], log: Log) -> None:
        """Save and apply `new`; if Caddy refuses it, `old` is saved back, so routes.json always
        says what is served."""
        self._save_routes(new)
        try:
            self._apply(new, log)
        except ProxyError:
            self._save_routes(old)
            self._write_config(old, self.port)
            raise

    def _apply(self, routes: dict[str, Route], log: Log) -> None:
        running = self.is_running()
        port = self.port
        self._write_config(routes, port)
        if running:
            self._reload()
        else:
            self._start(port, log)

    def _write_config(self, routes: dict[str, Route], port: int) -> None:
        handlers = [
            {
                "match": [{"host": list(route.hosts)}],
                "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{route.upstream_port}"}]}],
                "terminal": True,
            }
            for route in routes.values()
        ]
        handlers.append({"handle": [{"handler": "static_response", "status_code": 404, "body": NOT_FOUND_BODY}]})
        certificates = [
            {"certificate": str(issued.cert), "key": str(issued.key)}
            for issued in (self.ca.issue(host) for route in routes.values() for host in route.hosts)
        ]
        config = {
            "admin": {"listen": f"unix/{self._admin_socket}", "config": {"persist": False}},
            "storage": {"module": "file_system", "root": str(self.directory / "data")},
            "apps": {
                "tls": {"certificates": {"load_files": certificates}},
                "http": {
                    "servers": {
                        "previews": {
                            "listen": [f"{LISTEN_HOST}:{port}"],
                            "protocols": ["h1", "h2"],  # no HTTP/3: it would take a UDP port too
                            "routes": handlers,
                            "tls_connection_policies": [{}],
                            # The certificates are the sandbox CA's: no ACME, no HTTP->HTTPS redirect port.
                            "automatic_https": {"disable": True},
                        }
                    }
                },
            },
        }
        _write_atomically(self.config_file, json.dumps(config, indent=2) + "\n")

    def _start(self, port: int, log: Log) -> None:
        if process.port_in_use(LISTEN_HOST, port):
            raise ProxyError(f"Port {port} on {LISTEN_HOST} is taken by another process; stop it and retry.")
        self._admin_socket.unlink(missing_ok=True)  # left by a killed Caddy: it would refuse to bind
        args = [self._caddy_binary(), "run", "--config", str(self.config_file), "--pidfile", str(self.pid_file)]
        offset = process.log_size(self.log_file)
        log(f"starting the preview proxy: {' '.join(args)} (HTTPS on {LISTEN_HOST}:{port})")
        try:
            pid = process.start(args, self.log_file, env=self._env())
        except OSError as exc:
            raise ProxyError(f"Cannot run Caddy ({args[0]}): {exc.strerror}.") from None
        self._save_state(pid=pid, process_start=process.start_time(pid), port=port)
        try:
            process.wait_until_ready(
                pid,
                lambda: process.port_in_use(LISTEN_HOST, port) and self._admin_socket.exists(),
                timeout=START_TIMEOUT_S,
                what="The preview proxy (Caddy)",
                ready_as=f"listen on {LISTEN_HOST}:{port}",
                log_file=self.log_file,
                log_offset=offset,
            )
        except ProcessError as exc:
            self._save_state(pid=None, process_start=None)
            raise ProxyError(str(exc)) from None

    def _reload(self) -> None:
        args = [
            self._caddy_binary(),
            "reload",
            "--config",
            str(self.config_file),
            "--address",
            f"unix/{self._admin_socket}",
            "--force",
        ]
        result = subprocess.run(
            args, env=self._env(), capture_output=True, text=True, timeout=RELOAD_TIMEOUT_S, check=False
        )
        if result.returncode != 0:
            raise ProxyError(
                f"Caddy refused the new configuration {self.config_file} (exit {result.returncode}); the "
                f"previous one keeps serving:\n{(result.stderr or result.stdout).strip()[-2000:]}"
            )

    def _caddy_binary(self) -> str:
        found = shutil.which(self.caddy)
        if not found:
            raise ProxyError(f"Caddy ({self.caddy!r}) is not installed; install it: apt-get install caddy.")
        return found

    def _env(self) -> dict[str, str]:
        """Caddy's own files (autosave, storage) under the proxy's directory, not in $HOME."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.directory),
            "XDG_DATA_HOME": str(self.directory / "data"),
            "XDG_CONFIG_HOME": str(self.directory / "config"),
        }

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: two previews built at once must not lose each other's route."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self.directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _save_routes(self, routes: dict[str, Route]) -> None:
        data = {name: {k: v for k, v in asdict(r).items() if k != "name"} for name, r in sorted(routes.items())}
        _write_atomically(self._routes_file, json.dumps(data, indent=2) + "\n")

    def _state(self) -> dict:
        try:
            return json.loads(self._state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save_state(self, **values) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_atomically(self._state_file, json.dumps(self._state() | values, indent=2) + "\n")


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request to 127.0.0.1 (same port), keeping its URL's host as the Host header
    and the TLS server name, so the certificate is verified for the real host name. One
    connection pool per host: a connection verified for one name never carries another's requests."""

    def __init__(self, ca_cert: Path, address: str = "127.0.0.1") -> None:
        self._context = ssl.create_default_context(cafile=str(ca_cert))
        self._address = address
        self._pools: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        pool = self._pools.setdefault(host, httpx.HTTPTransport(verify=self._context))
        # A copy: the client resolves redirects against the original request's URL.
        direct = httpx.Request(
            request.method,
            request.url.copy_with(host=self._address),
            headers=request.headers,  # its Host header was set from the original URL
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return pool.handle_request(direct)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
