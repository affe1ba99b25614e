"""`python -m odoosh.governance SUBCOMMAND`: the governance commands any CI can run.

Each subcommand is registered by a function `add_<name>(subparsers)` that sets `func`, so a new
one (audit, exec) is one more entry in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from odoosh import settings
from odoosh.governance import approval
from odoosh.governance.lock import LockError, drift, make_lock, read_lock


def _lock(args: argparse.Namespace) -> int:
    lock = make_lock(args.addons)
    lock.write(args.lock)
    print(f"wrote {args.lock}: {len(lock.repositories)} repositories, {lock.addon_count} addons")
    return 0


def _drift(args: argparse.Namespace) -> int:
    result = drift(read_lock(args.lock), args.addons)
    print(result.message(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _lock_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lock", type=Path, default=None, help="the lock file (default: ODOOSH_OCA_LOCK)")
    parser.add_argument("--addons", type=Path, default=None, help="the addons checkouts (default: ODOOSH_ADDONS_DIR)")


def add_lock(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lock", help="write oca.lock.json from the addons checkouts")
    _lock_options(parser)
    parser.set_defaults(func=_lock)


def add_drift(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("drift", help="exit 1 unless every checkout is at its locked commit and clean")
    _lock_options(parser)
    parser.set_defaults(func=_drift)


def _audit(args: argparse.Namespace) -> int:
    from odoosh.governance import audit
    from odoosh.postgres import PostgresError, connect

    try:
        with connect(audit.configured_writer_dsn()) as conn:
            rows = audit.query(conn, environment=args.environment, user=args.user, outcome=args.outcome, days=args.days)
    except PostgresError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
    else:
        print(audit.table(rows))
    return 0


def add_audit(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="audited exec sessions (e.g. --environment production --days 30)")
    parser.add_argument("--environment", help="only this environment, e.g. production")
    parser.add_argument("--days", type=float, help="only the last N days, e.g. 30")
    parser.add_argument("--user", help="only this requester")
    parser.add_argument("--outcome", choices=["ran", "refused"], help="only runs or only refusals")
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    parser.set_defaults(func=_audit)


def _approve(args: argparse.Namespace) -> int:
    if not args.roles:
        raise settings.SettingsError(
            "ODOOSH_EXEC_ROLES_FILE is unset: pass --roles or point it at the exec roles YAML."
        )
    command = args.command_args[1:] if args.command_args[:1] == ["--"] else args.command_args
    if not command:
        raise settings.SettingsError("no command: give it after `--`, as its words, e.g. -- odoo shell -d prod")
    policy = approval.load_policy(args.roles)
    print(approval.issue(policy, args.approver, args.requester, args.environment, command, ttl_s=args.ttl))
    return 0


def add_approve(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "approve", help="print an approval token for exactly one command (the approver's key from its variable)"
    )
    parser.add_argument("--approver", required=True, help="the approver's name in the roles file")
    parser.add_argument("--requester", required=True, help="who may run the command with this token")
    parser.add_argument("--environment", required=True, help="where, e.g. production")
    parser.add_argument("--ttl", type=float, default=900, help="seconds the token is valid (default 900)")
    parser.add_argument("--roles", default=os.environ.get("ODOOSH_EXEC_ROLES_FILE"), help="the exec roles YAML")
    parser.add_argument("command_args", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the command's words")
    parser.set_defaults(func=_approve)


SUBCOMMANDS = [add_lock, add_drift, add_audit, add_approve]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m odoosh.governance", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(subparsers)
    args = parser.parse_args(argv)
    if hasattr(args, "addons") and args.addons is None:
        args.addons = settings.addons_dir()
    if hasattr(args, "lock") and args.lock is None:
        args.lock = settings.oca_lock_file()
    try:
        return args.func(args)
    except (LockError, settings.SettingsError, approval.Refused, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
