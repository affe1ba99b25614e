"""Governance: audited, approved exec; the OCA module lock."""
