"""`./dev build` and `./dev down` (python -m odoosh_assets.cli): exit codes a script can rely on."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.sandbox_helpers import CONFIG_VARS, processes_under

REPO = Path(__file__).resolve().parents[1]


def cli(command: str, state: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    return subprocess.run(
        [sys.executable, "-m", "odoosh_assets.cli", command], cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**clean, "ODOOSH_STATE_DIR": str(state), **env},
    )


def test_build_fails_on_a_failing_check_then_succeeds_and_down_cleans_up():
    state = Path(tempfile.mkdtemp(prefix="odoosh-cli-"))
    state.chmod(0o711)
    try:
        failing = cli("build", state, ODOOSH_REQUIRED_MODULES="base,not_a_module")
        assert failing.returncode == 1, failing.stdout[-2000:] + failing.stderr[-2000:]
        assert "production_environment:smoke_modules FAILED" in failing.stdout
        assert "not_a_module" in failing.stdout
        assert "sandbox build FAILED" in failing.stdout
        assert (state / "dagster" / "dagster.yaml").exists()  # the UI's instance sees the runs

        passing = cli("build", state)  # reuses what the first build made
        assert passing.returncode == 0, passing.stdout[-2000:] + passing.stderr[-2000:]
        assert "already runs with this config" in passing.stdout + passing.stderr
        assert "sandbox build succeeded" in passing.stdout
        assert "FAILED" not in passing.stdout
    finally:
        down = cli("down", state)
    assert down.returncode == 0, down.stderr
    assert not state.exists()
    assert not processes_under(state)
