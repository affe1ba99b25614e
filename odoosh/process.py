"""The one place that starts, watches and stops the platform's child servers.

Servers (Odoo, the mail catcher, and every server the coming domains add) run detached: in a
session of their own, so they outlive the run that started them and a stop reaches their
workers too, with stdin closed and stdout and stderr appended to a log file. A server is
known by its pid *and* its start time, so a pid reused by an unrelated process is never taken
for it. Loopback ports are picked free and reused across restarts while they stay free.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

STOP_TIMEOUT_S = 10
KILL_WAIT_S = 5
LOG_TAIL_LINES = 20


class ProcessError(RuntimeError):
    """A server that could not be started or stopped, with what it logged."""


# --------------------------------------------------------------------------- ports


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the caller binds it soon; a race is reported by the server)."""
    with socket.socket(_family(host)) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether a listener holds the port.

    Binds with SO_REUSEADDR, as servers do, so connections of a just-stopped server lingering in
    TIME_WAIT do not count as busy. Errors other than EADDRINUSE are the server's to report.
    """
    with socket.socket(_family(host)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
        return False


def reusable_port(host: str, remembered: int | None) -> int | None:
    """The port a server had before, if it is still free: addresses stay stable across restarts."""
    return remembered if remembered and not port_in_use(host, remembered) else None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


# --------------------------------------------------------------------------- processes


def start(args: Sequence[str], log_file: Path, env: Mapping[str, str] | None = None) -> int:
    """Start `args` detached, appending its output to `log_file`; returns its pid.

    posix_spawn rather than Popen: the server outlives this process, so there is no Popen to
    keep (`exited` reaps it). The stop signals are reset to their defaults, since an inherited
    SIG_IGN would make the server deaf to `stop`. Raises OSError if `args[0]` cannot be run.
    """
    env = dict(os.environ if env is None else env)
    file_actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    executable = args[0] if os.sep in args[0] else shutil.which(args[0], path=env.get("PATH"))
    if executable is None:
        raise FileNotFoundError(errno.ENOENT, "command not found", args[0])
    return os.posix_spawn(
        executable, list(args), env, file_actions=file_actions, setsid=True, setsigdef=(signal.SIGTERM, signal.SIGINT)
    )


def start_time(pid: int) -> int | None:
    """Start time (clock ticks since boot) of a live process; None if it is gone or a zombie.

    Recorded with the pid, it tells our server from an unrelated process that reused the pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the process name may contain spaces
    return None if fields[0] in ("Z", "X") else int(fields[19])


def exited(pid: int) -> bool:
    """Whether `pid` has ended (gone or a zombie); reaps it if it is a child of this process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    if start_time(pid) is not None:
        return False
    with contextlib.suppress(ChildProcessError):  # it may have died between the two looks: reap it now
        os.waitpid(pid, os.WNOHANG)
    return True


def wait_until_ready(
    pid: int, ready: Callable[[], bool], *, timeout: float, what: str, ready_as: str, log_file: Path, log_offset: int
) -> None:
    """Wait until `ready()` is true. A server that exits first, or that is not ready within
    `timeout` (it is then killed), raises ProcessError: "<what> did not <ready_as> within ...",
    with what it logged meanwhile."""
    deadline = time.monotonic() + timeout
    while not ready():
        with contextlib.suppress(ChildProcessError):  # our child: its exit code tells why
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                raise ProcessError(
                    f"{what} exited with code {os.waitstatus_to_exitcode(status)} before it "
                    f"could {ready_as}.\n{log_tail(log_file, log_offset)}"
                )
        if exited(pid):
            raise ProcessError(f"{what} exited before it could {ready_as}.\n{log_tail(log_file, log_offset)}")
        if time.monotonic() > deadline:
            stop(pid, timeout=0)  # no SIGTERM grace: it is hung
            raise ProcessError(
                f"{what} did not {ready_as} within {timeout:g} s, so it was killed.\n{log_tail(log_file, log_offset)}"
            )
        time.sleep(0.05)


def stop(pid: int, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not ended within `timeout`
    (0: SIGKILL at once)."""
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, KILL_WAIT_S)):
        if wait <= 0:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if exited(pid):
                return
            time.sleep(0.05)
    raise ProcessError(f"Process {pid} survived SIGKILL; look at it with ps.")


def log_tail(log_file: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines written to `log_file` since `offset`."""
    try:
        with log_file.open("rb") as f:
            f.seek(offset)
            tail = f.read().decode(errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        tail = []
    return f"--- last lines of {log_file} ---\n" + ("\n".join(tail) or "(nothing logged)")


def log_size(log_file: Path) -> int:
    """Where this start's output begins in an appended log."""
    return log_file.stat().st_size if log_file.exists() else 0


# --------------------------------------------------------------------------- processes of a directory


def processes_using(path: Path) -> list[int]:
    """Live processes, other than this one, whose working directory or any argument lies in
    `path` (`/p`, `/p/x`, `--opt=/p/x`, `-D/p/x`): the servers, tools and their children that a
    run killed in `path` may have left behind. Reads /proc; root sees every process."""
    roots = {os.path.abspath(path), os.path.realpath(path)}
    in_args = re.compile("|".join(rf"(?:^|=|^-[A-Za-z]){re.escape(r)}(?:/|$)" for r in roots))
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry.name}/cwd").removesuffix(" (deleted)")
            args = Path(f"/proc/{entry.name}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone, a zombie, or not ours to read
            continue
        if any(cwd == r or cwd.startswith(r + "/") for r in roots) or any(in_args.search(a) for a in args):
            found.append(int(entry.name))
    return [pid for pid in found if start_time(pid) is not None]


def kill_processes_using(path: Path, timeout: float = KILL_WAIT_S) -> list[int]:
    """SIGKILL every process `processes_using(path)`, with the process group of each that leads
    one, until none is left (new children of a dying one included); returns their pids. Raises
    ProcessError naming those still there after `timeout`."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while pids := processes_using(path):
        if time.monotonic() > deadline:
            raise ProcessError(f"Processes {pids} using {path} survived SIGKILL; look at them with ps.")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                if pid == os.getpgid(pid) != os.getpgrp():
                    os.killpg(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
        killed.update(pids)
        time.sleep(0.05)
    return sorted(killed)
