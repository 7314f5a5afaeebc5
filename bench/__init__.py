"""Benchmarks, run by `make bench`. Each prints its results and the ARCHITECTURE targets."""
