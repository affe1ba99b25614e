"""What must hold in staging and in every preview after each refresh or clone: the environments file.

Odoo.sh loses such settings on every rebuild; here a YAML file (ODOOSH_ENVIRONMENTS_FILE, see
examples/environments.yaml) says, per environment (`staging`, `previews`):

- `parameters`: `ir.config_parameter` values (key: value),
- `records`: records to activate or deactivate, by XML id (`xmlid: module.name`) or by model
  and a domain (`model: ir.cron`, `domain: [[field, operator, value], ...]`, all ANDed),
- `users`: logins kept active, each with its password read from an environment variable
  (`password_env`), stored hashed as Odoo stores it,
- `sql`: a SQL file (relative to the environments file) run last, in the same transaction.

`apply` writes all of it in one transaction, after neutralisation; `verify` re-reads every line
and returns what does not hold. What a SQL file does cannot be read back, so `apply` records,
in the same transaction, the digest of the file it ran (table `odoosh.environment_sql`, the
platform's schema, never Odoo's), and `verify` proves that the file as it is now ran on this
database. The domain
language is deliberately small: a field name, one of `OPERATORS`, a value; names are checked
against the database and quoted with psycopg.sql, values are always parameters.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

from odoosh.postgres import connect
from odoosh.staging.scrub import passwords

ENVIRONMENTS = ("staging", "previews")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MODEL = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")
_XMLID = re.compile(r"[A-Za-z0-9_]+\.[A-Za-z0-9_.-]+")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = {"parameters", "records", "users", "sql"}


class EnvironmentsError(ValueError):
    """The environments file is wrong, or a line cannot be applied to this database; says which line."""


@dataclass(frozen=True)
class RecordRule:
    where: str  # the line, for messages: "staging.records[1]"
    active: bool
    xmlid: str | None = None
    model: str | None = None
    domain: tuple[tuple[str, str, Any], ...] = ()

    def describe(self) -> str:
        what = f"xml id {self.xmlid}" if self.xmlid else f"{self.model} records matching {list(map(list, self.domain))}"
        return f"{self.where} ({what} {'active' if self.active else 'inactive'})"


@dataclass(frozen=True)
class UserRule:
    where: str
    login: str
    password_env: str


@dataclass(frozen=True)
class EnvironmentSettings:
    parameters: dict[str, str] = field(default_factory=dict)
    records: tuple[RecordRule, ...] = ()
    users: tuple[UserRule, ...] = ()
    sql_file: Path | None = None

    def lines(self) -> int:
        return len(self.parameters) + len(self.records) + len(self.users) + (1 if self.sql_file else 0)


@dataclass(frozen=True)
class EnvironmentsSpec:
    source: str  # the file it was read from, for messages
    environments: dict[str, EnvironmentSettings] = field(default_factory=dict)

    def settings(self, environment: str) -> EnvironmentSettings:
        if environment not in ENVIRONMENTS:
            raise EnvironmentsError(f"unknown environment {environment!r}: use one of {', '.join(ENVIRONMENTS)}")
        return self.environments.get(environment) or EnvironmentSettings()


EMPTY = EnvironmentsSpec("(no environments file)")


def load(path: Path | str | None) -> EnvironmentsSpec:
    """The spec in `path` (EMPTY for None); EnvironmentsError naming the file and line if it is wrong."""
    if path is None:
        return EMPTY
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise EnvironmentsError(
            f"Cannot read the environments file {path} (ODOOSH_ENVIRONMENTS_FILE): {exc.strerror}."
        ) from None
    except yaml.YAMLError as exc:
        raise EnvironmentsError(f"The environments file {path} is not valid YAML: {exc}") from None
    return parse(document, str(path), base_dir=path.parent)


def parse(document: Any, source: str = "(inline)", base_dir: Path = Path()) -> EnvironmentsSpec:
    def fail(where: str, message: str) -> EnvironmentsError:
        return EnvironmentsError(f"{source}: {where}: {message}")

    if document is None:
        return EnvironmentsSpec(source)
    if not isinstance(document, dict) or not set(document) <= set(ENVIRONMENTS):
        raise fail("top level", f"expected a mapping with the keys {' and/or '.join(ENVIRONMENTS)}")
    environments = {}
    for name, body in document.items():
        body = body or {}
        if not isinstance(body, dict) or not set(body) <= _KEYS:
            unknown = sorted(set(body) - _KEYS) if isinstance(body, dict) else body
            raise fail(name, f"unknown keys {unknown}; the keys are {', '.join(sorted(_KEYS))}")
        parameters = {}
        for key, value in (body.get("parameters") or {}).items():
            if not isinstance(key, str) or not key or isinstance(value, dict | list) or value is None:
                raise fail(f"{name}.parameters.{key}", "a parameter is `key: value`, the value a string or number")
            parameters[key] = str(value)
        records = tuple(_record(fail, f"{name}.records[{i}]", item) for i, item in enumerate(body.get("records") or []))
        users = tuple(_user(fail, f"{name}.users[{i}]", item) for i, item in enumerate(body.get("users") or []))
        sql_file = None
        if body.get("sql"):
            sql_file = (base_dir / str(body["sql"])).absolute()
            if not sql_file.is_file():
                raise fail(f"{name}.sql", f"{sql_file} is not a file (the path is relative to the environments file)")
        environments[name] = EnvironmentSettings(parameters, records, users, sql_file)
    return EnvironmentsSpec(source, environments)


def _record(fail, where: str, item: Any) -> RecordRule:
    if not isinstance(item, dict) or not isinstance(item.get("active"), bool):
        raise fail(where, "a record line needs `active: true` or `active: false`, and `xmlid` or `model` + `domain`")
    extra = set(item) - {"active", "xmlid", "model", "domain"}
    if extra or ("xmlid" in item) == ("model" in item):
        raise fail(where, "give either `xmlid: module.name`, or `model: some.model` with a `domain`")
    if "xmlid" in item:
        if not isinstance(item["xmlid"], str) or not _XMLID.fullmatch(item["xmlid"]):
            raise fail(where, f"{item['xmlid']!r} is not an XML id (module.name)")
        return RecordRule(where, item["active"], xmlid=item["xmlid"])
    model, domain = item["model"], item.get("domain")
    if not isinstance(model, str) or not _MODEL.fullmatch(model):
        raise fail(where, f"{model!r} is not a model name (like res.partner)")
    if not isinstance(domain, list) or not domain:
        raise fail(where, "`domain` is a non-empty list of [field, operator, value] (use [[id, '>', 0]] for all)")
    terms = []
    for term in domain:
        if not isinstance(term, list) or len(term) != 3:
            raise fail(where, f"domain term {term!r} is not [field, operator, value]")
        name, operator, value = term
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise fail(where, f"{name!r} is not a field name (lowercase letters, digits, underscores)")
        if operator not in OPERATORS:
            raise fail(where, f"operator {operator!r} is not one of {', '.join(OPERATORS)}")
        takes_list = operator in ("in", "not in")
        if takes_list != isinstance(value, list):
            raise fail(where, f"{operator!r} takes a list of values" if takes_list else "only in/not in take a list")
        if takes_list:
            if not all(_scalar(v) for v in value):
                raise fail(where, f"{value!r}: the values are strings, numbers or booleans")
        elif not (_scalar(value) or (value is None and operator in ("=", "!="))):
            raise fail(where, f"{value!r}: a value is a string, number or boolean (null only with = and !=)")
        terms.append((name, operator, tuple(value) if isinstance(value, list) else value))
    return RecordRule(where, item["active"], model=model, domain=tuple(terms))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _user(fail, where: str, item: Any) -> UserRule:
    if not isinstance(item, dict) or set(item) != {"login", "password_env"}:
        raise fail(where, "a user line is `login: <login>` and `password_env: <environment variable>`")
    if not isinstance(item["login"], str) or not item["login"]:
        raise fail(where, "`login` is the user's login")
    if not isinstance(item["password_env"], str) or not _ENV_VAR.fullmatch(item["password_env"]):
        raise fail(where, f"{item['password_env']!r} is not an environment variable name")
    return UserRule(where, item["login"], item["password_env"])


# --------------------------------------------------------------------------- apply and verify


def apply(conn: psycopg.Connection, spec: EnvironmentsSpec, environment: str, *, secrets: bool = True) -> list[str]:
    """Make every line of `environment` hold in the database of `conn`, in one transaction;
    returns what was done. `secrets=False` (a fork's preview) skips the users, whose passwords
    are secrets. EnvironmentsError names a line that cannot be applied; nothing is then changed."""
    settings = spec.settings(environment)
    done = []
    with conn.transaction():
        for key, value in settings.parameters.items():
            updated = conn.execute("UPDATE ir_config_parameter SET value = %s WHERE key = %s", (value, key)).rowcount
            if not updated:
                conn.execute(
                    "INSERT INTO ir_config_parameter (key, value, create_date, write_date)"
                    " VALUES (%s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
                    (key, value),
                )
            done.append(f"parameter {key} set")
        for rule in settings.records:
            table, condition, params = _target(conn, spec, rule)
            query = sql.SQL("UPDATE {} SET active = %s WHERE ").format(sql.Identifier(table)) + condition
            count = conn.execute(query, (rule.active, *params)).rowcount
            done.append(f"{rule.describe()}: {count} record(s) set")
        for user in settings.users if secrets else ():
            password = _password(spec, user)
            count = conn.execute(
                "UPDATE res_users SET active = true, password = %s WHERE login = %s",
                (passwords.pbkdf2_sha512(password), user.login),
            ).rowcount
            if not count:
                raise EnvironmentsError(f"{spec.source}: {user.where}: no user has the login {user.login!r}")
            done.append(f"user {user.login} active, password from {user.password_env}")
        if settings.users and not secrets:
            done.append(f"{len(settings.users)} user line(s) skipped: this preview gets no secrets")
        if settings.sql_file:
            try:
                conn.execute(settings.sql_file.read_text())
            except psycopg.Error as exc:
                raise EnvironmentsError(
                    f"{spec.source}: {environment}.sql: {settings.sql_file} failed: {' '.join(str(exc).split())}"
                ) from None
            _record_sql_run(conn, environment, settings.sql_file)
            done.append(f"ran {settings.sql_file}")
    return done


SQL_RUNS = sql.Identifier("odoosh", "environment_sql")


def _digest(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _record_sql_run(conn: psycopg.Connection, environment: str, file: Path) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS odoosh")
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (environment text PRIMARY KEY, file text NOT NULL, "
            "sha256 text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now())"
        ).format(SQL_RUNS)
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (environment, file, sha256) VALUES (%s, %s, %s) ON CONFLICT (environment) "
            "DO UPDATE SET file = excluded.file, sha256 = excluded.sha256, ran_at = now()"
        ).format(SQL_RUNS),
        (environment, str(file), _digest(file)),
    )


def _sql_run_failure(conn: psycopg.Connection, environment: str, file: Path) -> str | None:
    """Why the SQL file as it is now cannot be shown to have run on this database, if so."""
    found = conn.execute("SELECT to_regclass('odoosh.environment_sql') IS NOT NULL").fetchone()[0]
    row = (
        conn.execute(
            sql.SQL("SELECT sha256 FROM {} WHERE environment = %s").format(SQL_RUNS), (environment,)
        ).fetchone()
        if found
        else None
    )
    if row is None:
        return f"{environment}.sql: {file} has not run on this database"
    if row[0] != _digest(file):
        return f"{environment}.sql: {file} changed since it ran on this database (the next refresh or build runs it)"
    return None


def verify(conn: psycopg.Connection, spec: EnvironmentsSpec, environment: str, *, secrets: bool = True) -> list[str]:
    """Every line of `environment` that does not hold in the database of `conn` (empty: all hold)."""
    settings = spec.settings(environment)
    failures = []
    for key, value in settings.parameters.items():
        row = conn.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,)).fetchone()
        if row is None or row[0] != value:
            failures.append(f"{environment}.parameters.{key}: expected {value!r}, found {row and row[0]!r}")
    for rule in settings.records:
        try:
            table, condition, params = _target(conn, spec, rule)
        except EnvironmentsError as exc:
            failures.append(str(exc).removeprefix(f"{spec.source}: "))
            continue
        query = sql.SQL("SELECT count(*) FROM {} WHERE active IS DISTINCT FROM %s AND (").format(sql.Identifier(table))
        wrong = conn.execute(query + condition + sql.SQL(")"), (rule.active, *params)).fetchone()[0]
        if wrong:
            failures.append(f"{rule.describe()}: {wrong} record(s) are not {'active' if rule.active else 'inactive'}")
    for user in settings.users if secrets else ():
        row = conn.execute("SELECT active, password FROM res_users WHERE login = %s", (user.login,)).fetchone()
        if row is None:
            failures.append(f"{user.where}: no user has the login {user.login!r}")
        elif not row[0]:
            failures.append(f"{user.where}: user {user.login!r} is not active")
        elif not (password := os.environ.get(user.password_env)) or not passwords.verify(password, row[1] or ""):
            failures.append(f"{user.where}: the password of {user.login!r} is not the one in {user.password_env}")
    if settings.sql_file and (failure := _sql_run_failure(conn, environment, settings.sql_file)):
        failures.append(failure)
    return failures


def password_of(spec: EnvironmentsSpec, environment: str, login: str, *, secrets: bool = True) -> str | None:
    """The password the file gives `login` in `environment`; None when it gives none (or, for
    a fork's preview, `secrets=False`, whose users are not applied)."""
    if not secrets:
        return None
    user = next((u for u in spec.settings(environment).users if u.login == login), None)
    return _password(spec, user) if user else None


def _password(spec: EnvironmentsSpec, user: UserRule) -> str:
    password = os.environ.get(user.password_env)
    if not password:
        raise EnvironmentsError(
            f"{spec.source}: {user.where}: {user.password_env} is unset or empty; set it to the password of "
            f"{user.login!r} in the environment the platform runs in."
        )
    return password


def _target(conn: psycopg.Connection, spec: EnvironmentsSpec, rule: RecordRule) -> tuple[str, sql.Composable, tuple]:
    """The table and the condition (with its parameters) that select the rule's records."""
    if rule.xmlid:
        module, _, name = rule.xmlid.partition(".")
        row = conn.execute(
            "SELECT model, res_id FROM ir_model_data WHERE module = %s AND name = %s", (module, name)
        ).fetchone()
        if row is None:
            raise EnvironmentsError(f"{spec.source}: {rule.where}: no record has the XML id {rule.xmlid}")
        table = row[0].replace(".", "_")
        _columns(conn, spec, rule, table, ["active"])
        return table, sql.SQL("id = %s"), (row[1],)
    table = rule.model.replace(".", "_")
    _columns(conn, spec, rule, table, ["active", *(name for name, _, _ in rule.domain)])
    parts, params = [], []
    for name, operator, value in rule.domain:
        column = sql.Identifier(name)
        if value is None:
            parts.append(sql.SQL("{} IS NULL" if operator == "=" else "{} IS NOT NULL").format(column))
        elif operator in ("in", "not in"):
            negate = "NOT " if operator == "not in" else ""
            parts.append(sql.SQL(negate + "({} = ANY(%s))").format(column))
            params.append(list(value))
        elif operator == "!=":
            parts.append(sql.SQL("{} IS DISTINCT FROM %s").format(column))  # Odoo's != includes NULLs
            params.append(value)
        else:
            parts.append(sql.SQL("{} {} %s").format(column, sql.SQL(operator.upper())))
            params.append(value)
    return table, sql.SQL(" AND ").join(parts), tuple(params)


def _columns(conn: psycopg.Connection, spec: EnvironmentsSpec, rule: RecordRule, table: str, names: list[str]) -> None:
    found = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }
    if not found:
        raise EnvironmentsError(f"{spec.source}: {rule.where}: this database has no table {table}")
    if missing := [n for n in names if n not in found]:
        raise EnvironmentsError(f"{spec.source}: {rule.where}: table {table} has no column {', '.join(missing)}")


def apply_to(dsn: str, spec: EnvironmentsSpec, environment: str, *, secrets: bool = True) -> list[str]:
    """`apply` on the database at `dsn` (connected with the platform's timeouts)."""
    with connect(dsn) as conn:
        return apply(conn, spec, environment, secrets=secrets)


def verify_at(dsn: str, spec: EnvironmentsSpec, environment: str, *, secrets: bool = True) -> list[str]:
    """`verify` on the database at `dsn`."""
    with connect(dsn) as conn:
        return verify(conn, spec, environment, secrets=secrets)
