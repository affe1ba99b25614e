"""The Odoo config file and the odoosh Odoo stand-in, run as a real process on a real database."""

import json
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from psycopg.conninfo import make_conninfo

from odoosh.odoo.config import OdooConfig, OdooConfigError, read_odoo_config, render_odoo_config, write_odoo_config
from odoosh.odoo.smoke import http_health
from odoosh.process import free_port
from tests import odoo16_tables

pytestmark = pytest.mark.servers  # the Odoo stand-in

REQUEST_LINE = re.compile(
    r"(?P<asctime>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<pid>\d+) INFO (?P<db>\S+) werkzeug: "
    r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] "
    r'"GET (?P<path>\S+) HTTP/1\.1" (?P<status>\d{3}) - (?P<queries>\d+) (?P<query_time>\d+\.\d{3}) '
    r"(?P<remaining>\d+\.\d{3})$"
)
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Standin:
    process: subprocess.Popen
    url: str
    log_file: Path

    def log_lines(self) -> list[str]:
        return self.log_file.read_text().splitlines()


def get(url: str) -> tuple[int, str, str]:
    """Status, body and final URL (after redirects) of a GET."""
    try:
        with _direct.open(url, timeout=10) as response:
            return response.status, response.read().decode(), response.url
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.url


@pytest.fixture
def launch(tmp_path):
    """Start stand-ins from configs like the runtime does; all are stopped after the test."""
    processes = []

    def launch(dsn: str, **options) -> Standin:
        n = len(processes)
        config_file = tmp_path / f"odoo{n}.conf"
        config = OdooConfig.from_dsn(dsn, http_port=free_port(), logfile=str(tmp_path / f"odoo{n}.log"), **options)
        write_odoo_config(config, config_file)
        process = subprocess.Popen(
            [sys.executable, "-m", "odoosh.sandbox.standin", "-c", str(config_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        standin = Standin(process, f"http://127.0.0.1:{config.http_port}", Path(config.logfile))
        deadline = time.monotonic() + 15
        while not http_health(standin.url).passed:
            assert process.poll() is None, f"the stand-in exited:\n{standin.log_file.read_text()}"
            assert time.monotonic() < deadline, "the stand-in did not answer within 15 s"
            time.sleep(0.05)
        return standin

    yield launch
    for process in processes:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def unreachable_dsn(pg, fresh_db):
    """The test database's DSN on a port where no PostgreSQL listens."""
    return make_conninfo(pg.dsn(fresh_db), port=free_port())


# --------------------------------------------------------------------------- config file


def test_config_renders_odoo_keys_and_reads_back(tmp_path):
    config = OdooConfig.from_dsn(
        "host=/run/pg port=5433 user=odoo password=s3cret dbname=pr-42",
        http_port=8123,
        logfile="/var/log/odoo.log",
        smtp_port=1025,
    )
    text = render_odoo_config(config)
    assert text.splitlines()[1] == "[options]"
    for line in (
        "db_host = /run/pg",
        "db_port = 5433",
        "db_user = odoo",
        "db_password = s3cret",
        "db_name = pr-42",
        r"dbfilter = ^pr\-42$",
        "list_db = False",
        "http_interface = 127.0.0.1",
        "http_port = 8123",
        "logfile = /var/log/odoo.log",
        "smtp_port = 1025",
        "without_demo = True",
        "workers = 0",
    ):
        assert line in text.splitlines()
    assert re.search(r"^admin_passwd = \S{20,}$", text, re.M), "a random master password, not 'admin'"
    assert "email_from" not in text, "unset options are left out, not written as False"
    path = tmp_path / "odoo.conf"
    write_odoo_config(config, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_odoo_config(path) == config
    assert "s3cret" not in repr(config) and config.admin_passwd not in repr(config)


def test_config_reads_odoo_saved_values(tmp_path):
    path = tmp_path / "odoo.conf"
    path.write_text(
        "[options]\ndb_name = prod\ndb_host = False\ndb_port = False\nproxy_mode = true\n"
        "addons_path = /opt/addons\nhttp_port = 8069\n"
    )
    config = read_odoo_config(path)
    assert (config.db_name, config.db_host, config.db_port, config.proxy_mode) == ("prod", None, None, True)
    path.write_text("[options]\ndb_name = prod\nhttp_port = eighty\n")
    with pytest.raises(OdooConfigError, match="http_port = 'eighty' is not an integer"):
        read_odoo_config(path)
    path.write_text("[options]\nhttp_port = 8069\n")
    with pytest.raises(OdooConfigError, match="sets no db_name"):
        read_odoo_config(path)


def test_config_refuses_what_ini_cannot_hold():
    with pytest.raises(OdooConfigError, match="db_password cannot be written"):
        render_odoo_config(OdooConfig("db", db_password="two\nlines"))
    with pytest.raises(OdooConfigError, match="sslcert"):
        OdooConfig.from_dsn("dbname=db sslcert=/x.pem")


# --------------------------------------------------------------------------- stand-in


def test_health_passes_without_the_database(launch, unreachable_dsn):
    standin = launch(unreachable_dsn)
    status, body, _ = get(standin.url + "/web/health")
    assert (status, json.loads(body)) == (200, {"status": "pass"})


def test_db_server_status_reports_the_database_like_odoo(launch, pg, fresh_db, unreachable_dsn):
    up = launch(pg.dsn(fresh_db))
    status, body, _ = get(up.url + "/web/health?db_server_status=1")
    assert (status, json.loads(body)) == (200, {"status": "pass", "db_server_status": True})

    down = launch(unreachable_dsn)
    status, body, _ = get(down.url + "/web/health?db_server_status=1")
    assert (status, json.loads(body)) == (500, {"status": "fail", "db_server_status": False})


def test_login_page_shows_the_company_name(launch, pg, fresh_db):
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
        conn.execute(
            "INSERT INTO res_company (id, name, partner_id, currency_id, layout_background) "
            "VALUES (2, 'Second', 2, 1, 'Blank'), (1, 'Müller & Söhne <GmbH>', 1, 1, 'Blank')"
        )
    standin = launch(pg.dsn(fresh_db))
    status, page, final_url = get(standin.url + "/")
    assert status == 200 and final_url == standin.url + "/web/login"
    assert "Müller &amp; Söhne &lt;GmbH&gt;" in page and "Second" not in page
    assert "odoosh Odoo stand-in" in page


def test_login_page_lists_the_addons_on_the_addons_path(launch, pg, fresh_db, tmp_path):
    first, second = tmp_path / "addons", tmp_path / "more-addons"
    manifests = {
        first / "sale_extra": "{'name': 'Sale extra', 'version': '16.0.1.2.0', 'depends': ['sale']}",
        first / "x_<img src=x onerror=alert(1)>": "{'version': '<script>alert(1)</script>'}",
        # Executed, this would create a file: the stand-in only ever parses manifests.
        first / "evil": f"__import__('pathlib').Path({str(tmp_path / 'pwned')!r}).touch() or {{'version': '1'}}",
        second / "website_theme": "{\n  'name': 'Theme',\n  'version': '16.0.3.0.0',\n}\n",
    }
    for module, manifest in manifests.items():
        module.mkdir(parents=True)
        (module / "__manifest__.py").write_text(manifest)
    (first / "not_a_module").mkdir()
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
        conn.execute(
            "INSERT INTO res_company (id, name, partner_id, currency_id, layout_background) VALUES (1, 'Co', 1, 1, 'Blank')"
        )
    standin = launch(pg.dsn(fresh_db), addons_path=f"{first},{second}")
    status, page, _ = get(standin.url + "/web/login")
    assert status == 200
    listed = re.findall(r'<span class="o_module_name">(.*?)</span> <span class="o_module_version">(.*?)</span>', page)
    assert listed == [
        ("evil", "?"),
        ("sale_extra", "16.0.1.2.0"),
        ("x_&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("website_theme", "16.0.3.0.0"),
    ]
    assert "<script>" not in page and not (tmp_path / "pwned").exists()
    # Read from disk on each request: a changed manifest shows at once.
    (first / "sale_extra" / "__manifest__.py").write_text("{'version': '16.0.2.0.0'}")
    assert '<span class="o_module_version">16.0.2.0.0</span>' in get(standin.url + "/web/login")[1]


def test_log_lines_use_odoos_format(launch, pg, fresh_db):
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
        conn.execute(
            "INSERT INTO res_company (id, name, partner_id, currency_id, layout_background) "
            "VALUES (1, 'ACME', 1, 1, 'Blank')"
        )
    standin = launch(pg.dsn(fresh_db))
    get(standin.url + "/web/login")
    get(standin.url + "/nowhere")
    lines = standin.log_lines()
    startup = r"\S+ \S+,\d{3} \d+ INFO \? odoosh\.sandbox\.standin: odoosh Odoo stand-in \(not Odoo\) starting.* "
    assert re.fullmatch(startup, lines[0]), lines[0]
    requests = {m["path"]: m for m in map(REQUEST_LINE.fullmatch, lines) if m}
    login, missing, health = requests["/web/login"], requests["/nowhere"], requests["/web/health"]
    assert (login["status"], login["queries"], login["db"]) == ("200", "1", fresh_db)
    assert (missing["status"], missing["queries"], health["queries"]) == ("404", "0", "0")
    assert int(login["pid"]) == standin.process.pid
    logged_at = datetime.strptime(login["asctime"], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - logged_at) < timedelta(minutes=1), "timestamps are UTC, as Odoo's"


def test_unreachable_database_logs_errors_and_fails_the_login_page(launch, unreachable_dsn, fresh_db):
    standin = launch(unreachable_dsn)
    status, page, _ = get(standin.url + "/web/login")
    assert status == 500 and "Internal Server Error" in page
    errors = [line for line in standin.log_lines() if " ERROR " in line]
    assert len(errors) == 2, errors
    assert f"Database '{fresh_db}' is unreachable: connection" in errors[0]
    assert "Cannot render the login page" in errors[1] and "connection" in errors[1]
    assert any(re.search(r'"GET /web/login HTTP/1.1" 500 - 0 ', line) for line in standin.log_lines())


def test_sigterm_stops_the_stand_in_cleanly(launch, pg, fresh_db):
    standin = launch(pg.dsn(fresh_db))
    standin.process.send_signal(signal.SIGTERM)
    assert standin.process.wait(5) == 0
    assert standin.log_lines()[-1].endswith("INFO ? odoosh.sandbox.standin: Stopping gracefully ")
    assert http_health(standin.url).summary == f"nothing answers at {standin.url}"
