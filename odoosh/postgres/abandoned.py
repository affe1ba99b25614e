"""What killed runs left in a scratch directory: their servers and tools stopped, their files removed.

A run killed with SIGKILL cleans nothing up, at whatever moment it died: initdb running or in
its single-user bootstrap, a server starting, running or shutting down, a pg_dump still
writing raw production data. Whatever is still working in an abandoned directory is ended
here before the directory goes, and one that cannot be removed never blocks the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

from odoosh import process, scratch

SHUTDOWN_WAIT_S = 3  # for an abandoned server to end by itself (and free its shared memory) before it is killed
IPC_RMID = 0  # shmctl command, <sys/ipc.h>


def remove_abandoned(base_dir: str | Path, log: Callable[[str], None]) -> list[Path]:
    """Remove the scratch directories that killed runs left in `base_dir`, whatever the moment
    they died in, after ending every process still working in one of them (a server in any
    state, a single-user initdb backend, an orphaned initdb or pg_dump). A directory that cannot
    be removed is reported through `log` and skipped; this never raises for one. Returns what
    was removed."""
    removed = []
    with scratch.abandoned(base_dir) as paths:
        for path in paths:
            try:
                pid_files = {f: _read(f) for f in path.rglob("postmaster.pid")}
                _shut_down(pid_files)
                process.kill_processes_using(path)
                for text in pid_files.values():
                    _free_shared_memory(text)
                shutil.rmtree(path)
            except Exception as exc:  # one directory must not stop the run, nor the next ones
                log(
                    f"could not remove {path}, left behind by a killed run: {exc}. The next run tries "
                    "again; remove it by hand if this repeats."
                )
                continue
            removed.append(path)
            log(f"removed {path}: a run that was killed left it behind")
    return removed


def _shut_down(pid_files: dict[Path, str], timeout: float = SHUTDOWN_WAIT_S) -> None:
    """Ask the server of each postmaster.pid to end now, so it frees its shared memory: an
    immediate shutdown (SIGQUIT) for a postmaster, a termination (SIGTERM) for a single-user or
    bootstrap backend (its pid is negative: pg_ctl refuses to stop those). A pid that is not a
    process running in that data directory (stale, or reused) is left alone. Returns within
    `timeout`; whatever is still running then gets killed."""
    asked = []
    for pid_file, text in pid_files.items():
        with contextlib.suppress(ValueError, IndexError, OSError):
            pid = int(text.split()[0])
            if os.readlink(f"/proc/{abs(pid)}/cwd") == os.path.realpath(pid_file.parent):
                os.kill(abs(pid), signal.SIGQUIT if pid > 0 else signal.SIGTERM)
                asked.append(abs(pid))
    deadline = time.monotonic() + timeout
    while not all(process.exited(pid) for pid in asked) and time.monotonic() < deadline:
        time.sleep(0.05)


def _free_shared_memory(pid_file_text: str) -> None:
    """Remove the System V shared memory segment named in postmaster.pid if no process is
    attached to it any more: a server killed with SIGKILL leaves it behind (best effort)."""
    with contextlib.suppress(ValueError, IndexError, OSError):
        key, shmid = (int(n) for n in pid_file_text.splitlines()[6].split())
        for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]:
            fields = [int(n) for n in line.split()[:7]]  # key shmid perms size cpid lpid nattch
            if (fields[0] & 0xFFFFFFFF, fields[1], fields[6]) == (key & 0xFFFFFFFF, shmid, 0):
                ctypes.CDLL(None).shmctl(shmid, IPC_RMID, None)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:  # removed meanwhile by its server
        return ""
