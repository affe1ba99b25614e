"""The production monitoring stack (compose/monitoring.yml over docker-compose.yml): the merged
project against the compose specification and .env.example; Prometheus's and Alertmanager's
configurations through Debian's promtool and amtool; the dashboard's PromQL run by a real
Prometheus against the real exporter's series, its SQL on a real PostgreSQL as a read-only
role, its LogQL against Odoo's log lines and the labels Alloy sets.

There is no Docker engine here, and no Loki, Alloy or Grafana binary nor validator (none is on
PyPI or in Debian): their files are checked for the structure their documentation gives, and
for agreeing with each other and with the compose file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from psycopg import sql
from psycopg.conninfo import make_conninfo

from odoosh import process
from odoosh.observability.exporter import RequestExporter
from odoosh.observability.logs import parse_lines
from odoosh.observability.requests import Request
from odoosh.postgres import connect
from odoosh.sandbox.monitoring import FAST, PROMTOOL, Monitoring
from tests.compose_files import (
    COMPOSE_DIR,
    MONITORING_DIR,
    MONITORING_FILE,
    MONITORING_FILLED_IN,
    MONITORING_SERVICES,
    REPO,
    SECRET_NAME,
    MissingVariable,
    check_compose_schema,
    compose_raw,
    compose_with_monitoring,
    env_example,
    interpolate,
    load_yaml,
    merge_compose,
    monitoring_env,
    monitoring_raw,
    mounts,
    references,
)

AMTOOL = "/usr/bin/amtool"
RULES = REPO / "odoosh" / "observability" / "error_rate.rules.yml"
PROMETHEUS_YML = MONITORING_DIR / "prometheus.yml"
ALERTMANAGER_YML = MONITORING_DIR / "alertmanager.yml"
LOKI_YML = MONITORING_DIR / "loki.yml"
ALLOY_CONFIG = MONITORING_DIR / "alloy" / "config.alloy"
GRAFANA_DIR = MONITORING_DIR / "grafana"
DATASOURCES_YML = GRAFANA_DIR / "provisioning" / "datasources" / "odoosh.yml"
DASHBOARDS_YML = GRAFANA_DIR / "provisioning" / "dashboards" / "odoosh.yml"
DASHBOARD_JSON = GRAFANA_DIR / "dashboards" / "odoosh.json"
EXPORTER_PORT = 9464

# Request lines as Odoo writes them (tests/test_observability_logs.py has the formats' provenance).
WERKZEUG_LINES = [
    "2024-11-04 02:24:38,332 41 INFO prod werkzeug: 172.18.0.4 - - [04/Nov/2024 02:24:38] "
    '"POST /web/dataset/call_kw/res.partner/web_read HTTP/1.1" 200 - 3 0.001 0.004\n',
    "2024-11-04 02:24:44,258 1 INFO prod werkzeug: 10.0.3.250 - - [04/Nov/2024 02:24:44] "
    '"GET /web/webclient/translations/d8625cdf54c4?lang=fr_FR HTTP/1.0" 304 - 7 0.003 0.006 ro->rw\n',
    "2017-11-16 12:21:46,252 3344 INFO prod werkzeug: 127.0.0.1 - - [16/Nov/2017 12:21:46] "
    '"POST /web/dataset/call_kw/res.company/name_get HTTP/1.1" 200 -\n',
]
ERROR_LINE = "2024-11-04 02:25:01,017 41 ERROR prod odoo.http: Exception during request handling.\n"


def services() -> dict:
    return compose_with_monitoring()["services"]


def mount_source(service: str, target: str) -> Path:
    """The file or directory of the repository a service mounts at `target`."""
    source, read_only = mounts(services()[service])[target]
    assert read_only, f"{service}: {target} should be mounted read-only"
    assert source.startswith("."), f"{service}: {target} is not a bind mount of the repository: {source}"
    return (COMPOSE_DIR / source).resolve()


def flag(service: str, name: str) -> str:
    """The value of a `--name=value` (or `-name=value`) argument of a service's command."""
    values = [arg.split("=", 1)[1] for arg in services()[service]["command"] if arg.lstrip("-").startswith(name + "=")]
    assert len(values) == 1, f"{service}: {name} given {len(values)} times"
    return values[0]


def dashboard() -> dict:
    return json.loads(DASHBOARD_JSON.read_text())


def targets(datasource_type: str) -> list[tuple[str, dict]]:
    """(panel title, target) of the dashboard's queries to datasources of one type."""
    return [
        (panel["title"], target)
        for panel in dashboard()["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == datasource_type
    ]


def grafana_expanded(expr: str, rate_interval: str) -> str:
    """A query as Grafana sends it with every environment selected."""
    return expr.replace("$__rate_interval", rate_interval).replace("$environment", ".*")


# --------------------------------------------------------------------------- the compose project


def test_monitoring_project_is_valid_against_the_compose_spec(tmp_path):
    rendered = tmp_path / "merged.rendered.json"
    rendered.write_text(json.dumps(compose_with_monitoring()))
    for document in (MONITORING_FILE, rendered):
        result = check_compose_schema(document)
        assert result.returncode == 0, f"{document.name}:\n{result.stdout}{result.stderr}"
    broken = compose_with_monitoring()
    broken["services"]["grafana"]["port"] = broken["services"]["grafana"].pop("ports")
    rendered.write_text(json.dumps(broken))
    assert check_compose_schema(rendered).returncode == 1  # the check above can fail


def test_monitoring_only_adds_to_the_base_project():
    merged = compose_with_monitoring()
    assert set(merged["services"]) == set(compose_raw()["services"]) | set(MONITORING_SERVICES)
    with pytest.raises(ValueError, match="postgres"):
        merge_compose(compose_raw(), {"services": {"postgres": {"image": "postgres:16"}}})


def test_monitoring_references_resolve():
    compose = compose_with_monitoring()
    for name in MONITORING_SERVICES:
        service = compose["services"][name]
        assert service["networks"] == ["odoosh"], f"{name}: only the stack's network"
        for dependency in service.get("depends_on", []):
            assert dependency in compose["services"], f"{name}: depends on unknown service {dependency}"
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], f"{name}: undeclared secret {secret}"
        for target, (source, _) in mounts(service).items():
            if source.startswith("."):
                assert (COMPOSE_DIR / source).exists(), f"{name}: {source} (for {target}) is not in the repository"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    # The logs Alloy ships and the exporter reads: the base file's odoosh-state volume, read-only.
    assert mounts(compose["services"]["alloy"])["/var/lib/odoosh"] == ("odoosh-state", True)
    assert mounts(compose["services"]["odoosh-metrics"])["/var/lib/odoosh/environments"] == ("odoosh-state", True)
    (subpath,) = [v["volume"]["subpath"] for v in compose["services"]["odoosh-metrics"]["volumes"] if "volume" in v]
    assert subpath == "environments"
    assert compose["volumes"]["odoosh-state"]["name"] == "odoosh-state"


def test_monitoring_images_are_pinned():
    compose = compose_with_monitoring()
    for name in MONITORING_SERVICES:
        image = compose["services"][name]["image"]
        if name == "odoosh-metrics":
            # the platform's own image, the one Dagster runs
            assert image == compose["services"]["user-code"]["image"]
        else:
            assert re.fullmatch(r"[a-z0-9/-]+:v?\d+\.\d+\.\d+", image), f"{name}: {image} is not an exact version"


def test_monitoring_variables_are_documented_and_secrets_required():
    documented = env_example()
    refs = references(MONITORING_FILE.read_text())
    missing = {name for name, _, _ in refs} - set(documented)
    assert not missing, f"not documented in compose/.env.example: {sorted(missing)}"
    for name, op, arg in refs:
        value, commented = documented[name]
        if SECRET_NAME.search(name):
            assert op == ":?", f"secret {name} must be required, without default"
        if op == ":?":
            assert not commented and value == "", f"{name}: required, so listed empty in .env.example"
        if op == ":-":
            assert commented and value == arg, f"{name}: .env.example should show '# {name}={arg}'"
    assert set(MONITORING_FILLED_IN) == {name for name, op, _ in refs if op == ":?"}
    for name in MONITORING_FILLED_IN:
        env = monitoring_env()
        del env[name]
        with pytest.raises(MissingVariable, match=name):
            interpolate(monitoring_raw(), env)


def test_monitoring_publishes_on_loopback_only_and_grafana_needs_a_login():
    compose = compose_with_monitoring()
    published = {name: compose["services"][name].get("ports", []) for name in MONITORING_SERVICES}
    assert {name for name, ports in published.items() if ports} == {"prometheus", "alertmanager", "grafana"}
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
    grafana = monitoring_raw()["services"]["grafana"]["environment"]
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert grafana["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def metrics_command() -> list[str]:
    return services()["odoosh-metrics"]["command"]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_metrics_service_runs_the_exporter_on_the_stack_network():
    metrics = services()["odoosh-metrics"]
    command = metrics_command()
    assert command[:4] == ["python", "-m", "odoosh.observability", "serve"]
    assert option(command, "--port") == str(EXPORTER_PORT)
    assert option(command, "--host") == "0.0.0.0"  # in its container: reachable by Prometheus
    # its state directory: its own volume (the offsets it writes), the environments' logs read-only in it
    state_dir = option(command, "--state-dir")
    assert mounts(metrics)[state_dir] == ("metrics-state", False)
    assert mounts(metrics)[f"{state_dir}/environments"] == ("odoosh-state", True)
    assert "ports" not in metrics and metrics["expose"] == [str(EXPORTER_PORT)]
    scraped = [
        t for job in load_yaml(PROMETHEUS_YML)["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    ]
    assert f"odoosh-metrics:{EXPORTER_PORT}" in scraped


@pytest.mark.servers
def test_metrics_service_command_serves_the_environments_logs(tmp_path):
    """monitoring.yml's command itself (its paths and address made local) on an environment's Odoo log."""
    log = tmp_path / "state" / "environments" / "staging" / "odoo.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(WERKZEUG_LINES))
    port = process.free_port()
    local = {"--state-dir": str(tmp_path / "state"), "--host": "127.0.0.1", "--port": str(port)}
    command = metrics_command()
    args = [sys.executable] + [local.get(command[i - 1], arg) for i, arg in enumerate(command) if i]
    url = f"http://127.0.0.1:{port}/metrics"

    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    log_file = tmp_path / "metrics.log"
    pid = process.start(args, log_file)
    try:
        process.wait_until_ready(
            pid, answers, timeout=60, what="odoosh-metrics", ready_as="serve /metrics", log_file=log_file, log_offset=0
        )
        exposition = httpx.get(url, timeout=5).text
    finally:
        process.stop(pid)
    assert 'environment="staging"' in exposition and 'code="2xx"' in exposition, exposition


def test_no_secret_in_the_monitoring_files():
    files = [MONITORING_FILE, *(path for path in MONITORING_DIR.rglob("*") if path.is_file())]
    for path in files:
        text = path.read_text()
        assert not re.search(r"://[^/\s:@]+:[^@\s]+@", text), f"{path.name}: credentials in a URL"
        assert "/hooks/" not in text, f"{path.name}: a Mattermost webhook URL"
    for name, service in monitoring_raw()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", value), f"{name}.environment.{key}: {value!r}"


# --------------------------------------------------------------------------- Prometheus and Alertmanager


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_prometheus_config_is_valid_and_loads_the_repository_rule_file(tmp_path):
    config = load_yaml(PROMETHEUS_YML)
    (rule_file,) = config["rule_files"]
    # The path Prometheus reads is where compose mounts the repository's own rule file.
    assert mount_source("prometheus", rule_file) == RULES
    assert mount_source("prometheus", flag("prometheus", "config.file")) == PROMETHEUS_YML
    assert flag("prometheus", "storage.tsdb.retention.time") == "90d"
    assert mounts(services()["prometheus"])[flag("prometheus", "storage.tsdb.path")] == ("prometheus-data", False)
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]

    # promtool reads the rule file too: point the copy at the repository's file, as the mount does.
    local = tmp_path / "prometheus.yml"
    local.write_text(yaml.safe_dump({**config, "rule_files": [str(RULES)]}))
    result = promtool("check", "config", str(local))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0 and "1 rules found" in result.stdout, result.stdout + result.stderr

    local.write_text(yaml.safe_dump({**config, "scrape_config": config["scrape_configs"]}))
    assert promtool("check", "config", str(local)).returncode != 0  # promtool rejects what Prometheus would


def test_alertmanager_config_is_valid_and_reads_the_webhook_from_the_secret(tmp_path):
    alertmanager = services()["alertmanager"]
    assert mount_source("alertmanager", flag("alertmanager", "config.file")) == ALERTMANAGER_YML
    result = subprocess.run(
        [AMTOOL, "check-config", str(ALERTMANAGER_YML)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

    config = load_yaml(ALERTMANAGER_YML)
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    (slack,) = receiver["slack_configs"]
    assert "api_url" not in slack and "://" not in ALERTMANAGER_YML.read_text()
    (secret,) = alertmanager["secrets"]
    assert slack["api_url_file"] == f"/run/secrets/{secret}"  # where compose mounts a service's secret
    assert compose_with_monitoring()["secrets"][secret] == {"file": MONITORING_FILLED_IN["ODOOSH_ALERT_WEBHOOK_FILE"]}
    assert set(config["route"]["group_by"]) == {"alertname", "environment"}  # the rule's label

    broken = tmp_path / "alertmanager.yml"
    broken.write_text(yaml.safe_dump({**config, "receivers": [{**receiver, "slack_config": [slack]}]}))
    result = subprocess.run([AMTOOL, "check-config", str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0  # amtool rejects unknown fields


# --------------------------------------------------------------------------- Loki and Alloy


def test_loki_config_keeps_30_days_on_its_volume():
    """No Loki binary here: the keys its documentation gives for a single-process, filesystem Loki."""
    config = load_yaml(LOKI_YML)
    assert mount_source("loki", flag("loki", "config.file")) == LOKI_YML
    data = next(target for target, (source, _) in mounts(services()["loki"]).items() if source == "loki-data")
    assert config["common"]["path_prefix"] == data
    for path in config["common"]["storage"]["filesystem"].values():
        assert path.startswith(data + "/")
    assert config["compactor"]["working_directory"].startswith(data + "/")
    assert config["limits_config"]["retention_period"] == "720h"  # 30 days
    assert config["compactor"]["retention_enabled"] is True  # without it, retention_period deletes nothing
    assert config["compactor"]["delete_request_store"] == "filesystem"  # required with retention (Loki 3)
    (schema,) = config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"], schema["index"]["period"]) == ("tsdb", "v13", "24h")
    assert config["server"]["http_listen_port"] == 3100


ALLOY_TOKENS = re.compile(r'//[^\n]*|"(?:[^"\\\n]|\\.)*"|`[^`]*`|[{}\[\]()]')


def alloy_strings(text: str, attribute: str) -> list[str]:
    """The values of `attribute = "..."` or `attribute = `...`` in an Alloy file, decoded."""
    values = []
    for m in re.finditer(rf'^\s*{attribute}\s*=\s*("(?:[^"\\\n]|\\.)*"|`[^`]*`)', text, re.MULTILINE):
        literal = m[1]
        values.append(json.loads(literal) if literal.startswith('"') else literal[1:-1])
    return values


def test_alloy_config_ships_each_environment_log_to_loki():
    """No Alloy parser outside Alloy: brackets balance outside strings and comments, every component
    the file references is declared, and its paths, regexes and labels do what they should on real
    paths and Odoo lines (RE2's syntax used here is Python's too)."""
    text = ALLOY_CONFIG.read_text()
    assert mount_source("alloy", services()["alloy"]["command"][-1]) == ALLOY_CONFIG
    pairs, stack = {"}": "{", "]": "[", ")": "("}, []
    for token in ALLOY_TOKENS.findall(text):
        if token in "{[(":
            stack.append(token)
        elif token in pairs:
            assert stack and stack.pop() == pairs[token], f"unbalanced {token}"
    assert not stack

    declared = set(re.findall(r'^([a-z_]+(?:\.[a-z_]+)+) "([a-z_]+)" \{', text, re.MULTILINE))
    assert {kind for kind, _ in declared} == {
        "local.file_match", "discovery.relabel", "loki.source.file", "loki.process", "loki.write"
    }  # fmt: skip
    used = re.findall(
        r"\b((?:local|discovery|loki)\.[a-z_]+(?:\.[a-z_]+)?)\.([a-z_]+)\.(targets|output|receiver)\b", text
    )
    assert used, "no component references"
    for kind, label, _ in used:
        assert (kind, label) in declared, f"{kind}.{label} is referenced, not declared"

    # The glob covers each environment's log on the mounted state volume; the relabel names it.
    (path,) = re.findall(r'"__path__" = "([^"]+)"', text)
    state = next(target for target, (source, _) in mounts(services()["alloy"]).items() if source == "odoosh-state")
    assert Path(path).match(f"{state}/environments/*/odoo.log")
    assert Path(f"{state}/environments/pr-12/odoo.log").match(path)
    (relabel,) = alloy_strings(text, "regex")
    assert re.fullmatch(relabel, f"{state}/environments/pr-12/odoo.log")[1] == "pr-12"
    assert alloy_strings(text, "target_label") == ["environment"]

    (firstline,) = alloy_strings(text, "firstline")
    (expression,) = alloy_strings(text, "expression")
    for line in [*WERKZEUG_LINES, ERROR_LINE]:
        assert re.match(firstline, line)
    assert not re.match(firstline, 'Traceback (most recent call last):\n  File "odoo/http.py"')
    assert re.match(expression, ERROR_LINE)["level"] == "ERROR"
    assert re.match(expression, WERKZEUG_LINES[0])["level"] == "INFO"
    (time_format,) = alloy_strings(text, "format")
    assert time_format == "2006-01-02 15:04:05,000"  # Go's layout of Odoo's asctime
    assert re.match(expression, ERROR_LINE)["time"] == "2024-11-04 02:25:01,017"
    (url,) = alloy_strings(text, "url")
    assert httpx.URL(url).host == "loki" and httpx.URL(url).port == load_yaml(LOKI_YML)["server"]["http_listen_port"]


def alloy_labels() -> set[str]:
    """The stream labels of the Odoo logs in Loki: the file target's, the relabel's and the process'."""
    text = ALLOY_CONFIG.read_text()
    static = {key for key in re.findall(r'"([a-z_]+)" = "', text) if not key.startswith("__")}
    stage_labels = re.search(r"stage\.labels \{\s*values = \{([^}]*)\}", text)[1]
    return static | set(alloy_strings(text, "target_label")) | set(re.findall(r"([a-z_]+) = ", stage_labels))


def test_logql_panels_select_the_labels_alloy_sets():
    labels = alloy_labels()
    assert labels == {"job", "environment", "level"}
    queries = targets("loki")
    assert {title for title, _ in queries} == {"Active users (distinct client addresses, 5 min)", "Odoo errors"}
    for title, target in queries:
        selectors = re.findall(r"\{([^}]*)\}", target["expr"])
        assert selectors, title
        for selector in selectors:
            for label, _, value in re.findall(r'([a-z_]+)\s*(=~|!=|!~|=)\s*"([^"]*)"', selector):
                assert label in labels, f"{title}: Alloy sets no label {label}"
                if label == "job":
                    assert value == "odoo"


def test_active_users_are_the_distinct_client_addresses_of_request_lines():
    ((_, target),) = [(t, q) for t, q in targets("loki") if t.startswith("Active users")]
    (pattern,) = re.findall(r"regexp `([^`]+)`", target["expr"])
    (line_filter,) = re.findall(r'\|= "([^"]+)"', target["expr"])
    clients = [re.search(pattern, line)["client"] for line in WERKZEUG_LINES if line_filter in line]
    assert clients == ["172.18.0.4", "10.0.3.250", "127.0.0.1"]
    assert len(list(parse_lines(WERKZEUG_LINES, "prod"))) == len(clients)  # the platform's own request lines
    assert re.search(pattern, ERROR_LINE) is None
    assert "count by (environment)" in target["expr"] and "sum by (environment, client)" in target["expr"]


# --------------------------------------------------------------------------- Grafana


def test_grafana_provisioning_has_the_documented_shape():
    grafana = services()["grafana"]
    provisioning = mount_source("grafana", "/etc/grafana/provisioning")  # Grafana's default paths.provisioning
    assert provisioning == GRAFANA_DIR / "provisioning"
    assert (
        DATASOURCES_YML.parent == provisioning / "datasources" and DASHBOARDS_YML.parent == provisioning / "dashboards"
    )

    datasources = load_yaml(DATASOURCES_YML)
    assert datasources["apiVersion"] == 1
    by_uid = {d["uid"]: d for d in datasources["datasources"]}
    assert {d["type"] for d in by_uid.values()} == {"prometheus", "loki", "grafana-postgresql-datasource"}
    assert [d["uid"] for d in by_uid.values() if d.get("isDefault")] == ["prometheus"]
    for uid, source in by_uid.items():
        assert set(source) >= {"name", "type", "access", "url"} and source["access"] == "proxy", uid
    assert httpx.URL(by_uid["prometheus"]["url"]).host == "prometheus"
    assert by_uid["prometheus"]["jsonData"]["timeInterval"] == load_yaml(PROMETHEUS_YML)["global"]["scrape_interval"]
    assert httpx.URL(by_uid["loki"]["url"]).port == load_yaml(LOKI_YML)["server"]["http_listen_port"]
    # Grafana expands ${VAR} from its environment: each one compose passes; the password only in secureJsonData.
    used = {name for name, _, _ in references(json.dumps(datasources))}
    assert used and used <= set(grafana["environment"])
    postgres = by_uid["pg-statements"]
    assert postgres["secureJsonData"] == {"password": "${GRAFANA_PG_PASSWORD}"}
    assert "password" not in postgres and "password" not in postgres["jsonData"]

    providers = load_yaml(DASHBOARDS_YML)
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file" and {"name", "options"} <= set(provider)
    assert mount_source("grafana", provider["options"]["path"]) == DASHBOARD_JSON.parent


def test_dashboard_has_the_required_panels_on_provisioned_datasources():
    board = dashboard()
    uids = {d["uid"]: d["type"] for d in load_yaml(DATASOURCES_YML)["datasources"]}
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        for source in [panel["datasource"], *(t["datasource"] for t in panel["targets"])]:
            assert uids[source["uid"]] == source["type"], panel["title"]
    latency = next(p for p in panels if p["title"].startswith("Latency per endpoint"))
    quantiles = [re.match(r"histogram_quantile\(([0-9.]+),", t["expr"])[1] for t in latency["targets"]]
    assert quantiles == ["0.5", "0.95", "0.99"]
    assert all("by (endpoint, le)" in t["expr"] for t in latency["targets"])
    titles = {p["title"] for p in panels}
    assert {"Error rate per environment (5xx share)", "Slow queries (pg_stat_statements, over 1 s)"} <= titles
    # The error-rate panel shows what the alert evaluates, with its 1 % as the threshold line.
    error_rate = next(p for p in panels if p["title"].startswith("Error rate"))
    rule = load_yaml(RULES)["groups"][0]["rules"][0]
    every_environment = error_rate["targets"][0]["expr"].replace(',environment=~"$environment"', "")
    every_environment = every_environment.replace('{environment=~"$environment"}', "")
    numerator, denominator = " ".join(rule["expr"].rsplit(">", 1)[0].split()).split(" / ")
    # the rule's ratio, with 0 rather than no series where there is no 5xx at all
    assert every_environment == f"({numerator} or {denominator} * 0) / {denominator}"
    assert error_rate["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] == 0.01


@pytest.mark.servers
def test_dashboard_promql_reads_the_exporter_series(tmp_path, monkeypatch):
    """A real Prometheus scrapes a real exporter; every PromQL of the dashboard returns series. A
    metric or label the exporter does not define returns none (checked, so the check can fail)."""
    monkeypatch.delenv("ODOOSH_ALERT_WEBHOOK_URL", raising=False)
    now = datetime.now(UTC)
    requests = [
        Request(now, "production", "GET", "/web", 200, 3, 0.01, 0.02),
        Request(now, "production", "POST", "/web/dataset/call_kw", 500, 9, 0.2, 0.5),
        Request(now, "staging", "GET", "/web", 200, 3, 0.01, 0.03),
    ]
    with RequestExporter() as exporter:
        exporter.observe(requests)
        exporter.serve(process.free_port())
        with Monitoring(tmp_path / "monitoring", [exporter.target], timing=FAST) as monitoring:

            def query(expr: str) -> list[dict]:
                response = httpx.get(f"{monitoring.prometheus_url}/api/v1/query", params={"query": expr}, timeout=10)
                assert response.status_code == 200, f"{expr}: {response.text}"
                return response.json()["data"]["result"]

            def wait_for(expr: str, results: int) -> None:
                deadline = time.monotonic() + 60
                while len(query(expr)) < results:
                    assert time.monotonic() < deadline, f"{expr} had no {results} series within 60 s"
                    time.sleep(0.2)

            # rate() needs counters that grew between two scrapes, however long the machine takes.
            wait_for("odoosh_http_requests_total", 3)
            exporter.observe(requests)
            wait_for("sum by (environment) (rate(odoosh_http_requests_total[1m])) > 0", 2)
            for title, target in targets("prometheus"):
                result = query(grafana_expanded(target["expr"], "1m"))
                assert result, f"{title}: no series for {target['expr']}"
                if "by (environment)" in target["expr"]:
                    assert {r["metric"]["environment"] for r in result} == {"production", "staging"}, title
                if "by (endpoint, le)" in target["expr"]:
                    assert {r["metric"]["endpoint"] for r in result} == {"/web", "/web/dataset/call_kw"}, title
            error_rate = next(t for title, t in targets("prometheus") if title.startswith("Error rate"))
            rates = {
                r["metric"]["environment"]: float(r["value"][1])
                for r in query(grafana_expanded(error_rate["expr"], "1m"))
            }
            assert rates == {"production": pytest.approx(0.5), "staging": 0.0}  # 1 of 2 requests, none
            (variable,) = dashboard()["templating"]["list"]
            metric = re.fullmatch(r"label_values\((\w+), environment\)", variable["query"]["query"])[1]
            assert query(f"count by (environment) ({metric})")
            assert not query(
                grafana_expanded(targets("prometheus")[0][1]["expr"].replace("_seconds_bucket", "_bucket"), "1m")
            )


def test_slow_queries_panel_reads_pg_stat_statements_as_a_stats_only_role(pg, fresh_db):
    (panel,) = [p for p in dashboard()["panels"] if p["title"].startswith("Slow queries")]
    statement = panel["targets"][0]["rawSql"]
    role = "t_grafana_stats"
    with pg.connect("postgres", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE pg_read_all_stats").format(sql.Identifier(role)))
    try:
        with pg.connect(fresh_db) as conn:
            conn.execute("SELECT pg_sleep(1.1)")
            conn.execute("SELECT 42")
        # As Grafana's role, in a read-only transaction: the datasource needs nothing more.
        with connect(make_conninfo(pg.dsn("postgres"), user=role)) as conn:
            conn.read_only = True
            cursor = conn.execute(statement)
            columns = [c.name for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        assert columns == ["database", "query", "calls", "max_seconds", "mean_seconds", "total_seconds"]
        mine = [r for r in rows if r["database"] == fresh_db]
        assert [r["query"] for r in mine] == ["SELECT pg_sleep($1)"]  # the text, visible to pg_read_all_stats
        assert 1.1 <= mine[0]["max_seconds"] < 2
    finally:
        with pg.connect("postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
