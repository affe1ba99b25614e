"""`python -m odoosh.observability report LOGFILE...`: per-endpoint figures of Odoo logs, as JSON.

The same numbers the `request_metrics` asset stores, for use in any CI. Exit 0 with the report
on stdout; 2 with the cause on stderr when a file is missing or unreadable.

`python -m odoosh.observability serve --state-dir DIR --port PORT`: the metrics endpoint of the
environments' logs under DIR, until SIGTERM (odoosh/observability/serve.py; the sandbox starts it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from odoosh.observability.logs import LogFileError
from odoosh.observability.report import analyse

PROG = "python -m odoosh.observability"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Figures of Odoo logs: latency, errors, N+1.")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="per-endpoint figures of Odoo log files, as JSON on stdout")
    report.add_argument("logfiles", nargs="+", metavar="LOGFILE", help="Odoo log files, oldest first (plain or .gz)")
    report.add_argument("--environment", default="production", help="environment name the figures are for")
    serve = commands.add_parser("serve", help="serve /metrics of the environments' Odoo logs, following them")
    serve.add_argument("--state-dir", required=True, help="the platform's state directory (ODOOSH_STATE_DIR)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    serve.add_argument("--port", type=int, required=True, help="port of /metrics")
    serve.add_argument("--interval", type=float, default=2.0, help="seconds between two reads of the logs")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from odoosh.observability.serve import serve as serve_metrics

        serve_metrics(Path(args.state_dir), args.port, host=args.host, interval=args.interval)
        return 0
    try:
        result = analyse(args.logfiles, args.environment)
    except LogFileError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    json.dump(result.as_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
