"""kindred's benchmarks: `make bench` (all figures) and `make bench-quick` (smaller sizes)."""
