"""Running git for the platform: the environment it gets and the helpers its callers share
(preview code fetches, the module lock and its bump)."""

from __future__ import annotations

import base64
import os
import string
from urllib.parse import urlsplit, urlunsplit

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"


def is_commit_id(sha: object) -> bool:
    """A full SHA-1 or SHA-256 commit id (never a ref name, an option or an abbreviation)."""
    return isinstance(sha, str) and len(sha) in (40, 64) and set(sha) <= set(string.hexdigits)


def git_env(token: str | None) -> dict[str, str]:
    """The environment git runs in for the platform: no prompts, hooks, system or global
    configuration, symlinks or unlisted protocols; `token` as a basic-auth header, never in a URL."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
    }
    config = {"core.hooksPath": os.devnull, "core.symlinks": "false", "advice.detachedHead": "false"}
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config["http.extraHeader"] = f"Authorization: Basic {basic}"
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def safe_url(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def last_lines(text: str, lines: int = 3) -> str:
    return " ".join(" ".join(text.strip().splitlines()[-lines:]).split())
