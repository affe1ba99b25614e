"""The MCP stdio server (official SDK) for agents: spawned as `python -m odoosh.governance.mcp_server`
and driven by the SDK's own client; it must refuse and accept exactly as the Dagster job."""

import json
import os
import re
import sys
from pathlib import Path

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.test_governance_exec import make_governance, run_job

REPO = Path(__file__).resolve().parent.parent


def call_tools(gov, tmp_path, user, calls):
    """Run `calls` [(tool, arguments)] through one spawned server; returns each structured result."""
    env = {
        "ODOOSH_EXEC_ROLES_FILE": str(tmp_path / "roles.yaml"),
        "ODOOSH_AUDIT_DSN": gov.writer_dsn,
        "ODOOSH_STATE_DIR": str(tmp_path / "state"),
        "TEST_EXEC_CAROL_KEY": os.environ["TEST_EXEC_CAROL_KEY"],
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "odoosh.governance.mcp_server", "--user", user], env=env, cwd=REPO
    )

    async def session():
        results = []
        async with Client(params) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            assert tools == {"exec_in_environment", "audit_query"}
            for name, arguments in calls:
                result = await client.call_tool(name, arguments)
                assert not result.is_error, result.content
                content = result.structured_content
                results.append(content["result"] if set(content) == {"result"} else content)
        return results

    return anyio.run(session)


def _comparable(rows):
    return [
        (r["user_name"], r["environment"], r["command"], r["outcome"], re.sub(r"[0-9a-f]{32}", "ID", r["detail"]))
        + (r["exit_code"], r["output_sha256"], r["approver"])
        for r in rows
    ]


def test_mcp_tool_refuses_and_accepts_exactly_as_the_job(pg, fresh_db, tmp_path, monkeypatch):
    gov = make_governance(pg, fresh_db, tmp_path, monkeypatch)
    command = ["echo", "$(id); rm -rf /"]
    job_token, mcp_token = gov.token(command=command), gov.token(command=command)
    requests = [
        ("staging", command, None),
        ("production", command, None),
        ("production", command, "{token}"),
        ("production", command, "{token}"),  # reused
        ("production", ["echo", "other"], "{other}"),
        ("production", command, gov.token(command=command, ttl_s=-1)),
    ]

    def concrete(token, mine):
        return {"{token}": mine, "{other}": gov.token(command=command)}.get(token, token)

    for environment, cmd, token in requests:
        config = dict(environment=environment, command=cmd, reason="compare", user="alice")
        run_job(gov, **config, **({"token": concrete(token, job_token)} if token else {}))
    job_rows = gov.rows()

    calls = [
        ("exec_in_environment", {"environment": e, "command": c, "reason": "compare", "token": concrete(t, mcp_token)})
        for e, c, t in requests
    ] + [("audit_query", {"environment": "production", "days": 30, "outcome": "ran"})]
    *results, ran_in_production = call_tools(gov, tmp_path, "alice", calls)

    assert [r["outcome"] for r in results] == ["ran", "refused", "ran", "refused", "refused", "refused"]
    assert results[0]["output_excerpt"] == "$(id); rm -rf /\n"
    mcp_rows = gov.rows()[len(job_rows) :]
    assert _comparable(mcp_rows) == _comparable(job_rows)
    ran = [row["seq"] for row in job_rows + mcp_rows if row["outcome"] == "ran" and row["environment"] == "production"]
    assert [row["seq"] for row in ran_in_production] == ran and len(ran) == 2
    assert json.dumps(ran_in_production)  # plain JSON for the agent


def test_mcp_requester_is_the_servers_identity(pg, fresh_db, tmp_path, monkeypatch):
    gov = make_governance(pg, fresh_db, tmp_path, monkeypatch)
    [result] = call_tools(
        gov,
        tmp_path,
        "mallory",
        [("exec_in_environment", {"environment": "staging", "command": ["id"], "reason": "x"})],
    )
    assert result["outcome"] == "refused" and "'mallory' has no role" in result["detail"]
