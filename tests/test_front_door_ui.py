"""`python -m odoosh_assets.cli ui`, the end of `./dev demo`, with a small HTTP server standing in
for `dagster dev` (which takes 40 s to start): the URLs are printed once it answers, Ctrl-C
stops it, `down` stops one whose foreground was killed; nothing is left running."""

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from odoosh import process
from odoosh.sandbox import teardown
from tests.test_front_door import REPO, clean_env, cli

pytestmark = pytest.mark.servers

FAKE_UI = """\
import http.server, sys, time
time.sleep(float(sys.argv[2]))  # like dagster dev, it takes a while before it answers
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"fake Dagster UI"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


class Foreground:
    """The `ui` command in the foreground, its output read line by line from the raw pipe: a
    buffered reader could hold lines that arrived together where `select` no longer sees them."""

    LOADED = 180  # seconds: a loaded 2-core machine is slow

    def __init__(self, state, port, command):
        code = (
            "import faulthandler, signal, sys\nfaulthandler.register(signal.SIGUSR1)\n"  # where it hangs, if it does
            "from odoosh_assets import cli\n"
            f"cli.COMMANDS['ui'] = lambda: cli.ui({command!r})\nsys.exit(cli.main(['ui']))"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=clean_env(state, ODOOSH_UI_PORT=str(port)),
        )
        self.lines, self._partial = [], b""

    def _read(self, deadline: float) -> bool:
        """Take what the pipe has into `lines`; False at its end or at the deadline."""
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], max(0, deadline - time.monotonic()))[0]:
            return False
        chunk = os.read(fd, 65536)
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        self.lines += [line.decode(errors="replace") for line in complete]
        if not chunk and self._partial:  # the pipe's end: its last line had no newline
            self.lines.append(self._partial.decode(errors="replace"))
            self._partial = b""
        return bool(chunk)

    def read_until(self, prefix: str, timeout: float = LOADED) -> str:
        deadline, seen = time.monotonic() + timeout, 0
        while True:
            for line in self.lines[seen:]:
                if line.startswith(prefix):
                    return line
            seen = len(self.lines)
            if not self._read(deadline):
                raise AssertionError(f"no line starting with {prefix!r} in:\n" + self._output())

    def rest(self, timeout: float = LOADED) -> tuple[int, list[str]]:
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        try:
            return self.proc.wait(timeout=max(0, deadline - time.monotonic())), self.lines
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout:g} s:\n" + self._output()) from None

    def _output(self) -> str:
        """Its output so far and, if it still runs, the stacks of its threads."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self._read(deadline):
                pass
        return "\n".join(self.lines)


@contextlib.contextmanager
def foreground_ui(state, port, delay: float = 1.5, command=None):
    fg = Foreground(state, port, command or [sys.executable, "-c", FAKE_UI, str(port), str(delay)])
    seen = set()
    try:
        yield fg, seen
    finally:
        if fg.proc.poll() is None:
            fg.proc.kill()
        fg.proc.communicate()
        for pid in seen:  # the fake UI, if a failed test left it running
            if process.start_time(pid) is not None:
                os.killpg(pid, signal.SIGKILL)


def answer(url: str) -> str:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as response:
        return response.read().decode()


def test_ui_prints_its_urls_once_it_answers_and_ctrl_c_stops_it(tmp_path):
    state, port = tmp_path / "state", process.free_port()
    with foreground_ui(state, port) as (fg, seen):
        line = fg.read_until("Dagster UI:")
        url = line.split(": ", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}"
        assert answer(url) == "fake Dagster UI"  # it answered before its URL was printed
        assert not any(url in earlier for earlier in fg.lines[:-1])
        ui = teardown.running_ui(state)
        assert ui is not None and ui["url"] == url
        seen.add(ui["pid"])

        fg.proc.send_signal(signal.SIGINT)  # Ctrl-C
        code, lines = fg.rest()
        assert code == 0, lines
        assert process.start_time(ui["pid"]) is None
        assert not (state / teardown.UI_RECORD).exists()
        assert not process.port_in_use("127.0.0.1", port)


def test_ctrl_c_while_the_ui_starts_stops_it(tmp_path):
    state, port = tmp_path / "state", process.free_port()
    with foreground_ui(state, port, delay=600) as (fg, seen):
        fg.read_until("starting the Dagster UI")
        ui = teardown.running_ui(state)
        assert ui is not None
        seen.add(ui["pid"])
        fg.proc.send_signal(signal.SIGINT)
        code, lines = fg.rest()
        assert code == 0, lines
        assert not any(line.startswith("Dagster UI:") for line in lines)
        assert process.start_time(ui["pid"]) is None
        assert not (state / teardown.UI_RECORD).exists()


def test_down_stops_a_ui_whose_foreground_was_killed(tmp_path):
    state, port = tmp_path / "state", process.free_port()
    with foreground_ui(state, port, delay=0) as (fg, seen):
        url = fg.read_until("Dagster UI:").split(": ", 1)[1].strip()
        ui = teardown.running_ui(state)
        seen.add(ui["pid"])
        fg.proc.kill()  # SIGKILL: nothing stops the UI, which runs in a session of its own
        fg.proc.wait()
        assert answer(url) == "fake Dagster UI"

        down = cli("down", state)
        assert down.returncode == 0, down.stdout
        assert f"Dagster UI (pid {ui['pid']}) stopped" in down.stdout
        assert process.start_time(ui["pid"]) is None
        assert not state.exists()
        assert not process.port_in_use("127.0.0.1", port)


def test_a_ui_that_exits_before_it_answers_is_an_error_with_its_log(tmp_path):
    state, port = tmp_path / "state", process.free_port()
    command = [sys.executable, "-c", "import sys; print('cannot load workspace.yaml'); sys.exit(3)"]
    with foreground_ui(state, port, command=command) as (fg, _):
        code, lines = fg.rest()
    assert code == 2, lines
    assert lines[-1] == f"error: The Dagster UI exited with code 3 before it could answer at http://127.0.0.1:{port}."
    assert "cannot load workspace.yaml" in lines  # what it logged
    assert not (state / teardown.UI_RECORD).exists()
