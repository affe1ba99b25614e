"""Backups that are proven: pgBackRest driven by the platform.

`config` renders pgbackrest.conf from dataclasses, `commands` runs pgBackRest as the server
user, `info` and `verify` read what it reports, `archive` sets up continuous archiving and the
heartbeat, `restore` restores into new clusters and proves them, `verdicts` judges what those
report, and `production` ties them to production's cluster: what the assets, the recovery job
and the benchmark call. pgBackRest does the work; nothing here reimplements it.
"""
