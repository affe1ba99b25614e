"""Every name a preview gets derives from its pull request's number, and from nothing else.

Branch names, titles and bodies are the PR author's to choose; a name built from them could
carry shell, SQL or HTML. The number is an integer GitHub assigns, so `pr-<n>` is always a safe
environment name, directory, DNS label, database name and compose project name.
"""

from __future__ import annotations

from pathlib import Path

LOCAL_DOMAIN = "localhost"


class PreviewNameError(ValueError):
    """A PR number that is not a positive integer."""


def pr_number(n: object) -> int:
    """`n` as a PR number; anything but a positive int (a str, a bool, 0) is refused."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise PreviewNameError(f"A pull request number is a positive integer, not {n!r}.")
    return n


def preview_name(n: int) -> str:
    """`pr-<n>`: the environment, the DNS label, the GitHub deployment environment."""
    return f"pr-{pr_number(n)}"


def preview_hosts(n: int, domain: str | None = None) -> list[str]:
    """Host names the preview answers to: `pr-<n>.localhost` in the sandbox, plus
    `pr-<n>.<domain>` when a preview domain is configured."""
    hosts = [f"{preview_name(n)}.{LOCAL_DOMAIN}"]
    if domain and domain.strip(".").lower() != LOCAL_DOMAIN:
        hosts.append(f"{preview_name(n)}.{domain.strip('.').lower()}")
    return hosts


def preview_dir(state_dir: Path, n: int) -> Path:
    """`<state_dir>/previews/pr-<n>`: the preview's code and rendered files."""
    return Path(state_dir) / "previews" / preview_name(n)
