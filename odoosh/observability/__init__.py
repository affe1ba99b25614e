"""Logs, metrics and profiling: what each environment's Odoo serves, how fast, how it fails."""
