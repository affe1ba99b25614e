"""Smoke tests as blocking asset checks: one factory reused by production, staging and previews.

Each check runs one probe of `odoosh.smoke` against a `SmokeTarget` that the caller resolves
from its resources at check time, and reports what the probe saw in its metadata.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from odoosh.odoo import smoke


@dataclass(frozen=True)
class SmokeTarget:
    """What the probes look at: an Odoo URL, its database, and its log since it started."""

    url: str
    dsn: str
    log_file: Path
    started_at: datetime
    required_modules: list[str]


PROBES: dict[str, tuple[str, Callable[[SmokeTarget], smoke.ProbeResult]]] = {
    "smoke_http": ("GET /web/health answers 200.", lambda t: smoke.http_health(t.url)),
    "smoke_users": ("res_users has at least one row.", lambda t: smoke.users_exist(t.dsn)),
    "smoke_modules": (
        "Every required module is installed and none is pending install, upgrade or removal.",
        lambda t: smoke.modules_installed(t.dsn, t.required_modules),
    ),
    "smoke_logs": (
        "No ERROR or CRITICAL line in the Odoo log since the environment started.",
        lambda t: smoke.log_clean(t.log_file, t.started_at),
    ),
}


def smoke_checks(
    asset: dg.AssetsDefinition,
    target: Callable[[dg.AssetCheckExecutionContext], SmokeTarget],
    required_resource_keys: set[str],
) -> list[dg.AssetChecksDefinition]:
    """The four smoke checks of an environment asset, each blocking what depends on it."""
    return [
        _smoke_check(asset, name, description, probe, target, required_resource_keys)
        for name, (description, probe) in PROBES.items()
    ]


def _smoke_check(asset, name, description, probe, target, required_resource_keys):
    @dg.asset_check(
        asset=asset,
        name=name,
        description=description,
        blocking=True,
        required_resource_keys=required_resource_keys,
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        try:
            resolved = target(context)
        except Exception as exc:  # an environment that cannot even be located fails the gate
            return dg.AssetCheckResult(
                passed=False,
                description=f"{name}: cannot locate the environment: {exc}",
                metadata={"probe": name, "error": str(exc)},
            )
        result = probe(resolved)
        (context.log.info if result.passed else context.log.error)(f"{name}: {result.summary}")
        return dg.AssetCheckResult(
            passed=result.passed,
            description=result.summary,
            metadata={"probe": result.name, "summary": result.summary, **result.details},
        )

    return _check
