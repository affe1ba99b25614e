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
from odoosh.backups.config import PGBACKREST, BackupConfig
from odoosh.postgres.cluster import ServerUser

TIMEOUT_S = 6 * 3600
ERROR_LINE = re.compile(r"ERROR: \[(\d{3})\]: (.*)")
REPO_NAMED = re.compile(r"\brepo(\d)\b")
# pgBackRest's error codes (its error.yaml): file-invalid and backup-mismatch, when a stanza's info
# files or system id do not match the cluster
STANZA_MISMATCH = {"028", "051"}
# protocol (S3/HTTP answers), file-open, file-read, host-connect, path-open, file-missing,
# protocol-timeout, path-missing, command (a repository failed within archive-push)
UNREACHABLE = {"039", "041", "042", "049", "053", "055", "065", "073", "104"}
MISSING_FILE = "055"
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
        documents = json.loads(self.run("info", "--output=json", timeout=300))
        return documents[0] if documents else {}

    def repo_ls(self, repo: int, path: str, filter: str | None = None) -> dict:
        extra = [f"--filter={filter}"] if filter else []
        return json.loads(self.run("repo-ls", "--output=json", *extra, repo=repo, timeout=300, path=path))

    def verify_output(self, repo: int) -> str:
        """What `verify` says, INFO lines included: it exits 0 on a corrupt file and names the
        file only at INFO level (see odoosh.backups.verify)."""
        return self.run("verify", "--output=text", "--log-level-console=info", repo=repo)

    # ---- errors

    def error(self, command: str, returncode: int, output: str, repo: int | None) -> BackupError:
        code, message = _first_error(output)
        for secret in self.config.secrets():
            message = message.replace(secret, "<redacted>")
        if repo is None and (named := REPO_NAMED.search(message)) and int(named[1]) in self.indexes:
            repo = int(named[1])  # a command over every repository that failed on one: name it
        where = self.config.repo(repo).name if repo is not None else f"stanza {self.config.stanza!r}"
        head = f"pgbackrest {command} failed on {where} (exit {returncode}, error {code}): {message}"
        if code in STANZA_MISMATCH:
            fix = stanza_mismatch(self.config.stanza)
        elif (s3 := S3_ERROR_CODE.search(output)) and s3[1] in S3_SETTING and repo is not None:
            fix = f"S3 answered {s3[1]}: check ODOOSH_BACKUP_REPO{repo}_{S3_SETTING[s3[1]]}."
        elif code == MISSING_FILE and repo is not None and self.config.repo(repo).type == "s3":
            # S3 answers a missing bucket as it does a missing file: 404.
            fix = (
                f"Nothing is where repo{repo} points: check ODOOSH_BACKUP_REPO{repo}_BUCKET and _PATH (the "
                "bucket must exist), or create the stanza by materialising wal_archive."
            )
        elif code in UNREACHABLE or "S3" in message or "HTTP" in message or "TLS" in message:
            target = self.config.repo(repo) if repo is not None else None
            names = f"ODOOSH_BACKUP_REPO{repo}_*" if repo is not None else "ODOOSH_BACKUP_REPO1_* / _REPO2_*"
            fix = (
                f"Check that {target.location if target else 'each repository'} is reachable and that its "
                f"settings ({names}: path or bucket, endpoint, region, key, secret, CA file) are right."
            )
        else:
            fix = f"See the pgBackRest log in {Path(self.config.home) / 'log'}."
        return BackupError(f"{head}. {fix}", code, repo)


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
