"""Audited exec (issue 11): role checks, approval tokens, commands as argument lists, the
hash-chained audit table on a real cluster, written by a role that can only INSERT."""

import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from odoosh.governance import approval, audit
from odoosh.governance.approval import load_policy
from odoosh.governance.exec import DockerRunner, ExecRequest, Executor, SandboxRunner, writer_dsn
from odoosh.postgres import connect

WRITER = "odoosh_audit_writer"
ROLES = """
roles:
  developer:
    users: [alice, bob]
    environments: [staging, "pr-*"]
  operator:
    users: [alice]
    environments: [production]
approvers:
  carol:
    key_env: TEST_EXEC_CAROL_KEY
approval_required: [production]
"""


@dataclass
class Governance:
    admin_dsn: str
    writer_dsn: str
    executor: Executor

    def rows(self):
        with connect(self.admin_dsn) as conn:
            return audit.query(conn)

    def run(self, user, environment, command, token=None, reason="investigate"):
        return self.executor.execute(ExecRequest(user, environment, command, reason, token))

    def token(self, environment="production", command=("echo", "hi"), requester="alice", ttl_s=600):
        return approval.issue(self.executor.policy, "carol", requester, environment, list(command), ttl_s)


def make_governance(pg, database, tmp_path, monkeypatch, **executor_options) -> Governance:
    monkeypatch.setenv("TEST_EXEC_CAROL_KEY", "carol-secret-key")
    roles = tmp_path / "roles.yaml"
    roles.write_text(ROLES)
    state = tmp_path / "state"
    for name in ("staging", "production", "pr-7"):
        (state / "environments" / name).mkdir(parents=True)
        (state / "environments" / name / "odoo.conf").write_text(f"[options]\ndb_name = {name}\n")
    admin = pg.dsn(database)
    audit.create_schema(admin, WRITER, "unused-over-the-socket")
    writer = writer_dsn(admin, WRITER, "unused-over-the-socket")
    return Governance(admin, writer, Executor(writer, load_policy(roles), SandboxRunner(state), **executor_options))


@pytest.fixture
def gov(pg, fresh_db, tmp_path, monkeypatch):
    return make_governance(pg, fresh_db, tmp_path, monkeypatch)


def test_staging_command_runs_in_its_environment_and_is_audited(gov):
    result = gov.run("bob", "staging", [sys.executable, "-c", "import os; print(os.getcwd(), os.environ['ODOO_RC'])"])
    assert result.outcome == "ran" and result.exit_code == 0
    cwd, rc = result.output_excerpt.split()
    assert cwd.endswith("/environments/staging") and rc.endswith("/environments/staging/odoo.conf")
    started, row = gov.rows()
    assert started["outcome"] == "started" and started["session_id"] == row["session_id"]
    assert (row["user_name"], row["environment"], row["outcome"], row["exit_code"]) == ("bob", "staging", "ran", 0)
    assert row["command"][0] == sys.executable and row["approver"] is None
    assert row["output_sha256"] == hashlib.sha256(result.output_excerpt.encode()).hexdigest()


def test_user_without_a_role_for_the_environment_is_refused_and_audited(gov):
    result = gov.run("bob", "production", ["echo", "hi"], token=gov.token(requester="bob"))
    assert result.outcome == "refused" and "no role" in result.detail
    assert gov.rows()[0]["outcome"] == "refused"


def test_production_tokens(gov, monkeypatch):
    command = ["echo", "hi"]
    missing = gov.run("alice", "production", command)
    assert missing.outcome == "refused" and "needs an approval token" in missing.detail

    valid = gov.token()
    ran = gov.run("alice", "production", command, token=valid)
    assert ran.outcome == "ran" and ran.output_excerpt == "hi\n"
    reused = gov.run("alice", "production", command, token=valid)
    assert reused.outcome == "refused" and "already used" in reused.detail

    expired = gov.run("alice", "production", command, token=gov.token(ttl_s=-1))
    assert expired.outcome == "refused" and "expired" in expired.detail

    payload, signature = gov.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["command"] = audit.canonical_command(["rm", "-rf", "/"])
    forged = approval._b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    altered = gov.run("alice", "production", ["rm", "-rf", "/"], token=f"{forged}.{signature}")
    assert altered.outcome == "refused" and "altered" in altered.detail

    other_command = gov.run("alice", "production", ["echo", "bye"], token=gov.token())
    assert other_command.outcome == "refused" and "another command" in other_command.detail
    other_env = gov.run("alice", "staging", command, token=gov.token(environment="staging"))
    assert other_env.outcome == "ran"  # staging needs no token: a token for staging cannot unlock production
    for_staging = gov.run("alice", "production", command, token=gov.token(environment="staging"))
    assert for_staging.outcome == "refused" and "for environment 'staging'" in for_staging.detail

    monkeypatch.setenv("TEST_EXEC_CAROL_KEY", "another-key")
    rotated = gov.run("alice", "production", command, token=f"{payload}.{signature}")
    assert rotated.outcome == "refused" and "altered" in rotated.detail

    rows = gov.rows()
    ran = ["started", "ran"]
    assert [r["outcome"] for r in rows] == ["refused", *ran] + ["refused"] * 4 + ran + ["refused"] * 2
    assert rows[1]["approver"] == rows[2]["approver"] == "carol" and rows[7]["approver"] is None
    with connect(gov.admin_dsn) as conn:
        assert audit.verify_chain(conn).intact


def test_shell_metacharacters_are_passed_literally(gov, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("still here")
    argument = f"echo '$(id)'; rm -rf {victim} && `id` | cat > /tmp/x"
    result = gov.run("bob", "staging", ["echo", argument])
    assert result.output_excerpt == argument + "\n"
    assert victim.read_text() == "still here"


def test_oversized_output_is_truncated_with_the_whole_digest(pg, fresh_db, tmp_path, monkeypatch):
    gov = make_governance(pg, fresh_db, tmp_path, monkeypatch, excerpt_bytes=1000)
    result = gov.run("bob", "staging", [sys.executable, "-c", "import sys; sys.stdout.write('x' * 50000)"])
    assert result.truncated and len(result.output_excerpt) == 1000
    assert result.output_sha256 == hashlib.sha256(b"x" * 50000).hexdigest()
    _, row = gov.rows()
    assert len(row["output_excerpt"]) == 1000 and "truncated to 1000 of 50000 bytes" in row["detail"]


def test_timeout_kills_the_command_and_is_audited(pg, fresh_db, tmp_path, monkeypatch):
    gov = make_governance(pg, fresh_db, tmp_path, monkeypatch, timeout_s=0.5)
    result = gov.run("bob", "staging", [sys.executable, "-c", "import time; time.sleep(30)"])
    assert result.exit_code is None and "timed out" in result.detail and result.duration_s < 10


def test_bad_requests_are_refused_with_the_fix(gov):
    assert "non-empty list" in gov.run("bob", "staging", []).detail
    assert "reason is required" in gov.run("bob", "staging", ["true"], reason=" ").detail
    refused = gov.run("bob", "staging", "rm -rf /")
    assert "non-empty list" in refused.detail
    assert [row["command"] for row in gov.rows()] == [[], ["true"], ["rm -rf /"]]


def test_production_runs_through_docker_exec_in_its_container():
    argv = DockerRunner("odoosh-{environment}-odoo").argv("production", ["odoo", "shell", "-c", "$(id); ls"])
    assert argv == ["docker", "exec", "odoosh-production-odoo", "odoo", "shell", "-c", "$(id); ls"]


def _three_rows(gov):
    for word in ("one", "two", "three"):
        gov.run("bob", "staging", ["echo", word])


def test_tampering_is_detected_naming_the_first_bad_row(gov):
    _three_rows(gov)
    with connect(gov.admin_dsn, autocommit=True) as conn:  # the superuser, not the platform's role
        assert audit.verify_chain(conn).intact
        conn.execute(sql.SQL("UPDATE {} SET exit_code = 0, reason = 'nothing' WHERE seq = 2").format(audit.TABLE))
        report = audit.verify_chain(conn)
        assert (report.first_bad_seq, report.intact) == (2, False) and "edited" in report.problem


def test_a_deleted_row_is_detected(gov):
    _three_rows(gov)
    with connect(gov.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DELETE FROM {} WHERE seq = 2").format(audit.TABLE))
        report = audit.verify_chain(conn)
        assert report.first_bad_seq == 2 and "deleted" in report.problem


def test_reordered_rows_are_detected(gov):
    _three_rows(gov)
    with connect(gov.admin_dsn, autocommit=True) as conn:
        t = audit.TABLE
        conn.execute(sql.SQL("UPDATE {} SET seq = -seq WHERE seq IN (2, 3)").format(t))
        conn.execute(sql.SQL("UPDATE {} SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0").format(t))
        assert audit.verify_chain(conn).first_bad_seq == 2


def test_the_platform_role_can_only_insert_and_select(gov):
    _three_rows(gov)
    with connect(gov.writer_dsn, autocommit=True) as conn:
        for statement in ("UPDATE {} SET reason = 'x'", "DELETE FROM {}", "TRUNCATE {}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL(statement).format(audit.TABLE))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("DELETE FROM {}").format(audit.USED_TOKENS))
        assert audit.verify_chain(conn).rows == 6


def test_thirty_day_query_returns_what_was_run(gov):
    gov.run("alice", "production", ["echo", "recent"], token=gov.token(command=["echo", "recent"]))
    gov.run("alice", "production", ["echo", "no token"])
    gov.run("bob", "staging", ["echo", "staging"])
    old = audit.AuditEntry(
        "alice", "production", ["echo", "old"], "long ago", "ran", at=datetime.now(UTC) - timedelta(days=40)
    )
    with connect(gov.writer_dsn, autocommit=True) as conn:
        audit.append(conn, old)
        last_30 = audit.query(conn, environment="production", days=30)
        assert [(r["command"], r["outcome"]) for r in last_30] == [
            (["echo", "recent"], "started"),
            (["echo", "recent"], "ran"),
            (["echo", "no token"], "refused"),
        ]
        assert [r["command"] for r in audit.query(conn, environment="production", days=30, outcome="ran")] == [
            ["echo", "recent"]
        ]
        assert [r["environment"] for r in audit.query(conn, user="bob")] == ["staging", "staging"]
        assert len(audit.query(conn, environment="production")) == 4
        with pytest.raises(ValueError, match="not one of started, ran, refused"):
            audit.query(conn, outcome="ok")


def test_roles_file_errors_name_the_field(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("roles:\n  dev:\n    users: [a]\n")
    with pytest.raises(ValueError, match="role 'dev' needs non-empty `users:` and `environments:`"):
        load_policy(path)
    path.write_text("roles:\n  dev: {users: [a], environments: [x]}\napprovers:\n  c: {key: inline}\n")
    with pytest.raises(ValueError, match="key_env"):
        load_policy(path)


# --------------------------------------------------------------------------- the Dagster job and check


def exec_resource(gov):
    from resources.governance_exec import GovernanceExecResource

    runner = gov.executor.runner
    roles = runner.state_dir.parent / "roles.yaml"
    return GovernanceExecResource(state_dir=str(runner.state_dir), roles_file=str(roles), audit_dsn=gov.writer_dsn)


def run_job(gov, **config):
    import dagster as dg

    from odoosh_assets.governance_exec import exec_in_environment

    return exec_in_environment.execute_in_process(
        run_config=dg.RunConfig(ops={"run_exec": {"config": config}}),
        resources={"governance_exec": exec_resource(gov)},
        raise_on_error=False,
    )


def test_job_runs_refuses_and_the_check_fails_on_tampering(gov):
    import dagster as dg

    from odoosh_assets.governance_exec import audit_log_intact, exec_audit_log

    ran = run_job(gov, environment="staging", command=["echo", "from dagster"], reason="r", user="bob")
    assert ran.success
    [event] = ran.asset_materializations_for_node("run_exec")
    assert event.metadata["audit_row"].value == 2 and event.metadata["outcome"].value == "ran"
    refused = run_job(gov, environment="production", command=["echo", "x"], reason="r", user="alice")
    assert not refused.success
    assert [r["outcome"] for r in gov.rows()] == ["started", "ran", "refused"]

    resources = {"governance_exec": exec_resource(gov)}
    assert dg.materialize([exec_audit_log, audit_log_intact], resources=resources).success
    with connect(gov.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {} SET user_name = 'mallory' WHERE seq = 1").format(audit.TABLE))
    result = dg.materialize([exec_audit_log, audit_log_intact], resources=resources, raise_on_error=False)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["first_bad_row"].value == 1


# --------------------------------------------------------------------------- the CLI


def test_cli_lists_the_last_30_days_of_production_as_table_and_json(gov):
    import os
    import subprocess

    gov.run("alice", "production", ["echo", "approved"], token=gov.token(command=["echo", "approved"]))
    gov.run("alice", "production", ["echo", "unapproved"])
    gov.run("bob", "staging", ["echo", "staging"])
    env = {**os.environ, "ODOOSH_AUDIT_DSN": gov.writer_dsn}
    base = [sys.executable, "-m", "odoosh.governance", "audit", "--environment", "production", "--days", "30"]
    out = subprocess.run([*base, "--json"], env=env, capture_output=True, text=True, check=True).stdout
    assert [(r["command"], r["outcome"], r["approver"]) for r in json.loads(out)] == [
        (["echo", "approved"], "started", "carol"),
        (["echo", "approved"], "ran", "carol"),
        (["echo", "unapproved"], "refused", None),
    ]
    table = subprocess.run([*base, "--outcome", "ran"], env=env, capture_output=True, text=True, check=True).stdout
    assert "echo approved" in table and "unapproved" not in table and "(1 sessions)" in table
    bad = subprocess.run([*base, "--outcome", "ok"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'ok'" in bad.stderr


def test_commands_do_not_see_the_platforms_secrets(gov, monkeypatch):
    monkeypatch.setenv("ODOOSH_AUDIT_DSN", "host=db password=audit-secret")
    result = gov.run("bob", "staging", ["env"])
    assert "ODOO_RC=" in result.output_excerpt
    assert "carol-secret-key" not in result.output_excerpt and "audit-secret" not in result.output_excerpt


KILLED_RUN = """
import os, sys
from odoosh.governance.exec import ExecRequest, make_executor
executor = make_executor(sys.argv[1], sys.argv[2], sys.argv[3])
command = [sys.executable, "-c", "import time; time.sleep(60)"]
executor.execute(ExecRequest("alice", "production", command, "killed run", os.environ["TOKEN"]))
"""


def test_a_run_killed_after_it_started_is_in_the_log_and_its_token_spent(gov, tmp_path):
    import os
    import signal
    import subprocess
    import time

    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    token = gov.token(command=command)
    state, roles = tmp_path / "state", tmp_path / "roles.yaml"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(state), str(roles), gov.writer_dsn],
        env={**os.environ, "TOKEN": token},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not gov.rows():  # the moment: the `started` row and the token use are committed
            assert child.poll() is None and time.monotonic() < deadline, "the executor ended before starting"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the executor and its command, as a killed run would be
        child.wait()
    [started] = gov.rows()
    assert (started["outcome"], started["approver"], started["command"]) == ("started", "carol", command)
    again = gov.run("alice", "production", command, token=token)
    assert again.outcome == "refused" and "already used" in again.detail


def test_the_check_catches_deleted_newest_rows_against_the_last_head_it_saw(gov):
    import dagster as dg

    from odoosh_assets.governance_exec import audit_log_intact, exec_audit_log

    _three_rows(gov)
    instance = dg.DagsterInstance.ephemeral()
    resources = {"governance_exec": exec_resource(gov)}
    assets = [exec_audit_log, audit_log_intact]
    assert dg.materialize(assets, resources=resources, instance=instance).success
    gov.run("bob", "staging", ["echo", "four"])
    assert dg.materialize(assets, resources=resources, instance=instance).success  # head is now row 8
    with connect(gov.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DELETE FROM {} WHERE seq > 6").format(audit.TABLE))
        assert audit.verify_chain(conn).intact  # the chain alone cannot see it
    result = dg.materialize(assets, resources=resources, instance=instance, raise_on_error=False)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["first_bad_row"].value == 7 and "7..8 are missing" in check.description


def test_an_approver_issues_the_token_with_the_command_and_a_missing_key_is_named(gov, tmp_path, monkeypatch, capsys):
    from odoosh.governance.__main__ import main

    roles = str(tmp_path / "roles.yaml")
    argv = ["approve", "--approver", "carol", "--requester", "alice", "--environment", "production", "--roles", roles]
    assert main([*argv, "--", "echo", "$(id); rm -rf /"]) == 0
    token = capsys.readouterr().out.strip()
    claims = approval.check(gov.executor.policy, token, "alice", "production", ["echo", "$(id); rm -rf /"])
    assert claims["approver"] == "carol" and claims["expires"] > datetime.now(UTC).timestamp() + 800
    ran = gov.run("alice", "production", ["echo", "$(id); rm -rf /"], token=token)
    assert ran.outcome == "ran" and ran.output_excerpt == "$(id); rm -rf /\n"
    monkeypatch.delenv("TEST_EXEC_CAROL_KEY")
    assert main([*argv, "--", "echo", "hi"]) == 2
    assert "TEST_EXEC_CAROL_KEY is not set" in capsys.readouterr().err
    assert main(argv) == 2
    assert "no command" in capsys.readouterr().err
