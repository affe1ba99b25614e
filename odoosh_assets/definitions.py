"""The one Definitions object of the odoosh code location.

Every part is local (the sandbox) unless its environment variable points at the real one; see
the README's Configuration section. Secrets are passed as `dg.EnvVar` so that they are read at
run time and never shown in the UI.
"""

import os

import dagster as dg

from odoosh import settings
from odoosh_assets import production, staging
from resources.artifacts import ArtifactStore
from resources.mail import MailCatcher
from resources.odoo import OdooRuntime
from resources.postgres import PostgresClusters
from resources.production import ProductionDatabase
from resources.staging import Scrubbing, StagingServer
from schedules.staging import weekly_staging_refresh


def _secret(name: str) -> dg.EnvVar | None:
    return dg.EnvVar(name) if os.environ.get(name) else None


def _setting(name: str) -> str | None:
    return os.environ.get(name) or None


sandbox_build = dg.define_asset_job(
    "sandbox_build",
    selection=dg.AssetSelection.groups(production.GROUP, staging.GROUP),
    description="Build the sandbox and materialise everything in it (what `./dev build` runs).",
)


def make_definitions() -> dg.Definitions:
    """Definitions for the current environment variables (tests call it after setting theirs)."""
    state_dir = str(settings.state_dir())
    clusters = PostgresClusters(state_dir=state_dir)
    s3_endpoint = _setting("ODOOSH_S3_ENDPOINT_URL")
    return dg.Definitions(
        assets=[
            production.production_database,
            production.production_environment,
            staging.prod_snapshot,
            staging.scrubbed_dump,
            staging.staging_database,
        ],
        asset_checks=[*production.production_smoke_checks, *staging.staging_smoke_checks, staging.mail_caught],
        jobs=[sandbox_build],
        schedules=[weekly_staging_refresh],
        resources={
            "production": ProductionDatabase(
                dsn=_secret("ODOOSH_PROD_DSN"), clusters=clusters, scale=settings.sandbox_scale()
            ),
            "staging": StagingServer(dsn=_secret("ODOOSH_STAGING_DSN"), clusters=clusters),
            "odoo": OdooRuntime(state_dir=state_dir, command=settings.odoo_command()),
            "mail": MailCatcher(
                state_dir=state_dir,
                smtp_host=_setting("ODOOSH_MAIL_SMTP_HOST") or "127.0.0.1",
                smtp_port=int(os.environ["ODOOSH_MAIL_SMTP_PORT"]) if _setting("ODOOSH_MAIL_SMTP_PORT") else None,
                api_url=_setting("ODOOSH_MAIL_API_URL"),
            ),
            "prod_artifacts": ArtifactStore(url=settings.artifacts_url("prod"), endpoint_url=s3_endpoint,
                                            work_dir=str(settings.work_dir())),
            "scrubbed_artifacts": ArtifactStore(url=settings.artifacts_url("scrubbed"), endpoint_url=s3_endpoint,
                                                work_dir=str(settings.work_dir())),
            "scrubbing": Scrubbing(
                state_dir=state_dir,
                salt=_secret("ODOOSH_SCRUB_SALT"),
                admin_password=_secret("ODOOSH_STAGING_ADMIN_PASSWORD"),
                policy_files=settings.policy_files(),
            ),
        },
    )


defs = make_definitions()
