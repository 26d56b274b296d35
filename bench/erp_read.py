"""Read an ERP folder with the folder reader and print records/s and peak memory per entity.

    python bench/generate_store.py /tmp/store --skus 1000000
    python bench/erp_read.py /tmp/store [skus inventory ...]

Peak memory is the process's maximum resident set size, so it includes the interpreter (~30 MB);
the reader streams, so it stays flat whatever the file size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from vtexbridge.erp import Entity, FolderReader
from vtexbridge.errors import RecordError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the folder reader on a store.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("entities", nargs="*", help="entity names (default: every entity present)")
    args = parser.parse_args(argv)
    reader = FolderReader(args.folder)
    entities = [Entity(e) for e in args.entities] or [e for e in Entity if e in reader.entities()]
    total_records = total_errors = 0
    started = time.perf_counter()
    for entity in entities:
        t0 = time.perf_counter()
        records = errors = 0
        for item in reader.read(entity):
            if isinstance(item, RecordError):
                errors += 1
            else:
                records += 1
        seconds = time.perf_counter() - t0
        total_records += records
        total_errors += errors
        rate = records / seconds if seconds else 0.0
        print(
            f"{entity.value:24} {records:>12,} records {errors:>6} errors {seconds:7.2f} s {rate:>11,.0f}/s"
        )
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"total {total_records:,} records, {total_errors} errors in {elapsed:.1f} s "
        f"({total_records / elapsed:,.0f}/s); peak RSS {peak_mb:.0f} MB"
    )
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
