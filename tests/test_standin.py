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
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from psycopg.conninfo import make_conninfo

from odoosh.odoo.config import OdooConfig, OdooConfigError, read_odoo_config, render_odoo_config, write_odoo_config
from odoosh.odoo.smoke import http_health
from odoosh.process import free_port
from odoosh.staging.scrub import passwords
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


# --------------------------------------------------------------------------- pages for visual checks

BUNDLE_LINK = '<link rel="stylesheet" href="/web/assets/standin.css">'
# The columns the stand-in reads, from Odoo 16's res_users and res_partner.
USERS_AND_PARTNERS = """
CREATE TABLE res_users (
    id integer NOT NULL PRIMARY KEY, login character varying NOT NULL, password character varying,
    active boolean DEFAULT true
);
CREATE TABLE res_partner (
    id integer NOT NULL PRIMARY KEY, name character varying, email character varying,
    phone character varying, street character varying, city character varying
);
"""
PASSWORD = "correct horse"


class Inputs(HTMLParser):
    """The name and value of every <input> of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input":
            self.values[attributes["name"]] = attributes.get("value") or ""


def http(method: str, url: str, session: str | None = None, **kwargs) -> httpx.Response:
    """One request, no redirects followed, no proxy, no cookie kept between calls."""
    headers = {"Cookie": f"session_id={session}"} if session else {}
    return httpx.request(method, url, headers=headers, trust_env=False, follow_redirects=False, timeout=10, **kwargs)


def submit_login(
    standin: Standin, login: str, password: str, redirect: str | None = None, **override
) -> httpx.Response:
    """Fill in and post the login form as a browser does, from the page's own hidden inputs."""
    params = {"redirect": redirect} if redirect is not None else {}
    page = http("GET", standin.url + "/web/login", params=params)
    assert page.status_code == 200
    form = Inputs(page.text).values | {"login": login, "password": password} | override
    return http("POST", standin.url + "/web/login", data={k: v for k, v in form.items() if v is not None})


def session_of(response: httpx.Response) -> str:
    cookie = response.headers["set-cookie"]
    match = re.fullmatch(r"session_id=([\w-]{40,}); HttpOnly; SameSite=Lax; Path=/", cookie)
    assert match, cookie
    return match[1]


@pytest.fixture
def contacts(pg, fresh_db):
    """A database with a company, an active and an inactive user, and partners."""
    known = passwords.pbkdf2_sha512(PASSWORD, rounds=1000)  # fast to check; the format Odoo stores
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
        conn.execute(USERS_AND_PARTNERS)
        conn.execute(
            "INSERT INTO res_company (id, name, partner_id, currency_id, layout_background) VALUES (1, 'ACME', 1, 1, 'Blank')"
        )
        conn.execute(
            "INSERT INTO res_users (id, login, password, active) VALUES (2, 'admin', %s, true), (3, 'gone', %s, false), "
            "(4, 'broken', '$pbkdf2-sha512$many$!!$??', true)",
            (known, known),
        )
        conn.execute(
            "INSERT INTO res_partner (id, name, email, phone, street, city) VALUES "
            "(7, 'Deco Addict', 'deco@example.com', '+32 555 01', 'Rue du Bois 3', 'Namur'), "
            "(3, '<script>alert(1)</script>', 'x@example.com', NULL, NULL, '<b>Liège</b>'), "
            "(5, 'Azure Interior', NULL, '+1 555 02', '4557 De Silva St', 'Fremont')"
        )
    return fresh_db


def test_asset_bundle_concatenates_the_modules_css(launch, pg, fresh_db, tmp_path):
    first, second, outside = tmp_path / "addons", tmp_path / "more-addons", tmp_path / "outside"
    files = {
        first / "b_mod" / "static/src/css/b.css": ".b { color: red; }",
        first / "b_mod" / "static/src/js/b.js": "console.log('not css')",
        first / "b_mod" / "static/src/scss/b.scss": ".not-css {}",
        first / "b_mod" / "static/description/icon.css": ".not-under-src {}",
        first / "a_mod" / "static/src/z/last.css": ".a2 {}",
        first / "a_mod" / "static/src/first.css": ".a1 { margin: 0; }",
        second / "theme" / "static/src/theme.css": "body { background: #123456; }",
        outside / "secret.css": "SECRET FILE",
        outside / "dir" / "x.css": "SECRET DIR",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for module in ("a_mod", "b_mod", "theme"):
        ((second if module == "theme" else first) / module / "__manifest__.py").write_text("{'version': '1.0'}")
    (first / "a_mod/static/src/leak.css").symlink_to(outside / "secret.css")
    (first / "a_mod/static/src/leakdir").symlink_to(outside / "dir")
    (first / "a_mod/static/src/same.css").symlink_to(first / "a_mod/static/src/first.css")  # stays inside
    (first / "no_manifest/static/src").mkdir(parents=True)
    (first / "no_manifest/static/src/x.css").write_text(".not-a-module {}")
    (second / "theme/static/src/huge.css").write_text("/" * 1_200_000)
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
    standin = launch(pg.dsn(fresh_db), addons_path=f"{first},{second}")

    response = http("GET", standin.url + "/web/assets/standin.css")
    assert response.status_code == 200 and response.headers["content-type"] == "text/css; charset=utf-8"
    css = response.text
    assert "SECRET" not in css and "not-" not in css and "console" not in css
    # huge.css is cut at CSS_MAX_BYTES: exactly 1_000_000 of its 1_200_000 slashes are left.
    assert css.replace("/" * 1_000_000, "HUGE", 1) == (
        "/* a_mod/static/src/first.css */\n.a1 { margin: 0; }\n"
        "/* a_mod/static/src/same.css */\n.a1 { margin: 0; }\n"
        "/* a_mod/static/src/z/last.css */\n.a2 {}\n"
        "/* b_mod/static/src/css/b.css */\n.b { color: red; }\n"
        "/* theme/static/src/huge.css */\nHUGE\n"
        "/* theme/static/src/theme.css */\nbody { background: #123456; }\n"
    )
    # Read per request, as a preview's rebuilt checkout changes the files under a running server.
    (first / "b_mod/static/src/css/b.css").write_text(".b { color: green; }")
    assert ".b { color: green; }" in http("GET", standin.url + "/web/assets/standin.css").text

    for path, status in (("/web/login", 200), ("/nowhere", 404)):
        page = http("GET", standin.url + path)
        assert page.status_code == status and page.text.index("</style>") < page.text.index(BUNDLE_LINK), path


def test_login_with_the_right_password_opens_a_session(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    page = http("GET", standin.url + "/web/login", params={"redirect": "/odoo/contacts/5"})
    hidden = Inputs(page.text).values
    assert hidden["redirect"] == "/odoo/contacts/5" and len(hidden["csrf_token"]) >= 40
    assert 'class="alert' not in page.text

    response = submit_login(standin, "admin", PASSWORD, "/odoo/contacts/5")
    assert (response.status_code, response.headers["location"]) == (303, "/odoo/contacts/5")
    session = session_of(response)
    view = http("GET", standin.url + "/odoo/contacts/5", session)
    assert view.status_code == 200 and '<h1 class="o_field_name">Azure Interior</h1>' in view.text
    assert session_of(submit_login(standin, "admin", PASSWORD)) != session, "a new session per login"
    assert submit_login(standin, "admin", PASSWORD).headers["location"] == "/odoo", "no redirect: Odoo's home"

    posts = [line for line in standin.log_lines() if '"POST /web/login HTTP/1.1" 303 - 1 ' in line]
    assert len(posts) == 3 and " INFO " + contacts + " werkzeug: " in posts[0], "one query: the user's hash"


def test_wrong_login_shows_odoos_message(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    # A wrong password, an unknown login, an archived user, a malformed stored hash.
    for login, password in (("admin", "wrong"), ("nobody", PASSWORD), ("gone", PASSWORD), ("broken", PASSWORD)):
        response = submit_login(standin, login, password, "/odoo/contacts")
        assert response.status_code == 200 and "set-cookie" not in response.headers, login
        assert '<p class="alert alert-danger" role="alert">Wrong login/password</p>' in response.text, login
        assert Inputs(response.text).values["redirect"] == "/odoo/contacts", "the retry keeps the redirect"


def test_login_refuses_a_missing_or_wrong_csrf_token(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    for token in (None, "", "forged-token"):
        response = submit_login(standin, "admin", PASSWORD, csrf_token=token)
        assert response.status_code == 400 and "Session expired (invalid CSRF token)" in response.text, token
        assert "set-cookie" not in response.headers
    other = launch(pg.dsn(contacts))  # each server has its own token
    token = Inputs(http("GET", other.url + "/web/login").text).values["csrf_token"]
    assert submit_login(standin, "admin", PASSWORD, csrf_token=token).status_code == 400
    too_big = http("POST", standin.url + "/web/login", data={"login": "admin", "password": "x" * 70_000})
    assert too_big.status_code == 413
    assert http("POST", standin.url + "/odoo/contacts", data={}).status_code == 405


def test_login_redirects_only_to_local_paths(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    form = Inputs(http("GET", standin.url + "/web/login").text).values | {"login": "admin", "password": PASSWORD}
    for target in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "odoo",
        "/odoo\r\nSet-Cookie: x=1",
    ):
        page = http("GET", standin.url + "/web/login", params={"redirect": target})
        assert Inputs(page.text).values["redirect"] == "/odoo", target
        posted = http("POST", standin.url + "/web/login", data=form | {"redirect": target})
        assert (posted.status_code, posted.headers["location"]) == (303, "/odoo"), target
        assert len(posted.headers.get_list("set-cookie")) == 1, "no injected header"
    local = http("POST", standin.url + "/web/login", data=form | {"redirect": "/odoo/contacts?view=list"})
    assert local.headers["location"] == "/odoo/contacts?view=list"


def test_views_redirect_to_the_login_without_a_session(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    for path in ("/odoo", "/odoo/contacts", "/odoo/contacts/5?debug=1"):
        for session in (None, "not-a-session"):
            response = http("GET", standin.url + path, session)
            assert response.status_code == 303, (path, session)
            assert response.headers["location"] == f"/web/login?redirect={quote(path, safe='')}"
    # The browser's round trip: the login page carries the path, the login returns to it.
    login_url = http("GET", standin.url + "/odoo/contacts/5?debug=1").headers["location"]
    redirect = Inputs(http("GET", standin.url + login_url).text).values["redirect"]
    assert redirect == "/odoo/contacts/5?debug=1"
    assert submit_login(standin, "admin", PASSWORD, redirect).headers["location"] == redirect


def test_contacts_list_and_form_show_the_partners_escaped(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    session = session_of(submit_login(standin, "admin", PASSWORD))
    home = http("GET", standin.url + "/odoo", session)
    assert (home.status_code, home.headers["location"]) == (303, "/odoo/contacts")

    page = http("GET", standin.url + "/odoo/contacts", session).text
    assert page.index("</style>") < page.index(BUNDLE_LINK)
    assert '<div class="o_control_panel"><h2 class="o_breadcrumb">Contacts</h2>' in page
    assert '<table class="o_list_table">' in page and "<script>" not in page
    rows = [
        '<td class="o_data_cell" name="id">3</td><td class="o_data_cell" name="name"><a href="/odoo/contacts/3">'
        '&lt;script&gt;alert(1)&lt;/script&gt;</a></td><td class="o_data_cell" name="email">x@example.com</td>'
        '<td class="o_data_cell" name="phone"></td>',
        '<a href="/odoo/contacts/5">Azure Interior</a></td><td class="o_data_cell" name="email"></td>',
        '<a href="/odoo/contacts/7">Deco Addict</a></td><td class="o_data_cell" name="email">deco@example.com',
    ]
    assert all(row in page for row in rows) and sorted(rows, key=page.index) == rows, "ordered by id"
    clock = page.split('<span class="o_standin_clock">')[1].split("</span>")[0]
    shown = datetime.strptime(clock, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - shown) < timedelta(minutes=1)
    assert '<span class="o_user_menu">admin</span>' in page

    form = http("GET", standin.url + "/odoo/contacts/3", session).text
    assert '<div class="o_form_view" data-id="3">' in form and "<script>" not in form and "<b>" not in form
    assert '<h1 class="o_field_name">&lt;script&gt;alert(1)&lt;/script&gt;</h1>' in form
    assert '<label class="o_form_label" for="city">City</label>' in form
    assert '<td class="o_field_widget" name="city" id="city">&lt;b&gt;Liège&lt;/b&gt;</td>' in form
    deco = http("GET", standin.url + "/odoo/contacts/7", session).text
    assert '<td class="o_field_widget" name="street" id="street">Rue du Bois 3</td>' in deco
    for missing in (
        "/odoo/contacts/4",
        "/odoo/contacts/x",
        "/odoo/contacts/99999999999",
        "/odoo/contacts/-3",
        "/odoo/x",
    ):
        response = http("GET", standin.url + missing, session)
        assert response.status_code == 404 and "Page not found" in response.text, missing

    lines = {m["path"]: m for m in map(REQUEST_LINE.fullmatch, standin.log_lines()) if m}
    assert (lines["/odoo/contacts"]["status"], lines["/odoo/contacts"]["queries"]) == ("200", "1")
    assert (lines["/odoo/contacts/x"]["status"], lines["/odoo/contacts/x"]["queries"]) == ("404", "0")

    with pg.connect(contacts) as conn:
        conn.execute("DROP TABLE res_partner")
    broken = http("GET", standin.url + "/odoo/contacts", session)
    assert broken.status_code == 500 and "Internal Server Error" in broken.text
    assert any(" ERROR " in line and "Cannot render /odoo/contacts" in line for line in standin.log_lines())


def test_logout_ends_the_session(launch, pg, contacts):
    standin = launch(pg.dsn(contacts))
    session = session_of(submit_login(standin, "admin", PASSWORD))
    other = session_of(submit_login(standin, "admin", PASSWORD))
    assert http("GET", standin.url + "/odoo/contacts", session).status_code == 200
    out = http("GET", standin.url + "/web/session/logout", session)
    assert (out.status_code, out.headers["location"]) == (303, "/web/login")
    assert out.headers["set-cookie"].startswith("session_id=; Max-Age=0;")
    assert http("GET", standin.url + "/odoo/contacts", session).status_code == 303
    assert http("GET", standin.url + "/odoo/contacts", other).status_code == 200, "other sessions stay open"
