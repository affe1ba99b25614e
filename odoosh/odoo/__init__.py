"""Odoo as every domain uses it: its config file, its servers, the smoke probes, database facts."""
