"""Smoke probes of an Odoo environment: does it answer, has it users, are its modules settled,
is its log clean since it started.

Plain functions (no Dagster) so asset checks, the preview flow and the environment runtime
share them. A probe never raises over what it probes: an unreachable server or database is a
failed probe whose summary says what is wrong, and whose details hold the figures it saw.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg

from odoosh.postgres import CONNECT_TIMEOUT_S, PostgresError, describe_dsn

PENDING_STATES = ("to install", "to upgrade", "to remove")
# Odoo's log entry: "2024-05-01 10:00:00,123 4242 ERROR dbname logger: message", asctime in UTC
LOG_ENTRY = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \d+ ([A-Z]+) ")
BAD_LEVELS = ("ERROR", "CRITICAL")
SHOWN_LOG_LINES = 5
SHOWN_LINE_CHARS = 300
# Probes go straight to the environment, never through a proxy from the environment variables.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
Get = Callable[[str, float], tuple[int, bytes]]


@dataclass(frozen=True)
class ProbeResult:
    name: str
    passed: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)  # JSON-friendly figures of what was seen


class Environment(Protocol):
    """What the probes need of an environment (odoosh.odoo.runtime.OdooEnvironment has it)."""

    name: str

    @property
    def url(self) -> str | None: ...

    @property
    def log_file(self) -> Path: ...

    @property
    def started_at(self) -> datetime | None: ...


def http_health(url: str, timeout: float = 5, get: Get | None = None) -> ProbeResult:
    """`GET <url>/web/health` answers 200 with Odoo's `{"status": "pass"}`.

    `get(url, timeout) -> (status, body)` replaces urllib (the previews' verified HTTPS through
    their proxy); it raises OSError when it cannot reach the server."""
    target = url.rstrip("/") + "/web/health"
    start = time.perf_counter()
    try:
        if get is not None:
            status, body = get(target, timeout)
        else:
            with _direct.open(target, timeout=timeout) as response:
                status, body = response.status, response.read(1000)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(1000)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            summary = f"nothing answers at {url}"
        elif isinstance(reason, TimeoutError):
            summary = f"no answer from {url} within {timeout:g} s"
        else:
            summary = f"cannot reach {url}: {reason}"
        return ProbeResult("http_health", False, summary, {"url": target, "error": str(reason)})
    latency_ms = round((time.perf_counter() - start) * 1000, 1)
    text = body.decode("utf-8", "replace")
    passed = status == 200 and _json_field(text, "status") == "pass"
    verdict = "healthy" if passed else "unhealthy"
    return ProbeResult(
        "http_health",
        passed,
        f"{target} answered {status} {text[:100]!r} ({verdict})",
        {"url": target, "status_code": status, "body": text[:200], "latency_ms": latency_ms},
    )


def users_exist(dsn: str) -> ProbeResult:
    """The database has users (`res_users` is not empty)."""
    try:
        with _connect(dsn) as conn:
            count = conn.execute("SELECT count(*) FROM res_users").fetchone()[0]
    except psycopg.Error as exc:
        return _db_failure("users_exist", dsn, exc)
    summary = f"{count} users in res_users" if count else "res_users is empty: nobody can log in"
    return ProbeResult("users_exist", count > 0, summary, {"database": _describe(dsn), "users": count})


def modules_installed(dsn: str, required: Iterable[str]) -> ProbeResult:
    """Every required module is installed and no module waits to be installed, upgraded or removed."""
    required = list(required)
    try:
        with _connect(dsn) as conn:
            states = dict(conn.execute("SELECT name, state FROM ir_module_module").fetchall())
    except psycopg.Error as exc:
        return _db_failure("modules_installed", dsn, exc)
    missing = {name: states.get(name, "absent") for name in required if states.get(name) != "installed"}
    pending = {name: state for name, state in sorted(states.items()) if state in PENDING_STATES}
    problems = []
    if missing:
        problems.append("not installed: " + ", ".join(f"{name} ({state})" for name, state in missing.items()))
    if pending:
        problems.append("pending: " + ", ".join(f"{name} ({state})" for name, state in pending.items()))
    installed = sum(state == "installed" for state in states.values())
    summary = "; ".join(problems) or (
        f"{len(required)} required modules installed, none pending ({installed} installed in all)"
    )
    return ProbeResult(
        "modules_installed",
        not problems,
        summary,
        {
            "database": _describe(dsn),
            "required": required,
            "installed": installed,
            "missing": missing,
            "pending": pending,
        },
    )


def log_clean(log_file: Path | str, since: datetime) -> ProbeResult:
    """No ERROR or CRITICAL entry in the Odoo log since `since` (naive datetimes are local time).

    Lines that do not start an entry (tracebacks, continued messages) belong to the entry above.
    """
    log_file = Path(log_file)
    cutoff = since.astimezone(UTC).replace(tzinfo=None)  # Odoo logs in UTC
    details: dict[str, Any] = {"log_file": str(log_file), "since": cutoff.isoformat() + "Z"}
    entries, bad = 0, []
    try:
        with log_file.open(errors="replace") as log:
            for line in log:
                match = LOG_ENTRY.match(line)
                if not match:
                    continue
                if datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f") < cutoff:
                    continue
                entries += 1
                if match[2] in BAD_LEVELS:
                    bad.append(line.rstrip()[:SHOWN_LINE_CHARS])
    except OSError as exc:
        summary = f"cannot read the Odoo log {log_file}: {exc.strerror}"
        return ProbeResult("log_clean", False, summary, details)
    details.update(entries=entries, errors=len(bad), first_errors=bad[:SHOWN_LOG_LINES])
    if bad:
        summary = f"{len(bad)} ERROR/CRITICAL entries in {log_file} since {details['since']}, first: {bad[0]}"
    else:
        summary = f"no ERROR/CRITICAL among {entries} entries in {log_file} since {details['since']}"
    return ProbeResult("log_clean", not bad, summary, details)


def run_all(environment: Environment, dsn: str, required_modules: Iterable[str] = ("base", "web")) -> list[ProbeResult]:
    """All four probes of a started environment whose database is `dsn`."""
    if environment.url is None or environment.started_at is None:
        raise ValueError(f"Environment {environment.name!r} has never been started; start it first.")
    return [
        http_health(environment.url),
        users_exist(dsn),
        modules_installed(dsn, required_modules),
        log_clean(environment.log_file, environment.started_at),
    ]


def _connect(dsn: str) -> psycopg.Connection:
    try:
        conn = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.ProgrammingError as exc:  # not a DSN at all: said so, not "cannot query"
        raise _InvalidDSN(str(exc)) from None
    conn.read_only = True  # probes look, they never write
    return conn


class _InvalidDSN(psycopg.ProgrammingError):
    pass


def _describe(dsn: str) -> str:
    """The DSN without its password, for summaries and details."""
    try:
        return describe_dsn(dsn)
    except PostgresError:
        return "(invalid DSN)"


def _db_failure(name: str, dsn: str, exc: psycopg.Error) -> ProbeResult:
    where = _describe(dsn)
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, psycopg.errors.UndefinedTable):
        summary = f"{where} is not an Odoo database (or not initialised): {reason}"
    elif isinstance(exc, _InvalidDSN):
        summary = f"not a valid PostgreSQL connection string: {reason}"
    else:
        summary = f"cannot query PostgreSQL at {where}: {reason}"
    return ProbeResult(name, False, summary, {"database": where, "error": reason})


def _json_field(text: str, key: str) -> Any:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document.get(key) if isinstance(document, dict) else None
