"""Scratch directories that outlive no run: each is held by its process, leftovers are found.

A run killed with SIGKILL (the OOM killer, `docker kill`, a lost node) runs no cleanup, and
what it leaves can be raw production data: a snapshot being written, a quarantine cluster
whose server keeps running. Every scratch directory is therefore locked (flock) by the
process that made it for as long as it lives; the kernel drops the lock when the process
dies, however it dies. A directory whose lock can be taken has no owner left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "odoosh-scratch-"
# Between mkdtemp and flock a new directory has no lock yet: younger ones are never abandoned.
MIN_AGE_S = 60.0


@contextlib.contextmanager
def owned_dir(kind: str, base_dir: str | Path | None = None) -> Iterator[Path]:
    """A new directory `odoosh-scratch-<kind>-*` in `base_dir` (None: the system temp dir), locked
    by this process and removed with its contents on exit."""
    if base_dir is not None:  # reachable by the PostgreSQL server user, listable by nobody else
        Path(base_dir).mkdir(mode=0o711, parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-", dir=base_dir))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


@contextlib.contextmanager
def abandoned(base_dir: str | Path) -> Iterator[list[Path]]:
    """The scratch directories in `base_dir` whose process is gone, locked for the caller
    while it removes them."""
    held: list[tuple[Path, int]] = []
    try:
        for path in sorted(Path(base_dir).glob(PREFIX + "*")):
            try:  # a directory removed meanwhile (by its run, or another run's cleanup) is skipped
                if path.is_symlink() or not path.is_dir() or time.time() - path.stat().st_mtime < MIN_AGE_S:
                    continue
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its process is alive
                os.close(fd)
                continue
            held.append((path, fd))
        yield [path for path, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)
