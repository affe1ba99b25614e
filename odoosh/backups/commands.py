"""pgBackRest run as the PostgreSQL server user, with argument lists, and its errors explained.

pgBackRest reports an error as `ERROR: [code]: message` plus HINT lines; the codes that mean
something the platform's user can fix are turned into a message naming the repository and the
setting or command that fixes it. Secrets never reach a message.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from odoosh.backups import config as backup_config
from odoosh.backups.config import PGBACKREST, PROBE_IO_TIMEOUT_S, BackupConfig
from odoosh.postgres.cluster import ServerUser

TIMEOUT_S = 6 * 3600
PROBE_TIMEOUT = f"--io-timeout={PROBE_IO_TIMEOUT_S}"
# The commands that reach production's cluster; with pg1-host, its TLS server is pinged first:
# a server that is down is reported in seconds, not after pgBackRest's two minutes of retries.
PG_COMMANDS = {"stanza-create", "check", "backup"}
PING_IO_TIMEOUT_S = 3
ERROR_LINE = re.compile(r"ERROR: \[(\d{3})\]: (.*)")
REPO_NAMED = re.compile(r"\brepo(\d)\b")
# pgBackRest's error codes (its error.yaml): file-invalid and backup-mismatch, when a stanza's info
# files or system id do not match the cluster
STANZA_MISMATCH = {"028", "051"}
# protocol (S3/HTTP answers), file-open, file-read, host-connect, path-open, file-missing,
# protocol-timeout, path-missing, command (a repository failed within archive-push)
UNREACHABLE = {"039", "041", "042", "049", "053", "055", "065", "073", "104"}
MISSING_FILE = "055"
NO_PRIMARY = "056"  # no pg1 answered: with pg1-host, its TLS server refused or was not reached
# OpenSSL's verdict on a peer's certificate, naming the peer (an S3 endpoint or production's host)
UNTRUSTED = re.compile(r"unable to verify certificate presented by '([^']+)'[^\n]*")
PG_UNCHECKED = re.compile(r"unable to check pg1: (.*)")
# S3's error document, which pgBackRest prints as it came on the lines after its ERROR line; a
# pattern rather than an XML parser because the document is embedded in log text.
S3_ERROR_CODE = re.compile(r"<Code>([A-Za-z]+)</Code>")
# What S3 answers for a wrong setting, and the setting (ODOOSH_BACKUP_REPO<n>_...) to fix.
S3_SETTING = {
    "InvalidAccessKeyId": "KEY",
    "SignatureDoesNotMatch": "SECRET",
    "NoSuchBucket": "BUCKET",
    "AuthorizationHeaderMalformed": "REGION",
    "PermanentRedirect": "REGION",
}


class BackupError(RuntimeError):
    """A pgBackRest command that failed, phrased as what is wrong and how to fix it."""

    def __init__(self, message: str, code: str | None = None, repo: int | None = None):
        super().__init__(message)
        self.code = code
        self.repo = repo


@dataclass
class PgBackRest:
    """The commands the platform runs, for one configuration; the file is rewritten before each."""

    config: BackupConfig
    user: ServerUser | None = None

    def __post_init__(self) -> None:
        self.user = self.user or ServerUser.resolve()

    def run(
        self, command: str, *args: str, repo: int | None = None, timeout: float = TIMEOUT_S, path: str | None = None
    ) -> str:
        """Run `pgbackrest <args> <command> [path]`; returns its stdout, raises BackupError on failure."""
        if command in PG_COMMANDS and self.config.pg_host:
            self.ping_pg_host(command)
        argv = self.args(command, *args, repo=repo) + ([path] if path else [])
        result = self.user.run(argv, cwd=Path(self.config.home), timeout=timeout)
        if result.returncode != 0:
            raise self.error(command, result.returncode, result.stdout + result.stderr, repo)
        return result.stdout

    def start(self, command: str, *args: str, repo: int | None = None) -> subprocess.Popen:
        """Start `pgbackrest <command>` without waiting; finish it with `finish()`."""
        return self.user.popen(self.args(command, *args, repo=repo), cwd=Path(self.config.home))

    def finish(self, command: str, proc: subprocess.Popen, repo: int | None = None, timeout: float = TIMEOUT_S) -> str:
        stdout, stderr = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise self.error(command, proc.returncode, stdout + stderr, repo)
        return stdout

    def ping_pg_host(self, command: str) -> None:
        """`pgbackrest server-ping` of production's host: its TLS server accepts connections."""
        config = self.config
        argv = [
            PGBACKREST,
            f"--config={config.file}",
            f"--io-timeout={PING_IO_TIMEOUT_S}",
            f"--tls-server-port={config.pg_host_port}",
            "server-ping",
            config.pg_host,
        ]
        backup_config.write(config, self.user)
        result = self.user.run(argv, cwd=Path(config.home), timeout=120)
        if result.returncode != 0:
            code, message = _first_error(result.stdout + result.stderr)
            raise BackupError(
                f"pgbackrest {command} cannot reach production's host (error {code}): {message}. "
                + self.fix(NO_PRIMARY, message, "", None),
                code,
            )

    @property
    def indexes(self) -> list[int]:
        return [r.index for r in self.config.repos]

    def args(self, command: str, *args: str, repo: int | None = None) -> list[str]:
        backup_config.write(self.config, self.user)
        selected = [f"--repo={repo}"] if repo is not None else []
        return [PGBACKREST, f"--config={self.config.file}", f"--stanza={self.config.stanza}", *selected, *args, command]

    # ---- the commands

    def stanza_create(self) -> None:
        """Create the stanza in every repository (a no-op where it exists and matches the cluster)."""
        self.run("stanza-create")

    def check(self) -> None:
        """Archiving works end to end: a WAL switch reaches every repository."""
        self.run("check")

    def backup(self, repo: int, type: str = "full") -> None:
        if type not in ("full", "diff", "incr"):
            raise BackupError(f"Backup type {type!r} is not one of full, diff, incr.")
        self.run("backup", f"--type={type}", repo=repo)

    def info(self) -> dict:
        """`pgbackrest info --output=json` for the stanza (an unreachable repository is a status in it)."""
        documents = json.loads(self.run("info", "--output=json", PROBE_TIMEOUT, timeout=300))
        return documents[0] if documents else {}

    def repo_ls(self, repo: int, path: str, filter: str | None = None) -> dict:
        extra = [f"--filter={filter}"] if filter else []
        return json.loads(
            self.run("repo-ls", "--output=json", PROBE_TIMEOUT, *extra, repo=repo, timeout=300, path=path)
        )

    def verify_output(self, repo: int) -> str:
        """What `verify` says, INFO lines included: it exits 0 on a corrupt file and names the
        file only at INFO level (see odoosh.backups.verify)."""
        return self.run("verify", "--output=text", "--log-level-console=info", repo=repo)

    # ---- errors

    def error(self, command: str, returncode: int, output: str, repo: int | None) -> BackupError:
        code, message = _first_error(output)
        if unchecked := PG_UNCHECKED.search(output):
            message += f" ({unchecked[1].strip()})"  # why pg1 did not answer, logged as a WARN
        message = self.redact(message)
        if repo is None and (named := REPO_NAMED.search(message)) and int(named[1]) in self.indexes:
            repo = int(named[1])  # a command over every repository that failed on one: name it
        if repo is None and (untrusted := UNTRUSTED.search(output)):
            repo = self.repo_at(untrusted[1])
        where = self.config.repo(repo).name if repo is not None else f"stanza {self.config.stanza!r}"
        head = f"pgbackrest {command} failed on {where} (exit {returncode}, error {code}): {message}"
        return BackupError(f"{head}. {self.fix(code, message, output, repo)}", code, repo)

    def status_error(self, command: str, repo: int, message: str) -> BackupError:
        """What `info` reported for a repository it could not read, as the error `command` on it
        would raise (without waiting for that command's own timeouts)."""
        message = self.redact(message)
        head = f"pgbackrest {command} cannot use {self.config.repo(repo).name}: info says {message}"
        return BackupError(f"{head}. {self.fix(None, message, message, repo)}", None, repo)

    def redact(self, text: str) -> str:
        for secret in self.config.secrets():
            text = text.replace(secret, "<redacted>")
        return text

    def repo_at(self, endpoint: str) -> int | None:
        return next((r.index for r in self.config.repos if r.type == "s3" and r.endpoint == endpoint), None)

    def fix(self, code: str | None, message: str, output: str, repo: int | None) -> str:
        """How to fix what pgBackRest reported, naming the setting."""
        config = self.config
        untrusted = UNTRUSTED.search(output)
        if untrusted and (index := self.repo_at(untrusted[1])) is not None:
            ca_file = config.repo(index).ca_file
            return (
                f"repo{index}'s endpoint {untrusted[1]} presents a certificate that "
                + (f"the CA file {ca_file} does not sign" if ca_file else "no CA of the system signs")
                + f": set ODOOSH_BACKUP_REPO{index}_CA_FILE to the CA bundle that signs the endpoint's certificate "
                "(readable by the PostgreSQL server user)."
            )
        if config.pg_host and (untrusted or code == NO_PRIMARY or "unable to check pg1" in output):
            return (
                f"pgBackRest did not reach production's cluster through the pgBackRest TLS server at "
                f"{config.pg_host}:{config.pg_host_port}. Check that `pgbackrest server` runs there on that port with "
                f"tls-server-auth=<CN of the platform's certificate>={config.stanza} and tls-server-ca-file the CA of "
                "that certificate; and ODOOSH_BACKUP_PG_HOST (the name in its certificate), ODOOSH_BACKUP_PG_HOST_PORT, "
                "ODOOSH_BACKUP_PG_HOST_CERT_FILE and ODOOSH_BACKUP_PG_HOST_KEY_FILE (the platform's client certificate "
                "and key, readable by the PostgreSQL server user) and ODOOSH_BACKUP_PG_HOST_CA_FILE (the CA of the "
                "server's certificate)."
            )
        if code in STANZA_MISMATCH:
            return stanza_mismatch(config.stanza)
        if (s3 := S3_ERROR_CODE.search(output)) and s3[1] in S3_SETTING and repo is not None:
            return f"S3 answered {s3[1]}: check ODOOSH_BACKUP_REPO{repo}_{S3_SETTING[s3[1]]}."
        if code == MISSING_FILE and repo is not None and config.repo(repo).type == "s3":
            # S3 answers a missing bucket as it does a missing file: 404.
            return (
                f"Nothing is where repo{repo} points: check ODOOSH_BACKUP_REPO{repo}_BUCKET and _PATH (the "
                "bucket must exist), or create the stanza by materialising wal_archive."
            )
        if code in UNREACHABLE or code is None or "S3" in message or "HTTP" in message or "TLS" in message:
            target = config.repo(repo) if repo is not None else None
            names = f"ODOOSH_BACKUP_REPO{repo}_*" if repo is not None else "ODOOSH_BACKUP_REPO1_* / _REPO2_*"
            return (
                f"Check that {target.location if target else 'each repository'} is reachable and that its "
                f"settings ({names}: path or bucket, endpoint, region, key, secret, CA file) are right."
            )
        return f"See the pgBackRest log in {Path(config.home) / 'log'}."


def stanza_mismatch(stanza: str) -> str:
    """The documented fix for a stanza made for another cluster (README, Backups)."""
    return (
        f"The stanza {stanza!r} belongs to another cluster: production's cluster was re-created (initdb, "
        "rebuilt from a dump) since its first backup. Keep the old backups and start a new stanza by "
        "setting ODOOSH_BACKUP_STANZA to a new name; or, once the old backups are no longer needed, run "
        f"`pgbackrest --stanza={stanza} stop` then `pgbackrest --stanza={stanza} stanza-delete --force` "
        "(with the configuration in <state dir>/backups) and materialise wal_archive again."
    )


def _first_error(output: str) -> tuple[str, str]:
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if match := ERROR_LINE.search(line):
            hints = [h.strip() for h in lines[i + 1 : i + 4] if h.strip().startswith("HINT:")]
            return match[1], " ".join([match[2].strip(), *hints])
    tail = " ".join(line.strip() for line in lines[-3:]) or "no output"
    return "?", tail
