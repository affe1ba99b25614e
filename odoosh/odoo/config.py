"""Odoo configuration files (`odoo-bin -c odoo.conf`): render one from `OdooConfig`, read one back.

The platform drives Odoo only through this file, its HTTP port and its database, so the same
file runs real Odoo and the stand-in (`odoosh.sandbox.standin`). Key names and value syntax follow
Odoo's `odoo/tools/config.py` (12.0 to 19.0): one `[options]` section read with
RawConfigParser, booleans as True/False. Unset values are left out instead of being written as
`False`: every version falls back to its default for a missing key, while Odoo 19 skips (and
warns about) `False` on non-boolean options. The file holds the database and master passwords,
so it is written with mode 600.
"""

from __future__ import annotations

import configparser
import os
import re
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import get_args, get_type_hints

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# libpq DSN parameter -> Odoo option; Odoo's config file cannot express any other parameter.
_DSN_OPTIONS = {
    "host": "db_host",
    "port": "db_port",
    "user": "db_user",
    "password": "db_password",
    "dbname": "db_name",
    "sslmode": "db_sslmode",
}
_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True, "0": False, "no": False, "false": False, "off": False}
_UNSET = ("", "False", "None")  # how Odoo's own `--save` wrote unset options before 19.0


class OdooConfigError(ValueError):
    """An Odoo config that cannot be written or read, phrased as what is wrong with it."""


@dataclass(frozen=True)
class OdooConfig:
    """The Odoo options the platform sets. Defaults are Odoo's, except where noted."""

    db_name: str
    db_host: str | None = None  # None: libpq's default, the local Unix socket
    db_port: int | None = None
    db_user: str | None = None
    db_password: str | None = field(default=None, repr=False)
    db_sslmode: str | None = None
    # Master password of the database manager. Odoo's default is "admin" and list_db=False does
    # not close the dump/drop RPCs, so every environment gets a random one unless given.
    admin_passwd: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    http_interface: str = "127.0.0.1"  # Odoo: all interfaces; environments sit behind a proxy
    http_port: int = 8069
    proxy_mode: bool = False
    list_db: bool = False  # Odoo: True; one database per environment, no database selector
    logfile: str | None = None  # None: log to stderr
    log_level: str = "info"
    data_dir: str | None = None
    smtp_server: str = "localhost"
    smtp_port: int = 25
    smtp_ssl: bool = False
    email_from: str | None = None
    workers: int = 0
    max_cron_threads: int = 2
    without_demo: bool = True  # Odoo <19: False; 19 reads it as with_demo=False, its default
    addons_path: str | None = None  # comma-separated directories; None: Odoo's own addons only

    @classmethod
    def from_dsn(cls, dsn: str, **options) -> OdooConfig:
        """The config of an Odoo connecting to the database of a libpq DSN."""
        try:
            params = conninfo_to_dict(dsn)
        except ProgrammingError as exc:
            raise OdooConfigError(f"Not a valid PostgreSQL connection string: {exc}") from None
        unsupported = sorted(set(params) - set(_DSN_OPTIONS))
        if unsupported:
            raise OdooConfigError(
                f"Odoo's config file cannot express the DSN parameter(s) {', '.join(unsupported)}; "
                f"use only {', '.join(_DSN_OPTIONS)}."
            )
        if "dbname" not in params:
            raise OdooConfigError("The DSN names no database (dbname); Odoo needs one.")
        db = {_DSN_OPTIONS[key]: value for key, value in params.items()}
        if "db_port" in db:
            db["db_port"] = int(db["db_port"])
        return cls(**db, **options)

    def dsn(self, dbname: str | None = None) -> str:
        """libpq DSN of the configured database (or of `dbname` on the same server)."""
        params = {
            "host": self.db_host,
            "port": self.db_port,
            "user": self.db_user,
            "password": self.db_password,
            "dbname": dbname or self.db_name,
            "sslmode": self.db_sslmode,
        }
        return make_conninfo(**{key: value for key, value in params.items() if value is not None})


def render_odoo_config(config: OdooConfig) -> str:
    """The config file's text; `dbfilter` pins the web client to the configured database."""
    options = {f.name: getattr(config, f.name) for f in fields(config)}
    options["dbfilter"] = f"^{re.escape(config.db_name)}$"
    lines = ["; written by odoosh (odoosh/odoo_config.py): edits are lost on the next start", "[options]"]
    for key, value in options.items():
        if value is None:
            continue
        text = str(value)
        if text != text.strip() or "\n" in text or "\r" in text:
            raise OdooConfigError(
                f"{key} cannot be written to an Odoo config file: INI values cannot hold line "
                "breaks or leading/trailing spaces."
            )
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def write_odoo_config(config: OdooConfig, path: Path) -> None:
    """Write the config atomically, readable by its owner only (it may hold passwords)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when a leftover temp file had another mode
    with os.fdopen(fd, "w") as file:
        file.write(render_odoo_config(config))
    os.replace(tmp, path)


def read_odoo_config(path: Path | str) -> OdooConfig:
    """Read an Odoo config file; options the platform does not set are ignored."""
    parser = configparser.RawConfigParser()
    try:
        if not parser.read(path):
            raise OdooConfigError(f"Odoo config file {path} does not exist or cannot be read.")
    except configparser.Error as exc:
        raise OdooConfigError(f"{path} is not a valid Odoo config file: {exc}") from None
    if not parser.has_section("options"):
        raise OdooConfigError(f"{path} has no [options] section, so it is not an Odoo config file.")
    options = parser["options"]
    if not options.get("db_name") or options["db_name"] in _UNSET:
        raise OdooConfigError(f"{path} sets no db_name; the platform runs Odoo on one database.")
    hints = get_type_hints(OdooConfig)
    return OdooConfig(
        **{
            f.name: _parse_value(f.name, options[f.name], hints[f.name])
            for f in fields(OdooConfig)
            if f.name in options
        }
    )


def _parse_value(key: str, raw: str, hint) -> object:
    kinds = set(get_args(hint)) or {hint}
    if type(None) in kinds and raw in _UNSET:
        return None
    if bool in kinds:
        if raw.lower() not in _BOOLEANS:
            raise OdooConfigError(f"{key} = {raw!r} is not a boolean (True or False).")
        return _BOOLEANS[raw.lower()]
    if int in kinds:
        try:
            return int(raw)
        except ValueError:
            raise OdooConfigError(f"{key} = {raw!r} is not an integer.") from None
    return raw
