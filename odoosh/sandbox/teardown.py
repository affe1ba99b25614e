"""`./dev down`: stop every process of a sandbox and delete its state directory."""

from __future__ import annotations

import shutil
from pathlib import Path

from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres.cluster import Clusters
from odoosh.sandbox.mail_catcher.supervisor import SandboxCatcher


def down(state: Path) -> str:
    """Stop the sandbox in `state` and remove it; says what was done."""
    if not state.exists():
        return f"nothing to remove: {state} does not exist"
    OdooRuntime(state).stop_all()
    SandboxCatcher(state).stop()
    for cluster in Clusters(state).all():
        cluster.destroy()
    shutil.rmtree(state)
    return f"sandbox stopped and {state} removed"
