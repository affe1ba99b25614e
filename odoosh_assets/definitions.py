"""The one Definitions object of the odoosh code location."""

from __future__ import annotations

import os

import dagster as dg

from odoosh import settings
from odoosh_assets import production
from resources.odoo import OdooRuntime
from resources.postgres import PostgresClusters
from resources.production import ProductionDatabase


def _optional_secret(name: str) -> dg.EnvVar | None:
    """An EnvVar when set, so the value is read at run time and never shown in the UI."""
    return dg.EnvVar(name) if os.environ.get(name) else None


state_dir = str(settings.state_dir())
clusters = PostgresClusters(state_dir=state_dir)

sandbox_build = dg.define_asset_job(
    "sandbox_build",
    selection=dg.AssetSelection.groups(production.GROUP),
    description="Build the sandbox and materialise everything in it (what `./dev build` runs).",
)

defs = dg.Definitions(
    assets=[production.production_database, production.production_environment],
    asset_checks=production.production_smoke_checks,
    jobs=[sandbox_build],
    resources={
        "production": ProductionDatabase(
            dsn=_optional_secret("ODOOSH_PROD_DSN"), clusters=clusters, scale=settings.sandbox_scale()
        ),
        "odoo": OdooRuntime(state_dir=state_dir, command=settings.odoo_command()),
    },
)
