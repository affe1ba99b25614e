"""Where alerts go: the Mattermost incoming webhook of ODOOSH_ALERT_WEBHOOK_URL, or the log only."""

import dagster as dg
from pydantic import Field

from odoosh.alerts import AlertSender


class AlertsResource(dg.ConfigurableResource):
    """`webhook_url` is a secret (its path is the webhook's key): bind it as dg.EnvVar."""

    webhook_url: str | None = Field(default=None, description="Mattermost incoming webhook; unset: the log only.")
    username: str = Field(default="odoosh", description="Name the posts appear under (if Mattermost allows it).")
    channel: str | None = Field(default=None, description="Channel overriding the webhook's own.")

    def sender(self) -> AlertSender:
        return AlertSender(self.webhook_url, username=self.username, channel=self.channel)
