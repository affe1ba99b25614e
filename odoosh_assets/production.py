"""Production: its Odoo database and, in the sandbox, a running Odoo environment on it."""

import dagster as dg

from odoosh import settings
from odoosh.odoo.database import statistics
from odoosh.postgres import connect, describe_dsn
from odoosh.units import human_bytes
from odoosh_assets.smoke import SmokeTarget, smoke_checks
from resources.odoo import OdooResource
from resources.production import ProductionResource

GROUP = "production"
OWNERS = ["team:platform"]
ENVIRONMENT = "production"


@dg.asset(
    group_name=GROUP,
    kinds={"postgres", "odoo"},
    owners=OWNERS,
    description="Production's Odoo database (a synthetic one, built once, in the sandbox).",
)
def production_database(context: dg.AssetExecutionContext, production: ProductionResource) -> dg.MaterializeResult:
    database = production.database()
    dsn = database.ensure(context.log.info)
    with connect(dsn) as conn:
        stats = statistics(conn)
    return dg.MaterializeResult(
        metadata={
            "target": describe_dsn(dsn),
            "sandbox": database.sandbox,
            "size_bytes": dg.MetadataValue.int(stats.size_bytes),
            "size": human_bytes(stats.size_bytes),
            "modules_installed": dg.MetadataValue.int(len(stats.modules_installed)),
            "modules": ", ".join(stats.modules_installed),
            "pii_table_rows": dg.MetadataValue.table(
                records=[dg.TableRecord({"table": t, "rows": n}) for t, n in stats.pii_rows.items()],
                schema=dg.TableSchema(columns=[dg.TableColumn("table", "string"), dg.TableColumn("rows", "int")]),
            ),
            **{f"rows_{table}": dg.MetadataValue.int(n) for table, n in stats.pii_rows.items()},
        }
    )


@dg.asset(
    deps=[production_database],
    group_name=GROUP,
    kinds={"odoo"},
    owners=OWNERS,
    description="The sandbox's production Odoo (the configured Odoo command, by default the stand-in).",
)
def production_environment(
    context: dg.AssetExecutionContext, odoo: OdooResource, production: ProductionResource
) -> dg.MaterializeResult:
    environment = odoo.runtime().environment(ENVIRONMENT)
    environment.start(production.database().current_dsn(), log=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "url": dg.MetadataValue.url(environment.url),
            "pid": dg.MetadataValue.int(environment.pid),
            "command": " ".join(environment.command),
            "log_file": dg.MetadataValue.path(str(environment.log_file)),
            "started_at": environment.started_at.isoformat(),
        }
    )


def _production_target(context: dg.AssetCheckExecutionContext) -> SmokeTarget:
    environment = context.resources.odoo.runtime().environment(ENVIRONMENT)
    return SmokeTarget(
        url=environment.url,
        dsn=context.resources.production.database().current_dsn(),
        log_file=environment.log_file,
        started_at=environment.started_at,
        required_modules=settings.required_modules(),
    )


production_smoke_checks = smoke_checks(production_environment, _production_target, {"odoo", "production"})
