"""Benchmarks of issue 9: run by hand or in CI's slow stage (see bench/README.md)."""
