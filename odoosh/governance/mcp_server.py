"""`python -m odoosh.governance.mcp_server --user NAME`: audited exec for agents, over MCP stdio.

The tools call the same `Executor.execute` and `audit.query` as the Dagster job and the CLI:
same roles, same approval tokens, same audit rows. The requester is the identity the server was
started with, never a tool argument, so an agent cannot speak for another user. Configuration is
the platform's: ODOOSH_EXEC_ROLES_FILE, ODOOSH_AUDIT_DSN (unset: the sandbox's), ODOOSH_STATE_DIR,
ODOOSH_EXEC_CONTAINER.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from mcp.server.mcpserver import MCPServer

from odoosh import settings
from odoosh.governance import audit
from odoosh.governance.exec import ExecRequest, ExecResult, Executor, make_executor
from odoosh.postgres import connect


def executor_from_environment() -> Executor:
    return make_executor(
        settings.state_dir(),
        os.environ.get("ODOOSH_EXEC_ROLES_FILE"),
        audit.configured_writer_dsn(),
        os.environ.get("ODOOSH_EXEC_CONTAINER") or None,
    )


def build_server(user: str, executor: Executor) -> MCPServer:
    server = MCPServer("odoosh-governance", instructions="Audited, approved commands in odoosh environments.")

    @server.tool(
        structured_output=True,
        description="Run a command (argument list, no shell) in an environment; production needs a token.",
    )
    def exec_in_environment(environment: str, command: list[str], reason: str, token: str | None = None) -> ExecResult:
        return executor.execute(ExecRequest(user, environment, command, reason, token))

    @server.tool(
        structured_output=True,
        description="Audited exec sessions, filtered by environment, user, outcome and age in days.",
    )
    def audit_query(
        environment: str | None = None, user: str | None = None, outcome: str | None = None, days: float | None = None
    ) -> list[dict[str, Any]]:
        with connect(executor.audit_dsn) as conn:
            rows = audit.query(conn, environment=environment, user=user, outcome=outcome, days=days)
        return [{**row, "at": row["at"].isoformat()} for row in rows]

    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m odoosh.governance.mcp_server", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="the identity every request of this server is made as")
    args = parser.parse_args(argv)
    build_server(args.user, executor_from_environment()).run("stdio")


if __name__ == "__main__":
    main()
