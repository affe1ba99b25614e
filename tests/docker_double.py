"""A `docker` executable double for the compose runtime's tests (there is no Docker engine here).

`install(bin_dir)` writes `bin_dir/docker`, a script run by this virtualenv's Python that
accepts a command line only as docker compose v2 would, for the subset odoosh uses: the
`compose` subcommand; the global options `--project-name`/`-p` (a valid project name),
`--file`/`-f` (an existing file), `--project-directory`, `--env-file`; then `up` (`--detach`,
`--wait`, `--wait-timeout`, `--remove-orphans`), `down` (`--volumes`, `--remove-orphans`,
`--timeout`) or `logs` (`--no-color`, `--no-log-prefix`, `--since`, `--tail`, services). Any other
flag or subcommand exits 1 with docker's message. The project is loaded as compose loads it:
the `--env-file` values, overridden by the environment, interpolated (a required variable left
unset fails as compose fails), then validated against the official compose-spec JSON schema
(the one check-jsonschema ships). `down` without a file needs only the project name, as in
compose v2.

Every call is appended to `$DOCKER_DOUBLE_CALLS` (JSON lines: argv, the database password it
was given, the project as loaded). `$DOCKER_DOUBLE_FAIL` makes it fail as docker does:
`up` (an unhealthy container), `daemon` (no engine), `no-compose` (the CLI without the plugin).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, os, re, sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, {repo!r})

GLOBAL = {{"-p": "project_name", "--project-name": "project_name", "-f": "file", "--file": "file",
          "--project-directory": "project_directory", "--env-file": "env_file"}}
COMMANDS = {{
    "up": ({{"-d", "--detach", "--wait", "--remove-orphans"}}, {{"--wait-timeout"}}, True),
    "down": ({{"-v", "--volumes", "--remove-orphans"}}, {{"-t", "--timeout"}}, False),
    "logs": ({{"--no-color", "--no-log-prefix", "-t", "--timestamps"}}, {{"--since", "--tail", "-n"}}, True),
}}


def fail(message, code=1):
    print(message, file=sys.stderr)
    sys.exit(code)


def split(arg):
    return arg.split("=", 1) if arg.startswith("--") and "=" in arg else (arg, None)


def main(argv):
    if os.environ.get("DOCKER_DOUBLE_FAIL") == "no-compose":
        fail("docker: 'compose' is not a docker command.\nSee 'docker --help'")
    if not argv or argv[0] != "compose":
        fail(f"docker: '{{argv[0] if argv else ''}}' is not a docker command.\nSee 'docker --help'")
    args, options, i = argv[1:], {{}}, 0
    while i < len(args) and args[i].startswith("-"):
        flag, value = split(args[i])
        if flag not in GLOBAL:
            fail(f"unknown flag: {{flag}}\nSee 'docker compose --help'.")
        if value is None:
            i += 1
            if i >= len(args):
                fail(f"flag needs an argument: {{flag}}")
            value = args[i]
        options[GLOBAL[flag]] = value
        i += 1
    if i >= len(args) or args[i] not in COMMANDS:
        fail(f"unknown docker command: \"compose {{args[i] if i < len(args) else ''}}\"")
    command, flags, valued, positional = args[i], set(), {{}}, []
    known, with_value, takes_services = COMMANDS[command]
    rest, j = args[i + 1:], 0
    while j < len(rest):
        flag, value = split(rest[j])
        if flag.startswith("-"):
            if flag in known and value is None:
                flags.add(flag)
            elif flag in with_value:
                if value is None:
                    j += 1
                    if j >= len(rest):
                        fail(f"flag needs an argument: {{flag}}")
                    value = rest[j]
                valued[flag] = value
            else:
                fail(f"unknown flag: {{flag}}\nSee 'docker compose {{command}} --help'.")
        else:
            positional.append(flag)
        j += 1
    if positional and not takes_services:
        fail(f"\"docker compose {{command}}\" accepts no arguments.")
    name = options.get("project_name")
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        fail(f"invalid project name \"{{name}}\": must consist only of lowercase alphanumeric characters, "
             "hyphens, and underscores as well as start with a letter or number")
    project = None
    if "file" in options:
        import jsonschema  # only now: a refused command line answers at once
        import yaml
        from check_jsonschema.builtin_schemas import get_builtin_schema
        from tests.compose_files import MissingVariable, interpolate

        path = Path(options["file"])
        if not path.is_file():
            fail(f"open {{path}}: no such file or directory")
        env = {{}}
        if "env_file" in options:
            env_file = Path(options["env_file"])
            if not env_file.is_file():
                fail(f"couldn't find env file: {{env_file}}")
            for line in env_file.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    key, _, value = line.partition("=")
                    env[key] = value
        env.update(os.environ)
        try:
            project = interpolate(yaml.safe_load(path.read_text()), env)
        except MissingVariable as exc:
            variable, _, message = str(exc).partition(": ")
            fail(f"error while interpolating: required variable {{variable}} is missing a value: {{message}}")
        schema = get_builtin_schema("vendor.compose-spec")
        errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(project))
        if errors:
            fail("validating " + str(path) + ": " + "; ".join(e.message for e in errors))
        name = name or project.get("name")
    elif command != "down":
        fail("no configuration file provided: not found")
    if name is None:
        fail("project name must not be empty")
    with open(os.environ["DOCKER_DOUBLE_CALLS"], "a") as calls:
        record = {{"argv": argv, "password": os.environ.get("PREVIEW_DB_PASSWORD"), "project": project}}
        calls.write(json.dumps(record) + "\n")
    failing = os.environ.get("DOCKER_DOUBLE_FAIL")
    if failing == "daemon":
        fail("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
    if failing == "up" and command == "up":
        fail(f" Container {{name}}-odoo-1  Error\ndependency failed to start: container {{name}}-odoo-1 is unhealthy")
    if command == "logs":
        moment = datetime.now(timezone.utc)
        now = moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{{moment.microsecond // 1000:03d}}"
        print(f"{{now}} 1 INFO ? odoo: Odoo version 17.0")
        if os.environ.get("DOCKER_DOUBLE_LOG_ERROR"):
            print(f"{{now}} 1 ERROR odoosh_pr_7 odoo.modules.loading: Failed to load module shop_broken")


main(sys.argv[1:])
"""


def install(bin_dir: Path) -> Path:
    """Write the double as `bin_dir/docker`; returns its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(f"#!{sys.executable}\n" + SCRIPT.format(repo=str(REPO)))
    docker.chmod(0o755)
    return docker
