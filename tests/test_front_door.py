"""The front door without a sandbox: `./dev` and `python -m odoosh_assets.cli` on bad input
(a busy UI port, a state dir that is a file, a crashing build), `down` on a fresh clone and
`down` stopping the UI that `demo` recorded. Nothing here builds a sandbox or starts a server."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from odoosh import process
from odoosh.sandbox import teardown
from tests.sandbox_helpers import CONFIG_VARS

REPO = Path(__file__).resolve().parents[1]


def clean_env(state: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and k != "ODOOSH_UI_PORT"}
    return {**clean, "ODOOSH_STATE_DIR": str(state), **env}


def run(args: list[str], state: Path, cwd: Path = REPO, timeout: float = 120, **env: str):
    """Run a command with stderr merged into stdout, as a terminal shows them."""
    return subprocess.run(
        args,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        env=clean_env(state, **env),
    )


def cli(command: str, state: Path, **env: str):
    return run([sys.executable, "-m", "odoosh_assets.cli", command], state, **env)


def last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_dev_without_a_command_lists_every_command():
    result = subprocess.run([str(REPO / "dev")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    text = result.stdout + result.stderr
    assert "set -euo" not in text
    listed = [line.split()[0] for line in text.splitlines() if line.startswith("  ")]
    assert listed == ["demo", "build", "urls", "down", "test", "test", "lint"]
    assert "  test --fast " in text


@pytest.fixture
def busy_port():
    """A port something listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_demo_with_the_ui_port_taken_fails_at_once(tmp_path, busy_port):
    state = tmp_path / "state"
    started = time.monotonic()
    result = run([str(REPO / "dev"), "demo"], state, ODOOSH_UI_PORT=str(busy_port))
    elapsed = time.monotonic() - started
    assert result.returncode != 0, result.stdout
    assert elapsed < 15, f"took {elapsed:.0f} s: the port must be checked before anything is built"
    assert str(busy_port) in last_line(result) and "ODOOSH_UI_PORT" in last_line(result), result.stdout
    assert last_line(result).startswith("error: Port ")
    assert not (state / "dagster").exists() and not (state / "clusters").exists()  # nothing was built


def test_demo_tells_that_its_own_ui_holds_the_port(tmp_path):
    """A second `./dev demo` while the first one's UI runs: the message says so."""
    state = tmp_path / "state"
    state.mkdir()
    port = process.free_port()
    listener = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys, time\n"
            f"s = socket.create_server(('127.0.0.1', {port}))\nprint('ready', flush=True)\n"
            "time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert listener.stdout.readline() == "ready\n"
        teardown.record_ui(state, listener.pid, f"http://127.0.0.1:{port}")
        result = cli("preflight", state, ODOOSH_UI_PORT=str(port))
        assert result.returncode == 2
        assert f"already runs at http://127.0.0.1:{port} (pid {listener.pid})" in last_line(result)
        assert "ODOOSH_UI_PORT" in last_line(result)
    finally:
        listener.kill()
        listener.wait()


@pytest.mark.parametrize("where", ["a file", "under a file"])
@pytest.mark.parametrize("command", ["build", "down", "demo"])
def test_a_state_dir_that_cannot_be_one_is_a_one_line_error(tmp_path, command, where):
    file = tmp_path / "not-a-dir"
    file.write_text("")
    state = file if where == "a file" else file / "state"
    args = [str(REPO / "dev"), "demo"] if command == "demo" else [sys.executable, "-m", "odoosh_assets.cli", command]
    result = run(args, state, ODOOSH_UI_PORT=str(process.free_port()))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stdout
    expected = "is a file, not a directory" if where == "a file" else f"cannot be created: {file} is a file"
    assert last_line(result) == result.stdout.strip(), "one line, nothing before it"
    assert last_line(result).startswith(f"error: The state directory ODOOSH_STATE_DIR={state} {expected}")
    assert "Point ODOOSH_STATE_DIR at a directory" in last_line(result)
    assert file.is_file()


def test_a_bad_ui_port_setting_is_a_one_line_error(tmp_path):
    result = cli("preflight", tmp_path, ODOOSH_UI_PORT="3000x")
    assert result.returncode == 2
    assert last_line(result).startswith("error: ODOOSH_UI_PORT='3000x' is not a port number")


@pytest.mark.parametrize("level", ["fast", "10", "-1"])
def test_a_bad_dump_compression_is_a_one_line_error_before_the_build(tmp_path, level):
    result = cli("preflight", tmp_path, ODOOSH_DUMP_COMPRESSION=level)
    assert result.returncode == 2
    assert last_line(result) == (
        f"error: ODOOSH_DUMP_COMPRESSION={level!r} is not a gzip level: set it to 0 (no compression, "
        "the fastest; unset is 0) up to 9 (the smallest dumps, the slowest)."
    )


def test_a_build_that_crashes_exits_2_with_its_cause_last(tmp_path):
    result = cli("build", tmp_path, ODOOSH_SANDBOX_SCALE="big")
    assert result.returncode == 2, result.stdout[-3000:]
    assert last_line(result) == "error: ValueError: could not convert string to float: 'big'"
    assert "Traceback" in result.stdout  # not one of our errors: its traceback is for the bug report


def test_demo_does_not_start_the_ui_after_a_crashed_build(tmp_path):
    port = process.free_port()
    result = run(
        [str(REPO / "dev"), "demo"], tmp_path, timeout=300, ODOOSH_UI_PORT=str(port), ODOOSH_SANDBOX_SCALE="big"
    )
    assert result.returncode == 2, result.stdout[-3000:]
    assert last_line(result) == "error: ValueError: could not convert string to float: 'big'"
    assert "Dagster UI" not in result.stdout
    assert not (tmp_path / teardown.UI_RECORD).exists()
    assert not process.port_in_use("127.0.0.1", port)


@pytest.mark.skipif(shutil.which("python3") is None, reason="needs a system python3, as a fresh machine has")
def test_down_on_a_fresh_clone_installs_nothing(tmp_path):
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("odoosh", "odoosh_assets"):
        shutil.copytree(REPO / package, clone / package, ignore=ignore)
    shutil.copy2(REPO / "dev", clone / "dev")
    result = run([str(clone / "dev"), "down"], tmp_path / "state", cwd=clone, timeout=60)
    assert result.returncode == 0, result.stdout
    assert result.stdout == f"nothing to remove: {tmp_path / 'state'} does not exist\n"
    assert sorted(p.name for p in clone.iterdir()) == ["dev", "odoosh", "odoosh_assets"]  # no .venv, no .tools

    (tmp_path / "file").write_text("")
    refused = run([str(clone / "dev"), "down"], tmp_path / "file", cwd=clone, timeout=60)
    assert refused.returncode == 2
    assert last_line(refused).startswith(f"error: The state directory ODOOSH_STATE_DIR={tmp_path / 'file'} is a file")


FAKE_UI = """\
import os, signal, sys, time
def on_sigterm(signum, frame):  # note whether the state dir was still there when stopped
    open(sys.argv[2], "w").write(str(os.path.isdir(sys.argv[1])))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_sigterm)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.fixture
def fake_ui(tmp_path):
    """A long-running process in a session of its own, as `demo` starts the UI."""
    state = tmp_path / "state"
    state.mkdir()
    seen = tmp_path / "state-dir-seen-at-sigterm"
    proc = subprocess.Popen(
        [sys.executable, "-c", FAKE_UI, str(state), str(seen)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout.readline() == "ready\n"  # its SIGTERM handler is installed
        yield state, proc, seen
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_down_stops_the_recorded_ui_before_it_removes_the_state_dir(fake_ui):
    state, proc, seen = fake_ui
    teardown.record_ui(state, proc.pid, "http://127.0.0.1:3000")
    result = cli("down", state)
    assert result.returncode == 0, result.stdout
    assert f"Dagster UI (pid {proc.pid}) stopped" in result.stdout
    assert proc.wait(timeout=5) == 0  # it ended on SIGTERM...
    assert seen.read_text() == "True"  # ...while its instance still existed
    assert not state.exists()


def test_down_leaves_a_process_alone_that_only_reuses_the_recorded_pid(fake_ui):
    state, proc, seen = fake_ui
    (state / teardown.UI_RECORD).write_text(
        json.dumps({"pid": proc.pid, "process_start": process.start_time(proc.pid) - 1, "url": "http://127.0.0.1:3000"})
    )
    result = cli("down", state)
    assert result.returncode == 0, result.stdout
    assert "Dagster UI" not in result.stdout
    assert proc.poll() is None and not seen.exists()
    assert not state.exists()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
