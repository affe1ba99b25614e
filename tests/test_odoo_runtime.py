"""The environment runtime: real Odoo stand-in processes, started detached and stopped again."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from odoosh.odoo.config import read_odoo_config
from odoosh.odoo.runtime import OdooEnvironment, OdooRuntime, OdooRuntimeError, validate_environment_name
from odoosh.odoo.smoke import http_health
from odoosh.process import free_port


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def runtime(tmp_path):
    return OdooRuntime(tmp_path)


@pytest.fixture
def cleanup():
    """Register environments to stop after the test, whatever happened in it."""
    environments: list[OdooEnvironment] = []
    yield environments.append
    for env in environments:
        env.stop()


@pytest.fixture
def env(runtime, cleanup):
    environment = runtime.environment("pr-1")
    cleanup(environment)
    return environment


def test_start_runs_a_healthy_server_and_records_it(env, pg, fresh_db):
    before = datetime.now(UTC)
    env.start(pg.dsn(fresh_db), options={"smtp_port": 1025})
    assert env.is_running()
    assert http_health(env.url).passed
    state = json.loads(env.state_file.read_text())
    assert env.pid == state["pid"] == int(env.pid_file.read_text()) and alive(env.pid)
    assert state["command"] == [sys.executable, "-m", "odoosh.sandbox.standin", "-c", str(env.config_file)]
    assert before <= env.started_at <= datetime.now(UTC)
    config = read_odoo_config(env.config_file)
    assert stat.S_IMODE(env.config_file.stat().st_mode) == 0o600
    assert (config.db_name, config.smtp_port, config.logfile) == (fresh_db, 1025, str(env.log_file))
    assert env.url == f"http://127.0.0.1:{config.http_port}"


def test_start_again_with_the_same_config_is_a_no_op(env, pg, fresh_db):
    env.start(pg.dsn(fresh_db))
    state = json.loads(env.state_file.read_text())
    messages = []
    env.start(pg.dsn(fresh_db), log=messages.append)
    assert json.loads(env.state_file.read_text()) == state
    assert messages == [f"Odoo of environment 'pr-1' already runs with this config at {env.url}"]
    assert env.is_running() and http_health(env.url).passed


def test_start_with_another_config_restarts_on_the_same_port(env, pg, fresh_db):
    env.start(pg.dsn(fresh_db))
    first = json.loads(env.state_file.read_text())
    env.start(pg.dsn(fresh_db), options={"smtp_port": 2525})
    second = json.loads(env.state_file.read_text())
    assert second["pid"] != first["pid"] and not alive(first["pid"])
    assert second["url"] == first["url"] and http_health(env.url).passed
    assert read_odoo_config(env.config_file).smtp_port == 2525
    assert read_odoo_config(env.config_file).admin_passwd, "the master password is kept across restarts"


def test_stop_leaves_no_process(env, pg, fresh_db):
    env.start(pg.dsn(fresh_db))
    pid = env.pid
    env.stop()
    assert not alive(pid) and not env.is_running() and env.pid is None and not env.pid_file.exists()
    assert not http_health(env.url).passed
    assert env.log_file.read_text().splitlines()[-1].endswith("Stopping gracefully ")
    env.stop()  # stopping a stopped environment is a no-op


def test_start_repairs_a_dead_pid_file(env, pg, fresh_db):
    env.start(pg.dsn(fresh_db))
    dead = json.loads(env.state_file.read_text())["pid"]
    os.killpg(dead, signal.SIGKILL)  # a crash: the state still names the dead process
    os.waitpid(dead, 0)
    assert not env.is_running()
    env.start(pg.dsn(fresh_db))
    assert env.is_running() and http_health(env.url).passed
    assert int(env.pid_file.read_text()) != dead


def test_environment_survives_the_process_that_started_it(runtime, cleanup, pg, fresh_db):
    starter = (
        "from pathlib import Path; from odoosh.odoo.runtime import OdooRuntime; "
        f"OdooRuntime(Path({str(runtime.state_dir)!r})).environment('detached')"
        f".start({pg.dsn(fresh_db)!r})"
    )
    env = runtime.environment("detached")
    cleanup(env)
    subprocess.run([sys.executable, "-c", starter], check=True, timeout=60)
    assert env.is_running() and http_health(env.url).passed


def test_stop_all_stops_every_environment(runtime, cleanup, pg, fresh_db):
    environments = [runtime.environment(name) for name in ("staging", "pr-7")]
    for env in environments:
        cleanup(env)
        env.start(pg.dsn(fresh_db))
    pids = [env.pid for env in environments]
    runtime.stop_all()
    assert not any(map(alive, pids)) and not any(env.is_running() for env in environments)


def test_busy_port_is_a_clear_error(env, pg, fresh_db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        expected = f"Port {port} on 127.0.0.1 is already in use.*another http_port"
        with pytest.raises(OdooRuntimeError, match=expected):
            replace(env, http_port=port).start(pg.dsn(fresh_db))
    assert not env.is_running() and not env.pid_file.exists()


def test_a_server_that_never_answers_is_killed(runtime, cleanup, tmp_path, pg, fresh_db):
    hang = [sys.executable, "-c", "import os, time; print('booting', os.getpid(), flush=True); time.sleep(60)"]
    env = replace(runtime.environment("hang"), command=hang, start_timeout=1)
    cleanup(env)
    expected = r"did not answer at .*/web/health within 1 s(.|\n)*booting"
    with pytest.raises(OdooRuntimeError, match=expected) as error:
        env.start(pg.dsn(fresh_db))
    pid = int(str(error.value).split("booting ")[1].split()[0])
    assert not alive(pid) and not env.is_running()


def test_a_server_that_exits_is_reported_with_its_log(runtime, cleanup, pg, fresh_db):
    crash = [sys.executable, "-c", "import sys; print('cannot load addons'); sys.exit(3)"]
    env = replace(runtime.environment("crash"), command=crash)
    cleanup(env)
    with pytest.raises(OdooRuntimeError, match=r"exited with code 3 (.|\n)*cannot load addons"):
        env.start(pg.dsn(fresh_db))
    assert not env.is_running()


def test_missing_command_and_managed_options_are_refused(runtime, pg, fresh_db):
    missing = OdooRuntime(runtime.state_dir, command="/opt/odoo/odoo-bin --addons-path=/opt/addons")
    env = missing.environment("x")
    assert env.command == ["/opt/odoo/odoo-bin", "--addons-path=/opt/addons"]
    with pytest.raises(OdooRuntimeError, match="Cannot run the Odoo command '/opt/odoo/odoo-bin'"):
        env.start(pg.dsn(fresh_db))
    with pytest.raises(OdooRuntimeError, match="http_port cannot be passed"):
        runtime.environment("y").start(pg.dsn(fresh_db), options={"http_port": free_port()})


@pytest.mark.parametrize("name", ["", "Staging", "-x", "pr_1", "a" * 64, "../etc"])
def test_invalid_environment_names_are_refused(runtime, name):
    with pytest.raises(OdooRuntimeError, match="Invalid environment name"):
        runtime.environment(name)


def test_valid_environment_names():
    assert validate_environment_name("pr-42") == "pr-42"
    assert validate_environment_name("a" * 63) == "a" * 63
