"""What `pgbackrest verify` found, read from what it says rather than its exit code.

pgBackRest 2.45 exits 0 when a backup file is corrupt; only its text output says
`status: error` with counts (`checksum invalid: 1`), and the file itself is named only in an
INFO line of a worker process: `P02 INFO: invalid checksum '<label>/pg_data/base/5/16396.zst'`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# `<problem> '<file>'` as the verify workers log it, e.g. invalid checksum, invalid size, file missing
FILE_PROBLEM = re.compile(r"P\d\d\s+(?:INFO|WARN|ERROR): ((?:invalid|missing|file)[^']*?) '([^']+)'")
STATUS = re.compile(r"^\s*status: (\w+)", re.M)
BACKUP_STATUS = re.compile(r"^\s*backup: (\S+), status: (\w+)", re.M)
COUNTS = re.compile(r"^\s*(checksum invalid|size invalid|missing|other): (\d+)", re.M)


@dataclass(frozen=True)
class VerifyReport:
    repo: int
    passed: bool
    status: str  # "ok" or what verify said ("error")
    files: list[str] = field(default_factory=list)  # "invalid checksum 20261201-110932F/pg_data/base/5/2838.zst"
    backups: dict[str, str] = field(default_factory=dict)  # label -> status (valid, invalid, ...)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if self.passed:
            return f"repo{self.repo}: verify found every file valid"
        named = "; ".join(self.files[:5]) or "no file named"
        bad = ", ".join(f"{label} {status}" for label, status in self.backups.items() if status != "valid")
        return f"repo{self.repo}: verify status {self.status} ({bad or 'archive'}): {named}"


def parse(repo: int, output: str) -> VerifyReport:
    files = [f"{problem.strip()} {path}" for problem, path in FILE_PROBLEM.findall(output)]
    statuses = STATUS.findall(output)
    status = "error" if "error" in statuses else (statuses[0] if statuses else "ok")
    counts: dict[str, int] = {}
    for name, number in COUNTS.findall(output):
        counts[name] = counts.get(name, 0) + int(number)
    backups = dict(BACKUP_STATUS.findall(output))
    passed = status == "ok" and not files and not any(counts.values())
    return VerifyReport(repo, passed, status, sorted(set(files)), backups, counts)
