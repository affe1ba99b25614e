"""The embedded default: what the platform runs on one machine with no cloud account.

The Odoo stand-in, the mail catcher, the synthetic production database and (with the coming
domains) the loopback doubles of GitHub, DNS, S3 and Mattermost. Production replaces each by
configuration; nothing outside this package knows which one it talks to.
"""
