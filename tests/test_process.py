"""`odoosh.process.exited` leaves no zombie behind, whenever the server dies."""

import os
import subprocess
import sys
import time
from pathlib import Path

from odoosh import process


def _zombie(tmp_path: Path) -> int:
    """A child of this process that has exited and is not reaped yet."""
    pid = process.start([sys.executable, "-c", "pass"], tmp_path / "log")
    deadline = time.monotonic() + 60
    while (stat := Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split())[0] != "Z":
        assert time.monotonic() < deadline, stat
        time.sleep(0.01)
    return pid


def test_a_child_that_died_before_the_look_is_reaped(tmp_path):
    pid = _zombie(tmp_path)
    assert process.exited(pid)
    assert not Path(f"/proc/{pid}").exists()


def test_a_child_that_dies_between_the_reap_and_the_look_is_reaped(tmp_path, monkeypatch):
    """The moment the first reap finds it alive and /proc then shows it a zombie."""
    pid = _zombie(tmp_path)
    real, calls = os.waitpid, []

    def waitpid(p, options):
        calls.append(p)
        return (0, 0) if len(calls) == 1 else real(p, options)  # "still running" the first time

    monkeypatch.setattr(os, "waitpid", waitpid)
    assert process.exited(pid)
    monkeypatch.undo()
    assert len(calls) == 2
    assert not Path(f"/proc/{pid}").exists(), subprocess.run(["ps", "-o", "pid,stat", str(pid)], capture_output=True)
