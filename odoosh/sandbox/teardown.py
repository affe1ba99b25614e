"""`./dev down`: stop every process of a sandbox and delete its state directory.

The Dagster UI that `./dev demo` starts is recorded in `<state_dir>/ui.json` (its pid, start
time and URL): `down` stops it first, so it never runs on an instance that has been deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from odoosh import process
from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres.cluster import Clusters
from odoosh.previews.proxy import PreviewProxy
from odoosh.sandbox.mail_catcher.supervisor import SandboxCatcher
from odoosh.sandbox.observability import SandboxMonitoring
from odoosh.sandbox.previews import DemoDoubles

UI_RECORD = "ui.json"
UI_STOP_TIMEOUT_S = 10


def down(state: Path) -> str:
    """Stop the sandbox in `state` (its UI first) and remove it; says what was done."""
    if not state.exists():
        return f"nothing to remove: {state} does not exist"
    done = []
    if (pid := stop_ui(state)) is not None:
        done.append(f"Dagster UI (pid {pid}) stopped")
    OdooRuntime(state).stop_all()  # previews' Odoo too: they are environments pr-<n>
    if (proxy := PreviewProxy(state)).directory.exists():
        proxy.stop(log=done.append)
    SandboxMonitoring(state).stop(log=done.append)  # before the logs and Prometheus's data go
    DemoDoubles(state).stop(log=done.append)
    SandboxCatcher(state).stop()
    for cluster in Clusters(state).all():
        cluster.destroy()
    shutil.rmtree(state)
    return "\n".join([*done, f"sandbox stopped and {state} removed"])


def record_ui(state: Path, pid: int, url: str) -> None:
    """Remember the UI server `pid` (with its start time, so a reused pid is never taken for it)."""
    record = {"pid": pid, "process_start": process.start_time(pid), "url": url}
    tmp = state / f".{UI_RECORD}.tmp"
    tmp.write_text(json.dumps(record) + "\n")
    os.replace(tmp, state / UI_RECORD)


def running_ui(state: Path) -> dict | None:
    """The record (pid, process_start, url) of the UI of `state` if that process still runs."""
    try:
        record = json.loads((state / UI_RECORD).read_text())
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    started = process.start_time(pid) if pid > 0 else None
    if started is None or started != record.get("process_start"):
        return None
    return record


def stop_ui(state: Path, timeout: float = UI_STOP_TIMEOUT_S) -> int | None:
    """Stop the recorded UI of `state` (SIGTERM to its process group, SIGKILL after `timeout`)
    and forget it; returns its pid, or None if none was running."""
    record = running_ui(state)
    if record is not None:
        process.stop(record["pid"], timeout)
    forget_ui(state)
    return record and record["pid"]


def forget_ui(state: Path, pid: int | None = None) -> None:
    """Remove the UI record (only if it names `pid`, when given)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if pid is None or json.loads((state / UI_RECORD).read_text())["pid"] == pid:
            (state / UI_RECORD).unlink()
