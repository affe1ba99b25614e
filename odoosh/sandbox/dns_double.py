"""A loopback double of DigitalOcean's domain records API, for the sandbox and the tests.

The platform reaches it through `pydo`, exactly as it reaches api.digitalocean.com: only the
endpoint differs, and the CA the client trusts. It serves HTTPS with a certificate of the
sandbox CA (`odoosh.tls.SandboxCA`), since the client, like DigitalOcean, sends its bearer
token over TLS only. Every request is validated against DigitalOcean's own OpenAPI description
(the subset in `api_specs/digitalocean-dns-subset.json`) and every answer too, so a client bug
or a double bug fails loudly. What the service rejects, it rejects: no or a wrong bearer token
(401), an unknown domain or record (404), a body the description or the record type does not
allow (422, DigitalOcean's `unprocessable_entity`).

Failures can be injected (`fail_next`) to prove that a client leaves nothing half made.
The tests run it in a thread; the sandbox demo as a server of its own,
`python -m odoosh.sandbox.dns_double --ca-dir <dir> --zone <zone> --port-file <file>`, with
the token it accepts in ODOOSH_DO_TOKEN (never on the command line).
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import signal
import ssl
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.validation.request.exceptions import SecurityValidationError
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from odoosh.tls import SandboxCA

SPEC_FILE = Path(__file__).parent / "api_specs" / "digitalocean-dns-subset.json"
RECORD_FIELDS = ("id", "type", "name", "data", "priority", "port", "ttl", "weight", "flags", "tag")
DEFAULT_TTL = 1800
PER_PAGE = 20


@dataclass
class Failure:
    """An injected failure of the next matching request: `status` is answered; with
    `after_effect`, the request takes effect first (a record created, then a 500)."""

    method: str
    status: int
    after_effect: bool = False


@dataclass
class DnsDouble:
    """`with DnsDouble(ca, "token", ["example.test"]) as do:` serves on `do.url` until the block
    ends; clients trust `ca.cert`."""

    ca: SandboxCA
    token: str
    zones: list[str] = field(default_factory=lambda: ["example.test"])
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        self._records: dict[str, list[dict]] = {zone: [] for zone in self.zones}
        self._ids = itertools.count(10_000_001)
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request received
        self.spec_failures: list[str] = []  # answers that did not match the description (a double bug)
        self._server = None
        self._thread: threading.Thread | None = None
        self._urls = Map(
            [
                Rule("/v2/domains/<zone>/records", endpoint="records", methods=["GET", "POST"]),
                Rule("/v2/domains/<zone>/records/<int:record_id>", endpoint="record", methods=["GET", "DELETE"]),
            ]
        )

    # ---- lifecycle

    def start(self) -> DnsDouble:
        issued = self.ca.issue(self.host)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(issued.cert, issued.key)
        self._server = make_server(
            self.host, self.port, self._wsgi, threaded=True, ssl_context=context, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        spec = json.loads(SPEC_FILE.read_text())
        spec["servers"] = [{"url": self.url}]  # the description's server is api.digitalocean.com
        self._openapi = OpenAPI.from_dict(spec)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="dns-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> DnsDouble:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # ---- for tests

    def records(self, zone: str) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._records[zone]]

    def fail_next(self, method: str, status: int, *, after_effect: bool = False) -> None:
        self._failures.append(Failure(method.upper(), status, after_effect))

    # ---- the API

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self.requests.append((request.method, request.path))
        response, described = self._answer(request)
        if described and response.status_code < 500:  # an injected 5xx is whatever the service says then
            result = self._openapi.unmarshal_response(
                WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
            )
            if result.errors:
                failure = f"{request.method} {request.path} -> {response.status_code}: {result.errors}"
                self.spec_failures.append(failure)
                response = _error(500, "server_error", f"The DNS double broke its own API description: {failure}")
        return response(environ, start_response)

    def _answer(self, request: Request) -> tuple[Response, bool]:
        """The answer, and whether the description has an operation to check it against."""
        result = self._openapi.unmarshal_request(WerkzeugOpenAPIRequest(request))
        if any(isinstance(e, OperationNotFound) for e in result.errors):
            return _error(405, "method_not_allowed", f"{request.method} is not allowed here."), False
        if any(isinstance(e, PathError) for e in result.errors):
            return _error(404, "not_found", "The resource you were accessing could not be found."), False
        return self._operation(request, result), True

    def _operation(self, request: Request, result) -> Response:
        if any(isinstance(e, SecurityValidationError) for e in result.errors) or not self._authorized(request):
            return _error(401, "unauthorized", "Unable to authenticate you.")
        if result.errors:
            return _error(422, "unprocessable_entity", "; ".join(_reason(e) for e in result.errors))
        endpoint, args = self._urls.bind_to_environ(request.environ).match()
        zone = args["zone"]
        with self._lock:
            if zone not in self._records:
                return _error(404, "not_found", "The resource you were accessing could not be found.")
            failure = next((f for f in self._failures if f.method == request.method), None)
            if failure and not failure.after_effect:
                self._failures.remove(failure)
                return _error(failure.status, "server_error", "Injected failure of the DNS double.")
            if endpoint == "records" and request.method == "GET":
                response = self._list(zone, request)
            elif endpoint == "records":
                response = self._create(zone, result.body)
            elif request.method == "GET":
                response = self._get(zone, args["record_id"])
            else:
                response = self._delete(zone, args["record_id"])
            if failure:
                self._failures.remove(failure)
                return _error(failure.status, "server_error", "Injected failure of the DNS double.")
            return response

    def _authorized(self, request: Request) -> bool:
        auth = request.authorization
        return auth is not None and auth.type == "bearer" and auth.token == self.token

    def _list(self, zone: str, request: Request) -> Response:
        records = self._records[zone]
        if name := request.args.get("name"):  # a fully qualified name, as DigitalOcean documents
            records = [r for r in records if _fqdn(r["name"], zone) == name.rstrip(".")]
        if kind := request.args.get("type"):
            records = [r for r in records if r["type"] == kind]
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", PER_PAGE))
        shown = records[(page - 1) * per_page : page * per_page]
        return _json(200, {"domain_records": shown, "links": {}, "meta": {"total": len(records)}})

    def _create(self, zone: str, body) -> Response:
        record = {key: body.get(key) for key in RECORD_FIELDS if key != "id"}
        if problem := _invalid(record):
            return _error(422, "unprocessable_entity", problem)
        record = {"id": next(self._ids), **record, "ttl": record["ttl"] or DEFAULT_TTL}
        self._records[zone].append(record)
        return _json(201, {"domain_record": record})

    def _get(self, zone: str, record_id: int) -> Response:
        for record in self._records[zone]:
            if record["id"] == record_id:
                return _json(200, {"domain_record": record})
        return _error(404, "not_found", "The resource you were accessing could not be found.")

    def _delete(self, zone: str, record_id: int) -> Response:
        for record in self._records[zone]:
            if record["id"] == record_id:
                self._records[zone].remove(record)
                return Response(status=204)
        return _error(404, "not_found", "The resource you were accessing could not be found.")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args) -> None:  # `requests` records them; stderr stays clean
        pass


def _invalid(record: dict) -> str | None:
    """What DigitalOcean answers 422 for, for the record types the platform creates."""
    if record["type"] == "A":
        try:
            ipaddress.IPv4Address(record["data"])
        except ValueError:
            return "Data needs to be a valid IPv4 address."
    name = record["name"] or ""
    labels = [] if name == "@" else name.split(".")
    if any(not label or len(label) > 63 or not all(c.isalnum() or c in "-_*" for c in label) for label in labels):
        return "Name is invalid."
    return None


def _fqdn(name: str, zone: str) -> str:
    return zone if name == "@" else f"{name}.{zone}"


def _reason(error: Exception) -> str:
    causes = getattr(error.__cause__, "schema_errors", None) or [error.__cause__ or error]
    return "; ".join(_where(c) + " ".join(str(getattr(c, "message", c)).split()) for c in causes)[:500]


def _where(cause) -> str:
    path = getattr(cause, "json_path", "$")
    return "" if path == "$" else f"{path.removeprefix('$.')}: "


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, error_id: str, message: str) -> Response:
    return _json(status, {"id": error_id, "message": message})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odoosh.sandbox.dns_double", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ca-dir", required=True, type=Path, help="the sandbox CA's directory (odoosh.tls.SandboxCA)")
    parser.add_argument("--zone", action="append", required=True, help="a domain the account holds (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--port-file", type=Path, help="where to write the port once listening")
    args = parser.parse_args(argv)
    token = os.environ.get("ODOOSH_DO_TOKEN")
    if not token:
        print("dns_double: set ODOOSH_DO_TOKEN to the token the double accepts.", file=sys.stderr)
        return 2
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # before any thread: sigwait gets them
    double = DnsDouble(SandboxCA(args.ca_dir), token, args.zone, port=args.port).start()
    if args.port_file:
        tmp = args.port_file.with_name(f".{args.port_file.name}.tmp")
        tmp.write_text(f"{double.port}\n")
        os.replace(tmp, args.port_file)
    print(f"DigitalOcean DNS double serving {', '.join(args.zone)} at {double.url}", flush=True)
    signal.sigwait(stop_signals)
    double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
