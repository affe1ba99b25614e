"""The mail catcher of dev, staging and previews: Mailpit run by compose, or the sandbox's."""

from pathlib import Path

import dagster as dg

from odoosh.mail import MAILPIT_SMTP_PORT, MailCatcher, Mailpit
from odoosh.sandbox.mail_catcher.supervisor import SandboxCatcher


class MailResource(dg.ConfigurableResource):
    def catcher(self) -> MailCatcher:
        raise NotImplementedError


class MailpitResource(MailResource):
    """ODOOSH_MAIL_API_URL set: a Mailpit the platform only talks to."""

    api_url: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = MAILPIT_SMTP_PORT

    def catcher(self) -> MailCatcher:
        return Mailpit(self.api_url, self.smtp_host, self.smtp_port)


class SandboxMailResource(MailResource):
    """The sandbox catcher, started detached when first needed; `smtp_port` unset picks one."""

    state_dir: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int | None = None

    def catcher(self) -> MailCatcher:
        return SandboxCatcher(Path(self.state_dir), self.smtp_host, self.smtp_port)
