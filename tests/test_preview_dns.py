"""Preview DNS records through pydo against the loopback DigitalOcean double, which validates
every request and answer against DigitalOcean's own OpenAPI description."""

from __future__ import annotations

import dataclasses
import os
import ssl
import sys

import httpx
import pydo
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from odoosh import process
from odoosh.odoo.runtime import OdooRuntime
from odoosh.previews.dns import DnsError, DnsSettings, PreviewDns
from odoosh.previews.environment import Previews, TeardownError
from odoosh.previews.proxy import PreviewProxy
from odoosh.previews.runtime import SandboxRuntime
from odoosh.sandbox.dns_double import DnsDouble, _json
from odoosh.tls import SandboxCA

pytestmark = pytest.mark.servers

TOKEN = "dop_v1_test-token-not-a-secret"
ZONE = "example.test"
TARGET = "203.0.113.7"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return SandboxCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def double(ca):
    with DnsDouble(ca, TOKEN, [ZONE]) as do:
        yield do
    assert do.spec_failures == [], "every answer matched DigitalOcean's description"


@pytest.fixture
def settings(double, ca):
    return DnsSettings(zone=ZONE, target=TARGET, token=TOKEN, api_url=double.url, ca_file=ca.cert)


def raw_client(double, ca, token=TOKEN):
    return pydo.Client(token=token, endpoint=double.url, retry_total=0, connection_verify=str(ca.cert))


def test_double_rejects_a_bad_or_missing_token(double, ca):
    with pytest.raises(ClientAuthenticationError):
        raw_client(double, ca, token="wrong").domains.list_records(ZONE)
    # No Authorization header at all: the description's bearer scheme is missing.
    answer = httpx.get(f"{double.url}/v2/domains/{ZONE}/records", verify=ssl.create_default_context(cafile=ca.cert))
    assert answer.status_code == 401 and answer.json()["id"] == "unauthorized"
    assert double.records(ZONE) == []


def test_double_answers_like_digitalocean_for_unknown_paths_and_methods(double, ca):
    verify = ssl.create_default_context(cafile=ca.cert)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.put(f"{double.url}/v2/domains/{ZONE}/records", headers=auth, json={}, verify=verify)
    assert (answer.status_code, answer.json()["id"]) == (405, "method_not_allowed")
    answer = httpx.get(f"{double.url}/v2/droplets", headers=auth, verify=verify)
    assert (answer.status_code, answer.json()["id"]) == (404, "not_found")
    answer = httpx.get(f"{double.url}/v2/domains/{ZONE}/records/12345", headers=auth, verify=verify)
    assert (answer.status_code, answer.json()["id"]) == (404, "not_found")


def test_the_double_checks_its_own_answers(double, ca, monkeypatch):
    """An answer off DigitalOcean's description is a double bug: a 500 naming it, and recorded."""
    monkeypatch.setattr(double, "_list", lambda zone, request: _json(200, {"domain_records": [{"id": "seven"}]}))
    with pytest.raises(HttpResponseError) as caught:
        raw_client(double, ca).domains.list_records(ZONE)
    assert caught.value.status_code == 500 and "broke its own API description" in str(caught.value)
    assert len(double.spec_failures) == 1 and "GET /v2/domains/example.test/records -> 200" in double.spec_failures[0]
    double.spec_failures.clear()


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"name": "pr-1", "data": TARGET}, "type"),  # no type: the description requires it
        ({"type": "A", "data": TARGET}, "name"),  # an A record needs a name
        ({"type": "A", "name": "pr-1", "data": TARGET, "ttl": "long"}, "ttl"),
        ({"type": "A", "name": "pr-1", "data": "not-an-address"}, "IPv4"),
        ({"type": "A", "name": "pr 1; rm -rf /", "data": TARGET}, "Name"),
    ],
)
def test_double_rejects_malformed_bodies(double, ca, body, reason):
    with pytest.raises(HttpResponseError) as caught:
        raw_client(double, ca).domains.create_record(ZONE, body)
    assert caught.value.status_code == 422
    assert reason in str(caught.value)
    assert double.records(ZONE) == []


def test_record_created_reused_and_deleted(double, settings):
    dns = PreviewDns(settings)
    record = dns.ensure_record(7)
    assert (record.name, record.type, record.data, record.fqdn) == ("pr-7", "A", TARGET, f"pr-7.{ZONE}")
    assert [(r["name"], r["data"]) for r in double.records(ZONE)] == [("pr-7", TARGET)]
    # A rebuild reuses the identical record: no second POST.
    posts = [r for r in double.requests if r[0] == "POST"]
    assert dns.ensure_record(7) == record
    assert [r for r in double.requests if r[0] == "POST"] == posts
    assert len(double.records(ZONE)) == 1
    assert dns.delete_record(7) == 1
    assert double.records(ZONE) == []
    assert dns.delete_record(7) == 0


def test_record_below_the_zone_for_a_preview_subdomain(double, settings):
    dns = PreviewDns(dataclasses.replace(settings, domain=f"previews.{ZONE}"))
    assert dns.ensure_record(3).fqdn == f"pr-3.previews.{ZONE}"
    assert [r["name"] for r in double.records(ZONE)] == ["pr-3.previews"]


def test_wildcard_mode_creates_none(double, settings):
    dns = PreviewDns(dataclasses.replace(settings, wildcard=True))
    assert dns.ensure_record(5) is None
    assert dns.delete_record(5) == 0
    assert double.records(ZONE) == []
    assert double.requests == []


def test_a_record_pointing_elsewhere_is_not_overwritten(double, settings, ca):
    raw_client(double, ca).domains.create_record(ZONE, {"type": "A", "name": "pr-9", "data": "198.51.100.1"})
    with pytest.raises(DnsError, match="already has an A record pointing at 198.51.100.1"):
        PreviewDns(settings).ensure_record(9)
    assert [r["data"] for r in double.records(ZONE)] == ["198.51.100.1"]


@pytest.mark.parametrize("after_effect", [False, True], ids=["refused", "created-then-500"])
def test_a_dns_failure_leaves_nothing(double, settings, after_effect):
    double.fail_next("POST", 500, after_effect=after_effect)
    with pytest.raises(DnsError, match="answered 500") as caught:
        PreviewDns(settings).ensure_record(4)
    assert TOKEN not in str(caught.value)
    assert double.records(ZONE) == []


def test_errors_name_the_problem_never_the_token(double, settings):
    with pytest.raises(DnsError, match="refused the token") as caught:
        PreviewDns(dataclasses.replace(settings, token="dop_v1_wrong-secret")).ensure_record(1)
    assert "dop_v1_wrong-secret" not in str(caught.value)
    with pytest.raises(DnsError, match="ODOOSH_DNS_ZONE") as caught:
        PreviewDns(dataclasses.replace(settings, zone="missing.test")).ensure_record(1)
    assert TOKEN not in str(caught.value)
    gone = dataclasses.replace(settings, api_url="https://127.0.0.1:9")
    with pytest.raises(DnsError, match="unreachable") as caught:
        PreviewDns(gone).ensure_record(1)
    assert TOKEN not in str(caught.value)
    with pytest.raises(DnsError, match="not an IPv4 address"):
        dataclasses.replace(settings, target="pr-1.example.test; drop")
    assert double.records(ZONE) == []


def test_settings_from_the_environment(monkeypatch):
    for name in ("ODOOSH_DO_TOKEN", "ODOOSH_DNS_ZONE", "ODOOSH_DNS_TARGET", "ODOOSH_DNS_WILDCARD", "ODOOSH_DO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    assert DnsSettings.from_env() is None
    monkeypatch.setenv("ODOOSH_DO_TOKEN", TOKEN)
    monkeypatch.setenv("ODOOSH_DNS_ZONE", "Example.Test.")
    monkeypatch.setenv("ODOOSH_DNS_TARGET", TARGET)
    settings = DnsSettings.from_env()
    assert (settings.zone, settings.api_url, settings.wildcard) == (ZONE, "https://api.digitalocean.com", False)
    assert TOKEN not in repr(settings)
    monkeypatch.setenv("ODOOSH_DNS_WILDCARD", "true")
    assert DnsSettings.from_env().wildcard


def test_the_double_runs_as_a_server_of_its_own(tmp_path, ca):
    """How the sandbox demo runs it: a process started and stopped by odoosh.process."""
    port_file, log_file = tmp_path / "port", tmp_path / "dns.log"
    pid = process.start(
        [
            sys.executable,
            "-m",
            "odoosh.sandbox.dns_double",
            "--ca-dir",
            str(ca.directory),
            "--zone",
            ZONE,
            "--port-file",
            str(port_file),
        ],
        log_file,
        env={**os.environ, "ODOOSH_DO_TOKEN": TOKEN},
    )
    try:
        process.wait_until_ready(
            pid, port_file.exists, timeout=30, what="the DNS double", ready_as="listen", log_file=log_file, log_offset=0
        )
        url = f"https://127.0.0.1:{int(port_file.read_text())}"
        dns = PreviewDns(DnsSettings(zone=ZONE, target=TARGET, token=TOKEN, api_url=url, ca_file=ca.cert))
        assert dns.ensure_record(11).fqdn == f"pr-11.{ZONE}"
        assert [r.name for r in dns.find_records(11)] == ["pr-11"]
        assert dns.delete_record(11) == 1
    finally:
        process.stop(pid)
    assert TOKEN not in log_file.read_text()


def test_teardown_deletes_the_record_and_survives_a_dns_failure(tmp_path, double, settings, pg):
    """Teardown runs every step even when DNS fails, says what failed, and a second run finishes."""
    dns = PreviewDns(settings)
    previews = Previews(tmp_path, SandboxRuntime(OdooRuntime(tmp_path), PreviewProxy(tmp_path)), pg.databases, dns=dns)
    dns.ensure_record(12)
    pg.databases.create("odoosh_pr_12")
    double.fail_next("DELETE", 503)
    with pytest.raises(TeardownError, match="delete the DNS record: .*answered 503"):
        previews.teardown(12, log=lambda _: None)
    assert not pg.databases.exists("odoosh_pr_12"), "the other steps ran"
    assert [r["name"] for r in double.records(ZONE)] == ["pr-12"]
    previews.teardown(12, log=lambda _: None)
    assert double.records(ZONE) == []
