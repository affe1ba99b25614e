"""Exec roles (a YAML file) and approval tokens for production.

A token is `<base64url payload>.<hex HMAC-SHA256>`, signed with the approver's key; the payload
binds the requester, the environment, the exact command (canonical JSON) and an expiry. Keys
come only from environment variables named in the roles file (`key_env`). A token is single
use: its id goes into a table whose PRIMARY KEY makes a second use fail atomically.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml
from psycopg import errors, sql

from odoosh.governance.audit import USED_TOKENS, canonical_command


class Refused(Exception):
    """A request that must not run; the message says why and is written to the audit log."""


@dataclass(frozen=True)
class Role:
    name: str
    users: frozenset[str]
    environments: tuple[str, ...]  # fnmatch patterns, e.g. "pr-*" for previews


@dataclass(frozen=True)
class ExecPolicy:
    """Who may run commands where, which environments need an approval token, and the approvers'
    key variables."""

    roles: tuple[Role, ...]
    approvers: dict[str, str]  # approver -> name of the environment variable holding the key
    approval_required: tuple[str, ...] = ("production",)

    def allows(self, user: str, environment: str) -> bool:
        return any(
            user in role.users and any(fnmatch.fnmatchcase(environment, p) for p in role.environments)
            for role in self.roles
        )

    def needs_approval(self, environment: str) -> bool:
        return any(fnmatch.fnmatchcase(environment, p) for p in self.approval_required)

    def key(self, approver: str) -> bytes:
        variable = self.approvers.get(approver)
        if variable is None:
            raise Refused(f"approver {approver!r} is not in the roles file's approvers")
        value = os.environ.get(variable)
        if not value:
            raise Refused(f"approver {approver!r}'s key variable {variable} is not set")
        return value.encode()


def load_policy(path: str | Path) -> ExecPolicy:
    """Read the roles file; a clear error naming the file and the field for anything malformed."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the exec roles file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("roles"), dict):
        raise ValueError(f"{path}: expected a mapping with `roles:` (name -> users, environments)")
    roles = []
    for name, body in data["roles"].items():
        if not isinstance(body, dict) or not body.get("users") or not body.get("environments"):
            raise ValueError(f"{path}: role {name!r} needs non-empty `users:` and `environments:` lists")
        roles.append(Role(str(name), frozenset(map(str, body["users"])), tuple(map(str, body["environments"]))))
    approvers = {}
    for name, body in (data.get("approvers") or {}).items():
        if not isinstance(body, dict) or not body.get("key_env"):
            raise ValueError(f"{path}: approver {name!r} needs `key_env: VARIABLE` (the key is never in the file)")
        approvers[str(name)] = str(body["key_env"])
    required = tuple(map(str, data.get("approval_required") or ["production"]))
    return ExecPolicy(tuple(roles), approvers, required)


# --------------------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signature(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def issue(
    policy: ExecPolicy, approver: str, requester: str, environment: str, command: list[str], ttl_s: float = 900
) -> str:
    """A token by `approver` for exactly this requester, environment and command."""
    claims = {
        "id": uuid.uuid4().hex,
        "approver": approver,
        "requester": requester,
        "environment": environment,
        "command": canonical_command(command),
        "expires": int(time.time() + ttl_s),
    }
    payload = _b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_signature(policy.key(approver), payload)}"


def check(policy: ExecPolicy, token: str | None, requester: str, environment: str, command: list[str]) -> dict:
    """The token's claims if it is valid for this request (not yet consumed); Refused otherwise."""
    if not token:
        raise Refused(f"{environment} needs an approval token from an approver; none was given")
    payload, _, signature = token.partition(".")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        approver = claims["approver"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Refused("the approval token is malformed (not <payload>.<signature>)") from None
    if not hmac.compare_digest(_signature(policy.key(approver), payload), signature):
        raise Refused(f"the approval token's signature does not match approver {approver!r}'s key: altered")
    if claims.get("requester") != requester:
        raise Refused(f"the approval token is for user {claims.get('requester')!r}, not {requester!r}")
    if claims.get("environment") != environment:
        raise Refused(f"the approval token is for environment {claims.get('environment')!r}, not {environment!r}")
    if claims.get("command") != canonical_command(command):
        raise Refused(f"the approval token is for another command ({claims.get('command')})")
    if not isinstance(claims.get("expires"), int) or claims["expires"] <= time.time():
        raise Refused("the approval token has expired: ask the approver for a new one")
    return claims


def consume(conn: psycopg.Connection, claims: dict) -> None:
    """Record the token as used; Refused if it already was (the PRIMARY KEY decides, atomically)."""
    try:
        with conn.transaction():
            conn.execute(sql.SQL("INSERT INTO {} (token_id) VALUES (%s)").format(USED_TOKENS), (claims["id"],))
    except errors.UniqueViolation:
        raise Refused(f"the approval token {claims['id']} was already used: each token runs one command once") from None
