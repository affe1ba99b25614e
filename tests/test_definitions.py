"""The sandbox and production differ by which resource definitions.py binds, decided once."""

import dagster as dg
import pytest

from odoosh_assets.definitions import make_definitions
from resources.mail import MailpitResource, SandboxMailResource
from resources.production import ConfiguredProductionResource, SandboxProductionResource
from resources.staging import ConfiguredStagingResource, SandboxStagingResource
from tests.sandbox_helpers import CONFIG_VARS


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ODOOSH_STATE_DIR", str(tmp_path))
    return monkeypatch


def test_unset_means_the_sandbox(env):
    resources = make_definitions().resources
    assert isinstance(resources["production"], SandboxProductionResource)
    assert isinstance(resources["staging"], SandboxStagingResource)
    assert isinstance(resources["mail"], SandboxMailResource)
    assert resources["staging"].target().sandbox


def test_configured_parts_replace_the_sandbox_and_keep_secrets_out_of_the_config(env):
    env.setenv("ODOOSH_PROD_DSN", "host=prod.internal dbname=odoo user=reader password=s3cret")
    env.setenv("ODOOSH_STAGING_DSN", "host=staging.internal dbname=odoo_staging user=admin password=t0p")
    env.setenv("ODOOSH_MAIL_API_URL", "http://mailpit:8025")
    env.setenv("ODOOSH_MAIL_SMTP_HOST", "mailpit")
    resources = make_definitions().resources
    assert isinstance(resources["production"], ConfiguredProductionResource)
    assert isinstance(resources["staging"], ConfiguredStagingResource)
    assert isinstance(resources["mail"], MailpitResource)
    assert "s3cret" not in repr(resources["production"]) and "t0p" not in repr(resources["staging"])
    with dg.build_resources({"staging": resources["staging"]}) as initialised:  # EnvVars resolved, as in a run
        target = initialised.staging.target()
    assert (target.database, target.sandbox) == ("odoo_staging", False)
    assert "dbname=postgres" in target.server().admin_dsn  # administered from the maintenance database
    endpoint = resources["mail"].catcher().ensure_running()
    assert (endpoint.smtp_host, endpoint.smtp_port, endpoint.api_url) == ("mailpit", 1025, "http://mailpit:8025")
