"""Benchmark of the state store's hot path: writing accepted hashes and loading the planner's index.

Writes ``--rows`` SKUs (default 1,000,000) with ``entities.record_accepted`` in batches of
``--batch`` (5,000), then loads them with ``entities.load_index`` and prints the times and the memory
the index takes (RSS growth). Runs on a temporary SQLite file, and on PostgreSQL too when
``--pg URL`` is given (a throw-away schema is created and dropped).

Usage: ``python bench/bench_state.py [--rows 1000000] [--batch 5000] [--pg postgresql://postgres@127.0.0.1/test]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from figures import figure_line
from vtexbridge.state import Accepted, StateStore, migrations
from vtexbridge.state.engine import normalise_url

WRITE_TARGET = 7_500
"""Rows/s the store must write: 10x VTEX's fastest sync budget (catalog, 750 requests/s per account),
so that recording what VTEX accepted never slows a sync."""
LOAD_TARGET = 100_000
"""Rows/s the planner's index must load: 1M entities in 10 s, a twentieth of the 1M no-change target."""
BYTES_TARGET = 400
"""Memory per entity of the index (the 1M no-change re-sync must fit in about 1 GB)."""


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def run(label: str, url: str, rows: int, batch: int) -> None:
    migrations.upgrade(url)
    records = [
        Accepted(
            "sku", f"SKU-{i:08d}", str(100_000 + i), hashlib.blake2b(str(i).encode(), digest_size=16).digest()
        )
        for i in range(rows)
    ]
    with StateStore(url) as store:
        t0 = time.perf_counter()
        for i in range(0, rows, batch):
            store.entities.record_accepted("bench", records[i : i + batch])
        write_s = time.perf_counter() - t0
        del records
        gc.collect()
        before = rss_mb()
        t0 = time.perf_counter()
        index = store.entities.load_index("bench", "sku")
        load_s = time.perf_counter() - t0
        grown = rss_mb() - before
    per_row = grown * 1e6 / max(len(index), 1)
    print(
        f"{label:<10} {len(index):>10,} rows  write {write_s:6.2f}s ({rows / write_s:,.0f}/s)  "
        f"load {load_s:5.2f}s  index RSS +{grown:,.0f} MB ({per_row:.0f} B/row)"
    )
    checks = (
        (
            "write",
            f"{rows / write_s:,.0f} rows/s",
            f">= {WRITE_TARGET:,} rows/s",
            rows / write_s >= WRITE_TARGET,
        ),
        ("load", f"{rows / load_s:,.0f} rows/s", f">= {LOAD_TARGET:,} rows/s", rows / load_s >= LOAD_TARGET),
        ("index memory", f"{per_row:.0f} B/row", f"<= {BYTES_TARGET} B/row", per_row <= BYTES_TARGET),
    )
    for name, figure, target, met in checks:
        print(f"{'':<10} " + figure_line(name, figure, target, met))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--pg", help="a PostgreSQL URL to benchmark as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows, args.batch)
    if args.pg:
        schema = f"vbbench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(normalise_url(args.pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            url = normalise_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
            run("postgresql", url.render_as_string(hide_password=False), args.rows, args.batch)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    main()
