"""Previews end to end: the GitHub sensor, the real preview jobs and assets, against the loopback
GitHub and DigitalOcean doubles, with real PostgreSQL, the stand-in on the PR's code and Caddy.

One sandbox for the module: the staging chain runs once (scale 0.05), so previews are template
copies of a real scrubbed staging. The sensor is ticked as the daemon would, with an injected
clock (the TTL of merged PRs); requested runs are executed in the test instance.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import yaml

from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres import connect
from odoosh.previews.comment import MARKER
from odoosh.previews.proxy import PreviewProxy, sandbox_ca
from odoosh.sandbox import teardown
from odoosh.sandbox.dns_double import DnsDouble
from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from odoosh.sandbox.staging import sandbox_staging
from odoosh.staging.scrub import passwords
from odoosh_assets import previews
from odoosh_assets.definitions import make_definitions
from odoosh_assets.staging import staging_database
from resources.previews import DnsResource
from sensors.previews import BUILD_JOB, TEARDOWN_JOB, github_pull_requests_sensor
from tests.github_helpers import REPOSITORY, TOKEN
from tests.sandbox_helpers import CONFIG_VARS, processes_under

pytestmark = pytest.mark.servers  # a sandbox, the doubles, Caddy
DO_TOKEN = "dop_v1_test_0123"
ZONE = "previews.test"
EVIL = "x$(touch /tmp/pwned)`id`;DROP TABLE res_users;--<script>alert(1)</script>**@admin**[a](javascript:x)"
HOUR = 3600.0
ENVIRONMENTS = {
    "staging": {
        "parameters": {"odoosh.test.environment": "staging"},
        "records": [{"xmlid": "base.public_user", "active": False}],
        "users": [{"login": "admin", "password_env": "TEST_PREVIEW_ADMIN_PASSWORD"}],
    },
    "previews": {
        "parameters": {"odoosh.test.environment": "preview"},
        "records": [{"xmlid": "base.public_user", "active": True}],
        "users": [{"login": "admin", "password_env": "TEST_PREVIEW_QA_PASSWORD"}],  # a secret
    },
}


@dataclass
class Platform:
    state: Path
    github: GitHubDouble
    dns: DnsDouble
    origin: AddonsRepository
    instance: dg.DagsterInstance
    definitions: dg.Definitions
    clock: list[float]
    cursor: str | None = None
    results: dict = field(default_factory=dict)

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance_ref=self.instance.get_ref(), cursor=self.cursor, definitions=self.definitions
        )
        before = self.github.request_count()
        result = self.definitions.sensors[0].evaluate_tick(context)
        self.results["requests"] = self.github.request_count() - before
        if result.cursor is not None:
            self.cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions("previews", list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition("previews", key)
        return result

    def run(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        job = self.definitions.resolve_job_def(request.job_name)
        tags = {k: v for k, v in request.tags.items() if not k.startswith("dagster/")}
        return job.execute_in_process(
            instance=self.instance, partition_key=request.partition_key, tags=tags, raise_on_error=False
        )

    def tick_and_run(self, job_name: str) -> dg.ExecuteInProcessResult:
        result = self.tick()
        requests = [r for r in result.run_requests if r.job_name == job_name]
        assert len(requests) == 1, (result.skip_message, result.run_requests)
        return self.run(requests[0])

    def proxy(self) -> PreviewProxy:
        return PreviewProxy(self.state)

    def page(self, url: str) -> str:
        with self.proxy().client() as client:
            response = client.get(url + "web/login", timeout=10)
        assert response.status_code == 200
        return response.text

    def comment(self, number: int) -> dict:
        comments = [c for c in self.github.comments(number) if MARKER in c["body"]]
        assert len(comments) == 1, comments
        return comments[0]

    def last_states(self, number: int) -> list[str]:
        return [d["statuses"][-1]["state"] for d in self.github.deployments(f"pr-{number}")]

    def partitions(self) -> list[str]:
        return self.instance.get_dynamic_partitions("previews")

    def materialize(self, *keys: str, partition: str | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [*self.definitions.assets, *self.definitions.asset_checks],
            selection=dg.AssetSelection.assets(*keys),
            resources=self.definitions.resources,
            instance=self.instance,
            partition_key=partition,
            raise_on_error=False,
        )

    def staging_server(self):
        return sandbox_staging(self.state).server(start=True)


@pytest.fixture(scope="module")
def platform():
    state = Path(tempfile.mkdtemp(prefix="odoosh-previews-"))
    state.chmod(0o711)
    clock = [time.time()]
    origin = AddonsRepository(state / "origin")
    ca = sandbox_ca(state)
    ca.ensure()
    (state / "environments.yaml").write_text(yaml.safe_dump(ENVIRONMENTS))
    github = GitHubDouble(TOKEN, repository=REPOSITORY, clone_url=origin.clone_url, clock=lambda: clock[0])
    with github, DnsDouble(ca, DO_TOKEN, [ZONE]) as dns, pytest.MonkeyPatch.context() as mp:
        for name in CONFIG_VARS:
            mp.delenv(name, raising=False)
        env = {
            "ODOOSH_STATE_DIR": str(state),
            "ODOOSH_SANDBOX_SCALE": "0.05",
            "ODOOSH_GITHUB_REPOSITORY": REPOSITORY,
            "ODOOSH_GITHUB_API_URL": github.url,
            "ODOOSH_GITHUB_TOKEN": TOKEN,
            "ODOOSH_GITHUB_CLONE_URL": origin.clone_url,
            "ODOOSH_DO_API_URL": dns.url,
            "ODOOSH_DO_TOKEN": DO_TOKEN,
            "ODOOSH_DNS_ZONE": ZONE,
            "ODOOSH_DNS_TARGET": "192.0.2.10",
            "ODOOSH_PREVIEW_TTL_HOURS": "1",
            "ODOOSH_PREVIEW_MAX": "5",
            "ODOOSH_ENVIRONMENTS_FILE": str(state / "environments.yaml"),
            "TEST_PREVIEW_ADMIN_PASSWORD": "admin-of-staging-1",
            "TEST_PREVIEW_QA_PASSWORD": "admin-of-previews-2",
        }
        for name, value in env.items():
            mp.setenv(name, value)
        defs = make_definitions()
        # The test's DNS double is trusted through the sandbox CA, as the demo's is.
        resources = {
            **defs.resources,
            "dns": DnsResource(zone=ZONE, target="192.0.2.10", token=DO_TOKEN, api_url=dns.url, ca_file=str(ca.cert)),
        }
        sensor = github_pull_requests_sensor(previews.preview_build, previews.preview_teardown, clock=lambda: clock[0])
        definitions = dg.Definitions(
            assets=defs.assets,
            asset_checks=defs.asset_checks,
            jobs=previews.preview_jobs,
            sensors=[sensor],
            resources=resources,
        )
        try:
            with dg.instance_for_test() as instance:
                box = Platform(state, github, dns, origin, instance, definitions, clock)
                staged = dg.materialize(
                    [*defs.assets, *defs.asset_checks],
                    selection=dg.AssetSelection.groups("production", "staging"),
                    resources=resources,
                    instance=instance,
                    raise_on_error=False,
                )
                box.results["staging"] = staged
                yield box
        finally:
            print(teardown.down(state))
        assert github.spec_failures == [] and dns.spec_failures == []
    assert processes_under(state) == []


def parameter(dsn: str, key: str) -> str | None:
    with connect(dsn) as conn:
        row = conn.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,)).fetchone()
    return row and row[0]


def public_user_active(dsn: str) -> bool:
    with connect(dsn) as conn:
        return conn.execute(
            "SELECT u.active FROM res_users u JOIN ir_model_data d ON d.res_id = u.id"
            " WHERE d.module = 'base' AND d.name = 'public_user'"
        ).fetchone()[0]


def admin_password_is(dsn: str, password: str) -> bool:
    with connect(dsn) as conn:
        stored = conn.execute("SELECT password FROM res_users WHERE login = 'admin'").fetchone()[0]
    return passwords.verify(password, stored)


def checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_the_environments_file_holds_in_staging_and_is_reapplied_on_a_refresh(platform):
    staged = platform.results["staging"]
    assert staged.success
    assert checks(staged)["environment_settings_hold"]
    dsn = sandbox_staging(platform.state).dsn()
    assert parameter(dsn, "odoosh.test.environment") == "staging"
    assert not public_user_active(dsn)
    with connect(dsn) as conn:  # someone changes staging by hand; the next refresh restores the file's lines
        conn.execute("UPDATE ir_config_parameter SET value = 'changed' WHERE key = 'odoosh.test.environment'")
    refreshed = dg.materialize(
        [*platform.definitions.assets, *platform.definitions.asset_checks],
        selection=dg.AssetSelection.assets(staging_database),
        resources=platform.definitions.resources,
        instance=platform.instance,
        raise_on_error=False,
    )
    assert refreshed.success
    assert checks(refreshed)["environment_settings_hold"]
    assert parameter(dsn, "odoosh.test.environment") == "staging"


def test_a_pull_request_gets_a_preview_rebuilt_on_push_and_torn_down_on_close(platform):
    github, origin = platform.github, platform.origin
    first = origin.commit({"shop_base": "16.0.1.0.0", "shop_feature": "16.0.1.0.0"})
    number = github.open_pull(first, head_ref="feature/shop", title="Shop feature")
    built = platform.tick_and_run(BUILD_JOB)
    assert built.success, [e.message for e in built.all_events if e.is_failure]
    assert f"pr-{number}" in platform.partitions()
    assert checks(built) == dict.fromkeys(
        ["environment_settings_hold", "smoke_http", "smoke_users", "smoke_modules", "smoke_logs", "visual_parity"], True
    )

    # The comment holds a URL that answers over verified HTTPS, with the PR's code.
    url = f"https://pr-{number}.localhost:{platform.proxy().port}/"
    comment = platform.comment(number)
    assert url in comment["body"] and first[:7] in comment["body"]
    assert "<code>shop_feature</code> <code>16.0.1.0.0</code>" not in comment["body"]  # addons are on the page
    page = platform.page(url)
    assert '<span class="o_module_name">shop_feature</span>' in page
    assert '<span class="o_module_version">16.0.1.0.0</span>' in page
    [deployment] = github.deployments(f"pr-{number}")
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]
    assert deployment["statuses"][-1]["environment_url"] == url
    assert [r["name"] for r in platform.dns.records(ZONE)] == [f"pr-{number}"]
    # Cloned from the refreshed staging, with the previews' own lines of the environments file.
    database = platform.staging_server().dsn(f"odoosh_pr_{number}")
    assert parameter(database, "odoosh.test.environment") == "preview"
    assert public_user_active(database)
    assert parameter(database, "web.base.url") == url.rstrip("/")
    assert admin_password_is(database, "admin-of-previews-2")

    # An idle tick is one conditional request, answered 304.
    idle = platform.tick()
    assert (idle.run_requests, platform.results["requests"]) == ([], 1)

    # A push rebuilds: the new commit's addons are served, the same comment is updated, and the
    # environments file holds again in the new copy, whatever was changed in the old one.
    with connect(database) as conn:
        conn.execute("UPDATE ir_config_parameter SET value = 'changed' WHERE key = 'odoosh.test.environment'")
    second = origin.commit({"shop_base": "16.0.1.0.0", "shop_feature": "16.0.2.0.0"})
    github.push(number, second)
    rebuilt = platform.tick_and_run(BUILD_JOB)
    assert rebuilt.success
    page = platform.page(url)
    assert (
        '<span class="o_module_version">16.0.2.0.0</span>' in page
        and "16.0.1.0.0</span>" not in page.split("shop_feature")[1][:80]
    )
    assert parameter(database, "odoosh.test.environment") == "preview"
    again = platform.comment(number)
    assert again["created_at"] == comment["created_at"], "updated in place, not posted again"
    assert second[:7] in again["body"] and first[:7] not in again["body"]
    earlier, newest = github.deployments(f"pr-{number}")
    assert (newest["sha"], newest["statuses"][-1]["state"]) == (second, "success")
    # GitHub's auto_inactive skips transient environments: the platform marks the earlier one.
    assert [s["state"] for s in earlier["statuses"]] == ["in_progress", "success", "inactive"]
    assert earlier["statuses"][-1]["description"] == f"superseded by {second[:12]}"

    # Closed: everything goes, then the partition.
    github.close(number)
    removed = platform.tick_and_run(TEARDOWN_JOB)
    assert removed.success
    assert f"pr-{number}" in platform.partitions(), "the partition goes only after the teardown succeeded"
    platform.tick()
    assert f"pr-{number}" not in platform.partitions()
    odoo = OdooRuntime(platform.state).environment(f"pr-{number}")
    assert not odoo.is_running()
    assert not platform.staging_server().exists(f"odoosh_pr_{number}")
    assert platform.dns.records(ZONE) == []
    assert f"pr-{number}" not in platform.proxy().routes()
    assert set(platform.last_states(number)) == {"inactive"}
    assert "removed" in platform.comment(number)["body"] and url not in platform.comment(number)["body"]
    assert not (platform.state / "previews" / f"pr-{number}").exists()


def test_a_merged_pull_request_is_torn_down_after_the_ttl(platform):
    github = platform.github
    number = github.open_pull(platform.origin.commit({"shop_base": "16.0.3.0.0"}), head_ref="merged")
    assert platform.tick_and_run(BUILD_JOB).success
    github.merge(number)
    waiting = platform.tick()
    assert [r for r in waiting.run_requests if r.job_name == TEARDOWN_JOB] == []
    assert OdooRuntime(platform.state).environment(f"pr-{number}").is_running(), "kept during the TTL"
    platform.clock[0] += 1.5 * HOUR  # ODOOSH_PREVIEW_TTL_HOURS=1
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()
    assert f"pr-{number}" not in platform.partitions()
    assert not platform.staging_server().exists(f"odoosh_pr_{number}")
    assert set(platform.last_states(number)) == {"inactive"}


def test_a_pull_request_whose_smoke_fails_gets_no_url_and_is_stopped(platform, monkeypatch):
    github = platform.github
    number = github.open_pull(platform.origin.commit({"shop_fine": "16.0.1.0.0"}), head_ref="broken")
    assert platform.tick_and_run(BUILD_JOB).success
    monkeypatch.setenv("ODOOSH_REQUIRED_MODULES", "base,web,mail,module_nobody_installed")
    github.push(number, platform.origin.commit({"shop_broken": "16.0.1.0.0"}))
    failed = platform.tick_and_run(BUILD_JOB)
    assert not failed.success
    assert checks(failed)["smoke_modules"] is False and checks(failed)["smoke_http"] is True
    body = platform.comment(number)["body"]
    assert "no preview" in body and "module\\_nobody\\_installed" in body
    assert "https://" not in body and "The preview was stopped" in body
    # Nothing unpublished keeps running; the database and Odoo's log stay, for whoever debugs it.
    odoo = OdooRuntime(platform.state).environment(f"pr-{number}")
    assert not odoo.is_running()
    assert f"pr-{number}" not in platform.proxy().routes()
    assert platform.staging_server().exists(f"odoosh_pr_{number}")
    assert odoo.log_file.is_file()
    published, broken = github.deployments(f"pr-{number}")
    assert broken["statuses"][-1]["state"] == "failure"
    assert not broken["statuses"][-1].get("environment_url")
    assert published["statuses"][-1]["state"] == "inactive", "what it replaced no longer runs"
    github.close(number)
    monkeypatch.delenv("ODOOSH_REQUIRED_MODULES")
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()
    assert not platform.staging_server().exists(f"odoosh_pr_{number}")


def test_a_malicious_branch_name_changes_nothing(platform):
    github = platform.github
    number = github.open_pull(
        platform.origin.commit({"shop_base": "16.0.4.0.0"}), head_ref=EVIL[:200], title=EVIL, body=EVIL
    )
    built = platform.tick_and_run(BUILD_JOB)
    assert built.success
    body = platform.comment(number)["body"]
    assert "<script>" not in body and "$(touch" not in body and "](javascript" not in body
    assert "&lt;script&gt;" in body  # shown as text
    assert not Path("/tmp/pwned").exists()
    server = platform.staging_server()
    assert server.exists(f"odoosh_pr_{number}")
    with connect(server.dsn(f"odoosh_pr_{number}")) as conn:
        assert conn.execute("SELECT count(*) FROM res_users").fetchone()[0] > 0
    assert sorted(platform.proxy().routes()) == [f"pr-{number}"]
    github.close(number)
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()
    assert platform.partitions() == []


def test_github_refusing_or_failing_skips_the_tick_and_resumes(platform):
    github = platform.github
    github.fail_next(1, status=403, rate_limited=False)
    refused = platform.tick()
    assert refused.run_requests == [] and "403" in refused.skip_message
    kept = json.loads(platform.cursor)
    platform.clock[0] += 301  # a refusal waits REFUSED_RETRY_S before asking again
    number = github.open_pull(platform.origin.commit({"shop_base": "16.0.5.0.0"}), head_ref="after-403")
    github.fail_next(1, status=502)
    failing = platform.tick()
    assert failing.run_requests == [] and "502" in failing.skip_message
    assert json.loads(platform.cursor)["pulls"] == kept["pulls"], "no PR state lost"
    early = platform.tick()
    assert "Waiting until" in early.skip_message and platform.results["requests"] == 0, "Retry honoured"
    platform.clock[0] += 120
    built = platform.tick_and_run(BUILD_JOB)
    assert built.success and platform.comment(number)
    github.close(number)
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()
    assert platform.partitions() == []
    with contextlib.suppress(Exception):
        platform.proxy().stop(log=lambda _: None)


def test_a_fork_is_built_once_labelled_and_gets_no_secrets(platform):
    github = platform.github
    fork = AddonsRepository(platform.state / "fork")
    github.add_repository("mallory/addons", fork.clone_url)
    number = github.open_pull(fork.commit({"shop_fork": "16.0.1.0.0"}), head_repo="mallory/addons", user="mallory")
    waiting = platform.tick()
    assert waiting.run_requests == [] and "label" in platform.comment(number)["body"]
    github.add_label(number, "preview")  # ODOOSH_PREVIEW_FORK_LABEL's default
    built = platform.tick_and_run(BUILD_JOB)
    assert built.success
    run = platform.instance.get_run_by_id(built.run_id)
    assert run.tags["odoosh/secrets"] == "none"
    [shots] = [m for m in built.get_asset_materialization_events() if m.asset_key.path == ["preview_screenshots"]]
    assert shots.materialization.metadata["shots"].value == 2, "the login page only: no password for a fork's code"
    assert platform.dns.records(ZONE) == [], "no DNS token for a fork"
    database = platform.staging_server().dsn(f"odoosh_pr_{number}")
    assert parameter(database, "odoosh.test.environment") == "preview"
    assert not admin_password_is(database, "admin-of-previews-2"), "the secret user line was skipped"
    url = f"https://pr-{number}.localhost:{platform.proxy().port}/"
    assert url in platform.comment(number)["body"]
    assert '<span class="o_module_name">shop_fork</span>' in platform.page(url)
    github.close(number)
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()


def test_a_dns_failure_or_a_missing_commit_fails_the_build_on_the_pr_without_url(platform):
    github = platform.github
    number = github.open_pull(platform.origin.commit({"shop_base": "16.0.6.0.0"}), head_ref="dns-down")
    platform.dns.fail_next("POST", 500, after_effect=True)  # the record is made, then the API fails
    failed = platform.tick_and_run(BUILD_JOB)
    assert not failed.success
    body = platform.comment(number)["body"]
    assert "DNS record" in body and "no preview" in body and "https://" not in body
    assert platform.dns.records(ZONE) == [], "no half-made record"
    assert github.deployments(f"pr-{number}")[-1]["statuses"][-1]["state"] == "failure"
    assert not OdooRuntime(platform.state).environment(f"pr-{number}").is_running(), "stopped before the start"

    missing = "f" * 40  # a head commit the repository does not hold
    github.push(number, missing)
    failed = platform.tick_and_run(BUILD_JOB)
    assert not failed.success
    body = platform.comment(number)["body"]
    assert "code fetch" in body and missing[:12] in body and "https://" not in body
    github.close(number)
    assert platform.tick_and_run(TEARDOWN_JOB).success
    platform.tick()
    assert platform.partitions() == [] and platform.dns.records(ZONE) == []


def test_the_sensor_runs_by_default_only_with_a_repository(platform, monkeypatch):
    assert platform.definitions.sensors[0].default_status == dg.DefaultSensorStatus.RUNNING
    running = next(s for s in make_definitions().sensors if s.name == "github_pull_requests")
    assert running.default_status == dg.DefaultSensorStatus.RUNNING
    monkeypatch.delenv("ODOOSH_GITHUB_REPOSITORY")
    stopped = next(s for s in make_definitions().sensors if s.name == "github_pull_requests")
    assert stopped.default_status == dg.DefaultSensorStatus.STOPPED


def _status(github: GitHubDouble, sha: str, context: str) -> str:
    return [s["state"] for s in github.commit_statuses() if s["sha"] == sha and s["context"] == context][-1]


def test_the_visual_gate_holds_each_preview_to_the_look_of_main(platform):
    """Baselines from staging on main's head, then a PR with main's look passes, a PR whose CSS
    changes the login page fails with its scores on the PR, and the override label passes it."""
    github, origin = platform.github, platform.origin
    css = origin.path / "shop_theme" / "static" / "src" / "css"
    css.mkdir(parents=True, exist_ok=True)
    (css / "theme.css").write_text(".o_company_name { color: #714b67; }\n")
    main = origin.commit({"shop_theme": "16.0.1.0.0"}, "main's look")
    baselines = platform.materialize("screenshot_baselines")
    assert baselines.success, [e.message for e in baselines.all_events if e.is_failure]
    [taken] = baselines.get_asset_materialization_events()
    metadata = taken.materialization.metadata
    assert metadata["commit"].value == main and metadata["routes_failed"].value == 0
    assert metadata["shots"].value == 6, "three routes, two viewports"

    same = origin.commit({"shop_theme": "16.0.1.0.0"}, "a change that keeps the look")
    alike = github.open_pull(same, head_ref="chore/same-look", title="Same look")
    built = platform.tick_and_run(BUILD_JOB)
    assert built.success, [e.message for e in built.all_events if e.is_failure]
    assert checks(built)["visual_parity"]
    assert "Visual parity: passed" in platform.comment(alike)["body"]
    assert _status(github, same, "odoosh/visual") == "success"

    (css / "theme.css").write_text(".o_company_name { color: #017e84; margin-top: 3rem; }\n")
    look = origin.commit({"shop_theme": "16.0.1.0.0"}, "a new look")
    changed = github.open_pull(look, head_ref="feature/new-look", title="New look")
    built = platform.tick_and_run(BUILD_JOB)
    assert not built.success and checks(built)["visual_parity"] is False
    body = platform.comment(changed)["body"]
    assert "Visual parity: " in body and "failed" in body and "\\/web\\/login" in body  # escaped
    assert re.search(r"\| \\/web\\/login \| (desktop|mobile) \| failed \| 0\.\d{4} \| -?[01]\.\d{4} \|", body), body
    assert "[Visual report](<file://" in body and "![worst diff](<file://" in body
    report = Path(body.split("[Visual report](<file://")[1].split(">)")[0])
    assert report.is_file() and "failed" in report.read_text()
    assert _status(github, look, "odoosh/visual") == "failure"
    assert f"pr-{changed}" in platform.partitions(), "the preview itself stays up: only the gate failed"

    github.add_label(changed, "visual-change-approved")
    overridden = platform.materialize("visual_diff", partition=f"pr-{changed}")
    assert overridden.success
    [evaluation] = overridden.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.metadata["override"].value == "visual-change-approved"
    assert "passed by override" in platform.comment(changed)["body"]
    assert _status(github, look, "odoosh/visual") == "success"

    visual = platform.state / "artifacts" / "visual"
    assert (visual / "previews" / f"pr-{changed}").is_dir() and (visual / "reports" / f"pr-{changed}").is_dir()
    for number in (alike, changed):
        github.close(number)
        assert platform.tick_and_run(TEARDOWN_JOB).success
    assert not (visual / "previews" / f"pr-{changed}").exists() and not (visual / "reports" / f"pr-{changed}").exists()
    assert (visual / "baselines" / "current.json").is_file(), "main's baselines stay"
