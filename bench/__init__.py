"""The benchmarks: ``python -m bench.bench_sync`` from the repository root; ``make bench`` runs all."""
