"""`./dev build`, `./dev urls` and `./dev down` (python -m odoosh_assets.cli) on a real sandbox:
exit codes a script can rely on, the causes of a failure on the last lines, the URLs of what
was built. One sandbox for the module, built three times: a build takes about 30 s."""

import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from odoosh.previews.github import GitHubClient, GitHubSettings
from odoosh.previews.proxy import LoopbackTransport
from odoosh.sandbox.previews import DemoDoubles
from tests.sandbox_helpers import CONFIG_VARS, processes_under

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.servers


def cli(command: str, state: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and k != "ODOOSH_UI_PORT"}
    return subprocess.run(
        [sys.executable, "-m", "odoosh_assets.cli", command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**clean, "ODOOSH_STATE_DIR": str(state), **env},
    )


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def builds():
    """The state dir and three builds of it, in this order: with an Odoo command that does not
    exist, with a smoke check that fails, with neither. `down` removes it all afterwards."""
    state = Path(tempfile.mkdtemp(prefix="odoosh-cli-"))
    state.chmod(0o711)
    try:
        results = {"bad_command": cli("build", state, ODOOSH_ODOO_COMMAND="/nonexistent/odoo-bin")}
        results["failing_check"] = cli("build", state, ODOOSH_REQUIRED_MODULES="base,not_a_module")
        results["passing"] = cli("build", state)  # reuses what the first builds made
        yield state, results
    finally:
        down = cli("down", state)
    assert down.returncode == 0, down.stderr
    assert not state.exists()
    assert not processes_under(state)


def test_a_failed_step_ends_the_build_with_its_cause(builds):
    _, results = builds
    failing = results["bad_command"]
    assert failing.returncode == 1, failing.stdout[-2000:] + failing.stderr[-2000:]
    cause = "Cannot run the Odoo command '/nonexistent/odoo-bin' of environment 'production'"
    assert f"step production_environment FAILED: {cause}" in failing.stdout
    assert last_line(failing).startswith(f"sandbox build FAILED: {cause}")
    assert "Check ODOOSH_ODOO_COMMAND" in last_line(failing)  # the fix
    assert "Traceback" not in failing.stdout
    assert (
        "step staging_database FAILED: Cannot run the Odoo command '/nonexistent/odoo-bin' of environment "
        "'staging'" in failing.stdout
    )  # every failed step is listed with its cause


def test_build_fails_on_a_failing_check_then_succeeds_and_down_cleans_up(builds):
    state, results = builds
    failing = results["failing_check"]
    assert failing.returncode == 1, failing.stdout[-2000:] + failing.stderr[-2000:]
    assert "production_environment:smoke_modules FAILED" in failing.stdout
    assert "not_a_module" in failing.stdout
    assert last_line(failing).startswith("sandbox build FAILED: ")
    assert "not_a_module" in last_line(failing)  # the check's description, repeated last
    assert (state / "dagster" / "dagster.yaml").exists()  # the UI's instance sees the runs

    passing = results["passing"]
    assert passing.returncode == 0, passing.stdout[-2000:] + passing.stderr[-2000:]
    assert "already runs with this config" in passing.stdout + passing.stderr
    assert last_line(passing) == "sandbox build succeeded"
    assert "FAILED" not in passing.stdout
    # `down` (in the fixture) must then stop everything and remove the state dir


def test_urls_of_a_built_sandbox_answer(builds):
    state, results = builds
    assert results["passing"].returncode == 0
    listed = cli("urls", state)
    assert listed.returncode == 0, listed.stderr
    rows = dict(line.split(": ", 1) for line in listed.stdout.splitlines())
    assert list(rows) == [
        "Dagster UI",
        "production Odoo",
        "staging Odoo",
        "mail catcher",
        "preview pr-1",
        "metrics exporter",
        "Prometheus",
        "Alertmanager",
        "sandbox CA",
    ]
    assert "(not running" in rows["Dagster UI"]  # no UI in this test: `./dev demo` starts one
    pages = {}
    for name in ("production Odoo", "staging Odoo", "mail catcher", "metrics exporter", "Prometheus", "Alertmanager"):
        url = rows[name].strip()
        assert url.startswith("http://127.0.0.1:") and " " not in url, rows[name]
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as response:
            assert response.status == 200, url
            pages[name] = response.read().decode()
    assert rows["production Odoo"].endswith("/web/login") and rows["staging Odoo"].endswith("/web/login")
    assert rows["production Odoo"] != rows["staging Odoo"]
    assert 'action="/web/login"' in pages["production Odoo"] and 'action="/web/login"' in pages["staging Odoo"]
    assert "<html" in pages["mail catcher"].lower()
    # the exporter serves the requests logged since the previous build's exporter stopped (it resumes
    # from its offsets), per endpoint template
    served = [
        s.labels
        for family in text_string_to_metric_families(pages["metrics exporter"])
        for s in family.samples
        if s.name == "odoosh_http_requests_total" and s.value > 0
    ]
    assert served and {labels["environment"] for labels in served} <= {"production", "staging", "pr-1"}, served
    assert not any(any(part.isdigit() for part in labels["endpoint"].split("/")) for labels in served), served
    # The demo's PR has its preview: the URL on the PR answers over HTTPS signed by the sandbox CA.
    preview, ca = rows["preview pr-1"].strip(), rows["sandbox CA"].split()[0]
    assert ca == str(state / "tls" / "ca.crt")
    with httpx.Client(transport=LoopbackTransport(Path(ca))) as client:
        assert '<span class="o_module_name">odoosh_demo_preview</span>' in client.get(preview + "web/login").text
    demo = DemoDoubles(state).environment()
    github = GitHubSettings(
        demo["ODOOSH_GITHUB_REPOSITORY"], demo["ODOOSH_GITHUB_API_URL"], demo["ODOOSH_GITHUB_TOKEN"]
    )
    with GitHubClient(github) as client:
        assert [preview in c["body"] for c in client.comments(1)] == [True]
