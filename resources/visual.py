"""The visual gate's settings (ODOOSH_VISUAL_*): routes, masks, thresholds, the override label."""

import dagster as dg
from pydantic import Field

from odoosh.staging import secrets
from odoosh.staging.secrets import StagingConfigError
from odoosh.visual.capture import CHROMIUM, VIEWPORTS, Login, check_route
from odoosh.visual.score import VIEWPORT_THRESHOLDS, Thresholds

DEFAULT_ROUTES = ["/web/login", "/odoo/contacts", "/odoo/contacts/1"]
# Odoo's chatter (16: .o_Chatter, 17+: .o-mail-Chatter) and the stand-in's clock change by themselves.
DEFAULT_MASKS = [".o_Chatter", ".o-mail-Chatter", ".o_standin_clock"]


class VisualResource(dg.ConfigurableResource):
    """`admin_password` is a secret: bind it as dg.EnvVar("ODOOSH_STAGING_ADMIN_PASSWORD")."""

    routes: list[str] = Field(default=DEFAULT_ROUTES, description="Paths to photograph; all but /web/login logged in.")
    masks: list[str] = Field(default=DEFAULT_MASKS, description="CSS selectors of dynamic regions, painted over.")
    min_ssim_desktop: float = VIEWPORT_THRESHOLDS["desktop"].global_min
    min_ssim_mobile: float = VIEWPORT_THRESHOLDS["mobile"].global_min
    min_region_ssim: float = VIEWPORT_THRESHOLDS["desktop"].region_min
    override_label: str = Field(default="visual-change-approved", description="The PR label that accepts a change.")
    branch: str = Field(default="main", description="The branch whose look the baselines are.")
    admin_password: str | None = None
    chromium: str = CHROMIUM
    timeout_s: float = 30.0
    report_base_url: str | None = Field(
        default=None,
        description="Public URL of the visual artifact store (a bucket or CDN); unset: file:// or presigned S3 URLs.",
    )

    def checked_routes(self) -> list[str]:
        try:
            return [check_route(route) for route in self.routes]
        except ValueError as exc:
            raise dg.Failure(f"ODOOSH_VISUAL_ROUTES: {exc}") from None

    def login(self, login: str, *, sandbox: bool, given: str | None = None) -> Login:
        """The admin (`login`, read from the database) with the password the environments file
        `given` it, else the one the scrub gave staging's admin."""
        try:
            return Login(login, given or secrets.admin_password(self.admin_password, sandbox))
        except StagingConfigError as exc:
            raise dg.Failure(str(exc)) from None

    def viewports(self):
        return [VIEWPORTS["desktop"], VIEWPORTS["mobile"]]

    def thresholds(self) -> dict[str, Thresholds]:
        for name in ("min_ssim_desktop", "min_ssim_mobile", "min_region_ssim"):
            if not 0 < getattr(self, name) <= 1:
                raise dg.Failure(f"ODOOSH_VISUAL_{name.upper()} must be in (0, 1], not {getattr(self, name)}")
        return {
            "desktop": Thresholds(self.min_ssim_desktop, self.min_region_ssim),
            "mobile": Thresholds(self.min_ssim_mobile, self.min_region_ssim),
        }
