"""pg_dump / pg_restore in directory format with parallel jobs, progress and safe credentials.

The DSN's password is handed to libpq through PGPASSWORD, never on the command line where
`ps` would show it. pg_dump/pg_restore `--verbose` lines are forwarded to the caller's log,
throttled, so a long dump shows it is moving without flooding the run log.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from odoosh.postgres import PostgresError, describe_dsn, pg_tool

LOG_EVERY_S = 5.0
# No compression unless asked (settings.dump_compression): measured on a 1.2 GB Odoo database
# with 2 jobs, gzip level 1 took 7.7 s to dump and 7-9 s to restore the rows, level 0 3-4 s and
# 5.5-6.5 s, for 2.6 times the size (994 MB against 387); pg_dump's default level takes 2.7 times
# as long as level 1 for a dump 13 % smaller.
UNCOMPRESSED = 0
Log = Callable[[str], None]


def dump(
    dsn: str,
    out_dir: Path,
    *,
    jobs: int,
    log: Log,
    snapshot: str | None = None,
    sections: Sequence[str] = (),
    compression: int | None = UNCOMPRESSED,
) -> None:
    """`pg_dump -Fd -j jobs -Z compression` (None: pg_dump's default) of the database at `dsn`
    into `out_dir` (which must not exist); only `sections` (pre-data, data, post-data) if given."""
    args = ["-Fd", "-j", str(jobs), "-f", str(out_dir), "--no-sync", *_sections(sections)]
    if compression is not None:
        args += ["-Z", str(compression)]
    if snapshot:
        args += ["--snapshot", snapshot]
    _run("pg_dump", args, dsn, log)


def restore(dsn: str, archive_dir: Path, *, jobs: int, log: Log, sections: Sequence[str] = ()) -> None:
    """`pg_restore -j jobs` into the existing database at `dsn`, without production's owners/grants."""
    args = ["-j", str(jobs), "--no-owner", "--no-privileges", "--exit-on-error", *_sections(sections)]
    _run("pg_restore", [*args, str(archive_dir)], dsn, log)


def _sections(sections: Sequence[str]) -> list[str]:
    return [arg for section in sections for arg in ("--section", section)]


def _run(tool: str, args: list[str], dsn: str, log: Log) -> None:
    params = conninfo_to_dict(dsn)
    env = dict(os.environ)
    if password := params.pop("password", None):
        env["PGPASSWORD"] = password
    command = [pg_tool(tool), "--verbose", "-d", make_conninfo(**params), *args]
    started = last_logged = time.monotonic()
    tail: list[str] = []
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        try:
            for line in proc.stderr:
                line = line.rstrip()
                tail = [*tail[-19:], line]
                if time.monotonic() - last_logged >= LOG_EVERY_S:
                    log(f"{tool} ({time.monotonic() - started:.0f}s): {line}")
                    last_logged = time.monotonic()
        except BaseException:  # run terminated: do not leave the tool writing on its own
            proc.kill()
            raise
    if proc.returncode != 0:
        errors = "\n".join(line for line in tail if "error" in line.lower()) or "\n".join(tail[-5:])
        raise PostgresError(f"{tool} failed for {describe_dsn(dsn)} (exit {proc.returncode}):\n{errors}")
    log(f"{tool} finished in {time.monotonic() - started:.1f}s")
