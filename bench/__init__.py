"""Benchmarks: `make bench` runs them all and checks each against its target."""
