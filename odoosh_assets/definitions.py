"""The one Definitions object of the odoosh code location.

Every part is the sandbox's unless its environment variable points at the real one (README,
"Configuration"). The choice is made here, once per part, by picking which resource to bind:
nothing below this module asks whether it runs in the sandbox. Secrets are passed as
`dg.EnvVar`, so they are read at run time and never shown in the UI.
"""

import os

import dagster as dg

from odoosh import settings
from odoosh_assets import production, staging
from resources.artifacts import ArtifactStoreResource
from resources.mail import MailpitResource, MailResource, SandboxMailResource
from resources.odoo import OdooResource
from resources.production import ConfiguredProductionResource, ProductionResource, SandboxProductionResource
from resources.staging import ConfiguredStagingResource, SandboxStagingResource, ScrubbingResource, StagingResource
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

# The eager condition on staging_database fires only while this sensor runs.
automation = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates the assets' automation conditions (a new scrubbed dump flows on to staging).",
)


def production_resource(state_dir: str) -> ProductionResource:
    if _setting("ODOOSH_PROD_DSN"):
        return ConfiguredProductionResource(dsn=dg.EnvVar("ODOOSH_PROD_DSN"))
    return SandboxProductionResource(state_dir=state_dir, scale=settings.sandbox_scale())


def staging_resource(state_dir: str) -> StagingResource:
    if _setting("ODOOSH_STAGING_DSN"):
        return ConfiguredStagingResource(dsn=dg.EnvVar("ODOOSH_STAGING_DSN"))
    return SandboxStagingResource(state_dir=state_dir)


def mail_resource(state_dir: str) -> MailResource:
    smtp_host = _setting("ODOOSH_MAIL_SMTP_HOST") or "127.0.0.1"
    smtp_port = int(port) if (port := _setting("ODOOSH_MAIL_SMTP_PORT")) else None
    if api_url := _setting("ODOOSH_MAIL_API_URL"):
        return MailpitResource(api_url=api_url, smtp_host=smtp_host, **({"smtp_port": smtp_port} if smtp_port else {}))
    return SandboxMailResource(state_dir=state_dir, smtp_host=smtp_host, smtp_port=smtp_port)


def artifact_store(zone: str) -> ArtifactStoreResource:
    return ArtifactStoreResource(
        url=settings.artifacts_url(zone),
        endpoint_url=_setting("ODOOSH_S3_ENDPOINT_URL"),
        work_dir=str(settings.work_dir()),
    )


def make_definitions() -> dg.Definitions:
    """Definitions for the current environment variables (tests call it after setting theirs)."""
    state_dir = str(settings.state_dir())
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
        sensors=[automation],
        resources={
            "production": production_resource(state_dir),
            "staging": staging_resource(state_dir),
            "odoo": OdooResource(state_dir=state_dir, command=settings.odoo_command()),
            "mail": mail_resource(state_dir),
            "prod_artifacts": artifact_store("prod"),
            "scrubbed_artifacts": artifact_store("scrubbed"),
            "scrubbing": ScrubbingResource(
                state_dir=state_dir,
                salt=_secret("ODOOSH_SCRUB_SALT"),
                admin_password=_secret("ODOOSH_STAGING_ADMIN_PASSWORD"),
                policy_files=settings.policy_files(),
            ),
        },
    )


defs = make_definitions()
