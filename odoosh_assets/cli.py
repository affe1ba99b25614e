"""`python -m odoosh_assets.cli COMMAND`: the sandbox's front door (the `./dev` script wraps it).

    build      materialise the sandbox job into the persistent instance, without the UI
    down       stop the sandbox's processes (the UI first) and remove its state directory
    preflight  what `./dev demo` checks before it builds: the state dir and the UI port
    ui         start the Dagster UI, print the URLs once it answers, stop it on Ctrl-C
    urls       the URLs of the UI, production's and staging's Odoo, the mail catcher, the previews,
               the metrics exporter, Prometheus and Alertmanager
    state-dir  print the state directory (runs without the project's environment)

Exit codes: 0 done; 1 the build ran and a step or check FAILED; 2 an error (bad configuration,
a crash), with its cause as the last line. Only the standard library and odoosh's settings and
process helpers are imported up front: `state-dir` runs on a fresh clone, before `.venv` exists.
"""

from __future__ import annotations

import argparse
import builtins
import os
import re
import signal
import sys
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from odoosh import process, settings

BUILD_JOB = "sandbox_build"
UI_HOST = "127.0.0.1"
UI_START_TIMEOUT_S = 300  # `dagster dev` takes about 40 s on a 2-core machine
UI_LOG = "ui.log"
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting into the state dir so the UI shows what `build` materialised."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.state_dir() / "dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return home


# --------------------------------------------------------------------------- build


def build() -> int:
    """Materialise the sandbox job into the persistent instance; 1 if any step or check failed."""
    state = settings.ensure_state_dir()
    dagster_home()
    import dagster as dg

    from odoosh_assets.definitions import defs, make_definitions  # reads the configuration: not needed by `down`

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(BUILD_JOB).execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        demo_previews(state)  # only now: a configuration that crashes the build starts nothing
        start_monitoring(state)
        previews = []
        if os.environ.get("ODOOSH_GITHUB_REPOSITORY"):
            definitions = make_definitions()
            # main's look first: the previews' visual gate compares with it
            previews.append(
                definitions.resolve_job_def("visual_baselines").execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                )
            )
            previews += build_previews(definitions, instance)
    return report(result, *previews)


def demo_previews(state: Path, start: bool = True) -> None:
    """With ODOOSH_GITHUB_API_URL and ODOOSH_GITHUB_REPOSITORY unset, point the platform at the
    demo's own GitHub double (started if needed; with `start=False` only if it runs), and at its
    DNS double unless ODOOSH_DO_API_URL, ODOOSH_DO_TOKEN and ODOOSH_DNS_ZONE are set: configured
    settings win."""
    github = ("ODOOSH_GITHUB_API_URL", "ODOOSH_GITHUB_REPOSITORY")
    if any(os.environ.get(name) for name in github):
        return
    from odoosh.sandbox.previews import DemoDoubles

    doubles = DemoDoubles(state)
    demo = doubles.ensure_running(log=print) if start else doubles.environment()
    dns_configured = any(os.environ.get(n) for n in ("ODOOSH_DO_API_URL", "ODOOSH_DO_TOKEN", "ODOOSH_DNS_ZONE"))
    for name, value in demo.items():
        if name.startswith("ODOOSH_GITHUB_") or not dns_configured:
            os.environ[name] = value


def start_monitoring(state: Path) -> None:
    """The metrics exporter of the environments' logs, Prometheus scraping it and Alertmanager
    (posting to ODOOSH_ALERT_WEBHOOK_URL when set); prints where alerts go."""
    from odoosh.sandbox.observability import SandboxMonitoring

    monitoring = SandboxMonitoring(state).start()
    print(f"monitoring: Prometheus at {monitoring.prometheus_url}, alerts to {monitoring.where}")


def build_previews(defs, instance) -> list:
    """One tick of the pull request sensor, as the daemon would run it, and the runs it asks for
    (the demo PR's preview), executed here; prints each preview's URL."""
    import dagster as dg

    from sensors.previews import PREVIEWS, SENSOR_NAME, TAG_PR

    sensor = next(s for s in defs.sensors if s.name == SENSOR_NAME)
    context = dg.build_sensor_context(instance_ref=instance.get_ref(), definitions=defs)
    tick = sensor.evaluate_tick(context)
    for request in tick.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(PREVIEWS.name, list(request.partition_keys))
    if not tick.run_requests:
        print(f"previews: nothing to build ({tick.skip_message or 'no open pull request'})")
    results = []
    for request in tick.run_requests:
        tags = {k: v for k, v in request.tags.items() if not k.startswith("dagster/")}
        results.append(
            defs.resolve_job_def(request.job_name).execute_in_process(
                instance=instance,
                partition_key=request.partition_key,
                tags=tags,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            )
        )
        for materialization in results[-1].get_asset_materialization_events():
            url = materialization.materialization.metadata.get("url")
            if materialization.asset_key.to_user_string() == "preview_environment" and url is not None:
                print(f"preview {request.partition_key}: {url.value}")
        _print_comment(int(request.tags[TAG_PR]))
    return results


def _print_comment(number: int) -> None:
    """The preview's comment on the PR, as GitHub (or the demo's double) holds it."""
    from odoosh.previews.comment import MARKER
    from odoosh.previews.github import GitHubClient, GitHubError, GitHubSettings

    try:
        with GitHubClient(GitHubSettings.from_env()) as github:
            body = next((c["body"] for c in github.comments(number) if MARKER in c["body"]), None)
    except GitHubError as exc:
        body = f"(cannot read it: {exc.reason})"
    repository = os.environ["ODOOSH_GITHUB_REPOSITORY"]
    print(f"the comment on {repository}#{number}:\n    " + (body or "(none)").strip().replace("\n", "\n    "))


def report(*results) -> int:
    """Print every check, the skipped steps, then each failure with its cause; the last line
    is `sandbox build succeeded`, or `sandbox build FAILED: <the first cause>`. 0 or 1."""
    import dagster as dg

    for result in results:
        for evaluation in result.get_asset_check_evaluations():
            status = "passed" if evaluation.passed else "FAILED"
            print(f"check {_check_name(evaluation)} {status} - {evaluation.description or ''}")
        for event in result.get_step_skipped_events():
            print(f"step {event.step_key} skipped (an upstream step or blocking check failed)")
    causes = []  # (what failed, why), in the order they happened
    for event in (event for result in results for event in result.all_events):
        if event.is_step_failure:
            causes.append((f"step {event.step_key}", _error_message(event.step_failure_data.error)))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            evaluation = event.event_specific_data
            causes.append((f"check {_check_name(evaluation)}", evaluation.description or "(no description)"))
        elif event.is_run_failure and not causes and (error := event.job_failure_data.error):
            causes.append(("run", _error_message(error)))
    for what, why in causes:
        print(f"{what} FAILED: " + why.replace("\n", "\n    "))
    if all(result.success for result in results) and not causes:
        print("sandbox build succeeded")
        return 0
    first = causes[0][1].splitlines()[0] if causes else "see the messages above"
    print(f"sandbox build FAILED: {first}")
    return 1


def _check_name(evaluation) -> str:
    return f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"


def _error_message(error) -> str:
    """The message of the exception that failed a step, without Dagster's wrappers nor the
    exception's class (kept for built-in exceptions, whose message alone says little)."""
    while error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        error = error.cause
    message = error.message.strip()
    if error.cls_name and not hasattr(builtins, error.cls_name):
        message = re.sub(rf"^(?:[\w.]+\.)?{re.escape(error.cls_name)}: ", "", message)
    return message or error.cls_name or "unknown error"


# --------------------------------------------------------------------------- down, preflight, urls


def down() -> int:
    """Stop every sandbox process, the UI first, and remove the state directory."""
    from odoosh.sandbox import teardown

    print(teardown.down(settings.state_dir()))
    return 0


def preflight() -> int:
    """What `./dev demo` checks before building: a usable state dir, a free UI port, and a
    dump compression that the staging refresh can use."""
    check_ui_port(settings.ensure_state_dir(), settings.ui_port())
    settings.dump_compression()
    return 0


def check_ui_port(state: Path, port: int) -> None:
    """SettingsError naming the port and ODOOSH_UI_PORT if the UI could not listen on `port`."""
    if not process.port_in_use(UI_HOST, port):
        return
    from odoosh.sandbox import teardown

    if (running := teardown.running_ui(state)) and running["url"].endswith(f":{port}"):
        raise settings.SettingsError(
            f"The Dagster UI of this sandbox already runs at {running['url']} (pid {running['pid']}), on port {port} "
            "(ODOOSH_UI_PORT): open it, or stop it (Ctrl-C where it runs, or './dev down') before starting another."
        )
    spare = next((p for p in range(port + 1, min(port + 100, 65536)) if not process.port_in_use(UI_HOST, p)), None)
    example = f" (for example ODOOSH_UI_PORT={spare} ./dev demo)" if spare else ""
    raise settings.SettingsError(
        f"Port {port} on {UI_HOST} is already in use by another process, so the Dagster UI cannot listen there: "
        f"stop that process, or set ODOOSH_UI_PORT to a free port{example}."
    )


def urls() -> int:
    """Print where the UI, production's and staging's Odoo, the mail catcher, the previews and the
    monitoring answer, and where the sandbox CA that signs the previews' certificates is."""
    for line in url_lines(settings.state_dir()):
        print(line)
    return 0


def url_lines(state: Path) -> list[str]:
    """`name: URL` lines, `(not running)` appended to those whose server is not running."""
    from odoosh.odoo.runtime import OdooRuntime
    from odoosh.previews.proxy import PreviewProxy, sandbox_ca
    from odoosh.sandbox import teardown
    from odoosh.sandbox.mail_catcher.server import PID_FILE, PORTS_FILE
    from odoosh.sandbox.observability import SandboxMonitoring

    rows = []
    if ui := teardown.running_ui(state):
        rows.append(("Dagster UI", ui["url"], ""))
    else:
        rows.append(("Dagster UI", f"http://{UI_HOST}:{settings.ui_port()}", "  (not running: './dev demo' starts it)"))
    runtime = OdooRuntime(state)
    for name in ("production", "staging"):
        environment = runtime.environment(name)
        if url := environment.url:
            rows.append((f"{name} Odoo", f"{url}/web/login", "" if environment.is_running() else "  (not running)"))
    if api_url := os.environ.get("ODOOSH_MAIL_API_URL"):
        rows.append(("mail catcher", api_url, ""))
    elif ports := _read_json(state / "mail" / PORTS_FILE):
        host = ports["smtp_host"]
        url = f"http://{f'[{host}]' if ':' in host else host}:{ports['http_port']}"
        pid = _read_int(state / "mail" / PID_FILE)
        rows.append(("mail catcher", url, "" if pid and process.start_time(pid) else "  (not running)"))
    proxy = PreviewProxy(state)
    for name, route in sorted(proxy.routes().items()):
        running = runtime.environment(name).is_running() and proxy.is_running()
        rows.append((f"preview {name}", proxy.url(route.hosts[-1]), "" if running else "  (not running)"))
    rows.extend(SandboxMonitoring(state).url_rows())
    if (ca := sandbox_ca(state).cert).exists():
        rows.append(("sandbox CA", str(ca), "  (trust it for the previews' HTTPS)"))
    width = max(len(name) for name, _, _ in rows) + 2
    return [f"{name + ':':<{width}}{url}{note}" for name, url, note in rows]


def _read_json(path: Path) -> dict | None:
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- ui


class _Stopped(Exception):
    """Ctrl-C, SIGTERM or SIGHUP reached the foreground `ui` command."""


def _raise_stopped(signum, frame):
    raise _Stopped


def ui(command: list[str] | None = None) -> int:
    """Start the Dagster UI detached (recorded in the state dir, so `down` stops it), print the
    URLs once it answers HTTP, and stay in the foreground until Ctrl-C, which stops it.
    `command` replaces `dagster dev` (tests give a small HTTP server)."""
    from odoosh.sandbox import teardown

    state = settings.ensure_state_dir()
    port = settings.ui_port()
    check_ui_port(state, port)
    dagster_home()
    demo_previews(state, start=False)  # the daemon's pull request sensor polls the build's GitHub double
    url = f"http://{UI_HOST}:{port}"
    command = command or [
        str(Path(sys.executable).parent / "dagster"),
        "dev",
        "-w",
        str(WORKSPACE),
        "-h",
        UI_HOST,
        "-p",
        str(port),
    ]
    log_file = state / UI_LOG
    log_start = process.log_size(log_file)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stopped)
    pid = None
    try:
        try:
            pid = process.start(command, log_file)
        except OSError as exc:
            raise process.ProcessError(
                f"Cannot run the Dagster UI {command[0]!r}: {exc.strerror}. Run ./dev demo, which installs it."
            ) from None
        teardown.record_ui(state, pid, url)
        print(f"starting the Dagster UI; this takes a minute on a small machine (its log: {log_file})", flush=True)
        process.wait_until_ready(
            pid,
            lambda: _answers(url),
            timeout=UI_START_TIMEOUT_S,
            what="The Dagster UI",
            ready_as=f"answer at {url}",
            log_file=log_file,
            log_offset=log_start,
        )
        print("The Dagster UI answers. Ctrl-C stops it; './dev down' stops everything and removes the sandbox.")
        print("\n".join(url_lines(state)), flush=True)
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:  # reaped meanwhile
            code = 0
        if code > 0:
            raise process.ProcessError(
                f"The Dagster UI exited with code {code}.\n{process.log_tail(log_file, log_start)}"
            )
        print("the Dagster UI stopped")
        return 0
    except _Stopped:
        print("stopping the Dagster UI", flush=True)
        return 0
    finally:
        for signum in STOP_SIGNALS:  # a second Ctrl-C must not interrupt the stop
            signal.signal(signum, signal.SIG_IGN)
        if pid is not None:
            if not process.exited(pid):
                process.stop(pid, teardown.UI_STOP_TIMEOUT_S)
            teardown.forget_ui(state, pid)


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` (any status below 500)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- main


def print_state_dir() -> int:
    print(settings.state_dir())
    return 0


COMMANDS = {"build": build, "down": down, "preflight": preflight, "ui": ui, "urls": urls, "state-dir": print_state_dir}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="odoosh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=list(COMMANDS))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command]()
    except RuntimeError as exc:  # our errors say what is wrong and how to fix it
        return fail(str(exc))
    except Exception as exc:  # a crash: its traceback for the bug report, then its cause
        traceback.print_exc()
        return fail(f"{type(exc).__name__}: {exc}")


def fail(message: str) -> int:
    """Print an error with its first line last (`error: ...`), after any detail; returns 2."""
    first, _, details = message.strip().partition("\n")
    sys.stdout.flush()
    if details:
        print(details, file=sys.stderr)
    print(f"error: {first}", file=sys.stderr, flush=True)
    return 2


if __name__ == "__main__":
    sys.exit(main())
