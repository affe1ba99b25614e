"""Audited exec: the one path by which a person (Dagster job) or an agent (MCP tool) runs a
command in an environment. Role check, approval token for production, then the command as an
argument list (never a shell), with a timeout; every request, run or refused, is audited."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo

from odoosh.governance import approval
from odoosh.governance.approval import ExecPolicy, Refused
from odoosh.governance.audit import AuditEntry, append, sandbox_writer_dsn
from odoosh.odoo.runtime import OdooRuntimeError, validate_environment_name
from odoosh.postgres import connect

EXCERPT_BYTES = 16 * 1024
TIMEOUT_S = 300
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class ExecRequest:
    user: str
    environment: str
    command: list[str]
    reason: str
    token: str | None = None


@dataclass(frozen=True)
class ExecResult:
    outcome: str  # ran or refused
    detail: str
    seq: int  # the audit row
    exit_code: int | None = None
    duration_s: float | None = None
    output_sha256: str | None = None
    output_excerpt: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class SandboxRunner:
    """A local process in the environment's directory, its odoo.conf as ODOO_RC (the variable Odoo
    reads its config file from), with none of the platform's secrets in its environment."""

    state_dir: Path

    def argv(self, environment: str, command: Sequence[str]) -> list[str]:
        return list(command)

    def context(self, environment: str) -> tuple[Path, dict[str, str]]:
        directory = Path(self.state_dir) / "environments" / environment
        if not directory.is_dir():
            raise Refused(f"environment {environment!r} has no directory {directory}: start it first")
        # Not the platform's environment: it holds the approvers' keys and the audit DSN.
        passed = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
        return directory, {**passed, "ODOO_RC": str(directory / "odoo.conf")}


@dataclass(frozen=True)
class DockerRunner:
    """`docker exec <container> <args...>` in the environment's Odoo container (production)."""

    container_template: str = "{environment}-odoo"
    docker: str = "docker"

    def argv(self, environment: str, command: Sequence[str]) -> list[str]:
        return [self.docker, "exec", self.container_template.format(environment=environment), *command]

    def context(self, environment: str) -> tuple[Path | None, dict[str, str] | None]:
        return None, None


@dataclass(frozen=True)
class Executor:
    """`audit_dsn` is the writer role's DSN (INSERT and SELECT only)."""

    audit_dsn: str
    policy: ExecPolicy
    runner: SandboxRunner | DockerRunner
    timeout_s: float = TIMEOUT_S
    excerpt_bytes: int = EXCERPT_BYTES

    def execute(self, request: ExecRequest) -> ExecResult:
        session = uuid.uuid4().hex
        with connect(self.audit_dsn, autocommit=True) as conn:

            def entry(outcome: str, detail: str, approver: str | None = None, **run) -> AuditEntry:
                given = request.command
                command = [str(arg) for arg in given] if isinstance(given, list | tuple) else [str(given)]
                return AuditEntry(
                    request.user, request.environment, command, request.reason, outcome, detail, approver,
                    session_id=session, **run,
                )  # fmt: skip

            try:
                self._validate(request)
                if not self.policy.allows(request.user, request.environment):
                    raise Refused(f"user {request.user!r} has no role allowing exec in {request.environment!r}")
                cwd, env = self.runner.context(request.environment)
                approver = None
                # The token's use and the `started` row commit together: a run killed from here on
                # still shows in the log, and a token is never spent without a trace.
                with conn.transaction():
                    if self.policy.needs_approval(request.environment):
                        claims = approval.check(
                            self.policy, request.token, request.user, request.environment, request.command
                        )
                        approval.consume(conn, claims)
                        approver = claims["approver"]
                    append(conn, entry("started", "", approver))
            except Refused as exc:
                return ExecResult("refused", str(exc), append(conn, entry("refused", str(exc))))
            result = self._run(request, cwd, env)
            run = {
                name: getattr(result, name) for name in ("exit_code", "duration_s", "output_sha256", "output_excerpt")
            }
            seq = append(conn, entry("ran", result.detail, approver, **run))
        return ExecResult(**{**result.__dict__, "seq": seq})

    def _validate(self, request: ExecRequest) -> None:
        if not isinstance(request.command, list | tuple) or not request.command:
            raise Refused('the command must be a non-empty list of arguments, e.g. ["ls", "-l"]')
        if not all(isinstance(arg, str) for arg in request.command):
            raise Refused("every argument of the command must be a string")
        if not request.reason.strip():
            raise Refused("a reason is required: say why the command must run")
        try:
            validate_environment_name(request.environment)
        except OdooRuntimeError as exc:
            raise Refused(str(exc)) from None

    def _run(self, request: ExecRequest, cwd: Path | None, env: dict[str, str] | None) -> ExecResult:
        argv = self.runner.argv(request.environment, request.command)
        started = time.monotonic()
        detail, exit_code = "", None
        try:
            done = subprocess.run(
                argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=self.timeout_s
            )
            output, exit_code = done.stdout, done.returncode
        except subprocess.TimeoutExpired as exc:
            output, detail = exc.stdout or b"", f"timed out after {self.timeout_s:g} s and was killed"
        except OSError as exc:
            output, detail = b"", f"cannot start {argv[0]!r}: {exc.strerror}"
        duration = time.monotonic() - started
        excerpt = output[: self.excerpt_bytes].decode(errors="replace")
        truncated = len(output) > self.excerpt_bytes
        if truncated:
            detail = (
                detail + "; " if detail else ""
            ) + f"output truncated to {self.excerpt_bytes} of {len(output)} bytes"
        return ExecResult("ran", detail, 0, exit_code, duration, hashlib.sha256(output).hexdigest(), excerpt, truncated)


def writer_dsn(admin_dsn: str, role: str, password: str) -> str:
    """The admin DSN with the writer role's credentials (the sandbox's audit database)."""
    return make_conninfo(admin_dsn, user=role, password=password)


def make_executor(
    state_dir: str | Path,
    roles_file: str | Path | None,
    audit_dsn: str | None = None,
    container_template: str | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Executor:
    """The executor every entry point uses (Dagster job, MCP server): docker exec when a container
    template is given, else local processes; the sandbox's audit database when no DSN is."""
    if not roles_file:
        raise ValueError("ODOOSH_EXEC_ROLES_FILE is unset: point it at the exec roles YAML (README, Audited exec).")
    runner = DockerRunner(container_template) if container_template else SandboxRunner(Path(state_dir))
    dsn = audit_dsn or sandbox_writer_dsn(state_dir)
    return Executor(dsn, approval.load_policy(roles_file), runner, timeout_s=timeout_s)
