"""Build a synthetic Odoo database from the command line and report its rows and size.

python -m odoosh.synthetic --dsn "host=... dbname=empty_db" --scale 50 --seed 0
"""

from __future__ import annotations

import argparse
import time

import psycopg

from odoosh.postgres import connect
from odoosh.sandbox.synthetic.generate import build

TABLE_SIZES = """
    SELECT relname, pg_total_relation_size(oid)
      FROM pg_class
     WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m odoosh.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string of an empty database")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 makes ~2k partners and 10k messages")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same database")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        rows = build(args.dsn, scale=args.scale, seed=args.seed)
    except (ValueError, psycopg.OperationalError) as exc:
        parser.exit(1, f"error: {exc}\n")
    seconds = time.monotonic() - started
    with connect(args.dsn) as conn:
        sizes = dict(conn.execute(TABLE_SIZES).fetchall())
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    width = max(map(len, rows))
    print(f"\n{'table':<{width}} {'rows':>12} {'MiB':>10}")
    for table, count in sorted(rows.items(), key=lambda item: -sizes.get(item[0], 0)):
        print(f"{table:<{width}} {count:>12,} {sizes.get(table, 0) / 2**20:>10.1f}")
    print(f"\ndatabase size {total / 2**20:,.1f} MiB, {sum(rows.values()):,} rows, built in {seconds:.1f} s")


if __name__ == "__main__":
    main()
