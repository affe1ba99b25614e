"""The platform's logic, in plain Python: it never imports dagster, `resources` or `odoosh_assets`.

One subpackage per domain (`staging`, `sandbox`, and the domains to come) and one module per
outside thing every domain shares (`postgres`, `process`, `odoo`, `mail`, `artifacts`). The
assets in `odoosh_assets` and the resources in `resources` are thin shells around it.
"""
