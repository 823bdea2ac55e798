"""Benchmarks (`make bench`): figures for the README, never part of the test suite."""
