"""`python -m odoosh_assets.cli build|down`: the sandbox without the UI (the `./dev` script wraps it)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from odoosh import settings
from odoosh.sandbox import teardown

BUILD_JOB = "sandbox_build"


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting into the state dir so the UI shows what `build` materialised."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.state_dir() / "dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


def build() -> int:
    """Materialise the sandbox job into the persistent instance; 1 if any step or check failed."""
    from odoosh_assets.definitions import defs  # reads the configuration: not needed by `down`

    dagster_home()
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(BUILD_JOB).execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    for evaluation in result.get_asset_check_evaluations():
        status = "passed" if evaluation.passed else "FAILED"
        print(f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} {status}"
              f" - {evaluation.description or ''}")
    for step in result.get_failed_step_keys():
        print(f"step {step} FAILED")
    for step in result.get_step_skipped_events():
        print(f"step {step.step_key} skipped (an upstream step or blocking check failed)")
    ok = result.success and not failed_checks
    print("sandbox build " + ("succeeded" if ok else "FAILED"))
    return 0 if ok else 1


def down() -> int:
    """Stop every sandbox process and remove the state directory."""
    print(teardown.down(settings.state_dir()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="odoosh", description=__doc__)
    parser.add_argument("command", choices=["build", "down"])
    args = parser.parse_args(argv)
    try:
        return {"build": build, "down": down}[args.command]()
    except RuntimeError as exc:  # our errors say what is wrong and how to fix it
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
