"""The code staging runs: the head commit of the project's main branch, once the visual gate
asked for it (its baselines are staging's look on main).

It is checked out like a preview's code, into `<state>/staging-code/<sha>`; `<state>/staging-code.json`
names the commit staging was last started on, so a staging refresh starts Odoo on the same code.
Without it (no repository configured, or no baseline taken yet) staging runs Odoo's own addons.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from odoosh.previews.code import Log, checkout, prune


def _root(state_dir: Path) -> Path:
    return state_dir / "staging-code"


def _record(state_dir: Path) -> Path:
    return state_dir / "staging-code.json"


def update(
    state_dir: Path,
    repo_url: str,
    sha: str,
    *,
    base_addons: tuple[str, ...] = (),
    token: str | None = None,
    log: Log = print,
) -> str:
    """Check out `sha` for staging and record it with its addons_path (a real Odoo's own addons
    first, `base_addons`); older checkouts are removed. Returns the addons_path."""
    code = checkout(_root(state_dir), repo_url, sha, token=token, log=log)
    path = ",".join([*base_addons, code.addons_path])
    record = _record(state_dir)
    partial = record.with_name(f".{record.name}.tmp")
    partial.write_text(json.dumps({"sha": code.sha, "addons_path": path}))
    os.replace(partial, record)  # the record names a complete checkout, or the previous one
    prune(_root(state_dir), keep=code.sha)
    return path


def current(state_dir: Path) -> tuple[str, str] | None:
    """(commit, addons_path) of the code staging runs, or None for Odoo's own addons."""
    try:
        record = json.loads(_record(state_dir).read_text())
        sha, path = record["sha"], record["addons_path"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return (sha, path) if (_root(state_dir) / sha / ".git").is_dir() else None
