"""What `pgbackrest info --output=json` says, as dataclasses: backup sets, WAL ranges, repo status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class BackupSet:
    label: str
    type: str  # full, diff, incr
    repo: int
    started: datetime
    stopped: datetime
    size: int  # bytes of the database in the backup
    delta: int  # bytes copied by this backup
    repo_size: int  # bytes stored in the repository (compressed)
    wal_start: str
    wal_stop: str
    error: bool  # a page checksum error was found in the database while backing up

    @property
    def seconds(self) -> float:
        return max((self.stopped - self.started).total_seconds(), 1.0)  # info has whole seconds

    @property
    def age_s(self) -> float:
        return (datetime.now(UTC) - self.stopped).total_seconds()


@dataclass(frozen=True)
class RepoStatus:
    repo: int
    code: int  # 0 ok, 1 missing stanza path, 2 no valid backups, 3 missing stanza data, 99 other (unreachable)
    message: str
    wal_min: str | None
    wal_max: str | None
    archive_id: str | None  # e.g. "15-1": the directory of the WAL in the repository
    system_id: int | None

    @property
    def ok(self) -> bool:
        return self.code in (0, 2)  # reachable, with the stanza in it


@dataclass(frozen=True)
class StanzaInfo:
    name: str
    status_code: int
    status: str
    backups: list[BackupSet]
    repos: dict[int, RepoStatus]

    def newest(self, repo: int, types: tuple[str, ...] = ("full", "diff", "incr")) -> BackupSet | None:
        sets = [b for b in self.backups if b.repo == repo and b.type in types]
        return max(sets, key=lambda b: b.stopped, default=None)


def parse(document: dict) -> StanzaInfo:
    """The stanza's entry of `pgbackrest info --output=json`."""
    archives = {a["database"]["repo-key"]: a for a in document.get("archive", [])}
    system_ids = {d["repo-key"]: d.get("system-id") for d in document.get("db", [])}
    repos = {}
    for repo in document.get("repo", []):
        key = repo["key"]
        archive = archives.get(key, {})
        repos[key] = RepoStatus(
            repo=key,
            code=repo["status"]["code"],
            message=repo["status"]["message"],
            wal_min=archive.get("min"),
            wal_max=archive.get("max"),
            archive_id=archive.get("id"),
            system_id=system_ids.get(key),
        )
    backups = [
        BackupSet(
            label=b["label"],
            type=b["type"],
            repo=b["database"]["repo-key"],
            started=datetime.fromtimestamp(b["timestamp"]["start"], UTC),
            stopped=datetime.fromtimestamp(b["timestamp"]["stop"], UTC),
            size=b["info"]["size"],
            delta=b["info"]["delta"],
            repo_size=b["info"]["repository"]["size"],
            wal_start=b["archive"]["start"],
            wal_stop=b["archive"]["stop"],
            error=bool(b.get("error")),
        )
        for b in document.get("backup", [])
    ]
    status = document.get("status", {})
    return StanzaInfo(document.get("name", ""), status.get("code", -1), status.get("message", ""), backups, repos)
