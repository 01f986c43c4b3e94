"""Limiter benchmarks: checks per second against peer libraries, and the served-app cost of Redis."""
