"""The one Definitions object of the odoosh code location.

Every part is the sandbox's unless its environment variable points at the real one (README,
"Configuration"). The choice is made here, once per part, by picking which resource to bind:
nothing below this module asks whether it runs in the sandbox. Secrets are passed as
`dg.EnvVar`, so they are read at run time and never shown in the UI.
"""

import os
from pathlib import Path

import dagster as dg

from odoosh import settings
from odoosh.previews.proxy import sandbox_ca
from odoosh.sandbox.previews import DemoDoubles
from odoosh_assets import backups, observability, observability_monitoring, previews, production, staging, visual
from odoosh_assets import environments as environments_assets
from odoosh_assets import governance as governance_assets
from odoosh_assets import governance_exec as governance_exec_assets
from resources.alerts import AlertsResource
from resources.artifacts import ArtifactStoreResource
from resources.backups import BackupsResource
from resources.environments import EnvironmentsResource
from resources.governance import ModuleLockResource
from resources.governance_exec import GovernanceExecResource
from resources.mail import MailpitResource, MailResource, SandboxMailResource
from resources.observability import RequestLogsResource
from resources.observability_monitoring import SlowQueriesResource
from resources.odoo import OdooResource
from resources.previews import DnsResource, GitHubResource, PreviewsResource
from resources.production import ConfiguredProductionResource, ProductionResource, SandboxProductionResource
from resources.staging import ConfiguredStagingResource, SandboxStagingResource, ScrubbingResource, StagingResource
from resources.visual import VisualResource
from schedules.backups import backup_schedules
from schedules.governance import governance_schedules
from schedules.observability import observability_schedules
from schedules.staging import weekly_staging_refresh
from sensors.alerts import alert_sensors
from sensors.previews import github_pull_requests_sensor
from sensors.visual import main_branch_sensor


def _secret(name: str) -> dg.EnvVar | None:
    return dg.EnvVar(name) if os.environ.get(name) else None


def _setting(name: str) -> str | None:
    return os.environ.get(name) or None


sandbox_build = dg.define_asset_job(
    "sandbox_build",
    selection=dg.AssetSelection.groups(production.GROUP, staging.GROUP, backups.GROUP),
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


def backups_resource(state_dir: str) -> BackupsResource:
    """Two repositories, local directories of the sandbox unless ODOOSH_BACKUP_REPO<n>_* are set;
    a production of ODOOSH_PROD_DSN is reached through ODOOSH_BACKUP_PG_HOST_*."""
    return BackupsResource(
        state_dir=state_dir,
        sandbox=not _setting("ODOOSH_PROD_DSN"),
        prod_dsn=_secret("ODOOSH_PROD_DSN"),
        pg_host=settings.backup_pg_host(),
        stanza=settings.backup_stanza(),
        retention_days=settings.backup_retention_days(),
        archive_queue_max=settings.backup_archive_queue_max(),
        restore_slo_minutes=settings.restore_slo_minutes(),
        required_modules=settings.required_modules(),
        jobs=settings.jobs(),
        repo1=settings.backup_repository(1),
        repo2=settings.backup_repository(2),
        repo1_key=_secret("ODOOSH_BACKUP_REPO1_KEY"),
        repo1_secret=_secret("ODOOSH_BACKUP_REPO1_SECRET"),
        repo2_key=_secret("ODOOSH_BACKUP_REPO2_KEY"),
        repo2_secret=_secret("ODOOSH_BACKUP_REPO2_SECRET"),
    )


def github_resource() -> GitHubResource:
    """The repository whose pull requests get previews; unset, none (the sandbox demo sets its double's)."""
    return GitHubResource(
        repository=_setting("ODOOSH_GITHUB_REPOSITORY"),
        api_url=_setting("ODOOSH_GITHUB_API_URL") or "https://api.github.com",
        token=_secret("ODOOSH_GITHUB_TOKEN"),
        clone_url=_setting("ODOOSH_GITHUB_CLONE_URL"),
    )


def dns_resource(state_dir: str) -> DnsResource:
    """DigitalOcean DNS of previews; the demo's double is trusted through the sandbox CA."""
    api_url = _setting("ODOOSH_DO_API_URL") or "https://api.digitalocean.com"
    demo = DemoDoubles(Path(state_dir)).is_double(api_url)
    return DnsResource(
        zone=_setting("ODOOSH_DNS_ZONE"),
        target=_setting("ODOOSH_DNS_TARGET"),
        token=_secret("ODOOSH_DO_TOKEN"),
        api_url=api_url,
        wildcard=(_setting("ODOOSH_DNS_WILDCARD") or "").lower() in ("1", "true", "yes", "on"),
        domain=_setting("ODOOSH_PREVIEW_DOMAIN"),
        ca_file=str(sandbox_ca(Path(state_dir)).cert) if demo else None,
    )


def _list(name: str) -> list[str] | None:
    """A ';'-separated setting (CSS selectors hold commas), None when unset."""
    value = _setting(name)
    return [item.strip() for item in value.split(";") if item.strip()] if value else None


def _number(name: str) -> dict[str, float]:
    value = _setting(f"ODOOSH_VISUAL_{name.upper()}")
    if value is None:
        return {}
    try:
        return {name: float(value)}
    except ValueError:
        raise ValueError(f"ODOOSH_VISUAL_{name.upper()}={value!r} is not a number (e.g. 0.98)") from None


def visual_resource() -> VisualResource:
    """The visual gate's routes, masks and thresholds; unset ones keep the defaults."""
    configured = {"routes": _list("ODOOSH_VISUAL_ROUTES"), "masks": _list("ODOOSH_VISUAL_MASKS")}
    return VisualResource(
        **{k: v for k, v in configured.items() if v is not None},
        **_number("min_ssim_desktop"),
        **_number("min_ssim_mobile"),
        **_number("min_region_ssim"),
        override_label=_setting("ODOOSH_VISUAL_OVERRIDE_LABEL") or "visual-change-approved",
        branch=_setting("ODOOSH_VISUAL_BRANCH") or "main",
        admin_password=_secret("ODOOSH_STAGING_ADMIN_PASSWORD"),
        chromium=_setting("ODOOSH_CHROMIUM") or "/usr/bin/chromium",
        report_base_url=_setting("ODOOSH_VISUAL_REPORT_URL"),
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
            *backups.backup_assets,
            *previews.preview_assets,
            *observability_monitoring.observability_assets,
            *observability.observability_assets,
            *governance_assets.governance_assets,
            *governance_exec_assets.exec_assets,
            *visual.visual_assets,
        ],
        asset_checks=[
            *production.production_smoke_checks,
            *staging.staging_smoke_checks,
            staging.mail_caught,
            *backups.backup_checks,
            environments_assets.staging_environment_settings,
            *governance_assets.governance_checks,
            *governance_exec_assets.exec_checks,
        ],
        jobs=[
            sandbox_build,
            *backups.backup_jobs,
            *previews.preview_jobs,
            *observability.observability_jobs,
            *governance_assets.governance_jobs,
            *governance_exec_assets.exec_jobs,
            visual.visual_baselines,
        ],
        schedules=[
            weekly_staging_refresh,
            *backup_schedules(running=not _setting("ODOOSH_PROD_DSN") or bool(settings.backup_pg_host().get("host"))),
            *observability_schedules(),
            *governance_schedules(running=bool(_setting("ODOOSH_GITHUB_REPOSITORY"))),
        ],
        sensors=[
            automation,
            *alert_sensors(running=bool(_setting("ODOOSH_ALERT_WEBHOOK_URL"))),
            github_pull_requests_sensor(previews.preview_build, previews.preview_teardown),
            main_branch_sensor(visual.visual_baselines),
        ],
        resources={
            "production": production_resource(state_dir),
            "staging": staging_resource(state_dir),
            "alerts": AlertsResource(webhook_url=_secret("ODOOSH_ALERT_WEBHOOK_URL")),
            "odoo": OdooResource(state_dir=state_dir, command=settings.odoo_command()),
            "backups": backups_resource(state_dir),
            "mail": mail_resource(state_dir),
            "prod_artifacts": artifact_store("prod"),
            "scrubbed_artifacts": artifact_store("scrubbed"),
            "visual_artifacts": artifact_store("visual"),
            "visual": visual_resource(),
            "github": github_resource(),
            "dns": dns_resource(state_dir),
            "previews": PreviewsResource(
                state_dir=state_dir,
                runtime=settings.preview_runtime(),
                odoo_command=settings.odoo_command(),
                domain=_setting("ODOOSH_PREVIEW_DOMAIN"),
                odoo_image=settings.preview_odoo_image(),
                traefik_network=settings.traefik_network(),
                cert_resolver=settings.traefik_cert_resolver(),
            ),
            "slow_query_limits": SlowQueriesResource(),
            "request_logs": RequestLogsResource(state_dir=state_dir),
            "environments_file": EnvironmentsResource(file=_setting("ODOOSH_ENVIRONMENTS_FILE")),
            "module_lock": ModuleLockResource(
                addons_dir=str(settings.addons_dir()), lock_file=str(settings.oca_lock_file())
            ),
            "governance_exec": GovernanceExecResource(
                state_dir=state_dir,
                roles_file=_setting("ODOOSH_EXEC_ROLES_FILE"),
                audit_dsn=_secret("ODOOSH_AUDIT_DSN"),
                container_template=_setting("ODOOSH_EXEC_CONTAINER"),
            ),
            "scrubbing": ScrubbingResource(
                state_dir=state_dir,
                salt=_secret("ODOOSH_SCRUB_SALT"),
                admin_password=_secret("ODOOSH_STAGING_ADMIN_PASSWORD"),
                policy_files=settings.policy_files(),
            ),
        },
    )


defs = make_definitions()
