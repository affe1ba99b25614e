"""A synthetic Odoo 16 production database, full of realistic fake personal data.

It is what the platform's scrubbing and neutralization are tested against: every PII column of
the schema holds Faker-made values, free text and HTML bodies carry emails and phone numbers, and
the technical tables are configured as in production (active crons, mail servers, payment
providers with keys...). Same seed, same database; `scale` sets the size (1.0 builds in seconds,
500 makes several GB).
"""

from odoosh.sandbox.synthetic.generate import build

__all__ = ["build"]
